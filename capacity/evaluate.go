package capacity

import (
	"context"
	"fmt"

	autoscalingv2 "k8s.io/api/autoscaling/v2"

	"github.com/headroom-dev/headroom/scenarios"
	"github.com/headroom-dev/headroom/sim"
)

// Setting is one HPA setting of a service as the recommender searches it:
// the CPU target (0 keeps the HPA's metrics as they are), minReplicas,
// maxReplicas, and whether Kubernetes' default scale-up rules replace the
// HPA's (Point.ScaleUp "kubernetes-default").
type Setting struct {
	CPUTarget      int32
	MinReplicas    int32
	MaxReplicas    int32
	DefaultScaleUp bool
}

func (st Setting) internal() setting {
	s := setting{t: st.CPUTarget, m: st.MinReplicas, M: st.MaxReplicas}
	if st.DefaultScaleUp {
		s.up = upDefault
	}
	return s
}

// Evaluator evaluates settings of one service exactly as Propose's search
// does (the same simulation runs, margin, ensemble and never-worse rule),
// so a setting evaluated here and the same setting in a Proposal's
// Evaluated carry the same numbers. It is what `headroom sweep` evaluates
// each grid cell with. Evaluate may be called concurrently.
type Evaluator struct {
	ctx       context.Context
	plan      *scenarios.Plan
	service   string
	scenarios []string
	opts      ProposeOptions
	traffic   *sim.TrafficCache
	latency   *sim.LatencyCache
	current   *Point
	floor     int32
	floorWhy  string
}

// NewEvaluator evaluates today's HPA with today's resources (Current), at
// the point estimate and on the ensemble, without the margin,
// over the scenarios named (default: every scenario covering the
// service), the point every later evaluation is judged never worse
// against. opts' Mode, Seed, FlapWindow and Margin apply as in Propose.
func NewEvaluator(ctx context.Context, plan *scenarios.Plan, service string, scenarioNames []string, opts ProposeOptions) (*Evaluator, error) {
	svc := plan.Service(service)
	if svc == nil {
		return nil, fmt.Errorf("no service named %q", service)
	}
	e := &Evaluator{ctx: ctx, plan: plan, service: service, scenarios: scenarioNames, opts: opts, traffic: sim.NewTrafficCache(), latency: sim.NewLatencyCache()}
	s := e.search(plan, svc)
	if len(s.scenarios) == 0 {
		return nil, fmt.Errorf("no scenario of the plan covers service %s", service)
	}
	e.scenarios = s.scenarios
	// Today runs at the point estimate and on the ensemble, as the
	// recommender judges it: the margin is a requirement on proposals.
	s.margins = nil
	cur, err := e.eval(s, today(svc))
	if err != nil {
		return nil, err
	}
	cur.NeverWorse = true
	e.current = cur
	if svc.HPA != nil {
		if e.floor, e.floorWhy, err = s.minFloor(); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// today is the service's setting as the plan has it.
func today(svc *scenarios.Service) setting {
	if svc.HPA == nil {
		return setting{}
	}
	st := setting{t: svc.HPACPUTarget(), m: 1, M: svc.HPA.MaxReplicas}
	if svc.HPA.MinReplicas != nil {
		st.m = *svc.HPA.MinReplicas
	}
	return st
}

// Current is today's point: the plan's HPA and resources.
func (e *Evaluator) Current() Point { return *e.current }

// Floor is the lowest minReplicas the recommender proposes for the
// service (zone redundancy, the plan's redundancy.minReplicas, the lowest
// load's need) and why; 0 for a service without an HPA.
func (e *Evaluator) Floor() (int32, string) { return e.floor, e.floorWhy }

// Scenarios are the scenarios every evaluation covers.
func (e *Evaluator) Scenarios() []string { return e.scenarios }

// Evaluate simulates the setting on plan — the evaluator's plan or a
// variant of it with other resources or another HPA (stabilisation
// windows, scaling policies) for the service — at the point estimate,
// with the margin and on the whole ensemble, and judges it never worse
// against Current. The setting's bounds and target are applied to the
// variant's HPA. A service without an HPA takes the zero Setting.
func (e *Evaluator) Evaluate(plan *scenarios.Plan, st Setting) (Point, error) {
	svc := plan.Service(e.service)
	if svc == nil {
		return Point{}, fmt.Errorf("no service named %q", e.service)
	}
	if svc.HPA == nil && st != (Setting{}) {
		return Point{}, fmt.Errorf("service %s has no HPA to set", e.service)
	}
	s := e.search(plan, svc)
	s.current = e.current
	p, err := e.eval(s, st.internal())
	if err != nil {
		return Point{}, err
	}
	p.NeverWorse = s.neverWorse(p)
	return *p, nil
}

// search is the recommender's search state for the service of plan, over
// the evaluator's scenarios.
func (e *Evaluator) search(plan *scenarios.Plan, svc *scenarios.Service) *search {
	s := newSearch(e.ctx, plan, svc, nil, e.opts, e.traffic, e.latency)
	if len(e.scenarios) > 0 {
		s.scenarios = e.scenarios
		s.hot = make([]int, len(s.scenarios)*len(s.members))
	}
	return s
}

// eval is the recommender's full evaluation of st on the search's plan.
func (e *Evaluator) eval(s *search, st setting) (*Point, error) {
	if s.svc.HPA != nil {
		return s.evalOn(false, st, true)
	}
	return evalFixedReplicas(s)
}

// evalFixedReplicas is search.evalOn for a service without an HPA (whose
// replicas the plan fixes): the same runs, outcomes and ensemble, with no
// HPA to override.
func evalFixedReplicas(s *search) (*Point, error) {
	variants := append([]sim.Factors{{}}, s.margins...)
	margin := len(s.margins) > 0
	n := len(s.scenarios) * len(variants)
	sums := make([]sim.Summary, n)
	err := evaluateAll(s.ctx, n, func(i int) error {
		sc, v := s.scenarios[i/len(variants)], variants[i%len(variants)]
		// A nil HPA override leaves a service without an HPA as it is.
		o := s.runOptions(false, sc, nil)
		o.Factors = v
		r, err := sim.Run(s.plan, o)
		if err != nil {
			return fmt.Errorf("scenario %s: %w", sc, err)
		}
		sums[i], err = s.summaryOf(r)
		return err
	}, nil)
	if err != nil {
		return nil, err
	}
	p := &Point{Margin: margin}
	for j, sc := range s.scenarios {
		pt := sums[j*len(variants)]
		o := Outcome{Scenario: sc, Burn: pt.SLOBudgetBurn, WorstWindowBurn: pt.WorstWindowBurn, Minutes: pt.SLOViolationMinutes,
			Cost: pt.Cost, ScaleEvents: pt.ScaleEvents, Weight: s.plan.Scenario(sc).CostWeight()}
		for k := range s.margins {
			mg := sums[j*len(variants)+1+k]
			o.MarginBurn, o.MarginWorstWindowBurn = max(o.MarginBurn, mg.SLOBudgetBurn), max(o.MarginWorstWindowBurn, mg.WorstWindowBurn)
		}
		p.Outcomes = append(p.Outcomes, o)
	}
	p.rollUp()
	if len(s.members) > 0 {
		// A nil override leaves a service without an HPA as it is.
		var none *autoscalingv2.HorizontalPodAutoscalerSpec
		if err := s.ensembleStage(false, nil, none, p, true); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// EvaluationRuns is how many simulation runs one evaluation of a setting
// takes per scenario: the point estimate, the margin's variants and the
// plan's ensemble members.
func EvaluationRuns(plan *scenarios.Plan, opts ProposeOptions) int {
	s := newSearch(context.Background(), plan, &scenarios.Service{}, nil, opts, nil, nil)
	return 1 + len(s.margins) + len(s.members)
}
