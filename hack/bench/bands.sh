#!/usr/bin/env bash
# Rates of issue 21's held-to-it test: TestBandsAgainstMG3 (a loopback
# lognormal M/G/3 server, mean 50 ms, cv 1.5) with REPS seeded repetitions
# of RUN_SECONDS-second runs per load, the loads one after the other (or
# PARALLEL=1: one process per load, for a machine with cores to spare).
# Prints, per ρ, how often the correct plan agreed and the plans with the
# service time 30 % short and 30 % long disagreed.
#
#   REPS=10 RUN_SECONDS=60 hack/bench/bands.sh
#   COUNT_INVALID=1 ...   # also judge runs whose generator lagged
#   FIRST=8 ...           # start at repetition 8 (other seeds)
set -euo pipefail
cd "$(dirname "$0")/../.."
reps=${REPS:-10}
secs=${RUN_SECONDS:-60}
out=$(mktemp -d)
go test -c -tags e2e -o "$out/verify.test" ./loadtest/verify/
run() {
  E2E_BANDS_RHO=$1 E2E_BANDS_FIRST=${FIRST:-0} E2E_BANDS_REPS=$reps E2E_BANDS_SECONDS=$secs E2E_BANDS_COUNT_INVALID=${COUNT_INVALID:-} \
    "$out/verify.test" -test.run TestBandsAgainstMG3 -test.v -test.timeout 6h >"$out/rho-$1.txt" 2>&1 || true
}
for rho in 0.5 0.8 0.9; do
  if [ -n "${PARALLEL:-}" ]; then run "$rho" & else run "$rho"; fi
done
wait
for rho in 0.5 0.8 0.9; do
  grep -E 'plan: |: correct plan AGREE' "$out/rho-$rho.txt" | sed 's/^ *//' | cut -c1-400
done
echo "logs in $out"
