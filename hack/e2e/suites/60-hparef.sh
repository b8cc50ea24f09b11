#!/usr/bin/env bash
# e2e suite 60-hparef: the real HPA controller as referee for sim/hpa.
#
# etcd, kube-apiserver and kube-controller-manager (both built from
# k8s.io/kubernetes v1.37.2 by hack/tools/apiserver/build.sh, cached under
# bin/) run on loopback with random ports and temporary directories. The
# controller-manager runs only the HPA, deployment and replica-set
# controllers, with time compressed 7.5x (sync period 2s; the HPA flags are
# all set explicitly below and must match hack/hparef/traces.go).
#
# hack/hparef (Go) is everything else: a front proxy between the
# controller-manager and the API server that answers metrics.k8s.io,
# custom.metrics.k8s.io and external.metrics.k8s.io (discovery included)
# from the driven traces and forwards the rest; a fake kubelet for the
# pods; the traces; the recorder of every sync (inputs read, decisions
# written); and the replay of the recording through sim/hpa, which fails
# the suite on any different decision.
#
# HEADROOM_HPAREF_UPDATE=1 copies the recording to
# testdata/conformance/hpa_sequences.json (replayed by `make test`).
# HEADROOM_HPAREF_TRACES=REGEXP runs only the matching traces.
set -euo pipefail
cd "$(dirname "$0")/../../.."
root=$(pwd)
source hack/e2e/lib.sh

need_debian etcd etcd-server openssl openssl curl curl
bash hack/tools/apiserver/build.sh kube-apiserver
bash hack/tools/apiserver/build.sh kube-controller-manager
go build -o "$root/bin/hparef" ./hack/hparef

work=$(mktemp -d /tmp/headroom-e2e-hparef.XXXXXX)
etcd_pid="" apiserver_pid="" kcm_pid="" driver_pid=""
cleanup() {
  local rc=$?
  # The controller-manager and the driver first, then the API server while
  # etcd still answers.
  stop_pids $driver_pid $kcm_pid $apiserver_pid $etcd_pid
  if [ $rc -ne 0 ]; then
    echo "--- last lines of the kube-controller-manager log"; tail -n 40 "$work/kcm.log" 2>/dev/null || true
    echo "--- last lines of the kube-apiserver log"; tail -n 20 "$work/apiserver.log" 2>/dev/null || true
    echo "--- last lines of the etcd log"; tail -n 10 "$work/etcd.log" 2>/dev/null || true
  fi
  rm -rf "$work"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

admin_token=$(openssl rand -hex 16)
echo "$admin_token,admin,admin,system:masters" >"$work/tokens.csv"
echo "$admin_token" >"$work/token"
start_apiserver "$work" "$admin_token"

"$root/bin/hparef" -apiserver "https://127.0.0.1:$api_port" -ca "$work/certs/apiserver.crt" \
  -token-file "$work/token" -addr-file "$work/proxy-addr" -out "$work/hpa_sequences.json" \
  -traces "${HEADROOM_HPAREF_TRACES:-}" &
driver_pid=$!
for _ in $(seq 100); do [ -s "$work/proxy-addr" ] && break; sleep 0.1; done
[ -s "$work/proxy-addr" ] || { echo "e2e: hparef did not start its proxy"; exit 1; }

# The controller-manager talks to the API server only through the proxy,
# in JSON so that the recorder can read the scale and status writes.
cat >"$work/kcm.kubeconfig" <<KC
apiVersion: v1
kind: Config
clusters:
- name: proxy
  cluster: {server: "http://$(cat "$work/proxy-addr")"}
users:
- name: admin
  user: {token: $admin_token}
contexts:
- name: proxy
  context: {cluster: proxy, user: admin}
current-context: proxy
KC
"$root/bin/kube-controller-manager" \
  --kubeconfig "$work/kcm.kubeconfig" \
  --controllers horizontal-pod-autoscaler-controller,deployment-controller,replicaset-controller \
  --leader-elect=false --secure-port 0 \
  --kube-api-content-type application/json --kube-api-qps 500 --kube-api-burst 1000 \
  --feature-gates HPAScaleToZero=true \
  --horizontal-pod-autoscaler-sync-period 2s \
  --horizontal-pod-autoscaler-downscale-stabilization 41s \
  --horizontal-pod-autoscaler-cpu-initialization-period 40s \
  --horizontal-pod-autoscaler-initial-readiness-delay 4s \
  --horizontal-pod-autoscaler-tolerance 0.1 \
  --concurrent-horizontal-pod-autoscaler-syncs 10 \
  --concurrent-deployment-syncs 10 --concurrent-replicaset-syncs 10 \
  >"$work/kcm.log" 2>&1 &
kcm_pid=$!

rc=0
wait "$driver_pid" || rc=$?
driver_pid=""
if [ "$rc" -ne 0 ]; then
  echo "e2e: hparef failed ($rc)"
  [ -s "$work/hpa_sequences.json" ] && cp "$work/hpa_sequences.json" /tmp/headroom-hparef-failed.json &&
    echo "e2e: the recording is kept in /tmp/headroom-hparef-failed.json"
  exit 1
fi
if [ "${HEADROOM_HPAREF_UPDATE:-}" = 1 ]; then
  cp "$work/hpa_sequences.json" testdata/conformance/hpa_sequences.json
  echo "e2e: recording written to testdata/conformance/hpa_sequences.json"
fi
# The recording replays offline as `make test` does (with a subset of the
# traces, only the replay: the subset may hold no decision a tolerance of 0.2
# or the pre-1.37 zero rule would change).
tests='^TestHPASequences'
[ -n "${HEADROOM_HPAREF_TRACES:-}" ] && tests='^TestHPASequences$'
HEADROOM_HPA_SEQUENCES="$work/hpa_sequences.json" go test -count=1 -run "$tests" ./sim/hpa/
