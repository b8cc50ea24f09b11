package sim

import (
	"fmt"
	"reflect"
	"testing"

	autoscalingv2 "k8s.io/api/autoscaling/v2"

	"github.com/headroom-dev/headroom/internal/genplan"
	"github.com/headroom-dev/headroom/scenarios"
)

// A run with the HPA's bounds moved where ReachSameRun allows is the same
// run, series and events included; moved where its counts met them, it
// is not (so the rule is not vacuous). Generated plans (daily profiles,
// spikes, bursts) and the cohort plan, in fluid and DES mode.
func TestReachSameRun_SameRun(t *testing.T) {
	type pl struct {
		p     *scenarios.Plan
		scens []string
	}
	var plans []pl
	for _, seed := range []uint64{1, 2} {
		p, err := scenarios.Parse(fmt.Sprintf("genplan-%d.yaml", seed), []byte(genplan.Generate(3, 4, seed)))
		if err != nil {
			t.Fatal(err)
		}
		plans = append(plans, pl{p, []string{"sc-3", "sc-1"}})
	}
	plans = append(plans, pl{SteadyPlanForCohort(t), []string{"day"}})
	same, differ := 0, 0
	for _, x := range plans {
		for _, svc := range x.p.Services {
			if svc.HPA == nil || svc.Fixed {
				continue
			}
			for _, sc := range x.scens {
				for _, mode := range []Mode{ModeFluid, ModeDES} {
					if mode == ModeDES && sc != "sc-3" {
						continue // DES on the short scenario only
					}
					run := func(m, M int32) *Result {
						t.Helper()
						h := svc.HPA.DeepCopy()
						h.MinReplicas, h.MaxReplicas = &m, M
						r, err := Run(x.p, Options{Scenario: sc, Services: []string{svc.Name}, Mode: mode, HPA: map[string]*autoscalingv2.HorizontalPodAutoscalerSpec{svc.Name: h}})
						if err != nil {
							t.Fatal(err)
						}
						return r
					}
					m, M := *svc.HPA.MinReplicas, svc.HPA.MaxReplicas
					base := run(m, M)
					reach := base.Services[0].Reach
					if reach.Lo < 1 || reach.Hi < reach.Lo {
						t.Fatalf("%s %s: reach %+v", svc.Name, sc, reach)
					}
					name := fmt.Sprintf("%s/%s/%s/%v", x.p.Metadata.Name, svc.Name, sc, mode)
					for _, b := range [][2]int32{{m, reach.Hi + 1}, {m, M + 7}, {reach.Lo, reach.Hi + 1}, {1, M}, {m, reach.Hi}, {reach.Lo + 1, M}} {
						if b[0] < 1 || b[0] > b[1] || b == [2]int32{m, M} {
							continue
						}
						r := run(b[0], b[1])
						eq := reflect.DeepEqual(base, r)
						if ReachSameRun(reach, m, M, b[0], b[1]) {
							same++
							if !eq {
								t.Errorf("%s: min %d max %d (reach %+v, run at %d-%d): not the same run", name, b[0], b[1], reach, m, M)
							}
						} else if !eq {
							differ++
						}
					}
				}
			}
		}
	}
	t.Logf("%d the same, %d changed", same, differ)
	if same < 10 || differ < 3 {
		t.Errorf("%d bound changes the rule calls the same run, %d that changed the run: the plans do not exercise it", same, differ)
	}
}
