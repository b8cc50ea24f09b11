package capacity

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"golang.org/x/sync/errgroup"
	autoscalingv2 "k8s.io/api/autoscaling/v2"

	"github.com/headroom-dev/headroom/model"
)

// The ensemble constraint. With the plan's uncertainty: section, a point
// holds the budget only when the p90 over the ensemble's members (the
// same seeded Latin hypercube the report brackets its verdicts with,
// ensemble.Design) of the burn and of the worst-window burn is at most 1
// in every scenario, and it is never worse than today only when the p50
// and the p90 of the burn and of the SLO minutes are at most today's.
//
// Most points a bisection tries fail, and a failing point need not run
// every member: the p90 of n values (SortedQuantile, Hyndman and Fan's
// definition 7) lies between the order statistics ⌊0.9·(n−1)⌋ and the
// next, so once n − ⌊0.9·(n−1)⌋ members of a scenario burn above 1 (5 of
// 32) the p90 does too. Fewer can settle it: a quantile is non-decreasing
// in every value and no burn is below 0, so the p90 of the members run so
// far with 0 for the others is a lower bound of the p90 they will have
// (quantileFloor); once it exceeds 1 the point fails the budget whatever
// the others say. The search runs the point estimate and the margin first
// (a point they fail is not tried on the ensemble), then the members most
// likely to fail first (the ones that failed most often on the points
// before), and stops at the first scenario whose p90 is certain to exceed
// its bound. A point dropped early carries no intervals (Screened), so the
// output never depends on which members happened to finish first.

// quantileBreakers is how many of n members above a bound put their
// q-quantile (SortedQuantile) above it: the quantile is at least the order
// statistic ⌊q·(n−1)⌋.
func quantileBreakers(n int, q float64) int {
	return n - int(math.Floor(float64(n-1)*q))
}

// quantileFloor is a lower bound of the q-quantile (SortedQuantile) of
// n non-negative values of which those with done set are known (vals):
// the quantile with 0 for the others. The bound is lowered by 1e-12 of
// its size, so that the rounding of the interpolation (which need not be
// monotone in the last bit) never puts it above the true quantile.
func quantileFloor(vals []float64, done []bool, q float64) float64 {
	s := make([]float64, len(vals))
	for i, v := range vals {
		if done[i] {
			s[i] = v
		}
	}
	slices.Sort(s)
	f := model.SortedQuantile(s, q)
	return f - 1e-12*max(1, math.Abs(f))
}

// rangeSlack is the never-worse rule's tolerance on an ensemble's
// quantiles (relative, 1e-6): a member whose HPA never acts differently
// still moves its burn in the eighth digit when a setting changes the
// float path of the run, and the rule is about the verdict, not the
// rounding.
const rangeSlack = 1e-6

// slack widens a bound of the never-worse rule by rangeSlack.
func slack(b float64) float64 { return b + rangeSlack*max(1, math.Abs(b)) }

// ensembleStage runs the members of the plan's ensemble for a point whose
// point estimate and margin were evaluated (p), with the HPA h. With full
// it runs every member and keeps the intervals whatever they say; else it
// stops as soon as the p90 is certain to break the budget and keeps the
// intervals only when the point holds it.
//
// st is the setting h applies, whose members' runs the search keeps with
// its others (nil: h is no setting of the search's, and the runs are not
// kept).
func (s *search) ensembleStage(cand bool, st *setting, h *autoscalingv2.HorizontalPodAutoscalerSpec, p *Point, full bool) error {
	n := len(s.members)
	ns := len(s.scenarios)
	jobs := make([]int, ns*n)
	for i := range jobs {
		jobs[i] = i
	}
	s.mu.Lock()
	hot := slices.Clone(s.hot)
	s.mu.Unlock()
	// The members that broke the budget most often first, then the rest
	// of the scenarios whose members broke it most often (a p90 near its
	// bound is settled only by a scenario's last members); ties in
	// scenario, then member order.
	scen := make([]int, ns)
	for k, h := range hot {
		scen[k/n] += h
	}
	slices.SortStableFunc(jobs, func(a, b int) int {
		if hot[a] != hot[b] {
			return hot[b] - hot[a]
		}
		return scen[b/n] - scen[a/n]
	})

	burn := make([]float64, ns*n)
	wwb := make([]float64, ns*n)
	mins := make([]float64, ns*n)
	// A point fails once, in some scenario, enough members exceed a
	// bound to put a quantile above it: the p90 of the burn above 1 or
	// today's p90, of the worst window above 1 or today's, of the
	// minutes above today's; the p50s above today's.
	k90, k50 := quantileBreakers(n, 0.9), quantileBreakers(n, 0.5)
	type bound struct {
		get    func(k int) float64
		limit  float64
		breaks int
	}
	bounds := make([][]bound, ns)
	for j := range bounds {
		c := s.current
		b90, w90 := 1.0, 1.0
		if c != nil && c.Outcomes[j].BurnRange != nil {
			co := c.Outcomes[j]
			b90, w90 = min(1, slack(co.BurnRange.P90)), max(1, slack(co.WorstWindowBurnRange.P90))
			bounds[j] = []bound{{limit: slack(co.BurnRange.P50)}, {limit: slack(co.MinutesRange.P50)}}
			bounds[j] = append(bounds[j], bound{limit: slack(co.MinutesRange.P90)})
		}
		bounds[j] = append(bounds[j], bound{limit: b90}, bound{limit: w90})
	}
	// Which measure each bound reads, and the breakers its quantile needs:
	// with today's intervals the first three are the p50 burn, the p50 and
	// the p90 minutes; the last two are the p90 burn and worst window.
	measure := func(j, b, k int) (float64, int) {
		nb := len(bounds[j])
		switch {
		case b == nb-1:
			return wwb[k], k90
		case b == nb-2:
			return burn[k], k90
		case b == 0:
			return burn[k], k50
		case b == 1:
			return mins[k], k50
		default:
			return mins[k], k90
		}
	}
	done := make([]bool, ns*n)
	var mu sync.Mutex
	stopped := false
	err := runUntil(s.ctx, len(jobs), workers(), func(i int) (bool, error) {
		k := jobs[i]
		j, m := k/n, s.members[k%n]
		sum, err := s.runOne(cand, st, h, j, m.Factors, m.Seed)
		if err != nil {
			return false, fmt.Errorf("scenario %s, ensemble member %d: %w", s.scenarios[j], k%n+1, err)
		}
		mu.Lock()
		defer mu.Unlock()
		burn[k], wwb[k], mins[k] = sum.SLOBudgetBurn, sum.WorstWindowBurn, sum.SLOViolationMinutes
		done[k] = true
		broke := false
		for b := range bounds[j] {
			v, need := measure(j, b, k)
			if v > bounds[j][b].limit {
				broke = true
				bounds[j][b].breaks++
				if !full && bounds[j][b].breaks >= need {
					stopped = true
				}
			}
		}
		// The budget itself: a p90 of the burn or of the worst window
		// above 1 fails the point, which the bounds above (today's
		// p90s, when they exceed 1) need not see.
		for _, vals := range [][]float64{burn, wwb} {
			broke = broke || vals[k] > 1
			if !full && !stopped {
				stopped = quantileFloor(vals[j*n:(j+1)*n], done[j*n:(j+1)*n], 0.9) > 1
			}
		}
		if broke {
			s.mu.Lock()
			s.hot[k]++
			s.mu.Unlock()
		}
		return stopped, nil
	})
	if err != nil {
		return err
	}
	if err := s.ctx.Err(); err != nil {
		return err
	}
	if stopped {
		s.screen(p)
		return nil
	}
	for j := range p.Outcomes {
		o := &p.Outcomes[j]
		b, w, m := model.IntervalOf(burn[j*n:(j+1)*n]), model.IntervalOf(wwb[j*n:(j+1)*n]), model.IntervalOf(mins[j*n:(j+1)*n])
		o.BurnRange, o.WorstWindowBurnRange, o.MinutesRange = &b, &w, &m
	}
	p.rollUp()
	if !p.Meets && !full {
		// Whether the members ran to the end or not depended on timing:
		// a failing point keeps no intervals either way.
		s.screen(p)
	}
	return nil
}

// screen marks a point the search dropped before its ensemble ran in
// full: it does not hold the budget, and its worst burn is at least 1.
func (s *search) screen(p *Point) {
	for j := range p.Outcomes {
		o := &p.Outcomes[j]
		o.BurnRange, o.WorstWindowBurnRange, o.MinutesRange = nil, nil, nil
	}
	p.rollUp()
	p.Meets, p.Screened = false, true
	p.WorstBurn = max(p.WorstBurn, 1)
}

// rollUp sums and maximises the outcomes into the point.
func (p *Point) rollUp() {
	p.Cost, p.ScaleEvents, p.WorstBurn, p.Meets = 0, 0, 0, true
	for _, o := range p.Outcomes {
		p.Cost += o.Weight * o.Cost
		p.ScaleEvents += o.ScaleEvents
		p.WorstBurn = max(p.WorstBurn, o.worst())
		if !o.meets() {
			p.Meets = false
		}
	}
}

// neverWorseRanges reports whether p's p50 and p90 of the burn and the SLO
// minutes are at most cur's in every scenario, and its worst-window p90 at
// most today's or 1. A point without intervals is not known to be.
func neverWorseRanges(p, cur *Point) bool {
	le := func(a, b float64) bool { return a <= slack(b) }
	for i, o := range p.Outcomes {
		c := cur.Outcomes[i]
		if c.BurnRange == nil {
			continue
		}
		if o.BurnRange == nil {
			return false
		}
		if !le(o.BurnRange.P50, c.BurnRange.P50) || !le(o.BurnRange.P90, c.BurnRange.P90) ||
			!le(o.MinutesRange.P50, c.MinutesRange.P50) || !le(o.MinutesRange.P90, c.MinutesRange.P90) ||
			!le(o.WorstWindowBurnRange.P90, max(c.WorstWindowBurnRange.P90, 1)) {
			return false
		}
	}
	return true
}

// complete finishes the points the search screened, when no point holds
// the budget and the best of them may still be an improvement, which
// takes all their figures to judge: a staged point gets every run at the
// point estimate and with the margin, and then (as every point screened on
// the ensemble whose point estimate and margin are never worse than today)
// the ensemble in full.
func (s *search) complete() error {
	byKey := func(a, b setting) int {
		if a.t != b.t {
			return int(a.t - b.t)
		}
		if a.m != b.m {
			return int(a.m - b.m)
		}
		if a.M != b.M {
			return int(a.M - b.M)
		}
		return int(a.up) - int(b.up)
	}
	var partial []setting
	for st, p := range s.memo {
		if p.partial() {
			partial = append(partial, st)
		}
	}
	slices.SortFunc(partial, byKey)
	for _, st := range partial {
		p, err := s.evalAll(true, st, false)
		if err != nil {
			return err
		}
		p.NeverWorse = s.neverWorse(p)
		s.memo[st] = p
	}
	if len(s.members) == 0 {
		return nil
	}
	var todo []setting
	for st, p := range s.memo {
		if p.Screened && neverWorsePoint(p, s.current) {
			todo = append(todo, st)
		}
	}
	slices.SortFunc(todo, byKey)
	for _, st := range todo {
		p, err := s.evalAll(true, st, true)
		if err != nil {
			return err
		}
		p.NeverWorse = s.neverWorse(p)
		s.mu.Lock()
		s.memo[st] = p
		s.mu.Unlock()
	}
	return nil
}

// workers bounds the simulations in flight: one per core.
func workers() int { return runtime.GOMAXPROCS(0) }

// runUntil calls do for 0 … n−1 in that order, limit at a time, and
// starts no more once a call says stop or fails (those already started
// finish); it returns the first error. With limit 1 each call starts after
// the one before has finished, so which calls run depends only on their
// results.
func runUntil(ctx context.Context, n, limit int, do func(i int) (stop bool, err error)) error {
	var stopped atomic.Bool
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(limit)
	for i := range n {
		if gctx.Err() != nil || stopped.Load() {
			break
		}
		g.Go(func() error {
			if stopped.Load() {
				return nil
			}
			stop, err := do(i)
			if stop {
				stopped.Store(true)
			}
			return err
		})
	}
	return g.Wait()
}

// ensembleCeiling is the largest maxReplicas the ensemble's search tries:
// the point estimate's ceiling scaled by the ensemble's heaviest member
// (the request rate and the slower of service time and CPU per request at
// the top of their ranges).
func (s *search) ensembleCeiling(hi int32) int32 {
	u := s.plan.Uncertainty
	if u == nil {
		return hi
	}
	r := u.Ranges()
	return int32(math.Ceil(float64(hi) * (1 + r[0]) * (1 + max(r[1], r[2]))))
}
