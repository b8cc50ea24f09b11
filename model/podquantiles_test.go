package model

import (
	"math"
	"testing"
)

// PodQuantiles is PodResponseQuantile with the rate-free parts computed
// once: the same bits at every rate, for every path (M/M/k, gamma G/G/k,
// a family's tail, the balancing policies' given wait), a repeated
// probability included.
func TestPodQuantiles_SameAsPodResponseQuantile(t *testing.T) {
	base := Workload{ServiceMean: 0.08, ServiceCS2: 0.6, Concurrency: 4}
	cases := map[string]Workload{}
	cases["gamma"] = base
	exp := base
	exp.ServiceCS2 = 1
	cases["exponential"] = exp
	logn := base
	logn.ServiceFamily = FamilyLognormal
	cases["lognormal"] = logn
	for _, pol := range []BalancingPolicy{BalanceRoundRobin, BalanceLeastConnection, BalanceSharedQueue} {
		w := base
		w.Balancing = Balancing{Policy: pol}
		w.Pods = 5
		cases[string(pol)] = w
	}
	ps := []float64{0.5, 0.95, 0.99, 0.95}
	for name, w := range cases {
		e := w.PodQuantiles(ps...)
		got := make([]float64, len(ps))
		mu := float64(w.Concurrency) / w.ServiceMean
		for _, rho := range []float64{0, 1e-6, 0.2, 0.5, 0.8, 0.95, 0.999} {
			lam := rho * mu
			if err := e.At(lam, got); err != nil {
				t.Fatalf("%s at ρ=%g: %v", name, rho, err)
			}
			for i, p := range ps {
				want, err := w.PodResponseQuantile(lam, p)
				if err != nil {
					t.Fatalf("%s at ρ=%g: %v", name, rho, err)
				}
				if math.Float64bits(got[i]) != math.Float64bits(want) {
					t.Errorf("%s at ρ=%g, p=%g: %v, PodResponseQuantile says %v", name, rho, p, got[i], want)
				}
			}
		}
	}
}

// At the capacity the evaluator fails as PodResponseQuantile does.
func TestPodQuantiles_Unstable(t *testing.T) {
	w := Workload{ServiceMean: 0.1, ServiceCS2: 0.5, Concurrency: 2}
	out := make([]float64, 1)
	if err := w.PodQuantiles(0.95).At(20, out); err == nil {
		t.Fatal("no error at the pod's capacity")
	}
}
