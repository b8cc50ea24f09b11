#!/usr/bin/env bash
# e2e suite 30-apiserver: headroom discover and headroom apply against a real
# kube-apiserver (built from k8s.io/kubernetes v1.37.2, hack/tools/apiserver)
# on etcd (Debian's etcd-server), both on loopback with random ports and
# temporary directories, RBAC on, killed on exit. No controller-manager, no
# nodes: the tests create the objects they read.
#
# Users (static tokens): admin (system:masters), reader (bound by the tests to
# cluster/rbac/discover-clusterrole.yaml) and applier (bound to
# cluster/rbac/apply-clusterrole.yaml); one kubeconfig holds a context each.
#
# HEADROOM_E2E_PATCHES=DIR dry-runs and applies DIR instead of the fixture
# cluster/testdata/patches.
set -euo pipefail
cd "$(dirname "$0")/../../.."
root=$(pwd)
source hack/e2e/lib.sh

need_debian etcd etcd-server openssl openssl curl curl
bash hack/tools/apiserver/build.sh

work=$(mktemp -d /tmp/headroom-e2e-apiserver.XXXXXX)
etcd_pid="" apiserver_pid="" prom_pid=""
cleanup() {
  local rc=$?
  # The API server first, while etcd still answers.
  stop_pids $apiserver_pid $etcd_pid $prom_pid
  if [ $rc -ne 0 ]; then
    echo "--- last lines of the kube-apiserver log"; tail -n 30 "$work/apiserver.log" 2>/dev/null || true
    echo "--- last lines of the etcd log"; tail -n 10 "$work/etcd.log" 2>/dev/null || true
  fi
  rm -rf "$work"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

admin_token=$(openssl rand -hex 16)
reader_token=$(openssl rand -hex 16)
applier_token=$(openssl rand -hex 16)
cat >"$work/tokens.csv" <<TOKENS
$admin_token,admin,admin,system:masters
$reader_token,reader,reader
$applier_token,applier,applier
TOKENS
start_apiserver "$work" "$admin_token"

# The serving certificate the apiserver generated in --cert-dir is
# self-signed for 127.0.0.1; trust exactly it.
kubeconfig="$work/kubeconfig"
{
  echo "apiVersion: v1"
  echo "kind: Config"
  echo "clusters:"
  echo "- name: e2e"
  echo "  cluster:"
  echo "    server: https://127.0.0.1:$api_port"
  echo "    certificate-authority: $work/certs/apiserver.crt"
  echo "users:"
  for u in admin reader applier; do
    tok_var="${u}_token"
    echo "- name: $u"
    echo "  user: {token: ${!tok_var}}"
  done
  echo "contexts:"
  for u in admin reader applier; do
    echo "- name: $u"
    echo "  context: {cluster: e2e, user: $u}"
  done
  echo "current-context: admin"
} >"$kubeconfig"

HEADROOM_E2E_KUBECONFIG="$kubeconfig" go test -tags e2e -count=1 -v -run '^TestClusterE2E_' ./cmd/headroom/

# The whole pipeline, observed inputs to a changed cluster: a real
# Prometheus over 14 days with known parameters → headroom observe → size →
# report → apply (dry run as the apply role, then --apply as admin) on the
# shop platform's objects in this API server. --vpa: the observed plan needs
# no HPA change, so the VPAs (their CRD installed by the Go tests above) are
# what there is to apply.
source hack/e2e/prometheus.sh
start_prometheus "$work/prom"
go build -o "$work/headroom" ./cmd/headroom
hr="$work/headroom"
"$hr" apply --kubeconfig "$kubeconfig" --context admin -f cluster/testdata/e2e/shop-namespace --allow-kind Namespace --apply >/dev/null
"$hr" apply --kubeconfig "$kubeconfig" --context admin -f cluster/testdata/e2e/shop --apply >/dev/null
"$hr" observe --prometheus-url "$prom_url" -f prom/testdata/shop.yaml --end "$prom_end" --out-file "$work/shop.yaml"
rc=0
"$hr" size -f "$work/shop.yaml" --scenario forecast-api >/dev/null || rc=$?
[ "$rc" -eq 0 ] || [ "$rc" -eq 3 ] || { echo "e2e: size on the observed plan exited $rc"; exit 1; }
rc=0
"$hr" report -f "$work/shop.yaml" --out-dir "$work/shop-report" --plots none --vpa >"$work/report.txt" 2>&1 || rc=$?
[ "$rc" -eq 0 ] || [ "$rc" -eq 3 ] || { cat "$work/report.txt"; echo "e2e: report exited $rc"; exit 1; }
"$hr" apply --kubeconfig "$kubeconfig" --context admin -f "$work/shop-report/patches" | tail -3
"$hr" apply --kubeconfig "$kubeconfig" --context admin -f "$work/shop-report/patches" --apply | tail -3
again=$("$hr" apply --kubeconfig "$kubeconfig" --context admin -f "$work/shop-report/patches")
echo "$again" | tail -1
echo "$again" | grep -Eq 'object\(s\): 0 to create, 0 to change, [0-9]+ unchanged, 0 rejected' ||
  { echo "e2e: after --apply the report's patches still change something"; exit 1; }
echo "e2e: observe → size → report → apply --apply ran end to end"
