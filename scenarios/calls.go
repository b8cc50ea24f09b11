package scenarios

import (
	"fmt"
	"strings"
)

// Call is one edge of the call graph: while serving a request, the service
// calls Service PerRequest times on average.
//
// Rates add along the edges: a service's request rate is its own
// (external) RequestRate plus, over its callers, the caller's rate times
// PerRequest, so a scenario's multiplier reaches every service the
// traffic flows to. A synchronous call holds the caller's worker slot
// while it waits, so the caller's time in service is its own service time
// plus PerRequest times the callee's response time (queueing and service),
// and a callee's failed request fails the caller's. An asynchronous call
// (a message put on a queue, a fire-and-forget request) only adds rate.
type Call struct {
	// Service is the called service, by name: another service of the
	// plan. Required. Example: `noa-postgres`.
	Service string `json:"service"`
	// PerRequest is the mean number of calls one request of the caller
	// makes (a fraction for a call some requests make). Required. Range:
	// [0, 1000]. Example: `3`.
	PerRequest float64 `json:"perRequest"`
	// Mode is `sync` (the caller waits for the response, holding its
	// worker slot) or `async` (the caller does not wait). Default: sync.
	// One of: `sync` or `async`.
	Mode string `json:"mode,omitempty"`
}

// Call modes.
const (
	CallSync  = "sync"
	CallAsync = "async"
)

// MaxCallsPerRequest bounds Call.PerRequest.
const MaxCallsPerRequest = 1000

// Sync reports whether the call holds the caller's worker slot.
func (c *Call) Sync() bool { return c.Mode != CallAsync }

// HasCalls reports whether any service of the plan calls another.
func (p *Plan) HasCalls() bool {
	for i := range p.Services {
		if len(p.Services[i].Calls) > 0 {
			return true
		}
	}
	return false
}

// TotalRate is the service's request rate at today's traffic, requests per
// second: its own RequestRate plus what its callers' calls add (set by
// Plan.SetDefaults; 0 for a plan built in code without it).
func (s *Service) TotalRate() float64 { return s.RequestRate.PerSecond + s.inRate }

// CallOrder returns the indexes of the plan's services with every caller
// before the services it calls (a topological order, ties in plan order),
// or, when the calls form a cycle, the cycle as service names, first name
// repeated at the end ("a", "b", "a"). Calls to unknown services are
// ignored.
func (p *Plan) CallOrder() (order []int, cycle []string) {
	idx := make(map[string]int, len(p.Services))
	for i := range p.Services {
		if _, dup := idx[p.Services[i].Name]; !dup {
			idx[p.Services[i].Name] = i
		}
	}
	// Depth-first search from each service in plan order; a service is
	// placed after everything it calls, so the reversed post-order puts
	// callers first.
	const (
		unseen = iota
		active
		done
	)
	state := make([]int, len(p.Services))
	var post []int
	var stack []int
	var visit func(i int) bool
	visit = func(i int) bool {
		state[i] = active
		stack = append(stack, i)
		for _, c := range p.Services[i].Calls {
			j, ok := idx[c.Service]
			if !ok || j == i {
				continue // unknown and self calls: Validate reports them
			}
			switch state[j] {
			case active:
				// The cycle is the stack from j on, back to j.
				k := len(stack) - 1
				for stack[k] != j {
					k--
				}
				for _, s := range stack[k:] {
					cycle = append(cycle, p.Services[s].Name)
				}
				cycle = append(cycle, p.Services[j].Name)
				return false
			case unseen:
				if !visit(j) {
					return false
				}
			}
		}
		stack = stack[:len(stack)-1]
		state[i] = done
		post = append(post, i)
		return true
	}
	for i := range p.Services {
		if state[i] == unseen && !visit(i) {
			return nil, cycle
		}
	}
	order = make([]int, len(post))
	for k, i := range post {
		order[len(post)-1-k] = i
	}
	return order, nil
}

// setCallRates sets each service's inRate from its callers' total rates,
// in call order; a plan with a cycle keeps them 0 (Validate reports it).
func (p *Plan) setCallRates() {
	for i := range p.Services {
		p.Services[i].inRate = 0
	}
	if !p.HasCalls() {
		return
	}
	order, cycle := p.CallOrder()
	if cycle != nil {
		return
	}
	for _, i := range order {
		s := &p.Services[i]
		for _, c := range s.Calls {
			if callee := p.Service(c.Service); callee != nil && callee != s && finite(c.PerRequest) && c.PerRequest >= 0 {
				callee.inRate += s.TotalRate() * c.PerRequest
			}
		}
	}
}

// ScenarioRate is a service's request rate in a scenario: Scaled times the
// scenario's multiplier λ(t) plus Fixed, requests per second.
type ScenarioRate struct {
	// Scaled is the part the scenario's multiplier scales: the service's
	// own base rate if the scenario covers it, plus what the calls of the
	// services the scenario covers bring.
	Scaled float64
	// Fixed is the part it does not: calls from services the scenario does
	// not cover, which keep today's rate.
	Fixed float64
}

// At is the rate at multiplier m.
func (r ScenarioRate) At(m float64) float64 { return r.Scaled*m + r.Fixed }

// ScenarioRates are the request rates of every service of the plan in the
// scenario, by name, with the calls' rates added along the call graph: a
// service the scenario covers contributes its base rate (BaseRate) scaled
// by the multiplier, one it does not cover keeps today's rate, and each
// call passes its caller's rate on times PerRequest. For a plan without
// calls it is BaseRate scaled, nothing fixed. The plan must be validated.
func (p *Plan) ScenarioRates(sc *Scenario) map[string]ScenarioRate {
	out := make(map[string]ScenarioRate, len(p.Services))
	order, _ := p.CallOrder()
	for _, i := range order {
		s := &p.Services[i]
		r := out[s.Name]
		if sc.AppliesTo(s.Name) {
			r.Scaled += sc.BaseRate(s)
		} else {
			r.Fixed += s.RequestRate.PerSecond
		}
		out[s.Name] = r
		for _, c := range s.Calls {
			cr := out[c.Service]
			cr.Scaled += r.Scaled * c.PerRequest
			cr.Fixed += r.Fixed * c.PerRequest
			out[c.Service] = cr
		}
	}
	return out
}

// ScenarioRate is ScenarioRates for one service.
func (p *Plan) ScenarioRate(sc *Scenario, name string) ScenarioRate {
	if !p.HasCalls() {
		if s := p.Service(name); s != nil {
			return ScenarioRate{Scaled: sc.BaseRate(s)}
		}
		return ScenarioRate{}
	}
	return p.ScenarioRates(sc)[name]
}

// Callers returns, for each service, the indexes of the services that call
// it.
func (p *Plan) callers() map[string][]int {
	out := map[string][]int{}
	for i := range p.Services {
		for _, c := range p.Services[i].Calls {
			out[c.Service] = append(out[c.Service], i)
		}
	}
	return out
}

// calls validates the services' calls and the graph they form.
func (v *validator) calls(p *Plan, paths []string, names map[string]bool) {
	for i := range p.Services {
		s := &p.Services[i]
		seen := map[string]bool{}
		for j := range s.Calls {
			c := &s.Calls[j]
			cp := fmt.Sprintf("%s.calls[%d]", paths[i], j)
			switch {
			case c.Service == "":
				v.add(cp+".service", "is required: the name of the service called")
			case c.Service == s.Name:
				v.add(cp+".service", "a service cannot call itself (%q); model repeated work in its serviceTime", c.Service)
			case !names[c.Service]:
				v.add(cp+".service", "no service named %s in the plan", quoteName(c.Service))
			case seen[c.Service]:
				v.add(cp+".service", "%q is called twice; give one call with the sum of perRequest", c.Service)
			}
			seen[c.Service] = true
			switch {
			case v.absent(cp+".perRequest", "calls per request of the caller, e.g. 2"):
			case !finite(c.PerRequest) || c.PerRequest < 0 || c.PerRequest > MaxCallsPerRequest:
				v.add(cp+".perRequest", "must be in [0, %d] calls per request, got %g", MaxCallsPerRequest, c.PerRequest)
			}
			if c.Mode != "" && c.Mode != CallSync && c.Mode != CallAsync {
				v.add(cp+".mode", "must be sync or async, got %q", c.Mode)
			}
		}
	}
	if _, cycle := p.CallOrder(); cycle != nil {
		// Report the cycle at the first call that closes it.
		s := p.Service(cycle[0])
		path := "services"
		for i := range p.Services {
			if &p.Services[i] == s {
				path = paths[i]
			}
		}
		for j, c := range s.Calls {
			if c.Service == cycle[1] {
				path = fmt.Sprintf("%s.calls[%d].service", path, j)
				break
			}
		}
		v.add(path, "the calls form a cycle: %s; a call graph must have none", strings.Join(cycle, " -> "))
	}
}

// calledServices are the names of services some service calls.
func (p *Plan) calledServices() map[string]bool {
	out := map[string]bool{}
	for name := range p.callers() {
		out[name] = true
	}
	return out
}
