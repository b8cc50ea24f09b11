# headroom — build, test, benchmark, demo.
GO      ?= go
BIN     := bin/headroom
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
PLAN    ?= scenarios/examples/noa.yaml

.PHONY: all build test bench e2e demo vet fmt fuzz clean image schemas

all: build

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/headroom

# The container image as a tarball, without a container daemon (README
# "Container image"): the static binary, CA certificates and a non-root user
# on an empty base, for `crane push` or `docker load`. The Dockerfile builds
# the same image where there is a daemon.
IMAGE_REPO ?= ghcr.io/headroom-dev/headroom
IMAGE_TAR  ?= bin/headroom-image.tar
IMAGE_ARCH ?= $(shell $(GO) env GOARCH)
image:
	@GO="$(GO)" VERSION="$(VERSION)" IMAGE_REPO="$(IMAGE_REPO)" IMAGE_TAR="$(IMAGE_TAR)" GOARCH="$(IMAGE_ARCH)" bash hack/image/build.sh

# The test command the README and CI run: vet, formatting, and every unit,
# conformance and golden test with the race detector off (the model is pure).
# The CLI package runs the bundled example's review (a recommender search on
# its ensemble, each caller with its callees) in many tests: about 30 minutes
# on 2 cores, past go test's default 10-minute limit.
test:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt would change: $$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 60m ./...

# Go benchmarks; record the numbers in the issue note.
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# End-to-end tests against real components: every suite in hack/e2e/suites,
# each installing what it needs. E2E_ONLY=name runs one.
e2e:
	@bash hack/e2e/run

# The capacity review of the bundled NOA example, written to $(REPORT)/.
# Exit code 3 means a service is at risk: that is the finding, not a failure
# of the demo.
REPORT ?= report
demo: build
	@./$(BIN) report -f $(PLAN) --out-dir $(REPORT); rc=$$?; \
	if [ $$rc -eq 3 ]; then echo "(exit 3: the review flags the risks above; open $(REPORT)/report.html)"; exit 0; fi; exit $$rc

# Run every fuzz target for FUZZTIME each. Each new input the fuzzer keeps is
# minimised for at most FUZZMINIMIZE (Go's default is 60s, which left a 20s
# run with a dozen executions); the total executions per target are printed.
FUZZTIME ?= 30s
FUZZMINIMIZE ?= 1s
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "fuzz $$pkg $$t"; \
	    out=$$($(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZE) $$pkg 2>&1); rc=$$?; \
	    if [ $$rc -ne 0 ]; then echo "$$out"; exit 1; fi; echo "$$out" | grep 'execs:' | tail -n 1; \
	  done; \
	done

clean:
	rm -rf bin

# Regenerate docs/schema/*.json from the Go types (review the diff).
schemas:
	$(GO) test ./cmd/headroom -run TestSchemas_UpToDate -update-schemas
