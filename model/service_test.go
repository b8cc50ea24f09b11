package model

import (
	"errors"
	"fmt"
	"math"
	"testing"

	"gonum.org/v1/gonum/mathext"
)

// TestServiceQuantile_Extremes checks that the quantile puts the tail it
// inverts at the target, to the accuracy of the tail functions (1e−13) and
// of its conditioning (rounding x by ε changes the tail by
// ε·x·|d ln tail/dx|), for shapes from 0.01 to 10¹²
// and probabilities from 10⁻¹² to 1 − 10⁻¹⁵, and that it is monotone in p.
func TestServiceQuantile_Extremes(t *testing.T) {
	for _, cs2 := range []float64{1e-12, 1e-9, 1e-6, 1e-4, 0.001, 0.01, 0.1, 0.25, 0.5, 0.9, 1.5, 2, 4, 10, 20, 50, 100} {
		k := 1 / cs2
		prev := 0.0
		for _, p := range []float64{1e-12, 1e-6, 0.001, 0.05, 0.3, 0.5, 0.7, 0.9, 0.95, 0.99, 0.999, 1 - 1e-6, 1 - 1e-9, 1 - 1e-15} {
			q := ServiceQuantile(1, cs2, p)
			if q < prev || math.IsNaN(q) {
				t.Errorf("cs2=%g p=%g: quantile %g below the previous %g", cs2, p, q, prev)
			}
			prev = q
			if q == 0 { // below the smallest float64 (k = 0.01, p = 10⁻⁶: e^{−1380})
				continue
			}
			x := q * k
			lp := logPoissonTerm(k, x)
			upper := p > 0.5
			target := math.Log(p)
			if upper {
				target = math.Log1p(-p)
			}
			tail := gammaLogTail(k, x, lp, upper)
			slope := k * math.Exp(lp-tail) // |d ln tail/d ln x|
			if d := math.Abs(tail - target); d > 1e-13+4e-16*slope {
				t.Errorf("cs2=%g p=%g: quantile %.17g has ln tail %.17g, want %.17g (slope %.3g)", cs2, p, q, tail, target, slope)
			}
		}
	}
}

func TestServiceQuantile(t *testing.T) {
	for _, tt := range []struct {
		name         string
		mu, cs2, p   float64
		want, relTol float64
	}{
		{"exponential p95", 2, 1, 0.95, math.Log(20) / 2, 1e-15},
		{"exponential median", 1, 1, 0.5, math.Ln2, 1e-15},
		{"constant", 4, 0, 0.99, 0.25, 0},
	} {
		if got := ServiceQuantile(tt.mu, tt.cs2, tt.p); relErr(got, tt.want) > tt.relTol {
			t.Errorf("%s: ServiceQuantile = %.17g, want %.17g", tt.name, got, tt.want)
		}
	}
	// Erlang-2 (cs2 = 0.5): P(S > t) = e^{−x}(1 + x), x = 2μt.
	for _, p := range []float64{0.1, 0.5, 0.95, 0.999} {
		q := ServiceQuantile(1, 0.5, p)
		if got := math.Exp(-2*q) * (1 + 2*q); relErr(got, 1-p) > 1e-12 {
			t.Errorf("Erlang-2 p=%g: P(S > %g) = %.17g, want %g", p, q, got, 1-p)
		}
	}
	// General shape: the distribution function at the quantile is p.
	for _, cs2 := range []float64{0.001, 0.3, 2, 10, 100} {
		for _, p := range []float64{0.05, 0.5, 0.95, 0.9999} {
			k := 1 / cs2
			q := ServiceQuantile(3, cs2, p)
			if got := mathext.GammaIncReg(k, q*3*k); relErr(got, p) > 1e-10 {
				t.Errorf("cs2=%g p=%g: P(S ≤ %g) = %.17g", cs2, p, q, got)
			}
		}
	}
	for _, bad := range [][3]float64{{0, 1, 0.5}, {1, -1, 0.5}, {1, MaxCS2 * 2, 0.5}, {1, 1, 0}, {1, 1, 1}, {math.NaN(), 1, 0.5}} {
		if got := ServiceQuantile(bad[0], bad[1], bad[2]); !math.IsNaN(got) {
			t.Errorf("ServiceQuantile(%v) = %g, want NaN", bad, got)
		}
	}
}

func TestFitServiceCS2(t *testing.T) {
	for _, p := range []float64{0.9, 0.95, 0.99} {
		for _, cs2 := range []float64{0.001, 0.05, 0.25, 1, 2.5, 4} {
			q := ServiceQuantile(1/0.2, cs2, p)
			got, err := FitServiceCS2(0.2, q, p)
			if err != nil || relErr(got, cs2) > 1e-9 {
				t.Errorf("p=%g cs2=%g: FitServiceCS2(0.2, %g) = %.17g, %v", p, cs2, q, got, err)
			}
		}
	}
	// Exponential: p95 = 3·mean gives cs2 = 1.
	if got, err := FitServiceCS2(0.1, 0.1*math.Log(20), 0.95); err != nil || relErr(got, 1) > 1e-9 {
		t.Errorf("FitServiceCS2(exponential p95) = %g, %v; want 1", got, err)
	}
	if got, err := FitServiceCS2(1, 1, 0.95); err != nil || got != 0 {
		t.Errorf("FitServiceCS2(quantile = mean) = %g, %v; want 0", got, err)
	}
	// A p95 below the mean fits only a very skewed gamma (the falling
	// branch); the result must still reproduce the quantile.
	if got, err := FitServiceCS2(1, 0.8, 0.95); err != nil || relErr(ServiceQuantile(1, got, 0.95), 0.8) > 1e-9 {
		t.Errorf("FitServiceCS2(1, 0.8, 0.95) = %g, %v", got, err)
	}
	// No gamma with mean 1 has a p95 of 10: the largest is about 5.82.
	_, err := FitServiceCS2(1, 10, 0.95)
	var inf *InfeasibleError
	if !errors.As(err, &inf) || math.Abs(inf.Bound-5.82) > 0.01 {
		t.Errorf("FitServiceCS2(1, 10, 0.95) error = %v, want *InfeasibleError with Bound ≈ 5.82", err)
	}
	if inf != nil && inf.Bound < ServiceQuantile(1, 11.9, 0.95) {
		t.Errorf("Bound %g is below an attainable quantile %g", inf.Bound, ServiceQuantile(1, 11.9, 0.95))
	}
	for _, bad := range [][3]float64{{0, 1, 0.9}, {1, -1, 0.9}, {1, 2, 1}, {math.Inf(1), 2, 0.9}} {
		if _, err := FitServiceCS2(bad[0], bad[1], bad[2]); !errors.Is(err, ErrInvalidInput) {
			t.Errorf("FitServiceCS2(%v) error = %v, want ErrInvalidInput", bad, err)
		}
	}
}

func BenchmarkFitServiceCS2(b *testing.B) {
	for b.Loop() {
		sink, _ = FitServiceCS2(0.2, 0.6, 0.95)
	}
}

func BenchmarkServiceQuantile(b *testing.B) {
	for _, cs2 := range []float64{0.01, 0.25, 1, 4, 50} {
		b.Run(fmt.Sprintf("cs2=%g", cs2), func(b *testing.B) {
			for b.Loop() {
				sink = ServiceQuantile(1, cs2, 0.95)
			}
		})
	}
}
