package model

import (
	"fmt"
	"math"
	"testing"
)

func TestErlangB(t *testing.T) {
	tests := []struct {
		name   string
		c      int
		a      float64
		want   float64
		relTol float64
		source string
	}{
		{"one server one erlang", 1, 1, 0.5, 1e-15, "pyworkforce test_erlang_b.py"},
		{"two servers one erlang", 2, 1, 0.2, 1e-15, "pyworkforce test_erlang_b.py"},
		{"no servers", 0, 3.5, 1, 0, "definition: B(0, a) = 1"},
		{"zero load", 5, 0, 0, 0, "definition: B(c, 0) = 0 for c ≥ 1"},
		{"Wolfram example", 3, 0.8, 0.03869407496977025, 1e-14, "exact (0.8³/3!)/Σ_{k≤3} 0.8ᵏ/k!"},
		{"c=1000 rho=0.9", 1000, 900, 5.92986267015e-05, 1e-10, "computed: math/big 512-bit and mpmath 60-digit agree"},
		{"c=10000 rho=0.99", 10000, 9900, 0.00285812673886, 1e-10, "mpmath 60-digit"},
		{"c=100000 rho=0.99", 100000, 99000, 8.2257755985e-06, 1e-10, "mpmath 60-digit"},
		{"c=100000 rho=0.9", 100000, 90000, 1.98003409636e-236, 1e-10, "mpmath 60-digit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ErlangB(tt.c, tt.a); !within(got, tt.want, tt.relTol, true) {
				t.Errorf("ErlangB(c=%d, a=%g) = %.17g, want %.17g (rel tol %g; %s)", tt.c, tt.a, got, tt.want, tt.relTol, tt.source)
			}
		})
	}
}

func TestErlangC(t *testing.T) {
	tests := []struct {
		name   string
		c      int
		a      float64
		want   float64
		relTol float64
		source string
	}{
		{"two lines", 2, 1.5, 9.0 / 14, 1e-15, "exact 9/14 (Wolfram ErlangC doc scenario)"},
		{"Tijms p.200", 100, 95, 0.506457, 1e-6, "Tijms 2003 p.200 prints 50.6 %; 6 digits by mpmath"},
		{"Telefonica", 30, 20, 0.024950, 1e-4, "Telefonica Erlang C help prints 2.5 %; 5 digits by mpmath"},
		{"c=1000 rho=0.99", 1000, 990, 0.659080421881, 1e-10, "mpmath 60-digit"},
		{"c=1000 rho=0.9", 1000, 900, 5.92669966379e-04, 1e-10, "mpmath 60-digit; a^c/c! gives NaN here"},
		{"c=10000 rho=0.99", 10000, 9900, 0.222776928864, 1e-10, "mpmath 60-digit"},
		{"c=100000 rho=0.99", 100000, 99000, 8.21908237411e-04, 1e-10, "mpmath 60-digit"},
		{"c=100000 rho=0.9", 100000, 90000, 1.98003409636e-235, 1e-10, "mpmath 60-digit"},
		{"overloaded", 10, 10, 1, 0, "definition: every arrival waits when a ≥ c"},
		{"no servers", 0, 0.5, 1, 0, "definition: a ≥ c"},
		{"zero load", 4, 0, 0, 0, "definition"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ErlangC(tt.c, tt.a); !within(got, tt.want, tt.relTol, true) {
				t.Errorf("ErlangC(c=%d, a=%g) = %.17g, want %.17g (rel tol %g; %s)", tt.c, tt.a, got, tt.want, tt.relTol, tt.source)
			}
		})
	}
}

func TestErlang_BadInput(t *testing.T) {
	for _, tt := range []struct {
		c int
		a float64
	}{{-1, 1}, {3, -1}, {3, math.NaN()}, {3, math.Inf(1)}, {3, math.Inf(-1)}} {
		for name, f := range map[string]func(int, float64) float64{
			"ErlangB": ErlangB, "ErlangC": ErlangC, "LogErlangB": LogErlangB, "LogErlangC": LogErlangC,
		} {
			if got := f(tt.c, tt.a); !math.IsNaN(got) {
				t.Errorf("%s(c=%d, a=%g) = %g, want NaN", name, tt.c, tt.a, got)
			}
		}
	}
}

// TestErlangB_DirectSum checks the recursion against the direct Poisson sum
// (its dumb twin) where the sum cannot overflow.
func TestErlangB_DirectSum(t *testing.T) {
	r := queueingRand()
	for range 2000 {
		c := r.IntN(60)
		a := 40 * r.Float64()
		got, want := ErlangB(c, a), directErlangB(c, a)
		if relErr(got, want) > 1e-13 {
			t.Fatalf("ErlangB(c=%d, a=%g) = %.17g, direct sum %.17g", c, a, got, want)
		}
	}
}

// TestErlang_Properties checks C ≥ B, monotonicity in c and a, and C = 1 at
// a ≥ c on seeded random inputs.
func TestErlang_Properties(t *testing.T) {
	r := queueingRand()
	for range 500 {
		c := 1 + r.IntN(3000)
		a := float64(c) * 1.2 * r.Float64()
		b, cc := ErlangB(c, a), ErlangC(c, a)
		if b < 0 || b > 1 || cc < 0 || cc > 1 {
			t.Fatalf("c=%d a=%g: B=%g C=%g outside [0, 1]", c, a, b, cc)
		}
		if cc < b {
			t.Fatalf("ErlangC(c=%d, a=%g) = %g < ErlangB = %g", c, a, cc, b)
		}
		if b1 := ErlangB(c+1, a); b1 > b {
			t.Fatalf("ErlangB not decreasing in c: B(%d, %g) = %g > B(%d) = %g", c+1, a, b1, c, b)
		}
		if c1 := ErlangC(c+1, a); c1 > cc {
			t.Fatalf("ErlangC not decreasing in c: C(%d, %g) = %g > C(%d) = %g", c+1, a, c1, c, cc)
		}
		if b2 := ErlangB(c, a*1.01); b2 < b {
			t.Fatalf("ErlangB not increasing in a: B(%d, %g) = %g < B(%d, %g) = %g", c, a*1.01, b2, c, a, b)
		}
		if a >= float64(c) && cc != 1 {
			t.Fatalf("ErlangC(c=%d, a=%g) = %g, want 1 when a ≥ c", c, a, cc)
		}
	}
}

func TestLogErlang(t *testing.T) {
	// Where B and C are representable, the log forms agree with them.
	for _, tt := range []struct {
		c int
		a float64
	}{{1, 1}, {10, 9.5}, {1000, 900}, {10000, 9900}, {100000, 90000}} {
		if got, want := LogErlangB(tt.c, tt.a), math.Log(ErlangB(tt.c, tt.a)); relErr(got, want) > 1e-11 {
			t.Errorf("LogErlangB(c=%d, a=%g) = %.17g, want ln ErlangB = %.17g", tt.c, tt.a, got, want)
		}
		if got, want := LogErlangC(tt.c, tt.a), math.Log(ErlangC(tt.c, tt.a)); relErr(got, want) > 1e-11 {
			t.Errorf("LogErlangC(c=%d, a=%g) = %.17g, want ln ErlangC = %.17g", tt.c, tt.a, got, want)
		}
	}
	// Far below float64: for c ≫ a the Poisson distribution function at c
	// is 1, so ln B = ln Poisson(c; a) = −a + c·ln a − ln c!.
	c, a := 100000, 50000.0
	if b := ErlangB(c, a); b != 0 {
		t.Fatalf("ErlangB(c=%d, a=%g) = %g, expected it to underflow", c, a, b)
	}
	lg, _ := math.Lgamma(float64(c) + 1)
	want := -a + float64(c)*math.Log(a) - lg
	if got := LogErlangB(c, a); relErr(got, want) > 1e-10 {
		t.Errorf("LogErlangB(c=%d, a=%g) = %.17g, want %.17g", c, a, got, want)
	}
	if got := LogErlangC(10, 10); got != 0 {
		t.Errorf("LogErlangC(10, 10) = %g, want 0 (C = 1)", got)
	}
}

func BenchmarkErlangB(b *testing.B) {
	for _, c := range []int{100, 1000, 10000, 100000} {
		b.Run(fmt.Sprintf("c=%d", c), func(b *testing.B) {
			for b.Loop() {
				sink = ErlangB(c, 0.9*float64(c))
			}
		})
	}
}

func BenchmarkErlangC(b *testing.B) {
	for _, c := range []int{100, 1000, 10000, 100000} {
		b.Run(fmt.Sprintf("c=%d", c), func(b *testing.B) {
			for b.Loop() {
				sink = ErlangC(c, 0.9*float64(c))
			}
		})
	}
}

func BenchmarkLogErlangB(b *testing.B) {
	for _, a := range []float64{90000, 50000} { // B ≈ 2e−236, and far below 1e−308
		b.Run(fmt.Sprintf("c=100000,a=%g", a), func(b *testing.B) {
			for b.Loop() {
				sink = LogErlangB(100000, a)
			}
		})
	}
}
