package sim

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/headroom-dev/headroom/scenarios"
)

// TestLatencyCache_NoGrowthPerEnsembleMember: the package-level latency
// table cache (sim.go latencyCache) is keyed by the exact workload, so every
// uncertainty-ensemble member (a continuous random service-time / CPU
// factor) adds tables that are never evicted. An ensemble of N members over
// S services keeps N·S tables alive for the life of the process.
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

// TestRun_InitialReplicasKeptOverScheduledAction: Options.InitialReplicas
// (a backtest's first observed count) is documented to be kept under a
// warm start, but warmStart replays the day's scheduled actions first and
// settleReplicas returns s.specReplicas for a pinned start — the action's
// count, not the pinned one. A service without an HPA whose plan has a
// scheduled replicas action therefore replays from the plan's schedule,
// not from production's observed count (and the backtest note "the replay
// holds the first observed replica count" is then false).
func TestRun_InitialReplicasKeptOverScheduledAction(t *testing.T) {
	p := steadyPlan(t, "40/s", "", `    scheduledScaling:
      - {name: night, at: "22:00", replicas: 2}`)
	name := p.Services[0].Name
	res, err := Run(p, Options{Scenario: "flat", InitialReplicas: map[string]int32{name: 7}})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Services[0].Series[0].Ready; got != 7 {
		t.Errorf("ready pods at the first sample = %d, want the pinned 7", got)
	}
}

// TestBudget_EmptyWindowHasNoResidue: the window's running sums are
// updated by subtraction between wraps, so once traffic stops (a night at
// rate 0, an outage before any arrival, a scheduled 0 scale) the window
// holds only rounding residue; budget.add then compares residue with
// residue and can record a worst-window burn that no window had.
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

// TestRun_WorstWindowAfterTrafficStops: end to end in fluid mode, a
// service whose traffic ramps down and then stops for longer than
// slo.window reports a worst-window burn far above any real window's
// (up to 1/budget = 20), from the window sums' rounding residue: a run
// that meets its SLO is called unsafe.
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

// TestDESWarm_BacklogBeforeStartNotCounted: a DES warm start
// pre-fills an overloaded pod's queue with requests that arrived before
// t = 0 (and the burn-in's), and counts their time-outs after t = 0 as
// errors and bad requests, but never their arrivals. When the load falls
// after the start, errors exceed requests: errorPercent above 100 and a
// badFraction above 1 in the JSON (the backtest's simulated burn reads
// BadFraction uncapped).
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
