package sim

import (
	"bytes"
	"encoding/json"
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
	noa, err := scenarios.Example("noa.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// A scrape every 5 minutes: most syncs read runs taken syncs ago, or
	// rebuild the entries themselves after the pods changed.
	slow, err := scenarios.Example("noa.yaml")
	if err != nil {
		t.Fatal(err)
	}
	slow.Simulation.MetricsResolution = scenarios.Duration(5 * time.Minute)
	gen, err := scenarios.Parse("genplan.yaml", []byte(genplan.Generate(6, 5, 3)))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		plan *scenarios.Plan
	}{{"noa", noa}, {"noa-slow-scrape", slow}, {"custom-sources", SteadyPlanForCohort(t)}, {"genplan", gen}}
	for _, c := range cases {
		for _, sc := range c.plan.Scenarios {
			t.Run(c.name+"/"+sc.Name, func(t *testing.T) {
				opts := Options{Scenario: sc.Name, Traffic: NewTrafficCache()}
				ref, err := New(c.plan, opts)
				if err != nil {
					t.Fatal(err)
				}
				got, err := New(c.plan, opts)
				if err != nil {
					t.Fatal(err)
				}
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
				a, _ := json.Marshal(ref.result())
				b, _ := json.Marshal(got.result())
				if !bytes.Equal(a, b) {
					t.Fatal("results differ")
				}
				t.Logf("%d entries saved over the syncs", shared)
				if shared == 0 && c.name != "custom-sources" {
					t.Error("no entry was ever shared")
				}
			})
		}
	}
}
