package main

import (
	"archive/tar"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// selfSignedPEM is a CA bundle of one certificate made for the test.
func selfSignedPEM(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "headroom test CA"},
		NotBefore: time.Unix(0, 0), NotAfter: time.Unix(1<<32, 0), IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// buildGo compiles a one-file program with the environment env added.
func buildGo(t *testing.T, src string, env ...string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module stub\n\ngo 1.26\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-X main.version=v9.8.7", "-o", "stub")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %v: %v\n%s", env, err, out)
	}
	return filepath.Join(dir, "stub")
}

// stub stands in for headroom: `stub version` prints its -X version.
const stub = `package main

import (
	"fmt"
	"os"
)

var version = ""

func main() {
	if len(os.Args) == 2 && os.Args[1] == "version" {
		fmt.Printf("headroom %s\n", version)
		return
	}
	os.Exit(2)
}
`

// readBack writes img as `make image` does and reads it with
// go-containerregistry's tarball reader, as crane push would.
func readBack(t *testing.T, img v1.Image) (v1.Image, string) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "image.tar")
	if err := tarball.WriteToFile(p, name.MustParseReference("ghcr.io/headroom-dev/headroom:v9.8.7"), img); err != nil {
		t.Fatal(err)
	}
	back, err := tarball.ImageFromPath(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	return back, p
}

// files lists the layer's entries and returns the ones asked for.
func files(t *testing.T, img v1.Image, want ...string) (map[string]*tar.Header, map[string][]byte) {
	t.Helper()
	layers, err := img.Layers()
	if err != nil || len(layers) != 1 {
		t.Fatalf("layers %d, %v; want 1", len(layers), err)
	}
	rc, err := layers[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	hdrs, data := map[string]*tar.Header{}, map[string][]byte{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		hdrs[h.Name] = h
		for _, w := range want {
			if h.Name == w {
				if data[w], err = io.ReadAll(tr); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	return hdrs, data
}

// TestBuild_ReadBackAndRun: the image written as a tarball reads back with
// the config a restricted pod needs (a numeric non-root user, the binary as
// entrypoint), the labels, the CA bundle, and a binary that runs.
func TestBuild_ReadBackAndRun(t *testing.T) {
	bin := buildGo(t, stub, "CGO_ENABLED=0", "GOOS=linux")
	platform, err := Inspect(bin)
	if err != nil {
		t.Fatal(err)
	}
	if platform.OS != "linux" || platform.Architecture != runtime.GOARCH {
		t.Errorf("platform %+v, want linux/%s", platform, runtime.GOARCH)
	}
	binBytes, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	ca := selfSignedPEM(t)
	created := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	opts := Options{Binary: binBytes, Platform: platform, CACerts: ca, Version: "v9.8.7",
		Source: "https://github.com/headroom-dev/headroom", Revision: "1ade2001ade2", Created: created}
	img, err := Build(opts)
	if err != nil {
		t.Fatal(err)
	}
	back, _ := readBack(t, img)
	cf, err := back.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	c := cf.Config
	if c.User != "65532:65532" || strings.Join(c.Entrypoint, " ") != "/usr/local/bin/headroom" || len(c.Cmd) != 0 || cf.OS != "linux" || cf.Architecture != runtime.GOARCH {
		t.Errorf("config user %q entrypoint %q cmd %q platform %s/%s", c.User, c.Entrypoint, c.Cmd, cf.OS, cf.Architecture)
	}
	for k, v := range map[string]string{
		"org.opencontainers.image.version":  "v9.8.7",
		"org.opencontainers.image.source":   "https://github.com/headroom-dev/headroom",
		"org.opencontainers.image.revision": "1ade2001ade2",
		"org.opencontainers.image.created":  "2026-03-01T12:00:00Z",
	} {
		if c.Labels[k] != v {
			t.Errorf("label %s = %q, want %q", k, c.Labels[k], v)
		}
	}
	if !cf.Created.Time.Equal(created) {
		t.Errorf("created %v", cf.Created)
	}

	hdrs, data := files(t, back, "usr/local/bin/headroom", "etc/ssl/certs/ca-certificates.crt", "etc/passwd")
	if string(data["etc/ssl/certs/ca-certificates.crt"]) != string(ca) {
		t.Errorf("the CA bundle in the image differs from the input")
	}
	if !strings.Contains(string(data["etc/passwd"]), "nonroot:x:65532:65532:") {
		t.Errorf("passwd lacks the nonroot user: %q", data["etc/passwd"])
	}
	for name, want := range map[string]struct {
		mode     int64
		uid, gid int
	}{
		"usr/local/bin/headroom": {0o755, 0, 0}, "home/nonroot/": {0o700, 65532, 65532}, "tmp/": {0o1777, 0, 0},
		"etc/ssl/certs/ca-certificates.crt": {0o644, 0, 0},
	} {
		h := hdrs[name]
		if h == nil {
			t.Errorf("no %s in the layer", name)
			continue
		}
		if h.Mode != want.mode || h.Uid != want.uid || h.Gid != want.gid || !h.ModTime.Equal(created) {
			t.Errorf("%s: mode %o uid %d gid %d mtime %v; want %o %d %d %v", name, h.Mode, h.Uid, h.Gid, h.ModTime, want.mode, want.uid, want.gid, created)
		}
	}

	// The extracted binary runs.
	x := filepath.Join(t.TempDir(), "headroom")
	if err := os.WriteFile(x, data["usr/local/bin/headroom"], 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(x, "version").Output()
	if err != nil || string(out) != "headroom v9.8.7\n" {
		t.Errorf("extracted binary: %q, %v", out, err)
	}

	// The same inputs make the same image; another version another one.
	again, err := Build(opts)
	if err != nil {
		t.Fatal(err)
	}
	d1, _ := img.Digest()
	d2, _ := again.Digest()
	opts.Version = "v9.8.8"
	other, err := Build(opts)
	if err != nil {
		t.Fatal(err)
	}
	d3, _ := other.Digest()
	if d1 != d2 || d1 == d3 {
		t.Errorf("digests %s, %s (same inputs) and %s (another version)", d1, d2, d3)
	}
}

func TestBuild_Refuses(t *testing.T) {
	ca := selfSignedPEM(t)
	p := v1.Platform{OS: "linux", Architecture: "amd64"}
	for _, tt := range []struct {
		name string
		o    Options
		want string
	}{
		{"no binary", Options{CACerts: ca, Version: "v1.0.0", Platform: p}, "the binary is empty"},
		{"no certificates", Options{Binary: []byte("x"), CACerts: []byte("not PEM\n"), Version: "v1.0.0", Platform: p}, "CA certificates: no PEM certificate"},
		{"a key, not a certificate", Options{Binary: []byte("x"), CACerts: pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{1}}), Version: "v1.0.0", Platform: p}, "no PEM certificate"},
		{"no version", Options{Binary: []byte("x"), CACerts: ca, Platform: p}, "the version is empty"},
	} {
		if _, err := Build(tt.o); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want %q", tt.name, err, tt.want)
		}
	}
}

// TestInspect_Refuses: binaries an empty base cannot run are refused with
// the reason.
func TestInspect_Refuses(t *testing.T) {
	notGo := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(notGo, selfSignedPEM(t), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Inspect(notGo); err == nil || !strings.Contains(err.Error(), "not a Go executable") {
		t.Errorf("a PEM file: %v", err)
	}
	if _, err := exec.LookPath("gcc"); err != nil {
		t.Log("no gcc: the cgo case is not checked")
		return
	}
	cgo := buildGo(t, "package main\n\n// int one(void) { return 1; }\nimport \"C\"\n\nfunc main() { _ = C.one() }\n", "CGO_ENABLED=1", "GOOS=linux")
	if _, err := Inspect(cgo); err == nil || !strings.Contains(err.Error(), "built with CGO_ENABLED=\"1\"") {
		t.Errorf("a cgo binary: %v", err)
	}
}

// TestRun_WritesTheTarball: the command's own path, from files to the
// tarball, and its errors naming the flag.
func TestRun_WritesTheTarball(t *testing.T) {
	dir := t.TempDir()
	bin := buildGo(t, stub, "CGO_ENABLED=0", "GOOS=linux")
	ca := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ca, selfSignedPEM(t), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out.tar")
	if err := run(bin, ca, "v9.8.7", "https://example.com/src", "abc", 1772366400, "ghcr.io/headroom-dev/headroom:v9.8.7", out); err != nil {
		t.Fatal(err)
	}
	img, err := tarball.ImageFromPath(out, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cf, err := img.ConfigFile(); err != nil || cf.Config.Labels["org.opencontainers.image.source"] != "https://example.com/src" {
		t.Errorf("config %v, %v", cf, err)
	}
	if fi, err := os.Stat(out); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("tarball mode: %v %v", fi, err)
	}
	for _, tt := range []struct {
		bin, ca, tag, want string
	}{
		{bin, ca, "ghcr.io/headroom-dev/headroom", "-tag \"ghcr.io/headroom-dev/headroom\""},
		{bin, ca, "Bad/Tag:x", "-tag"},
		{bin, filepath.Join(dir, "missing.pem"), "example.com/a/b:c", "-ca: open"},
		{bin, bin, "example.com/a/b:c", "no PEM certificate"},
		{ca, ca, "example.com/a/b:c", "-binary:"},
	} {
		if err := run(tt.bin, tt.ca, "v1", "", "", 0, tt.tag, filepath.Join(dir, "x.tar")); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("run(%s, %s, %s): %v, want %q", filepath.Base(tt.bin), filepath.Base(tt.ca), tt.tag, err, tt.want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "x.tar")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a failed run left a tarball: %v", err)
	}
}
