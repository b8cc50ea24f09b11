package review

import (
	"fmt"

	"github.com/headroom-dev/headroom/scenarios"
	"github.com/headroom-dev/headroom/sim"
)

// EstimateWork estimates the simulations Build would run for plan and
// opts, before any starts: every scenario with today's HPAs and with the
// proposed ones, each times 1 + the members of the plan's uncertainty
// ensemble, and each event's run with its pre-scale and its baseline at
// today's traffic (counted as two more runs of the event's scenario).
func EstimateWork(plan *scenarios.Plan, opts Options) (sim.Work, error) {
	if opts.Event != nil {
		p, err := plan.WithScenario(opts.Event.ScenarioFor())
		if err != nil {
			return sim.Work{}, fmt.Errorf("event %s: %w", opts.Event.Name, err)
		}
		plan = p
	}
	var w sim.Work
	for i := range plan.Scenarios {
		sc := &plan.Scenarios[i]
		e, err := sim.EstimateWork(plan, runOptions(plan, sc, opts.Seed, opts.FlapWindow))
		if err != nil {
			return sim.Work{}, err
		}
		runs := 2.0
		if u := plan.Uncertainty; u != nil {
			runs *= float64(1 + u.Samples)
		}
		if (opts.Event != nil && sc.Name == opts.Event.Scenario) || scenarios.EventFromScenario(sc) != nil {
			runs += 2
		}
		w = w.Add(e.Scale(runs))
	}
	return w, nil
}
