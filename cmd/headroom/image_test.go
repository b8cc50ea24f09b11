package main

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
)

func TestDefaultImage(t *testing.T) {
	for _, tt := range []struct {
		version  string
		want     string
		released bool
	}{
		{"v1.4.0", "ghcr.io/headroom-dev/headroom:v1.4.0", true},
		{"v0.3.0-rc.1", "ghcr.io/headroom-dev/headroom:v0.3.0-rc.1", true},
		{"(devel)", "ghcr.io/headroom-dev/headroom:dev", false},
		{"", "ghcr.io/headroom-dev/headroom:dev", false},
		{"1ade200-dirty", "ghcr.io/headroom-dev/headroom:dev", false},                              // git describe without a tag
		{"v1.4.0-3-g1ade200", "ghcr.io/headroom-dev/headroom:dev", false},                          // git describe after a tag
		{"v1.4.0-dirty", "ghcr.io/headroom-dev/headroom:dev", false},                               // a tag with local changes
		{"v1.4.1-0.20260101120000-1ade2001ade2+dirty", "ghcr.io/headroom-dev/headroom:dev", false}, // a Go pseudo-version
		{"v0.0.0-20260101120000-1ade2001ade2", "ghcr.io/headroom-dev/headroom:dev", false},
		{"v01.2.3", "ghcr.io/headroom-dev/headroom:dev", false},
		{"1.2.3", "ghcr.io/headroom-dev/headroom:dev", false},
	} {
		got, released := defaultImage(tt.version)
		if got != tt.want || released != tt.released {
			t.Errorf("defaultImage(%q) = %q, %v; want %q, %v", tt.version, got, released, tt.want, tt.released)
		}
		if _, err := name.ParseReference(got, name.StrictValidation); err != nil {
			t.Errorf("defaultImage(%q) = %q, not a strict reference: %v", tt.version, got, err)
		}
	}
}

func TestValidImage(t *testing.T) {
	for _, ok := range []string{
		"ghcr.io/headroom-dev/headroom:v1.4.0",
		"headroom",
		"localhost:5000/headroom:dev",
		"registry.example.com/team/headroom@sha256:" + strings.Repeat("ab", 32),
		"grafana/k6:2.2.0",
	} {
		if err := validImage("--image", ok); err != nil {
			t.Errorf("validImage(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"", " ", "Headroom/X:1", "headroom:", "headroom:bad tag", "example.com/headroom@sha256:abc", "-x", "a//b"} {
		err := validImage("--image", bad)
		var usage *usageError
		if !errors.As(err, &usage) || !strings.HasPrefix(err.Error(), "--image ") {
			t.Errorf("validImage(%q) = %v, want a usage error naming --image", bad, err)
		}
	}
}

// TestImageFlags: --image of sweep job and loadtest operator is a usage
// error when it is not a reference; sweep job defaults to this version's
// tag, and a development build says that it needs --image.
func TestImageFlags(t *testing.T) {
	job := []string{"sweep", "job", "-f", noaPlan, "--grid", sweepGrid, "--shards", "2"}
	op := []string{"loadtest", "operator", "-f", noaPlan, "--service", "noa-mcp", "--scenario", "daily", "--target", "http://x/", "--parallelism", "2"}
	for _, args := range [][]string{job, op} {
		out, errOut, code := runCLI(t, "", append(args, "--image", "Example.com/Headroom:1")...)
		if code != exitUsage || !strings.Contains(errOut, `--image "Example.com/Headroom:1" is not an image reference`) || out != "" {
			t.Errorf("%s %s with a bad --image: exit %d, stdout %d bytes, stderr %q", args[0], args[1], code, len(out), errOut)
		}
	}

	out, errOut, code := runCLI(t, "", job...)
	if code != exitOK || !strings.Contains(out, "image: ghcr.io/headroom-dev/headroom:dev\n") {
		t.Fatalf("a development build: exit %d, stderr %s", code, errOut)
	}
	if !strings.Contains(errOut, `warning: this headroom is a development build`) || !strings.Contains(errOut, "pass --image") {
		t.Errorf("no warning that the dev image is not released: %q", errOut)
	}
	if _, errOut, _ := runCLI(t, "", append(job, "--image", "example.com/headroom:mine")...); strings.Contains(errOut, "warning:") {
		t.Errorf("a warning although --image was given: %q", errOut)
	}

	old := version
	t.Cleanup(func() { version = old })
	version = "v1.4.0"
	out, errOut, code = runCLI(t, "", job...)
	if code != exitOK || !strings.Contains(out, "image: ghcr.io/headroom-dev/headroom:v1.4.0\n") || strings.Contains(errOut, "warning:") {
		t.Errorf("release v1.4.0: exit %d, stderr %q, image lines %q", code, errOut, imageLines(out))
	}
	if strings.Contains(out, ":latest") {
		t.Errorf("the Job names a latest tag")
	}
}

func imageLines(yaml string) []string {
	var l []string
	for _, line := range strings.Split(yaml, "\n") {
		if strings.Contains(line, "image:") {
			l = append(l, strings.TrimSpace(line))
		}
	}
	return l
}

// FuzzValidImage: any string is accepted or refused as a usage error naming
// the flag, never a panic; an accepted one names the same image when its
// parsed form is parsed again.
func FuzzValidImage(f *testing.F) {
	for _, s := range []string{"ghcr.io/headroom-dev/headroom:v1.4.0", "headroom", "localhost:5000/a/b@sha256:" + strings.Repeat("0", 64), "A:b", ":", "@", "a:b:c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := validImage("--image", s)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "--image ") {
				t.Fatalf("error does not name the flag: %v", err)
			}
			return
		}
		r, perr := name.ParseReference(s)
		if perr != nil {
			t.Fatalf("accepted %q, which does not parse: %v", s, perr)
		}
		again, perr := name.ParseReference(r.Name())
		if perr != nil || again.Name() != r.Name() {
			t.Fatalf("%q parsed to %q, which parses to %v (%v)", s, r.Name(), again, perr)
		}
	})
}
