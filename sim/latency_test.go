package sim

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/headroom-dev/headroom/model"
)

// A table's points are evaluated lazily: whatever order the lookups come
// in, each point holds the model's figures at its load, bit for bit, and
// the lookups agree.
func TestLatencyTable_LazyPointsAreTheModels(t *testing.T) {
	w := model.Workload{ServiceMean: 0.12, ServiceCS2: 0.7, Concurrency: 6}
	const q, timeout, target = 0.95, 30, 0.5
	asc, err := newLatencyTable(w, q, timeout, target)
	if err != nil {
		t.Fatal(err)
	}
	shuffled, err := newLatencyTable(w, q, timeout, target)
	if err != nil {
		t.Fatal(err)
	}
	n := len(asc.grid) - 1
	for i := range n {
		asc.fill(i)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, i := range rng.Perm(n) {
		shuffled.fill(i)
	}
	slots := float64(w.Concurrency) / w.ServiceMean
	for i := range asc.grid {
		a, b := &asc.grid[i], &shuffled.grid[i]
		if a.point != b.point || a.d != b.d {
			t.Fatalf("point %d: ascending %+v, shuffled %+v", i, a.point, b.point)
		}
		lam := latencyAxis.rho[i] * slots
		for j, p := range [...]float64{0.5, 0.95, 0.99} {
			want, err := w.PodResponseQuantile(lam, p)
			if err != nil {
				t.Fatal(err)
			}
			if math.Float64bits(a.row[latP50+j]) != math.Float64bits(want) {
				t.Errorf("point %d p%g: %v, the model says %v", i, p*100, a.row[latP50+j], want)
			}
		}
		if want, _ := w.PodResponseSurvival(lam, target); math.Float64bits(a.slow) != math.Float64bits(want) {
			t.Errorf("point %d: P(T > target) %v, the model says %v", i, a.slow, want)
		}
	}
	for k := 0; k <= 1000; k++ {
		rho := float64(k) / 1000
		fresh, err := newLatencyTable(w, q, timeout, target)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := fresh.at(rho), asc.at(rho); got != want {
			t.Fatalf("ρ=%v: a fresh table says %+v, a full one %+v", rho, got, want)
		}
	}
}

// A workload the model rejects fails when its table is built, not at a
// lookup.
func TestLatencyTable_InvalidWorkloadFailsAtBuild(t *testing.T) {
	w := model.Workload{ServiceMean: 0.1, ServiceCS2: -1, Concurrency: 2}
	if _, err := newLatencyTable(w, 0.95, 30, 1); err == nil {
		t.Fatal("no error for a negative cs²")
	}
}
