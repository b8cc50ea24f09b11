package capacity

import (
	"fmt"
	"slices"

	autoscalingv2 "k8s.io/api/autoscaling/v2"

	"github.com/headroom-dev/headroom/scenarios"
	"github.com/headroom-dev/headroom/sim"
)

// The recommender over a call graph: callees are proposed before their
// callers, and a caller's runs take its synchronous callees into the
// simulation (today's settings for today's run, their proposals for the
// candidates').

// proposeOrder is the order Propose visits the plan's services in
// (indices into plan.Services): callees before their callers
// (scenarios.Plan.CallOrder reversed), plan order without calls; and the
// services it proposes: the wanted ones (every one when want is empty)
// with every service they call synchronously, directly or not.
func proposeOrder(plan *scenarios.Plan, want map[string]bool) ([]int, map[string]bool) {
	need := map[string]bool{}
	for i := range plan.Services {
		name := plan.Services[i].Name
		if len(want) == 0 || want[name] {
			need[name] = true
			for _, c := range syncCallees(plan, name) {
				need[c] = true
			}
		}
	}
	order := make([]int, len(plan.Services))
	for i := range order {
		order[i] = i
	}
	if plan.HasCalls() {
		if callersFirst, cycle := plan.CallOrder(); cycle == nil {
			order = slices.Clone(callersFirst)
			slices.Reverse(order)
		}
	}
	return order, need
}

// syncCallees are the services name calls synchronously, directly or
// through other services, in the order they are first reached.
func syncCallees(plan *scenarios.Plan, name string) []string {
	var out []string
	seen := map[string]bool{name: true}
	var visit func(string)
	visit = func(n string) {
		svc := plan.Service(n)
		if svc == nil {
			return
		}
		for _, c := range svc.Calls {
			if !c.Sync() || c.PerRequest == 0 || seen[c.Service] {
				continue
			}
			seen[c.Service] = true
			out = append(out, c.Service)
			visit(c.Service)
		}
	}
	visit(name)
	return out
}

// runPlan is the plan of the candidates' runs (cand) or of today's.
func (s *search) runPlan(cand bool) *scenarios.Plan {
	if cand {
		return s.candPlan
	}
	return s.plan
}

// candDiffers reports whether a candidate runs on anything but today's
// plan: the proposal's resources, or its callees' proposals.
func (s *search) candDiffers() bool { return s.candPlan != s.plan || len(s.candHPA) > 0 }

// runOptions are the options of one run of the service with the HPA h in
// scenario sc: its synchronous callees the scenario covers run with it,
// coupled (sim's calls), at their proposed HPAs in a candidate's run
// (cand) and at today's otherwise.
func (s *search) runOptions(cand bool, sc string, h *autoscalingv2.HorizontalPodAutoscalerSpec) sim.Options {
	o := sim.Options{
		Scenario: sc, Services: []string{s.svc.Name}, Seed: s.opts.Seed, Mode: s.opts.Mode,
		HPA:     map[string]*autoscalingv2.HorizontalPodAutoscalerSpec{s.svc.Name: h},
		Traffic: s.traffic, Latency: s.latency, FlapWindow: s.opts.FlapWindow,
	}
	scn := s.plan.Scenario(sc)
	for _, c := range s.callees {
		if scn != nil && !scn.AppliesTo(c) {
			continue
		}
		o.Services = append(o.Services, c)
		if ch := s.candHPA[c]; cand && ch != nil {
			o.HPA[c] = ch
		}
	}
	return o
}

// summaryOf is the search's service's summary in a run.
func (s *search) summaryOf(r *sim.Result) (sim.Summary, error) {
	sr, err := s.resultOf(r)
	if err != nil {
		return sim.Summary{}, err
	}
	return sr.Summary, nil
}

func errNotInRun(svc string) error { return fmt.Errorf("service %s: not in the run", svc) }
