#!/usr/bin/env bash
# The built-in engine's ceiling against wrk's on the same trivial loopback
# target, in the same run: wrk -t2 -c64 -d10s gives the target's maximum
# closed-loop throughput; then `headroom loadtest run` plays constant rates
# of increasing size (5 s each) and the highest rate it still sustains with a
# valid run (send-lag p99 < 5 ms, under 1 % dropped, ≥ 97 % of the offered
# rate completed) is reported with its share of wrk's.
# Usage: [SENDER=raw] [MIX=3] [HEADROOM=path] hack/bench/engine-vs-wrk.sh [RATE ...]   (needs wrk: apt-get install wrk)
# SENDER picks the engine's HTTP sender (auto, the default, loop, raw or nethttp).
# MIX=n plays a request mix of n endpoints (a --targets file of n GETs on
# different paths, one with a header), to measure what the per-request pick
# and the per-endpoint accounting cost; HEADROOM runs that binary instead
# of building this checkout's (an older build, for a before/after).
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)"; exit 1; }
rates=("$@")
[ ${#rates[@]} -gt 0 ] || rates=(1000 2000 4000 8000 12000 16000 20000 24000 28000 32000)

tmp=$(mktemp -d)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
if [ -n "${HEADROOM:-}" ]; then cp "$HEADROOM" "$tmp/headroom"; else go build -o "$tmp/headroom" ./cmd/headroom; fi
go build -o "$tmp/mmcserver" ./loadtest/internal/mmcserver/cmd/mmcserver
port=$((20000 + RANDOM % 20000))
"$tmp/mmcserver" -addr "127.0.0.1:$port" -trivial &
server_pid=$!
for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
url="http://127.0.0.1:$port/"
mixflags=()
if [ "${MIX:-0}" -gt 0 ]; then
  for i in $(seq "$MIX"); do
    printf 'GET %s%s\n' "$url" "ep$i"
    [ "$i" -eq 1 ] && printf 'X-Request-Kind: bench\n'
    printf '\n'
  done >"$tmp/targets.txt"
  mixflags=(--targets "$tmp/targets.txt")
fi

echo "# $(date -u +%FT%TZ) $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
wrk_rate=$(wrk -t2 -c64 -d10s "$url" | awk '/^Requests\/sec:/ { print $2 }')
echo "wrk -t2 -c64 -d10s: ${wrk_rate} req/s; engine sender ${SENDER:-auto}; mix of ${MIX:-0} endpoints"

best=0
top=0
peak=0
misses=0
for r in "${rates[@]}"; do
  set +e
  "$tmp/headroom" loadtest run --engine builtin --arrivals constant --target "$url" --rate "$r" --duration 5s \
    --max-rate 1000000 --max-workers 1000 --sender "${SENDER:-auto}" "${mixflags[@]}" --out-file "$tmp/run-$r.json" >"$tmp/out-$r.txt" 2>/dev/null
  set -e
  completed=$(awk '/^offered/ { for (i = 1; i <= NF; i++) if ($i == "completed") print $(i+1) }' "$tmp/out-$r.txt")
  lag=$(grep '^send lag' "$tmp/out-$r.txt" | sed 's/.*: //')
  valid=$(grep '^valid:' "$tmp/out-$r.txt" | sed 's/^valid: //')
  achieved=$(awk -v n="$completed" 'BEGIN { printf "%.0f", n / 5 }')
  echo "rate $r/s: achieved ${achieved}/s; send lag ${lag}; valid: ${valid}"
  [ "$achieved" -gt "$peak" ] && peak=$achieved
  if [ "$achieved" -ge $((r * 97 / 100)) ]; then
    top=$r
    misses=0
    if [ "${valid%% *}" = "yes" ]; then best=$r; fi
  else
    misses=$((misses + 1))
    [ "$misses" -ge 2 ] && break
  fi
done
share() { awk -v a="$1" -v b="$wrk_rate" 'BEGIN { printf "%.0f", 100 * a / b }'; }
echo "RESULT: peak completions: ${peak} req/s = $(share "$peak") % of wrk's ${wrk_rate} req/s"
echo "RESULT: highest rate delivered (≥ 97 %): ${top} req/s = $(share "$top") % of wrk's"
echo "RESULT: highest rate delivered with a valid run (send-lag p99 < 5 ms): ${best} req/s = $(share "$best") % of wrk's"
