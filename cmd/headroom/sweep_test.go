package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const sweepGrid = "testdata/sweep-grid.yaml"

// TestSweep_ShardedMergeIsByteIdentical: the CLI's unsharded sweep and the
// merge of its four shard files, given out of order, are the same bytes.
func TestSweep_ShardedMergeIsByteIdentical(t *testing.T) {
	dir := t.TempDir()
	whole := filepath.Join(dir, "whole.json")
	if _, errOut, code := runCLI(t, "", "sweep", "-f", noaPlan, "--grid", sweepGrid, "--out-file", whole, "--quiet"); code != exitOK {
		t.Fatalf("sweep exit %d: %s", code, errOut)
	}
	var files []string
	for _, i := range []string{"3", "1", "0", "2"} {
		f := filepath.Join(dir, "shard-"+i+".json")
		if _, errOut, code := runCLI(t, "", "sweep", "-f", noaPlan, "--grid", sweepGrid, "--shard", i+"/4", "--out-file", f, "--quiet"); code != exitOK {
			t.Fatalf("shard %s exit %d: %s", i, code, errOut)
		}
		files = append(files, f)
	}
	out, errOut, code := runCLI(t, "", append([]string{"sweep", "merge"}, files...)...)
	if code != exitOK {
		t.Fatalf("merge exit %d: %s", code, errOut)
	}
	want, err := os.ReadFile(whole)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal([]byte(out), want) {
		t.Fatalf("merged output differs from the unsharded sweep")
	}
	if !strings.Contains(out, `"candidates": 12`) {
		t.Errorf("want 12 candidates (2 requests × (today's HPA + 3×2 − the one equal to it)):\n%.400s", out)
	}
	// Each cell carries the recommender's evaluation: with the plan's
	// ensemble its intervals; --uncertainty off leaves them out and is
	// another sweep (its digest differs).
	if !strings.Contains(out, `"sloBudgetBurnRange"`) || !strings.Contains(out, `"marginBurn"`) || !strings.Contains(out, `"neverWorse"`) {
		t.Errorf("the cells do not carry the recommender's evaluation:\n%.600s", out)
	}
	off, errOut, code := runCLI(t, "", "sweep", "-f", noaPlan, "--grid", sweepGrid, "--quiet", "--uncertainty", "off")
	if code != exitOK {
		t.Fatalf("sweep --uncertainty off: exit %d: %s", code, errOut)
	}
	if strings.Contains(off, `"sloBudgetBurnRange"`) || !strings.Contains(off, `"marginBurn"`) || digestOf(off) == digestOf(out) {
		t.Errorf("sweep --uncertainty off: intervals %v, same digest %v", strings.Contains(off, `"sloBudgetBurnRange"`), digestOf(off) == digestOf(out))
	}
	// A shard whose values were edited does not merge.
	b, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(`"cost": `)) {
		t.Fatalf("no cost in %s", files[0])
	}
	edited := filepath.Join(dir, "edited.json")
	if err := os.WriteFile(edited, bytes.Replace(b, []byte(`"cost": `), []byte(`"cost": 1`), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := runCLI(t, "", "sweep", "merge", edited, files[1], files[2], files[3]); code != exitError || !strings.Contains(errOut, "edited.json: shard 3/4: its contents do not match its resultsDigest") {
		t.Errorf("merge with an edited shard: exit %d, %s", code, errOut)
	}
	// Three shards of four do not merge.
	if _, errOut, code := runCLI(t, "", "sweep", "merge", files[0], files[1], files[2]); code != exitError || !strings.Contains(errOut, "missing shard(s) [2] of 4") {
		t.Errorf("merge of 3 of 4 shards: exit %d, %s", code, errOut)
	}
}

func TestSweep_UsageErrors(t *testing.T) {
	badGrid := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(badGrid, []byte("apiVersion: headroom.dev/v1alpha1\nkind: SweepGrid\nservice: noa-mcp\nhpa:\n  cpuTargets: [0]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no grid", []string{"sweep", "-f", noaPlan}, exitUsage, "--grid is required"},
		{"bad shard", []string{"sweep", "-f", noaPlan, "--grid", sweepGrid, "--shard", "4/4"}, exitUsage, "index 4 must be below the count 4"},
		{"grid line", []string{"sweep", "-f", noaPlan, "--grid", badGrid}, exitError, "bad.yaml:5:16: hpa.cpuTargets[0]: 0 is out of range"},
		{"merge nothing", []string{"sweep", "merge"}, exitUsage, "merge needs the shard files"},
		{"job shards", []string{"sweep", "job", "-f", noaPlan, "--grid", sweepGrid}, exitUsage, "--shards is required"},
		{"job too many shards", []string{"sweep", "job", "-f", noaPlan, "--grid", sweepGrid, "--shards", "20"}, exitUsage, "more than the grid's 12 candidates"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, errOut, code := runCLI(t, "", tt.args...)
			if code != tt.code || !strings.Contains(errOut, tt.want) {
				t.Errorf("exit %d (want %d), stderr %q, want it to contain %q", code, tt.code, errOut, tt.want)
			}
		})
	}
}

func TestSweepJob_Renders(t *testing.T) {
	out, errOut, code := runCLI(t, "", "sweep", "job", "-f", noaPlan, "--grid", sweepGrid, "--shards", "4", "--parallelism", "2", "-n", "capacity", "--image", "example.com/headroom:dev")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"kind: ConfigMap", "kind: Job", "completionMode: Indexed", "completions: 4", "parallelism: 2",
		"image: example.com/headroom:dev", "$(SHARD_INDEX)/4", "namespace: capacity", "grid.yaml: |"} {
		if !strings.Contains(out, want) {
			t.Errorf("job YAML lacks %q", want)
		}
	}
	if !strings.Contains(errOut, "headroom sweep merge shard-*.json") {
		t.Errorf("stderr lacks the collect commands: %s", errOut)
	}
}

func TestSimulate_DESMode(t *testing.T) {
	out, errOut, code := runCLI(t, "", "simulate", "-f", noaPlan, "--scenario", "growth-2x", "--service", "noa-ui", "--mode", "des")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "discrete-event") || !strings.Contains(out, "noa-ui") {
		t.Errorf("output:\n%s", out)
	}
	out, errOut, code = runCLI(t, "", "simulate", "-f", noaPlan, "--scenario", "growth-2x", "--service", "noa-ui", "--mode", "des",
		"--service-time", "noa-ui=empirical:../../sim/testdata/histogram.csv", "-o", "json")
	if code != exitOK || !strings.Contains(out, `"mode": "des"`) {
		t.Fatalf("empirical service time: exit %d: %s", code, errOut)
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--mode", "exact"}, `unknown mode "exact"`},
		{[]string{"--service-time", "noa-ui=lognormal"}, "apply to --mode des only"},
		{[]string{"--mode", "des", "--service-time", "noa-ui=weibull"}, `unknown distribution "weibull"`},
		{[]string{"--mode", "des", "--service-time", "noa-ui=empirical:/nonexistent.csv"}, "/nonexistent.csv"},
	} {
		args := append([]string{"simulate", "-f", noaPlan, "--scenario", "growth-2x"}, tt.args...)
		if _, errOut, code := runCLI(t, "", args...); code == exitOK || !strings.Contains(errOut, tt.want) {
			t.Errorf("%v: exit %d, stderr %q, want %q", tt.args, code, errOut, tt.want)
		}
	}
}

// digestOf is the "digest" field of a sweep's JSON.
func digestOf(s string) string {
	_, rest, _ := strings.Cut(s, `"digest": "`)
	d, _, _ := strings.Cut(rest, `"`)
	return d
}
