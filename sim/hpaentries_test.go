package sim

import (
	"reflect"
	"testing"
	"time"

	"github.com/headroom-dev/headroom/internal/genplan"
	"github.com/headroom-dev/headroom/scenarios"
)

// TestHPAEntries_DecideAsPodsListed runs each plan twice in lockstep, once
// with the HPA's snapshots listing every pod on its own and once with the
// pods it cannot tell apart sharing an entry (the scrape's runs, or the
// sync's own pass when they are stale or a Pods metric is read), and
// requires the same decision at every sync and the same Result. It also
// requires that entries were shared, by both paths.
func TestHPAEntries_DecideAsPodsListed(t *testing.T) {
	// A scrape every 5 minutes: most syncs read runs taken syncs ago, or
	// rebuild the entries themselves after the pods changed.
	slow := noaPlan(t, func(p *scenarios.Plan) {
		p.Simulation.MetricsResolution = scenarios.Duration(5 * time.Minute)
	})
	gen, err := scenarios.Parse("genplan.yaml", []byte(genplan.Generate(6, 5, 3)))
	if err != nil {
		t.Fatal(err)
	}
	cases := []namedPlan{{"noa", noaPlan(t, nil)}, {"noa-slow-scrape", slow}, {"custom-sources", SteadyPlanForCohort(t)}, {"genplan", gen}}
	for _, c := range cases {
		for _, sc := range c.plan.Scenarios {
			t.Run(c.name+"/"+sc.Name, func(t *testing.T) {
				ref, got := worldPair(t, c.plan, sc.Name)
				ref.eachPod = true
				shared := 0
				for ref.now < ref.end {
					ref.Tick()
					got.Tick()
					for j, s := range got.services {
						r := ref.services[j]
						if s.hpa == nil || s.snapshot.StatusReplicas == 0 {
							continue
						}
						if !reflect.DeepEqual(r.lastDec, s.lastDec) {
							t.Fatalf("t=%s %s: decisions differ:\n%+v\n%+v", got.now, s.spec.Name, r.lastDec, s.lastDec)
						}
						shared += len(r.snapshot.Pods) - len(s.snapshot.Pods)
					}
				}
				requireSameResult(t, ref, got)
				t.Logf("%d entries saved over the syncs", shared)
				if shared == 0 && c.name != "custom-sources" {
					t.Error("no entry was ever shared")
				}
			})
		}
	}
}
