package model

import (
	"math"
	"testing"
)

// One choice is random splitting: the fixed point's recursion must give the
// M/M/k queue's mean wait, Erlang C over (k − a), for every k.
func TestSupermarketFixedPoint_OneChoiceIsMMk(t *testing.T) {
	for _, k := range []int{1, 2, 4, 8} {
		for _, rho := range []float64{0.3, 0.5, 0.8} {
			a := rho * float64(k)
			want := ErlangC(k, a) / (float64(k) - a)
			got := SupermarketFixedPoint(1, k, rho).MeanWait
			if math.Abs(got-want) > 1e-6*math.Max(want, 1e-3) {
				t.Errorf("k=%d ρ=%g: mean wait %.10g, want Erlang C's %.10g", k, rho, got, want)
			}
		}
	}
}

// Mitzenmacher (2001), Theorem 3: with k = 1 the expected time in the
// system tends to Σ_{i≥1} λ^((d^i − d)/(d − 1)).
func TestSupermarketFixedPoint_Mitzenmacher(t *testing.T) {
	for _, d := range []int{2, 3} {
		for _, rho := range []float64{0.5, 0.9, 0.99} {
			want := 0.0
			for i := 1; i < 60; i++ {
				e := (math.Pow(float64(d), float64(i)) - float64(d)) / float64(d-1)
				want += math.Pow(rho, e)
			}
			got := SupermarketFixedPoint(d, 1, rho).MeanResponse
			if math.Abs(got-want) > 1e-12*want {
				t.Errorf("d=%d λ=%g: E[T] %.15g, want %.15g", d, rho, got, want)
			}
		}
	}
}

// More slots or more choices never wait longer; the k > 1 recursion's
// tail is a falling sequence whose first k terms sum to the load.
func TestSupermarketFixedPoint_KSlots(t *testing.T) {
	for _, k := range []int{2, 4, 16} {
		for _, rho := range []float64{0.5, 0.8, 0.9, 0.95} {
			prev := math.Inf(1)
			for _, d := range []int{1, 2, 3, 10} {
				sm := SupermarketFixedPoint(d, k, rho)
				if !(sm.MeanWait <= prev*(1+1e-9)) || sm.MeanWait < 0 || math.IsNaN(sm.MeanWait) {
					t.Errorf("k=%d ρ=%g d=%d: mean wait %g after %g with fewer choices", k, rho, d, sm.MeanWait, prev)
				}
				prev = sm.MeanWait
				sum := 0.0
				for i := 1; i <= k && i < len(sm.Tail); i++ {
					sum += sm.Tail[i]
				}
				if math.Abs(sum-rho*float64(k)) > 1e-6 {
					t.Errorf("k=%d ρ=%g d=%d: Σ s_1..s_k = %g, want the load %g", k, rho, d, sum, rho*float64(k))
				}
				for i := 1; i < len(sm.Tail); i++ {
					if sm.Tail[i] > sm.Tail[i-1] {
						t.Fatalf("k=%d ρ=%g d=%d: s_%d = %g above s_%d = %g", k, rho, d, i, sm.Tail[i], i-1, sm.Tail[i-1])
					}
				}
			}
		}
	}
}

func TestBalancing_Validate(t *testing.T) {
	for _, c := range []struct {
		b  Balancing
		ok bool
	}{
		{Balancing{}, true},
		{Balancing{Policy: BalanceLeastRequest}, true},
		{Balancing{Policy: BalanceLeastRequest, Choices: 3}, true},
		{Balancing{Policy: BalanceLeastRequest, Choices: 1}, false},
		{Balancing{Policy: BalanceRoundRobin, Choices: 2}, false},
		{Balancing{Policy: "fastest"}, false},
	} {
		if err := c.b.Validate(); (err == nil) != c.ok {
			t.Errorf("%+v: err %v, want ok=%v", c.b, err, c.ok)
		}
	}
}

// Every policy is the one pod at N = 1; with more pods shared queue ≤
// least-connection ≤ least-request ≤ random in mean and p95, and
// round-robin below random.
func TestBalancedPod_Order(t *testing.T) {
	base := Workload{ServiceMean: 0.1, ServiceCS2: 1, Concurrency: 2, CPURequest: 1}
	for _, cs2 := range []float64{1, 0.5, 2} {
		for _, n := range []int{1, 2, 6, 20} {
			for _, rho := range []float64{0.5, 0.8, 0.9} {
				lam := rho * 2 / 0.1
				val := map[BalancingPolicy][2]float64{}
				for _, p := range BalancingPolicies {
					w := base
					w.ServiceCS2, w.Pods, w.Balancing = cs2, n, Balancing{Policy: p}
					m, err := w.PodMeanResponse(lam)
					if err != nil {
						t.Fatal(err)
					}
					q, err := w.PodResponseQuantile(lam, 0.95)
					if err != nil {
						t.Fatal(err)
					}
					s, err := w.PodResponseSurvival(lam, q)
					if err != nil {
						t.Fatal(err)
					}
					if math.Abs(s-0.05) > 1e-6 {
						t.Errorf("%s N=%d ρ=%g cs2=%g: P(T > p95) = %g", p, n, rho, cs2, s)
					}
					val[p] = [2]float64{m, q}
				}
				for j, what := range []string{"mean", "p95"} {
					r := val[BalanceRandom][j]
					order := []BalancingPolicy{BalanceSharedQueue, BalanceLeastConnection, BalanceLeastRequest, BalanceRandom}
					for i := 1; i < len(order); i++ {
						if a, b := val[order[i-1]][j], val[order[i]][j]; a > b*(1+1e-9) {
							t.Errorf("N=%d ρ=%g cs2=%g %s: %s %g above %s %g", n, rho, cs2, what, order[i-1], a, order[i], b)
						}
					}
					if rr := val[BalanceRoundRobin][j]; rr > r*(1+1e-9) || n == 1 && math.Abs(rr-r) > 1e-9*r {
						t.Errorf("N=%d ρ=%g cs2=%g %s: round-robin %g vs random %g", n, rho, cs2, what, rr, r)
					}
					if n == 1 {
						for _, p := range BalancingPolicies {
							if math.Abs(val[p][j]-r) > 1e-9*r {
								t.Errorf("N=1 ρ=%g %s: %s %g, random %g", rho, what, p, val[p][j], r)
							}
						}
					}
				}
			}
		}
	}
}
