package capacity

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"sync"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"

	"github.com/headroom-dev/headroom/model"
	"github.com/headroom-dev/headroom/scenarios"
	"github.com/headroom-dev/headroom/sim"
	"github.com/headroom-dev/headroom/sim/ensemble"
)

// DefaultMargin is the robustness margin of Propose: a proposal must meet
// the SLO with the estimated inputs moved by this fraction — CPU per
// request down alone (a CPU-utilisation HPA reads less load), every input
// down, every input up, and more and slower requests that cost less CPU;
// for a service with synchronous callees (run with it) also more requests
// alone and CPU per request up alone —
// so that an operating point at the edge of the HPA's tolerance band,
// where the controller's decision in ReplicaCalculator.GetResourceReplicas
// (pkg/controller/podautoscaler/replica_calculator.go) flips on a small
// change of the measured utilisation, does not pass.
const DefaultMargin = 0.03

// ProposeOptions configure Propose.
type ProposeOptions struct {
	// Mode is the simulation's per-pod model (default fluid).
	Mode sim.Mode
	// Seed overrides the plan's seed when not 0.
	Seed int64
	// FlapWindow is sim.Options.FlapWindow.
	FlapWindow time.Duration
	// Margin is the robustness margin (DefaultMargin when 0; negative
	// turns it off).
	Margin float64
	// Services limits the search to these services (default all).
	Services []string
	// Usage are observed peaks by service (rightsize's history): the
	// proposal's CPU limit and memory request never go below them.
	Usage map[string]UsagePeak
	// Progress, when set, is called after each service's search with the
	// searches done and their total.
	Progress func(done, total int)
	// Latency is the cache of latency tables the search's runs share, with
	// the caller's other runs of the plan when it passes one (a review
	// simulates today's and the proposed settings on the same members);
	// a fresh one when nil.
	Latency *sim.LatencyCache
}

// Outcome is one service in one scenario as the recommender's oracle saw
// it: the point estimate, and the inputs moved by the margin.
type Outcome struct {
	Scenario        string  `json:"scenario"`
	Burn            float64 `json:"sloBudgetBurn"`
	WorstWindowBurn float64 `json:"worstWindowBurn"`
	Minutes         float64 `json:"sloViolationMinutes"`
	// MarginBurn and MarginWorstWindowBurn are the burns with the inputs
	// moved by the margin.
	MarginBurn            float64 `json:"marginBurn"`
	MarginWorstWindowBurn float64 `json:"marginWorstWindowBurn"`
	Cost                  float64 `json:"cost"`
	ScaleEvents           int     `json:"scaleEvents"`
	// Partial: the search rejected the point before this scenario's runs
	// all finished (staged evaluation); only the runs made are in, the
	// others read 0.
	Partial bool `json:"partial,omitempty"`
	// With the plan's uncertainty ensemble: the p10 / p50 / p90 of the
	// burns and SLO minutes over its members (nil without an ensemble, and
	// for a point the search dropped before every member ran).
	BurnRange            *model.Interval `json:"sloBudgetBurnRange,omitempty"`
	WorstWindowBurnRange *model.Interval `json:"worstWindowBurnRange,omitempty"`
	MinutesRange         *model.Interval `json:"sloViolationMinutesRange,omitempty"`
	// Weight is the scenario's weight in the cost objective (the plan's
	// scenarios[].weight, default 1).
	Weight float64 `json:"weight"`
}

// meets reports whether the outcome holds the budget at the point, with
// the margin and, with an ensemble, at its p90.
func (o Outcome) meets() bool {
	ok := o.Burn <= 1 && o.WorstWindowBurn <= 1 && o.MarginBurn <= 1 && o.MarginWorstWindowBurn <= 1
	if o.BurnRange != nil {
		ok = ok && o.BurnRange.P90 <= 1 && o.WorstWindowBurnRange.P90 <= 1
	}
	return ok
}

// worst is the outcome's largest burn: at the point, with the margin, and
// at the ensemble's p90.
func (o Outcome) worst() float64 {
	w := max(o.Burn, o.WorstWindowBurn, o.MarginBurn, o.MarginWorstWindowBurn)
	if o.BurnRange != nil {
		w = max(w, o.BurnRange.P90, o.WorstWindowBurnRange.P90)
	}
	return w
}

// Point is one HPA setting the recommender evaluated.
type Point struct {
	CPUTarget   int32 `json:"cpuTarget,omitempty"`
	MinReplicas int32 `json:"minReplicas"`
	MaxReplicas int32 `json:"maxReplicas"`
	// ScaleUp is "kubernetes-default" when the point replaces the HPA's
	// scale-up behaviour with Kubernetes' default rules, empty for today's.
	ScaleUp  string    `json:"scaleUp,omitempty"`
	Outcomes []Outcome `json:"outcomes"`
	// Cost (weighted by each scenario's weight), ScaleEvents and WorstBurn
	// (the largest burn or worst-window burn of any scenario, at the
	// point, with the margin or at the ensemble's p90) sum or maximise
	// over the scenarios.
	Cost        float64 `json:"cost"`
	ScaleEvents int     `json:"scaleEvents"`
	WorstBurn   float64 `json:"worstBurn"`
	// Meets: every scenario holds its budget, with the margin. NeverWorse:
	// no scenario's burn or SLO minutes exceed today's.
	Meets      bool `json:"meets"`
	NeverWorse bool `json:"neverWorse"`
	// Margin: the point ran with the inputs moved by the margin (the
	// margin burns are 0 without; today's HPA never does).
	Margin bool `json:"margin"`
	// Screened: the search dropped the point before its runs were all
	// made — one run at the point estimate or with the margin already
	// broke the budget or was worse than today (the outcomes it skipped
	// are Partial), or enough ensemble members broke it to put the p90
	// above 1 (its outcomes carry no intervals) — so its WorstBurn is a
	// lower bound.
	Screened bool `json:"screened,omitempty"`
}

// excess is how far a point misses the budget, summed over scenarios.
func (p *Point) excess() float64 {
	e := 0.0
	for _, o := range p.Outcomes {
		e += max(o.Burn-1, 0) + max(o.WorstWindowBurn-1, 0) + max(o.MarginBurn-1, 0) + max(o.MarginWorstWindowBurn-1, 0)
		if o.BurnRange != nil {
			e += max(o.BurnRange.P90-1, 0) + max(o.WorstWindowBurnRange.P90-1, 0)
		}
	}
	return e
}

// Proposal is the recommender's answer for one service.
type Proposal struct {
	Service string `json:"service"`
	// Current is today's HPA, Chosen the proposal (equal to Current when
	// nothing changes).
	Current Point `json:"current"`
	Chosen  Point `json:"chosen"`
	// Met: the chosen point holds the SLO in every scenario. When false,
	// Binding names what stops it.
	Met     bool   `json:"met"`
	Binding string `json:"binding,omitempty"`
	// Evaluated are every point the search simulated, by cost.
	Evaluated []Point `json:"evaluated"`
	// Recommendation is the proposal as a patchable change.
	Recommendation Recommendation `json:"recommendation"`

	// fromSearch: Chosen is a point of the search (run with the proposal's
	// resources), not today's as it runs.
	fromSearch bool
}

// Proposals are the recommender's answers for a plan.
type Proposals []Proposal

// Met reports whether every service's proposal holds its SLO.
func (ps Proposals) Met() bool {
	for _, p := range ps {
		if !p.Met {
			return false
		}
	}
	return true
}

// Recommendations are the changes, one per service that has any, in plan
// order.
func (ps Proposals) Recommendations() []Recommendation {
	var out []Recommendation
	for _, p := range ps {
		if p.Recommendation.Changed() || len(p.Recommendation.Notes) > 0 {
			out = append(out, p.Recommendation)
		}
	}
	return out
}

// Propose is headroom's one recommender. For each service it starts from
// the sizing's resource changes (Recommend) and chooses, jointly, the
// HPA's CPU target, minReplicas and maxReplicas with the simulator as the
// oracle: every scenario covering the service must hold its error budget
// (burn and worst-window burn at most 1) at the point estimate and with
// the inputs moved by the margin, and no scenario may get a higher burn
// or more SLO minutes than today. Among the points that do, the cheapest
// wins, then the one with fewer scale events, then the smallest change.
//
// The search uses the monotonicity of the burn (non-increasing in
// maxReplicas and minReplicas, non-decreasing in the target): bisection
// over the target at a generous maximum, then over maxReplicas, then over
// minReplicas down to the plan's floor (zone redundancy, spare and
// minimum, from the sizing at the lowest load), each evaluation memoised.
// When no point holds the SLO, the best point found is proposed only when
// it is never worse than today and strictly better somewhere, and Binding
// says which constraint binds. A fixed-size service gets a vertical size
// (VerticalSize) instead.
func Propose(ctx context.Context, plan *scenarios.Plan, sizing *SizingReport, opts ProposeOptions) (Proposals, error) {
	base := Recommend(plan, sizing)
	byService := map[string]Recommendation{}
	for _, r := range base {
		byService[r.Service] = r
	}
	want := map[string]bool{}
	for _, s := range opts.Services {
		want[s] = true
	}
	return propose(ctx, plan, sizing, opts, byService, want)
}

// setting is one point of the search: CPU target, minReplicas,
// maxReplicas and the scale-up behaviour (upToday, upDefault).
type setting struct {
	t, m, M int32
	up      uint8
}

// search is the recommender's search over one HPA service.
type search struct {
	ctx       context.Context
	plan      *scenarios.Plan
	svc       *scenarios.Service
	sizing    *SizingReport
	opts      ProposeOptions
	traffic   *sim.TrafficCache
	latency   *sim.LatencyCache
	scenarios []string
	margins   []sim.Factors
	tol       float64
	// candPlan is the plan with the proposal's resources, on which every
	// setting but today's runs.
	candPlan *scenarios.Plan
	// callees are the services svc calls synchronously, directly or not:
	// every run couples them to svc (their response holds its worker
	// slots). candHPA are their proposed HPAs, for the candidates' runs.
	callees []string
	candHPA map[string]*autoscalingv2.HorizontalPodAutoscalerSpec

	// members are the plan's uncertainty ensemble (none without one);
	// hot counts, per scenario and member (scenario·len(members)+member),
	// how often the member broke the budget on a point tried so far.
	members []ensemble.Member
	hot     []int
	// byScaleUp is where the point estimate's descent ended with each
	// scale-up behaviour it tried, for the explanation.
	byScaleUp map[uint8]*Point

	// staged: candidates are evaluated one run at a time
	// (recommender_staged.go); rejects counts, per scenario and variant
	// (scenario·variants+variant), the points each run rejected; length
	// is each scenario's duration.
	staged bool
	// interim: the oracle the search runs on is not its last, and its
	// points serve only to steer the next (the next restarts the memo),
	// so a candidate's runs stop at the first that rejects it, as
	// staged ones do.
	interim  bool
	variants int
	rejects  []int
	length   []time.Duration

	mu      sync.Mutex
	memo    map[setting]*Point
	current *Point
	cur     setting
	// todayLater: today's setting is not yet judged on this oracle.
	todayLater bool
	// runs are the summaries of every run made, kept across the oracles:
	// a stricter oracle re-judges a setting the cheaper one ran without
	// running it again.
	runs map[runKey]sim.Summary
	// families holds the runs by family, for the runs that differ from
	// one made only in bounds it never met (recommender_reach.go).
	families map[famKey][]famRun
}

// runKey names one run of a search: a setting on the candidates' plan
// (cand) or today's, in a scenario, with the inputs moved by factors
// (zero: the point estimate).
type runKey struct {
	cand    bool
	st      setting
	j       int
	factors sim.Factors
	seed    int64 // an ensemble member's seed (0: the plan's)
}

// run1 simulates the service with setting st (HPA spec h), on the
// candidates' plan (cand) or today's, in scenario j with the inputs moved
// by f, or returns the run made before.
func (s *search) run1(cand bool, st setting, h *autoscalingv2.HorizontalPodAutoscalerSpec, j int, f sim.Factors) (sim.Summary, error) {
	sum, err := s.runOne(cand, &st, h, j, f, 0)
	if err != nil {
		return sim.Summary{}, fmt.Errorf("scenario %s: %w", s.scenarios[j], err)
	}
	return sum, nil
}

// runOne simulates the service with the HPA h, on the candidates' plan
// (cand) or today's, in scenario j with the inputs moved by f and, when
// not 0, the seed; h applies the setting st, and the run is kept or
// answered from the runs kept (recommender_reach.go), or st is nil (h is
// no setting of the search's) and the run is neither.
func (s *search) runOne(cand bool, st *setting, h *autoscalingv2.HorizontalPodAutoscalerSpec, j int, f sim.Factors, seed int64) (sim.Summary, error) {
	var k runKey
	if st != nil {
		// Without a difference the candidates run on today's plan.
		k = runKey{cand: cand && s.candDiffers(), st: *st, j: j, factors: f, seed: seed}
		s.mu.Lock()
		sum, ok := s.cached(k)
		s.mu.Unlock()
		if ok {
			return sum, nil
		}
	}
	o := s.runOptions(cand, s.scenarios[j], h)
	o.Factors = f
	if seed != 0 {
		o.Seed = seed
	}
	r, err := sim.RunContext(s.ctx, s.runPlan(cand), o)
	if err != nil {
		return sim.Summary{}, err
	}
	sr, err := s.resultOf(r)
	if err != nil {
		return sim.Summary{}, err
	}
	if st != nil {
		s.mu.Lock()
		s.keep(k, sr)
		s.mu.Unlock()
	}
	return sr.Summary, nil
}

func newSearch(ctx context.Context, plan *scenarios.Plan, svc *scenarios.Service, sizing *SizingReport, opts ProposeOptions, traffic *sim.TrafficCache, latency *sim.LatencyCache) *search {
	s := &search{ctx: ctx, plan: plan, candPlan: plan, svc: svc, sizing: sizing, opts: opts, traffic: traffic, latency: latency, memo: map[setting]*Point{}, runs: map[runKey]sim.Summary{}, families: map[famKey][]famRun{}, tol: 0.1,
		callees: syncCallees(plan, svc.Name), candHPA: map[string]*autoscalingv2.HorizontalPodAutoscalerSpec{}}
	if t := plan.Simulation.Controller.Tolerance; t != nil {
		s.tol = *t
	}
	for _, sc := range plan.Scenarios {
		if sc.AppliesTo(svc.Name) {
			s.scenarios = append(s.scenarios, sc.Name)
			s.length = append(s.length, sc.Duration.D())
		}
	}
	seed := opts.Seed
	if seed == 0 {
		seed = plan.Seed
	}
	s.members = ensemble.Design(plan.Uncertainty, seed, opts.Mode)
	s.hot = make([]int, len(s.scenarios)*len(s.members))
	m := opts.Margin
	if m == 0 {
		m = DefaultMargin
	}
	if m > 0 {
		s.margins = []sim.Factors{
			{CPU: 1 - m},
			{RequestRate: 1 - m, ServiceTime: 1 - m, CPU: 1 - m, Memory: 1 - m},
			{RequestRate: 1 + m, ServiceTime: 1 + m, CPU: 1 + m, Memory: 1 + m},
			{RequestRate: 1 + m, ServiceTime: 1 + m, CPU: 1 - m, Memory: 1 - m},
		}
		if len(s.callees) > 0 {
			// With its callees in the run, more requests alone and CPU
			// per request up alone are adverse too: a callee's CPU limit
			// binds sooner and holds the caller's worker slots longer
			// while the caller's HPA reads no more CPU per request.
			s.margins = append(s.margins, sim.Factors{RequestRate: 1 + m}, sim.Factors{CPU: 1 + m})
		}
	}
	s.variants = 1 + len(s.margins)
	s.rejects = make([]int, len(s.scenarios)*s.variants)
	return s
}

// spec is the service's HPA with a setting applied.
func (s *search) spec(st setting) *autoscalingv2.HorizontalPodAutoscalerSpec {
	h := s.svc.HPA.DeepCopy()
	if st.t > 0 {
		setCPUTarget(h, st.t)
	}
	m := st.m
	h.MinReplicas = &m
	h.MaxReplicas = st.M
	applyScaleUp(h, st.up)
	return h
}

// eval simulates a setting with the proposal's resources over every
// scenario, at the point and with the margin, memoised.
func (s *search) eval(st setting) (*Point, error) {
	s.mu.Lock()
	if p, ok := s.memo[st]; ok {
		s.mu.Unlock()
		return p, nil
	}
	s.mu.Unlock()
	p, err := s.evalOn(true, st, false)
	if err != nil {
		return nil, err
	}
	if s.current != nil {
		p.NeverWorse = s.neverWorse(p)
	}
	s.mu.Lock()
	s.memo[st] = p
	s.mu.Unlock()
	return p, nil
}

// evalOn simulates a setting, on the candidates' plan (cand) or today's:
// at the point and with the margin and, when those hold the budget (or
// full), on the ensemble; one run at a time when the search is staged and
// not full.
func (s *search) evalOn(cand bool, st setting, full bool) (*Point, error) {
	if (s.staged || s.interim) && !full {
		return s.evalStaged(cand, st)
	}
	return s.evalAll(cand, st, full)
}

// evalAll is evalOn with every run at the point and with the margin made,
// side by side on every core.
func (s *search) evalAll(cand bool, st setting, full bool) (*Point, error) {
	h := s.spec(st)
	plan := s.runPlan(cand)
	variants := append([]sim.Factors{{}}, s.margins...)
	n := len(s.scenarios) * len(variants)
	sums := make([]sim.Summary, n)
	err := evaluateAll(s.ctx, n, func(i int) error {
		sum, err := s.run1(cand, st, h, i/len(variants), variants[i%len(variants)])
		sums[i] = sum
		return err
	}, nil)
	if err != nil {
		return nil, err
	}
	p := &Point{CPUTarget: st.t, MinReplicas: st.m, MaxReplicas: st.M, ScaleUp: scaleUpName(st.up), Margin: len(s.margins) > 0}
	for j, sc := range s.scenarios {
		pt := sums[j*len(variants)]
		o := Outcome{Scenario: sc, Burn: pt.SLOBudgetBurn, WorstWindowBurn: pt.WorstWindowBurn, Minutes: pt.SLOViolationMinutes,
			Cost: pt.Cost, ScaleEvents: pt.ScaleEvents, Weight: plan.Scenario(sc).CostWeight()}
		for k := range s.margins {
			mg := sums[j*len(variants)+1+k]
			o.MarginBurn, o.MarginWorstWindowBurn = max(o.MarginBurn, mg.SLOBudgetBurn), max(o.MarginWorstWindowBurn, mg.WorstWindowBurn)
		}
		p.Outcomes = append(p.Outcomes, o)
	}
	p.rollUp()
	switch {
	case len(s.members) == 0:
	case !full && (!p.Meets || (s.current != nil && !neverWorsePoint(p, s.current))):
		// Fails at the point or the margin, or worse than today there:
		// not worth an ensemble.
		s.screen(p)
	default:
		if err := s.ensembleStage(cand, &st, h, p, full); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// neverWorseSlack absorbs the last bits of floating-point noise between
// two runs that differ only in settings that never act (1e-9 relative).
const neverWorseSlack = 1e-9

// neverWorse reports whether p's burn and SLO minutes are at most cur's in
// every scenario, at the point and, with an ensemble, at its p50 and p90.
func neverWorse(p, cur *Point) bool {
	return neverWorsePoint(p, cur) && neverWorseRanges(p, cur)
}

// neverWorsePoint is neverWorse at the point estimate alone.
func neverWorsePoint(p, cur *Point) bool {
	le := func(a, b float64) bool { return a <= b+neverWorseSlack*max(1, math.Abs(b)) }
	for i, o := range p.Outcomes {
		c := cur.Outcomes[i]
		if !le(o.Burn, c.Burn) || !le(o.Minutes, c.Minutes) || !le(o.WorstWindowBurn, max(c.WorstWindowBurn, 1)) {
			return false
		}
	}
	return true
}

// neverWorse is neverWorse against today, at the ensemble's p50 and p90
// only while the search judges on the ensemble.
func (s *search) neverWorse(p *Point) bool {
	if len(s.members) == 0 {
		return neverWorsePoint(p, s.current)
	}
	return neverWorse(p, s.current)
}

// ok is the search's predicate: holds the SLO and is never worse.
func ok(p *Point) bool { return p.Meets && p.NeverWorse }

// run searches and chooses.
func (s *search) run() (*Proposal, error) {
	cur := setting{t: s.svc.HPACPUTarget(), m: 1, M: s.svc.HPA.MaxReplicas}
	if s.svc.HPA.MinReplicas != nil {
		cur.m = *s.svc.HPA.MinReplicas
	}
	s.cur = cur
	// Today: today's HPA with today's resources, at the point estimate
	// and on every member. The margin is a requirement on proposals, not
	// a fact about today: it is not run for today.
	margins, members := s.margins, s.members
	s.margins = nil
	cp, err := s.evalOn(false, cur, true)
	if err != nil {
		return nil, err
	}
	cp.NeverWorse = true
	s.current = cp
	floor, floorWhy, err := s.minFloor()
	if err != nil {
		return nil, err
	}
	hi := s.maxCeiling(cur.M, floor)
	// Three oracles, each dearer than the last and each stricter: the
	// point estimate alone, then with the margin, then at the ensemble's
	// p90. The search runs on each in turn, starting where the one before
	// ended, so most bisection steps run once per scenario rather than
	// five (or 5 + 32) times. A point that holds on a stricter oracle holds
	// on the cheaper ones, so the cheaper answer bounds the dearer one:
	// every lever moves only to the safe side of it.
	s.members = nil
	if err := s.restart(cp); err != nil {
		return nil, err
	}
	b := bounds{tLo: 20, tHi: 95, tStep: 1, tHint: cur.t, mLo: floor, mStart: max(cur.m, floor), MLo: cur.M, ceil: hi}
	if cur.t == 0 {
		// No CPU target to move (the HPA scales on other metrics).
		b.tLo, b.tHi = 0, 0
	}
	st, err := s.descend(b)
	if err != nil {
		return nil, err
	}
	s.byScaleUp = map[uint8]*Point{upToday: s.memo[st]}
	if slowScaleUp(s.svc.HPA) {
		// The same descent with Kubernetes' default scale-up; the
		// stricter oracles start from the cheaper answer.
		b.up = upDefault
		fast, err := s.descend(b)
		if err != nil {
			return nil, err
		}
		s.byScaleUp[upDefault] = s.memo[fast]
		if s.better(fast, st) {
			st = fast
		}
	}
	if s.margins = margins; len(margins) > 0 {
		// The margin: a lower target or more replicas than the point
		// estimate's answer, found from it. With an ensemble to follow,
		// only the setting it ends at is kept.
		s.interim = len(members) > 0
		if err := s.restart(nil); err != nil {
			return nil, err
		}
		if p, err := s.eval(st); err != nil {
			return nil, err
		} else if !ok(p) {
			tLo, tHi := b.tLo, st.t
			if cur.t == 0 {
				tLo, tHi = 0, 0
			}
			if st, err = s.descend(bounds{tLo: tLo, tHi: tHi, tStep: 1, tHint: tHi, mLo: floor, mStart: st.m, MLo: st.M, ceil: hi, up: st.up}); err != nil {
				return nil, err
			}
		}
	}
	if s.members = members; len(members) > 0 {
		// The ensemble's p90: again only to the safe side, and the
		// targets go in steps of 5 %, so the bisections take few
		// ensembles.
		s.interim = false
		if err := s.restart(nil); err != nil {
			return nil, err
		}
		if p, err := s.eval(st); err != nil {
			return nil, err
		} else if !ok(p) {
			tHi := st.t
			if cur.t == 0 {
				tHi = 0
			}
			if _, err := s.descend(bounds{tLo: min(20, tHi), tHi: tHi, tStep: 5, tHint: tHi, mLo: st.m, mStart: st.m, MLo: st.M, ceil: s.ensembleCeiling(hi), up: st.up}); err != nil {
				return nil, err
			}
		}
	}
	return s.choose(floor, floorWhy)
}

// restart empties the memo for a new oracle and evaluates today's
// setting on it (with the candidates' resources); on the first oracle,
// with today's resources, that is cp without its intervals. On a later
// oracle with today's resources, today's setting is judged only when the
// choice needs it (todayLater, see choose).
func (s *search) restart(cp *Point) error {
	s.memo = map[setting]*Point{}
	s.todayLater = false
	if s.candDiffers() {
		_, err := s.eval(s.cur)
		return err
	}
	if cp == nil {
		s.todayLater = true
		return nil
	}
	p := *cp
	p.Outcomes = slices.Clone(cp.Outcomes)
	for i := range p.Outcomes {
		o := &p.Outcomes[i]
		o.BurnRange, o.WorstWindowBurnRange, o.MinutesRange = nil, nil, nil
	}
	p.rollUp()
	p.NeverWorse = true
	s.memo[s.cur] = &p
	return nil
}

// choose picks among every evaluated point: the cheapest that holds the
// SLO and is never worse (then fewest scale events, then the smallest
// change); when none holds, the never-worse point with the least excess
// burn, if it is strictly better than today.
func (s *search) choose(floor int32, floorWhy string) (*Proposal, error) {
	if s.todayLater && !s.cheaperHolds(floor) {
		// Today's setting may be the choice: judge it on this oracle.
		if _, err := s.eval(s.cur); err != nil {
			return nil, err
		}
	}
	s.todayLater = false
	var pts []Point
	for _, p := range s.memo {
		pts = append(pts, *p)
	}
	change := func(p *Point) int32 {
		d := func(a, b int32) int32 { return max(a-b, b-a) }
		c := d(p.CPUTarget, s.cur.t) + d(p.MinReplicas, s.cur.m) + d(p.MaxReplicas, s.cur.M)
		if p.ScaleUp != "" {
			c++
		}
		return c
	}
	sortPoints(pts, change)
	prop := &Proposal{Service: s.svc.Name, Current: *s.current, Chosen: *s.current, Evaluated: pts}
	// A point below the plan's floor (today's, when it is) is not eligible.
	eligible := func(q *Point) bool { return q.MinReplicas >= floor }
	best := -1
	for i := range pts {
		if ok(&pts[i]) && eligible(&pts[i]) {
			best = i
			break
		}
	}
	if best >= 0 {
		prop.Met = true
	} else {
		// Nothing holds: the least excess among the never-worse points,
		// when it is strictly better than today.
		if s.screened() {
			if err := s.complete(); err != nil {
				return nil, err
			}
			pts = nil
			for _, p := range s.memo {
				pts = append(pts, *p)
			}
			sortPoints(pts, change)
			prop.Evaluated = pts
		}
		for i := range pts {
			if pts[i].NeverWorse && eligible(&pts[i]) && (best < 0 || pts[i].excess() < pts[best].excess()-1e-9) {
				best = i
			}
		}
		// Today's excess is at the point estimate (today runs no margin):
		// the best must beat it even with its own margin.
		if best >= 0 && pts[best].excess() >= s.current.excess()-1e-9 {
			best = -1
		}
		prop.Binding = s.binding(floor)
	}
	if best >= 0 {
		prop.Chosen, prop.fromSearch = pts[best], true
	}
	s.describe(prop, floor, floorWhy)
	return prop, nil
}

// cheaperHolds reports whether an eligible point that holds the SLO and
// is never worse costs clearly less than today (beyond costTolerance, at
// the point estimate): today's setting then cannot be chosen, and need not
// be judged on a dearer oracle.
func (s *search) cheaperHolds(floor int32) bool {
	for _, p := range s.memo {
		if ok(p) && p.MinReplicas >= floor && p.Cost < s.current.Cost && !sameCost(p.Cost, s.current.Cost) {
			return true
		}
	}
	return false
}

// screened reports whether the search dropped any point before all its
// runs were made.
func (s *search) screened() bool {
	for _, p := range s.memo {
		if p.Screened {
			return true
		}
	}
	return false
}

// sortPoints orders points by the objective: cost, then scale events,
// then the size of the change, then (for a deterministic order) the higher
// target and the smaller bounds.
func sortPoints(pts []Point, change func(*Point) int32) {
	sort.Slice(pts, func(i, j int) bool {
		a, b := &pts[i], &pts[j]
		if !sameCost(a.Cost, b.Cost) {
			return a.Cost < b.Cost
		}
		if a.ScaleEvents != b.ScaleEvents {
			return a.ScaleEvents < b.ScaleEvents
		}
		if ca, cb := change(a), change(b); ca != cb {
			return ca < cb
		}
		if a.CPUTarget != b.CPUTarget {
			return a.CPUTarget > b.CPUTarget
		}
		if a.MinReplicas != b.MinReplicas {
			return a.MinReplicas < b.MinReplicas
		}
		if a.MaxReplicas != b.MaxReplicas {
			return a.MaxReplicas < b.MaxReplicas
		}
		return a.ScaleUp < b.ScaleUp
	})
}

func sameCost(a, b float64) bool {
	return math.Abs(a-b) <= costTolerance*max(math.Abs(a), math.Abs(b))
}

// Pareto is the front of the evaluated points, cost against worst burn:
// by increasing cost, each point burns less than every cheaper one. The
// chosen point is on it.
func (p *Proposal) Pareto() []Point {
	pts := append([]Point(nil), p.Evaluated...)
	sort.SliceStable(pts, func(i, j int) bool {
		if pts[i].Cost != pts[j].Cost {
			return pts[i].Cost < pts[j].Cost
		}
		return pts[i].WorstBurn < pts[j].WorstBurn
	})
	var front []Point
	for _, q := range pts {
		if len(front) == 0 || q.WorstBurn < front[len(front)-1].WorstBurn-1e-12 {
			front = append(front, q)
		}
	}
	// Costs within costTolerance are a tie the choice breaks by scale
	// events and the size of the change: the chosen point stands for the
	// front members it ties with.
	for i, q := range front {
		if p.IsChosen(q) {
			return front
		}
		if sameCost(q.Cost, p.Chosen.Cost) && q.WorstBurn >= p.Chosen.WorstBurn-1e-12 {
			front[i] = p.Chosen
			return front
		}
	}
	return front
}

// IsChosen reports whether q is the same setting as the chosen point.
func (p *Proposal) IsChosen(q Point) bool {
	c := p.Chosen
	return q.CPUTarget == c.CPUTarget && q.MinReplicas == c.MinReplicas && q.MaxReplicas == c.MaxReplicas && q.ScaleUp == c.ScaleUp
}

// better reports whether setting a is a better answer of a descent than b:
// it holds (and b does not), or both hold and a costs less.
func (s *search) better(a, b setting) bool {
	pa, pb := s.memo[a], s.memo[b]
	if pa == nil || !ok(pa) {
		return false
	}
	if pb == nil || !ok(pb) {
		return true
	}
	return pa.Cost < pb.Cost && !sameCost(pa.Cost, pb.Cost)
}

// ProposeService is Propose for one service, sized in queueing mode: what
// `headroom tune` and `rightsize --patches` call.
func ProposeService(ctx context.Context, plan *scenarios.Plan, service string, opts ProposeOptions) (*Proposal, error) {
	sz, err := Size(plan, model.Queueing, "")
	if err != nil {
		return nil, err
	}
	opts.Services = []string{service}
	ps, err := Propose(ctx, plan, sz, opts)
	if err != nil {
		return nil, err
	}
	if len(ps) != 1 {
		return nil, fmt.Errorf("no service named %q", service)
	}
	return &ps[0], nil
}

// TuneReport is `headroom tune -o json`: the recommender's proposal for
// one service and its Pareto front.
type TuneReport struct {
	Proposal Proposal `json:"proposal"`
	Pareto   []Point  `json:"pareto"`
}
