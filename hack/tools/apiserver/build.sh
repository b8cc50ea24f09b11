#!/usr/bin/env bash
# Builds bin/kube-apiserver from this tools module, unless bin/ already holds
# one built from the same go.mod/go.sum/main.go (bin/kube-apiserver.stamp keeps
# their hash). A cold build takes several minutes; a warm one is a hash check.
set -euo pipefail
root="$(cd "$(dirname "$0")/../../.." && pwd)"
tools="$root/hack/tools/apiserver"
bin="$root/bin"
want="$(cat "$tools/go.mod" "$tools/go.sum" "$tools/main.go" | sha256sum | cut -d' ' -f1) $(go env GOVERSION)"
if [ -x "$bin/kube-apiserver" ] && [ -f "$bin/kube-apiserver.stamp" ] &&
  [ "$(cat "$bin/kube-apiserver.stamp")" = "$want" ]; then
  echo "apiserver: bin/kube-apiserver is up to date"
  exit 0
fi
mkdir -p "$bin"
echo "apiserver: building bin/kube-apiserver (k8s.io/kubernetes, several minutes cold)"
start=$(date +%s)
rm -f "$bin/kube-apiserver.stamp"
# GOFLAGS is cleared so a caller's -mod=vendor or similar cannot leak in; the
# tools module resolves through its own go.sum.
(cd "$tools" && GOFLAGS=-buildvcs=false CGO_ENABLED=0 go build -trimpath -o "$bin/kube-apiserver.tmp" .)
mv "$bin/kube-apiserver.tmp" "$bin/kube-apiserver"
echo "$want" >"$bin/kube-apiserver.stamp"
echo "apiserver: built in $(( $(date +%s) - start ))s"
