package sim

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/headroom-dev/headroom/model"
	"github.com/headroom-dev/headroom/scenarios"
)

// sloLines give steadyPlan's service a latency SLO of p95 within 1 s.
const sloLines = `
    slo:
      latency: {quantile: 0.95, target: 1s}`

// firstMinutes sums the SLO-violated samples of the first n intervals.
func firstMinutes(s []Sample, n int) int {
	c := 0
	for _, x := range s[:min(n, len(s))] {
		if x.SLOViolated {
			c++
		}
	}
	return c
}

// TestWarmStart_HighOpeningRate: a scenario that opens at 160 req/s, four
// times what the plan's 4 replicas serve, violates the SLO for its first
// minutes when it starts cold and not at all warm, where it starts at the
// 16 pods the HPA settles on (160 req/s × 50 ms = 8 cores at 50 % of one
// core) — in both per-pod models.
func TestWarmStart_HighOpeningRate(t *testing.T) {
	p := steadyPlan(t, "160/s", "", cpuHPA+`
    startup: {containerStart: 20s, readiness: 10s}`+sloLines)
	p.Scenarios[0].Duration = scenarios.Duration(20 * time.Minute)
	for _, mode := range []Mode{ModeFluid, ModeDES} {
		warm, err := Run(p, Options{Scenario: "flat", Mode: mode})
		if err != nil {
			t.Fatal(err)
		}
		cold, err := Run(p, Options{Scenario: "flat", Mode: mode, ColdStart: true})
		if err != nil {
			t.Fatal(err)
		}
		w, c := warm.Services[0], cold.Services[0]
		if w.Summary.SLOViolationMinutes != 0 || firstMinutes(w.Series, 5) != 0 {
			t.Errorf("%s warm: %.1f SLO-violation minutes, want 0", mode, w.Summary.SLOViolationMinutes)
		}
		if firstMinutes(c.Series, 5) == 0 {
			t.Errorf("%s cold: no violation in the first 5 minutes at 4 pods for 160 req/s", mode)
		}
		if got := w.Series[0].Desired; got != 16 {
			t.Errorf("%s warm: replicas at 1m = %d, want 16", mode, got)
		}
		if w.Summary.ScaleEvents != 0 || len(w.Events) != 0 {
			t.Errorf("%s warm: %d scale events at a constant rate, want 0: %+v", mode, w.Summary.ScaleEvents, w.Events)
		}
		if w.Summary.MinReplicas != 16 || w.Summary.MaxReplicas != 16 {
			t.Errorf("%s warm: replicas %d–%d, want 16–16", mode, w.Summary.MinReplicas, w.Summary.MaxReplicas)
		}
		if warm.Cluster.Added != 0 {
			t.Errorf("%s warm: %d nodes added, want the start's nodes to hold the pods", mode, warm.Cluster.Added)
		}
	}
}

// TestWarmStart_WhereTheHPASettles: at a steady load, the warm start is
// at the count the cold run's HPA reaches and keeps, for a CPU-utilisation
// HPA and for a Pods metric on the request rate (10 req/s per pod).
func TestWarmStart_WhereTheHPASettles(t *testing.T) {
	podsHPA := `
    hpa:
      minReplicas: 1
      maxReplicas: 30
      metrics:
        - type: Pods
          pods:
            metric: {name: rps}
            target: {type: AverageValue, averageValue: "10"}
    metricSources:
      - {name: rps, source: requestRate, lag: 30s}`
	for _, tt := range []struct {
		name, rate, hpa string
		want            int32
	}{
		{"cpu 40/s", "40/s", cpuHPA, 4},
		{"cpu 100/s", "100/s", cpuHPA, 10},
		{"pods metric 55/s", "55/s", podsHPA, 6},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := steadyPlan(t, tt.rate, "", tt.hpa)
			p.Services[0].Replicas = 2
			warm, err := Run(p, Options{Scenario: "flat"})
			if err != nil {
				t.Fatal(err)
			}
			cold, err := Run(p, Options{Scenario: "flat", ColdStart: true})
			if err != nil {
				t.Fatal(err)
			}
			w, c := warm.Services[0], cold.Services[0]
			if got := w.Series[0].Desired; got != tt.want {
				t.Errorf("warm start at %d replicas, want %d", got, tt.want)
			}
			if got := c.Series[len(c.Series)-1].Desired; got != tt.want {
				t.Errorf("cold run settles at %d replicas, want %d", got, tt.want)
			}
			if len(w.Events) != 0 {
				t.Errorf("warm run scaled at a steady load: %+v", w.Events)
			}
			if c.Series[0].Desired == tt.want && len(c.Events) == 0 {
				t.Errorf("the cold run did not start away from the settled count; the case tests nothing")
			}
		})
	}
}

// TestWarmStart_ClampsAndSchedules: the settled count is clamped to the
// HPA's bounds, including a minReplicas patched by a scheduled action that
// ran before the start; a service without an HPA starts at the count its
// last scheduled action set, Ready.
func TestWarmStart_ClampsAndSchedules(t *testing.T) {
	p := steadyPlan(t, "400/s", "", cpuHPA)
	res, err := Run(p, Options{Scenario: "flat"})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Services[0].Series[0].Desired; got != 20 {
		t.Errorf("400 req/s wants 40 pods; start = %d, want maxReplicas 20", got)
	}

	p = steadyPlan(t, "40/s", "", cpuHPA+`
    scheduledScaling:
      - {name: pre-scale, at: "08:00", minReplicas: 9}`)
	p.Scenarios[0].Start = scenarios.TimeOfDay(12 * time.Hour)
	if res, err = Run(p, Options{Scenario: "flat"}); err != nil {
		t.Fatal(err)
	}
	if got := res.Services[0].Series[0].Desired; got != 9 {
		t.Errorf("start = %d, want the 08:00 patch's minReplicas 9", got)
	}

	p = steadyPlan(t, "40/s", "", `
    scheduledScaling:
      - {name: morning, at: "08:00", replicas: 7}`)
	p.Scenarios[0].Start = scenarios.TimeOfDay(12 * time.Hour)
	if res, err = Run(p, Options{Scenario: "flat"}); err != nil {
		t.Fatal(err)
	}
	s := res.Services[0]
	if got := s.Series[0]; got.Desired != 7 || got.Ready != 7 || len(s.Events) != 0 {
		t.Errorf("start = %d desired, %d Ready, events %+v; want 7 Ready and no event", got.Desired, got.Ready, s.Events)
	}
}

// TestWarmStart_ModesAgree: DES and fluid start from the same replicas,
// and the first minute's figures are the stationary ones in both.
func TestWarmStart_ModesAgree(t *testing.T) {
	p := noa(t)
	for _, sc := range []string{"growth-2x"} {
		fl, err := Run(p, Options{Scenario: sc})
		if err != nil {
			t.Fatal(err)
		}
		des, err := Run(p, Options{Scenario: sc, Mode: ModeDES})
		if err != nil {
			t.Fatal(err)
		}
		for i := range fl.Services {
			f, d := fl.Services[i], des.Services[i]
			if f.Series[0].Desired != d.Series[0].Desired || f.Summary.MinReplicas > d.Series[0].Desired {
				t.Errorf("%s %s: fluid starts at %d, DES at %d", sc, f.Service, f.Series[0].Desired, d.Series[0].Desired)
			}
			if f.Series[0].Pending != 0 || d.Series[0].Pending != 0 {
				t.Errorf("%s %s: pods pending at 1m (fluid %d, DES %d)", sc, f.Service, f.Series[0].Pending, d.Series[0].Pending)
			}
		}
	}
}

// TestWarmStart_DESQueuesStationary: after the burn-in, DES's first five
// seconds at ρ = 0.9 have the stationary mean queue (M/M/4, Erlang C),
// where a cold start's empty queues are still filling. Averaged over
// seeds: a few seconds' queue at ρ = 0.9 is noisy.
func TestWarmStart_DESQueuesStationary(t *testing.T) {
	p := steadyPlan(t, "72/s", "", "")
	p.Scenarios[0].Duration = scenarios.Duration(10 * time.Second)
	const seeds = 400
	var warm, cold float64
	for seed := int64(1); seed <= seeds; seed++ {
		for _, cs := range []bool{false, true} {
			res, err := Run(p, Options{Scenario: "flat", Mode: ModeDES, Seed: seed, ColdStart: cs, SampleEvery: 5 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			q := res.Services[0].Series[0].Queue / seeds
			if cs {
				cold += q
			} else {
				warm += q
			}
		}
	}
	// Four pods, each M/M/4 at 18 req/s of 0.2 s requests.
	want := 4 * model.MMc{Lambda: 18, Mu: 5, C: 4}.MeanQueueLen()
	if math.Abs(warm-want) > 0.15*want {
		t.Errorf("warm queue in the first 5 s %.2f over %d seeds, stationary %.2f", warm, seeds, want)
	}
	if !(cold < 0.5*want) {
		t.Errorf("cold queue in the first 5 s %.2f, stationary %.2f: the cold start should still be filling", cold, want)
	}
	t.Logf("queue in the first 5 s over %d seeds: warm %.2f, cold %.2f, stationary %.2f", seeds, warm, cold, want)
}

// TestWarmStart_Deterministic: a warm DES run and a warm fluid run give
// byte-identical output for the same seed.
func TestWarmStart_Deterministic(t *testing.T) {
	p := noa(t)
	for _, mode := range []Mode{ModeFluid, ModeDES} {
		var out [2][]byte
		for i := range out {
			res, err := Run(p, Options{Scenario: "growth-2x", Mode: mode})
			if err != nil {
				t.Fatal(err)
			}
			if out[i], err = json.Marshal(res); err != nil {
				t.Fatal(err)
			}
		}
		if !bytes.Equal(out[0], out[1]) {
			t.Errorf("%s: two warm runs differ", mode)
		}
	}
}

// TestWarmStart_PlanField: the plan's simulation.coldStart is
// Options.ColdStart.
func TestWarmStart_PlanField(t *testing.T) {
	p := steadyPlan(t, "160/s", "", cpuHPA)
	a, err := Run(p, Options{Scenario: "flat", ColdStart: true})
	if err != nil {
		t.Fatal(err)
	}
	p.Simulation.ColdStart = true
	b, err := Run(p, Options{Scenario: "flat"})
	if err != nil {
		t.Fatal(err)
	}
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if !bytes.Equal(ja, jb) {
		t.Error("simulation.coldStart and Options.ColdStart differ")
	}
	if len(a.Services[0].Events) == 0 {
		t.Error("a cold start at 4 pods for 160 req/s did not scale")
	}
}

// TestWarmStart_MoreThanTheClusterHolds: when the settled count needs more
// nodes than maxNodes allows, the pods that fit start Ready and the rest
// Pending, as in the cluster, instead of the run failing.
func TestWarmStart_MoreThanTheClusterHolds(t *testing.T) {
	p := steadyPlan(t, "400/s", "", cpuHPA)
	p.Cluster.NodeTypes[0].MaxNodes = 1 // 16 one-core pods
	for _, mode := range []Mode{ModeFluid, ModeDES} {
		p.Scenarios[0].Duration = scenarios.Duration(5 * time.Minute)
		res, err := Run(p, Options{Scenario: "flat", Mode: mode})
		if err != nil {
			t.Fatal(err)
		}
		s := res.Services[0].Series[0]
		if s.Desired != 20 || s.Ready != 16 || s.Pending != 4 {
			t.Errorf("%s: desired %d, Ready %d, Pending %d; want 20, 16 and 4", mode, s.Desired, s.Ready, s.Pending)
		}
	}
}

// TestDESWarm_BacklogBeforeStartNotCounted: a DES warm start pre-fills an
// overloaded pod's queue with requests that arrived before t = 0; their
// time-outs after t = 0 are not the run's (their arrivals were not
// counted), so errors never exceed requests: errorPercent at most 100 and
// badFraction at most 1.
func TestDESWarm_BacklogBeforeStartNotCounted(t *testing.T) {
	p := steadyPlan(t, "100/s", "", "    slo:\n      latency: {quantile: 0.95, target: 1s}")
	p.Scenarios[0].Profile = []scenarios.Component{{Replay: &scenarios.Replay{Points: []scenarios.ReplayPoint{
		{At: 0, Multiplier: 1}, {At: scenarios.Duration(2 * time.Second), Multiplier: 0}, {At: scenarios.Duration(2 * time.Hour), Multiplier: 0}}}}}
	res, err := Run(p, Options{Scenario: "flat", FixedReplicas: map[string]int32{"api": 1}, Mode: ModeDES})
	if err != nil {
		t.Fatal(err)
	}
	s := res.Services[0].Summary
	t.Logf("requests %g, errors %g, errorPercent %g, badFraction %g, burn %g", s.Requests, s.Errors, s.ErrorPercent, s.BadFraction, s.SLOBudgetBurn)
	if s.BadFraction > 1 || s.ErrorPercent > 100 {
		t.Errorf("badFraction %g, errorPercent %g: more failures than requests", s.BadFraction, s.ErrorPercent)
	}
}
