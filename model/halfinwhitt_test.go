package model

import (
	"errors"
	"math"
	"testing"
)

func TestHalfinWhittBeta(t *testing.T) {
	// β solves α(β) = α (Halfin and Whitt 1981; Tijms 2003 §5.3); the same
	// β are in testdata/conformance/queueing_cases.json.
	for _, tt := range []struct{ alpha, beta float64 }{
		{0.5, 0.50605}, {0.2, 1.06152}, {0.1, 1.42019}, {0.01, 2.37489},
	} {
		got, err := HalfinWhittBeta(tt.alpha)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(got-tt.beta) > 5e-6 {
			t.Errorf("HalfinWhittBeta(%g) = %.7f, want %.5f", tt.alpha, got, tt.beta)
		}
		if back := HalfinWhittDelayProb(got); relErr(back, tt.alpha) > 1e-14 {
			t.Errorf("HalfinWhittDelayProb(HalfinWhittBeta(%g)) = %.17g", tt.alpha, back)
		}
		// Tijms' form of the same equation: β·Φ(β)/φ(β) = (1 − α)/α.
		phi := math.Exp(-got*got/2) / math.Sqrt(2*math.Pi)
		Phi := 0.5 * math.Erfc(-got/math.Sqrt2)
		if lhs, rhs := got*Phi/phi, (1-tt.alpha)/tt.alpha; relErr(lhs, rhs) > 1e-13 {
			t.Errorf("β = %g: βΦ/φ = %.17g, (1−α)/α = %.17g", got, lhs, rhs)
		}
	}
	for _, alpha := range []float64{0, 1, -1, math.NaN()} {
		if _, err := HalfinWhittBeta(alpha); !errors.Is(err, ErrInvalidInput) {
			t.Errorf("HalfinWhittBeta(%g) error = %v, want ErrInvalidInput", alpha, err)
		}
	}
}

func TestHalfinWhittDelayProb(t *testing.T) {
	if got := HalfinWhittDelayProb(0); got != 1 {
		t.Errorf("α(0) = %g, want 1", got)
	}
	for _, beta := range []float64{-1, math.NaN()} {
		if got := HalfinWhittDelayProb(beta); !math.IsNaN(got) {
			t.Errorf("α(%g) = %g, want NaN", beta, got)
		}
	}
	// Log space keeps the deep tail: α(β) ~ φ(β)/β as β → ∞, and φ(40)
	// is about 1e−348, below float64, yet α(33.33) ≈ 6.36e−244 (6.35798e−244
	// by mpmath at c = 100 000, ρ = 0.9).
	if got := HalfinWhittDelayProb(100.0 / 3); relErr(got, 6.35798e-244) > 1e-5 {
		t.Errorf("α(33.33) = %g, want 6.35798e-244", got)
	}
	prev := 1.0
	for beta := 0.01; beta < 38; beta *= 1.3 {
		got := HalfinWhittDelayProb(beta)
		if !(got < prev) || got <= 0 {
			t.Fatalf("α not decreasing and positive at β = %g: %g after %g", beta, got, prev)
		}
		prev = got
	}
}

// TestHalfinWhittDelayProb_NearKnee checks the size of the approximation
// error against exact Erlang C near the knee (β from 0.3 to 3.2).
func TestHalfinWhittDelayProb_NearKnee(t *testing.T) {
	for _, tt := range []struct {
		c      int
		a      float64
		relErr float64
	}{{1000, 990, 0.004}, {10000, 9900, 0.006}, {100000, 99000, 0.022}} {
		beta := (float64(tt.c) - tt.a) / math.Sqrt(tt.a)
		got, exact := HalfinWhittDelayProb(beta), ErlangC(tt.c, tt.a)
		if e := relErr(got, exact); e > tt.relErr+0.001 {
			t.Errorf("c=%d a=%g: α(%.4f) = %g vs Erlang C %g: rel error %.4f, want ≤ %g", tt.c, tt.a, beta, got, exact, e, tt.relErr)
		}
	}
}

// TestSqrtStaffingServers checks Tijms' observation (2003, §5.3, Table
// 5.3.2) that the rounded square-root rule is exact or one short, on a grid
// of loads up to 10 000.
func TestSqrtStaffingServers(t *testing.T) {
	for _, a := range []float64{1, 5, 10, 50, 100, 250, 500, 1000, 10000} {
		for _, alpha := range []float64{0.5, 0.2, 0.1, 0.01} {
			approx, err := SqrtStaffingServers(a, 1, alpha)
			if err != nil {
				t.Fatal(err)
			}
			exact, err := MinServersDelayProb(a, 1, alpha)
			if err != nil {
				t.Fatal(err)
			}
			if d := exact - approx; d < 0 || d > 1 {
				t.Errorf("a=%g α=%g: square-root rule %d, exact %d", a, alpha, approx, exact)
			}
		}
	}
	if c, err := SqrtStaffingServers(3, 1, 0.999999); err != nil || c != 4 {
		t.Errorf("SqrtStaffingServers(a=3, α≈1) = %d, %v; want the stable minimum 4", c, err)
	}
	if _, err := SqrtStaffingServers(3, 1, 2); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("alpha = 2: err = %v, want ErrInvalidInput", err)
	}
}
