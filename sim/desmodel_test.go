package sim

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/headroom-dev/headroom/model"
	"github.com/headroom-dev/headroom/scenarios"
)

func TestDES_Deterministic(t *testing.T) {
	p := noa(t)
	run := func(seed int64) []byte {
		res, err := Run(p, Options{Scenario: "growth-2x", Services: []string{"noa-mcp"}, Mode: ModeDES, Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(res)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	a, b, c := run(0), run(0), run(7)
	if !bytes.Equal(a, b) {
		t.Fatal("two DES runs with the same plan and seed differ")
	}
	if bytes.Equal(a, c) {
		t.Fatal("DES runs with different seeds are identical")
	}
	if !bytes.Contains(a, []byte(`"mode":"des"`)) {
		t.Error(`DES result lacks "mode":"des"`)
	}
}

// TestDES_SteadyStateMatchesModel: at constant traffic and fixed replicas
// the DES run's utilisation and p95 agree with the model (exact M/M/k for
// exponential service; a looser bound for the gamma two-moment
// approximation).
func TestDES_SteadyStateMatchesModel(t *testing.T) {
	for _, tt := range []struct {
		name, rate, st string
		tol            float64
	}{
		{"exponential ρ=0.5", "40/s", "", 0.03},
		{"exponential ρ=0.9", "72/s", "", 0.05},
		{"cv 1.5 ρ=0.8", "64/s", ", cv: 1.5", 0.10},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := steadyPlan(t, tt.rate, tt.st, "")
			res, err := Run(p, Options{Scenario: "flat", FixedReplicas: map[string]int32{"api": 4}, Mode: ModeDES, SampleEvery: 10 * time.Minute})
			if err != nil {
				t.Fatal(err)
			}
			wl, err := p.Services[0].Workload(p.Services[0].RequestRate.PerSecond)
			if err != nil {
				t.Fatal(err)
			}
			want, err := model.Predict(wl, 4, 0.95)
			if err != nil {
				t.Fatal(err)
			}
			var cpu, p95 float64
			s := res.Services[0].Series
			for _, x := range s {
				cpu += x.CPUUtilisation / float64(len(s))
				p95 += x.P95 / float64(len(s))
			}
			if rel := math.Abs(cpu-want.CPUUtilisation) / want.CPUUtilisation; rel > 0.02 {
				t.Errorf("CPU utilisation %g, model %g (%.2f%% off)", cpu, want.CPUUtilisation, rel*100)
			}
			if rel := math.Abs(p95-want.P95Response) / want.P95Response; rel > tt.tol {
				t.Errorf("p95 %g, model %g (%.2f%% off, bound %.0f%%)", p95, want.P95Response, rel*100, tt.tol*100)
			}
			m := res.Services[0].Summary
			if m.Errors != 0 || m.Requests-m.Served != 0 {
				t.Errorf("steady state: %g errors, %g requests, %g served", m.Errors, m.Requests, m.Served)
			}
		})
	}
}

// TestDES_Conservation: every request is served, fails, or is still in a
// queue (counted as served on arrival, as the fluid mode does) — through
// overload, timeouts and scale-down.
func TestDES_Conservation(t *testing.T) {
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
	res, err := Run(p, Options{Scenario: "flat", SampleEvery: 7 * time.Minute, Mode: ModeDES})
	if err != nil {
		t.Fatal(err)
	}
	m := res.Services[0].Summary
	if m.Errors == 0 || m.SLOViolationMinutes == 0 || m.ScaleEvents < 2 {
		t.Fatalf("a 4x spike beyond maxReplicas should fail requests and scale: %+v", m)
	}
	if m.Requests != m.Served+m.Errors {
		t.Errorf("requests %g ≠ served %g + errors %g", m.Requests, m.Served, m.Errors)
	}
	// Poisson arrivals: the count is within 5 standard deviations of ∫λ,
	// which the fluid run counts exactly.
	fl, err := Run(p, Options{Scenario: "flat", SampleEvery: 7 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if want := fl.Services[0].Summary.Requests; math.Abs(m.Requests-want) > 5*math.Sqrt(want) {
		t.Errorf("%g requests, ∫λ ≈ %g", m.Requests, want)
	}
}

// TestDES_DeterministicArrivals: k6-style arrivals deal requests evenly; a
// D/D/k queue below capacity never waits, so every response is the
// service time and the request count is ∫λ exactly.
func TestDES_DeterministicArrivals(t *testing.T) {
	p := steadyPlan(t, "40/s", "", "")
	p.Scenarios[0].Profile = []scenarios.Component{{Step: &scenarios.Step{At: scenarios.Duration(time.Hour), Multiplier: 1.5}}}
	res, err := Run(p, Options{Scenario: "flat", Mode: ModeDES, Arrivals: ArrivalsDeterministic,
		ServiceTimes: map[string]ServiceTime{"api": {Kind: ServiceDeterministic}}, FixedReplicas: map[string]int32{"api": 4}})
	if err != nil {
		t.Fatal(err)
	}
	m := res.Services[0].Summary
	// 1 h less a tick at 40/s, a one-tick linear ramp to 60/s, 1 h at 60/s.
	want := 3599*40.0 + 50 + 3600*60
	if math.Abs(m.Requests-want) > 1 {
		t.Errorf("%g requests, want %g", m.Requests, want)
	}
	for _, x := range res.Services[0].Series {
		// The histogram rounds up to its resolution (0.1 %).
		if x.P99 < 0.2 || x.P99 > 0.2002 || x.Queue != 0 {
			t.Fatalf("t=%s: p99 %g, queue %g; want 0.2 s and no queue", x.T, x.P99, x.Queue)
		}
	}
}

// TestDES_MemoryFlat: in steady state a DES tick allocates nothing, so
// memory does not grow with the requests simulated.
func TestDES_MemoryFlat(t *testing.T) {
	p := steadyPlan(t, "72/s", "", cpuHPA)
	p.Scenarios[0].Duration = scenarios.Duration(30 * 24 * time.Hour)
	w, err := New(p, Options{Scenario: "flat", SampleEvery: time.Hour, Mode: ModeDES})
	if err != nil {
		t.Fatal(err)
	}
	for range 3600 {
		w.Tick()
	}
	if allocs := testing.AllocsPerRun(3000, w.Tick); allocs != 0 {
		t.Errorf("%.3f allocations per DES tick (72 requests) in steady state, want 0", allocs)
	}
}

func TestSamplers_Moments(t *testing.T) {
	emp, err := newEmpirical([]ServiceBucket{{0.1, 1}, {0.2, 2}, {0.5, 1}})
	if err != nil {
		t.Fatal(err)
	}
	// Uniform within buckets: mean = Σ p·mid, E[X²] = Σ p·(a²+ab+b²)/3.
	empMean := 0.25*0.05 + 0.5*0.15 + 0.25*0.35
	empM2 := 0.25*(0.01)/3 + 0.5*(0.01+0.02+0.04)/3 + 0.25*(0.04+0.1+0.25)/3
	for _, tt := range []struct {
		name       string
		s          sampler
		mean, cs2  float64
		tolM, tolC float64
	}{
		{"exponential", expSampler{0.2}, 0.2, 1, 0.005, 0.02},
		{"gamma cs2 2.25", newGamma(0.2, 2.25), 0.2, 2.25, 0.01, 0.03},
		{"gamma cs2 0.25", newGamma(0.2, 0.25), 0.2, 0.25, 0.005, 0.02},
		{"lognormal cs2 1.9", newLognormal(0.25, 1.9), 0.25, 1.9, 0.01, 0.06},
		{"deterministic", constSampler{0.2}, 0.2, 0, 1e-9, 1e-9},
		{"empirical", emp, empMean, empM2/(empMean*empMean) - 1, 0.005, 0.02},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			const n = 1_000_000
			var sum, sum2 float64
			for range n {
				x := tt.s.sample(rng)
				sum += x
				sum2 += x * x
			}
			mean := sum / n
			cs2 := (sum2/n - mean*mean) / (mean * mean)
			if math.Abs(mean-tt.mean)/tt.mean > tt.tolM || tt.s.mean() != tt.mean && math.Abs(tt.s.mean()-tt.mean) > 1e-12 {
				t.Errorf("mean %g, want %g", mean, tt.mean)
			}
			if math.Abs(cs2-tt.cs2) > tt.tolC*math.Max(tt.cs2, 1) {
				t.Errorf("cs² %g, want %g", cs2, tt.cs2)
			}
		})
	}
}

// TestDESQueue_CPULimit: with the CPU limit running x = 1.5 requests at
// full speed on 4 slots, a saturated pod completes x/E[S] requests per
// second (the fluid mode's capacity), and a lone request is not slowed.
func TestDESQueue_CPULimit(t *testing.T) {
	req := desRequests{rng: rand.New(rand.NewPCG(3, 4)), service: constSampler{1}, timeout: math.Inf(1), sloTarget: math.Inf(1)}
	q := newDESQueue(4, 1.5)
	q.arrive(0, &req)
	q.advance(10, &req)
	if req.counts.done != 1 || q.workArea != 1 || q.busyArea != 1 {
		t.Fatalf("a lone request: done %d, work %g, busy %g; want 1, 1 s, 1 s", req.counts.done, q.workArea, q.busyArea)
	}
	q.reset(10)
	req.counts = desCounters{}
	for i := range 10_000 {
		q.arrive(10+float64(i)*0.1, &req) // 10/s, far above capacity
		q.advance(10+float64(i+1)*0.1, &req)
	}
	rate := float64(req.counts.done) / 1000
	if math.Abs(rate-1.5) > 0.01 {
		t.Errorf("saturated throughput %g/s, want 1.5", rate)
	}
}
