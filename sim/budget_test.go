package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/headroom-dev/headroom/scenarios"
)

// TestFlaps_NOAWorkers: in daily-growth-2x's high window noa-workers goes
// 3 → 4 → 3 every ten to fifteen minutes for eight hours. Each reversal
// within the 10-minute flap window is a flap: tens of them, where the old
// rule (5 minutes) counted almost none.
func TestFlaps_NOAWorkers(t *testing.T) {
	p := noa(t)
	run := func(window time.Duration) Summary {
		r, err := Run(p, Options{Scenario: "daily-growth-2x", Services: []string{"noa-workers"}, FlapWindow: window})
		if err != nil {
			t.Fatal(err)
		}
		return r.Services[0].Summary
	}
	s := run(0)
	t.Logf("scale events %d, flaps %d, %.2f events per hour", s.ScaleEvents, s.Flaps, s.ScaleEventsPerHour)
	if s.Flaps < 20 || s.Flaps >= s.ScaleEvents {
		t.Errorf("flaps %d of %d scale events, want tens (at least 20) and fewer than the events", s.Flaps, s.ScaleEvents)
	}
	if want := float64(s.ScaleEvents) / 24; math.Abs(s.ScaleEventsPerHour-want) > 1e-12 {
		t.Errorf("scale events per hour %g, want %g", s.ScaleEventsPerHour, want)
	}
	if short := run(5 * time.Minute); short.Flaps >= s.Flaps/4 {
		t.Errorf("with a 5m window %d flaps, want far fewer than the %d of 10m", short.Flaps, s.Flaps)
	}
}

func TestRecorderEvent_Flaps(t *testing.T) {
	m := time.Minute
	tests := []struct {
		name  string
		at    []time.Duration
		to    []int32
		flaps int
	}{
		{"up down within window", []time.Duration{0, 6 * m}, []int32{4, 3}, 1},
		{"up down after window", []time.Duration{0, 11 * m}, []int32{4, 3}, 0},
		{"exactly at the window", []time.Duration{0, 10 * m}, []int32{4, 3}, 1},
		{"up up", []time.Duration{0, m}, []int32{4, 5}, 0},
		{"3 4 3 4 3", []time.Duration{0, 9 * m, 14 * m, 23 * m}, []int32{4, 3, 4, 3}, 3},
		{"up up down", []time.Duration{0, m, 2 * m}, []int32{4, 5, 4}, 1},
	}
	for _, tc := range tests {
		var r recorder
		from := int32(3)
		for i, at := range tc.at {
			r.event(at, from, tc.to[i], 10*m)
			from = tc.to[i]
		}
		if r.sum.Flaps != tc.flaps || r.sum.ScaleEvents != len(tc.at) {
			t.Errorf("%s: %d flaps of %d events, want %d of %d", tc.name, r.sum.Flaps, r.sum.ScaleEvents, tc.flaps, len(tc.at))
		}
	}
}

func TestNegativeFlapWindow(t *testing.T) {
	_, err := Run(noa(t), Options{Scenario: "growth-2x", FlapWindow: -time.Minute})
	if err == nil || !strings.Contains(err.Error(), "flap window") {
		t.Fatalf("err %v, want one naming the flap window", err)
	}
}

// TestBudget_Windows checks the budget's sums and its sliding window
// against a direct computation.
func TestBudget_Windows(t *testing.T) {
	const tick = time.Second
	b := newBudget(0.05, 0.01, 10*time.Second, tick)
	var ticks []budgetTick
	for i := range 100 {
		x := budgetTick{requests: 10, bad: 0, errors: 0}
		if i >= 40 && i < 45 {
			x.bad = 5 // five ticks at half bad
		}
		if i == 80 {
			x.errors, x.bad = 1, 1
		}
		ticks = append(ticks, x)
		b.add(x)
	}
	var sum Summary
	b.summarise(&sum)
	// Latency objective: 26 bad of 1000 (budget 5 %) burns 0.52; the error
	// objective: 1 failed of 1000 (budget 1 %) burns 0.1; the larger counts.
	if math.Abs(sum.SLOBudgetBurn-0.52) > 1e-12 {
		t.Errorf("scenario burn %g, want %g", sum.SLOBudgetBurn, 0.52)
	}
	// The worst 10 s window holds the five half-bad ticks: 25 of 100.
	if want := 25.0 / 100 / 0.05; math.Abs(sum.WorstWindowBurn-want) > 1e-12 {
		t.Errorf("worst window burn %g, want %g", sum.WorstWindowBurn, want)
	}
	if sum.BadRequests != 26 || math.Abs(sum.BadFraction-0.026) > 1e-15 || sum.SLOWindowSeconds != 10 {
		t.Errorf("bad %g (%g), window %gs; want 26 (0.026), 10s", sum.BadRequests, sum.BadFraction, sum.SLOWindowSeconds)
	}
	// Shorter than the window: judged over what there is.
	short := newBudget(0.05, 0, time.Hour, tick)
	short.add(budgetTick{requests: 10, bad: 1})
	var s2 Summary
	short.summarise(&s2)
	if s2.WorstWindowBurn != s2.SLOBudgetBurn || math.Abs(s2.SLOBudgetBurn-2) > 1e-12 {
		t.Errorf("short scenario: burn %g, worst %g, want 2 and 2", s2.SLOBudgetBurn, s2.WorstWindowBurn)
	}
	// No objective: nothing burns.
	none := newBudget(0, 0, time.Hour, tick)
	none.add(budgetTick{requests: 10, bad: 10, errors: 10})
	var s3 Summary
	none.summarise(&s3)
	if s3.SLOBudgetBurn != 0 || s3.BadRequests != 0 || s3.SLOWindowSeconds != 3600 {
		t.Errorf("no SLO: %+v", s3)
	}
}

// TestBudget_SteadyMatchesModel: at constant traffic on fixed replicas the
// fluid bad fraction is the model's P(T > target) at the per-pod rate,
// and DES counts the same fraction within its sampling error.
func TestBudget_SteadyMatchesModel(t *testing.T) {
	for _, st := range []string{"", ", cv: 1.5"} {
		p := steadyPlan(t, "16/s", st, "    slo:\n      latency: {quantile: 0.95, target: 500ms}")
		fixed := map[string]int32{"api": 1}
		fl, err := Run(p, Options{Scenario: "flat", FixedReplicas: fixed})
		if err != nil {
			t.Fatal(err)
		}
		s := fl.Services[0].Summary
		wl, err := p.Services[0].Workload(0)
		if err != nil {
			t.Fatal(err)
		}
		want, err := wl.PodResponseSurvival(16, 0.5)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(s.BadFraction-want) > 1e-3*want {
			t.Errorf("service time%s: fluid bad fraction %.6g, model P(T > 500ms) %.6g", st, s.BadFraction, want)
		}
		if math.Abs(s.SLOBudgetBurn-want/0.05) > 1e-3*want/0.05 || s.WorstWindowBurn < s.SLOBudgetBurn*(1-1e-9) {
			t.Errorf("service time%s: burn %.6g (worst window %.6g), want %.6g", st, s.SLOBudgetBurn, s.WorstWindowBurn, want/0.05)
		}
		de, err := Run(p, Options{Scenario: "flat", FixedReplicas: fixed, Mode: ModeDES})
		if err != nil {
			t.Fatal(err)
		}
		d := de.Services[0].Summary
		t.Logf("service time%s: bad fraction fluid %.4f, DES %.4f, model %.4f", st, s.BadFraction, d.BadFraction, want)
		if math.Abs(d.BadFraction-want) > 0.15*want {
			t.Errorf("service time%s: DES bad fraction %.4f, model %.4f", st, d.BadFraction, want)
		}
	}
}

// BenchmarkBudgetAdd is the error-budget accounting of one service-tick
// (a 1h window of 1 s ticks), to hold against a fluid tick's cost
// (BenchmarkRun7Days / 604 800 ticks).
func BenchmarkBudgetAdd(b *testing.B) {
	bg := newBudget(0.05, 0.01, time.Hour, time.Second)
	x := budgetTick{requests: 40, bad: 0.5, errors: 0.01}
	for b.Loop() {
		bg.add(x)
	}
}

// TestBudget_EmptyWindowHasNoResidue: the window's running sums are
// updated by subtraction between wraps; once traffic stops (a night at rate
// 0, an outage, a scheduled 0 scale) the window is empty and its sums are
// exactly zero, so no rounding residue is read as a window's burn.
func TestBudget_EmptyWindowHasNoResidue(t *testing.T) {
	worstSeen, bad := 0.0, 0
	for seed := range 2000 {
		b := newBudget(0.05, 0, 100*time.Second, time.Second)
		x := float64(seed)*0.7310585786300049 + 0.1
		var maxTrue float64
		// 150 ticks of traffic with 1 % bad (burn 0.2), then silence.
		for i := range 150 {
			x = x*1.6180339887 - float64(int(x*1.6180339887))
			r := 40 + 37*x
			b.add(budgetTick{requests: r, bad: 0.01 * r})
			_ = i
		}
		maxTrue = 0.2
		for range 120 {
			b.add(budgetTick{})
		}
		if b.worst > worstSeen {
			worstSeen = b.worst
		}
		if b.worst > maxTrue*(1+1e-6) {
			bad++
			if bad == 1 {
				t.Errorf("seed %d: worst-window burn %g, but no window burned more than %g (window sums %+v)", seed, b.worst, maxTrue, b.sum)
			}
		}
	}
	t.Logf("largest worst-window burn over 2000 runs: %g (true 0.2); %d runs wrong", worstSeen, bad)
}

// TestRun_WorstWindowAfterTrafficStops: end to end in fluid mode, a service
// whose traffic ramps down and then stops for longer than slo.window
// reports a worst-window burn no larger than its real windows' (the
// window sums' rounding residue once read up to 1/budget = 20).
func TestRun_WorstWindowAfterTrafficStops(t *testing.T) {
	wrong := 0
	for i := range 20 {
		rate := fmt.Sprintf("%.3f/s", 30+1.37*float64(i))
		p := steadyPlan(t, rate, "", "    slo:\n      latency: {quantile: 0.95, target: 800ms}\n      window: 30m")
		p.Scenarios[0].Profile = []scenarios.Component{{Replay: &scenarios.Replay{Points: []scenarios.ReplayPoint{
			{At: 0, Multiplier: 1}, {At: scenarios.Duration(37 * time.Minute), Multiplier: 0.6},
			{At: scenarios.Duration(37*time.Minute + time.Second), Multiplier: 0}, {At: scenarios.Duration(2 * time.Hour), Multiplier: 0}}}}}
		res, err := Run(p, Options{Scenario: "flat", FixedReplicas: map[string]int32{"api": 4}})
		if err != nil {
			t.Fatal(err)
		}
		s := res.Services[0].Summary
		// The bad fraction falls with the load, so no window burns more
		// than twice the scenario (the first 30 minutes hold most of it).
		if s.WorstWindowBurn > 2*s.SLOBudgetBurn && s.WorstWindowBurn > 1 {
			wrong++
			t.Errorf("rate %s: worst-window burn %g, scenario burn %g", rate, s.WorstWindowBurn, s.SLOBudgetBurn)
		}
	}
	t.Logf("%d of 20 rates wrong", wrong)
}

// TestBudgetRings_SharedAndWrapped: budgets whose rings share an arena
// (a world's services, shareRings) give, bit for bit, the sums, the worst
// window and the summary of budgets with rings of their own, through
// wraps, stretches without traffic and windows of different lengths; and
// at every wrap the sum is the ring's, added up from 0 in ring order (what
// the running cycle sum stands for).
func TestBudgetRings_SharedAndWrapped(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	windows := []time.Duration{10 * time.Second, 10 * time.Second, 7 * time.Second, 10 * time.Second, 3 * time.Second}
	var own, shared []budget
	for _, w := range windows {
		own = append(own, newBudget(0.05, 0.01, w, time.Second))
		shared = append(shared, newBudget(0.05, 0.01, w, time.Second))
	}
	ptrs := make([]*budget, len(shared))
	for i := range shared {
		ptrs[i] = &shared[i]
	}
	shareRings(ptrs)
	if shared[0].stride != 3 || shared[3].col != 2 || shared[2].stride != 1 {
		t.Fatalf("strides %d %d %d, want the three 10 s windows in one arena", shared[0].stride, shared[2].stride, shared[4].stride)
	}
	wraps := 0
	for tick := range 200 {
		for i := range windows {
			var x budgetTick
			if (tick/23)%3 != 1 { // every third stretch of 23 ticks idle
				x = budgetTick{requests: rng.Float64() * 100, bad: rng.Float64() * 3, errors: rng.Float64()}
			}
			own[i].add(x)
			shared[i].add(x)
			if b := &own[i]; b.pos == 0 {
				wraps++
				var want budgetTick
				for _, r := range b.ring {
					want.requests += r.requests
					want.bad += r.bad
					want.errors += r.errors
				}
				if b.sum != want {
					t.Fatalf("tick %d, budget %d: sum at the wrap %+v, the ring's %+v", tick, i, b.sum, want)
				}
			}
			if own[i].sum != shared[i].sum || math.Float64bits(own[i].worst) != math.Float64bits(shared[i].worst) {
				t.Fatalf("tick %d, budget %d: own ring sum %+v worst %v, shared %+v %v", tick, i, own[i].sum, own[i].worst, shared[i].sum, shared[i].worst)
			}
		}
	}
	if wraps < 50 {
		t.Fatalf("%d wraps", wraps)
	}
	for i := range windows {
		var a, b Summary
		own[i].summarise(&a)
		shared[i].summarise(&b)
		if a != b {
			t.Errorf("budget %d: summary %+v with its own ring, %+v shared", i, a, b)
		}
	}
}
