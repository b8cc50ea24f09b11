package main

import (
	"github.com/headroom-dev/headroom/model"
	"github.com/headroom-dev/headroom/scenarios"
)

// checkServices refuses, as a usage error naming flag, a service the plan
// does not have.
func checkServices(p *scenarios.Plan, flag string, names ...string) error {
	for _, n := range names {
		if p.Service(n) == nil {
			return usageErrorf("%s %q: the plan has no such service", flag, n)
		}
	}
	return nil
}

// checkScenarios refuses, as a usage error naming flag, a scenario the
// plan does not have.
func checkScenarios(p *scenarios.Plan, flag string, names ...string) error {
	for _, n := range names {
		if p.Scenario(n) == nil {
			return usageErrorf("%s %q: the plan has no such scenario", flag, n)
		}
	}
	return nil
}

// parseMode reads --mode: queueing, or utilization (either spelling).
func parseMode(s string) (model.Mode, error) {
	switch s {
	case "queueing":
		return model.Queueing, nil
	case "utilization", "utilisation":
		return model.Utilization, nil
	}
	return 0, usageErrorf("--mode must be queueing or utilization, got %q", s)
}

// coldStartUsage is the help of --cold-start, on every command that
// simulates.
const coldStartUsage = "start every scenario at the plan's replica counts with empty queues and metric windows (default: warm, in the steady state of the scenario's first instant)"

// applyColdStart makes a plan's simulations start cold when --cold-start
// was given; the plan's own simulation.coldStart holds either way.
func applyColdStart(p *scenarios.Plan, cold bool) {
	if cold && p != nil {
		p.Simulation.ColdStart = true
	}
}
