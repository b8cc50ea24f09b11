package sim

import (
	"runtime"
	"testing"
)

// TestReview4_LatencyCacheGrowsPerEnsembleMember: the package-level latency
// table cache (sim.go latencyCache) is keyed by the exact workload, so every
// uncertainty-ensemble member (a continuous random service-time / CPU
// factor) adds tables that are never evicted. An ensemble of N members over
// S services keeps N·S tables alive for the life of the process.
func TestReview4_LatencyCacheGrowsPerEnsembleMember(t *testing.T) {
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
		float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), float64(after.HeapAlloc-before.HeapAlloc)/1024/members)
	if grew >= members {
		t.Errorf("the global latency cache grew by %d tables for %d ensemble members and is never evicted", grew, members)
	}
}

// TestReview4_InitialReplicasLostToScheduledAction: Options.InitialReplicas
// (a backtest's first observed count) is documented to be kept under a
// warm start, but warmStart replays the day's scheduled actions first and
// settleReplicas returns s.specReplicas for a pinned start — the action's
// count, not the pinned one. A service without an HPA whose plan has a
// scheduled replicas action therefore replays from the plan's schedule,
// not from production's observed count (and the backtest note "the replay
// holds the first observed replica count" is then false).
func TestReview4_InitialReplicasLostToScheduledAction(t *testing.T) {
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
