package model

import (
	"errors"
	"math"
)

// This file holds the two-moment response-time distribution of the G/G/c
// queue (ResponseSurvivalGGc, ResponseQuantileGGc, MeanResponseGGc): the
// wait of M/M/c scaled by Allen–Cunneen, convolved with gamma service
// (convolveExp).

// convolveExp returns J(t) = ∫₀ᵗ g(s)·e^{−η(t−s)} ds for the service density g
// and η > 0: the part of P(S + E > t) with E ~ Exp(η) that comes from S ≤ t,
// J(t) = e^{−ηt}·E[e^{ηS}; S ≤ t]. For the gamma density (shape k, rate
// b = kμ) the substitution s = t(1 − v) gives
//
//	J(t) = t·g(t)·F(k, z),  F(k, z) = ∫₀¹ (1 − v)^{k−1}·e^{−zv} dv,  z = (η − b)·t,
//
// with t·g(t) = k·(bt)^k·e^{−bt}/Γ(k+1) from Loader's saddle-point form. F is
// evaluated by the branch that is accurate and fast for the sign of z:
//
//   - z ≥ 0 (η ≥ b, where E[e^{ηS}] diverges): F = E[1/(k + N)] with
//     N ~ Poisson(z), summed directly or by its expansion in the central
//     moments of N (poissonMeanInv);
//   - z < 0 (η < b), y = −z: E[e^{ηS}; S ≤ t] = (1 − η/b)^{−k}·P(k, y), so
//     J = (b/r)^k·e^{−ηt}·P(k, y) with r = b − η and P the regularised lower
//     incomplete gamma function. Where P is small (y below k, outside the
//     central zone where gonum's P is accurate) F = e^y·y^{−k}·γ(k, y) comes
//     instead from its series or its large-k expansion (lowerScaled), and in
//     the band where neither is fast P comes from Temme's expansion
//     (temmeLower).
//
// Checked against 50-digit values it is accurate to about 1e−14 relative;
// convolveExpQuad, the quadrature it replaces, agrees with it to its own
// accuracy (TestConvolveExp_Oracle). It costs 0.1–1 µs.
func (s service) convolveExp(eta, t float64) float64 {
	if t <= 0 || math.IsInf(eta, 1) {
		return 0
	}
	if s.deterministic() {
		if m := 1 / s.mu; t >= m {
			return math.Exp(-eta * (t - m))
		}
		return 0
	}
	b, k, x := s.rate, s.k, s.rate*t
	if k == 1 { // exponential service: b·(e^{−bt} − e^{−ηt})/(η − b)
		d := math.Abs(eta - b)
		if d == 0 {
			return x * math.Exp(-x)
		}
		return b * math.Exp(-math.Min(b, eta)*t) * -math.Expm1(-d*t) / d
	}
	z := (eta - b) * t
	switch {
	case math.IsInf(z, 1):
		return 0
	case z >= 0:
		return k * math.Exp(logPoissonTerm(k, x)) * poissonMeanInv(k, z)
	}
	y := -z
	if y < k && !gonumTemmeZone(k, y) && !temmeBand(k, y) {
		return k * math.Exp(logPoissonTerm(k, x)) * lowerScaled(k, y)
	}
	// ln[(b/r)^k·e^{−ηt}], by whichever of two exact forms has the smaller
	// terms (their rounding error is ε times the largest term):
	// −k·ln(1 − η/b) − ηt, or bd0(k, y) − bd0(k, bt), which is small near the
	// centre of the distribution.
	q := eta / b
	d1, e1 := -k*math.Log1p(-q), eta*t
	d2, e2 := bd0(k, y), bd0(k, x)
	logRatio := d1 - e1
	if math.Max(d2, e2) < math.Max(math.Abs(d1), e1) {
		logRatio = d2 - e2
	}
	return math.Exp(logRatio) * gammaP(k, y)
}

// ggcResponse is the two-moment response-time model of a G/G/c queue: the
// wait is 0 with probability 1 − delayProb and exponential with rate eta
// otherwise, the service time is gamma.
type ggcResponse struct {
	svc       service
	delayProb float64
	eta       float64
}

// newGGcResponse validates the arguments of the G/G/c functions and returns
// the model.
func newGGcResponse(lambda, mu float64, c int, ca2, cs2 float64) (ggcResponse, error) {
	if err := errors.Join(checkNonNegative("ca2", ca2), checkCS2(cs2)); err != nil {
		return ggcResponse{}, err
	}
	a, err := stableQueue(lambda, mu, c)
	if err != nil {
		return ggcResponse{}, err
	}
	return ggcModel(newService(mu, cs2), a, c, ErlangC(c, a), ca2+cs2), nil
}

// ggcModel builds the model from the delay probability at c servers:
// conditional wait mean E[W]/P(W>0) = (c_a² + c_s²)/(2(cμ − λ)) (Allen–Cunneen
// divided by Erlang C).
func ggcModel(svc service, a float64, c int, delayProb, scvSum float64) ggcResponse {
	theta := svc.mu * (float64(c) - a)
	return ggcResponse{svc: svc, delayProb: delayProb, eta: 2 * theta / scvSum}
}

func (r ggcResponse) survival(t float64) float64 {
	s, _ := r.survivalDensity(t)
	return s
}

// survivalDensity returns P(T > t) and the density of T at t,
// f_T(t) = (1 − C)·g(t) + C·η·J(t), since J′(t) = g(t) − η·J(t).
func (r ggcResponse) survivalDensity(t float64) (float64, float64) {
	if t < 0 {
		return 1, 0
	}
	s, g := r.svc.survival(t), r.svc.density(t)
	if r.delayProb == 0 {
		return s, g
	}
	if math.IsInf(r.eta, 1) { // no conditional wait (c_a² = c_s² = 0)
		return s, g
	}
	j := r.svc.convolveExp(r.eta, t)
	return s + r.delayProb*j, (1-r.delayProb)*g + r.delayProb*r.eta*j
}

func (r ggcResponse) quantile(p float64) float64 { return r.quantileFrom(p, r.svc.quantile(p)) }

// quantileFrom is quantile with lo the service time's p-quantile.
func (r ggcResponse) quantileFrom(p, lo float64) float64 {
	y := 1 - p
	// T ≥ S, so the quantile is at least lo, where P(S > lo) = 1 − p up to
	// the rounding error of the incomplete gamma function, whose computed
	// values scatter by up to ~1e−14 relative between adjacent t. When the
	// wait adds less than that at lo, the answer is lo: a root search would
	// only follow that scatter, which is not monotone, and could put the
	// quantile of a queue a few ulps below that of a queue with more
	// variable arrivals.
	s0, d0 := r.survivalDensity(lo)
	if s0 <= y*(1+survivalNoise) {
		return lo
	}
	// Newton on ln P(T > t), which is nearly linear in the tail, with
	// derivative −f_T/P(T > t).
	fd := func(t float64) (float64, float64) {
		s, d := s0, d0
		if t != lo {
			s, d = r.survivalDensity(t)
		}
		return math.Log(s), d / s
	}
	// First guess for the upper end: the sum of the quantiles of S and of
	// the wait, which is usually a little above the quantile of T.
	hi := lo + 1/r.svc.mu
	if r.delayProb > y {
		hi = math.Max(hi, lo+math.Log(r.delayProb/y)/r.eta)
	}
	return solveDecreasingNewton(fd, math.Log(y), lo, hi)
}

// survivalNoise is the relative rounding error of the computed service-time
// survival function P(S > t) that ggcResponse.quantile tolerates.
const survivalNoise = 1e-14

// MeanResponseGGc returns the Allen–Cunneen approximation of the mean
// response time of a G/G/c queue, E[T] ≈ E[W] + 1/μ with E[W] from
// MeanWaitAllenCunneen. It is an approximation (exact for M/M/c and M/G/1).
// It returns an *InputError for invalid arguments and an error wrapping
// ErrUnstable when λ/μ ≥ c.
func MeanResponseGGc(lambda, mu float64, c int, ca2, cs2 float64) (float64, error) {
	w, err := MeanWaitAllenCunneen(lambda, mu, c, ca2, cs2)
	if err != nil {
		return 0, err
	}
	return w + 1/mu, nil
}

// ResponseSurvivalGGc returns the two-moment approximation of P(T > t) for
// the response time of a G/G/c FCFS queue:
//
//	P(T > t) ≈ P(S > t) + C(c, a) · ∫₀ᵗ g(s)·e^{−η(t−s)} ds,   η = 2(cμ − λ)/(c_a² + c_s²),
//
// that is: the wait is 0 with probability 1 − C(c, a) (Erlang C, good for
// M/G/c per Whitt 1993 and Tijms 2003) and otherwise exponential with the mean
// E[W]/P(W > 0), E[W] from Allen–Cunneen; the service time S is gamma with
// mean 1/μ and squared coefficient of variation cs2 (density g). The
// convolution has closed forms in incomplete gamma functions (convolveExp):
// with shape k = 1/cs2 and b = kμ, it is e^{−ηt}·(1 − η/b)^{−k}·P(k, (b−η)t)
// for η < b, and t·g(t)·E[1/(k + N)] with N ~ Poisson((η−b)t) for η ≥ b;
// they are evaluated to about 1e−14 relative in 0.1–1 µs. This is an
// approximation; it is exact for M/M/c (ca2 = cs2 = 1), where it equals
// MMc.ResponseSurvival.
//
// cs2 must lie in [0, MaxCS2]. It returns an *InputError for invalid
// arguments and an error wrapping ErrUnstable when λ/μ ≥ c.
func ResponseSurvivalGGc(lambda, mu float64, c int, ca2, cs2, t float64) (float64, error) {
	r, err := newGGcResponse(lambda, mu, c, ca2, cs2)
	if err != nil {
		return 0, err
	}
	if math.IsNaN(t) {
		return 0, &InputError{Arg: "t", Value: t, Want: "a number"}
	}
	return r.survival(t), nil
}

// ResponseQuantileGGc returns the two-moment approximation of the p-quantile
// of the response time T = W + S of a G/G/c FCFS queue: the t with
// P(T > t) = 1 − p for the distribution of ResponseSurvivalGGc, found by
// Newton's method on the logarithm of the survival function (nearly linear in
// the tail) with the density, safeguarded by bisection, to about 1e−15
// relative (the bracket starts at the service-time quantile, since T ≥ S,
// and ends near the sum of the service and wait quantiles). It is an
// approximation, exact (to about 1e−12) for M/M/c: with ca2 = cs2 = 1 it
// equals MMc.ResponseQuantile. One call costs about 1–10 µs, a third of it
// Erlang C at c = 1000.
//
// Arguments: lambda arrival rate, mu service rate of one server (1/E[S]), c
// servers, ca2 and cs2 squared coefficients of variation of inter-arrival and
// service times (cs2 in [0, MaxCS2]), 0 < p < 1. It returns an *InputError for
// invalid arguments and an error wrapping ErrUnstable when λ/μ ≥ c.
func ResponseQuantileGGc(lambda, mu float64, c int, ca2, cs2, p float64) (float64, error) {
	r, err := newGGcResponse(lambda, mu, c, ca2, cs2)
	if err != nil {
		return 0, err
	}
	if err := checkProb("p", p); err != nil {
		return 0, err
	}
	return r.quantile(p), nil
}
