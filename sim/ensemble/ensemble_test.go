package ensemble

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"slices"
	"testing"

	"github.com/headroom-dev/headroom/scenarios"
	"github.com/headroom-dev/headroom/sim"
)

func TestDesign_LatinHypercube(t *testing.T) {
	u := &scenarios.Uncertainty{RequestRate: 0.2, ServiceTime: 0.1, CPU: 0.5, Memory: 0, Samples: 40}
	ms := Design(u, 7, sim.ModeFluid)
	if len(ms) != 40 {
		t.Fatalf("Design made %d members, want 40", len(ms))
	}
	get := []func(sim.Factors) float64{
		func(f sim.Factors) float64 { return f.RequestRate }, func(f sim.Factors) float64 { return f.ServiceTime },
		func(f sim.Factors) float64 { return f.CPU }, func(f sim.Factors) float64 { return f.Memory },
	}
	for d, r := range u.Ranges() {
		// Every stratum of [1−r, 1+r] holds exactly one member.
		seen := make([]int, 40)
		for _, m := range ms {
			f := get[d](m.Factors)
			if f < 1-r-1e-12 || f > 1+r+1e-12 {
				t.Fatalf("%s factor %g outside [%g, %g]", scenarios.UncertaintyDimensions[d], f, 1-r, 1+r)
			}
			if r == 0 {
				if f != 1 {
					t.Fatalf("%s has range 0 but factor %g", scenarios.UncertaintyDimensions[d], f)
				}
				continue
			}
			seen[int(math.Min(39, math.Floor((f-(1-r))/(2*r)*40)))]++
		}
		if r > 0 && slices.ContainsFunc(seen, func(n int) bool { return n != 1 }) {
			t.Errorf("%s: members per stratum %v, want one each", scenarios.UncertaintyDimensions[d], seen)
		}
	}
	for _, m := range ms {
		if m.Seed != 0 {
			t.Fatalf("fluid member has seed %d; fluid members keep the run's seed", m.Seed)
		}
	}
	// Same seed, same design; another range of one dimension leaves the
	// others' factors alone.
	again := Design(u, 7, sim.ModeFluid)
	if !slices.Equal(ms, again) {
		t.Error("Design is not deterministic")
	}
	u2 := *u
	u2.CPU = 0.1
	for i, m := range Design(&u2, 7, sim.ModeFluid) {
		if m.Factors.RequestRate != ms[i].Factors.RequestRate || m.Factors.ServiceTime != ms[i].Factors.ServiceTime {
			t.Fatalf("member %d: changing cpu's range moved the other factors", i)
		}
	}
	if other := Design(u, 8, sim.ModeFluid); slices.Equal(ms, other) {
		t.Error("seeds 7 and 8 give the same design")
	}
	if Design(nil, 7, sim.ModeFluid) != nil {
		t.Error("Design(nil) designed members")
	}
}

func TestDesign_DESSeeds(t *testing.T) {
	ms := Design(&scenarios.Uncertainty{Samples: 100}, 1, sim.ModeDES)
	seen := map[int64]bool{}
	for _, m := range ms {
		if m.Seed <= 0 || seen[m.Seed] {
			t.Fatalf("member seed %d is not positive and unique", m.Seed)
		}
		seen[m.Seed] = true
		if !m.Factors.IsZero() {
			t.Fatalf("no ranges but factors %+v", m.Factors)
		}
	}
}

func noaRuns(t testing.TB, names ...string) (*scenarios.Plan, []sim.Options) {
	t.Helper()
	p, err := scenarios.Example("noa.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var runs []sim.Options
	for _, n := range names {
		runs = append(runs, sim.Options{Scenario: n})
	}
	return p, runs
}

func marshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestRun_Deterministic runs the same ensemble on one worker and on four:
// the output is the same bytes, the nominal run is the plain run, and the
// intervals bracket the members.
func TestRun_Deterministic(t *testing.T) {
	u := &scenarios.Uncertainty{RequestRate: 0.2, ServiceTime: 0.2, CPU: 0.2, Memory: 0.1, Samples: 8}
	p, runs := noaRuns(t, "growth-2x", "event-spike")
	one, err := Run(context.Background(), p, slices.Clone(runs), u, Config{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	four, err := Run(context.Background(), p, slices.Clone(runs), u, Config{Workers: 4})
	if err != nil {
		t.Fatal(err)
	}
	a, b := marshal(t, one), marshal(t, four)
	if !bytes.Equal(a, b) {
		t.Fatal("an ensemble on 1 and on 4 workers gives different output")
	}
	plain, err := sim.Run(p, sim.Options{Scenario: "growth-2x"})
	if err != nil {
		t.Fatal(err)
	}
	for k, s := range one[0].Services {
		want := plain.Services[k].Summary
		got := s.Summary
		if got.SLOViolationMinutesRange == nil || got.CostRange == nil || s.Bands == nil {
			t.Fatalf("%s: no interval or band", s.Service)
		}
		got.SLOBudgetBurnRange, got.WorstWindowBurnRange = nil, nil
		got.SLOViolationMinutesRange, got.WorstP95Range, got.ErrorPercentRange, got.CostRange = nil, nil, nil, nil
		if !bytes.Equal(marshal(t, got), marshal(t, want)) {
			t.Errorf("%s: the nominal run differs from the plain run", s.Service)
		}
		r := s.Summary.SLOViolationMinutesRange
		if !(r.P10 <= r.P50 && r.P50 <= r.P90) {
			t.Errorf("%s: interval %+v is not ordered", s.Service, *r)
		}
		if len(s.Bands.P95) != len(s.Series) {
			t.Errorf("%s: %d band samples for %d series samples", s.Service, len(s.Bands.P95), len(s.Series))
		}
	}
	// noa-mcp's CPU per request sits on a knife edge in growth-2x: the
	// ensemble must see a spread, not one value.
	mcp := one[0].Service("noa-mcp").Summary
	if r := mcp.SLOViolationMinutesRange; r.P10 == r.P90 {
		t.Errorf("noa-mcp in growth-2x: no spread over ±20 %% inputs: %+v", *r)
	}
}

func TestRun_WithoutUncertainty(t *testing.T) {
	p, runs := noaRuns(t, "growth-2x")
	got, err := Run(context.Background(), p, runs, nil, Config{})
	if err != nil {
		t.Fatal(err)
	}
	plain, err := sim.Run(p, sim.Options{Scenario: "growth-2x"})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(marshal(t, got[0]), marshal(t, plain)) {
		t.Error("without uncertainty the result is not the plain run's")
	}
}

func TestRun_Cancelled(t *testing.T) {
	p, runs := noaRuns(t, "daily")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Run(ctx, p, runs, &scenarios.Uncertainty{CPU: 0.1, Samples: 4}, Config{}); err != context.Canceled {
		t.Fatalf("Run on a cancelled context = %v, want context.Canceled", err)
	}
}

// BenchmarkEnsembleNOA is the 32-member ensemble over every scenario of
// the bundled example with today's HPAs, as simulate runs it (on
// GOMAXPROCS workers).
func BenchmarkEnsembleNOA(b *testing.B) {
	p, runs := noaRuns(b, "daily", "growth-2x", "daily-growth-2x", "event-spike")
	u := &scenarios.Uncertainty{RequestRate: 0.15, ServiceTime: 0.25, CPU: 0.25, Memory: 0.15, Samples: 32}
	for b.Loop() {
		if _, err := Run(context.Background(), p, slices.Clone(runs), u, Config{}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestRun_DESReplications: in DES mode the members draw their own seeds,
// so even without input ranges the interval spreads (seed replications),
// and the same seed gives the same interval.
func TestRun_DESReplications(t *testing.T) {
	p, _ := noaRuns(t)
	runs := []sim.Options{{Scenario: "growth-2x", Services: []string{"noa-mcp"}, Mode: sim.ModeDES}}
	u := &scenarios.Uncertainty{Samples: 4}
	a, err := Run(context.Background(), p, runs, u, Config{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Run(context.Background(), p, runs, u, Config{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(marshal(t, a), marshal(t, b)) {
		t.Fatal("a DES ensemble is not deterministic")
	}
	r := a[0].Services[0].Summary.WorstP95Range
	if r == nil || r.P10 == r.P90 {
		t.Errorf("DES replications with no input range: worst p95 interval %+v, want a spread from the seeds", r)
	}
}

// TestLongestFirst: DES runs start by their estimated requests, the most
// first; fluid runs keep their places after them, in the given order.
func TestLongestFirst(t *testing.T) {
	p, runs := noaRuns(t, "growth-2x", "daily", "daily-growth-2x", "event-spike")
	for i := range runs[:3] {
		runs[i].Mode = sim.ModeDES
	}
	got := longestFirst(p, runs)
	// daily-growth-2x ≈ 2 × daily ≫ growth-2x (one hour); event-spike is fluid.
	if want := []int{2, 1, 0, 3}; !slices.Equal(got, want) {
		t.Errorf("longestFirst = %v, want %v", got, want)
	}
}
