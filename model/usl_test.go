package model

import (
	"errors"
	"fmt"
	"math"
	"testing"
)

// uslCSV is the example.csv of codahale/usl (cmd/usl/usl_test.go and README):
// concurrency, throughput.
var uslCSV = []USLMeasurement{
	{1, 65}, {18, 996}, {36, 1652}, {72, 1853}, {108, 1829}, {144, 1775}, {216, 1702},
}

// uslSSE returns the sum of squared throughput residuals of u on ms.
func uslSSE(u USL, ms []USLMeasurement) float64 {
	var s float64
	for _, m := range ms {
		r := m.Throughput - u.Throughput(m.Concurrency)
		s += r * r
	}
	return s
}

// uslData samples u at concurrency 1..n, with multiplicative noise of
// relative size noise (seeded).
func uslData(u USL, n int, noise float64) []USLMeasurement {
	r := queueingRand()
	ms := make([]USLMeasurement, n)
	for i := range ms {
		c := float64(i + 1)
		ms[i] = USLMeasurement{Concurrency: c, Throughput: u.Throughput(c) * (1 + noise*r.NormFloat64())}
	}
	return ms
}

func TestFitUSL_Codahale(t *testing.T) {
	got, err := FitUSL(uslCSV)
	if err != nil {
		t.Fatal(err)
	}
	// Published by codahale/usl; the fit is ill-conditioned and agrees only
	// to about 5e−5 relative.
	published := USL{Sigma: 0.0277299, Kappa: 1.04343e-4, Lambda: 89.9878}
	for _, tt := range []struct {
		name      string
		got, want float64
	}{
		{"sigma", got.Sigma, published.Sigma},
		{"kappa", got.Kappa, published.Kappa},
		{"lambda", got.Lambda, published.Lambda},
		{"max throughput", got.MaxThroughput(), 1883.76},
		{"X(10)", got.Throughput(10), 714.778987},
		{"X(50)", got.Throughput(50), 1721.000603},
	} {
		if relErr(tt.got, tt.want) > 2e-4 {
			t.Errorf("%s = %.9g, codahale/usl %.9g", tt.name, tt.got, tt.want)
		}
	}
	if got.MaxConcurrency() != 96 {
		t.Errorf("MaxConcurrency = %d, want 96", got.MaxConcurrency())
	}
	// Our optimum is at least as good as the published one (SSE 27310.0815
	// against 27310.0819).
	if s, p := uslSSE(got, uslCSV), uslSSE(published, uslCSV); s > p {
		t.Errorf("SSE of the fit %.6f is above the published fit's %.6f", s, p)
	}
}

func TestFitUSL_Synthetic(t *testing.T) {
	for _, want := range []USL{
		{Sigma: 0.05, Kappa: 0.0002, Lambda: 100},
		{Sigma: 0.3, Kappa: 0.01, Lambda: 3},
		{Sigma: 0.001, Kappa: 1e-6, Lambda: 5000}, // peak at N = 999, far beyond the data
	} {
		t.Run(fmt.Sprintf("%+v", want), func(t *testing.T) {
			got, err := FitUSL(uslData(want, 64, 0))
			if err != nil {
				t.Fatal(err)
			}
			if relErr(got.Sigma, want.Sigma) > 1e-7 || relErr(got.Kappa, want.Kappa) > 1e-7 || relErr(got.Lambda, want.Lambda) > 1e-9 {
				t.Errorf("exact data: fit %+v, want %+v", got, want)
			}
			if want.PeakConcurrency() > 64 {
				return // with noise, κ cannot be told from 0 by data far below the peak
			}
			noisy, err := FitUSL(uslData(want, 64, 0.01))
			if err != nil {
				t.Fatal(err)
			}
			if relErr(noisy.Lambda, want.Lambda) > 0.02 || relErr(noisy.PeakConcurrency(), want.PeakConcurrency()) > 0.1 {
				t.Errorf("1 %% noise: fit %+v (N* %g), want %+v (N* %g)", noisy, noisy.PeakConcurrency(), want, want.PeakConcurrency())
			}
		})
	}
}

// TestFitUSL_Constraints checks that σ and κ stay non-negative: data that
// scales better than linearly would need σ < 0, and is fitted with σ = 0.
func TestFitUSL_Constraints(t *testing.T) {
	super := uslData(USL{Sigma: -0.02, Kappa: 0.0005, Lambda: 10}, 30, 0)
	got, err := FitUSL(super)
	if err != nil {
		t.Fatal(err)
	}
	if got.Sigma != 0 || got.Kappa < 0 {
		t.Errorf("superlinear data: fit %+v, want σ = 0 and κ ≥ 0", got)
	}
	// It is the best fit with σ = 0: nudging κ or λ only makes it worse.
	base := uslSSE(got, super)
	for _, d := range []USL{{Kappa: 1e-7}, {Kappa: -1e-7}, {Lambda: 1e-5}, {Lambda: -1e-5}} {
		u := USL{Sigma: 0, Kappa: got.Kappa + d.Kappa, Lambda: got.Lambda + d.Lambda}
		if u.Kappa >= 0 && uslSSE(u, super) < base {
			t.Errorf("fit %+v is not optimal: %+v has SSE %g < %g", got, u, uslSSE(u, super), base)
		}
	}
	linear := uslData(USL{Lambda: 7}, 20, 0)
	got, err = FitUSL(linear)
	if err != nil {
		t.Fatal(err)
	}
	if got.Sigma < 0 || got.Kappa < 0 || relErr(got.Lambda, 7) > 1e-9 || got.Sigma > 1e-9 || got.Kappa > 1e-9 {
		t.Errorf("linear data: fit %+v, want σ = κ = 0, λ = 7", got)
	}
}

func TestUSL_Methods(t *testing.T) {
	u := USL{Sigma: 0.02671591, Kappa: 7.690945e-4, Lambda: 995.6486}
	if got, want := u.Latency(20), 20/u.Throughput(20); relErr(got, want) > 1e-15 {
		t.Errorf("Latency(20) = %g, want N/X(N) = %g", got, want)
	}
	if got := u.Throughput(1); got != u.Lambda {
		t.Errorf("X(1) = %g, want λ₁ = %g", got, u.Lambda)
	}
	// codahale/usl model_test.go: N* = 35, X_max = 12341.745415132369,
	// X(20) = 11063.63312570436 for its fit, of which the parameters above
	// are the published 7-digit rounding.
	if got := u.MaxConcurrency(); got != 35 {
		t.Errorf("MaxConcurrency = %d, want 35", got)
	}
	if got := u.MaxThroughput(); relErr(got, 12341.745415132369) > 1e-7 {
		t.Errorf("MaxThroughput = %.17g, want 12341.745415132369", got)
	}
	if got := u.Throughput(20); relErr(got, 11063.63312570436) > 1e-7 {
		t.Errorf("X(20) = %.17g, want 11063.63312570436", got)
	}
	n := u.PeakConcurrency()
	if !(u.Throughput(n) >= u.Throughput(n*0.99) && u.Throughput(n) >= u.Throughput(n*1.01)) {
		t.Errorf("PeakConcurrency %g is not the maximiser", n)
	}
	for _, tt := range []struct {
		u        USL
		peak     float64
		maxConc  int
		maxThrou float64
	}{
		{USL{Sigma: 0.1, Kappa: 0, Lambda: 10}, math.Inf(1), 0, 100},
		{USL{Sigma: 0, Kappa: 0, Lambda: 10}, math.Inf(1), 0, math.Inf(1)},
		{USL{Sigma: 1.5, Kappa: 0.01, Lambda: 10}, 1, 1, 10},
	} {
		if got := tt.u.PeakConcurrency(); got != tt.peak {
			t.Errorf("%+v.PeakConcurrency() = %g, want %g", tt.u, got, tt.peak)
		}
		if got := tt.u.MaxConcurrency(); got != tt.maxConc {
			t.Errorf("%+v.MaxConcurrency() = %d, want %d", tt.u, got, tt.maxConc)
		}
		if got := tt.u.MaxThroughput(); got != tt.maxThrou {
			t.Errorf("%+v.MaxThroughput() = %g, want %g", tt.u, got, tt.maxThrou)
		}
	}
}

func TestFitUSL_Errors(t *testing.T) {
	for _, tt := range []struct {
		name string
		ms   []USLMeasurement
		arg  string
	}{
		{"empty", nil, "len(distinct concurrency levels)"},
		{"two levels", []USLMeasurement{{1, 10}, {2, 19}, {2, 18}}, "len(distinct concurrency levels)"},
		{"zero concurrency", []USLMeasurement{{0, 10}, {2, 19}, {3, 28}}, "ms[0].Concurrency"},
		{"negative throughput", []USLMeasurement{{1, 10}, {2, -19}, {3, 28}}, "ms[1].Throughput"},
		{"NaN throughput", []USLMeasurement{{1, 10}, {2, 19}, {3, math.NaN()}}, "ms[2].Throughput"},
		{"no throughput", []USLMeasurement{{1, 0}, {2, 0}, {3, 0}}, "max throughput"},
	} {
		_, err := FitUSL(tt.ms)
		var ie *InputError
		if !errors.As(err, &ie) || ie.Arg != tt.arg {
			t.Errorf("%s: err = %v, want an *InputError for %q", tt.name, err, tt.arg)
		}
	}
}

func BenchmarkFitUSL(b *testing.B) {
	for _, tt := range []struct {
		name string
		ms   []USLMeasurement
	}{{"codahale-7", uslCSV}, {"synthetic-64", uslData(USL{Sigma: 0.05, Kappa: 0.0002, Lambda: 100}, 64, 0.01)}} {
		b.Run(tt.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := FitUSL(tt.ms); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
