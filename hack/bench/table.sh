#!/usr/bin/env bash
# The speed table of docs/des-and-sweeps.md ("Speed") and the README, from
# one command, in one run: the commands on hack/genplan plans (wall time,
# peak RSS, bytes written), the Go benchmarks, and the DES against the bare
# heap floor (BenchmarkHeapFloorMMc10) and SimPy (hack/simpy/mmc.py) as
# ratios measured side by side. Rows whose tool is missing are skipped with
# the reason. No network: everything runs from this checkout and Debian's
# python3-simpy when installed.
#
# Usage: hack/bench/table.sh            # the full table (~5 min on 2 idle cores)
#        QUICK=1 hack/bench/table.sh    # smaller plans and fewer repetitions (a few minutes);
#                                       # the rows say what they ran, not for the docs
# Environment: HEADROOM=path uses a built binary instead of building one;
# ROWS="report simulate reportjson run90 sweep des ratios engine" picks rows
# (default: all; des is simulate --mode des, ratios the DES benchmarks
# against the floor and SimPy, engine the load engine against wrk by
# hack/bench/engine-vs-wrk.sh); COUNT=n repeats
# each DES benchmark n times (default 3, QUICK 1) and keeps the best rate
# of each, the run least disturbed by other processes.
set -euo pipefail
cd "$(dirname "$0")/../.."
quick=${QUICK:-0}
rows=" ${ROWS:-report simulate reportjson run90 sweep des ratios engine} "
want() { [[ "$rows" == *" $1 "* ]]; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if [ "$quick" = 1 ]; then
  big=20 scen=2 small=5 desScenario=(--scenario growth-2x) noaRuns=1 mmcReq=3000000 simpyReq=100000 count=${COUNT:-1}
else
  big=200 scen=5 small=50 desScenario=() noaRuns=2 mmcReq=20000000 simpyReq=400000 count=${COUNT:-3}
fi

headroom=${HEADROOM:-}
if [ -z "$headroom" ]; then
  go build -o "$tmp/headroom" ./cmd/headroom
  headroom=$tmp/headroom
fi
go build -o "$tmp/genplan" ./hack/genplan
"$tmp/genplan" -services "$big" -scenarios "$scen" >"$tmp/big.yaml"
"$tmp/genplan" -services "$small" -scenarios "$scen" >"$tmp/small.yaml"
want run90 || want ratios && go test -c -o "$tmp/sim.test" ./sim
want sweep && go test -c -o "$tmp/capacity.test" ./capacity
gotime=(/usr/bin/time -f '%e %U %S %M')
[ -x /usr/bin/time ] || gotime=()

mode=""
[ "$quick" = 1 ] && mode=", QUICK=1 (smaller work: not the table's rows)"
echo "# $(date -u +%FT%TZ) $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)$mode"
echo
echo "| work | measured |"
echo "|---|---|"

# row prints one table line.
row() { printf '| %s | %s |\n' "$1" "$2"; }

# timed runs a command with its output to $tmp/out and prints "wall s, CPU s, peak RSS".
timed() {
  if [ ${#gotime[@]} -eq 0 ]; then
    local t0 t1
    t0=$(date +%s.%N)
    "$@" >"$tmp/out" 2>"$tmp/err" || true
    t1=$(date +%s.%N)
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f s wall (no /usr/bin/time: no CPU or RSS)", b - a }'
    return
  fi
  "${gotime[@]}" -o "$tmp/time" "$@" >"$tmp/out" 2>"$tmp/err" || true
  # The last line: time writes "Command exited with non-zero status" first.
  tail -1 "$tmp/time" | awk '{ printf "%.1f s wall, %.1f CPU-s, peak RSS %.0f MiB", $1, $2 + $3, $4 / 1024 }'
}

report_row() {
  rm -rf "$tmp/report"
  local r
  r=$(timed "$headroom" report -f "$tmp/big.yaml" --out-dir "$tmp/report" --uncertainty off --max-work 100)
  if [ -d "$tmp/report" ]; then
    row "\`report\` on a genplan plan of $big services × $scen scenarios" "$r, $(du -sb "$tmp/report" | awk '{ printf "%.0f MB written", $1 / 1e6 }')"
  else
    row "\`report\` on a genplan plan of $big services × $scen scenarios" "failed: $(tail -1 "$tmp/err")"
  fi
  rm -rf "$tmp/report"
}

simulate_row() {
  local r
  r=$(timed "$headroom" simulate -f "$tmp/big.yaml" -o json --uncertainty off --max-work 100)
  if [ -s "$tmp/out" ]; then
    row "\`simulate -o json\` on the same plan" "$r, $(wc -c <"$tmp/out" | awk '{ printf "%.0f MB of JSON", $1 / 1e6 }')"
  else
    row "\`simulate -o json\` on the same plan" "failed: $(tail -1 "$tmp/err")"
  fi
}

reportjson_row() {
  rm -rf "$tmp/report"
  local r
  r=$(timed "$headroom" report -f "$tmp/small.yaml" --out-dir "$tmp/report" --uncertainty off --max-work 100)
  if [ -f "$tmp/report/report.json" ]; then
    row "\`report.json\` for $small services" "$(wc -c <"$tmp/report/report.json" | awk '{ printf "%.1f MB", $1 / 1e6 }') ($r)"
  else
    row "\`report.json\` for $small services" "no report.json: $(tail -1 "$tmp/err")"
  fi
  rm -rf "$tmp/report"
}

# bench runs benchmarks of a compiled test binary in its package directory
# and prints their lines.
bench() { # binary dir regexp benchtime
  (cd "$2" && "$1" -test.run '^$' -test.bench "$3" -test.benchtime "$4" -test.count "${5:-1}" 2>&1) | grep -E '^Benchmark' || true
}
# metric reads a benchmark metric (the number before unit) from lines;
# with best, the largest of them.
metric() { awk -v u="$1" '{ for (i = 2; i <= NF; i++) if ($i == u) print $(i-1) }' | sort -g | tail -1; }
least() { awk -v u="$1" '{ for (i = 2; i <= NF; i++) if ($i == u) print $(i-1) }' | sort -g | head -1; }

run90_row() {
  local l
  l=$(bench "$tmp/sim.test" sim 'Run90Days$' "$([ "$quick" = 1 ] && echo 1x || echo 3x)")
  if [ -n "$l" ]; then
    row "\`BenchmarkRun90Days\` (fluid)" "$(echo "$l" | least ns/op | awk '{ printf "%.2f s per run (%.0f ns per simulated second)", $1 / 1e9, $1 / (90 * 86400) }')"
  else
    row "\`BenchmarkRun90Days\` (fluid)" "skipped: no such benchmark in ./sim"
  fi
}

sweep_row() {
  if [ "$quick" = 1 ]; then
    row "\`BenchmarkSweep200x7Days\`" "skipped in QUICK mode (half a minute and more)"
    return
  fi
  local l
  l=$(bench "$tmp/capacity.test" capacity 'Sweep200x7Days$' 1x)
  if [ -n "$l" ]; then
    row "\`BenchmarkSweep200x7Days\`" "$(echo "$l" | least ns/op | awk '{ printf "%.1f s on %d cores", $1 / 1e9, '"$(nproc)"' }')"
  else
    row "\`BenchmarkSweep200x7Days\`" "skipped: no such benchmark in ./capacity"
  fi
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b == 0) print "—"; else printf "%.2f", a / b }'; }

des_row() {
  local r req
  r=$(timed "$headroom" simulate -f scenarios/examples/noa.yaml --mode des --uncertainty off "${desScenario[@]}" -o json)
  req=$(python3 -c 'import json, sys; print("%.0f" % (sum(s["summary"]["requests"] for r in json.load(sys.stdin) for s in r["services"]) / 1e6))' <"$tmp/out" 2>/dev/null || echo "?")
  row "\`simulate --mode des\` on the bundled example (\`--uncertainty off\`${desScenario[*]:+ ${desScenario[*]}})" "$r, ${req} M requests"
}

ratio_rows() {
  local noa kern floor noaRate kernRate floorRate simpy=""

  # The whole simulator, the kernel, the floor and SimPy in turn, count
  # times over; the best rate of each.
  for _ in $(seq "$count"); do
    noa+=$(bench "$tmp/sim.test" sim 'DESRunNOA$' "${noaRuns}x")$'\n'
    kern+=$(bench "$tmp/sim.test" sim 'DESMMc10$' "${mmcReq}x")$'\n'
    floor+=$(bench "$tmp/sim.test" sim 'HeapFloorMMc10$' "${mmcReq}x")$'\n'
    if /usr/bin/python3 -c 'import SimPy.Simulation' 2>/dev/null; then
      simpy+=$(/usr/bin/python3 hack/simpy/mmc.py --requests "$simpyReq" | awk '{ for (i = 2; i <= NF; i++) if ($i == "Mreq/s-cpu;") print "x " $(i-1) " Mreq/s-cpu" }')$'\n'
    fi
  done
  noaRate=$(echo "$noa" | metric Mreq/s-cpu)
  kernRate=$(echo "$kern" | metric Mreq/s-cpu)
  floorRate=$(echo "$floor" | metric Mreq/s-cpu)
  simpy=$(echo "$simpy" | metric Mreq/s-cpu)
  if [ -z "$noaRate" ]; then
    row "\`BenchmarkDESRunNOA\`" "failed: no benchmark output"
    return
  fi
  if [ -n "$floorRate" ]; then
    row "\`BenchmarkDESRunNOA\` (whole simulator, NOA growth-2x, 7.35 M requests)" "$noaRate M req per CPU-s = **$(ratio "$noaRate" "$floorRate")** of the bare heap floor ($floorRate, \`BenchmarkHeapFloorMMc10\`: an event calendar on a binary heap and nothing else); the \`DESMMc10\` kernel: $kernRate = $(ratio "$kernRate" "$floorRate") of it"
  else
    row "\`BenchmarkDESRunNOA\` (whole simulator, NOA growth-2x, 7.35 M requests)" "$noaRate M req per CPU-s; \`DESMMc10\` kernel $kernRate (no \`BenchmarkHeapFloorMMc10\` in this checkout: no floor ratio)"
  fi
  if [ -n "$simpy" ]; then
    row "SimPy 2.3.1 (\`hack/simpy/mmc.py\`, the same M/M/10)" "$simpy M req per CPU-s: the \`DESMMc10\` kernel is $(ratio "$kernRate" "$simpy")× as fast, the whole simulator on NOA $(ratio "$noaRate" "$simpy")×"
  else
    row "SimPy (\`hack/simpy/mmc.py\`)" "skipped: Debian's python3-simpy is not installed (apt-get install -y python3-simpy)"
  fi
}

engine_row() {
  if [ "$quick" = 1 ]; then
    row "load engine against wrk" "skipped in QUICK mode (hack/bench/engine-vs-wrk.sh, over a minute)"
    return
  fi
  if ! command -v wrk >/dev/null; then
    row "load engine against wrk" "skipped: wrk is not installed (apt-get install wrk)"
    return
  fi
  local out
  out=$(bash hack/bench/engine-vs-wrk.sh 2>&1 | grep '^RESULT: \|^wrk ' || true)
  row "load engine against wrk (\`hack/bench/engine-vs-wrk.sh\`)" "$(echo "$out" | sed 's/^RESULT: //' | paste -sd ';' | sed 's/;/; /g')"
}

for r in report simulate reportjson run90 sweep; do
  want $r && "${r}_row"
done
want des && des_row
want ratios && ratio_rows
want engine && engine_row
echo
echo "Rates are per CPU-second (getrusage; the best of $count runs), wall times elapsed: on a shared machine wall times overstate the cost."
