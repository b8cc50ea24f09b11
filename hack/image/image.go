package main

import (
	"archive/tar"
	"bytes"
	"crypto/x509"
	"debug/buildinfo"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// Paths and identity inside the image. They match the Dockerfile's final
// stage, gcr.io/distroless/static:nonroot (GoogleContainerTools/distroless,
// base/base.bzl: the "nonroot" user is uid and gid 65532 with home
// /home/nonroot; CA certificates at /etc/ssl/certs/ca-certificates.crt).
const (
	binaryPath = "/usr/local/bin/headroom"
	caPath     = "/etc/ssl/certs/ca-certificates.crt"
	nonrootID  = 65532
	user       = "65532:65532"
	home       = "/home/nonroot"
	pathEnv    = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
)

// Options describe the image: the files that go in and the labels.
type Options struct {
	// Binary is the headroom executable; Inspect says whether it can run
	// on an empty base.
	Binary []byte
	// Platform is the binary's, from Inspect.
	Platform v1.Platform
	// CACerts is a PEM bundle of the certificates the binary trusts.
	CACerts []byte
	// Version, Source and Revision become the OCI annotations of the same
	// name (opencontainers/image-spec, annotations.md, "Pre-Defined
	// Annotation Keys"), as image labels.
	Version, Source, Revision string
	// Created dates the image and every file in it: a fixed time makes the
	// same inputs give the same image digest.
	Created time.Time
}

// Inspect reads a Go executable's build information and ELF headers and
// returns the platform it runs on; it refuses a binary that needs anything
// an empty image lacks: one built with cgo, one for another OS than Linux,
// or one with a dynamic loader (an ELF PT_INTERP program header).
func Inspect(path string) (v1.Platform, error) {
	bi, err := buildinfo.ReadFile(path)
	if err != nil {
		return v1.Platform{}, fmt.Errorf("%s: not a Go executable: %w", path, err)
	}
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	if settings["GOOS"] != "linux" {
		return v1.Platform{}, fmt.Errorf("%s: built for GOOS=%q; an image needs GOOS=linux", path, settings["GOOS"])
	}
	if settings["CGO_ENABLED"] != "0" {
		return v1.Platform{}, fmt.Errorf("%s: built with CGO_ENABLED=%q; an empty base has no C library, build with CGO_ENABLED=0", path, settings["CGO_ENABLED"])
	}
	f, err := elf.Open(path)
	if err != nil {
		return v1.Platform{}, fmt.Errorf("%s: %w", path, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return v1.Platform{}, fmt.Errorf("%s: dynamically linked (it names a program interpreter); an empty base has none", path)
		}
	}
	p := v1.Platform{OS: "linux", Architecture: settings["GOARCH"]}
	switch p.Architecture {
	case "arm":
		p.Variant = "v" + settings["GOARM"]
	case "arm64":
		p.Variant = "v8"
	case "":
		return v1.Platform{}, fmt.Errorf("%s: its build information has no GOARCH", path)
	}
	return p, nil
}

// checkCACerts refuses a bundle with no certificate in it: the binary
// would trust nothing and every HTTPS call would fail.
func checkCACerts(pem []byte) error {
	if !x509.NewCertPool().AppendCertsFromPEM(pem) {
		return errors.New("no PEM certificate in it")
	}
	return nil
}

// Build assembles the image: one layer on an empty base holding the
// binary, the CA certificates, passwd and group entries for the non-root
// user, its home and a /tmp; the config runs the binary as that user.
func Build(o Options) (v1.Image, error) {
	if len(o.Binary) == 0 {
		return nil, errors.New("the binary is empty")
	}
	if err := checkCACerts(o.CACerts); err != nil {
		return nil, fmt.Errorf("CA certificates: %w", err)
	}
	if o.Version == "" {
		return nil, errors.New("the version is empty")
	}
	layerTar, err := layer(o)
	if err != nil {
		return nil, err
	}
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerTar)), nil
	}, tarball.WithCompressedCaching)
	if err != nil {
		return nil, err
	}
	img, err := mutate.Append(empty.Image, mutate.Addendum{
		Layer:   l,
		History: v1.History{Created: v1.Time{Time: o.Created}, CreatedBy: "make image (hack/image)", Comment: "headroom " + o.Version},
	})
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Variant = o.Platform.OS, o.Platform.Architecture, o.Platform.Variant
	cf.Created = v1.Time{Time: o.Created}
	cf.Config = v1.Config{
		Entrypoint: []string{binaryPath},
		User:       user,
		WorkingDir: home,
		Env:        []string{pathEnv, "SSL_CERT_FILE=" + caPath},
		Labels:     labels(o),
	}
	return mutate.ConfigFile(img, cf)
}

// labels are the OCI pre-defined annotations the image carries as labels.
func labels(o Options) map[string]string {
	l := map[string]string{
		"org.opencontainers.image.title":   "headroom",
		"org.opencontainers.image.version": o.Version,
		"org.opencontainers.image.created": o.Created.UTC().Format(time.RFC3339),
	}
	if o.Source != "" {
		l["org.opencontainers.image.source"] = o.Source
	}
	if o.Revision != "" {
		l["org.opencontainers.image.revision"] = o.Revision
	}
	return l
}

// layer writes the layer's uncompressed tar: parent directories before
// their files, every entry dated o.Created, owned by root except the
// user's home.
func layer(o Options) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	dir := func(name string, mode int64, id int) error {
		return tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: name + "/", Mode: mode,
			Uid: id, Gid: id, ModTime: o.Created, Format: tar.FormatPAX})
	}
	file := func(name string, mode int64, data []byte) error {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode, Size: int64(len(data)),
			ModTime: o.Created, Format: tar.FormatPAX}); err != nil {
			return err
		}
		_, err := tw.Write(data)
		return err
	}
	passwd := "root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:" + home + ":/sbin/nologin\n"
	group := "root:x:0:\nnonroot:x:65532:\n"
	steps := []func() error{
		func() error { return dir("etc", 0o755, 0) },
		func() error { return file("etc/passwd", 0o644, []byte(passwd)) },
		func() error { return file("etc/group", 0o644, []byte(group)) },
		func() error { return dir("etc/ssl", 0o755, 0) },
		func() error { return dir("etc/ssl/certs", 0o755, 0) },
		func() error { return file(strings.TrimPrefix(caPath, "/"), 0o644, o.CACerts) },
		func() error { return dir("home", 0o755, 0) },
		func() error { return dir(strings.TrimPrefix(home, "/"), 0o700, nonrootID) },
		func() error { return dir("tmp", 0o1777, 0) },
		func() error { return dir("usr", 0o755, 0) },
		func() error { return dir("usr/local", 0o755, 0) },
		func() error { return dir("usr/local/bin", 0o755, 0) },
		func() error { return file(strings.TrimPrefix(binaryPath, "/"), 0o755, o.Binary) },
		tw.Close,
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, err
		}
	}
	return buf.Bytes(), nil
}

// readFile reads a named input of the build, naming the flag it came from.
func readFile(flag, path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("-%s: %w", flag, err)
	}
	return b, nil
}
