package capacity

import (
	"github.com/headroom-dev/headroom/sim"
)

// Runs that differ only in the HPA's bounds. A search tries many settings
// that change only minReplicas or maxReplicas (the bisections over them),
// and the HPA reads its bounds only to clamp the count it moves to: a run
// whose replica counts never met a bound is the same run with that bound
// anywhere its counts also stay clear of (sim.ReachSameRun). The search
// keeps each run's reach with its summary and answers such a run from the
// one made before, bit for bit what simulating it would give. A
// maxReplicas bisection from a ceiling the load never reaches then costs
// nothing until it comes down to the replicas the scenarios need.

// famKey is a runKey without minReplicas and maxReplicas: the runs of a
// family differ only in the HPA's bounds.
type famKey struct {
	cand    bool
	t       int32
	up      uint8
	j       int
	factors sim.Factors
	seed    int64
}

// famRun is one run of a family: its bounds, its reach and its summary.
type famRun struct {
	m, M  int32
	reach sim.ReplicaRange
	sum   sim.Summary
}

func (k runKey) family() famKey {
	return famKey{cand: k.cand, t: k.st.t, up: k.st.up, j: k.j, factors: k.factors, seed: k.seed}
}

// cached is the summary of run k, made before or the same as one made
// before; s.mu held.
func (s *search) cached(k runKey) (sim.Summary, bool) {
	if sum, ok := s.runs[k]; ok {
		return sum, true
	}
	if s.boundsPatched(k.cand) {
		return sim.Summary{}, false
	}
	for _, e := range s.families[k.family()] {
		if sim.ReachSameRun(e.reach, e.m, e.M, k.st.m, k.st.M) {
			return e.sum, true
		}
	}
	return sim.Summary{}, false
}

// keep records run k, its summary and reach; s.mu held.
func (s *search) keep(k runKey, sr *sim.ServiceResult) {
	s.runs[k] = sr.Summary
	f := k.family()
	s.families[f] = append(s.families[f], famRun{m: k.st.m, M: k.st.M, reach: sr.Reach, sum: sr.Summary})
}

// boundsPatched reports whether a scheduled action of the service patches
// its HPA's bounds in the candidates' plan (cand) or today's: the API
// server refuses a patch that leaves minReplicas above maxReplicas, so the
// bounds then act beyond the clamp.
func (s *search) boundsPatched(cand bool) bool {
	svc := s.runPlan(cand).Service(s.svc.Name)
	if svc == nil {
		return true
	}
	for _, a := range svc.ScheduledScaling {
		if a.MinReplicas != nil || a.MaxReplicas != nil {
			return true
		}
	}
	return false
}

// resultOf is the search's service's result in a run.
func (s *search) resultOf(r *sim.Result) (*sim.ServiceResult, error) {
	for i := range r.Services {
		if r.Services[i].Service == s.svc.Name {
			return &r.Services[i], nil
		}
	}
	return nil, errNotInRun(s.svc.Name)
}
