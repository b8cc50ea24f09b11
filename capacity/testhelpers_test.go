package capacity

import (
	"testing"

	"github.com/headroom-dev/headroom/scenarios"
	"github.com/headroom-dev/headroom/sim/simtest"
)

// steadyPlan is simtest.SteadyPlan.
func steadyPlan(t testing.TB, rate, serviceTime, extra string) *scenarios.Plan {
	return simtest.SteadyPlan(t, rate, serviceTime, extra)
}
