package model

import (
	"math"
	"testing"
)

func TestIntegrate(t *testing.T) {
	for _, tt := range []struct {
		name       string
		f          func(float64) float64
		a, b, want float64
		tol        float64
	}{
		{"sin over [0, π]", math.Sin, 0, math.Pi, 2, 1e-14},
		{"exp decay", func(x float64) float64 { return math.Exp(-x) }, 0, 50, -math.Expm1(-50), 1e-14},
		{"polynomial", func(x float64) float64 { return x * x * x }, -1, 2, 15.0 / 4, 1e-14},
		{"end-point singularity 1/√x", func(x float64) float64 { return 1 / math.Sqrt(x) }, 0, 1, 2, 1e-7},
		{"kink", math.Abs, -1, 3, 5, 1e-13},
		{"empty interval", math.Sin, 1, 1, 0, 0},
	} {
		if got := integrate(tt.f, tt.a, tt.b, 1e-15); math.Abs(got-tt.want) > tt.tol {
			t.Errorf("%s: integrate = %.17g, want %.17g (tol %g)", tt.name, got, tt.want, tt.tol)
		}
	}
}

func TestSolveDecreasing(t *testing.T) {
	expo := func(x float64) float64 { return math.Exp(-x) }
	expoD := func(x float64) (float64, float64) { return math.Exp(-x), math.Exp(-x) }
	// A survival function with an atom: 1 before 1, then 0.5·e^{−(t−1)}.
	jump := func(x float64) (float64, float64) {
		if x < 1 {
			return 1, 0
		}
		return 0.5 * math.Exp(-(x - 1)), 0.5 * math.Exp(-(x - 1))
	}
	for _, tt := range []struct {
		name   string
		f      func(float64) (float64, float64)
		y, lo  float64
		want   float64
		relTol float64
	}{
		{"exponential", expoD, 0.05, 0.1, math.Log(20), 1e-15},
		{"far bracket", expoD, 1e-300, 0.1, 300 * math.Ln10, 1e-14},
		{"already below", expoD, 0.5, 2, 2, 0},
		{"after the jump", jump, 0.25, 0.5, 1 + math.Ln2, 1e-15},
		{"at the jump", jump, 0.6, 0.5, 1, 1e-15},
	} {
		if got := solveDecreasingNewton(tt.f, tt.y, tt.lo, 2*tt.lo); relErr(got, tt.want) > tt.relTol {
			t.Errorf("solveDecreasingNewton(%s) = %.17g, want %.17g", tt.name, got, tt.want)
		}
		f := func(x float64) float64 { v, _ := tt.f(x); return v }
		if got := solveDecreasing(f, tt.y, tt.lo, 2*tt.lo); relErr(got, tt.want) > tt.relTol {
			t.Errorf("solveDecreasing(%s) = %.17g, want %.17g", tt.name, got, tt.want)
		}
	}
	flat := func(float64) float64 { return 1 }
	if got := solveDecreasing(flat, 0.5, 0, 1); !math.IsInf(got, 1) {
		t.Errorf("solveDecreasing(never below) = %g, want +Inf", got)
	}
	if got := solveDecreasingNewton(func(float64) (float64, float64) { return 1, 0 }, 0.5, 0, 1); !math.IsInf(got, 1) {
		t.Errorf("solveDecreasingNewton(never below) = %g, want +Inf", got)
	}
	if got := solveDecreasing(expo, 0.05, 0, 1); relErr(got, math.Log(20)) > 1e-15 {
		t.Errorf("solveDecreasing(lo = 0) = %g", got)
	}
}

func TestBisectAndGoldenMax(t *testing.T) {
	if got := bisect(func(x float64) bool { return x*x >= 2 }, 0, 2); relErr(got, math.Sqrt2) > 1e-15 {
		t.Errorf("bisect(√2) = %.17g", got)
	}
	x, fx := goldenMax(func(x float64) float64 { return -(x - 0.3) * (x - 0.3) }, 0, 1)
	if math.Abs(x-0.3) > 1e-7 || fx < -1e-14 {
		t.Errorf("goldenMax = (%g, %g), want (0.3, 0)", x, fx)
	}
}

func TestSolveBracketed(t *testing.T) {
	for _, tt := range []struct {
		name       string
		f          func(float64) float64
		a, b, want float64
	}{
		{"√2", func(x float64) float64 { return x*x - 2 }, 0, 2, math.Sqrt2},
		{"decreasing", func(x float64) float64 { return math.Exp(-x) - 0.05 }, 0, 10, math.Log(20)},
		{"steep", func(x float64) float64 { return math.Pow(x, 20) - 0.5 }, 0, 1.2, math.Pow(0.5, 1.0/20)},
		{"root at the end", func(x float64) float64 { return x - 1 }, 0, 1, 1},
	} {
		n := 0
		f := func(x float64) float64 { n++; return tt.f(x) }
		if got := solveBracketed(f, tt.a, tt.b, tt.f(tt.a), tt.f(tt.b)); relErr(got, tt.want) > 4e-16 {
			t.Errorf("%s: solveBracketed = %.17g, want %.17g", tt.name, got, tt.want)
		}
		if n > 40 {
			t.Errorf("%s: %d evaluations", tt.name, n)
		}
	}
}
