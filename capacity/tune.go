package capacity

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"sort"
	"sync"

	"golang.org/x/sync/errgroup"
	autoscalingv2 "k8s.io/api/autoscaling/v2"

	"github.com/headroom-dev/headroom/scenarios"
	"github.com/headroom-dev/headroom/sim"
)

// TuneGrid lists the values a tune tries for each HPA setting; every
// combination is a candidate. Empty lists keep the service's current value.
type TuneGrid struct {
	// CPUTargets are averageUtilization targets (percent) for the CPU metric.
	CPUTargets []int32 `json:"cpuTargets"`
	// MinReplicas are minReplicas values.
	MinReplicas []int32 `json:"minReplicas"`
	// ScaleUpWindows and ScaleDownWindows are stabilisation windows, seconds.
	ScaleUpWindows   []int32 `json:"scaleUpWindows"`
	ScaleDownWindows []int32 `json:"scaleDownWindows"`
	// ScaleUpPercents are the scale-up policy's Percent values (per 60 s).
	ScaleUpPercents []int32 `json:"scaleUpPercents"`
}

// DefaultTuneGrid is a grid of up to 6 × 4 × 3 × 4 × 3 = 864 candidates
// around common settings; minReplicas values are relative to the current
// minimum. The CPU targets apply only to an HPA with a CPU utilisation
// metric; the Percent values replace the first Percent scale-up policy (or
// add one per 60 s), leaving the HPA's other policies as they are.
func DefaultTuneGrid(current *autoscalingv2.HorizontalPodAutoscalerSpec) TuneGrid {
	minR := int32(1)
	if current.MinReplicas != nil {
		minR = *current.MinReplicas
	}
	var mins []int32
	for _, m := range []int32{minR - 1, minR, minR + 1, minR + 2} {
		if m >= 1 && m <= current.MaxReplicas {
			mins = append(mins, m)
		}
	}
	return TuneGrid{
		CPUTargets:       []int32{40, 50, 60, 70, 80, 90},
		MinReplicas:      mins,
		ScaleUpWindows:   []int32{0, 60, 180},
		ScaleDownWindows: []int32{60, 300, 600, 900},
		ScaleUpPercents:  []int32{50, 100, 200},
	}
}

// Candidate is one HPA setting and how it did over every scenario.
type Candidate struct {
	CPUTarget       int32 `json:"cpuTarget"`
	MinReplicas     int32 `json:"minReplicas"`
	ScaleUpWindow   int32 `json:"scaleUpWindowSeconds"`
	ScaleDownWindow int32 `json:"scaleDownWindowSeconds"`
	ScaleUpPercent  int32 `json:"scaleUpPercent"`
	// CPURequest, CPULimit and MemoryRequest are the container resources a
	// sweep tried (Kubernetes quantities); empty where the plan's hold.
	CPURequest    string `json:"cpuRequest,omitempty"`
	CPULimit      string `json:"cpuLimit,omitempty"`
	MemoryRequest string `json:"memoryRequest,omitempty"`

	// Summed over the scenarios that cover the service.
	SLOViolationMinutes float64 `json:"sloViolationMinutes"`
	Cost                float64 `json:"cost"`
	PodHours            float64 `json:"podHours"`
	Flaps               int     `json:"flaps"`

	Spec *autoscalingv2.HorizontalPodAutoscalerSpec `json:"-"`
}

// TuneResult is a tune's outcome for one service.
type TuneResult struct {
	Service string `json:"service"`
	// Current is the service's HPA as it is, evaluated the same way.
	Current Candidate `json:"current"`
	// Best is the cheapest candidate with no SLO-violation minutes, or the
	// one with the fewest minutes when none has zero.
	Best Candidate `json:"best"`
	// Pareto are the candidates no other beats on both cost and SLO minutes,
	// by cost.
	Pareto     []Candidate `json:"pareto"`
	Candidates int         `json:"candidates"`
	Scenarios  []string    `json:"scenarios"`
}

// Tune evaluates every grid candidate for one service's HPA over every
// scenario covering it, in parallel on GOMAXPROCS workers. Only the
// service itself is simulated (its nodes are not shared with others).
// progress, if not nil, is called after each candidate.
func Tune(ctx context.Context, plan *scenarios.Plan, service string, grid TuneGrid, progress func(done, total int)) (*TuneResult, error) {
	var svc *scenarios.Service
	for i := range plan.Services {
		if plan.Services[i].Name == service {
			svc = &plan.Services[i]
		}
	}
	if svc == nil {
		return nil, fmt.Errorf("no service named %q", service)
	}
	if svc.HPA == nil {
		return nil, fmt.Errorf("service %s has no HPA to tune", service)
	}
	res := &TuneResult{Service: service}
	for _, sc := range plan.Scenarios {
		if sc.AppliesTo(service) {
			res.Scenarios = append(res.Scenarios, sc.Name)
		}
	}
	if len(res.Scenarios) == 0 {
		return nil, fmt.Errorf("no scenario covers service %s", service)
	}
	cands := expand(svc.HPA, grid)
	res.Candidates = len(cands)
	current := Candidate{Spec: svc.HPA}
	describe(&current)
	ev := evaluator{plan: plan, service: service, scenarios: res.Scenarios, traffic: sim.NewTrafficCache()}
	if err := ev.evaluate(&current); err != nil {
		return nil, err
	}
	res.Current = current
	if err := evaluateAll(ctx, len(cands), func(i int) error { return ev.evaluate(&cands[i]) }, progress); err != nil {
		return nil, err
	}
	res.Best, res.Pareto = choose(cands)
	return res, nil
}

// evaluateAll runs eval(0 … n−1), at most GOMAXPROCS at a time, and
// returns the first error, or the context's when it was cancelled; no
// new evaluation starts after either. eval writes its result into slot
// i, so the outcome does not depend on the scheduling. progress, if not
// nil, is called after each.
func evaluateAll(ctx context.Context, n int, eval func(i int) error, progress func(done, total int)) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.GOMAXPROCS(0))
	var mu sync.Mutex
	done := 0
	for i := range n {
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error {
			err := eval(i)
			if progress != nil {
				mu.Lock()
				done++
				progress(done, n)
				mu.Unlock()
			}
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	return ctx.Err()
}

// Size is the number of candidates Tune evaluates for a service whose HPA
// is base (besides base itself).
func (g TuneGrid) Size(base *autoscalingv2.HorizontalPodAutoscalerSpec) int {
	return len(expand(base, g))
}

// expand builds the grid's candidates in a fixed order.
func expand(base *autoscalingv2.HorizontalPodAutoscalerSpec, g TuneGrid) []Candidate {
	cur := Candidate{Spec: base}
	describe(&cur)
	or := func(xs []int32, v int32) []int32 {
		if len(xs) == 0 {
			return []int32{v}
		}
		return xs
	}
	// Today's HPA is the first candidate: a tune never recommends something
	// worse than what runs.
	out := []Candidate{cur}
	targets := g.CPUTargets
	if cur.CPUTarget == 0 {
		targets = nil // no CPU utilisation metric to retarget
	}
	for _, t := range or(targets, cur.CPUTarget) {
		for _, m := range or(g.MinReplicas, cur.MinReplicas) {
			for _, up := range or(g.ScaleUpWindows, cur.ScaleUpWindow) {
				for _, down := range or(g.ScaleDownWindows, cur.ScaleDownWindow) {
					for _, pct := range or(g.ScaleUpPercents, cur.ScaleUpPercent) {
						c := Candidate{CPUTarget: t, MinReplicas: m, ScaleUpWindow: up, ScaleDownWindow: down, ScaleUpPercent: pct}
						if c.settings() == cur.settings() {
							continue
						}
						c.Spec = apply(base, c)
						out = append(out, c)
					}
				}
			}
		}
	}
	return out
}

type settings struct{ t, m, up, down, pct int32 }

func (c *Candidate) settings() settings {
	return settings{c.CPUTarget, c.MinReplicas, c.ScaleUpWindow, c.ScaleDownWindow, c.ScaleUpPercent}
}

// describe reads a candidate's settings back from its spec (for the
// current HPA). A setting the spec does not have reads as 0.
func describe(c *Candidate) {
	s := c.Spec
	if s.MinReplicas != nil {
		c.MinReplicas = *s.MinReplicas
	} else {
		c.MinReplicas = 1
	}
	for _, m := range s.Metrics {
		if m.Resource != nil && m.Resource.Name == "cpu" && m.Resource.Target.AverageUtilization != nil {
			c.CPUTarget = *m.Resource.Target.AverageUtilization
		}
	}
	if b := s.Behavior; b != nil {
		if b.ScaleUp != nil {
			if b.ScaleUp.StabilizationWindowSeconds != nil {
				c.ScaleUpWindow = *b.ScaleUp.StabilizationWindowSeconds
			}
			for _, p := range b.ScaleUp.Policies {
				if p.Type == autoscalingv2.PercentScalingPolicy {
					c.ScaleUpPercent = p.Value
				}
			}
		}
		if b.ScaleDown != nil && b.ScaleDown.StabilizationWindowSeconds != nil {
			c.ScaleDownWindow = *b.ScaleDown.StabilizationWindowSeconds
		}
	}
	if s.Behavior == nil || s.Behavior.ScaleDown == nil || s.Behavior.ScaleDown.StabilizationWindowSeconds == nil {
		c.ScaleDownWindow = 300 // the API default and the controller's flag default
	}
	if c.ScaleUpPercent == 0 {
		c.ScaleUpPercent = 100 // the API default scale-up policy: 100 % or 4 pods per 15 s
	}
}

// apply returns base with the candidate's settings; a CPU target is set
// only on a CPU utilisation metric that exists.
func apply(base *autoscalingv2.HorizontalPodAutoscalerSpec, c Candidate) *autoscalingv2.HorizontalPodAutoscalerSpec {
	s := base.DeepCopy()
	s.MinReplicas = &c.MinReplicas
	for i := range s.Metrics {
		m := &s.Metrics[i]
		if m.Resource != nil && m.Resource.Name == "cpu" && m.Resource.Target.Type == autoscalingv2.UtilizationMetricType {
			t := c.CPUTarget
			m.Resource.Target.AverageUtilization = &t
		}
	}
	if s.Behavior == nil {
		s.Behavior = &autoscalingv2.HorizontalPodAutoscalerBehavior{}
	}
	up, down := c.ScaleUpWindow, c.ScaleDownWindow
	if s.Behavior.ScaleUp == nil {
		// The API default rules, made explicit so the Percent value can move.
		s.Behavior.ScaleUp = &autoscalingv2.HPAScalingRules{Policies: []autoscalingv2.HPAScalingPolicy{
			{Type: autoscalingv2.PercentScalingPolicy, Value: 100, PeriodSeconds: 15},
			{Type: autoscalingv2.PodsScalingPolicy, Value: 4, PeriodSeconds: 15},
		}}
	}
	s.Behavior.ScaleUp.StabilizationWindowSeconds = &up
	retargeted := false
	for i := range s.Behavior.ScaleUp.Policies {
		if p := &s.Behavior.ScaleUp.Policies[i]; p.Type == autoscalingv2.PercentScalingPolicy && !retargeted {
			p.Value, retargeted = c.ScaleUpPercent, true
		}
	}
	if !retargeted {
		s.Behavior.ScaleUp.Policies = append(s.Behavior.ScaleUp.Policies,
			autoscalingv2.HPAScalingPolicy{Type: autoscalingv2.PercentScalingPolicy, Value: c.ScaleUpPercent, PeriodSeconds: 60})
	}
	if s.Behavior.ScaleDown == nil {
		s.Behavior.ScaleDown = &autoscalingv2.HPAScalingRules{}
	}
	s.Behavior.ScaleDown.StabilizationWindowSeconds = &down
	return s
}

// evaluator simulates candidates of one service over its scenarios: the
// one evaluation tune and sweep share.
type evaluator struct {
	plan      *scenarios.Plan
	service   string
	scenarios []string
	traffic   *sim.TrafficCache
	mode      sim.Mode
}

// evaluate simulates one candidate over the scenarios and sums its
// measures into it.
func (e *evaluator) evaluate(c *Candidate) error {
	override := map[string]*autoscalingv2.HorizontalPodAutoscalerSpec{e.service: c.Spec}
	for _, sc := range e.scenarios {
		r, err := sim.Run(e.plan, sim.Options{Scenario: sc, Services: []string{e.service}, HPA: override, Traffic: e.traffic, Mode: e.mode})
		if err != nil {
			return fmt.Errorf("scenario %s: %w", sc, err)
		}
		s := r.Services[0].Summary
		c.SLOViolationMinutes += s.SLOViolationMinutes
		c.Cost += s.Cost
		c.PodHours += s.PodHours
		c.Flaps += s.Flaps
	}
	return nil
}

// costTolerance: costs within this fraction are a tie, broken by SLO
// minutes, then flaps, then grid order.
const costTolerance = 1e-3

// choose picks the best candidate and the Pareto front of cost against
// SLO-violation minutes.
func choose(cands []Candidate) (Candidate, []Candidate) {
	best, front := chooseIndex(cands)
	out := make([]Candidate, len(front))
	for i, j := range front {
		out[i] = cands[j]
	}
	return cands[best], out
}

// chooseIndex is choose by position in cands.
func chooseIndex(cands []Candidate) (int, []int) {
	sameCost := func(a, b float64) bool { return math.Abs(a-b) <= costTolerance*max(math.Abs(a), math.Abs(b)) }
	sorted := make([]int, len(cands))
	for i := range sorted {
		sorted[i] = i
	}
	sort.SliceStable(sorted, func(i, j int) bool {
		a, b := &cands[sorted[i]], &cands[sorted[j]]
		if !sameCost(a.Cost, b.Cost) {
			return a.Cost < b.Cost
		}
		if a.SLOViolationMinutes != b.SLOViolationMinutes {
			return a.SLOViolationMinutes < b.SLOViolationMinutes
		}
		return a.Flaps < b.Flaps
	})
	var front []int
	bestMinutes := -1.0
	for _, i := range sorted {
		c := &cands[i]
		if bestMinutes < 0 || c.SLOViolationMinutes < bestMinutes-1e-9 {
			front = append(front, i)
			bestMinutes = c.SLOViolationMinutes
		}
	}
	// The front runs by increasing cost and decreasing minutes; the best is
	// its cheapest member with zero minutes, else its last (fewest minutes).
	best := front[len(front)-1]
	for _, i := range front {
		if cands[i].SLOViolationMinutes == 0 {
			best = i
			break
		}
	}
	return best, front
}
