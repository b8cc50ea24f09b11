package model

import (
	"errors"
	"fmt"
	"math"
	"testing"
)

// TestApprox_Reductions checks the identities the approximations are built
// to satisfy: each is exact for M/M/c, Kimura and Björklund–Elldin meet
// Cosmetatos at c_s² = 0, and at c = 1 Allen–Cunneen, Kingman and Cosmetatos
// reduce to the exact M/G/1 results (Pollaczek–Khinchine, M/D/1).
func TestApprox_Reductions(t *testing.T) {
	r := queueingRand()
	for range 300 {
		c := 1 + r.IntN(300)
		mu := 0.2 + 5*r.Float64()
		rho := 0.02 + 0.97*r.Float64()
		lambda := rho * float64(c) * mu
		cs2 := 3 * r.Float64()
		ca2 := 3 * r.Float64()
		name := fmt.Sprintf("λ=%g μ=%g c=%d ca2=%g cs2=%g", lambda, mu, c, ca2, cs2)
		mmc := MMc{Lambda: lambda, Mu: mu, C: c}.MeanWait()
		if mmc < 1e-300 {
			continue // the delay probability underflowed
		}
		must := func(w float64, err error) float64 {
			t.Helper()
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			return w
		}
		check := func(what string, got, want float64) {
			t.Helper()
			if relErr(got, want) > 1e-12 {
				t.Fatalf("%s: %s = %.17g, want %.17g", name, what, got, want)
			}
		}
		check("Allen–Cunneen(1, 1) vs M/M/c", must(MeanWaitAllenCunneen(lambda, mu, c, 1, 1)), mmc)
		check("Whitt(1, 1) vs M/M/c", must(MeanWaitWhitt(lambda, mu, c, 1, 1)), mmc)
		check("Kimura(1) vs M/M/c", must(MeanWaitKimura(lambda, mu, c, 1)), mmc)
		check("Björklund–Elldin(1) vs M/M/c", must(MeanWaitBjorklundElldin(lambda, mu, c, 1)), mmc)
		md := must(MeanWaitCosmetatos(lambda, mu, c))
		check("Kimura(0) vs Cosmetatos", must(MeanWaitKimura(lambda, mu, c, 0)), md)
		check("Björklund–Elldin(0) vs Cosmetatos", must(MeanWaitBjorklundElldin(lambda, mu, c, 0)), md)
		check("Allen–Cunneen scales with (ca2+cs2)/2", must(MeanWaitAllenCunneen(lambda, mu, c, ca2, cs2)), mmc*(ca2+cs2)/2)
		if c == 1 {
			l1 := lambda / float64(c)
			pk := must(MeanWaitMG1(l1, mu, cs2))
			check("Allen–Cunneen(c=1, ca2=1) vs Pollaczek–Khinchine", must(MeanWaitAllenCunneen(l1, mu, 1, 1, cs2)), pk)
			check("Kingman(ca2=1) vs Pollaczek–Khinchine", must(MeanWaitKingman(l1, mu, 1, cs2)), pk)
			check("Cosmetatos(c=1) vs M/D/1", md, must(MeanWaitMG1(l1, mu, 0)))
			check("M/G/1-PS mean vs M/M/1 FCFS", must(MeanResponseMG1PS(l1, mu)), mmc+1/mu)
		}
	}
}

// TestMeanWaitWhitt_MG1Caveat documents that Whitt's φ does not reduce to
// Pollaczek–Khinchine at m = 1 when c_s² > c_a² (Whitt 1993, eq. 2.25 gives
// 9.54 instead of 10 for c_s² = 4, ρ = 0.8).
func TestMeanWaitWhitt_MG1Caveat(t *testing.T) {
	got, err := MeanWaitWhitt(0.8, 1, 1, 1, 4)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(got-9.54) > 0.005 {
		t.Errorf("MeanWaitWhitt(M/G/1, cs2=4, ρ=0.8) = %g, want 9.54 (Whitt 1993 eq. 2.25)", got)
	}
}

// TestMeanWaitKimura_Table checks Kimura (1994), Queueing Systems 17,
// Table 1 (c = 5, μ = 1, values of L_q as asserted in misken/qng test_qng.py).
func TestMeanWaitKimura_Table(t *testing.T) {
	for _, tt := range []struct {
		rho, cs2, kimura, be, tol float64
	}{
		{0.9, 4, 16.26, 16.96, 0.05},
		{0.7, 4, 1.82, 2.10, 0.05},
		{0.9, 0.5, 5.19, 5.19, 0.05},
		{0.7, 0.5, 0.68, 0.68, 0.005},
	} {
		lambda := 5 * tt.rho
		k, err := MeanWaitKimura(lambda, 1, 5, tt.cs2)
		if err != nil {
			t.Fatal(err)
		}
		be, err := MeanWaitBjorklundElldin(lambda, 1, 5, tt.cs2)
		if err != nil {
			t.Fatal(err)
		}
		if got := lambda * k; math.Abs(got-tt.kimura) > tt.tol {
			t.Errorf("Kimura L_q(ρ=%g, cs2=%g) = %.4f, table %.2f", tt.rho, tt.cs2, got, tt.kimura)
		}
		if got := lambda * be; math.Abs(got-tt.be) > tt.tol {
			t.Errorf("Björklund–Elldin L_q(ρ=%g, cs2=%g) = %.4f, table %.2f", tt.rho, tt.cs2, got, tt.be)
		}
	}
}

func TestApprox_Errors(t *testing.T) {
	type call struct {
		name string
		f    func() (float64, error)
		is   error
		arg  string
	}
	for _, tt := range []call{
		{"MG1 unstable", func() (float64, error) { return MeanWaitMG1(1, 1, 1) }, ErrUnstable, ""},
		{"MG1 cs2", func() (float64, error) { return MeanWaitMG1(0.5, 1, -1) }, ErrInvalidInput, "cs2"},
		{"Kingman ca2", func() (float64, error) { return MeanWaitKingman(0.5, 1, math.NaN(), 1) }, ErrInvalidInput, "ca2"},
		{"Kingman mu", func() (float64, error) { return MeanWaitKingman(0.5, 0, 1, 1) }, ErrInvalidInput, "mu"},
		{"AC unstable", func() (float64, error) { return MeanWaitAllenCunneen(10, 1, 10, 1, 1) }, ErrUnstable, ""},
		{"AC c", func() (float64, error) { return MeanWaitAllenCunneen(1, 1, 0, 1, 1) }, ErrInvalidInput, "c"},
		{"Whitt lambda", func() (float64, error) { return MeanWaitWhitt(-1, 1, 2, 1, 1) }, ErrInvalidInput, "lambda"},
		{"Cosmetatos unstable", func() (float64, error) { return MeanWaitCosmetatos(5, 1, 4) }, ErrUnstable, ""},
		{"Kimura cs2", func() (float64, error) { return MeanWaitKimura(1, 1, 2, math.Inf(1)) }, ErrInvalidInput, "cs2"},
		{"BE unstable", func() (float64, error) { return MeanWaitBjorklundElldin(3, 1, 2, 1) }, ErrUnstable, ""},
		{"PS unstable", func() (float64, error) { return MeanResponseMG1PS(2, 1) }, ErrUnstable, ""},
	} {
		_, err := tt.f()
		if !errors.Is(err, tt.is) {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.is)
			continue
		}
		var ie *InputError
		if tt.arg != "" && (!errors.As(err, &ie) || ie.Arg != tt.arg) {
			t.Errorf("%s: err = %v, want an *InputError for %q", tt.name, err, tt.arg)
		}
	}
	if w, err := MeanWaitWhitt(1, 1, 2, 0, 0); err != nil || w != 0 {
		t.Errorf("MeanWaitWhitt(D/D/2) = %g, %v; want 0, nil", w, err)
	}
}
