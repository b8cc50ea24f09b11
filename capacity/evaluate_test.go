package capacity

import (
	"context"
	"encoding/json"
	"reflect"
	"slices"
	"testing"

	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/headroom-dev/headroom/scenarios"
)

// TestSweep_CellsAreTheRecommendersPoints: a sweep over the settings the
// recommender evaluated gives, cell for cell, the recommender's points —
// every Outcome field, cost, scale events, worst burn, meets and never
// worse — and today's point; the sweep's best among them is the
// recommender's choice. With and without the plan's ensemble.
func TestSweep_CellsAreTheRecommendersPoints(t *testing.T) {
	for _, tc := range []struct {
		name string
		unc  *scenarios.Uncertainty
		// least is how many points the search runs in full: the
		// ensemble's stage starts from the margin's answer and, when it
		// holds there, runs that point alone.
		least int
	}{
		{"point estimate", nil, 2},
		{"ensemble", &scenarios.Uncertainty{RequestRate: 0.1, CPU: 0.1, Samples: 8}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			p := sweepTestPlan(t)
			p.Uncertainty = tc.unc
			prop, err := ProposeService(ctx, p, "api", ProposeOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if len(prop.Recommendation.Requests)+len(prop.Recommendation.Limits) > 0 {
				t.Fatalf("the test plan's proposal changes resources (%v, %v): the grid below assumes the plan's", prop.Recommendation.Requests, prop.Recommendation.Limits)
			}
			// The grid: every target, minReplicas and maxReplicas the
			// recommender tried with today's scale-up and ran in full.
			g := &SweepGrid{Service: "api"}
			var pts []Point
			for _, q := range prop.Evaluated {
				if q.ScaleUp != "" || q.Screened {
					continue
				}
				pts = append(pts, q)
				for _, x := range []struct {
					l *[]int32
					v int32
				}{{&g.HPA.CPUTargets, q.CPUTarget}, {&g.HPA.MinReplicas, q.MinReplicas}, {&g.HPA.MaxReplicas, q.MaxReplicas}} {
					if !slices.Contains(*x.l, x.v) {
						*x.l = append(*x.l, x.v)
					}
				}
			}
			if len(pts) < tc.least {
				t.Fatalf("the recommender evaluated %d points in full; the test needs a few", len(pts))
			}
			res, err := SweepAll(ctx, p, g, nil)
			if err != nil {
				t.Fatal(err)
			}
			js := func(v any) string { b, _ := json.Marshal(v); return string(b) }
			if !reflect.DeepEqual(res.Current, prop.Current) {
				t.Errorf("today:\nsweep       %s\nrecommender %s", js(res.Current), js(prop.Current))
			}
			matched := 0
			for _, q := range pts {
				for _, c := range res.Results {
					if c.CPUTarget == q.CPUTarget && c.MinReplicas == q.MinReplicas && c.MaxReplicas == q.MaxReplicas {
						matched++
						if !reflect.DeepEqual(c.Point, q) {
							t.Errorf("setting %d %%/%d/%d:\nsweep       %s\nrecommender %s", q.CPUTarget, q.MinReplicas, q.MaxReplicas, js(c.Point), js(q))
						}
					}
				}
			}
			if matched != len(pts) {
				t.Errorf("%d of the recommender's %d points are sweep cells", matched, len(pts))
			}
			if prop.Met && prop.Chosen.ScaleUp == "" {
				if res.Best == nil || !prop.IsChosen(res.Best.Point) || !res.Met {
					t.Errorf("sweep's best %s, recommender's choice %d %%/%d/%d", js(res.Best), prop.Chosen.CPUTarget, prop.Chosen.MinReplicas, prop.Chosen.MaxReplicas)
				}
			}
		})
	}
}

// TestSweep_WithoutHPA: a service whose replicas the plan fixes sweeps
// its resources with the same evaluation (margin and all); the cell with
// the plan's own resources is today's point at the point estimate, number
// for number, plus the margin's runs today does not make; and a larger CPU
// request costs more.
func TestSweep_WithoutHPA(t *testing.T) {
	p := steadyPlan(t, "40/s", "", `    slo:
      latency: {quantile: 0.95, target: 700ms}`)
	g := &SweepGrid{Service: "api", Resources: ResourceGrid{CPURequests: []resource.Quantity{resource.MustParse("1"), resource.MustParse("1500m")}}}
	res, err := SweepAll(context.Background(), p, g, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Candidates != 2 || res.Floor != 0 || len(res.Current.Outcomes) != 1 {
		t.Fatalf("%d candidates, floor %d, today %+v", res.Candidates, res.Floor, res.Current)
	}
	same, more := res.Results[0], res.Results[1]
	if same.CPURequest != "1" || more.CPURequest != "1500m" {
		t.Fatalf("grid order: %+v, %+v", same.SweepSetting, more.SweepSetting)
	}
	if res.Current.Margin || !same.Point.Margin {
		t.Errorf("margin runs: today %v (want none), the cell %v (want them)", res.Current.Margin, same.Point.Margin)
	}
	o, c := res.Current.Outcomes[0], same.Point.Outcomes[0]
	if o.MarginBurn != 0 || o.MarginWorstWindowBurn != 0 {
		t.Errorf("today has margin burns: %+v", o)
	}
	c.MarginBurn, c.MarginWorstWindowBurn = 0, 0
	if !reflect.DeepEqual(c, o) || same.Point.Cost != res.Current.Cost || same.Point.ScaleEvents != res.Current.ScaleEvents {
		t.Errorf("the plan's own resources at the point estimate:\ncell  %+v\ntoday %+v", same.Point, res.Current)
	}
	// At 70 % of the budget, the inputs moved 3 % adversely burn more.
	if mb := same.Point.Outcomes[0].MarginBurn; !(o.Burn > 0 && mb > o.Burn) || o.Weight != 1 {
		t.Errorf("the cell's margin burn %g against today's %g, weight %g", mb, o.Burn, o.Weight)
	}
	if !(more.Point.Cost > same.Point.Cost) {
		t.Errorf("a 1.5× CPU request costs %g, the plan's %g", more.Point.Cost, same.Point.Cost)
	}
}
