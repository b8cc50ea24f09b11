package sim

import (
	"bytes"
	"encoding/json"
	"math"
	"runtime"
	"testing"
	"time"

	"github.com/headroom-dev/headroom/model"
	"github.com/headroom-dev/headroom/scenarios"
	"github.com/headroom-dev/headroom/sim/simtest"
)

func noa(t testing.TB) *scenarios.Plan {
	t.Helper()
	p, err := scenarios.Example("noa.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// cpuHPA is a plain CPU-utilisation HPA for steadyPlan's extra lines.
const cpuHPA = simtest.CPUHPA

// steadyPlan is simtest.SteadyPlan.
func steadyPlan(t testing.TB, rate, serviceTime, extra string) *scenarios.Plan {
	return simtest.SteadyPlan(t, rate, serviceTime, extra)
}

// TestSteadyStateMatchesModel: at constant traffic and a fixed replica
// count, the simulator's utilisation and p95 are the model's within 2 %.
func TestSteadyStateMatchesModel(t *testing.T) {
	for _, tt := range []struct {
		name, rate, st string
		replicas       int32
	}{
		{"exponential ρ=0.5", "40/s", "", 4},
		{"exponential ρ=0.9", "72/s", "", 4},
		{"cv 1.5 ρ=0.8", "64/s", ", cv: 1.5", 4},
		{"p95-fitted ρ=0.7", "42/s", ", p95: 500ms", 3},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := steadyPlan(t, tt.rate, tt.st, "")
			res, err := Run(p, Options{Scenario: "flat", FixedReplicas: map[string]int32{"api": tt.replicas}})
			if err != nil {
				t.Fatal(err)
			}
			last := res.Services[0].Series[len(res.Services[0].Series)-1]
			wl, err := p.Services[0].Workload(p.Services[0].RequestRate.PerSecond)
			if err != nil {
				t.Fatal(err)
			}
			want, err := model.Predict(wl, int(tt.replicas), 0.95)
			if err != nil {
				t.Fatal(err)
			}
			if rel := math.Abs(last.CPUUtilisation-want.CPUUtilisation) / want.CPUUtilisation; rel > 0.02 {
				t.Errorf("CPU utilisation %g, model %g (%.2f%% off)", last.CPUUtilisation, want.CPUUtilisation, rel*100)
			}
			if rel := math.Abs(last.P95-want.P95Response) / want.P95Response; rel > 0.02 {
				t.Errorf("p95 %g, model %g (%.2f%% off)", last.P95, want.P95Response, rel*100)
			}
			// The only errors are the stationary wait tail beyond the 30 s
			// timeout: e^-100 and smaller here.
			if last.ErrorRate > 1e-12 || res.Services[0].Summary.ScaleEvents != 0 {
				t.Errorf("steady state had %g errors and %d scale events", last.Errors, res.Services[0].Summary.ScaleEvents)
			}
		})
	}
}

func TestRun_Deterministic(t *testing.T) {
	run := func() []byte {
		res, err := Run(noa(t), Options{Scenario: "event-spike"})
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(res)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	a, b := run(), run()
	if !bytes.Equal(a, b) {
		t.Fatal("two runs with the same plan and seed differ")
	}
}

// TestHPAScalesUpUnderLoad: doubling the load on a CPU-utilisation HPA
// raises the replicas to the count the utilisation target implies, after
// the pods' start-up and within a few syncs.
func TestHPAScalesUpUnderLoad(t *testing.T) {
	hpaSpec := cpuHPA + `
    startup: {containerStart: 20s, readiness: 10s}`
	p := steadyPlan(t, "40/s", "", hpaSpec)
	p.Scenarios[0].Profile = []scenarios.Component{{Step: &scenarios.Step{At: scenarios.Duration(30 * time.Minute), Multiplier: 2}}}
	res, err := Run(p, Options{Scenario: "flat"})
	if err != nil {
		t.Fatal(err)
	}
	s := res.Services[0]
	// 40 req/s × 50 ms = 2 cores at 50 % of 1 core → 4 pods; 80 req/s → 8.
	at := func(d time.Duration) Sample {
		for _, x := range s.Series {
			if x.T.D() >= d {
				return x
			}
		}
		t.Fatalf("no sample at %s", d)
		return Sample{}
	}
	if got := at(25 * time.Minute).Desired; got != 4 {
		t.Errorf("replicas before the step = %d, want 4", got)
	}
	if got := at(40 * time.Minute).Desired; got != 8 {
		t.Errorf("replicas 10m after the step = %d, want 8", got)
	}
	if got := at(40 * time.Minute).Ready; got != 8 {
		t.Errorf("ready pods 10m after the step = %d, want 8", got)
	}
	for _, e := range s.Events {
		t.Logf("%s %d→%d %s", e.At, e.From, e.To, e.Reason)
	}
}

func TestTick_NoAllocationsInSteadyState(t *testing.T) {
	p := steadyPlan(t, "40/s", "", cpuHPA)
	p.Scenarios[0].Duration = scenarios.Duration(30 * 24 * time.Hour)
	w, err := New(p, Options{Scenario: "flat", SampleEvery: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	for range 3600 { // settle: initial scaling, first samples
		w.Tick()
	}
	allocs := testing.AllocsPerRun(3000, w.Tick)
	// Series samples are preallocated; a flush once an hour copies the HPA
	// ratios (one small slice), which rounds to 0 per tick.
	if allocs != 0 {
		t.Errorf("%.2f allocations per tick in steady state, want 0", allocs)
	}
}

// diurnalPlan is simtest.DiurnalPlan.
func diurnalPlan(b testing.TB, days int) *scenarios.Plan {
	return simtest.DiurnalPlan(b, days)
}

func BenchmarkRun7Days(b *testing.B) {
	p := diurnalPlan(b, 7)
	for b.Loop() {
		if _, err := Run(p, Options{Scenario: "flat"}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRun7DaysSLO is BenchmarkRun7Days with a latency and an
// error-rate SLO on the service, so the error-budget accounting (the bad
// fraction per tick and the sliding slo.window) runs on every tick.
func BenchmarkRun7DaysSLO(b *testing.B) {
	p := diurnalPlan(b, 7)
	p.Services[0].SLO = scenarios.SLO{Latency: &scenarios.LatencySLO{Quantile: 0.95, Target: scenarios.Duration(500 * time.Millisecond)}, ErrorRate: ptrRatio(0.01)}
	for b.Loop() {
		if _, err := Run(p, Options{Scenario: "flat"}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRun7DaysOneService is what the recommender runs many times
// per service of a large plan: one service of a hack/genplan plan (its
// first, svc-000 of -services 10: 342/s, 314 ms, 13 worker slots, an HPA
// of 2 to 39 replicas at 70 % CPU) alone through the plan's 7-day diurnal
// scenario, with ten to twenty pods Ready most of the time.
func BenchmarkRun7DaysOneService(b *testing.B) {
	p, err := scenarios.Parse("one.yaml", []byte(`apiVersion: headroom.dev/v1alpha1
kind: CapacityPlan
metadata: {name: one}
services:
  - name: svc-000
    replicas: 5
    resources:
      requests: {cpu: 500m, memory: 1024Mi}
    requestRate: 342/s
    serviceTime: {mean: 314ms}
    concurrency: 13
    cpu: {perRequest: 11ms}
    memory: {base: 200Mi, perInFlight: 1Mi}
    hpa:
      minReplicas: 2
      maxReplicas: 39
      metrics:
        - type: Resource
          resource: {name: cpu, target: {type: Utilization, averageUtilization: 70}}
    slo:
      latency: {quantile: 0.95, target: 2s}
scenarios:
  - name: sc-1
    duration: 168h
    profile:
      - diurnal: {min: 0.3, max: 1.5, peak: "15:00"}
cluster:
  nodeTypes:
    - {name: m-4x16, allocatable: {cpu: 3920m, memory: 14Gi}, pricePerHour: 0.192}
`))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := Run(p, Options{Scenario: "sc-1"}); err != nil {
			b.Fatal(err)
		}
	}
}

func ptrRatio(r scenarios.Ratio) *scenarios.Ratio { return &r }

func BenchmarkRun90Days(b *testing.B) {
	p := diurnalPlan(b, 90)
	for b.Loop() {
		if _, err := Run(p, Options{Scenario: "flat"}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestConservation: every request is served, fails, or is still queued
// at the end — through overload, drops and scale-down.
func TestConservation(t *testing.T) {
	p := steadyPlan(t, "40/s", "", `    hpa:
      minReplicas: 1
      maxReplicas: 6
      metrics:
        - type: Resource
          resource: {name: cpu, target: {type: Utilization, averageUtilization: 80}}
    timeout: 5s
    slo:
      latency: {quantile: 0.95, target: 1s}
    startup: {containerStart: 2m}`)
	p.Scenarios[0].Profile = []scenarios.Component{{Spike: &scenarios.Spike{
		At: scenarios.Duration(20 * time.Minute), Hold: scenarios.Duration(20 * time.Minute), Multiplier: 4}}}
	res, err := Run(p, Options{Scenario: "flat", SampleEvery: 7 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	m := res.Services[0].Summary
	if m.Errors == 0 || m.SLOViolationMinutes == 0 {
		t.Fatalf("a 4x spike beyond maxReplicas should fail requests: %+v", m)
	}
	if diff := m.Requests - m.Served - m.Errors; math.Abs(diff) > 1e-6*m.Requests {
		t.Errorf("requests %g ≠ served %g + errors %g (off by %g)", m.Requests, m.Served, m.Errors, diff)
	}
	if m.ErrorPercent > 100 {
		t.Errorf("error percent %g above 100", m.ErrorPercent)
	}
	// 2h in 7-minute samples: 17 full ones and a last partial one.
	s := res.Services[0].Series
	if len(s) != 18 || s[len(s)-1].T.D() != 2*time.Hour {
		t.Errorf("%d samples ending at %s, want 18 ending at 2h", len(s), s[len(s)-1].T)
	}
	var errs float64
	for _, x := range s {
		errs += x.Errors
	}
	if math.Abs(errs-m.Errors) > 1e-6*m.Errors {
		t.Errorf("series errors %g, summary %g", errs, m.Errors)
	}
}

// TestOutageViolatesSLO: with no Ready pod every request fails, which is a
// violation even though no latency was measured.
func TestOutageViolatesSLO(t *testing.T) {
	p := steadyPlan(t, "40/s", "", `    slo:
      latency: {quantile: 0.95, target: 1s}
    scheduledScaling:
      - {name: off, at: "00:10", replicas: 0}
      - {name: on, at: "00:13", replicas: 4}`)
	res, err := Run(p, Options{Scenario: "flat"})
	if err != nil {
		t.Fatal(err)
	}
	m := res.Services[0].Summary
	if m.SLOViolationMinutes < 2.99 || m.SLOViolationMinutes > 3.5 {
		t.Errorf("SLO-violation minutes = %g, want the 3-minute outage", m.SLOViolationMinutes)
	}
	if m.ErrorPercent < 2.4 || m.ErrorPercent > 2.6 {
		t.Errorf("error percent = %g, want 3 of 120 minutes = 2.5", m.ErrorPercent)
	}
}

// TestScheduledActionsBeforeStart: an HPA patch that ran before the
// scenario started still holds at t = 0.
func TestScheduledActionsBeforeStart(t *testing.T) {
	p := steadyPlan(t, "40/s", "", cpuHPA+`
    scheduledScaling:
      - {name: pre-scale, at: "08:00", minReplicas: 9}
      - {name: restore, at: "20:00", minReplicas: 2}`)
	p.Scenarios[0].Start = scenarios.TimeOfDay(12 * time.Hour)
	res, err := Run(p, Options{Scenario: "flat"})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Services[0].Series[1].Desired; got != 9 {
		t.Errorf("replicas at 12:02 = %d, want 9 from the 08:00 patch", got)
	}
}

// TestLatencyCache_NoGrowthPerEnsembleMember: runs with Factors (an
// ensemble member's continuous random service-time / CPU factor is a
// workload of its own) build their latency tables outside the process-wide
// cache, which so does not grow by a table per member.
func TestLatencyCache_NoGrowthPerEnsembleMember(t *testing.T) {
	p := steadyPlan(t, "16/s", "", "")
	p.Scenarios[0].Duration = 0
	size := func() int {
		latencyCache.mu.Lock()
		defer latencyCache.mu.Unlock()
		return len(latencyCache.m)
	}
	p.Scenarios[0].Duration = p.Scenarios[0].Duration + 60e9
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	n0 := size()
	const members = 200
	for i := range members {
		if _, err := Run(p, Options{Scenario: "flat", Factors: Factors{ServiceTime: 1 + float64(i+1)*1e-4}}); err != nil {
			t.Fatal(err)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	grew := size() - n0
	t.Logf("latency cache: +%d tables for %d members, live heap +%.1f MiB (%.1f KiB per member)", grew, members,
		(float64(after.HeapAlloc)-float64(before.HeapAlloc))/(1<<20), (float64(after.HeapAlloc)-float64(before.HeapAlloc))/1024/members)
	if grew >= members {
		t.Errorf("the global latency cache grew by %d tables for %d ensemble members and is never evicted", grew, members)
	}
}
