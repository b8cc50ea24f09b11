package backtest

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"sync"
	"time"

	"github.com/headroom-dev/headroom/review/record"
	"github.com/headroom-dev/headroom/scenarios"
	"github.com/headroom-dev/headroom/sim"
)

// MinWindow is the shortest history a backtest judges: one day, so that the
// replay holds a whole daily cycle of scale-ups and scale-downs.
const MinWindow = 24 * time.Hour

// Observed is one service's history at a fixed step, as read from
// Prometheus. Every series has one value per step from Start (index k is
// Start + k·Step); NaN marks a step without a sample (a gap).
type Observed struct {
	Service string
	Start   time.Time
	Step    time.Duration
	// RateWindow is the range of rate() behind Rate and CPU (its samples
	// average the RateWindow before their time). Default 5m.
	RateWindow time.Duration
	// Rate is the request rate of all pods, per second.
	Rate []float64
	// Ready is the workload's Ready replicas.
	Ready []float64
	// CPU is the average CPU of a pod over its CPU request (the HPA's
	// utilisation, as a fraction); nil when it could not be read.
	CPU []float64
	// P95 is the p95 latency in seconds from the step's histogram
	// buckets; nil when it could not be read.
	P95 []float64
	// SlowRate is the rate of requests slower than the SLO target (at a
	// histogram bucket bound equal to it) and ErrorRate that of failed
	// requests, per second; nil when they could not be read.
	SlowRate  []float64
	ErrorRate []float64
	// StartupSeconds are the pods' creation-to-Ready delays.
	StartupSeconds []float64
	// CPUPerRequest is observe's fitted CPU seconds per request (the slope
	// of a pod's CPU on its request rate), nil when it could not be fitted.
	CPUPerRequest *float64
	// ServiceTimeSeconds is observe's request-weighted mean latency.
	ServiceTimeSeconds *float64
	// Queries name the PromQL behind each series (requestRate, ready, cpu,
	// p95, slow, errors, startup), for notes about gaps.
	Queries map[string]string
	// Notes are problems found while reading (passed through).
	Notes []string
}

// Options configure Run.
type Options struct {
	// Tolerances are the bounds of agreement; zero fields take
	// DefaultTolerances'.
	Tolerances record.BacktestTolerances
	// Seed overrides the plan's seed when not 0.
	Seed int64
	// Parallel is how many services are replayed at once. Default
	// GOMAXPROCS.
	Parallel int
}

// DefaultTolerances are the bounds docs/backtest.md justifies.
var DefaultTolerances = record.BacktestTolerances{
	ReplicasAgreeShare: 0.9,
	CPUMAPE:            0.15,
	P95RatioMin:        0.8,
	P95RatioMax:        1.25,
	StartupRatioMin:    0.75,
	StartupRatioMax:    1.33,
	ScaleLagSeconds:    300,
	BudgetBurnAbs:      0.1,
	BudgetBurnRel:      0.25,
}

func (o *Options) defaults() {
	t, d := &o.Tolerances, DefaultTolerances
	fill := func(v *float64, def float64) {
		if *v == 0 {
			*v = def
		}
	}
	fill(&t.ReplicasAgreeShare, d.ReplicasAgreeShare)
	fill(&t.CPUMAPE, d.CPUMAPE)
	fill(&t.P95RatioMin, d.P95RatioMin)
	fill(&t.P95RatioMax, d.P95RatioMax)
	fill(&t.StartupRatioMin, d.StartupRatioMin)
	fill(&t.StartupRatioMax, d.StartupRatioMax)
	fill(&t.ScaleLagSeconds, d.ScaleLagSeconds)
	fill(&t.BudgetBurnAbs, d.BudgetBurnAbs)
	fill(&t.BudgetBurnRel, d.BudgetBurnRel)
	if o.Parallel <= 0 {
		o.Parallel = runtime.GOMAXPROCS(0)
	}
}

// Run backtests every observed service against the plan. A service that
// cannot be replayed is listed in Failures; the others are still judged.
// The result's Verdict is BacktestDisagrees when any judged service
// disagrees, otherwise BacktestIncomplete when a service failed or none
// was judged, otherwise BacktestAgrees. A cancelled ctx returns its error.
func Run(ctx context.Context, plan *scenarios.Plan, obs []Observed, opts Options) (*record.Backtest, error) {
	opts.defaults()
	out := &record.Backtest{Plan: plan.File(), Verdict: record.BacktestAgrees, Tolerances: opts.Tolerances}
	type slot struct {
		svc  *record.BacktestService
		fail *record.BacktestFailure
	}
	slots := make([]slot, len(obs))
	sem := make(chan struct{}, opts.Parallel)
	var wg sync.WaitGroup
	for i := range obs {
		if i == 0 || obs[i].Start.Before(out.Start) {
			out.Start = obs[i].Start
		}
		if e := obs[i].end(); e.After(out.End) {
			out.End = e
		}
		out.StepSeconds = obs[i].Step.Seconds()
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			if ctx.Err() != nil {
				return
			}
			s, err := Service(plan, &obs[i], opts)
			if err != nil {
				slots[i].fail = &record.BacktestFailure{Service: obs[i].Service, From: obs[i].Start, To: obs[i].end(), Error: err.Error()}
				var qe *QueryError
				if asQueryError(err, &qe) {
					slots[i].fail.Query, slots[i].fail.From, slots[i].fail.To = qe.Query, qe.From, qe.To
				}
				return
			}
			slots[i].svc = s
		}(i)
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	disagrees := false
	for _, s := range slots {
		if s.fail != nil {
			out.Failures = append(out.Failures, *s.fail)
			continue
		}
		out.Services = append(out.Services, *s.svc)
		if s.svc.Verdict != record.BacktestAgrees {
			disagrees = true
		}
	}
	switch {
	case disagrees:
		out.Verdict = record.BacktestDisagrees
	case len(out.Failures) > 0 || len(out.Services) == 0:
		// "Agrees" would claim what nothing compared.
		out.Verdict = record.BacktestIncomplete
	}
	return out, nil
}

func (o *Observed) end() time.Time {
	return o.Start.Add(time.Duration(max(len(o.Rate)-1, 0)) * o.Step)
}

// Service backtests one service: replay, measure, judge.
func Service(plan *scenarios.Plan, o *Observed, opts Options) (*record.BacktestService, error) {
	opts.defaults()
	spec := plan.Service(o.Service)
	if spec == nil {
		return nil, fmt.Errorf("the plan %s has no service %q", plan.File(), o.Service)
	}
	o = o.finite()
	if err := o.check(); err != nil {
		return nil, err
	}
	res, init, err := replay(plan, spec, o, opts.Seed)
	if err != nil {
		return nil, err
	}
	s := &record.BacktestService{Service: o.Service, InitialReplicas: init, HPA: spec.HPA != nil}
	s.Notes = append(s.Notes, o.Notes...)
	s.Notes = append(s.Notes, o.gapNotes()...)
	m := measure(plan, spec, o, res)
	s.Measures = m.rec
	s.Series = m.series
	s.Notes = append(s.Notes, m.notes...)
	if !s.HPA {
		s.Notes = append(s.Notes, "the plan gives this service no HPA: the replay holds the first observed replica count")
	}
	s.Checks = checks(&s.Measures, m, opts.Tolerances)
	s.Verdict = record.BacktestAgrees
	for _, c := range s.Checks {
		if !c.OK && !c.Skipped {
			s.Verdict = record.BacktestDisagrees
		}
	}
	if s.Verdict == record.BacktestDisagrees {
		s.Cause = cause(spec, o, s, m, opts.Tolerances)
	}
	return s, nil
}

// replay runs the observed request rate through the simulator with the
// plan's HPA, scheduled scaling and nodes, starting at the first observed
// Ready replica count.
func replay(plan *scenarios.Plan, spec *scenarios.Service, o *Observed, seed int64) (*sim.ServiceResult, int32, error) {
	tick := plan.Simulation.Tick.D()
	if tick <= 0 || o.Step%tick != 0 {
		return nil, 0, fmt.Errorf("the step %s is not a whole number of the plan's simulation ticks (%s)", o.Step, tick)
	}
	peak := 0.0
	for _, v := range o.Rate {
		if !math.IsNaN(v) {
			peak = math.Max(peak, v)
		}
	}
	if !(peak > 0) {
		return nil, 0, &QueryError{Query: o.Queries["requestRate"], From: o.Start, To: o.end(), Err: fmt.Errorf("the request rate is 0 at every step: nothing to replay")}
	}
	// A rate() sample averages the RateWindow before it: its value belongs
	// to the middle of that range.
	shift := o.RateWindow / 2
	if shift <= 0 {
		shift = 150 * time.Second
	}
	pts := make([]scenarios.ReplayPoint, 0, len(o.Rate))
	for k, v := range o.Rate {
		if math.IsNaN(v) {
			continue
		}
		at := max(time.Duration(k)*o.Step-shift, 0)
		if n := len(pts); n > 0 && scenarios.Duration(at) <= pts[n-1].At {
			pts[n-1].Multiplier = scenarios.Multiplier(v / peak)
			continue
		}
		pts = append(pts, scenarios.ReplayPoint{At: scenarios.Duration(at), Multiplier: scenarios.Multiplier(v / peak)})
	}
	init := int32(spec.Replicas)
	for _, v := range o.Ready {
		if !math.IsNaN(v) {
			init = int32(math.Round(v))
			break
		}
	}
	if init < 1 {
		init = 1
	}
	rate := scenarios.NewRate(peak)
	start := o.Start.UTC()
	sc := scenarios.Scenario{
		Name:     "backtest",
		Start:    scenarios.TimeOfDay(start.Sub(start.Truncate(24 * time.Hour))),
		Duration: scenarios.Duration(time.Duration(len(o.Rate)-1) * o.Step),
		Services: []string{spec.Name},
		Mode:     scenarios.ModeAbsolute,
		Rate:     &rate,
		Profile:  []scenarios.Component{{Replay: &scenarios.Replay{Points: pts}}},
	}
	p := *plan
	p.Scenarios = []scenarios.Scenario{sc}
	res, err := sim.Run(&p, sim.Options{
		Scenario:        sc.Name,
		Services:        []string{spec.Name},
		Seed:            seed,
		SampleEvery:     o.Step,
		InitialReplicas: map[string]int32{spec.Name: init},
	})
	if err != nil {
		return nil, 0, fmt.Errorf("replaying the observed rate: %w", err)
	}
	return &res.Services[0], init, nil
}

// QueryError is a failure tied to one query and time range.
type QueryError struct {
	Query    string
	From, To time.Time
	Err      error
}

func (e *QueryError) Error() string {
	q := ""
	if e.Query != "" {
		q = " (query " + e.Query + ")"
	}
	return fmt.Sprintf("%v%s from %s to %s", e.Err, q, e.From.Format(time.RFC3339), e.To.Format(time.RFC3339))
}

func (e *QueryError) Unwrap() error { return e.Err }
