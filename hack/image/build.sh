#!/usr/bin/env bash
# make image: the headroom container image as a tarball, without a container
# daemon. Builds the static binary the Dockerfile builds (CGO_ENABLED=0,
# -trimpath, the same -ldflags), then hack/image puts it with the build
# machine's CA certificates on an empty base. Variables (make passes them):
#   VERSION     the version stamped into the binary and the image's label
#   IMAGE_REPO  the repository in the image's name (ghcr.io/headroom-dev/headroom)
#   IMAGE_TAR   the tarball (bin/headroom-image.tar)
#   GOARCH      the image's architecture (make's IMAGE_ARCH; default: this machine's)
set -euo pipefail
cd "$(dirname "$0")/../.."
GO=${GO:-go}
VERSION=${VERSION:-dev}
IMAGE_REPO=${IMAGE_REPO:-ghcr.io/headroom-dev/headroom}
IMAGE_TAR=${IMAGE_TAR:-bin/headroom-image.tar}
GOARCH=${GOARCH:-$($GO env GOARCH)}
CA=/etc/ssl/certs/ca-certificates.crt

if [ ! -s "$CA" ]; then
  echo "image: $CA is missing; installing Debian's ca-certificates"
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends ca-certificates >/dev/null
fi

# A tag names at most 128 of [A-Za-z0-9_.-], not starting with . or -
# (distribution/reference, reference.go, tag); `git describe` output fits.
tag=$VERSION
if ! [[ $tag =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]]; then tag=dev; fi

revision=$(git rev-parse HEAD 2>/dev/null || echo "")
created=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}
bin=bin/linux_$GOARCH/headroom
mkdir -p "$(dirname "$bin")" "$(dirname "$IMAGE_TAR")"
CGO_ENABLED=0 GOOS=linux GOARCH=$GOARCH $GO build -trimpath -ldflags "-s -w -X main.version=$VERSION" -o "$bin" ./cmd/headroom
$GO run ./hack/image -binary "$bin" -ca "$CA" -version "$VERSION" -revision "$revision" \
  -created "$created" -tag "$IMAGE_REPO:$tag" -o "$IMAGE_TAR"
