# Starts a real Prometheus over 14 days of generated samples; source it.
#
# start_prometheus DIR [GENERATOR...] generates the samples with known
# parameters (prom/internal/gen, or the GENERATOR command, which is given
# -out DIR -end TIME), backfills them with `promtool tsdb create-blocks-from
# openmetrics` into DIR/data, starts Prometheus on a free loopback port and
# waits until it is ready. It sets prom_url, prom_end (the data's last
# instant) and prom_pid; the caller kills prom_pid on exit.
start_prometheus() {
  local work=$1
  shift
  need_debian prometheus prometheus promtool prometheus curl curl
  # The data ends an hour ago, on the hour, so every sample is in the past.
  prom_end=$(date -u -d "$(date -u +%Y-%m-%dT%H:00:00Z) - 1 hour" +%Y-%m-%dT%H:%M:%SZ)
  mkdir -p "$work/om" "$work/data"
  if [ $# -gt 0 ]; then
    echo "e2e: generating samples ending $prom_end with $*"
    "$@" -out "$work/om" -end "$prom_end"
  else
    echo "e2e: generating 14 days of samples ending $prom_end"
    go run ./prom/internal/gen/promgen -out "$work/om" -end "$prom_end"
  fi
  echo "e2e: backfilling $(ls "$work/om" | wc -l) blocks with promtool"
  local f
  for f in "$work"/om/*.om; do
    promtool tsdb create-blocks-from openmetrics -q "$f" "$work/data" >/dev/null
  done
  rm -rf "$work/om"

  local port="" p
  for _ in $(seq 1 50); do
    p=$(( 20000 + RANDOM % 20000 ))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then port=$p; break; fi
  done
  [ -n "$port" ] || { echo "e2e: no free port"; return 1; }

  cat >"$work/prometheus.yml" <<'YAML'
global:
  scrape_interval: 1m
scrape_configs: []
YAML
  prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/data" \
    --storage.tsdb.retention.time=60d --web.listen-address="127.0.0.1:$port" \
    >"$work/prometheus.log" 2>&1 &
  prom_pid=$!
  prom_url="http://127.0.0.1:$port"
  for _ in $(seq 1 120); do
    if curl -fsS "$prom_url/-/ready" >/dev/null 2>&1; then break; fi
    if ! kill -0 "$prom_pid" 2>/dev/null; then cat "$work/prometheus.log"; return 1; fi
    sleep 0.5
  done
  curl -fsS "$prom_url/-/ready" >/dev/null || { echo "e2e: prometheus not ready"; tail -20 "$work/prometheus.log"; return 1; }
  echo "e2e: prometheus $(prometheus --version 2>&1 | head -1 | awk '{print $3}') on $prom_url"
}
