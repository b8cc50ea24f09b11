#!/usr/bin/env bash
# The report in a real browser: Debian's headless Chromium opens the
# report.html that `headroom report` writes for the bundled example and
# checks every image rendered, no console message, and printing to PDF.
set -euo pipefail
cd "$(dirname "$0")/../../.."
source hack/e2e/lib.sh
need_debian chromium chromium
make -s build
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
rc=0
./bin/headroom report -f scenarios/examples/noa.yaml --out-dir "$out/report" >"$out/stdout" 2>"$out/stderr" || rc=$?
if [ "$rc" -ne 0 ] && [ "$rc" -ne 3 ]; then
  cat "$out/stderr"
  echo "headroom report exited $rc"; exit 1
fi
for f in report.html report.md report.json patches/kustomization.yaml patches/kubectl-patches.sh; do
  [ -s "$out/report/$f" ] || { echo "missing $f"; exit 1; }
done
pngs=$(ls "$out/report/plots/"*.png | wc -l)
echo "e2e: headroom report wrote $pngs plots (exit $rc)"
HEADROOM_E2E_REPORT="$out/report/report.html" HEADROOM_E2E_IMAGES="$pngs" \
  go test -count=1 -tags e2e -run 'Chromium' -v ./reports
