package model

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestMixture(t *testing.T) {
	for _, tc := range []struct {
		name     string
		parts    []MixtureComponent
		mean     float64
		cs2      float64
		wantErrs bool
	}{
		// Hyperexponential H2: p=0.9 of mean 10 ms, 0.1 of mean 100 ms.
		// E[S] = 0.019, E[S²] = 0.9·2·1e-4 + 0.1·2·1e-2 = 2.18e-3
		// (an exponential's second moment is 2m²), c² = 2.18e-3/0.019² − 1.
		{name: "H2", parts: []MixtureComponent{{9, 0.01, 1}, {1, 0.1, 1}}, mean: 0.019, cs2: 2.18e-3/(0.019*0.019) - 1},
		// Identical components are the component itself.
		{name: "same", parts: []MixtureComponent{{1, 0.2, 0.5}, {3, 0.2, 0.5}}, mean: 0.2, cs2: 0.5},
		// Two constants 1 and 3, equal weights: mean 2, variance 1, c² 1/4.
		{name: "two constants", parts: []MixtureComponent{{1, 1, 0}, {1, 3, 0}}, mean: 2, cs2: 0.25},
		{name: "single", parts: []MixtureComponent{{0.3, 0.05, 2}}, mean: 0.05, cs2: 2},
		{name: "empty", wantErrs: true},
		{name: "zero weight", parts: []MixtureComponent{{0, 1, 1}}, wantErrs: true},
		{name: "NaN mean", parts: []MixtureComponent{{1, math.NaN(), 1}}, wantErrs: true},
		{name: "negative cs2", parts: []MixtureComponent{{1, 1, -1}, {1, 1, 1}}, wantErrs: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, c, err := Mixture(tc.parts)
			if tc.wantErrs {
				if err == nil {
					t.Fatalf("Mixture = %g, %g; want an error", m, c)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(m-tc.mean) > 1e-12*tc.mean || math.Abs(c-tc.cs2) > 1e-9*math.Max(1, tc.cs2) {
				t.Errorf("Mixture = (%g, %g), want (%g, %g)", m, c, tc.mean, tc.cs2)
			}
		})
	}
}

// TestMixture_Sampled holds the closed form against the sample moments of
// the mixture it describes: pick a component by weight, draw a gamma of its
// mean and cs2.
func TestMixture_Sampled(t *testing.T) {
	parts := []MixtureComponent{{0.7, 0.02, 0.25}, {0.25, 0.08, 1}, {0.05, 0.4, 2}}
	mean, cs2, err := Mixture(parts)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 400_000
	var s1, s2 float64
	for range n {
		u := rng.Float64()
		i := 0
		for acc := parts[0].Weight; u >= acc && i < len(parts)-1; {
			i++
			acc += parts[i].Weight
		}
		x := sampleGammaTest(rng, parts[i].Mean, parts[i].CS2)
		s1 += x
		s2 += x * x
	}
	m := s1 / n
	c := (s2/n)/(m*m) - 1
	if math.Abs(m/mean-1) > 0.01 || math.Abs(c/cs2-1) > 0.05 {
		t.Errorf("sampled mean %g cs2 %g, closed form %g %g", m, c, mean, cs2)
	}
}

// sampleGammaTest draws a gamma of the given mean and cs2 (shape 1/cs2) by
// Marsaglia and Tsang (2000), boosting shapes below 1.
func sampleGammaTest(rng *rand.Rand, mean, cs2 float64) float64 {
	k := 1 / cs2
	boost := 1.0
	if k < 1 {
		boost = math.Pow(rng.Float64(), 1/k)
		k++
	}
	d := k - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		x := rng.NormFloat64()
		v := 1 + c*x
		if v <= 0 {
			continue
		}
		v = v * v * v
		if u := rng.Float64(); math.Log(u) < 0.5*x*x+d-d*v+d*math.Log(v) {
			return boost * d * v * mean * cs2
		}
	}
}

// TestEndpointResponse: one component is the G/G/c model itself; the
// endpoints' mean responses, weighted by their shares, are the mixture's
// Allen–Cunneen mean response (they share its wait); a costlier endpoint
// has the longer tail.
func TestEndpointResponse(t *testing.T) {
	lam, c := 30.0, 4
	one := []MixtureComponent{{1, 0.1, 0.5}}
	m, q, err := EndpointResponse(lam, c, 1, one, 0, 0.95)
	if err != nil {
		t.Fatal(err)
	}
	wantM, _ := MeanResponseGGc(lam, 10, c, 1, 0.5)
	wantQ, _ := ResponseQuantileGGc(lam, 10, c, 1, 0.5, 0.95)
	if math.Abs(m/wantM-1) > 1e-12 || math.Abs(q/wantQ-1) > 1e-9 {
		t.Errorf("one component: mean %g p95 %g; G/G/c %g %g", m, q, wantM, wantQ)
	}

	parts := []MixtureComponent{{3, 0.05, 0.25}, {1, 0.25, 1}}
	mean, cs2, _ := Mixture(parts)
	mixM, _ := MeanResponseGGc(lam, 1/mean, c, 1, cs2)
	sum := 0.0
	var p95 [2]float64
	for i, pt := range parts {
		mi, qi, err := EndpointResponse(lam, c, 1, parts, i, 0.95)
		if err != nil {
			t.Fatal(err)
		}
		sum += pt.Weight / 4 * mi
		p95[i] = qi
		if qi <= pt.Mean {
			t.Errorf("endpoint %d: p95 %g below its mean service time %g", i, qi, pt.Mean)
		}
	}
	if math.Abs(sum/mixM-1) > 1e-12 {
		t.Errorf("Σ share·endpoint mean %g, mixture mean response %g", sum, mixM)
	}
	if p95[1] <= p95[0] {
		t.Errorf("p95 %g of the costly endpoint not above the cheap one's %g", p95[1], p95[0])
	}
	if _, _, err := EndpointResponse(100, c, 1, parts, 0, 0.95); err == nil {
		t.Error("an overloaded queue (a = 10 > c = 4) gave no error")
	}
	if _, _, err := EndpointResponse(lam, c, 1, parts, 2, 0.95); err == nil {
		t.Error("a component index out of range gave no error")
	}
}
