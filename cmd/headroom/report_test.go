package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/headroom-dev/headroom/review/record"
	"github.com/headroom-dev/headroom/scenarios"
)

// TestReport_NOA runs the example's review as a user does, its
// uncertainty ensemble included (so does TestSchemas_RealOutputs); the
// tests of what is written where, and of flags, run it with --uncertainty
// off: the ensemble moves the numbers, not the files.
func TestReport_NOA(t *testing.T) {
	dir := t.TempDir()
	out, errOut, code := runCLI(t, "", "report", "-f", noaPlan, "--out-dir", dir, "--series=false")
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
	if err := json.Unmarshal(b, &rep); err != nil || rep.SchemaVersion != record.SchemaVersion || len(rep.Events) != 1 {
		t.Errorf("report.json: %v, schema %q, %d events", err, rep.SchemaVersion, len(rep.Events))
	}
	// A second report keeps the user's own files, in DIR and in patches/.
	mine := filepath.Join(dir, "patches", "hpa", "mine.yaml")
	if err := os.WriteFile(mine, []byte("kind: Mine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := runCLI(t, "", "report", "-f", noaPlan, "--out-dir", dir, "--series=false"); code != exitCheckFailed {
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
	_, errOut, code := runCLI(t, "", "report", "-f", noaPlan, "--out-dir", dir, "--series=false", "--uncertainty", "off",
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
		{[]string{"report", "-f", noaPlan, "--out-dir", "/"}, "is the root directory"},
		{[]string{"report", "-f", noaPlan, "--out-dir", "."}, "is the current directory"},
		{[]string{"report", "-f", noaPlan, "--out-dir", ".."}, "is a parent of the current directory"},
		{[]string{"report", "-f", noaPlan, "--out-dir", os.Getenv("HOME")}, "home directory"},
		{[]string{"report", "-f", noaPlan, "--prescale-with", "argo"}, `--prescale-with must be one of cronjob, keda, git, got "argo"`},
		{[]string{"report", "-f", noaPlan, "--kubectl-image", "registry.k8s.io/kubectl"}, "pin a version tag or a digest, not latest"},
		{[]string{"report", "-f", noaPlan, "--kubectl-image", "registry.k8s.io/kubectl:latest"}, "pin a version tag or a digest, not latest"},
		{[]string{"report", "-f", noaPlan, "--kubectl-image", "Registry/kubectl:v1"}, "is not an image reference"},
		{[]string{"report", "-f", noaPlan, "--kubectl-image", "r/kubectl@sha256:xyz"}, "the digest must be sha256:"},
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
		v, err := scenarios.ParseMultiplier(s)
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
	args := []string{"report", "-f", noaPlan, "--out-dir", dir, "--series=false", "--plots", "none", "--uncertainty", "off"}
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

// TestReport_ForeignDirNeedsForce: a non-empty directory headroom did not
// write is refused (exit 1, --force named) with nothing written; --force
// writes the report into it and keeps the foreign files; a rerun then finds
// the manifest and needs no --force.
func TestReport_ForeignDirNeedsForce(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "docs")
	if err := os.MkdirAll(filepath.Join(dir, "patches"), 0o755); err != nil {
		t.Fatal(err)
	}
	foreign := map[string]string{"index.md": "# the team's docs\n", "patches/my-overlay.yaml": "kind: Mine\n", "report.html": "<p>the team's own</p>"}
	for p, data := range foreign {
		if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(p)), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	args := []string{"report", "-f", noaPlan, "--out-dir", dir, "--series=false", "--plots", "none", "--uncertainty", "off"}
	start := time.Now()
	_, errOut, code := runCLI(t, "", args...)
	if code != exitError || !strings.Contains(errOut, "headroom did not write it") || !strings.Contains(errOut, "--force") || !strings.Contains(errOut, `"index.md"`) {
		t.Fatalf("exit %d, stderr %q; want exit 1 naming the directory's files and --force", code, errOut)
	}
	if strings.Contains(errOut, "writing") || time.Since(start) > 5*time.Second {
		t.Errorf("refused only after the work (%s):\n%s", time.Since(start), errOut)
	}
	assertTree(t, dir, foreign)
	if es, _ := os.ReadDir(parent); len(es) != 1 {
		t.Errorf("beside the directory: %v", es)
	}
	// --force never replaces a foreign file at a path the report writes.
	_, errOut, code = runCLI(t, "", append(args, "--force")...)
	if code != exitError || !strings.Contains(errOut, `report.html is not headroom's`) {
		t.Fatalf("--force over a foreign report.html: exit %d, stderr %q; want exit 1 naming it", code, errOut)
	}
	assertTree(t, dir, foreign)
	if err := os.Rename(filepath.Join(dir, "report.html"), filepath.Join(parent, "old.html")); err != nil {
		t.Fatal(err)
	}
	delete(foreign, "report.html")
	for _, extra := range [][]string{{"--force"}, nil} {
		if _, errOut, code := runCLI(t, "", append(args, extra...)...); code != exitCheckFailed {
			t.Fatalf("%v: exit %d\n%s", extra, code, errOut)
		}
		for p, data := range foreign {
			if b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(p))); err != nil || string(b) != data {
				t.Errorf("%v: the foreign %s: %q %v", extra, p, b, err)
			}
		}
		if _, err := os.Stat(filepath.Join(dir, "report.json")); err != nil {
			t.Errorf("%v: %v", extra, err)
		}
	}
	if m := mustRead(t, filepath.Join(dir, ".headroom-manifest")); strings.Contains(m, "index.md") {
		t.Errorf("the manifest claims a foreign file:\n%s", m)
	}
}

// TestReport_BadOutDir: a file, a directory that cannot be written, a
// directory whose parent is a file: exit 1 before the work, a clear
// message, nothing written.
func TestReport_BadOutDir(t *testing.T) {
	parent := t.TempDir()
	file := filepath.Join(parent, "file")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct{ dir, want string }{
		{file, "exists and is not a directory"},
		{filepath.Join(file, "r"), "is not a directory"},
	}
	if os.Geteuid() == 0 {
		// root passes permission bits; sysfs refuses even root a new directory.
		if _, err := os.Stat("/sys/kernel"); err == nil {
			cases = append(cases, struct{ dir, want string }{"/sys/headroom-report", "cannot be written"})
		}
	} else {
		ro := filepath.Join(parent, "ro")
		if err := os.MkdirAll(filepath.Join(ro, "r"), 0o755); err != nil {
			t.Fatal(err)
		}
		os.Chmod(ro, 0o555)
		os.Chmod(filepath.Join(ro, "r"), 0o555)
		t.Cleanup(func() { os.Chmod(ro, 0o755) })
		cases = append(cases,
			struct{ dir, want string }{filepath.Join(ro, "new"), "cannot be written"},
			struct{ dir, want string }{filepath.Join(ro, "r"), "cannot be written"})
	}
	for _, tc := range cases {
		_, errOut, code := runCLI(t, "", "report", "-f", noaPlan, "--out-dir", tc.dir, "--plots", "none")
		if code != exitError || !strings.Contains(errOut, "--out-dir "+tc.dir) || !strings.Contains(errOut, tc.want) {
			t.Errorf("--out-dir %s: exit %d, stderr %q; want exit 1 and %q", tc.dir, code, errOut, tc.want)
		}
	}
	if b, _ := os.ReadFile(file); string(b) != "x" {
		t.Errorf("the file changed: %q", b)
	}
	if es, _ := os.ReadDir(parent); len(es) > 2 {
		t.Errorf("written beside: %v", es)
	}
}

// TestOutputFlags: -o is a format in every command; a path given to it,
// and the replaced spellings, are refused with the new flag named.
func TestOutputFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"report", "-f", noaPlan, "-o", "out"}, "-o is the output format (table|json|md); write the report directory with --out-dir out"},
		{[]string{"report", "-f", noaPlan, "-o", "json/"}, "--out-dir json/"},
		{[]string{"report", "-f", noaPlan, "--output-dir", "out"}, "--output-dir is now --out-dir: use --out-dir out"},
		{[]string{"sweep", "-f", noaPlan, "--grid", "g.yaml", "-o", "sweep.json"}, "-o is the output format (json); write the results to a file with --out-file sweep.json"},
		{[]string{"sweep", "merge", "a.json", "-o", "s.json"}, "--out-file s.json"},
		{[]string{"calibrate", "-f", noaPlan, "-o", "plan.yaml"}, "-o is the output format (table|json); write the calibrated plan with --out-file plan.yaml"},
		{[]string{"calibrate", "-f", noaPlan, "--out", "plan.yaml"}, "--out is now --out-file"},
		{[]string{"discover", "-o", "plan.yaml"}, "--out-file plan.yaml"},
		{[]string{"observe", "-o", "my plan.yaml"}, `--out-file "my plan.yaml"`},
		{[]string{"observe", "--report", "json"}, "--report is now -o/--output"},
		{[]string{"loadtest", "run", "--out", "run.json"}, "--out is now --out-file"},
		{[]string{"loadtest", "script", "-o", "s.js"}, "no output formats; write the script to a file with --out-file s.js"},
		{[]string{"rightsize", "-f", noaPlan, "--patches", "p"}, "--patches is now --out-dir"},
		{[]string{"simulate", "-f", noaPlan, "-o", "yaml"}, "-o is the output format (table|json|csv)"},
	} {
		_, errOut, code := runCLI(t, "", tc.args...)
		if code != exitUsage || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and %q", tc.args, code, errOut, tc.want)
		}
	}
}

// TestOutputFlags_Completion: the shell completion of every -o offers the
// command's formats and no file names.
func TestOutputFlags_Completion(t *testing.T) {
	for _, tc := range []struct {
		cmd  []string
		want []string
	}{
		{[]string{"report"}, []string{"table", "json", "md"}},
		{[]string{"size"}, []string{"table", "json", "yaml"}},
		{[]string{"simulate"}, []string{"table", "json", "csv"}},
		{[]string{"compare"}, []string{"table", "json"}},
		{[]string{"tune"}, []string{"table", "json", "yaml"}},
		{[]string{"rightsize"}, []string{"table", "json", "yaml"}},
		{[]string{"sweep"}, []string{"json"}},
		{[]string{"calibrate"}, []string{"table", "json"}},
		{[]string{"observe"}, []string{"table", "json"}},
		{[]string{"discover"}, []string{"yaml"}},
		{[]string{"loadtest", "run"}, []string{"table", "json"}},
		{[]string{"version"}, []string{"table", "json"}},
	} {
		out, errOut, code := runCLI(t, "", append(append([]string{"__complete"}, tc.cmd...), "-o", "")...)
		if code != exitOK {
			t.Fatalf("%v: exit %d\n%s", tc.cmd, code, errOut)
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if got := strings.Join(lines[:len(lines)-1], " "); got != strings.Join(tc.want, " ") || lines[len(lines)-1] != ":4" {
			t.Errorf("%v -o: completes %q; want %q and :4 (no files)", tc.cmd, out, tc.want)
		}
	}
}

// TestReport_JSONToStdout: -o json prints report.json, byte for byte the
// file in --out-dir; the table and the "wrote" line stay off stdout.
func TestReport_JSONToStdout(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "r")
	out, errOut, code := runCLI(t, "", "report", "-f", noaPlan, "--out-dir", dir, "--series=false", "--plots", "none", "--uncertainty", "off", "-o", "json")
	if code != exitCheckFailed {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	if b := mustRead(t, filepath.Join(dir, "report.json")); out != b {
		t.Errorf("stdout is not report.json (%d bytes, file %d)", len(out), len(b))
	}
	if !strings.Contains(errOut, "wrote "+filepath.Join(dir, "report.html")) {
		t.Errorf("stderr lacks the wrote line:\n%s", errOut)
	}
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// assertTree checks that dir holds exactly the files of want.
func assertTree(t *testing.T, dir string, want map[string]string) {
	t.Helper()
	got := map[string]string{}
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			got[filepath.ToSlash(rel)] = mustRead(t, p)
		}
		return nil
	})
	if len(got) != len(want) {
		t.Errorf("%s holds %d files, want %d: %v", dir, len(got), len(want), got)
	}
	for p, data := range want {
		if got[p] != data {
			t.Errorf("%s/%s = %q, want %q", dir, p, got[p], data)
		}
	}
}

// TestReport_PrescaleWith: --prescale-with git writes raise and restore
// components and a schedule, no CronJobs; keda refuses the NOA HPAs it
// cannot carry over (Pods metrics) by name, writing nothing; --vpa adds vpa/.
func TestReport_PrescaleWith(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "r")
	args := []string{"report", "-f", noaPlan, "--series=false", "--plots", "none", "--uncertainty", "off"}
	if _, errOut, code := runCLI(t, "", append(args, "--out-dir", dir, "--prescale-with", "git", "--vpa")...); code != exitCheckFailed {
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
	_, errOut, code := runCLI(t, "", append(args, "--out-dir", kdir, "--prescale-with", "keda")...)
	if code != exitError || !strings.Contains(errOut, "--prescale-with keda: HPA noa-claude-flow-hpa metrics[1]: a Pods metric") {
		t.Errorf("keda on NOA: exit %d, %s", code, errOut)
	}
	if _, err := os.Stat(kdir); !os.IsNotExist(err) {
		t.Errorf("keda's refusal wrote %s: %v", kdir, err)
	}
}
