package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/headroom-dev/headroom/scenarios"
	"github.com/headroom-dev/headroom/sim"
)

// TestMaxWork: a run estimated above the work budget is refused before it
// starts, with the estimate and the --max-work that would admit it; the
// flag itself is bounded.
func TestMaxWork(t *testing.T) {
	src, err := os.ReadFile(noaPlan)
	if err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(t.TempDir(), "big.yaml")
	if err := os.WriteFile(big, []byte(strings.Replace(string(src), "requestRate: 1000/min", "requestRate: 1e9/s", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"simulate", "-f", big, "--mode", "des", "--scenario", "daily"}, exitError, "DES requests (budget 2e+09): more than 1000 times the default budget"},
		{[]string{"simulate", "-f", noaPlan, "--scenario", "daily", "--sample-every", "1s", "--max-work", "0.01", "--uncertainty", "off"}, exitError, "series samples (budget 5e+04); pass --max-work 0.2 to run it anyway\n"},
		// The example's 32-member ensemble is 33 runs of each.
		{[]string{"simulate", "-f", noaPlan, "--scenario", "daily", "--sample-every", "1s", "--max-work", "0.01"}, exitError, "series samples (budget 5e+04); pass --max-work 3.5 to run it anyway (the plan's uncertainty ensemble runs each simulation 33 times"},
		{[]string{"simulate", "-f", noaPlan, "--mode", "des", "--scenario", "daily"}, exitError, "DES requests (budget 2e+09); pass --max-work 1.8 to run it anyway (the plan's uncertainty ensemble runs each simulation 33 times: --uncertainty samples=N runs fewer members, --uncertainty off one run)"},
		{[]string{"report", "-f", noaPlan, "--out-dir", filepath.Join(t.TempDir(), "r"), "--uncertainty", "samples=1000", "--max-work", "2"}, exitError, "pass --max-work 2.3 to run it anyway (the plan's uncertainty ensemble runs each simulation 1001 times"},
		{[]string{"simulate", "-f", noaPlan, "--max-work", "0"}, exitUsage, "--max-work must be above 0 and at most 1000"},
		{[]string{"simulate", "-f", noaPlan, "--max-work", "2e9"}, exitUsage, "--max-work must be above 0 and at most 1000"},
		{[]string{"tune", "-f", noaPlan, "--service", "noa-mcp", "--max-work", "0.001"}, exitError, "pass --max-work"},
		{[]string{"compare", "-f", noaPlan, "--hpa", "../../scenarios/examples/noa-mcp-proposed-hpa.yaml", "--max-work", "0.0001"}, exitError, "pass --max-work"},
		{[]string{"report", "-f", noaPlan, "--out-dir", filepath.Join(t.TempDir(), "r"), "--max-work", "0.0001"}, exitError, "pass --max-work"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			_, errOut, code := runCLI(t, "", tc.args...)
			if code != tc.code || !strings.Contains(errOut, tc.want) {
				t.Fatalf("exit %d (want %d), stderr:\n%s\nwant %q", code, tc.code, errOut, tc.want)
			}
		})
	}
}

// TestCheckWork_SearchSeriesCountOnce: a search keeps each candidate's
// summary, not its series, so a week-long scenario under tune's 865
// candidates is not refused for series samples it never holds.
func TestCheckWork_SearchSeriesCountOnce(t *testing.T) {
	p, err := scenarios.LoadFile(noaPlan, nil)
	if err != nil {
		t.Fatal(err)
	}
	weekly := p.Scenarios[0]
	weekly.Name, weekly.Duration = "weekly", scenarios.Duration(7*24*time.Hour)
	p.Scenarios = append(p.Scenarios, weekly)
	runs := serviceRuns(p, "noa-mcp", nil, sim.ModeFluid)
	if err := checkWork(p, runs, 865, 1, false); err != nil {
		t.Errorf("tune over a weekly scenario refused: %v", err)
	}
	if err := checkWork(p, runs, 865, 1, true); err == nil || !strings.Contains(err.Error(), "series samples") {
		t.Errorf("865 runs each keeping a week of samples: %v, want the samples budget to refuse", err)
	}
}
