package sim

import (
	"math"
	"os"
	"testing"
	"time"

	"github.com/headroom-dev/headroom/scenarios"
)

func threeTier(t testing.TB) *scenarios.Plan {
	t.Helper()
	b, err := os.ReadFile("testdata/threetier.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p, err := scenarios.Parse("threetier.yaml", b)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestCalls_SteadyStatePropagation holds the fluid coupling to the steady
// state it must reproduce: every tick a callee's offered rate is its own
// plus its callers' rates times perRequest (rates add), and a caller's
// requests in service obey Little's law across the edge: in flight minus
// queued, over the per-pod rate, is the caller's own service time plus
// perRequest times the callee's mean response (within the table's
// quantisation).
func TestCalls_SteadyStatePropagation(t *testing.T) {
	p := threeTier(t)
	w, err := New(p, Options{Scenario: "growth", FixedReplicas: map[string]int32{"web": 6, "api": 4, "db": 1}})
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]*service{}
	for _, s := range w.services {
		by[s.spec.Name] = s
	}
	web, api, db := by["web"], by["api"], by["db"]
	for range int(10 * time.Minute / w.tick) {
		w.Tick()
		lw, la, ld := web.tickStats.lambda, api.tickStats.lambda, db.tickStats.lambda
		if math.Abs(lw-75) > 1e-9 || math.Abs(la-(30+lw*1)) > 1e-9 || math.Abs(ld-la*2) > 1e-9 {
			t.Fatalf("t=%s: rates web %g api %g db %g, want 75, 30+web, 2·api", w.now, lw, la, ld)
		}
	}
	for _, c := range []struct {
		caller, callee *service
		perRequest     float64
	}{{web, api, 1}, {api, db, 2}} {
		s := c.caller
		perPod := s.tickStats.lambda / float64(s.ready)
		var inFlight float64
		for _, pd := range s.pods {
			f, _, _ := s.last(pd)
			inFlight += f
		}
		inFlight /= float64(s.ready)
		queued := s.tickStats.queue / float64(s.ready)
		inService := (inFlight - queued) / perPod
		want := s.w.ServiceMean + c.perRequest*c.callee.respMean
		if rel := math.Abs(inService/want - 1); rel > callQuantum {
			t.Errorf("%s: time in service %.5gs by Little's law, want own %.4gs + %g × %s's %.5gs = %.5gs (%.2f%% off)",
				s.spec.Name, inService, s.w.ServiceMean, c.perRequest, c.callee.spec.Name, c.callee.respMean, want, 100*rel)
		}
		if c.callee.respMean <= c.callee.w.ServiceMean {
			t.Errorf("%s: mean response %.4g not above its service time %.4g", c.callee.spec.Name, c.callee.respMean, c.callee.w.ServiceMean)
		}
	}
	res, err := Run(p, Options{Scenario: "growth", FixedReplicas: map[string]int32{"web": 6, "api": 4, "db": 1}})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{"web": 75, "api": 105, "db": 210}
	for _, s := range res.Services {
		if got, w := s.Summary.Requests, want[s.Service]*3600; math.Abs(got/w-1) > 1e-9 {
			t.Errorf("%s: %g requests in the hour, want %g", s.Service, got, w)
		}
	}
}

// TestCalls_SlowCalleeSlowsCaller: a callee made slower raises its
// callers' latency though their own inputs are unchanged, and a callee
// without Ready pods fails its callers' requests.
func TestCalls_SlowCalleeSlowsCaller(t *testing.T) {
	p := threeTier(t)
	fixed := map[string]int32{"web": 6, "api": 4, "db": 1}
	base, err := Run(p, Options{Scenario: "steady", FixedReplicas: fixed})
	if err != nil {
		t.Fatal(err)
	}
	slow := threeTier(t)
	slow.Service("db").ServiceTime.Mean = scenarios.Duration(12 * time.Millisecond)
	got, err := Run(slow, Options{Scenario: "steady", FixedReplicas: fixed})
	if err != nil {
		t.Fatal(err)
	}
	for i, name := range []string{"web", "api"} {
		b, s := serviceResult(base, name), serviceResult(got, name)
		if !(s.Summary.WorstP95 > b.Summary.WorstP95) {
			t.Errorf("%s: p95 %.4g with a slower db, %.4g before: want higher", name, s.Summary.WorstP95, b.Summary.WorstP95)
		}
		_ = i
	}
	down := threeTier(t)
	fixed0 := map[string]int32{"web": 6, "api": 4, "db": 0}
	res, err := Run(down, Options{Scenario: "steady", FixedReplicas: fixed0, ColdStart: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"web", "api", "db"} {
		if s := serviceResult(res, name); s.Summary.ErrorPercent < 99 {
			t.Errorf("%s: %.3g%% errors with db down, want all", name, s.Summary.ErrorPercent)
		}
	}
}

func serviceResult(r *Result, name string) *ServiceResult {
	for i := range r.Services {
		if r.Services[i].Service == name {
			return &r.Services[i]
		}
	}
	return nil
}

// TestReferee_BurnThreeTier holds the fluid coupling's error-budget burn
// to DES's over three seeds on the three-tier plan, with the referee's
// bound (checkBurns: 15 %, or 0.05 below 0.3).
func TestReferee_BurnThreeTier(t *testing.T) {
	p := threeTier(t)
	for _, sc := range []string{"steady", "growth"} {
		checkBurns(t, burns(t, p, sc, nil, []int64{1, 2, 3}))
	}
}

// TestPSMeanResponse holds the processor-sharing chain to the M/M/1 and
// M/M/2 means (Kleinrock, Queueing Systems vol. 1, 1975, §3.2 and §3.5).
func TestPSMeanResponse(t *testing.T) {
	const s = 0.01
	for _, lam := range []float64{10, 50, 90} {
		rho := lam * s
		if got, want := psMeanResponse(lam, s, 1), s/(1-rho); math.Abs(got/want-1) > 1e-12 {
			t.Errorf("x=1 λ=%g: %g, want M/M/1's %g", lam, got, want)
		}
		r2 := lam * s / 2
		if got, want := psMeanResponse(lam, s, 2), s/(1-r2*r2); math.Abs(got/want-1) > 1e-12 {
			t.Errorf("x=2 λ=%g: %g, want M/M/2's %g", lam, got, want)
		}
	}
	if got := psMeanResponse(300, s, 2.5); !math.IsInf(got, 1) {
		t.Errorf("beyond capacity: %g", got)
	}
	// Between the integers the mean falls as x grows.
	if a, b, c := psMeanResponse(150, s, 2), psMeanResponse(150, s, 2.5), psMeanResponse(150, s, 3); !(a > b && b > c) {
		t.Errorf("x = 2, 2.5, 3: %g, %g, %g", a, b, c)
	}
}

// BenchmarkRun7DaysThreeTier is BenchmarkRun7Days for the three-tier call
// graph (three services, a diurnal week), with its calls and without them
// (the same services, each at the rate its calls would bring): the cost of
// the coupling per service is ns/service against nocalls' and against
// BenchmarkRun7Days' one service.
func BenchmarkRun7DaysThreeTier(b *testing.B) {
	for _, calls := range []bool{true, false} {
		name := "calls"
		if !calls {
			name = "nocalls"
		}
		b.Run(name, func(b *testing.B) {
			p := threeTier(b)
			p.Scenarios = append(p.Scenarios, scenarios.Scenario{Name: "week", Duration: scenarios.Duration(7 * 24 * time.Hour),
				Profile: []scenarios.Component{{Diurnal: &scenarios.Diurnal{Min: 0.3, Max: 1.2, Peak: scenarios.TimeOfDay(14 * time.Hour)}}}})
			if !calls {
				for i := range p.Services {
					s := &p.Services[i]
					s.RequestRate.PerSecond = s.TotalRate()
					s.Calls = nil
				}
			}
			p.SetDefaults()
			if err := p.Validate(); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if _, err := Run(p, Options{Scenario: "week"}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(p.Services)), "ns/service")
		})
	}
}
