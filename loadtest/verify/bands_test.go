package verify

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestBandCoverage: a new draw from the replications' own distribution
// falls outside the k-th order statistics with probability 2k/(R+1), 0.1
// for R = 39 (a Monte Carlo of 20 000 bands of exponential draws).
func TestBandCoverage(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const r, trials = DefaultReplications, 20000
	k := bandK(r)
	out := 0
	xs := make([]float64, r)
	for range trials {
		for i := range xs {
			xs[i] = rng.ExpFloat64()
		}
		b, ok := bandOf(xs, k)
		if !ok {
			t.Fatal("no band")
		}
		if x := rng.ExpFloat64(); x < b.Low || x > b.High {
			out++
		}
	}
	got, want := float64(out)/trials, 2*float64(k)/float64(r+1)
	// The standard error of the fraction is 0.002.
	if math.Abs(got-want) > 0.008 {
		t.Errorf("outside %.4f of draws, want %.4f", got, want)
	}
}

func TestBinomialTail(t *testing.T) {
	for _, tc := range []struct {
		n, k int
		p    float64
		want float64
	}{
		{10, 0, 0.1, 1},
		{10, 11, 0.1, 0},
		{10, 1, 0.1, 1 - math.Pow(0.9, 10)},
		// P(X ≥ 7), X ~ Bin(10, 0.1): Σ_{j≥7} C(10,j)·0.1^j·0.9^(10−j).
		{10, 7, 0.1, 120*1e-7*0.729 + 45*1e-8*0.81 + 10*1e-9*0.9 + 1e-10},
	} {
		if got := binomialTail(tc.n, tc.k, tc.p); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("P(Bin(%d, %g) ≥ %d) = %g, want %g", tc.n, tc.p, tc.k, got, tc.want)
		}
	}
}

// TestPredictionP: the prediction-interval p-value is 1 at the mean, about
// 0.05 at 2.02 standard deviations·√(1+1/R) with R = 40 (t, 39 degrees of
// freedom), and 0 off a constant sample.
func TestPredictionP(t *testing.T) {
	xs := make([]float64, 40)
	for i := range xs {
		xs[i] = float64(i % 2) // mean 0.5, s = 0.5064
	}
	if p := predictionP(0.5, xs); p != 1 {
		t.Errorf("p at the mean %g", p)
	}
	s := 0.5 * math.Sqrt(40.0/39)
	if p := predictionP(0.5+2.0227*s*math.Sqrt(1+1.0/40), xs); math.Abs(p-0.05) > 1e-3 {
		t.Errorf("p %g, want 0.05", p)
	}
	if p := predictionP(2, []float64{1, 1, 1}); p != 0 {
		t.Errorf("p off a constant sample %g", p)
	}
	if p := predictionP(math.NaN(), xs); p != 1 {
		t.Errorf("NaN measurement: p %g, want 1 (no test)", p)
	}
}

// TestBandPad: an error-rate band gets half a point either side (never
// below 0); other metrics' bands are left alone.
func TestBandPad(t *testing.T) {
	b := Band{Median: 0, Low: 0, High: 0}.pad(MetricErrorRate)
	if b.Low != 0 || b.High != 0.005 {
		t.Errorf("error-rate band %+v, want [0, 0.005]", b)
	}
	if b := (Band{Median: 1, Low: 0.9, High: 1.1}).pad(MetricP95); b.Low != 0.9 || b.High != 1.1 {
		t.Errorf("p95 band padded: %+v", b)
	}
	if b := (Band{Median: 1, Low: 0.9, High: 1.2}).widen(2); math.Abs(b.Low-0.8) > 1e-12 || math.Abs(b.High-1.4) > 1e-12 {
		t.Errorf("widen by 2: %+v", b)
	}
}

// TestHolm: four p-values at level 0.05 are held to 0.0125, 0.0167,
// 0.025, 0.05 in ascending order, and the procedure stops at the first
// kept; a degenerate test takes no share and fails only at p = 0.
func TestHolm(t *testing.T) {
	tests := []BandTest{
		{Metric: "a", PValue: 0.01, WholePValue: 0.9},   // 0.01 < 0.05/4: rejected
		{Metric: "b", PValue: 0.016, WholePValue: 0.03}, // 0.016 < 0.05/3, then 0.03 ≥ 0.05/2: stop
		{Metric: "c", PValue: 1, WholePValue: 0, degenerate: true},
		{Metric: "d", PValue: 1, WholePValue: 1, degenerate: true},
	}
	holm(tests, 0.05)
	want := []bool{false, false, false, true}
	for i, tc := range tests {
		if tc.Pass != want[i] {
			t.Errorf("%s: pass %v, want %v (threshold %g)", tc.Metric, tc.Pass, want[i], tc.Threshold)
		}
	}
	if math.Abs(tests[0].Threshold-0.0125) > 1e-12 || math.Abs(tests[1].Threshold-0.05/3) > 1e-12 {
		t.Errorf("thresholds %g %g", tests[0].Threshold, tests[1].Threshold)
	}
}
