//go:build e2e

package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/headroom-dev/headroom/review/record"
)

// TestBacktestE2E runs `headroom backtest` against a real Prometheus holding
// the history hack/backtestgen made from the request-level simulator with
// the plan hack/backtestgen/testdata/truth.yaml (the suite
// hack/e2e/suites/25-backtest.sh starts it): the generating plan agrees; a
// plan with the CPU per request 25 % too low and one with the start-up
// delay 3× too short disagree, name the cause and fit the truth within 10 %.
func TestBacktestE2E(t *testing.T) {
	url, end := os.Getenv("HEADROOM_E2E_BACKTEST_URL"), os.Getenv("HEADROOM_E2E_END")
	if url == "" || end == "" {
		t.Skip("HEADROOM_E2E_BACKTEST_URL and HEADROOM_E2E_END are set by hack/e2e/suites/25-backtest.sh")
	}
	// The truth behind the data (truth.yaml).
	const truthCPU, truthStartup = 0.020, 90.0
	cases := []struct {
		plan   string
		code   int
		cause  string
		truth  float64
		result *record.Backtest
	}{
		{plan: "truth", code: exitOK},
		{plan: "cpu-low", code: exitCheckFailed, cause: record.BacktestCauseCPU, truth: truthCPU},
		{plan: "startup-short", code: exitCheckFailed, cause: record.BacktestCauseStartup, truth: truthStartup},
	}
	dir := t.TempDir()
	for i := range cases {
		c := &cases[i]
		out := filepath.Join(dir, c.plan+".json")
		stdout, stderr, code := runCLI(t, "", "backtest", "-f", "../../hack/backtestgen/testdata/"+c.plan+".yaml",
			"--prometheus-url", url, "--end", end, "--window", "1d", "--out-file", out, "--plots", filepath.Join(dir, c.plan))
		t.Logf("%s:\n%s%s", c.plan, stdout, stderr)
		if code != c.code {
			t.Errorf("%s: exit %d, want %d", c.plan, code, c.code)
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		c.result = &record.Backtest{}
		if err := json.Unmarshal(b, c.result); err != nil {
			t.Fatal(err)
		}
		if len(c.result.Services) != 1 {
			t.Fatalf("%s: %d services backtested, failures %+v", c.plan, len(c.result.Services), c.result.Failures)
		}
		s := c.result.Services[0]
		if _, err := os.Stat(filepath.Join(dir, c.plan, "api-backtest.png")); err != nil {
			t.Errorf("%s: no figure: %v", c.plan, err)
		}
		if c.cause == "" {
			if s.Verdict != record.BacktestAgrees {
				t.Errorf("%s: verdict %s (cause %+v), want agrees", c.plan, s.Verdict, s.Cause)
			}
			continue
		}
		if s.Verdict != record.BacktestDisagrees || s.Cause == nil || s.Cause.Cause != c.cause {
			t.Errorf("%s: verdict %s cause %+v, want disagrees on %s", c.plan, s.Verdict, s.Cause, c.cause)
			continue
		}
		if s.Cause.Fitted == nil || math.Abs(*s.Cause.Fitted/c.truth-1) > 0.10 {
			t.Errorf("%s: fitted %v, want within 10 %% of the truth %g", c.plan, s.Cause.Fitted, c.truth)
		}
	}
	t.Log("\n" + backtestTable(cases[0].result, cases[1].result, cases[2].result))
}

// backtestTable is the closing note's table: each measure for the
// generating plan and the two mis-specified ones.
func backtestTable(bts ...*record.Backtest) string {
	var b strings.Builder
	b.WriteString("| measure | truth.yaml | cpu-low.yaml (CPU/request −25 %) | startup-short.yaml (start-up ÷3) |\n|---|---|---|---|\n")
	if len(bts[0].Services) == 0 {
		return ""
	}
	for i, c := range bts[0].Services[0].Checks {
		b.WriteString("| " + c.Measure)
		for _, bt := range bts {
			if bt == nil || len(bt.Services) == 0 {
				b.WriteString(" | —")
				continue
			}
			x := bt.Services[0].Checks[i]
			mark := "ok"
			switch {
			case x.Skipped:
				mark = "not judged"
			case !x.OK:
				mark = "FAIL"
			}
			fmt.Fprintf(&b, " | %s (%s)", x.Value, mark)
		}
		b.WriteString(" |\n")
	}
	b.WriteString("| verdict")
	for _, bt := range bts {
		s := bt.Services[0]
		v := s.Verdict
		if c := s.Cause; c != nil {
			v += ": " + c.Cause
			if c.Fitted != nil {
				v += fmt.Sprintf(", fitted %.4g (plan %.4g)", *c.Fitted, *c.Planned)
			}
		}
		b.WriteString(" | " + v)
	}
	b.WriteString(" |\n")
	return b.String()
}
