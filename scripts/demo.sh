#!/usr/bin/env bash
# The main job on the bundled samples: screen every sample document (MRZ, detectors,
# verdict), write an HTML page per document, then map the forged ones into series.
# Output goes to out/ (override with DEMO_OUT).
set -uo pipefail
cd "$(dirname "$0")/.."
OUT="${DEMO_OUT:-out}"
mkdir -p "$OUT/screen"
echo "== MRZ text checks (samples/mrz)"
for f in samples/mrz/*.txt; do
  out=$(docfraud mrz --compact < "$f")
  printf '%-40s %s\n' "$(basename "$f")" "$(printf '%s' "$out" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(("VALID  " if d["valid"] else "FAILED ") + d["format"] + "  " + (", ".join(x["code"] for x in d["findings"]) or "no findings"))')"
done
echo "== Screening samples/images (HTML pages in $OUT/screen/)"
docfraud screen samples/images/*.jpg --json --signature --html "$OUT/screen" > "$OUT/screen.jsonl"
rc=$?
if [ $rc -ne 0 ] && [ $rc -ne 10 ] && [ $rc -ne 20 ]; then echo "screening failed (exit $rc)"; exit 1; fi
python3 - "$OUT/screen.jsonl" samples/truth.jsonl <<'PY'
import json, sys
truth = {t["file"].split("/")[-1]: t for t in map(json.loads, open(sys.argv[2]))}
rows = [json.loads(x) for x in open(sys.argv[1]) if x.strip()]
for r in rows:
    t = truth.get(r["file"].split("/")[-1], {})
    kind = "+".join(t.get("operators") or []) or "-"
    print(f'{r["file"].split("/")[-1]:12s} {r["risk"]["verdict"]:7s} {r["risk"]["score"]:.2f}  truth: {t.get("label", "?"):8s} {kind}')
PY
echo "== Series of forged documents ($OUT/clusters.json, $OUT/series.html)"
docfraud cluster --input "$OUT/screen.jsonl" --out "$OUT/clusters.json" --html "$OUT/series.html" || exit 1
python3 -c "import json; d=json.load(open('$OUT/clusters.json')); [print(s['id'], len(s['members']), 'members; shared:', '; '.join(s['shared'][:3])) for s in d['series']]; print(len(d['unassigned']), 'unassigned')"
