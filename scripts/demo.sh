#!/usr/bin/env bash
# The main job on the bundled samples: check every sample MRZ and summarise the verdicts.
set -uo pipefail
cd "$(dirname "$0")/.."
status=0
for f in samples/mrz/*.txt; do
  out=$(docfraud mrz --compact < "$f"); rc=$?
  [ $rc -eq 0 ] || [ $rc -eq 10 ] || status=1
  summary=$(printf '%s' "$out" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(("VALID  " if d["valid"] else "FAILED ") + d["format"] + "  " + (", ".join(x["code"] for x in d["findings"]) or "no findings"))')
  printf '%-40s %s\n' "$(basename "$f")" "$summary"
done
exit $status
