package main

import "github.com/headroom-dev/headroom/scenarios"

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
