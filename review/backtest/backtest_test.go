package backtest

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/headroom-dev/headroom/review/record"
	"github.com/headroom-dev/headroom/scenarios"
	"github.com/headroom-dev/headroom/sim"
	"github.com/headroom-dev/headroom/sim/simtest"
)

var origin = time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)

// history simulates a plan's diurnal scenario with another seed and
// returns it as an observed history at one-minute steps: a stand-in for
// Prometheus that the unit tests control exactly (the e2e suite uses the
// request-level simulator and a real Prometheus instead).
func history(t testing.TB, p *scenarios.Plan, seed int64, startup float64) Observed {
	t.Helper()
	res, err := sim.Run(p, sim.Options{Scenario: p.Scenarios[0].Name, Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	ss := res.Services[0].Series
	n := len(ss) + 1
	o := Observed{Service: "api", Start: origin, Step: time.Minute, RateWindow: time.Minute,
		Rate: make([]float64, n), Ready: make([]float64, n), CPU: make([]float64, n), P95: make([]float64, n),
		Queries: map[string]string{"requestRate": "rate_q", "ready": "ready_q", "cpu": "cpu_q", "p95": "p95_q"}}
	for i, s := range ss {
		k := i + 1
		o.Rate[k], o.Ready[k], o.CPU[k], o.P95[k] = s.Lambda, float64(s.Ready), s.CPUUtilisation, s.P95
		if s.P95 < 0 {
			o.P95[k] = math.NaN()
		}
	}
	o.Rate[0], o.Ready[0], o.CPU[0], o.P95[0] = o.Rate[1], o.Ready[1], o.CPU[1], o.P95[1]
	for range 8 {
		o.StartupSeconds = append(o.StartupSeconds, startup)
	}
	cpu, st := 0.050, 0.2
	o.CPUPerRequest, o.ServiceTimeSeconds = &cpu, &st
	return o
}

func diurnal(t testing.TB, days int) *scenarios.Plan {
	p := simtest.DiurnalPlan(t, days)
	p.Services[0].Startup = scenarios.Startup{ContainerStart: scenarios.Duration(40 * time.Second), Readiness: scenarios.Duration(20 * time.Second)}
	return p
}

func check(t *testing.T, s *record.BacktestService, name string) record.BacktestCheck {
	t.Helper()
	for _, c := range s.Checks {
		if c.Measure == name {
			return c
		}
	}
	t.Fatalf("no check %s", name)
	return record.BacktestCheck{}
}

func TestBacktest_AgreesWithItsOwnModel(t *testing.T) {
	p := diurnal(t, 2)
	o := history(t, p, 7, 60)
	bt, err := Run(context.Background(), p, []Observed{o}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(bt.Services) != 1 {
		t.Fatalf("failures: %+v", bt.Failures)
	}
	s := &bt.Services[0]
	for _, c := range s.Checks {
		t.Logf("%-10s %-60s %s ok=%v skipped=%v", c.Measure, c.Value, c.Tolerance, c.OK, c.Skipped)
	}
	if bt.Verdict != record.BacktestAgrees || s.Cause != nil {
		t.Errorf("verdict %s, cause %+v; want agrees", bt.Verdict, s.Cause)
	}
	if s.Measures.ReplicasWithinOneShare < 0.99 || *s.Measures.CPUMAPE > 0.02 {
		t.Errorf("replaying the model's own output: within ±1 %.3f, CPU MAPE %.3f; want ≈ exact", s.Measures.ReplicasWithinOneShare, *s.Measures.CPUMAPE)
	}
	if s.Measures.ObservedScaleEvents < 10 || s.Measures.MatchedScaleEvents < s.Measures.ObservedScaleEvents*8/10 {
		t.Errorf("scale events: %d observed, %d matched", s.Measures.ObservedScaleEvents, s.Measures.MatchedScaleEvents)
	}
	if s.InitialReplicas != int32(o.Ready[0]) {
		t.Errorf("initial replicas %d, want the first observed %g", s.InitialReplicas, o.Ready[0])
	}
}

func TestBacktest_CPUTooLowNamesCPU(t *testing.T) {
	truth := diurnal(t, 2)
	o := history(t, truth, 7, 60)
	p := diurnal(t, 2)
	low := scenarios.Duration(37500 * time.Microsecond) // 50 ms × 0.75
	p.Services[0].CPU.PerRequest = &low
	bt, err := Run(context.Background(), p, []Observed{o}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := &bt.Services[0]
	if bt.Verdict != record.BacktestDisagrees || s.Cause == nil || s.Cause.Cause != record.BacktestCauseCPU {
		t.Fatalf("verdict %s cause %+v; want disagrees on %s", bt.Verdict, s.Cause, record.BacktestCauseCPU)
	}
	if *s.Cause.Fitted != 0.05 || math.Abs(*s.Cause.Planned-0.0375) > 1e-9 {
		t.Errorf("cause values planned %g fitted %g", *s.Cause.Planned, *s.Cause.Fitted)
	}
}

func TestBacktest_StartupTooShortNamesStartup(t *testing.T) {
	p := diurnal(t, 2)
	o := history(t, p, 7, 180)
	bt, err := Run(context.Background(), p, []Observed{o}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := &bt.Services[0]
	if s.Cause == nil || s.Cause.Cause != record.BacktestCauseStartup || *s.Cause.Fitted != 180 || *s.Cause.Planned != 60 {
		t.Fatalf("cause %+v; want %s 60 s planned, 180 s fitted", s.Cause, record.BacktestCauseStartup)
	}
	if !strings.Contains(check(t, s, CheckStartup).Value, "180 s observed") {
		t.Errorf("startup check %+v", check(t, s, CheckStartup))
	}
}

// TestBacktest_BadInput: each problem is named by service, query and time
// range, and the other services are still backtested.
func TestBacktest_BadInput(t *testing.T) {
	p := diurnal(t, 2)
	good := history(t, p, 7, 60)
	short := history(t, p, 7, 60)
	for k := range short.Rate[:len(short.Rate)-600*2] {
		short.Rate[k] = math.NaN()
	}
	empty := history(t, p, 7, 60)
	for k := range empty.Rate {
		empty.Rate[k] = math.NaN()
	}
	noReady := history(t, p, 7, 60)
	for k := range noReady.Ready {
		if k%3 != 0 {
			noReady.Ready[k] = math.NaN()
		}
	}
	gappy := history(t, p, 7, 60)
	for k := 100; k < 160; k++ {
		gappy.Ready[k] = math.NaN()
	}
	zero := history(t, p, 7, 60)
	for k := range zero.Rate {
		zero.Rate[k] = 0
	}
	bt, err := Run(context.Background(), p, []Observed{good, short, empty, noReady, gappy, zero}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(bt.Services) != 2 || len(bt.Failures) != 4 {
		t.Fatalf("%d services judged, %d failures %+v; want 2 and 4", len(bt.Services), len(bt.Failures), bt.Failures)
	}
	want := []struct{ query, text string }{
		{"rate_q", "covers 19h59m0s, a backtest needs at least 24h0m0s"},
		{"rate_q", "no request-rate samples"},
		{"ready_q", "miss 1920 of 2881 steps"},
		{"rate_q", "the request rate is 0 at every step"},
	}
	for i, w := range want {
		f := bt.Failures[i]
		if f.Query != w.query || !strings.Contains(f.Error, w.text) || f.From.IsZero() || !f.To.After(f.From) {
			t.Errorf("failure %d = %+v; want query %s and %q", i, f, w.query, w.text)
		}
	}
	notes := strings.Join(bt.Services[1].Notes, "\n")
	if !strings.Contains(notes, "ready (query ready_q): 60 steps without a sample, left out of the measures: 2026-01-05T01:40:00Z to 2026-01-05T02:39:00Z;") {
		t.Errorf("gap notes:\n%s", notes)
	}
}

func TestBacktest_NoHPA(t *testing.T) {
	p := diurnal(t, 2)
	o := history(t, p, 7, 60)
	p.Services[0].HPA = nil
	bt, err := Run(context.Background(), p, []Observed{o}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := &bt.Services[0]
	if s.HPA || s.Verdict != record.BacktestDisagrees || s.Cause == nil {
		t.Fatalf("hpa %v verdict %s cause %+v", s.HPA, s.Verdict, s.Cause)
	}
	if !strings.Contains(strings.Join(s.Notes, " "), "no HPA") {
		t.Errorf("notes %v", s.Notes)
	}
}

// BenchmarkBacktest14Days20Services is the speed target: 14 days
// at one-minute steps for 20 services (Prometheus excluded).
func BenchmarkBacktest14Days20Services(b *testing.B) {
	p := diurnal(b, 14)
	o := history(b, p, 7, 60)
	obs := make([]Observed, 20)
	for i := range obs {
		obs[i] = o
	}
	b.ResetTimer()
	for range b.N {
		bt, err := Run(context.Background(), p, obs, Options{})
		if err != nil || len(bt.Services) != 20 {
			b.Fatal(err, bt.Failures)
		}
	}
}

// TestMatchEvents: events pair by the replica level they cross, so a
// simulated jump 3→6 pairs with each of the observed steps 3→4→5→6, and a
// change in the other direction or beyond 15 minutes pairs with nothing.
func TestMatchEvents(t *testing.T) {
	nan := math.NaN()
	obs := []float64{3, 3, 4, 4, 5, nan, 6, 6, 6, 6, 5, 5}
	sim := []float64{3, 3, 3, 6, 6, 6, 6, 6, 6, 5, 5, 5}
	lags := matchEvents(scaleEvents(obs, time.Minute), scaleEvents(sim, time.Minute))
	want := []float64{60, -60, -180, -60}
	if len(lags) != len(want) {
		t.Fatalf("lags %v, want %v", lags, want)
	}
	for i := range want {
		if lags[i] != want[i] {
			t.Errorf("lags %v, want %v", lags, want)
		}
	}
	far := make([]float64, 40)
	for k := range far {
		far[k] = 3
		if k >= 30 {
			far[k] = 4
		}
	}
	if l := matchEvents(scaleEvents([]float64{3, 4, 4, 4}, time.Minute), scaleEvents(far, time.Minute)); len(l) != 0 {
		t.Errorf("an event 29 minutes away paired: %v", l)
	}
}

// TestBacktest_Deterministic: services replayed in parallel give the same
// bytes run after run, in the order given.
func TestBacktest_Deterministic(t *testing.T) {
	p := diurnal(t, 1)
	a, b := history(t, p, 7, 60), history(t, p, 8, 75)
	var out [][]byte
	for range 2 {
		bt, err := Run(context.Background(), p, []Observed{a, b, a}, Options{Parallel: 3})
		if err != nil {
			t.Fatal(err)
		}
		js, err := json.Marshal(bt)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, js)
		if len(bt.Services) != 3 || bt.Services[1].Measures.ObservedStartupSeconds == nil || *bt.Services[1].Measures.ObservedStartupSeconds != 75 {
			t.Fatalf("services out of order: %+v", bt.Services)
		}
	}
	if !bytes.Equal(out[0], out[1]) {
		t.Error("two runs differ")
	}
}

// TestObservedCheck_ErrorDeterministic: with several mis-sized series,
// Observed.check names the same one every time (it once ranged over a map,
// so the message depended on Go's randomised map order).
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

// TestRun_NothingJudgedIsIncomplete: when no service could be backtested
// the result is not "agrees" (nothing was compared) but incomplete.
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
// bucket) and also failed; the observed bad requests of a step are capped
// at its requests, so with every request timed out the observed burn is
// 1/(1−q), not twice that, as the simulated side counts each request once.
func TestMeasuredBudget_TimedOutRequestsCountOnce(t *testing.T) {
	spec := &scenarios.Service{SLO: scenarios.SLO{Latency: &scenarios.LatencySLO{Quantile: 0.95}}}
	o := &Observed{Rate: []float64{10, 10}, SlowRate: []float64{10, 10}, ErrorRate: []float64{10, 10}}
	m := &measured{}
	m.budget(spec, o, nil2())
	if b := m.rec.ObservedBudgetBurn; b == nil || *b > 1/0.05+1e-9 {
		t.Errorf("observed burn %v: a bad fraction above 1 (max burn is %g)", deref(b), 1/0.05)
	}
}

// TestService_InfiniteSampleIsAGap: a non-finite sample is a gap like NaN,
// so it reaches neither the measures nor the series, and the result can
// still be written as JSON.
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
// (the startup check skipped) and a failed scale-lag check, the cause does
// not claim "start-ups match the plan": a late scale-up is as likely a
// slower start-up than planned as a lagging metrics pipeline.
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
