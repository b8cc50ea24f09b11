package model

import (
	"errors"
	"fmt"
	"math"
)

// This file holds the service-time model of the G/G/c functions: a gamma
// distribution with mean 1/μ and squared coefficient of variation c_s²
// (service), its quantile (ServiceQuantile) and the fit of c_s² to a
// measured mean and percentile (FitServiceCS2).

// MaxCS2 is the largest squared coefficient of variation of the service time
// accepted by the functions that model it as a gamma distribution. A gamma
// distribution with c_s² = 100 (shape 0.01) already puts half of its mass
// below 10⁻²⁸ times its mean, so larger values describe no service process
// worth modelling this way.
const MaxCS2 = 100

// checkCS2 validates a service-time squared coefficient of variation for the
// gamma model.
func checkCS2(cs2 float64) error {
	if !(cs2 >= 0 && cs2 <= MaxCS2) {
		return &InputError{Arg: "cs2", Value: cs2, Want: fmt.Sprintf("between 0 and MaxCS2 = %d", MaxCS2)}
	}
	return nil
}

// service is the gamma service-time distribution with mean 1/μ and squared
// coefficient of variation c_s² = 1/k: shape k, rate kμ. c_s² = 0 is the
// constant service time 1/μ.
type service struct {
	mu, k, rate float64
	logNorm     float64 // ln of the density's constant, k·ln(kμ) − ln Γ(k)
	logConst    float64 // ln(kμ) − stirlerr(k) − ½·ln(2πk), for k ≥ 1
}

func newService(mu, cs2 float64) service {
	if cs2 == 0 {
		return service{mu: mu}
	}
	k := 1 / cs2
	lg, _ := math.Lgamma(k)
	return service{
		mu: mu, k: k, rate: k * mu,
		logNorm:  k*math.Log(k*mu) - lg,
		logConst: math.Log(k*mu) - stirlerr(k) - 0.5*math.Log(2*math.Pi*k),
	}
}

// logDensity returns the log of the gamma density at t > 0. For k ≥ 1 it
// uses the saddle-point form of C. Loader ("Fast and accurate computation of
// binomial probabilities", 2000),
//
//	ln g(t) = ln(kμ) + ln(k/x) − stirlerr(k) − bd0(k, x) − ½·ln(2πk),  x = kμt,
//
// which avoids the cancellation between k·ln x and ln Γ(k) that costs the
// direct form about k·ln k ulps (1e−9 relative at k = 10⁶).
func (s service) logDensity(t float64) float64 {
	if s.k < 1 {
		return s.logNorm + (s.k-1)*logAny(t) - s.rate*t
	}
	x := s.rate * t
	return s.logConst + math.Log(s.k/x) - bd0(s.k, x)
}

func (s service) deterministic() bool { return s.k == 0 }

// survival returns P(S > t).
func (s service) survival(t float64) float64 {
	switch {
	case t <= 0:
		return 1
	case s.deterministic():
		if t < 1/s.mu {
			return 1
		}
		return 0
	case s.k == 1:
		return math.Exp(-s.rate * t)
	}
	return gammaQ(s.k, s.rate*t)
}

// density returns the density of S at t (0 for constant service, whose
// distribution has no density).
func (s service) density(t float64) float64 {
	if t <= 0 || s.deterministic() {
		return 0
	}
	return math.Exp(s.logDensity(t))
}

// quantile returns the p-quantile of S, 0 < p < 1.
func (s service) quantile(p float64) float64 {
	switch {
	case s.deterministic():
		return 1 / s.mu
	case s.k == 1:
		return -math.Log1p(-p) / s.mu
	}
	return gammaQuantile(s.k, p) / s.rate
}

// ServiceQuantile returns the p-quantile of a gamma-distributed service time
// with mean 1/mu and squared coefficient of variation cs2 (shape 1/cs2, rate
// mu/cs2): −ln(1 − p)/μ when cs2 = 1 (exponential), 1/μ when cs2 = 0
// (constant), and otherwise P⁻¹(1/cs2, p)·cs2/μ with P⁻¹ the inverse of the
// regularised lower incomplete gamma function, found by Halley's method on
// the logarithm of the tail (P for p ≤ ½, 1 − P above) to the accuracy of the
// tail, about 1e−14 relative. One call costs about 1–2 µs. It returns 0 when
// the quantile is below the smallest float64 (p = 10⁻⁶ at cs2 = 100).
//
// Because the response time T = W + S is never below S, no number of servers
// brings the p-quantile of T below this value. It returns NaN when mu is
// not a positive finite number, cs2 is outside [0, MaxCS2] or p is not
// strictly between 0 and 1.
func ServiceQuantile(mu, cs2, p float64) float64 {
	if !isPositive(mu) || checkCS2(cs2) != nil || checkProb("p", p) != nil {
		return math.NaN()
	}
	return newService(mu, cs2).quantile(p)
}

// ServiceSurvival returns P(S > t) for the gamma-distributed service time
// of ServiceQuantile (mean 1/mu, squared coefficient of variation cs2): 1 for
// t ≤ 0, e^{−μt} when cs2 = 1, and the regularised upper incomplete gamma
// function Q(1/cs2, μt/cs2) otherwise. It returns NaN when mu is not a
// positive finite number, cs2 is outside [0, MaxCS2] or t is NaN.
func ServiceSurvival(mu, cs2, t float64) float64 {
	if !isPositive(mu) || checkCS2(cs2) != nil || math.IsNaN(t) {
		return math.NaN()
	}
	return newService(mu, cs2).survival(t)
}

// FitServiceCS2 returns the squared coefficient of variation c_s² of the
// gamma distribution with the given mean whose p-quantile equals quantile: the
// inverse of ServiceQuantile in cs2, for turning a measured mean and a
// measured percentile (from a latency histogram) into model input.
//
// The p-quantile is not monotone in c_s²: for p above ½ it rises from the
// mean (c_s² = 0) to a maximum (at c_s² ≈ 5 for p90, 12 for p95, 66 for p99,
// beyond MaxCS2 for p99.9) and then falls towards 0 as the distribution piles
// up near zero. FitServiceCS2 returns the smallest c_s² in [0, MaxCS2] that
// fits, which for quantile ≥ mean is on the rising branch.
// When no c_s² fits (the quantile is larger than any gamma distribution with
// this mean can have), it returns an *InfeasibleError whose Bound is the
// largest attainable p-quantile. It returns an *InputError when mean or
// quantile is not a positive finite number or p is not strictly between 0
// and 1.
func FitServiceCS2(mean, quantile, p float64) (float64, error) {
	if err := errors.Join(checkPositive("mean", mean), checkPositive("quantile", quantile), checkProb("p", p)); err != nil {
		return 0, err
	}
	svcQuantile := func(cs2 float64) float64 { return newService(1/mean, cs2).quantile(p) }
	if quantile == mean {
		return 0, nil
	}
	// Scan a geometric grid of cs2 (ratio 2, from 1e−6 to MaxCS2) for the
	// first crossing, then solve inside it.
	solve := func(a, b, qa, qb float64) float64 {
		return solveBracketed(func(y float64) float64 { return svcQuantile(y) - quantile }, a, b, qa-quantile, qb-quantile)
	}
	prevX, prevQ := 0.0, mean
	prevPrevX, prevPrevQ := 0.0, mean
	best, bestX := mean, 0.0 // largest quantile seen, for the error
	x0 := 1e-6
	if g := fitStart(mean, quantile, p); g > 4e-6 && g < MaxCS2/4 {
		// Start the scan at g instead when no crossing can lie below it.
		// The quantile is unimodal in cs2 and equals the mean at 0. A
		// target above the mean: if q(g/2) < q(g) < target, q is still
		// rising at g/2, so it stays below q(g/2) on [0, g/2]. A target
		// below the mean: if q(g) ≥ target, then q ≥ min(mean, q(g)) on
		// [0, g].
		qa, qb := mean, svcQuantile(g)
		if quantile > mean {
			qa = svcQuantile(g / 2)
		}
		if quantile > mean && qa < qb && qb < quantile || quantile < mean && qb >= quantile {
			prevPrevX, prevPrevQ, prevX, prevQ = g/2, qa, g, qb
			best, bestX = math.Max(qa, qb), g
			x0 = 2 * g
		}
	}
	for x := x0; ; x *= fitGridRatio {
		x = math.Min(x, MaxCS2)
		q := svcQuantile(x)
		if (q >= quantile) != (prevQ >= quantile) {
			return solve(prevX, x, prevQ, q), nil
		}
		if quantile > mean && q < prevQ {
			// The quantile rose from the mean and has just turned down
			// without reaching the target: its peak lies in
			// (prevPrevX, x), where the grid may have stepped over a
			// crossing. Locate the peak and decide.
			xm, qm := goldenMax(svcQuantile, prevPrevX, x)
			if qm >= quantile {
				return solve(prevPrevX, xm, prevPrevQ, qm), nil
			}
			best, bestX = qm, xm
			break
		}
		if q > best {
			best, bestX = q, x
		}
		if x == MaxCS2 {
			break
		}
		prevPrevX, prevPrevQ, prevX, prevQ = prevX, prevQ, x, q
	}
	return 0, &InfeasibleError{
		Reason: fmt.Sprintf("no gamma service-time distribution with mean %g and cs2 ≤ %d has a p%g of %g: the largest possible is %.6g (at cs2 = %.3g); check that the quantile and the mean are in the same unit", mean, MaxCS2, 100*p, quantile, best, bestX),
		Bound:  best,
	}
}

// fitStart returns where FitServiceCS2 may start its scan: for a target
// above the mean, an eighth of the cs2 at which the small-cs2 expansion
// quantile ≈ mean·(1 + z_p·√cs2) reaches it; for one below, 1. It returns 0
// when there is no useful start (p ≤ ½).
func fitStart(mean, quantile, p float64) float64 {
	if p <= 0.5 {
		return 0
	}
	if quantile < mean {
		return 1
	}
	z := math.Sqrt2 * math.Erfinv(2*p-1)
	r := (quantile/mean - 1) / z
	return r * r / 8
}

// fitGridRatio is the ratio between successive cs2 values FitServiceCS2
// tries. The quantile is unimodal in cs2, so a coarse grid finds the same
// first crossing as a fine one; where it steps over the peak, the
// golden-section search finds it.
const fitGridRatio = 2

// goldenMax returns the maximiser and maximum of a unimodal f on [a, b] by
// golden-section search, to 1e−9 relative in the maximiser, which puts the
// maximum within about 1e−18 relative of the true one.
func goldenMax(f func(float64) float64, a, b float64) (x, fx float64) {
	const invPhi = 0.6180339887498949 // (√5 − 1)/2
	x1, x2 := b-invPhi*(b-a), a+invPhi*(b-a)
	f1, f2 := f(x1), f(x2)
	for i := 0; i < 200 && b-a > 1e-9*b; i++ {
		if f1 >= f2 {
			b, x2, f2 = x2, x1, f1
			x1 = b - invPhi*(b-a)
			f1 = f(x1)
		} else {
			a, x1, f1 = x1, x2, f2
			x2 = a + invPhi*(b-a)
			f2 = f(x2)
		}
	}
	if f1 >= f2 {
		return x1, f1
	}
	return x2, f2
}
