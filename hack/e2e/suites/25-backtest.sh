#!/usr/bin/env bash
# e2e suite: `headroom backtest` against a real Prometheus.
#
# hack/backtestgen runs the request-level simulator (DES, its own seed) on
# hack/backtestgen/testdata/truth.yaml for 25 hours and writes what
# Prometheus would have scraped from that "production" — per-pod counters
# with load-balancing noise, scrape jitter, missing scrapes, a pod restart,
# a kube-state-metrics outage, pod creation and Ready times. The data is
# backfilled with `promtool tsdb create-blocks-from openmetrics` and served
# by Debian's Prometheus. The e2e test of cmd/headroom then backtests the
# generating plan (it must agree) and two mis-specified copies (CPU per
# request 25 % too low, start-up delay 3× too short: each must disagree,
# name its cause and fit the truth within 10 %), and prints the table.
# Prometheus is killed on exit, whatever happens.
set -euo pipefail
cd "$(dirname "$0")/../../.."
source hack/e2e/lib.sh

source hack/e2e/prometheus.sh

work=$(mktemp -d /tmp/headroom-e2e-backtest.XXXXXX)
prom_pid=""
cleanup() {
  stop_pids $prom_pid
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

go build -o "$work/backtestgen" ./hack/backtestgen
start_prometheus "$work" "$work/backtestgen" -plan hack/backtestgen/testdata/truth.yaml

HEADROOM_E2E_BACKTEST_URL="$prom_url" HEADROOM_E2E_END="$prom_end" \
  go test -tags e2e -count=1 -run 'TestBacktestE2E' -v ./cmd/headroom/ 2>&1 | tail -60

# The CLI's exit codes on the same data: 0 agrees, 3 disagrees, 1 when a
# service cannot be backtested (a plan naming a workload Prometheus has
# never seen), 2 for a window shorter than a day.
go build -o "$work/headroom" ./cmd/headroom
expect() {
  local want=$1; shift
  local rc=0
  "$work/headroom" "$@" >"$work/out.txt" 2>&1 || rc=$?
  if [ "$rc" -ne "$want" ]; then cat "$work/out.txt"; echo "e2e: backtest $* exited $rc, want $want"; exit 1; fi
}
b="backtest --prometheus-url $prom_url --end $prom_end --window 1d -f"
expect 0 $b hack/backtestgen/testdata/truth.yaml
expect 3 $b hack/backtestgen/testdata/cpu-low.yaml
sed 's/name: api}/name: checkout}/' hack/backtestgen/testdata/truth.yaml >"$work/absent.yaml"
expect 1 $b "$work/absent.yaml"
grep -q 'checkout' "$work/out.txt" || { cat "$work/out.txt"; echo "e2e: the failure does not name the query"; exit 1; }
expect 2 backtest --prometheus-url "$prom_url" --end "$prom_end" --window 12h -f hack/backtestgen/testdata/truth.yaml
echo "e2e: backtest exit codes 0 / 3 / 1 / 2 as documented"
