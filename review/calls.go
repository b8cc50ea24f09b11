package review

import (
	"fmt"
	"time"

	"github.com/headroom-dev/headroom/review/record"
	"github.com/headroom-dev/headroom/scenarios"
	"github.com/headroom-dev/headroom/sim"
)

// callGraph is the plan's calls as record edges, in plan order.
func callGraph(p *scenarios.Plan) []record.CallEdge {
	var out []record.CallEdge
	for i := range p.Services {
		s := &p.Services[i]
		for _, c := range s.Calls {
			mode := scenarios.CallSync
			if !c.Sync() {
				mode = scenarios.CallAsync
			}
			out = append(out, record.CallEdge{Caller: s.Name, Callee: c.Service, PerRequest: c.PerRequest, Mode: mode})
		}
	}
	return out
}

// troubleStart names the service where a scenario's trouble starts: of
// the services over their error budget (burn above 1 over the scenario or
// its worst window), those none of whose callees, directly or through
// others, is over budget — the trouble cannot have come to them through a
// call — and of those the first to violate its SLO (plan order breaks a
// tie). It returns "" when no service is over budget.
func troubleStart(p *scenarios.Plan, sc *scenarios.Scenario, r *sim.Result) (string, string) {
	over := map[string]*sim.ServiceResult{}
	for i := range r.Services {
		s := &r.Services[i]
		if s.Summary.SLOBudgetBurn > 1 || s.Summary.WorstWindowBurn > 1 {
			over[s.Service] = s
		}
	}
	if len(over) == 0 {
		return "", ""
	}
	best, bestAt := "", time.Duration(-1)
	for i := range p.Services {
		name := p.Services[i].Name
		s := over[name]
		if s == nil || calleeOver(p, name, over, map[string]bool{}) {
			continue
		}
		at := firstViolationAt(s)
		if best == "" || (at >= 0 && (bestAt < 0 || at < bestAt)) {
			best, bestAt = name, at
		}
	}
	if best == "" {
		return "", ""
	}
	s := over[best]
	burn := max(s.Summary.SLOBudgetBurn, s.Summary.WorstWindowBurn)
	why := fmt.Sprintf("%s burns %.3g of its error budget and none of the services it calls is over budget", best, burn)
	if bestAt >= 0 {
		why += fmt.Sprintf("; its SLO is first violated at %s UTC", clock(sc, bestAt))
	}
	var hit []string
	for i := range p.Services {
		name := p.Services[i].Name
		if name != best && over[name] != nil && reaches(p, name, best, map[string]bool{}) {
			hit = append(hit, name)
		}
	}
	if len(hit) > 0 {
		why += fmt.Sprintf("; its callers %v are over budget through it", hit)
	}
	return best, why + "."
}

// calleeOver reports whether a service calls, directly or through others,
// a service over its budget.
func calleeOver(p *scenarios.Plan, name string, over map[string]*sim.ServiceResult, seen map[string]bool) bool {
	s := p.Service(name)
	if s == nil || seen[name] {
		return false
	}
	seen[name] = true
	for _, c := range s.Calls {
		if over[c.Service] != nil || calleeOver(p, c.Service, over, seen) {
			return true
		}
	}
	return false
}

// reaches reports whether from calls to, directly or through others.
func reaches(p *scenarios.Plan, from, to string, seen map[string]bool) bool {
	s := p.Service(from)
	if s == nil || seen[from] {
		return false
	}
	seen[from] = true
	for _, c := range s.Calls {
		if c.Service == to || reaches(p, c.Service, to, seen) {
			return true
		}
	}
	return false
}

// firstViolationAt is the start of the first sample interval that violated
// the SLO, -1 if none did.
func firstViolationAt(sr *sim.ServiceResult) time.Duration {
	var prev time.Duration
	for _, smp := range sr.Series {
		if smp.SLOViolated {
			return prev
		}
		prev = smp.T.D()
	}
	return -1
}
