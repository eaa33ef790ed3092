#!/usr/bin/env bash
# Start a throw-away PostgreSQL server for docfraud's tests and print the URL to use.
#
#   eval "$(bash scripts/start_postgres.sh)"      # exports DOCFRAUD_TEST_PG_URL
#   bash scripts/start_postgres.sh stop           # stops it again
#
# Uses Debian's postgresql packages (installs them with apt-get when initdb is missing).
# The cluster lives in $DOCFRAUD_PG_DIR (default /tmp/docfraud-pg), listens on 127.0.0.1:$DOCFRAUD_PG_PORT
# (default 54329) and on a socket in that folder, trusts local connections, and is owned by the
# postgres user when run as root (PostgreSQL refuses to run as root), else by the calling user.
# Running it again while the server is up only makes sure the test database exists.
# Everything except the final `export ...` line goes to stderr.
set -euo pipefail
PGDIR="${DOCFRAUD_PG_DIR:-/tmp/docfraud-pg}"
PORT="${DOCFRAUD_PG_PORT:-54329}"
DBNAME="${DOCFRAUD_PG_DB:-docfraud_test}"

find_bindir() {
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}
BINDIR="$(find_bindir)"
if [ -z "$BINDIR" ] || [ ! -x "$BINDIR/initdb" ]; then
  echo "start_postgres: installing postgresql with apt-get" >&2
  SUDO=""
  if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null; then SUDO="sudo"; fi
  $SUDO apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends postgresql >&2
  BINDIR="$(find_bindir)"
fi
[ -x "$BINDIR/initdb" ] || { echo "start_postgres: no initdb found under /usr/lib/postgresql" >&2; exit 1; }

if [ "$(id -u)" -eq 0 ]; then
  OWNER=postgres
  as_owner() { runuser -u postgres -- "$@"; }
else
  OWNER="$(id -un)"
  as_owner() { "$@"; }
fi

if [ "${1:-}" = "stop" ]; then
  if [ -f "$PGDIR/data/postmaster.pid" ]; then
    as_owner "$BINDIR/pg_ctl" -D "$PGDIR/data" -m fast -w stop >&2
  fi
  exit 0
fi

mkdir -p "$PGDIR"
chmod 700 "$PGDIR"
[ "$OWNER" = "$(id -un)" ] || chown "$OWNER" "$PGDIR"
if [ ! -f "$PGDIR/data/PG_VERSION" ]; then
  as_owner "$BINDIR/initdb" -D "$PGDIR/data" -U postgres --auth=trust -E UTF8 --no-locale >&2
fi
if ! as_owner "$BINDIR/pg_ctl" -D "$PGDIR/data" status >/dev/null 2>&1; then
  as_owner "$BINDIR/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/server.log" -w -t 60 \
    -o "-p $PORT -k $PGDIR -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100" \
    start >&2
fi
if ! as_owner "$BINDIR/psql" -h "$PGDIR" -p "$PORT" -U postgres -d postgres -tAc \
      "SELECT 1 FROM pg_database WHERE datname = '$DBNAME'" | grep -q 1; then
  as_owner "$BINDIR/createdb" -h "$PGDIR" -p "$PORT" -U postgres "$DBNAME" >&2
fi
echo "export DOCFRAUD_TEST_PG_URL=postgresql://postgres@127.0.0.1:$PORT/$DBNAME"
