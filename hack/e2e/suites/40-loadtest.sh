#!/usr/bin/env bash
# Load tests against a real M/M/c server on loopback: the built-in engine
# against model.MMc at ρ = 0.5, 0.8, 0.9 (go test -tags e2e ./loadtest/builtin/),
# its throughput against hey, and `headroom loadtest run --compare` against
# the server with loadtest/testdata/mmc-plan.yaml, and calibrate against the
# server's own measured service time (./loadtest/verify/); the engine's
# send lag at 20, 50 and 200 req/s (TestSendLagLowRates, skipped with its
# numbers logged when the machine is not quiet); and issue 21's sampling
# bands against a lognormal M/G/3 server at ρ = 0.5, 0.8, 0.9
# (TestBandsAgainstMG3: one 60 s repetition per load, about 3.5 minutes,
# up to 6 when a run is measured again; hack/bench/bands.sh runs more).
# The request mix of issue 18: three endpoints (exponential, lognormal and
# uniform service times, weights 6:3:1, a bearer token the server checks, a
# POST body it validates) over TLS with a CA made by the test, against a
# single-server queue at ρ = 0.5, 0.8, 0.9, per endpoint against the
# mixture's M/G/1 wait (TestMixAgainstMGc, 20 s per load, E2E_MIX_SECONDS),
# every file the runs wrote searched for the token; and injected 503s,
# resets and 401s counted exactly by cause (TestMixErrorClasses).
# E2E_LOADTEST_SECONDS (default 30) sets each queueing run's length.
set -euo pipefail
cd "$(dirname "$0")/../../.."
source hack/e2e/lib.sh
need_debian hey hey wrk wrk

tmp=$(mktemp -d)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

echo "e2e loadtest: the engine against M/M/c and hey"
# -p 1: the two packages measure timing on loopback, one after the other.
go test -tags e2e -count=1 -p 1 -v -run 'TestBuiltinAgainstMMc|TestMixAgainstMGc|TestMixErrorClasses|TestBuiltinThroughputMatchesHey|TestCalibrateAgainstMMc|TestSendLagLowRates|TestBandsAgainstMG3' -timeout 20m ./loadtest/builtin/ ./loadtest/verify/ 2>&1 \
  | grep -E '^(=== RUN|--- |\s+\S+_test.go:|PASS|FAIL|ok )'
test "${PIPESTATUS[0]}" -eq 0

echo "e2e loadtest: headroom loadtest run --compare against mmcserver"
go build -o "$tmp/headroom" ./cmd/headroom
go build -o "$tmp/mmcserver" ./loadtest/internal/mmcserver/cmd/mmcserver
port=$((20000 + RANDOM % 20000))
"$tmp/mmcserver" -addr "127.0.0.1:$port" -workers 8 -mean 20ms -seed 1 &
server_pid=$!
for _ in $(seq 50); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.1
done
set +e
"$tmp/headroom" loadtest run -f loadtest/testdata/mmc-plan.yaml --service mmc --scenario steps --speedup 20 \
  --engine builtin --target "http://127.0.0.1:$port/work" --out-file "$tmp/run.json" --compare >"$tmp/out.txt" 2>"$tmp/err.txt"
code=$?
set -e
grep -v '^t=' "$tmp/err.txt" || true
cat "$tmp/out.txt"
# Exit 0 (agree) or 3 (disagree, or the generator lagged on a loaded
# machine) both mean the run and the comparison worked; anything else fails.
if [ "$code" -ne 0 ] && [ "$code" -ne 3 ]; then
  echo "headroom loadtest run exited $code"; exit 1
fi
grep -q 'MEASURED vs PREDICTED: mmc, scenario steps' "$tmp/out.txt"
grep -q '^MAPE: throughput' "$tmp/out.txt"
grep -q '^verdict: ' "$tmp/out.txt"
# The throughput must agree whatever the lag: every arrival was served.
awk '/^MAPE: throughput/ { v = $3 + 0; print "throughput MAPE " v " %"; if (v > 10) { print "throughput MAPE above 10 %"; exit 1 } }' "$tmp/out.txt"
