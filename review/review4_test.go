package review

import (
	"testing"
	"time"

	"github.com/headroom-dev/headroom/scenarios"
	"github.com/headroom-dev/headroom/sim"
)

// TestWindowBurn_CountsErrorRateObjective: the event table's burn
// (windowBurn with budgetOf) weighs only the latency objective, while the
// run's own SLOBudgetBurn (and every verdict) is the larger of the latency
// and error-rate objectives. A service with only an error-rate SLO shows a
// burn of 0 for a window in which half its requests failed.
func TestWindowBurn_CountsErrorRateObjective(t *testing.T) {
	e := scenarios.Ratio(0.01)
	plan := &scenarios.Plan{Services: []scenarios.Service{{Name: "api", SLO: scenarios.SLO{ErrorRate: &e}}}}
	every := time.Minute
	var series []sim.Sample
	for k := 1; k <= 10; k++ {
		series = append(series, sim.Sample{T: scenarios.Seconds(time.Duration(k) * every), Lambda: 10, Errors: 300})
	}
	b := windowBurn(series, 0, 10*every, every, budgetOf(plan, "api"))
	if b < 1 {
		t.Errorf("pre-scale window burn %g for a window where 50 %% of requests failed against a 1 %% error objective (burn 50)", b)
	}
}
