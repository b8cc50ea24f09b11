//go:build e2e

package main

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// TestMakeImage reads the tarball `make image` wrote (the suite
// hack/e2e/suites/50-image.sh runs it with HEADROOM_E2E_IMAGE and
// HEADROOM_E2E_VERSION), checks its config, and runs the headroom binary
// extracted from its layer: `version` prints the version the image is
// labelled with, and `sweep job` defaults to the image of that version.
func TestMakeImage(t *testing.T) {
	path, version := os.Getenv("HEADROOM_E2E_IMAGE"), os.Getenv("HEADROOM_E2E_VERSION")
	if path == "" || version == "" {
		t.Skip("HEADROOM_E2E_IMAGE and HEADROOM_E2E_VERSION are set by hack/e2e/suites/50-image.sh")
	}
	img, err := tarball.ImageFromPath(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	m, err := tarball.LoadManifest(func() (io.ReadCloser, error) { return os.Open(path) })
	if err != nil || len(m) != 1 || len(m[0].RepoTags) != 1 || m[0].RepoTags[0] != "ghcr.io/headroom-dev/headroom:"+version {
		t.Errorf("docker save manifest %+v, %v: want one image tagged ghcr.io/headroom-dev/headroom:%s", m, err, version)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	c := cf.Config
	if c.User != "65532:65532" || strings.Join(c.Entrypoint, " ") != "/usr/local/bin/headroom" || cf.OS != "linux" {
		t.Errorf("config: user %q entrypoint %q os %q", c.User, c.Entrypoint, cf.OS)
	}
	if c.Labels["org.opencontainers.image.version"] != version || c.Labels["org.opencontainers.image.source"] != "https://github.com/headroom-dev/headroom" ||
		len(c.Labels["org.opencontainers.image.revision"]) != 40 {
		t.Errorf("labels %v", c.Labels)
	}
	_, data := files(t, img, "usr/local/bin/headroom", "etc/ssl/certs/ca-certificates.crt")
	machineCA, err := os.ReadFile("/etc/ssl/certs/ca-certificates.crt")
	if err != nil || !bytes.Equal(machineCA, data["etc/ssl/certs/ca-certificates.crt"]) {
		t.Errorf("the image's CA bundle is not the build machine's (%v)", err)
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "headroom")
	if err := os.WriteFile(bin, data["usr/local/bin/headroom"], 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := Inspect(bin); err != nil {
		t.Errorf("the image's binary: %v", err)
	}
	out, err := exec.Command(bin, "version").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "headroom "+version+" (") {
		t.Fatalf("headroom version: %v\n%s", err, out)
	}
	t.Logf("%s", out)
	job := exec.Command(bin, "sweep", "job", "-f", "scenarios/examples/noa.yaml", "--grid", "cmd/headroom/testdata/sweep-grid.yaml", "--shards", "2")
	job.Dir = "../.."
	var stderr bytes.Buffer
	job.Stderr = &stderr
	y, err := job.Output()
	if err != nil || !strings.Contains(string(y), "image: ghcr.io/headroom-dev/headroom:"+version+"\n") || strings.Contains(stderr.String(), "warning:") {
		t.Errorf("sweep job: %v, image lines %q, stderr %s", err, grep(string(y), "image:"), stderr.String())
	}
}

func grep(s, sub string) []string {
	var l []string
	for _, line := range strings.Split(s, "\n") {
		if strings.Contains(line, sub) {
			l = append(l, strings.TrimSpace(line))
		}
	}
	return l
}
