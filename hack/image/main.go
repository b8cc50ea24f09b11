// Command image builds the headroom container image without a container
// daemon, with go-containerregistry: the static binary, the build machine's
// CA certificates and a non-root user on an empty base, written as a
// `docker save`-compatible tarball that `crane push` and `docker load`
// read. `make image` runs it (hack/image/build.sh builds the binary):
//
//	go run ./hack/image -binary bin/linux_amd64/headroom -version v0.3.0 \
//	  -revision $(git rev-parse HEAD) -created $(git log -1 --format=%ct) \
//	  -tag ghcr.io/headroom-dev/headroom:v0.3.0 -o bin/headroom-image.tar
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

func main() {
	binary := flag.String("binary", "", "the headroom executable (GOOS=linux, CGO_ENABLED=0)")
	ca := flag.String("ca", "/etc/ssl/certs/ca-certificates.crt", "PEM bundle of CA certificates")
	version := flag.String("version", "", "the version the binary was built with (label org.opencontainers.image.version)")
	source := flag.String("source", "https://github.com/headroom-dev/headroom", "the source repository (label org.opencontainers.image.source)")
	revision := flag.String("revision", "", "the commit (label org.opencontainers.image.revision)")
	created := flag.Int64("created", 0, "the image's date, Unix seconds (the commit's date, for a reproducible digest)")
	tag := flag.String("tag", "", "the image's name in the tarball, registry/repository:tag")
	out := flag.String("o", "bin/headroom-image.tar", "the tarball to write")
	flag.Parse()
	if err := run(*binary, *ca, *version, *source, *revision, *created, *tag, *out); err != nil {
		fmt.Fprintln(os.Stderr, "image:", err)
		os.Exit(1)
	}
}

func run(binary, ca, version, source, revision string, created int64, tag, out string) error {
	if binary == "" || version == "" || tag == "" {
		return fmt.Errorf("-binary, -version and -tag are required")
	}
	ref, err := name.NewTag(tag, name.StrictValidation)
	if err != nil {
		return fmt.Errorf("-tag %q: %w", tag, err)
	}
	platform, err := Inspect(binary)
	if err != nil {
		return fmt.Errorf("-binary: %w", err)
	}
	bin, err := readFile("binary", binary)
	if err != nil {
		return err
	}
	certs, err := readFile("ca", ca)
	if err != nil {
		return err
	}
	if err := checkCACerts(certs); err != nil {
		return fmt.Errorf("-ca %s: %w", ca, err)
	}
	img, err := Build(Options{Binary: bin, Platform: platform, CACerts: certs, Version: version,
		Source: source, Revision: revision, Created: time.Unix(created, 0).UTC()})
	if err != nil {
		return err
	}
	// Written beside the target and renamed: an interrupted build leaves
	// the previous tarball, not half of one.
	tmp, err := os.CreateTemp(filepath.Dir(out), filepath.Base(out)+".tmp-*")
	if err != nil {
		return err
	}
	tmp.Close()
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tarball.WriteToFile(tmp.Name(), ref, img); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return err
	}
	d, err := img.Digest()
	if err != nil {
		return err
	}
	fmt.Printf("wrote %s: %s (%s/%s) %s\n", out, ref, platform.OS, platform.Architecture, d)
	return nil
}
