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

need_debian prometheus prometheus promtool prometheus curl curl

work=$(mktemp -d /tmp/headroom-e2e-prom.XXXXXX)
prom_pid=""
cleanup() {
  if [ -n "$prom_pid" ] && kill -0 "$prom_pid" 2>/dev/null; then
    kill "$prom_pid" 2>/dev/null || true
    wait "$prom_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

# The data ends an hour ago, on the hour, so every sample is in the past.
end=$(date -u -d "$(date -u +%Y-%m-%dT%H:00:00Z) - 1 hour" +%Y-%m-%dT%H:%M:%SZ)
mkdir -p "$work/om" "$work/data"
echo "e2e: generating 14 days of samples ending $end"
go run ./prom/internal/gen/promgen -out "$work/om" -end "$end"
echo "e2e: backfilling $(ls "$work/om" | wc -l) blocks with promtool"
for f in "$work"/om/*.om; do
  promtool tsdb create-blocks-from openmetrics -q "$f" "$work/data" >/dev/null
done
rm -rf "$work/om"

port=""
for _ in $(seq 1 50); do
  p=$(( 20000 + RANDOM % 20000 ))
  if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then port=$p; break; fi
done
[ -n "$port" ] || { echo "e2e: no free port"; exit 1; }

cat >"$work/prometheus.yml" <<'YAML'
global:
  scrape_interval: 1m
scrape_configs: []
YAML
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/data" \
  --storage.tsdb.retention.time=60d --web.listen-address="127.0.0.1:$port" \
  >"$work/prometheus.log" 2>&1 &
prom_pid=$!
url="http://127.0.0.1:$port"
for _ in $(seq 1 120); do
  if curl -fsS "$url/-/ready" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$prom_pid" 2>/dev/null; then cat "$work/prometheus.log"; exit 1; fi
  sleep 0.5
done
curl -fsS "$url/-/ready" >/dev/null || { echo "e2e: prometheus not ready"; tail -20 "$work/prometheus.log"; exit 1; }
echo "e2e: prometheus $(prometheus --version 2>&1 | head -1 | awk '{print $3}') on $url"

HEADROOM_E2E_PROMETHEUS_URL="$url" HEADROOM_E2E_END="$end" \
  go test -tags e2e -count=1 -run 'E2E' -v ./prom/ 2>&1 | tail -40

# The CLI on the same data: the observed plan must load and size, and two
# runs over the same pinned window must write byte-identical plans.
go build -o "$work/headroom" ./cmd/headroom
"$work/headroom" observe --prometheus-url "$url" -f prom/testdata/shop.yaml --end "$end" -o "$work/observed.yaml"
"$work/headroom" observe --prometheus-url "$url" -f prom/testdata/shop.yaml --end "$end" -o "$work/again.yaml" >/dev/null 2>&1
cmp "$work/observed.yaml" "$work/again.yaml" || { echo "e2e: observe is not deterministic"; exit 1; }
rc=0
"$work/headroom" size -f "$work/observed.yaml" --scenario forecast-api >"$work/size.txt" || rc=$?
cat "$work/size.txt"
if [ "$rc" -ne 0 ] && [ "$rc" -ne 3 ]; then echo "e2e: size on the observed plan exited $rc"; exit 1; fi
echo "e2e: observed plan sizes (exit $rc)"
