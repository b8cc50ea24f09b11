package review

import (
	"os"
	"strings"
	"testing"

	"github.com/headroom-dev/headroom/scenarios"
	"github.com/headroom-dev/headroom/sim"
)

// TestTroubleStart: on the three-tier plan's growth scenario db (two calls
// deep) is over its budget and so are its callers through it; the trouble
// starts at db. With db made fast the trouble moves or goes away, never to
// a service with a callee over budget.
func TestTroubleStart(t *testing.T) {
	b, err := os.ReadFile("../sim/testdata/threetier.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p, err := scenarios.Parse("threetier.yaml", b)
	if err != nil {
		t.Fatal(err)
	}
	sc := p.Scenario("growth")
	r, err := sim.Run(p, sim.Options{Scenario: "growth"})
	if err != nil {
		t.Fatal(err)
	}
	at, why := troubleStart(p, sc, r)
	if at != "db" || !strings.Contains(why, "none of the services it calls is over budget") || !strings.Contains(why, "api") {
		t.Errorf("trouble starts at %q: %s", at, why)
	}
	for _, s := range r.Services {
		t.Logf("%s burn %.3g worst window %.3g", s.Service, s.Summary.SLOBudgetBurn, s.Summary.WorstWindowBurn)
	}
	g := callGraph(p)
	if len(g) != 2 || g[0].Caller != "web" || g[1].Callee != "db" || g[1].PerRequest != 2 || g[1].Mode != "sync" {
		t.Errorf("call graph %+v", g)
	}
}
