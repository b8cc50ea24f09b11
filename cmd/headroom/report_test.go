package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReport_NOA(t *testing.T) {
	dir := t.TempDir()
	out, errOut, code := runCLI(t, "", "report", "-f", noaPlan, "-o", dir, "--series=false")
	if code != exitCheckFailed {
		t.Fatalf("exit %d, want 3 (noa-mcp is at risk)\n%s", code, errOut)
	}
	if !strings.Contains(out, "report.html") || !strings.Contains(errOut, "simulating daily") {
		t.Errorf("stdout %q\nstderr %q", out, errOut)
	}
	for _, f := range []string{"report.html", "report.md", "report.json", "patches/kubectl-patches.sh", "patches/kustomization.yaml"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	var rep struct {
		SchemaVersion string `json:"schemaVersion"`
		Events        []any  `json:"events"`
	}
	b, _ := os.ReadFile(filepath.Join(dir, "report.json"))
	if err := json.Unmarshal(b, &rep); err != nil || rep.SchemaVersion != "headroom.dev/report/v1" || len(rep.Events) != 1 {
		t.Errorf("report.json: %v, schema %q, %d events", err, rep.SchemaVersion, len(rep.Events))
	}
	// A second report keeps the user's own files, in DIR and in patches/.
	mine := filepath.Join(dir, "patches", "hpa", "mine.yaml")
	if err := os.WriteFile(mine, []byte("kind: Mine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := runCLI(t, "", "report", "-f", noaPlan, "-o", dir, "--series=false"); code != exitCheckFailed {
		t.Fatalf("second run: exit %d\n%s", code, errOut)
	}
	if b, err := os.ReadFile(mine); err != nil || string(b) != "kind: Mine\n" {
		t.Errorf("the user's file in patches/ did not survive the second report: %q %v", b, err)
	}
	again, _ := os.ReadFile(filepath.Join(dir, "report.json"))
	if !bytes.Equal(b, again) {
		t.Error("the same plan and seed gave a different report.json")
	}
}

func TestReport_Event(t *testing.T) {
	dir := t.TempDir()
	_, errOut, code := runCLI(t, "", "report", "-f", noaPlan, "-o", dir, "--series=false",
		"--event", "launch", "--event-start", "2026-12-01T18:00:00Z", "--event-end", "2026-12-01T20:00:00Z", "--event-peak", "5x")
	if code != exitCheckFailed && code != exitOK {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	md, _ := os.ReadFile(filepath.Join(dir, "report.md"))
	if !strings.Contains(string(md), "launch: 5x traffic, 2026-12-01 18:00 to 2026-12-01 20:00 UTC") {
		t.Errorf("report.md has no launch section")
	}
	matches, _ := filepath.Glob(filepath.Join(dir, "patches", "prescale", "cronjob-prescale-launch-*"))
	if len(matches) == 0 || len(matches)%2 != 0 {
		t.Errorf("launch CronJobs: %v", matches)
	}
	for _, m := range matches {
		b, _ := os.ReadFile(m)
		if strings.HasSuffix(m, "-raise.yaml") && !strings.Contains(string(b), `schedule: `) {
			t.Errorf("%s has no schedule", m)
		}
		// Active, but it suspends itself when it runs: the date cannot
		// match again next year.
		if !strings.Contains(string(b), "suspend: false") || !strings.Contains(string(b), "name: suspend-self") ||
			!strings.Contains(string(b), "headroom.dev/runs-once-at: \"2026-12-01T") {
			t.Errorf("%s: a dated event's CronJob is not an active run-once job:\n%s", m, b)
		}
	}
}

func TestReport_Usage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"report"}, "-f/--filename is required"},
		{[]string{"report", "-f", noaPlan, "--event", "x"}, "an event needs all of"},
		{[]string{"report", "-f", noaPlan, "--event", "x", "--event-start", "tomorrow", "--event-end", "2026-12-01T20:00:00Z", "--event-peak", "5x"}, "--event-start"},
		{[]string{"report", "-f", noaPlan, "--event", "x", "--event-start", "2026-12-01T18:00:00Z", "--event-end", "2026-12-01T20:00:00Z", "--event-peak", "lots"}, "is not a multiplier"},
		{[]string{"report", "-f", noaPlan, "--event", "x", "--event-start", "2026-12-01T18:00:00Z", "--event-end", "2026-12-01T17:00:00Z", "--event-peak", "2"}, "must end after it starts"},
		{[]string{"report", "-f", noaPlan, "--event", "daily", "--event-start", "2026-12-01T18:00:00Z", "--event-end", "2026-12-01T20:00:00Z", "--event-peak", "2"}, "already has a scenario"},
		{[]string{"report", "-f", noaPlan, "--mode", "guess"}, "--mode must be"},
		{[]string{"report", "-f", noaPlan, "--prescale-with", "argo"}, `--prescale-with must be one of cronjob, keda, git, got "argo"`},
		{[]string{"report", "-f", noaPlan, "--kubectl-image", "registry.k8s.io/kubectl"}, "pin a version tag or a digest, not latest"},
		{[]string{"report", "-f", noaPlan, "--kubectl-image", "registry.k8s.io/kubectl:latest"}, "pin a version tag or a digest, not latest"},
		{[]string{"report", "-f", noaPlan, "--kubectl-image", "Registry/kubectl:v1"}, "is not an image reference"},
		{[]string{"report", "-f", noaPlan, "--kubectl-image", "r/kubectl@sha256:xyz"}, "the digest must be sha256:"},
		{[]string{"report", "-f", noaPlan, "-o", "/"}, "is the root directory"},
		{[]string{"report", "-f", noaPlan, "-o", "."}, "is the current directory"},
		{[]string{"report", "-f", noaPlan, "-o", ".."}, "is a parent of the current directory"},
		{[]string{"report", "-f", noaPlan, "-o", os.Getenv("HOME")}, "home directory"},
	} {
		_, errOut, code := runCLI(t, "", tc.args...)
		if code != exitUsage || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and %q", tc.args, code, errOut, tc.want)
		}
	}
}

func FuzzParseMultiplier(f *testing.F) {
	for _, s := range []string{"5x", "5", "500%", "1.5X", "x", "%", "NaN", "-3x", "1e400"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := parseMultiplier(s)
		if err == nil && (v != v || v > 1e308 || v < -1e308) {
			t.Errorf("%q → %v without error", s, v)
		}
	})
}

// TestReport_RerunRemovesOnlyItsOwnFiles: a second report removes the
// files the first wrote and it does not (the CronJobs of an event no longer
// given), and keeps the user's files beside them; nothing is left beside
// the directory.
func TestReport_RerunRemovesOnlyItsOwnFiles(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "review")
	event := []string{"--event", "launch", "--event-start", "2026-12-01T18:00:00Z", "--event-end", "2026-12-01T20:00:00Z", "--event-peak", "5x"}
	args := []string{"report", "-f", noaPlan, "-o", dir, "--series=false", "--plots", "none"}
	if _, errOut, code := runCLI(t, "", append(args, event...)...); code != exitCheckFailed && code != exitOK {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	launch, _ := filepath.Glob(filepath.Join(dir, "patches", "prescale", "cronjob-prescale-launch-*"))
	if len(launch) == 0 {
		t.Fatal("no launch CronJobs")
	}
	user := map[string]string{"notes.md": "mine", "patches/manifests/my-cronjob.yaml": "kind: Mine\n", "plots/by-hand.svg": "<svg/>"}
	for p, data := range user {
		os.MkdirAll(filepath.Dir(filepath.Join(dir, filepath.FromSlash(p))), 0o755)
		if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(p)), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, errOut, code := runCLI(t, "", args...); code != exitCheckFailed {
		t.Fatalf("second run: exit %d\n%s", code, errOut)
	}
	for _, m := range launch {
		if _, err := os.Stat(m); !os.IsNotExist(err) {
			t.Errorf("%s (the first run's) survived the second", m)
		}
	}
	for p, data := range user {
		if b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(p))); err != nil || string(b) != data {
			t.Errorf("the user's %s: %q %v", p, b, err)
		}
	}
	if es, _ := os.ReadDir(parent); len(es) != 1 {
		t.Errorf("beside the report: %v", es)
	}
}

// TestReport_PrescaleWith: --prescale-with git writes raise and restore
// components and a schedule, no CronJobs; keda refuses the NOA HPAs it
// cannot carry over (Pods metrics) by name, writing nothing; --vpa adds vpa/.
func TestReport_PrescaleWith(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "r")
	args := []string{"report", "-f", noaPlan, "--series=false", "--plots", "none"}
	if _, errOut, code := runCLI(t, "", append(args, "-o", dir, "--prescale-with", "git", "--vpa")...); code != exitCheckFailed {
		t.Fatalf("git: exit %d\n%s", code, errOut)
	}
	for _, f := range []string{"prescale/schedule.tsv", "prescale/event-spike-noa-mcp/raise/kustomization.yaml",
		"prescale/event-spike-noa-mcp/restore/horizontalpodautoscaler-noa-mcp-hpa.yaml", "vpa/kustomization.yaml", "vpa/noa-mcp.yaml"} {
		if _, err := os.Stat(filepath.Join(dir, "patches", filepath.FromSlash(f))); err != nil {
			t.Error(err)
		}
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "patches", "prescale", "cronjob-*")); len(m) != 0 {
		t.Errorf("--prescale-with git wrote CronJobs: %v", m)
	}
	kdir := filepath.Join(t.TempDir(), "k")
	_, errOut, code := runCLI(t, "", append(args, "-o", kdir, "--prescale-with", "keda")...)
	if code != exitError || !strings.Contains(errOut, "--prescale-with keda: HPA noa-claude-flow-hpa metrics[1]: a Pods metric") {
		t.Errorf("keda on NOA: exit %d, %s", code, errOut)
	}
	if _, err := os.Stat(kdir); !os.IsNotExist(err) {
		t.Errorf("keda's refusal wrote %s: %v", kdir, err)
	}
}
