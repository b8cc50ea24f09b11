package backtest

import (
	"context"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/headroom-dev/headroom/review/record"
	"github.com/headroom-dev/headroom/scenarios"
	"github.com/headroom-dev/headroom/sim"
)

// TestObservedCheck_ErrorDeterministic: Observed.check ranges over a map
// literal, so with two mis-sized series the error it returns depends on
// Go's randomised map order: the same input gives different messages.
func TestObservedCheck_ErrorDeterministic(t *testing.T) {
	o := Observed{Service: "api", Start: origin, Step: time.Minute,
		Rate: make([]float64, 10), Ready: make([]float64, 3), CPU: make([]float64, 4),
		P95: make([]float64, 5), SlowRate: make([]float64, 6), ErrorRate: make([]float64, 7)}
	seen := map[string]bool{}
	for range 200 {
		seen[o.check().Error()] = true
	}
	if len(seen) > 1 {
		t.Errorf("Observed.check gave %d different errors for the same input: %v", len(seen), seen)
	}
}

// TestRun_NothingJudgedIsIncomplete: when no service could be
// backtested the result still says "agrees" (JSON verdict, the CLI's
// header "AGREES"), although nothing was compared.
func TestRun_NothingJudgedIsIncomplete(t *testing.T) {
	p := diurnal(t, 2)
	o := Observed{Service: "api", Start: origin, Step: time.Minute, Rate: []float64{math.NaN()}, Ready: []float64{1}}
	bt, err := Run(context.Background(), p, []Observed{o}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(bt.Services) == 0 && bt.Verdict == record.BacktestAgrees {
		t.Errorf("verdict %q with 0 services judged and %d failures", bt.Verdict, len(bt.Failures))
	}
}

// TestMeasuredBudget_TimedOutRequestsCountOnce: a request that times out is
// slower than the target (it sits in the histogram above the target's
// bucket) and also failed; measured.budget adds SlowRate and ErrorRate,
// so the observed bad fraction can exceed 1 — here every request timed
// out and the observed burn is 2/(1−q), twice the largest possible burn.
// The simulated side (sim: bad = errors + slow beyond the timed-out ones)
// counts each request once, so the budgetBurn check compares unlike
// quantities exactly when a service is overloaded.
func TestMeasuredBudget_TimedOutRequestsCountOnce(t *testing.T) {
	spec := &scenarios.Service{SLO: scenarios.SLO{Latency: &scenarios.LatencySLO{Quantile: 0.95}}}
	o := &Observed{Rate: []float64{10, 10}, SlowRate: []float64{10, 10}, ErrorRate: []float64{10, 10}}
	m := &measured{}
	m.budget(spec, o, nil2())
	if b := m.rec.ObservedBudgetBurn; b == nil || *b > 1/0.05+1e-9 {
		t.Errorf("observed burn %v: a bad fraction above 1 (max burn is %g)", deref(b), 1/0.05)
	}
}

// TestService_InfiniteSampleIsAGap: a non-finite value from Prometheus
// (onSteps keeps +Inf; only NaN is treated as a gap) flows into the
// measures and the series, and the result can no longer be written as JSON.
func TestService_InfiniteSampleIsAGap(t *testing.T) {
	p := diurnal(t, 2)
	o := history(t, p, 7, 60)
	o.CPU[100] = math.Inf(1)
	s, err := Service(p, &o, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := json.Marshal(s); err != nil {
		t.Errorf("backtest result of a series with one +Inf sample cannot be written: %v", err)
	}
}

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

func nil2() *sim.ServiceResult {
	return &sim.ServiceResult{Summary: sim.Summary{Requests: 1200, BadFraction: 1}}
}

// TestCause_ScaleLagWithoutStartupNamesBoth: with no pod start-up seen
// (the startup check skipped) and a failed scale-lag check, cause names
// the metrics pipeline and states "start-ups match the plan" — a claim
// nothing measured. A late scale-up is just as likely a slower start-up
// than planned (the rule: lag -> start-up delays or metric lag).
func TestCause_ScaleLagWithoutStartupNamesBoth(t *testing.T) {
	lag := 900.0
	s := &record.BacktestService{Service: "api", Measures: record.BacktestMeasures{ScaleLagSeconds: &lag, MatchedScaleEvents: 5, ObservedScaleEvents: 6},
		Checks: []record.BacktestCheck{
			{Measure: CheckStartup, Skipped: true},
			{Measure: CheckScaleLag, OK: false},
		}}
	spec := &scenarios.Service{Name: "api"}
	c := cause(spec, &Observed{}, s, &measured{}, DefaultTolerances)
	if c.Cause == record.BacktestCauseMetricLag && strings.Contains(c.Evidence, "start-ups match the plan") {
		t.Errorf("cause %s with evidence %q, but no start-up was measured", c.Cause, c.Evidence)
	}
}
