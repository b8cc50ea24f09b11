package capacity

import (
	"math"
	"slices"
	"sync"

	"github.com/headroom-dev/headroom/sim"
)

// Staged evaluation. When report searches many services, each search runs
// on one core (the services run side by side, one per core) and a
// candidate's runs — every scenario at the point estimate and with each
// margin — go one at a time, the ones most likely to reject it first: the
// scenario and variant that rejected the most points before, then the
// shorter scenario, then the point estimate before the margins. The first
// run that breaks the budget (or, at the point estimate, gets worse than
// today) rejects the point and the remaining runs are skipped. The order
// depends only on the points tried before, so the runs a point gets, and
// the output, are the same on any number of cores.
//
// A rejected point is Screened and its outcomes Partial: they hold only
// the runs made, the rest read 0. The predicate the search bisects on is
// the same as with every run made; where nothing holds the budget, the
// screened points are completed before the least-bad one is chosen.

// job is one run of a staged evaluation: scenario j under variant v (0 the
// point estimate, 1… the margins).
type job struct{ j, v int }

// stagedOrder is the order the staged evaluation runs a point's jobs in.
func (s *search) stagedOrder() []job {
	nv := 1 + len(s.margins)
	jobs := make([]job, 0, len(s.scenarios)*nv)
	for j := range s.scenarios {
		for v := range nv {
			jobs = append(jobs, job{j, v})
		}
	}
	slices.SortStableFunc(jobs, func(a, b job) int {
		if ha, hb := s.rejects[s.rejectsAt(a)], s.rejects[s.rejectsAt(b)]; ha != hb {
			return hb - ha
		}
		if da, db := s.length[a.j], s.length[b.j]; da != db {
			if da < db {
				return -1
			}
			return 1
		}
		return a.v - b.v
	})
	return jobs
}

// rejectsAt is a job's slot in search.rejects.
func (s *search) rejectsAt(jb job) int { return jb.j*s.variants + jb.v }

// evalStaged evaluates a setting, on the candidates' plan (cand) or
// today's, in the staged order, and stops at the first run that rejects
// it: one run at a time when the search is staged, else (an interim
// oracle of a search that has the cores, see interim) as many at a time
// as there are cores, a run started before the rejection finishing
// unread.
func (s *search) evalStaged(cand bool, st setting) (*Point, error) {
	plan := s.runPlan(cand)
	h := s.spec(st)
	variants := append([]sim.Factors{{}}, s.margins...)
	nv := len(variants)
	p := &Point{CPUTarget: st.t, MinReplicas: st.m, MaxReplicas: st.M, ScaleUp: scaleUpName(st.up), Margin: len(s.margins) > 0}
	p.Outcomes = make([]Outcome, len(s.scenarios))
	ran := make([]int, len(s.scenarios))
	for j, sc := range s.scenarios {
		p.Outcomes[j] = Outcome{Scenario: sc, Weight: plan.Scenario(sc).CostWeight()}
	}
	par := 1
	if !s.staged {
		par = workers()
	}
	jobs := s.stagedOrder()
	var mu sync.Mutex
	rejected := false
	err := runUntil(s.ctx, len(jobs), par, func(i int) (bool, error) {
		jb := jobs[i]
		sum, err := s.run1(cand, st, h, jb.j, variants[jb.v])
		if err != nil {
			return false, err
		}
		mu.Lock()
		defer mu.Unlock()
		if rejected {
			return true, nil
		}
		o := &p.Outcomes[jb.j]
		ran[jb.j]++
		if jb.v == 0 {
			o.Burn, o.WorstWindowBurn, o.Minutes = sum.SLOBudgetBurn, sum.WorstWindowBurn, sum.SLOViolationMinutes
			o.Cost, o.ScaleEvents = sum.Cost, sum.ScaleEvents
		} else {
			o.MarginBurn, o.MarginWorstWindowBurn = max(o.MarginBurn, sum.SLOBudgetBurn), max(o.MarginWorstWindowBurn, sum.WorstWindowBurn)
		}
		if s.rejectsRun(jb, sum) {
			s.mu.Lock()
			s.rejects[s.rejectsAt(jb)]++
			s.mu.Unlock()
			rejected = true
		}
		return rejected, nil
	})
	if err != nil {
		return nil, err
	}
	if err := s.ctx.Err(); err != nil {
		return nil, err
	}
	if rejected {
		for j := range p.Outcomes {
			p.Outcomes[j].Partial = ran[j] < nv
		}
		p.rollUp()
		p.Meets, p.Screened = false, true
		return p, nil
	}
	p.rollUp()
	if len(s.members) > 0 && p.Meets {
		if err := s.ensembleStage(cand, &st, h, p, false); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// rejectsRun reports whether one run rejects the point: it breaks the
// budget, or, at the point estimate, burns more or longer than today (the
// never-worse rule of neverWorsePoint).
func (s *search) rejectsRun(jb job, sum sim.Summary) bool {
	if sum.SLOBudgetBurn > 1 || sum.WorstWindowBurn > 1 {
		return true
	}
	if jb.v != 0 || s.current == nil {
		return false
	}
	c := s.current.Outcomes[jb.j]
	le := func(a, b float64) bool { return a <= b+neverWorseSlack*max(1, math.Abs(b)) }
	return !le(sum.SLOBudgetBurn, c.Burn) || !le(sum.SLOViolationMinutes, c.Minutes) || !le(sum.WorstWindowBurn, max(c.WorstWindowBurn, 1))
}

// partial reports whether the staged evaluation skipped some of p's runs.
func (p *Point) partial() bool {
	for _, o := range p.Outcomes {
		if o.Partial {
			return true
		}
	}
	return false
}
