package model

import (
	"errors"
	"math"
	"testing"
)

// TestFamilyRoundTrip: the cs2 fitted to a family member's own p95 is its
// cs2, and FamilyQuantile gives back the p95.
func TestFamilyRoundTrip(t *testing.T) {
	for _, fam := range []string{FamilyGamma, FamilyLognormal, FamilyWeibull} {
		for _, cs2 := range []float64{0.25, 1, 2.25, 4} {
			p95 := FamilyQuantile(fam, 0.05, cs2, 0.95)
			got, err := FamilyCS2FromQuantile(fam, 0.05, p95, 0.95)
			if err != nil {
				t.Fatalf("%s cs2 %g: %v", fam, cs2, err)
			}
			if math.Abs(got/cs2-1) > 1e-6 {
				t.Errorf("%s cs2 %g: p95 %g fits cs2 %g", fam, cs2, p95, got)
			}
		}
	}
}

// TestFamilyReference: closed forms. Lognormal mean 50 ms, cv 1.5: σ² =
// ln(1 + 2.25), μ = ln 0.05 − σ²/2, p95 = exp(μ + 1.6449·σ) = 0.16539 s (the
// 165.4 ms of the issue that motivated families). Weibull k = 1 is the
// exponential: p95 = mean·ln 20.
func TestFamilyReference(t *testing.T) {
	if got := FamilyQuantile(FamilyLognormal, 0.05, 2.25, 0.95); math.Abs(got-0.16539) > 5e-5 {
		t.Errorf("lognormal p95 %g, want 0.16539", got)
	}
	if got := FamilyQuantile(FamilyWeibull, 0.05, 1, 0.95); math.Abs(got-0.05*math.Log(20)) > 1e-9 {
		t.Errorf("weibull k=1 p95 %g, want %g", got, 0.05*math.Log(20))
	}
	// The gamma with the lognormal's mean and p95 has cv ≈ 1.15 (issue 21).
	cs2, err := FamilyCS2FromQuantile(FamilyGamma, 0.05, 0.16539, 0.95)
	if err != nil || math.Abs(math.Sqrt(cs2)-1.15) > 0.01 {
		t.Errorf("gamma fit cv %g, %v; want about 1.15", math.Sqrt(cs2), err)
	}
}

func TestFamilyInfeasible(t *testing.T) {
	var inf *InfeasibleError
	for _, tc := range []struct {
		fam      string
		quantile float64
	}{
		{FamilyLognormal, 0.05 * 4},   // p95/mean above e^{z²/2} = 3.87
		{FamilyExponential, 0.05 * 2}, // not ln 20
		{FamilyWeibull, 0.05 * 1e6},
	} {
		if _, err := FamilyCS2FromQuantile(tc.fam, 0.05, tc.quantile, 0.95); !errors.As(err, &inf) {
			t.Errorf("%s p95 %g: err %v, want InfeasibleError", tc.fam, tc.quantile, err)
		}
	}
	if _, err := FamilyCS2FromQuantile("pareto", 1, 2, 0.95); err == nil {
		t.Error("unknown family: no error")
	}
	if !math.IsNaN(FamilyQuantile(FamilyLognormal, -1, 1, 0.5)) {
		t.Error("negative mean: want NaN")
	}
}
