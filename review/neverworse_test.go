package review

import (
	"context"
	"testing"

	"github.com/headroom-dev/headroom/model"
	"github.com/headroom-dev/headroom/scenarios"
)

// nodeSharingSlack is how much worse (relative) a service the recommender
// left alone may read in the proposed run: its pods share nodes with the
// services whose HPAs change, so its pods' wait for a node moves by a few
// seconds (1.3e-5 relative on noa-claude-flow's event-spike burn).
const nodeSharingSlack = 1e-4

// TestBuild_NeverWorse: on the bundled example (one run per scenario),
// report.json's proposed burn and SLO minutes are at most today's for every
// service-scenario, and every service the proposal changes holds its
// budget in every scenario.
func TestBuild_NeverWorse(t *testing.T) {
	if testing.Short() {
		t.Skip("the recommender's search over the bundled example; not in -short")
	}
	plan, err := scenarios.Example("noa.yaml")
	if err != nil {
		t.Fatal(err)
	}
	plan.Uncertainty = nil
	rev, err := Build(context.Background(), plan, Options{Mode: model.Queueing, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	changed := map[string]bool{}
	for _, r := range rev.Recommendations {
		if r.HPA != nil {
			changed[r.Service] = true
		}
	}
	if len(changed) == 0 {
		t.Fatal("the recommender changes no HPA on the bundled example")
	}
	for _, s := range rev.Services {
		for _, sc := range s.Scenarios {
			if sc.Proposed == nil {
				continue
			}
			c, p := sc.Current, *sc.Proposed
			slack := 1e-9
			if !changed[s.Name] {
				slack = nodeSharingSlack
			}
			if p.SLOBudgetBurn > c.SLOBudgetBurn*(1+slack)+1e-12 || p.SLOViolationMinutes > c.SLOViolationMinutes+1e-9 {
				t.Errorf("%s %s: proposed burn %.6g / %.1f SLO minutes, today %.6g / %.1f", s.Name, sc.Scenario, p.SLOBudgetBurn, p.SLOViolationMinutes, c.SLOBudgetBurn, c.SLOViolationMinutes)
			}
			if changed[s.Name] && p.OverBudget() {
				t.Errorf("%s %s: the proposal misses the budget (burn %.3g, worst window %.3g)", s.Name, sc.Scenario, p.SLOBudgetBurn, p.WorstWindowBurn)
			}
		}
	}
}
