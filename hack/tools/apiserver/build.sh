#!/usr/bin/env bash
# Builds bin/<name> from this tools module, unless bin/ already holds one built
# from the same go.mod/go.sum/main package (bin/<name>.stamp keeps their hash).
# Usage: build.sh [kube-apiserver|kube-controller-manager] (default
# kube-apiserver). A cold build takes several minutes; a warm one is a hash
# check. kube-apiserver's main package is this directory, the controller
# manager's is kube-controller-manager/.
set -euo pipefail
root="$(cd "$(dirname "$0")/../../.." && pwd)"
tools="$root/hack/tools/apiserver"
bin="$root/bin"
name="${1:-kube-apiserver}"
case "$name" in
kube-apiserver) pkg=. ;;
kube-controller-manager) pkg=./kube-controller-manager ;;
*) echo "build.sh: unknown binary $name (kube-apiserver or kube-controller-manager)" >&2; exit 2 ;;
esac
want="$(cat "$tools/go.mod" "$tools/go.sum" "$tools/$pkg/main.go" | sha256sum | cut -d' ' -f1) $(go env GOVERSION)"
if [ -x "$bin/$name" ] && [ -f "$bin/$name.stamp" ] &&
  [ "$(cat "$bin/$name.stamp")" = "$want" ]; then
  echo "$name: bin/$name is up to date"
  exit 0
fi
mkdir -p "$bin"
echo "$name: building bin/$name (k8s.io/kubernetes, several minutes cold)"
start=$(date +%s)
rm -f "$bin/$name.stamp"
# GOFLAGS is cleared so a caller's -mod=vendor or similar cannot leak in; the
# tools module resolves through its own go.sum.
(cd "$tools" && GOFLAGS=-buildvcs=false CGO_ENABLED=0 go build -trimpath -o "$bin/$name.tmp" "$pkg")
mv "$bin/$name.tmp" "$bin/$name"
echo "$want" >"$bin/$name.stamp"
echo "$name: built in $(( $(date +%s) - start ))s"
