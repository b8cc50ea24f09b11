package sim

import (
	"math"
	"os"
	"testing"
	"time"

	"github.com/headroom-dev/headroom/scenarios"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
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
// bound (checkBurns: 15 %, or 0.05 below 0.3), and the pod-hours api's
// CPU HPA runs to within 5 %: in growth db's response more than doubles,
// and a DES caller whose CPU followed its time in service scaled api
// from 4 to 6 pods (5.2 pod-hours) where fluid stays at 4.
func TestReferee_BurnThreeTier(t *testing.T) {
	p := threeTier(t)
	for _, sc := range []string{"steady", "growth"} {
		rows := burns(t, p, sc, nil, []int64{1, 2, 3})
		checkBurns(t, rows)
		for _, r := range rows {
			if d := mean(r.desPodHours); math.Abs(r.fluidPodHours/d-1) > 0.05 {
				t.Errorf("%s %s: fluid %.3g pod-hours, DES mean %.3g (%v): more than 5%% apart", sc, r.service, r.fluidPodHours, d, r.desPodHours)
			}
		}
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

// TestCalls_CallerCPUPerRequest: a caller's CPU per request is the plan's
// whatever its callees' latency, in both modes. In growth db's response
// more than doubles from the one at rest, so a caller whose CPU followed
// its time in service (its slot held through slower calls) would use half
// as much again per request as the plan says, and its HPA would scale on
// CPU the requests did not use.
func TestCalls_CallerCPUPerRequest(t *testing.T) {
	p := threeTier(t)
	fixed := map[string]int32{"web": 6, "api": 4, "db": 1}
	for _, mode := range []Mode{ModeFluid, ModeDES} {
		res, err := Run(p, Options{Scenario: "growth", FixedReplicas: fixed, Mode: mode})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			name       string
			rate, pods float64
		}{{"web", 75, 6}, {"api", 105, 4}} {
			// threetier.yaml: 5 ms of CPU per request, 500m requested.
			want := c.rate / c.pods * 0.005 / 0.5
			got := serviceResult(res, c.name).Summary.MeanCPUUtilisation
			if rel := math.Abs(got/want - 1); rel > 0.03 {
				t.Errorf("%s %s: mean CPU utilisation %.4f, want λ·cpu/pod over its request %.4f (%.1f%% off)", mode, c.name, got, want, 100*rel)
			}
		}
	}
}

// TestCalls_MidTierResponseHoldsItsCalls: api is both a callee (of web)
// and a caller (of db). The response web waits for is api's whole time in
// service, its own 30 ms plus its two db calls, at rest (before api has
// answered) and each tick, also when api's CPU limit binds and its mean
// comes from the processor-sharing chain (calleeMean) rather than its
// latency table.
func TestCalls_MidTierResponseHoldsItsCalls(t *testing.T) {
	for _, limit := range []bool{false, true} {
		p := threeTier(t)
		if limit {
			// 5 ms of CPU per request over a time in service of 50-80 ms:
			// 400m runs 4.3 of api's 8 slots at full speed (at rest).
			p.Service("api").Resources.Limits = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("400m")}
		}
		w, err := New(p, Options{Scenario: "growth", FixedReplicas: map[string]int32{"web": 6, "api": 4, "db": 1}})
		if err != nil {
			t.Fatal(err)
		}
		by := map[string]*service{}
		for _, s := range w.services {
			by[s.spec.Name] = s
		}
		web, api, db := by["web"], by["api"], by["db"]
		atRest := web.calls.calls[0].fixedResp
		if floor := api.w.ServiceMean + 2*db.w.ServiceMean; !(atRest > floor) {
			t.Errorf("limit %v: api's response at rest %.4gs, want above its own %.3gs plus two db service times (%.4gs)", limit, atRest, api.w.ServiceMean, floor)
		}
		for range int(10 * time.Minute / w.tick) {
			w.Tick()
		}
		// Within the quantisation of api's time in service (callQuantum).
		if floor := (api.w.ServiceMean + 2*db.respMean) * (1 - callQuantum); !(api.respMean >= floor) {
			t.Errorf("limit %v: api's mean response %.4gs, want at least its own %.3gs plus 2 × db's %.4gs, less 0.5 %%: %.4gs", limit, api.respMean, api.w.ServiceMean, db.respMean, floor)
		}
	}
}
