package model

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/mathext"
	"gonum.org/v1/gonum/stat/distuv"
)

// ggcReductionCases are M/M/c queues for the "reduces to M/M/c" tests,
// including θ = μ (c − a = 1) and θ < μ.
var ggcReductionCases = []MMc{
	{Lambda: 0.5, Mu: 1, C: 1},
	{Lambda: 0.95, Mu: 2, C: 1},
	{Lambda: 1, Mu: 1, C: 2},
	{Lambda: 9, Mu: 1, C: 10},
	{Lambda: 9.5, Mu: 1, C: 10},
	{Lambda: 2, Mu: 1, C: 10},
	{Lambda: 90, Mu: 1, C: 100},
	{Lambda: 999, Mu: 1, C: 1000},
	{Lambda: 990, Mu: 1, C: 1000},
	{Lambda: 500, Mu: 1, C: 1000},
	{Lambda: 9900, Mu: 1, C: 10000},
	{Lambda: 3000, Mu: 1 / 0.3, C: 904},
}

// TestResponseQuantileGGc_ReducesToMMc checks that the two-moment
// approximation, which integrates numerically, equals the exact M/M/c closed
// form when ca2 = cs2 = 1 (to 1e−9, as queueing.md §1.6 requires).
func TestResponseQuantileGGc_ReducesToMMc(t *testing.T) {
	for _, q := range ggcReductionCases {
		for _, p := range []float64{0.5, 0.9, 0.95, 0.99, 0.999} {
			got, err := ResponseQuantileGGc(q.Lambda, q.Mu, q.C, 1, 1, p)
			if err != nil {
				t.Fatal(err)
			}
			if want := q.ResponseQuantile(p); math.Abs(got-want) > 1e-9 {
				t.Errorf("λ=%g μ=%g c=%d p=%g: ResponseQuantileGGc = %.15g, MMc.ResponseQuantile = %.15g", q.Lambda, q.Mu, q.C, p, got, want)
			}
		}
		for _, tm := range []float64{0, 0.1, 1, 3, 10} {
			tm /= q.Mu
			got, err := ResponseSurvivalGGc(q.Lambda, q.Mu, q.C, 1, 1, tm)
			if err != nil {
				t.Fatal(err)
			}
			if want := q.ResponseSurvival(tm); math.Abs(got-want) > 1e-13 {
				t.Errorf("λ=%g μ=%g c=%d t=%g: ResponseSurvivalGGc = %.17g, MMc = %.17g", q.Lambda, q.Mu, q.C, tm, got, want)
			}
		}
		got, err := MeanResponseGGc(q.Lambda, q.Mu, q.C, 1, 1)
		if err != nil || relErr(got, q.MeanResponse()) > 1e-14 {
			t.Errorf("λ=%g c=%d: MeanResponseGGc = %g, %v; MMc %g", q.Lambda, q.C, got, err, q.MeanResponse())
		}
	}
}

// TestConvolveExp checks the numerical convolution J(t) = ∫₀ᵗ g(s)e^{−η(t−s)}ds
// against closed forms: for η < kμ, J = e^{−ηt}·(kμ/r)^k·P(k, rt) with
// r = kμ − η (P the regularised incomplete gamma function); for k = 2 and
// any η ≠ kμ, J = (kμ)²e^{−ηt}·(1 − e^{−rt}(1 + rt))/r².
func TestConvolveExp(t *testing.T) {
	for _, cs2 := range []float64{0.01, 0.1, 0.5, 0.9, 1, 1.5, 4, 20, 100} {
		for _, eta := range []float64{0.01, 0.3, 0.9} {
			svc := newService(1, cs2)
			eta *= svc.rate // η < kμ
			r := svc.rate - eta
			for _, tm := range []float64{0.001, 0.2, 1, 3, 12} {
				want := math.Exp(-eta*tm+svc.k*math.Log(svc.rate/r)) * mathext.GammaIncReg(svc.k, r*tm)
				if got := svc.convolveExp(eta, tm); !within(got, want, 1e-9, true) && !within(got, want, 1e-15, false) {
					t.Errorf("cs2=%g η=%g t=%g: J = %.17g, closed form %.17g", cs2, eta, tm, got, want)
				}
			}
		}
	}
	svc := newService(1, 0.5) // k = 2, rate 2
	for _, eta := range []float64{0.5, 3, 40, 5000} {
		r := svc.rate - eta
		for _, tm := range []float64{0.001, 0.2, 1, 3, 12} {
			want := svc.rate * svc.rate * math.Exp(-eta*tm) * (1 - math.Exp(-r*tm)*(1+r*tm)) / (r * r)
			if eta > svc.rate { // rewritten to avoid overflow: e^{−ηt}·e^{|r|t} = e^{−kμt}
				want = svc.rate * svc.rate * (math.Exp(-eta*tm) - math.Exp(-svc.rate*tm)*(1+r*tm)) / (r * r)
			}
			if got := svc.convolveExp(eta, tm); !within(got, want, 1e-11, true) && !within(got, want, 1e-15, false) {
				t.Errorf("k=2 η=%g t=%g: J = %.17g, closed form %.17g", eta, tm, got, want)
			}
		}
	}
}

// convolveExpSeries computes J(t) = ∫₀ᵗ g(s)e^{−η(t−s)}ds independently of
// the quadrature, from series of positive terms summed in log space. With
// r = kμ − η and x = |r|·t:
//
//	η > kμ:  J = (kμt)^k/Γ(k) · e^{−ηt} · Σ_{n≥0} xⁿ/(n!·(k+n)),
//	η < kμ:  J = (kμt)^k/Γ(k) · e^{−kμt} · Σ_{n≥0} xⁿ·Γ(k)/Γ(k+n+1),
//
// (the second is the series of the lower incomplete gamma function). It
// returns ok = false when the series would need more than 10⁵ terms.
func convolveExpSeries(svc service, eta, t float64) (j float64, ok bool) {
	r := svc.rate - eta
	x := math.Abs(r) * t
	if x > 1e5 {
		return 0, false
	}
	lgk, _ := math.Lgamma(svc.k)
	base := svc.k*math.Log(svc.rate*t) - lgk
	if r < 0 {
		base -= eta * t
	} else {
		base -= svc.rate * t
	}
	logTerm := func(n int) float64 {
		nf := float64(n)
		if r < 0 {
			lgn, _ := math.Lgamma(nf + 1)
			return nf*math.Log(x) - lgn - math.Log(svc.k+nf)
		}
		lga, _ := math.Lgamma(svc.k + nf + 1)
		return nf*math.Log(x) + lgk - lga
	}
	// The terms rise to a peak near n = x (or n = x − k) and then fall.
	peak := math.Inf(-1)
	var logs []float64
	for n := 0; ; n++ {
		l := logTerm(n)
		logs = append(logs, l)
		peak = math.Max(peak, l)
		if float64(n) > x && l < peak-40 {
			break
		}
	}
	var sum float64
	for _, l := range logs {
		sum += math.Exp(l - peak)
	}
	return math.Exp(base + peak + math.Log(sum)), true
}

// TestConvolveExp_Random compares the quadrature with the series over
// shapes from 0.01 to 10⁶ and kernel rates from 10⁻³ to 10³ times the
// service rate.
func TestConvolveExp_Random(t *testing.T) {
	r := queueingRand()
	checked := 0
	for i := range 400 {
		k := math.Pow(10, -2+8*r.Float64())
		svc := newService(1, 1/k)
		eta := svc.rate * math.Pow(10, -3+6*r.Float64())
		tm := ServiceQuantile(1, 1/k, 0.01+0.98*r.Float64()) * (1 + 3*r.Float64())
		want, ok := convolveExpSeries(svc, eta, tm)
		if !ok {
			continue
		}
		checked++
		if got := svc.convolveExp(eta, tm); !within(got, want, 1e-9, true) && !within(got, want, 1e-300, false) {
			t.Errorf("#%d k=%g η=%g t=%g: J = %.15g, series %.15g (rel err %.2g)", i, k, eta, tm, got, want, relErr(got, want))
		}
	}
	t.Logf("%d cases checked", checked)
	if checked < 200 {
		t.Errorf("only %d of 400 random cases were checked", checked)
	}
}

// TestResponseQuantileGGc_SmallCS2 checks continuity as the service time
// becomes constant: the quantile tends to the c_s² = 0 value from above.
func TestResponseQuantileGGc_SmallCS2(t *testing.T) {
	det, err := ResponseQuantileGGc(9, 1, 10, 1, 0, 0.95)
	if err != nil {
		t.Fatal(err)
	}
	prev := det
	for _, cs2 := range []float64{1e-12, 1e-9, 1e-6, 1e-4, 1e-2} {
		got, err := ResponseQuantileGGc(9, 1, 10, 1, cs2, 0.95)
		if err != nil {
			t.Fatal(err)
		}
		if got < prev || got-det > 10*math.Sqrt(cs2)+1e-9 {
			t.Errorf("cs2=%g: p95 %.12f, constant-service p95 %.12f, previous %.12f", cs2, got, det, prev)
		}
		prev = got
	}
}

// TestResponseQuantileGGc_Deterministic checks c_s² = 0: T = W + 1/μ, with
// W = 0 w.p. 1 − C and exponential with rate η = 2(cμ − λ)/c_a² otherwise.
func TestResponseQuantileGGc_Deterministic(t *testing.T) {
	for _, tt := range []struct {
		lambda float64
		c      int
		ca2, p float64
	}{{0.8, 1, 1, 0.95}, {8, 10, 0.5, 0.99}, {8, 10, 1, 0.5}} {
		pw := ErlangC(tt.c, tt.lambda)
		eta := 2 * (float64(tt.c) - tt.lambda) / tt.ca2
		want := 1.0
		if pw > 1-tt.p {
			want += math.Log(pw/(1-tt.p)) / eta
		}
		got, err := ResponseQuantileGGc(tt.lambda, 1, tt.c, tt.ca2, 0, tt.p)
		if err != nil || relErr(got, want) > 1e-14 {
			t.Errorf("%+v: ResponseQuantileGGc = %.17g, %v; want %.17g", tt, got, err, want)
		}
	}
}

func TestResponseQuantileGGc_Properties(t *testing.T) {
	r := queueingRand()
	for i := range 150 {
		c := 1 + r.IntN(100)
		lambda := float64(c) * (0.05 + 0.94*r.Float64())
		ca2, cs2 := 2*r.Float64(), 4*r.Float64()
		p := 0.5 + 0.499*r.Float64()
		name := fmt.Sprintf("#%d λ=%g c=%d ca2=%g cs2=%g p=%g", i, lambda, c, ca2, cs2, p)
		q, err := ResponseQuantileGGc(lambda, 1, c, ca2, cs2, p)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if sq := ServiceQuantile(1, cs2, p); q < sq {
			t.Fatalf("%s: response quantile %g below the service quantile %g", name, q, sq)
		}
		if s, _ := ResponseSurvivalGGc(lambda, 1, c, ca2, cs2, q); math.Abs(s-(1-p)) > 1e-12 {
			t.Fatalf("%s: P(T > %g) = %.17g, want %g", name, q, s, 1-p)
		}
		if q2, _ := ResponseQuantileGGc(lambda, 1, c, ca2+0.5, cs2, p); q2 < q {
			t.Fatalf("%s: quantile fell when ca2 rose: %g then %g", name, q, q2)
		}
		if q3, _ := ResponseQuantileGGc(lambda, 1, c+1, ca2, cs2, p); q3 > q {
			t.Fatalf("%s: quantile rose when c rose: %g then %g", name, q, q3)
		}
	}
}

// simulateMGc runs a seeded FCFS M/G/c simulation with gamma service
// (mean 1/μ, squared CV cs2) and returns the mean wait and the p95 and p99
// of the response time over n customers after a warm-up of n/10. Each
// arrival takes the server that frees first (Kiefer–Wolfowitz recursion).
func simulateMGc(seed uint64, lambda, mu float64, c int, cs2 float64, n int) (meanWait, p95, p99 float64) {
	arrivals := rand.New(rand.NewPCG(seed, 1))
	service := distuv.Gamma{Alpha: 1 / cs2, Beta: mu / cs2, Src: rand.NewPCG(seed, 2)}
	free := make([]float64, c)
	resp := make([]float64, 0, n)
	var now, sumWait float64
	for i := range n + n/10 {
		now += arrivals.ExpFloat64() / lambda
		j := 0
		for k := range free {
			if free[k] < free[j] {
				j = k
			}
		}
		start := math.Max(now, free[j])
		s := service.Rand()
		free[j] = start + s
		if i >= n/10 {
			sumWait += start - now
			resp = append(resp, start-now+s)
		}
	}
	slices.Sort(resp)
	return sumWait / float64(n), resp[n*95/100], resp[n*99/100]
}

// TestGGc_Simulation is a smoke test of the approximations against a seeded
// M/G/c simulation (queueing.md §3: "a seeded-simulation smoke test for the
// G/G/c approximations"). The tolerances are those of the approximations,
// not of the code: they catch gross mistakes, not percent-level bias.
func TestGGc_Simulation(t *testing.T) {
	if testing.Short() {
		t.Skip("simulation")
	}
	for _, tt := range []struct {
		c        int
		rho, cs2 float64
	}{{10, 0.8, 0.25}, {10, 0.8, 2}, {2, 0.7, 0.5}, {1, 0.8, 4}} {
		t.Run(fmt.Sprintf("c=%d,rho=%g,cs2=%g", tt.c, tt.rho, tt.cs2), func(t *testing.T) {
			lambda := tt.rho * float64(tt.c)
			w, p95, p99 := simulateMGc(1, lambda, 1, tt.c, tt.cs2, 300000)
			ac, err := MeanWaitAllenCunneen(lambda, 1, tt.c, 1, tt.cs2)
			if err != nil {
				t.Fatal(err)
			}
			q95, _ := ResponseQuantileGGc(lambda, 1, tt.c, 1, tt.cs2, 0.95)
			q99, _ := ResponseQuantileGGc(lambda, 1, tt.c, 1, tt.cs2, 0.99)
			for _, chk := range []struct {
				what             string
				approx, sim, tol float64
			}{{"mean wait (Allen–Cunneen)", ac, w, 0.15}, {"p95 response", q95, p95, 0.03}, {"p99 response", q99, p99, 0.12}} {
				if e := relErr(chk.approx, chk.sim); e > chk.tol {
					t.Errorf("%s: approximation %.4g, simulation %.4g: off by %.1f %%, tolerance %.0f %%", chk.what, chk.approx, chk.sim, 100*e, 100*chk.tol)
				}
			}
		})
	}
}

func TestServiceQuantile(t *testing.T) {
	for _, tt := range []struct {
		name         string
		mu, cs2, p   float64
		want, relTol float64
	}{
		{"exponential p95", 2, 1, 0.95, math.Log(20) / 2, 1e-15},
		{"exponential median", 1, 1, 0.5, math.Ln2, 1e-15},
		{"constant", 4, 0, 0.99, 0.25, 0},
	} {
		if got := ServiceQuantile(tt.mu, tt.cs2, tt.p); relErr(got, tt.want) > tt.relTol {
			t.Errorf("%s: ServiceQuantile = %.17g, want %.17g", tt.name, got, tt.want)
		}
	}
	// Erlang-2 (cs2 = 0.5): P(S > t) = e^{−x}(1 + x), x = 2μt.
	for _, p := range []float64{0.1, 0.5, 0.95, 0.999} {
		q := ServiceQuantile(1, 0.5, p)
		if got := math.Exp(-2*q) * (1 + 2*q); relErr(got, 1-p) > 1e-12 {
			t.Errorf("Erlang-2 p=%g: P(S > %g) = %.17g, want %g", p, q, got, 1-p)
		}
	}
	// General shape: the distribution function at the quantile is p.
	for _, cs2 := range []float64{0.001, 0.3, 2, 10, 100} {
		for _, p := range []float64{0.05, 0.5, 0.95, 0.9999} {
			k := 1 / cs2
			q := ServiceQuantile(3, cs2, p)
			if got := mathext.GammaIncReg(k, q*3*k); relErr(got, p) > 1e-10 {
				t.Errorf("cs2=%g p=%g: P(S ≤ %g) = %.17g", cs2, p, q, got)
			}
		}
	}
	for _, bad := range [][3]float64{{0, 1, 0.5}, {1, -1, 0.5}, {1, MaxCS2 * 2, 0.5}, {1, 1, 0}, {1, 1, 1}, {math.NaN(), 1, 0.5}} {
		if got := ServiceQuantile(bad[0], bad[1], bad[2]); !math.IsNaN(got) {
			t.Errorf("ServiceQuantile(%v) = %g, want NaN", bad, got)
		}
	}
}

func TestFitServiceCS2(t *testing.T) {
	for _, p := range []float64{0.9, 0.95, 0.99} {
		for _, cs2 := range []float64{0.001, 0.05, 0.25, 1, 2.5, 4} {
			q := ServiceQuantile(1/0.2, cs2, p)
			got, err := FitServiceCS2(0.2, q, p)
			if err != nil || relErr(got, cs2) > 1e-9 {
				t.Errorf("p=%g cs2=%g: FitServiceCS2(0.2, %g) = %.17g, %v", p, cs2, q, got, err)
			}
		}
	}
	// Exponential: p95 = 3·mean gives cs2 = 1.
	if got, err := FitServiceCS2(0.1, 0.1*math.Log(20), 0.95); err != nil || relErr(got, 1) > 1e-9 {
		t.Errorf("FitServiceCS2(exponential p95) = %g, %v; want 1", got, err)
	}
	if got, err := FitServiceCS2(1, 1, 0.95); err != nil || got != 0 {
		t.Errorf("FitServiceCS2(quantile = mean) = %g, %v; want 0", got, err)
	}
	// A p95 below the mean fits only a very skewed gamma (the falling
	// branch); the result must still reproduce the quantile.
	if got, err := FitServiceCS2(1, 0.8, 0.95); err != nil || relErr(ServiceQuantile(1, got, 0.95), 0.8) > 1e-9 {
		t.Errorf("FitServiceCS2(1, 0.8, 0.95) = %g, %v", got, err)
	}
	// No gamma with mean 1 has a p95 of 10: the largest is about 5.82.
	_, err := FitServiceCS2(1, 10, 0.95)
	var inf *InfeasibleError
	if !errors.As(err, &inf) || math.Abs(inf.Bound-5.82) > 0.01 {
		t.Errorf("FitServiceCS2(1, 10, 0.95) error = %v, want *InfeasibleError with Bound ≈ 5.82", err)
	}
	if inf != nil && inf.Bound < ServiceQuantile(1, 11.9, 0.95) {
		t.Errorf("Bound %g is below an attainable quantile %g", inf.Bound, ServiceQuantile(1, 11.9, 0.95))
	}
	for _, bad := range [][3]float64{{0, 1, 0.9}, {1, -1, 0.9}, {1, 2, 1}, {math.Inf(1), 2, 0.9}} {
		if _, err := FitServiceCS2(bad[0], bad[1], bad[2]); !errors.Is(err, ErrInvalidInput) {
			t.Errorf("FitServiceCS2(%v) error = %v, want ErrInvalidInput", bad, err)
		}
	}
}

func TestGGc_Errors(t *testing.T) {
	for _, tt := range []struct {
		name string
		f    func() (float64, error)
		is   error
	}{
		{"unstable", func() (float64, error) { return ResponseQuantileGGc(10, 1, 10, 1, 1, 0.9) }, ErrUnstable},
		{"cs2 too large", func() (float64, error) { return ResponseQuantileGGc(1, 1, 2, 1, 101, 0.9) }, ErrInvalidInput},
		{"ca2 negative", func() (float64, error) { return ResponseQuantileGGc(1, 1, 2, -1, 1, 0.9) }, ErrInvalidInput},
		{"p", func() (float64, error) { return ResponseQuantileGGc(1, 1, 2, 1, 1, 1) }, ErrInvalidInput},
		{"c", func() (float64, error) { return ResponseQuantileGGc(1, 1, 0, 1, 1, 0.5) }, ErrInvalidInput},
		{"survival t", func() (float64, error) { return ResponseSurvivalGGc(1, 1, 2, 1, 1, math.NaN()) }, ErrInvalidInput},
		{"survival unstable", func() (float64, error) { return ResponseSurvivalGGc(3, 1, 2, 1, 1, 1) }, ErrUnstable},
		{"mean unstable", func() (float64, error) { return MeanResponseGGc(3, 1, 2, 1, 1) }, ErrUnstable},
	} {
		if _, err := tt.f(); !errors.Is(err, tt.is) {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.is)
		}
	}
	if got, err := ResponseSurvivalGGc(1, 1, 2, 1, 0.5, -1); err != nil || got != 1 {
		t.Errorf("ResponseSurvivalGGc(t = −1) = %g, %v; want 1", got, err)
	}
}

func BenchmarkResponseQuantileGGc(b *testing.B) {
	for _, tt := range []struct {
		c        int
		cs2, rho float64
	}{{1, 1, 0.8}, {10, 0.25, 0.9}, {10, 4, 0.9}, {1000, 0.5, 0.99}} {
		lambda := tt.rho * float64(tt.c)
		b.Run(fmt.Sprintf("c=%d,cs2=%g", tt.c, tt.cs2), func(b *testing.B) {
			for b.Loop() {
				sink, _ = ResponseQuantileGGc(lambda, 1, tt.c, 1, tt.cs2, 0.95)
			}
		})
	}
}

func BenchmarkFitServiceCS2(b *testing.B) {
	for b.Loop() {
		sink, _ = FitServiceCS2(0.2, 0.6, 0.95)
	}
}

func BenchmarkServiceQuantile(b *testing.B) {
	for _, cs2 := range []float64{0.01, 0.25, 1, 4, 50} {
		b.Run(fmt.Sprintf("cs2=%g", cs2), func(b *testing.B) {
			for b.Loop() {
				sink = ServiceQuantile(1, cs2, 0.95)
			}
		})
	}
}

func BenchmarkResponseSurvivalGGc(b *testing.B) {
	for _, tt := range []struct {
		c        int
		cs2, rho float64
	}{{1, 1, 0.8}, {10, 0.25, 0.9}, {10, 4, 0.9}, {1000, 0.5, 0.99}} {
		lambda := tt.rho * float64(tt.c)
		q, _ := ResponseQuantileGGc(lambda, 1, tt.c, 1, tt.cs2, 0.95)
		b.Run(fmt.Sprintf("c=%d,cs2=%g", tt.c, tt.cs2), func(b *testing.B) {
			for b.Loop() {
				sink, _ = ResponseSurvivalGGc(lambda, 1, tt.c, 1, tt.cs2, q)
			}
		})
	}
}
