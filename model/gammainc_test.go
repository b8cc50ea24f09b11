package model

import (
	"math"
	"testing"
)

// TestGammaPQ checks gammaP and gammaQ against 60-digit values (mpmath; the
// lower tails below k as k·x^k·e^{−x}/Γ(k+1) times the integral of
// TestConvolveExp_Reference) in each of their branches, including the band
// where gonum's P is wrong (k ≥ 10⁶, 4.5 to 10 standard deviations below
// the mean), to 1e−13 relative for each tail.
func TestGammaPQ(t *testing.T) {
	for _, c := range []struct{ k, x, p, q float64 }{
		{0.25, 1.21, 0.94999172124574456401, 0.050008278754255435993}, // smallShapeQ
		{0.01, 0.5, 0.99437324380603281597, 0.0056267561939671840293}, // smallShapeQ
		{0.5, 2.8999999999999999, 0.98397382545201488835, 0.016026174547985111648},
		{1.3999999999999999, 2.5, 0.84854552832601866102, 0.15145447167398133898},
		{0.01, 2, 0.99950333546278147321, 0.00049666453721852679167}, // continued fraction
		{0.10000000000000001, 3, 0.99843472825288564607, 0.0015652717471143539308},
		{0.19, 1.5, 0.976138755585877152, 0.023861244414122848001},
		{4, 7.75, 0.9498779454673347755, 0.050122054532665224503},
		{19, 25, 0.90795914080114265122, 0.092040859198857348782},
		{0.01, 1e-30, 0.50404727285999546013, 0.49595272714000453987},
		{19, 10, 0.0071865046038543267259, 0.99281349539614567327}, // lowerScaled
		{150, 100, 1.8842104660386700135e-6, 0.99999811578953396133},
		{1000, 700, 1.0158583345333216375e-26, 1},                          // temmeLower
		{10000, 9000, 2.0732992024339280144e-25, 1},                        // lowerAsymptotic
		{100000, 97000, 4.7435268410334276993e-22, 1},                      // temmeLower
		{1000000, 994500, 1.7963885979299173073e-8, 0.9999999820361140207}, // gonum: 6e−7 off
		{100000000, 99950000, 2.854642139958626143e-7, 0.99999971453578600414},
		{1000000000000, 999993000000, 1.2796663959363175023e-12, 0.9999999999987203336},
		{1000000, 1006000, 0.99999999894026026472, 1.0597397352843813168e-9}, // gonum
		{2.5, 0.001, 9.5085345986079493189e-9, 0.99999999049146540139},
		{3, 300, 1, 2.332186182754866363e-126},
	} {
		if got := gammaP(c.k, c.x); relErr(got, c.p) > 1e-13 {
			t.Errorf("P(%g, %g) = %.17g, want %.17g (rel err %.2g)", c.k, c.x, got, c.p, relErr(got, c.p))
		}
		if got := gammaQ(c.k, c.x); relErr(got, c.q) > 1e-13 {
			t.Errorf("Q(%g, %g) = %.17g, want %.17g (rel err %.2g)", c.k, c.x, got, c.q, relErr(got, c.q))
		}
	}
	// Lower tails below the smallest float64, in log space.
	for _, c := range []struct{ k, x, lnP float64 }{
		{1e6, 900000, -5366.0398566076870475},
		{1e6, 300000, -503980.27434549981712},
	} {
		if got := gammaLogTail(c.k, c.x, logPoissonTerm(c.k, c.x), false); relErr(got, c.lnP) > 1e-14 {
			t.Errorf("ln P(%g, %g) = %.17g, want %.17g", c.k, c.x, got, c.lnP)
		}
	}
}

// TestTemmeLower checks Temme's expansion against the series of
// lowerScaled summed to convergence, which needs up to 9√k terms there,
// across the band where convolveExp and gammaLogLower use it.
func TestTemmeLower(t *testing.T) {
	for _, k := range []float64{1000, 3000, 1e4, 1e5, 1e6} {
		for _, z := range []float64{0, 1, 4.5, 6, 8, 9.99} {
			x := k - z*math.Sqrt(k)
			term, sum := 1/k, 1/k
			for j := 1.0; term > 1e-18*sum; j++ {
				term *= x / (k + j)
				sum += term
			}
			want := k * math.Exp(logPoissonTerm(k, x)) * sum
			if got := temmeLower(k, x); relErr(got, want) > 2e-14 {
				t.Errorf("k=%g x=k−%g√k: Temme P = %.17g, series %.17g (rel err %.2g)", k, z, got, want, relErr(got, want))
			}
		}
	}
}

// TestLogAny checks the logarithm of subnormal numbers, which math.Log gets
// wrong on amd64.
func TestLogAny(t *testing.T) {
	for _, tt := range []struct{ x, want float64 }{
		{5e-324, -744.44007192138126},
		{1e-310, -713.80137882815404},
		{minNormal, -708.39641853226408},
		{0.5, -math.Ln2},
	} {
		if got := logAny(tt.x); relErr(got, tt.want) > 1e-15 {
			t.Errorf("logAny(%g) = %.17g, want %.17g", tt.x, got, tt.want)
		}
	}
}
