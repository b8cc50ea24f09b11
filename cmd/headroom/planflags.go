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
