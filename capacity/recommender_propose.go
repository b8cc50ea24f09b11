package capacity

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/headroom-dev/headroom/model"
	"github.com/headroom-dev/headroom/scenarios"
	"github.com/headroom-dev/headroom/sim"
	"github.com/headroom-dev/headroom/sim/ensemble"
)

// propose is Propose over the services wanted. Fixed-size services and
// those without an HPA are decided here; the HPA services' searches run
// side by side, one per core, each on its own (staged evaluation), when
// there is more than one, and alone with every core when there is one.
// Callees go first: a caller's candidates run with the services it calls
// synchronously at their proposals (their requests, limits and HPAs), as
// the proposals would run together, so the searches run in waves, each
// service in the wave after its callees'; a callee a wanted caller needs
// is proposed for that even when not wanted itself. Each search is
// deterministic on its own, so the proposals do not depend on the number
// of cores.
func propose(ctx context.Context, plan *scenarios.Plan, sizing *SizingReport, opts ProposeOptions, byService map[string]Recommendation, want map[string]bool) (Proposals, error) {
	traffic := sim.NewTrafficCache()
	// One cache of latency tables for every run of the search: the margin's
	// and the ensemble's factors are the same for every point tried, so
	// their tables are built once per service.
	latency := opts.Latency
	if latency == nil {
		latency = sim.NewLatencyCache()
	}
	order, need := proposeOrder(plan, want)
	seed := opts.Seed
	if seed == 0 {
		seed = plan.Seed
	}
	members := ensemble.Design(plan.Uncertainty, seed, opts.Mode)
	level := callLevels(plan)
	waves := 0
	searched := 0
	for _, i := range order {
		svc := &plan.Services[i]
		if need[svc.Name] {
			waves = max(waves, level[svc.Name]+1)
			if !svc.Fixed && svc.HPA != nil {
				searched++
			}
		}
	}
	staged := searched > 1
	done := map[string]*Proposal{}
	finished := 0
	for wave := range waves {
		var searches []pending
		for _, i := range order {
			svc := &plan.Services[i]
			if !need[svc.Name] || level[svc.Name] != wave {
				continue
			}
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			ps, err := prepare(ctx, plan, svc, sizing, opts, byService, members, done, traffic, latency)
			if err != nil {
				return nil, err
			}
			if ps.s == nil {
				continue
			}
			ps.s.staged = staged
			searches = append(searches, ps)
		}
		errs := make([]error, len(searches))
		out := make([]Proposal, len(searches))
		var mu sync.Mutex
		var g errgroup.Group
		g.SetLimit(workers())
		for _, k := range longestFirst(plan, searches) {
			ps := searches[k]
			if ctx.Err() != nil {
				break
			}
			g.Go(func() error {
				p, err := ps.s.run()
				if err != nil {
					errs[k] = fmt.Errorf("service %s: %w", ps.s.svc.Name, err)
					return nil
				}
				out[k] = ps.s.finish(p, ps.rec)
				if opts.Progress != nil {
					mu.Lock()
					finished++
					opts.Progress(finished, searched)
					mu.Unlock()
				}
				return nil
			})
		}
		_ = g.Wait()
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		// The first error in plan order, whatever finished first.
		for _, err := range errs {
			if err != nil {
				return nil, err
			}
		}
		for k, ps := range searches {
			done[ps.s.svc.Name] = &out[k]
		}
	}
	var out Proposals
	for i := range plan.Services {
		name := plan.Services[i].Name
		if p := done[name]; p != nil && (len(want) == 0 || want[name]) {
			out = append(out, *p)
		}
	}
	return out, nil
}

// longestFirst is the order a wave's searches start in: the dearest
// first, by the ticks of the service's scenarios weighted by the replicas
// its sizing needs at each one's peak, ties in plan order. The searches
// are independent and each writes its own slot, so the order changes no
// output; starting the long ones first keeps a long search from running
// alone on one core at the end of the wave.
func longestFirst(plan *scenarios.Plan, searches []pending) []int {
	cost := make([]float64, len(searches))
	for k, ps := range searches {
		for _, sc := range ps.s.sizing.Scenarios {
			for _, sz := range sc.Services {
				if p := plan.Scenario(sc.Scenario); p != nil && sz.Service == ps.s.svc.Name {
					ticks := float64(p.Duration.D()) / float64(plan.Simulation.Tick.D())
					cost[k] += ticks * float64(serviceTickPods+sz.Required)
				}
			}
		}
	}
	order := make([]int, len(searches))
	for k := range order {
		order[k] = k
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(cost[b], cost[a]) })
	return order
}

// serviceTickPods weighs a service-tick's own work (serving, recording,
// the budget) as that of this many pods' in longestFirst.
const serviceTickPods = 4

// pending is a search prepared for its wave, with the resource changes
// its candidates run with.
type pending struct {
	rec Recommendation
	s   *search
}

// prepare decides a service the recommender does not search (fixed size,
// no HPA, no scenario: into done) or prepares its search, with its
// callees' proposals from done.
func prepare(ctx context.Context, plan *scenarios.Plan, svc *scenarios.Service, sizing *SizingReport, opts ProposeOptions, byService map[string]Recommendation, members []ensemble.Member, done map[string]*Proposal, traffic *sim.TrafficCache, latency *sim.LatencyCache) (pending, error) {
	rec := byService[svc.Name]
	rec.Service = svc.Name
	rec.HPA, rec.HPARationale, rec.Replicas = nil, nil, 0
	if svc.Fixed {
		rec.Notes = nil
		p := Proposal{Service: svc.Name, Met: true, Recommendation: rec}
		if err := verticalProposal(plan, svc, sizing, members, &p); err != nil {
			return pending{}, fmt.Errorf("service %s: %w", svc.Name, err)
		}
		if peak, ok := opts.Usage[svc.Name]; ok {
			applyUsageFloors(svc, &p.Recommendation, peak)
		}
		done[svc.Name] = &p
		return pending{}, nil
	}
	if peak, ok := opts.Usage[svc.Name]; ok {
		applyUsageFloors(svc, &rec, peak)
	}
	if svc.HPA == nil {
		// Without an HPA the sizing's replica count stands.
		if r, ok := byService[svc.Name]; ok {
			rec.Replicas, rec.HPARationale = r.Replicas, r.HPARationale
		}
		done[svc.Name] = &Proposal{Service: svc.Name, Met: true, Recommendation: rec}
		return pending{}, nil
	}
	// Candidates run with the proposal's requests and limits and its
	// callees' proposals, today with today's.
	s := newSearch(ctx, plan, svc, sizing, opts, traffic, latency)
	recs := []Recommendation{rec}
	for _, c := range s.callees {
		if cp := done[c]; cp != nil {
			recs = append(recs, cp.Recommendation)
			if cp.Recommendation.HPA != nil {
				s.candHPA[c] = cp.Recommendation.HPA
			}
		}
	}
	s.candPlan = WithResources(plan, recs)
	if len(recs) > 1 && s.candDiffers() {
		// Its needs (the search's ceiling, what binds) are with the
		// callees as the candidates run them.
		mode := model.Queueing
		if sizing.Mode == model.Utilization.String() {
			mode = model.Utilization
		}
		sz, err := Size(s.candPlan, mode, "")
		if err != nil {
			return pending{}, fmt.Errorf("service %s: sizing with its callees' proposals: %w", svc.Name, err)
		}
		s.sizing = sz
	}
	if len(s.scenarios) == 0 {
		done[svc.Name] = &Proposal{Service: svc.Name, Met: true, Recommendation: rec}
		return pending{}, nil
	}
	return pending{rec: rec, s: s}, nil
}

// finish completes a search's proposal with the resource changes it ran
// with (or the note why they are withheld).
func (s *search) finish(p *Proposal, rec Recommendation) Proposal {
	p.Recommendation.Service = s.svc.Name
	if p.fromSearch {
		// The chosen point ran with these requests and limits.
		p.Recommendation.Requests, p.Recommendation.Limits, p.Recommendation.ResourceRationale = rec.Requests, rec.Limits, rec.ResourceRationale
	} else if len(rec.Requests) > 0 || len(rec.Limits) > 0 {
		p.Recommendation.Notes = append(p.Recommendation.Notes, "resource changes withheld: "+strings.Join(rec.ResourceRationale, "; ")+" — with them no setting is better than today")
	}
	p.Recommendation.Notes = append(rec.Notes, p.Recommendation.Notes...)
	return *p
}

// callLevels is each service's wave in propose: 0 for a service calling
// no one synchronously, else one more than the highest of its synchronous
// callees'. The plan's calls have no cycle (Parse rejects them); a cycle
// met anyway stops at the service met twice.
func callLevels(plan *scenarios.Plan) map[string]int {
	level := map[string]int{}
	visiting := map[string]bool{}
	var visit func(string) int
	visit = func(n string) int {
		if l, ok := level[n]; ok {
			return l
		}
		l := 0
		if svc := plan.Service(n); svc != nil && !visiting[n] {
			visiting[n] = true
			for _, c := range svc.Calls {
				if c.Sync() && c.PerRequest > 0 {
					l = max(l, visit(c.Service)+1)
				}
			}
			visiting[n] = false
		}
		level[n] = l
		return l
	}
	for i := range plan.Services {
		visit(plan.Services[i].Name)
	}
	return level
}
