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
// form when ca2 = cs2 = 1 (to 1e−9).
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

// TestConvolveExp checks the convolution J(t) = ∫₀ᵗ g(s)e^{−η(t−s)}ds
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

// TestConvolveExp_Random compares the closed forms and the quadrature with
// the series over shapes from 0.01 to 10⁶ and kernel rates from 10⁻³ to 10³
// times the service rate.
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
		// The quadrature is the reference of TestConvolveExp_Oracle.
		if got := svc.convolveExpQuad(eta, tm); !within(got, want, 1e-9, true) && !within(got, want, 1e-300, false) {
			t.Errorf("#%d k=%g η=%g t=%g: quadrature J = %.15g, series %.15g (rel err %.2g)", i, k, eta, tm, got, want, relErr(got, want))
		}
	}
	t.Logf("%d cases checked", checked)
	if checked < 200 {
		t.Errorf("only %d of 400 random cases were checked", checked)
	}
}

// TestConvolveExp_Oracle is the property test of the closed forms of
// convolveExp against the quadrature they replaced (convolveExpQuad), over a
// seeded grid of shapes k (c_s² from 100 down to 10⁻⁶), kernel rates
// η = q·kμ in both regimes (q < 1, where E[e^{ηS}] is finite, and q ≥ 1),
// with q within 10⁻⁹ of 1 on both sides, and times t across the service
// distribution and beyond: to 1e−9 relative, or 1e−15 absolute (the
// quadrature's tolerance) for smaller values. It leaves out what the
// quadrature cannot resolve, η·sd(S) = q·√k above 10⁶ and t below 10⁻²⁵⁰;
// TestConvolveExp_Reference covers those against 60-digit values.
func TestConvolveExp_Oracle(t *testing.T) {
	r := queueingRand()
	shapes := []float64{0.01, 0.05, 0.2, 0.3, 0.7, 1, 1.5, 2, 4.5, 19.9, 20.5, 100, 199, 201, 999, 1001, 2e4, 1e5, 1e6}
	for range 15 {
		shapes = append(shapes, math.Pow(10, -2+8*r.Float64()))
	}
	qs := []float64{1e-6, 1e-3, 0.1, 0.5, 0.9, 0.999, 1 - 1e-6, 1 - 1e-9, 1, 1 + 1e-9, 1 + 1e-6, 1.001, 1.1, 2, 10, 1e3, 1e5}
	var maxRel, maxSmallRel, maxAbs float64
	var worst string
	n := 0
	for _, k := range shapes {
		svc := newService(1, 1/k)
		for _, q := range append(qs, math.Pow(10, -3+6*r.Float64())) {
			if q*math.Sqrt(k) > 1e6 {
				continue
			}
			eta := q * svc.rate
			for _, p := range []float64{1e-6, 0.01, 0.3, 0.5, 0.9, 0.999, 1 - 1e-8} {
				for _, stretch := range []float64{1, 1 + 3*r.Float64()} {
					tm := ServiceQuantile(1, 1/k, p) * stretch
					if !(tm > 1e-250) {
						continue
					}
					got, want := svc.convolveExp(eta, tm), svc.convolveExpQuad(eta, tm)
					n++
					d := math.Abs(got - want)
					if math.IsNaN(got) || d > 1e-9*math.Abs(want)+1e-15 {
						t.Errorf("k=%.6g q=%.10g t=%.6g: J = %.17g, quadrature %.17g (rel %.2g)", k, q, tm, got, want, d/want)
					}
					if want >= 1e-6 && d/want > maxRel {
						maxRel, worst = d/want, fmt.Sprintf("k=%.6g q=%.10g t=%.6g", k, q, tm)
					}
					if want < 1e-6 && want > 0 {
						maxSmallRel = math.Max(maxSmallRel, d/want)
					}
					maxAbs = math.Max(maxAbs, d)
				}
			}
		}
	}
	t.Logf("%d cases; largest deviation: %.2g relative for J ≥ 1e-6 (%s), %.2g relative below, %.2g absolute", n, maxRel, worst, maxSmallRel, maxAbs)
	if n < 5000 {
		t.Errorf("only %d cases", n)
	}
}

// TestConvolveExp_Reference checks convolveExp against 60-digit values
// (mpmath: t·g(t)·M(1, k+1, −z)/k with M Kummer's function, or for k ≥ 10⁸
// the integral ∫₀^∞ exp(−ks + y(1 − e^{−s})) ds) in every branch: η ≫ kμ,
// where the quadrature returns nothing useful; shapes up to 10¹², including
// the band 4.5√k < k − y < 10√k of temmeLower; q = η/(kμ) within 10⁻⁹ of 1;
// and values far below the quadrature's tolerance.
func TestConvolveExp_Reference(t *testing.T) {
	for _, c := range []struct{ cs2, q, t, want float64 }{
		{9.9999999999999995e-07, 100000, 1, 3.9894224716023341228e-9},                   // central moments, k = 10⁶
		{5.0000000000000002e-05, 100000, 0.99628000000000005, 2.4646937236350882325e-8}, // quadrature off by 4e−9
		{3.9999999999999998e-06, 100000, 1.0024999999999999, 3.6486097279934008755e-9},  // quadrature off by 8e−9
		{20, 1, 629.5, 2.6130132397829941508e-14},                                       // quadrature off by 3.5e−4
		{9.9999999999999995e-07, 0.0070000000000000001, 1, 0.055900891292408356507},     // temmeLower, k = 10⁶
		{9.9999999999999995e-07, 0.01, 1, 0.039510494295617557792},                      // lowerAsymptotic, d = 10√k
		{9.9999999999999995e-07, 0.02, 1, 0.019898599188869082116},                      // lowerAsymptotic
		{0.0001, 0.050000000000000003, 1, 0.077053410671293990598},                      // temmeLower, k = 10⁴
		{0.002, 0.20000000000000001, 1, 0.086009420808260410063},                        // series, k = 500
		{1e-08, 0.00059999999999999995, 1, 0.064780292700222745635},                     // temmeLower, k = 10⁸
		{9.9999999999999998e-13, 6.0000000000000002e-06, 1, 0.064779324108470836918},    // temmeLower, k = 10¹²
		{2, 1000, 1, 0.00048491224922720929631},                                         // central moments, k = ½
		{0.5, 10, 3, 0.0016218995723866295854},                                          // Poisson series
		{0.22222222222222221, 1, 1.5, 0.12064864767458833538},                           // η = kμ
		{1, 1, 2, 0.27067056647322538379},                                               // exponential, η = μ
		{1, 3, 2, 0.066428265529973166735},                                              // exponential
		{1, 0.29999999999999999, 2, 0.59068050408201963686},                             // exponential
		{0.40000000000000002, 0.5, 3, 0.1082877099584823096},                            // (b/r)^k·e^{−ηt}·P
		{0.01, 0.10000000000000001, 1, 0.27043838415346518237},                          // gonum's Temme zone
		{100, 0.5, 9.9999999999999998e-201, 0.0096044227843122370444},                   // t = 1e−200
		{0.29999999999999999, 0.99999999900000003, 2, 0.076635529544423970681},          // q = 1 − 1e−9
		{0.29999999999999999, 1.0000000010000001, 2, 0.07663552930862233696},            // q = 1 + 1e−9
		{4, 0.99999899999999997, 20, 0.011116056487577142646},                           // far right tail
		{0.001, 1.5, 1.1000000000000001, 0.000074796032100981654453},                    // central moments, k = 1000
		{9.9999999999999995e-07, 1.5, 1.002, 0.000036065906658925008494},                // central moments, k = 10⁶
	} {
		svc := newService(1, c.cs2)
		if got := svc.convolveExp(c.q*svc.rate, c.t); relErr(got, c.want) > 1e-13 {
			t.Errorf("cs2=%g q=%g t=%g: J = %.17g, want %.17g (rel err %.2g)", c.cs2, c.q, c.t, got, c.want, relErr(got, c.want))
		}
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
// M/G/c simulation. The tolerances are those of the approximations,
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
