# syntax=docker/dockerfile:1
# The headroom image for machines with a container daemon (Docker, Podman,
# BuildKit). It is the image `make image` builds without one: the same static
# binary (CGO_ENABLED=0, -trimpath, the same -ldflags) at
# /usr/local/bin/headroom, CA certificates, user 65532:65532, no shell.
#
#   docker build --build-arg VERSION=$(git describe --tags --always) \
#     --build-arg REVISION=$(git rev-parse HEAD) -t ghcr.io/you/headroom:v0.1.0 .
#   docker buildx build --platform linux/amd64,linux/arm64 ... --push .

FROM --platform=$BUILDPLATFORM golang:1.26 AS build
ARG TARGETOS=linux
ARG TARGETARCH
ARG VERSION=dev
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/headroom ./cmd/headroom

# distroless/static:nonroot has CA certificates, /etc/passwd with the
# nonroot user (65532) and no shell or package manager.
FROM gcr.io/distroless/static:nonroot
ARG VERSION=dev
ARG REVISION=""
LABEL org.opencontainers.image.title="headroom" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.source="https://github.com/headroom-dev/headroom" \
      org.opencontainers.image.revision="${REVISION}"
COPY --from=build /out/headroom /usr/local/bin/headroom
USER 65532:65532
WORKDIR /home/nonroot
ENTRYPOINT ["/usr/local/bin/headroom"]
