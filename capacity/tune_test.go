package capacity

import (
	"context"
	"testing"
	"time"

	"github.com/headroom-dev/headroom/scenarios"
	"github.com/headroom-dev/headroom/sim/simtest"
)

// steadyPlan is simtest.SteadyPlan.
func steadyPlan(t testing.TB, rate, serviceTime, extra string) *scenarios.Plan {
	return simtest.SteadyPlan(t, rate, serviceTime, extra)
}

func TestTune_ParetoAndBest(t *testing.T) {
	p := steadyPlan(t, "40/s", "", `    hpa:
      minReplicas: 2
      maxReplicas: 20
      metrics:
        - type: Resource
          resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}
    slo:
      latency: {quantile: 0.95, target: 700ms}
    startup: {containerStart: 30s, readiness: 10s}`)
	p.Scenarios[0].Profile = []scenarios.Component{{Step: &scenarios.Step{At: scenarios.Duration(30 * time.Minute), Multiplier: 2}}}
	grid := TuneGrid{CPUTargets: []int32{40, 60, 80, 95}, MinReplicas: []int32{2, 10}, ScaleUpWindows: []int32{0, 120}}
	r, err := Tune(context.Background(), p, "api", grid, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.Candidates != 17 { // today's HPA and the 4 × 2 × 2 grid
		t.Fatalf("%d candidates, want 17", r.Candidates)
	}
	// Recompute every candidate and check the front by brute force.
	cands := expand(p.Services[0].HPA, grid)
	ev := evaluator{plan: p, service: "api", scenarios: r.Scenarios}
	for i := range cands {
		if err := ev.evaluate(&cands[i]); err != nil {
			t.Fatal(err)
		}
	}
	dominated := func(c Candidate) bool {
		for _, o := range cands {
			if o.Cost <= c.Cost && o.SLOViolationMinutes <= c.SLOViolationMinutes &&
				(o.Cost < c.Cost || o.SLOViolationMinutes < c.SLOViolationMinutes) {
				return true
			}
		}
		return false
	}
	for _, c := range r.Pareto {
		if dominated(c) {
			t.Errorf("front member %+v is dominated", c)
		}
	}
	for _, c := range cands {
		if c.SLOViolationMinutes == 0 && c.Cost < r.Best.Cost {
			t.Errorf("candidate %+v holds the SLO and is cheaper than the best %+v", c, r.Best)
		}
	}
	if r.Best.SLOViolationMinutes != 0 {
		t.Errorf("best has %g SLO minutes; a low target with a high minimum should hold", r.Best.SLOViolationMinutes)
	}
	// The shared traffic series gives what a plain run gives.
	plain := Candidate{Spec: p.Services[0].HPA}
	describe(&plain)
	if err := ev.evaluate(&plain); err != nil {
		t.Fatal(err)
	}
	if plain.Cost != r.Current.Cost || plain.SLOViolationMinutes != r.Current.SLOViolationMinutes {
		t.Errorf("with the traffic cache %+v, without %+v", r.Current, plain)
	}
	if r.Current.CPUTarget != 50 || r.Current.MinReplicas != 2 {
		t.Errorf("current read back as %+v", r.Current)
	}
}

func TestTune_Cancelled(t *testing.T) {
	p := steadyPlan(t, "40/s", "", `    hpa:
      maxReplicas: 20
      metrics:
        - type: Resource
          resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}`)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Tune(ctx, p, "api", TuneGrid{CPUTargets: []int32{40, 50, 60}}, nil); err != context.Canceled {
		t.Errorf("error = %v, want context.Canceled", err)
	}
}

// diurnalPlan is simtest.DiurnalPlan.
func diurnalPlan(b testing.TB, days int) *scenarios.Plan {
	return simtest.DiurnalPlan(b, days)
}

// BenchmarkTune1000x7Days is issue #3's tune target: 1000 candidates, each
// a 7-day diurnal run of one service. Run it alone:
//
//	go test ./capacity -run '^$' -bench Tune1000 -benchtime 1x
func BenchmarkTune1000x7Days(b *testing.B) {
	p := diurnalPlan(b, 7)
	grid := TuneGrid{
		CPUTargets:       []int32{40, 45, 50, 55, 60, 65, 70, 75, 80, 85},
		MinReplicas:      []int32{1, 2, 3, 4, 5},
		ScaleUpWindows:   []int32{0, 60, 120, 180},
		ScaleDownWindows: []int32{60, 300, 600, 900, 1200},
	}
	for b.Loop() {
		r, err := Tune(context.Background(), p, "api", grid, nil)
		if err != nil {
			b.Fatal(err)
		}
		if r.Candidates != 1000 {
			b.Fatalf("%d candidates", r.Candidates)
		}
	}
}
