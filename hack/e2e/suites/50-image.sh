#!/usr/bin/env bash
# The container image without a daemon: `make image` builds the tarball
# (installing ca-certificates if the machine lacks them), then a Go test reads
# it back with go-containerregistry and runs the headroom binary extracted
# from its layer. A release-shaped VERSION, so the binary's default image is
# the tag of its own version.
set -euo pipefail
cd "$(dirname "$0")/../../.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
version=v0.0.0-e2e.1
make -s image VERSION="$version" IMAGE_TAR="$out/headroom-image.tar"
ls -l "$out/headroom-image.tar"
HEADROOM_E2E_IMAGE="$out/headroom-image.tar" HEADROOM_E2E_VERSION="$version" \
  go test -count=1 -tags e2e -run 'TestMakeImage' -v ./hack/image
