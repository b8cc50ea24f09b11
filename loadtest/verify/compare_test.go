package verify

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/headroom-dev/headroom/loadtest"
	"github.com/headroom-dev/headroom/scenarios"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s differs from the golden file; rerun with -update if the change is meant:\n%s", path, got)
	}
}

func mmcPlan(t testing.TB) *scenarios.Plan {
	t.Helper()
	p, err := scenarios.LoadFile("../testdata/mmc-plan.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestCompare_LoopbackRun holds a real run (the built-in engine against
// mmcserver -workers 8 -mean 20ms on loopback, scenario steps at 20x,
// recorded on a loaded 2-core machine, so its send lag makes it invalid)
// against the simulation.
func TestCompare_LoopbackRun(t *testing.T) {
	res, err := loadtest.ReadResultFile("../testdata/run-steps.json")
	if err != nil {
		t.Fatal(err)
	}
	cmp, err := Compare(context.Background(), mmcPlan(t), res, CompareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(cmp.Rows) != 10 || cmp.BucketSeconds != 60 {
		t.Fatalf("%d rows of %v s, want 10 of 60", len(cmp.Rows), cmp.BucketSeconds)
	}
	if cmp.ThroughputMAPE > AgreeThroughputMAPE || cmp.P95MAPE > AgreeP95MAPE {
		t.Errorf("throughput MAPE %.3f, p95 MAPE %.3f: the model should fit this run", cmp.ThroughputMAPE, cmp.P95MAPE)
	}
	if cmp.Agree || !strings.Contains(strings.Join(cmp.Reasons, ";"), "invalid") {
		t.Errorf("an invalid run must not agree: %v", cmp.Reasons)
	}
	b, _ := json.MarshalIndent(cmp, "", "  ")
	golden(t, "compare-steps.golden.json", append(b, '\n'))
}

func TestCompare_Disagrees(t *testing.T) {
	res, err := loadtest.ReadResultFile("../testdata/run-steps.json")
	if err != nil {
		t.Fatal(err)
	}
	res.Valid, res.InvalidReason = true, ""
	// Half the completions fail: throughput and the error rate are off.
	for i := range res.Windows {
		res.Windows[i].Errors = res.Windows[i].Completed / 2
	}
	cmp, err := Compare(context.Background(), mmcPlan(t), res, CompareOptions{Buckets: 5})
	if err != nil {
		t.Fatal(err)
	}
	if cmp.Agree || len(cmp.Rows) != 5 {
		t.Fatalf("agree %v with %d rows", cmp.Agree, len(cmp.Rows))
	}
	if cmp.Worst.Metric != "throughput" || cmp.ErrorRateMaxDiff < 0.4 {
		t.Errorf("worst %+v, error-rate diff %v", cmp.Worst, cmp.ErrorRateMaxDiff)
	}
}

func TestCompare_Refuses(t *testing.T) {
	p := mmcPlan(t)
	res := &loadtest.Result{Speedup: 1, Window: loadtest.Duration{Duration: time.Second}, Service: "mmc", Scenario: "steps"}
	tests := []struct {
		name string
		opts CompareOptions
		want string
	}{
		{"no windows", CompareOptions{}, "no windows"},
		{"unknown service", CompareOptions{Service: "nope"}, `no service "nope"`},
		{"unknown scenario", CompareOptions{Scenario: "nope"}, `no scenario "nope"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Compare(context.Background(), p, res, tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err %v, want %q", err, tc.want)
			}
		})
	}
}

// TestCompareCalibrate_Cancelled: a cancelled context stops both with its
// error (the CLI exits 130 on it).
func TestCompareCalibrate_Cancelled(t *testing.T) {
	res, err := loadtest.ReadResultFile("../testdata/run-steps.json")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Compare(ctx, mmcPlan(t), res, CompareOptions{}); !errors.Is(err, context.Canceled) {
		t.Errorf("Compare = %v, want context.Canceled", err)
	}
	if _, err := Calibrate(ctx, mmcPlan(t), res, "mmc"); !errors.Is(err, context.Canceled) {
		t.Errorf("Calibrate = %v, want context.Canceled", err)
	}
}
