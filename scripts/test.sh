#!/usr/bin/env bash
# Run the whole test suite: starts a throw-away PostgreSQL server for the case-database
# tests when none is given in DOCFRAUD_TEST_PG_URL, then pytest over tests/.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${DOCFRAUD_TEST_PG_URL:-}" ] && [ -f scripts/start_postgres.sh ]; then
  if pg_env="$(bash scripts/start_postgres.sh)"; then
    eval "$pg_env"
  else
    echo "test.sh: PostgreSQL could not be started; its tests will report why they skip" >&2
  fi
fi
exec python3 -m pytest -q tests "$@"
