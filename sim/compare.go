package sim

import (
	"context"
	"fmt"

	autoscalingv2 "k8s.io/api/autoscaling/v2"

	"github.com/headroom-dev/headroom/model"
	"github.com/headroom-dev/headroom/scenarios"
)

// Comparison holds one service's current and proposed HPA over one
// scenario.
type Comparison struct {
	Service  string          `json:"service"`
	Scenario string          `json:"scenario"`
	Current  Summary         `json:"current"`
	Proposed Summary         `json:"proposed"`
	Measures []Verdict       `json:"measures"`
	Events   [2][]ScaleEvent `json:"-"`
}

// Verdict compares one measure; lower is better for every measure.
type Verdict struct {
	Measure  string  `json:"measure"`
	Current  float64 `json:"current"`
	Proposed float64 `json:"proposed"`
	// Verdict is "better", "worse" or "same" for the proposal: the runs as
	// written, not their intervals.
	Verdict string `json:"verdict"`
	// CurrentRange and ProposedRange are the measure's p10 / p50 / p90
	// over the uncertainty ensemble; nil without one.
	CurrentRange  *model.Interval `json:"currentRange,omitempty"`
	ProposedRange *model.Interval `json:"proposedRange,omitempty"`
}

// LosesSLO reports whether the proposal breaks the SLO's error budget
// (scenario or worst-window burn above 1) and burns more of it than
// today's HPA.
func (c *Comparison) LosesSLO() bool {
	p, q := &c.Proposed, &c.Current
	over := p.SLOBudgetBurn > 1 || p.WorstWindowBurn > 1
	more := p.SLOBudgetBurn > q.SLOBudgetBurn*(1+1e-9) || p.WorstWindowBurn > q.WorstWindowBurn*(1+1e-9)
	return over && more
}

// Compare simulates every scenario covering each service in proposed (by
// service name) twice, with the plan's HPA and with the proposed one, and
// compares the service's summaries measure by measure. It stops with ctx's
// error when ctx is done. base gives every run's Seed and FlapWindow.
func Compare(ctx context.Context, plan *scenarios.Plan, proposed map[string]*autoscalingv2.HorizontalPodAutoscalerSpec, base Options) ([]Comparison, error) {
	runs, names := ComparisonRuns(plan, proposed, base)
	var out []Comparison
	for i := range names {
		cur, err := RunContext(ctx, plan, runs[2*i])
		if err != nil {
			return nil, fmt.Errorf("scenario %s, current HPA: %w", runs[2*i].Scenario, err)
		}
		prop, err := RunContext(ctx, plan, runs[2*i+1])
		if err != nil {
			return nil, fmt.Errorf("scenario %s, proposed HPA: %w", runs[2*i].Scenario, err)
		}
		out = append(out, CompareRuns(cur, prop, names[i])...)
	}
	return out, nil
}

// ComparisonRuns are the runs Compare makes: for the i-th scenario that
// covers a service in proposed, runs[2i] with today's HPAs and runs[2i+1]
// with the proposed ones, and names[i] the services they compare.
func ComparisonRuns(plan *scenarios.Plan, proposed map[string]*autoscalingv2.HorizontalPodAutoscalerSpec, base Options) (runs []Options, names [][]string) {
	for i := range plan.Scenarios {
		sc := &plan.Scenarios[i]
		var svcs []string
		for j := range plan.Services {
			if _, ok := proposed[plan.Services[j].Name]; ok && sc.AppliesTo(plan.Services[j].Name) {
				svcs = append(svcs, plan.Services[j].Name)
			}
		}
		if len(svcs) == 0 {
			continue
		}
		cur := Options{Scenario: sc.Name, Seed: base.Seed, FlapWindow: base.FlapWindow}
		prop := cur
		prop.HPA = proposed
		runs = append(runs, cur, prop)
		names = append(names, svcs)
	}
	return runs, names
}

// CompareRuns compares the named services between two runs of the same
// scenario, one with the current HPAs and one with proposed ones.
func CompareRuns(cur, prop *Result, services []string) []Comparison {
	var out []Comparison
	for _, name := range services {
		a, b := cur.service(name), prop.service(name)
		c := Comparison{Service: name, Scenario: cur.Scenario, Current: a.Summary, Proposed: b.Summary}
		c.Events = [2][]ScaleEvent{a.Events, b.Events}
		for _, m := range measures {
			v := verdict(m.name, m.get(&a.Summary), m.get(&b.Summary))
			if m.rng != nil {
				v.CurrentRange, v.ProposedRange = m.rng(&a.Summary), m.rng(&b.Summary)
			}
			c.Measures = append(c.Measures, v)
		}
		out = append(out, c)
	}
	return out
}

// Service returns the named service's run, or nil.
func (r *Result) Service(name string) *ServiceResult {
	for i := range r.Services {
		if r.Services[i].Service == name {
			return &r.Services[i]
		}
	}
	return nil
}

func (r *Result) service(name string) *ServiceResult {
	for i := range r.Services {
		if r.Services[i].Service == name {
			return &r.Services[i]
		}
	}
	return &ServiceResult{Service: name}
}

var measures = []struct {
	name string
	get  func(*Summary) float64
	// rng reads the measure's ensemble interval, nil for a measure an
	// ensemble does not bracket.
	rng func(*Summary) *model.Interval
}{
	{"SLO budget burn", func(s *Summary) float64 { return s.SLOBudgetBurn }, func(s *Summary) *model.Interval { return s.SLOBudgetBurnRange }},
	{"worst-window burn", func(s *Summary) float64 { return s.WorstWindowBurn }, func(s *Summary) *model.Interval { return s.WorstWindowBurnRange }},
	{"SLO-violation minutes", func(s *Summary) float64 { return s.SLOViolationMinutes }, func(s *Summary) *model.Interval { return s.SLOViolationMinutesRange }},
	{"worst p95 (s)", func(s *Summary) float64 { return s.WorstP95 }, func(s *Summary) *model.Interval { return s.WorstP95Range }},
	{"errors (%)", func(s *Summary) float64 { return s.ErrorPercent }, func(s *Summary) *model.Interval { return s.ErrorPercentRange }},
	{"longest violation (min)", func(s *Summary) float64 { return s.LongestViolation.Minutes() }, nil},
	{"pod-hours", func(s *Summary) float64 { return s.PodHours }, nil},
	{"cost", func(s *Summary) float64 { return s.Cost }, func(s *Summary) *model.Interval { return s.CostRange }},
	{"scale events", func(s *Summary) float64 { return float64(s.ScaleEvents) }, nil},
	{"flaps", func(s *Summary) float64 { return float64(s.Flaps) }, nil},
	{"minutes at maxReplicas", func(s *Summary) float64 { return s.PinnedAtMaxMinutes }, nil},
}

// verdict calls a change "same" within 0.5 % (or 1e-6 absolute).
func verdict(name string, cur, prop float64) Verdict {
	v := Verdict{Measure: name, Current: cur, Proposed: prop, Verdict: "same"}
	tol := max(1e-6, 0.005*max(abs(cur), abs(prop)))
	switch {
	case prop < cur-tol:
		v.Verdict = "better"
	case prop > cur+tol:
		v.Verdict = "worse"
	}
	return v
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}
