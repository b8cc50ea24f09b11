package model

import (
	"math"
	"testing"
)

// lognormalHistogram bins the lognormal of mean m and cv 1.5 into n
// log-spaced buckets from m/1000 to its 1 − 1e−6 quantile, each bucket's
// count the lognormal's probability in it (the first bucket also holds
// what lies below m/1000).
func lognormalHistogram(m float64, n int) []HistogramBucket {
	d, _ := newFamilyDist(FamilyLognormal, m, 2.25)
	lo, hi := m/1000, FamilyQuantile(FamilyLognormal, m, 2.25, 1-1e-6)
	var h []HistogramBucket
	prev := 0.0
	for i := 1; i <= n; i++ {
		ub := lo * math.Pow(hi/lo, float64(i)/float64(n))
		h = append(h, HistogramBucket{Upper: ub, Count: 1e6 * (d.cdf(ub) - d.cdf(prev))})
		prev = ub
	}
	return h
}

// TestResponseQuantileGGcEmpirical_Lognormal: a histogram of a lognormal
// (mean 50 ms, cv 1.5) gives the M/G/3 response-time p95 of the lognormal
// family within 3 % at ρ = 0.5, 0.8 and 0.9, and its moments are the
// lognormal's.
func TestResponseQuantileGGcEmpirical_Lognormal(t *testing.T) {
	const m = 0.05
	h := lognormalHistogram(m, 400)
	hm, cs2, err := HistogramMoments(h)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(hm/m-1) > 0.01 || math.Abs(cs2/2.25-1) > 0.05 {
		t.Errorf("histogram mean %g cs2 %g, want %g and 2.25", hm, cs2, m)
	}
	for _, rho := range []float64{0.5, 0.8, 0.9} {
		lam := rho * 3 / m
		want, err := ResponseQuantileGGcFamily(FamilyLognormal, lam, 1/m, 3, 1, 2.25, 0.95)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ResponseQuantileGGcEmpirical(h, lam, 1/m, 3, 1, 0.95)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("ρ %.1f: empirical p95 %.2f ms, lognormal %.2f ms (%+.2f %%)", rho, got*1e3, want*1e3, (got/want-1)*100)
		if math.Abs(got/want-1) > 0.03 {
			t.Errorf("ρ %.1f: empirical p95 %g, lognormal %g", rho, got, want)
		}
	}
}

// TestEmpiricalDist: the piecewise-uniform cdf, quantile and convolution
// against hand values and numerical integration.
func TestEmpiricalDist(t *testing.T) {
	h := []HistogramBucket{{0.01, 40}, {0.025, 50}, {0.1, 10}}
	hm, cs2, err := HistogramMoments(h)
	if err != nil {
		t.Fatal(err)
	}
	m2 := (0.4*1e-4 + 0.5*(1e-4+2.5e-4+6.25e-4) + 0.1*(6.25e-4+2.5e-3+1e-2)) / 3
	if math.Abs(hm-0.017) > 1e-12 || math.Abs(cs2-(m2/(hm*hm)-1)) > 1e-9 {
		t.Errorf("mean %g cs2 %g", hm, cs2)
	}
	d, err := newEmpiricalDist(h, 0.034) // twice the histogram's mean
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ t, cdf float64 }{{0, 0}, {0.01, 0.2}, {0.02, 0.4}, {0.035, 0.65}, {0.05, 0.9}, {0.125, 0.95}, {0.2, 1}, {1, 1}} {
		if got := d.cdf(c.t); math.Abs(got-c.cdf) > 1e-12 {
			t.Errorf("cdf(%g) = %g, want %g", c.t, got, c.cdf)
		}
		if c.cdf > 0 && c.cdf < 1 {
			if q := d.quantile(c.cdf); math.Abs(q-c.t) > 1e-12 {
				t.Errorf("quantile(%g) = %g, want %g", c.cdf, q, c.t)
			}
		}
	}
	// J(t) against a fine midpoint rule (accurate to about 1e−5 across the
	// density's jumps).
	for _, tt := range []float64{0.015, 0.07, 0.3} {
		const n = 200000
		num := 0.0
		for i := range n {
			s := (float64(i) + 0.5) * tt / n
			num += d.sDensity(s) / s * math.Exp(-30*(tt-s)) * tt / n
		}
		if got := d.convolve(30, tt); math.Abs(got-num) > 1e-4*num {
			t.Errorf("J(%g) = %g, numerically %g", tt, got, num)
		}
	}
}

func TestCheckHistogram(t *testing.T) {
	for _, h := range [][]HistogramBucket{
		nil,
		{{0, 1}},
		{{0.01, 1}, {0.01, 1}},
		{{0.01, -1}},
		{{0.01, 0}},
		{{math.Inf(1), 1}},
		{{0.01, math.NaN()}},
	} {
		if err := CheckHistogram(h); err == nil {
			t.Errorf("%v: no error", h)
		}
		if _, err := ResponseQuantileGGcEmpirical(h, 1, 10, 1, 1, 0.95); err == nil {
			t.Errorf("%v: ResponseQuantileGGcEmpirical gave no error", h)
		}
	}
}

// TestPodResponseSurvival_Empirical: the survival at the empirical p95 is
// 5 %, at rate 0 and under load.
func TestPodResponseSurvival_Empirical(t *testing.T) {
	w := Workload{ServiceMean: 0.05, ServiceFamily: FamilyEmpirical, ServiceHistogram: &Histogram{Buckets: lognormalHistogram(0.05, 400)}, Concurrency: 3}
	for _, lam := range []float64{0, 48} {
		q, err := w.PodResponseQuantile(lam, 0.95)
		if err != nil {
			t.Fatal(err)
		}
		s, err := w.PodResponseSurvival(lam, q)
		if err != nil || math.Abs(s-0.05) > 1e-6 {
			t.Errorf("λ %g: survival at p95 %g is %g (%v), want 0.05", lam, q, s, err)
		}
	}
}
