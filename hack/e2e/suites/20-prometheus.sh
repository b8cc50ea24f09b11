#!/usr/bin/env bash
# e2e suite: `headroom observe` against a real Prometheus.
#
# Generates 14 days of samples with known parameters (prom/internal/gen),
# backfills them with `promtool tsdb create-blocks-from openmetrics`, starts
# Prometheus on a free loopback port over that data, and runs the e2e tests
# of package prom (which check the recovered parameters within 5 %) and the
# CLI on the bundled plan. Prometheus is killed on exit, whatever happens.
set -euo pipefail
cd "$(dirname "$0")/../../.."
source hack/e2e/lib.sh

source hack/e2e/prometheus.sh

work=$(mktemp -d /tmp/headroom-e2e-prom.XXXXXX)
prom_pid=""
cleanup() {
  stop_pids $prom_pid
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

start_prometheus "$work"
url=$prom_url end=$prom_end

HEADROOM_E2E_PROMETHEUS_URL="$url" HEADROOM_E2E_END="$end" \
  go test -tags e2e -count=1 -run 'E2E' -v ./prom/ 2>&1 | tail -40

# The CLI on the same data: the observed plan must load and size, and two
# runs over the same pinned window must write byte-identical plans.
go build -o "$work/headroom" ./cmd/headroom
"$work/headroom" observe --prometheus-url "$url" -f prom/testdata/shop.yaml --end "$end" --out-file "$work/observed.yaml"
"$work/headroom" observe --prometheus-url "$url" -f prom/testdata/shop.yaml --end "$end" --out-file "$work/again.yaml" >/dev/null 2>&1
cmp "$work/observed.yaml" "$work/again.yaml" || { echo "e2e: observe is not deterministic"; exit 1; }
rc=0
"$work/headroom" size -f "$work/observed.yaml" --scenario forecast-api >"$work/size.txt" || rc=$?
cat "$work/size.txt"
if [ "$rc" -ne 0 ] && [ "$rc" -ne 3 ]; then echo "e2e: size on the observed plan exited $rc"; exit 1; fi
echo "e2e: observed plan sizes (exit $rc)"
