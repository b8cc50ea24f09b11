# Shared helpers for e2e suites; source it.

# need_debian installs the named Debian packages if their commands are missing.
# Usage: need_debian COMMAND PACKAGE [COMMAND PACKAGE ...]
need_debian() {
  local missing=()
  while [ $# -gt 1 ]; do
    command -v "$1" >/dev/null 2>&1 || missing+=("$2")
    shift 2
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "e2e: installing Debian packages: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo=sudo
  if [ ! -f /tmp/.headroom-apt-updated ]; then
    $sudo apt-get update -qq && touch /tmp/.headroom-apt-updated
  fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# free_port prints a loopback port nothing listens on.
free_port() {
  local p
  for _ in $(seq 1 100); do
    p=$(( 20000 + RANDOM % 40000 ))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return 0
    fi
  done
  echo "e2e: no free port" >&2
  return 1
}

# stop_pids stops each process in order: SIGTERM, up to 15 s, then SIGKILL.
# Give an API server before its etcd: its graceful shutdown against a dead
# etcd can retry for many minutes.
stop_pids() {
  local pid
  for pid in "$@"; do
    kill "$pid" 2>/dev/null || continue
    for _ in $(seq 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
}

# start_apiserver WORK ADMIN_TOKEN starts etcd (Debian's etcd-server) and
# bin/kube-apiserver on loopback with random ports, state under WORK, RBAC
# on, static tokens from WORK/tokens.csv (the caller writes it; ADMIN_TOKEN
# must be a system:masters token in it), and waits up to 180 s for /readyz.
# It sets etcd_pid, apiserver_pid and api_port; the serving certificate is
# WORK/certs/apiserver.crt. Logs: WORK/etcd.log, WORK/apiserver.log.
start_apiserver() {
  local work=$1 admin_token=$2 etcd_port peer_port start
  etcd_port=$(free_port)
  peer_port=$(free_port)
  api_port=$(free_port)

  etcd --name e2e --data-dir "$work/etcd" \
    --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
    --listen-peer-urls "http://127.0.0.1:$peer_port" --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" \
    --initial-cluster "e2e=http://127.0.0.1:$peer_port" >"$work/etcd.log" 2>&1 &
  etcd_pid=$!

  openssl genrsa -out "$work/sa.key" 2048 2>/dev/null
  openssl rsa -in "$work/sa.key" -pubout -out "$work/sa.pub" 2>/dev/null

  "$root/bin/kube-apiserver" \
    --etcd-servers "http://127.0.0.1:$etcd_port" \
    --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$api_port" \
    --cert-dir "$work/certs" \
    --token-auth-file "$work/tokens.csv" \
    --authorization-mode RBAC \
    --service-account-key-file "$work/sa.pub" \
    --service-account-signing-key-file "$work/sa.key" \
    --service-account-issuer https://kubernetes.default.svc \
    --service-cluster-ip-range 10.96.0.0/24 \
    --enable-priority-and-fairness=false \
    --endpoint-reconciler-type none \
    >"$work/apiserver.log" 2>&1 &
  apiserver_pid=$!

  echo "e2e: waiting for kube-apiserver on 127.0.0.1:$api_port"
  start=$(date +%s)
  until curl -sfk -H "Authorization: Bearer $admin_token" "https://127.0.0.1:$api_port/readyz" >/dev/null 2>&1; do
    if ! kill -0 "$apiserver_pid" 2>/dev/null; then echo "e2e: kube-apiserver exited"; return 1; fi
    if ! kill -0 "$etcd_pid" 2>/dev/null; then echo "e2e: etcd exited"; return 1; fi
    if [ $(( $(date +%s) - start )) -gt 180 ]; then echo "e2e: kube-apiserver not ready after 180s"; return 1; fi
    sleep 1
  done
  echo "e2e: kube-apiserver ready after $(( $(date +%s) - start ))s"
}
