package capacity

import (
	"math"
	"os"
	"testing"

	"github.com/headroom-dev/headroom/model"
	"github.com/headroom-dev/headroom/scenarios"
)

// TestSize_CallOrder: size sizes callees first and a caller with their
// mean response at their sized count in its time in service; the rates
// add along the calls.
func TestSize_CallOrder(t *testing.T) {
	b, err := os.ReadFile("testdata/threetier.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p, err := scenarios.Parse("threetier.yaml", b)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Size(p, model.Queueing, "growth")
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]ServiceSizing{}
	for _, s := range rep.Scenarios[0].Services {
		by[s.Service] = s
	}
	for name, rate := range map[string]float64{"web": 75, "api": 105, "db": 210} {
		if got := by[name].PeakRate; math.Abs(got-rate) > 1e-9 {
			t.Errorf("%s: peak rate %g, want %g", name, got, rate)
		}
	}
	if by["db"].CallSeconds != 0 || by["db"].MeanSeconds == nil || by["api"].MeanSeconds == nil {
		t.Fatalf("db %+v api %+v", by["db"], by["api"])
	}
	if got, want := by["api"].CallSeconds, 2**by["db"].MeanSeconds; math.Abs(got-want) > 1e-12 {
		t.Errorf("api waits %g s on its calls, want 2 × db's mean response %g", got, want)
	}
	if got, want := by["web"].CallSeconds, *by["api"].MeanSeconds; math.Abs(got-want) > 1e-12 {
		t.Errorf("web waits %g s on its calls, want api's mean response %g", got, want)
	}
	// api's own 30 ms meets its 150 ms p95 on a few replicas; holding its
	// slot through two db calls at db's sized latency does not at any
	// count: the trouble is db's.
	alone, err := sizeService(p.Service("api"), 105, model.Queueing, callDelay{})
	if err != nil {
		t.Fatal(err)
	}
	if alone.Status != StatusOK || by["api"].Status != StatusInfeasible || !(*alone.MeanSeconds < *by["api"].MeanSeconds) {
		t.Errorf("api alone: %s, %d replicas, mean %g; with its calls %s, mean %g", alone.Status, alone.Required, *alone.MeanSeconds, by["api"].Status, *by["api"].MeanSeconds)
	}
}
