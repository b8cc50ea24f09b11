package sim

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/headroom-dev/headroom/scenarios"
)

// TestDESParallel_SameResult: a DES run whose services are served on a
// pool's slots, several cores at once, gives exactly the result of the run
// that serves them one by one — every field of every sample.
func TestDESParallel_SameResult(t *testing.T) {
	p := noa(t)
	// Ten minutes of growth-2x: 1.2 M requests over six services.
	sc := p.Scenario("growth-2x")
	sc.Duration = scenarios.Duration(10 * time.Minute)
	encode := func(pool *Pool) []byte {
		t.Helper()
		res, err := Run(p, Options{Scenario: "growth-2x", Mode: ModeDES, Pool: pool})
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(res)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	alone := encode(nil)
	// Four slots for one run: three borrowed every tick, so each tick
	// deals the six services into four bins served at once.
	if pooled := encode(NewPool(4)); string(pooled) != string(alone) {
		t.Errorf("the run served on 4 slots differs from the run served on one goroutine (%d vs %d bytes of JSON)", len(pooled), len(alone))
	}
}

// TestParallelServeSplit: the services go into k bins by Graham's rule,
// every service once, the heaviest first.
func TestParallelServeSplit(t *testing.T) {
	var svcs []*service
	for _, a := range []float64{10, 300, 0, 200, 100, 90} {
		s := &service{}
		s.tickStats.arrivals = a
		svcs = append(svcs, s)
	}
	ps := &parallelServe{}
	ps.split(svcs, 2)
	seen := map[*service]bool{}
	var sums [2]float64
	for b, bin := range ps.bins[:2] {
		for _, s := range bin {
			if seen[s] {
				t.Fatalf("service with %g arrivals in two bins", s.tickStats.arrivals)
			}
			seen[s] = true
			sums[b] += s.tickStats.arrivals
		}
	}
	if len(seen) != len(svcs) {
		t.Fatalf("%d services dealt, want %d", len(seen), len(svcs))
	}
	// LPT (weights are arrivals + 1): 300 and 90 in one bin, 200, 100,
	// 10 and 0 in the other: 390 against 310.
	if d := sums[0] - sums[1]; d > 100 || d < -100 {
		t.Errorf("bins hold %g and %g arrivals: unbalanced", sums[0], sums[1])
	}
	if ps.bins[0][0].tickStats.arrivals != 300 {
		t.Errorf("the first bin starts with %g arrivals, want the heaviest (300)", ps.bins[0][0].tickStats.arrivals)
	}
}
