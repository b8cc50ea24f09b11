package model

import (
	"errors"
	"math"
)

// The two-moment G/G/c response time of ResponseSurvivalGGc with the
// service time of a named family instead of the gamma:
//
//	P(T > t) ≈ P(S > t) + C(c, a)·J(t),  J(t) = ∫₀ᵗ g(s)·e^{−η(t−s)} ds,
//	η = 2(cμ − λ)/(c_a² + c_s²),
//
// with g the family's density of mean 1/μ and squared coefficient of
// variation c_s². The wait is the same (Erlang C times an exponential of the
// Allen–Cunneen mean); the tail of T beyond the wait is the family's. J has
// no closed form for the lognormal or the Weibull, so it is integrated
// numerically (familyConvolve).

// familyDist is a service-time family member with mean m and cs2.
type familyDist struct {
	family    string
	m         float64
	mu, sigma float64 // lognormal: ln S ~ N(mu, sigma²)
	k, scale  float64 // Weibull shape and scale
	gamma     service // gamma and exponential
}

func newFamilyDist(family string, mean, cs2 float64) (familyDist, error) {
	d := familyDist{family: family, m: mean}
	switch family {
	case FamilyLognormal:
		s2 := math.Log1p(cs2)
		d.mu, d.sigma = math.Log(mean)-s2/2, math.Sqrt(s2)
		if d.sigma == 0 {
			return d, &InputError{Arg: "cs2", Value: cs2, Want: "above 0 for a lognormal"}
		}
	case FamilyWeibull:
		d.k = WeibullShape(cs2)
		if d.k == 0 {
			return d, &InputError{Arg: "cs2", Value: cs2, Want: "a Weibull's (shape 0.1 to 50)"}
		}
		lg, _ := math.Lgamma(1 + 1/d.k)
		d.scale = mean / math.Exp(lg)
	case FamilyGamma, FamilyExponential, "":
		if family == FamilyExponential {
			cs2 = 1
		}
		if err := checkCS2(cs2); err != nil {
			return d, err
		}
		d.gamma = newService(1/mean, cs2)
	default:
		return d, &InputError{Arg: "family", Value: math.NaN(), Want: "exponential, gamma, lognormal or weibull"}
	}
	return d, nil
}

func (d familyDist) cdf(t float64) float64 {
	if t <= 0 {
		return 0
	}
	switch d.family {
	case FamilyLognormal:
		return 0.5 * math.Erfc(-(math.Log(t)-d.mu)/(d.sigma*math.Sqrt2))
	case FamilyWeibull:
		return -math.Expm1(-math.Pow(t/d.scale, d.k))
	}
	return 1 - d.gamma.survival(t)
}

func (d familyDist) survival(t float64) float64 {
	if t <= 0 {
		return 1
	}
	switch d.family {
	case FamilyLognormal:
		return 0.5 * math.Erfc((math.Log(t)-d.mu)/(d.sigma*math.Sqrt2))
	case FamilyWeibull:
		return math.Exp(-math.Pow(t/d.scale, d.k))
	}
	return d.gamma.survival(t)
}

// sDensity is s·g(s), the density of ln S, which is smooth in ln s for
// every family.
func (d familyDist) sDensity(s float64) float64 {
	switch d.family {
	case FamilyLognormal:
		z := (math.Log(s) - d.mu) / d.sigma
		return math.Exp(-z*z/2) / (d.sigma * math.Sqrt(2*math.Pi))
	case FamilyWeibull:
		x := math.Pow(s/d.scale, d.k)
		return d.k * x * math.Exp(-x)
	}
	return s * d.gamma.density(s)
}

func (d familyDist) quantile(p float64) float64 {
	if d.family == FamilyLognormal || d.family == FamilyWeibull {
		return FamilyQuantile(d.family, d.m, d.cs2(), p)
	}
	return d.gamma.quantile(p)
}

func (d familyDist) cs2() float64 {
	switch d.family {
	case FamilyLognormal:
		return math.Expm1(d.sigma * d.sigma)
	case FamilyWeibull:
		return weibullCS2(d.k)
	}
	if d.gamma.k == 0 {
		return 0
	}
	return 1 / d.gamma.k
}

// Gauss–Legendre nodes and weights of order 8 on [−1, 1] (Abramowitz &
// Stegun, table 25.4).
var (
	gl8x = [4]float64{0.1834346424956498, 0.5255324099163290, 0.7966664774136267, 0.9602898564975363}
	gl8w = [4]float64{0.3626837833783620, 0.3137066278285730, 0.2223810344533745, 0.1012285362903763}
)

// gl8 integrates f over [a, b] with 8-point Gauss–Legendre.
func gl8(f func(float64) float64, a, b float64) float64 {
	h, c := (b-a)/2, (a+b)/2
	sum := 0.0
	for i, x := range gl8x {
		sum += gl8w[i] * (f(c-h*x) + f(c+h*x))
	}
	return h * sum
}

// familyConvolve returns J(t) = ∫₀ᵗ g(s)·e^{−η(t−s)} ds: below s₀ = t·e^{−40}
// as F(s₀)·e^{−ηt} (the exponential factor is e^{−ηt} to within e^{−40}·ηt
// there), from s₀ to t/2 in x = ln s (where s·g(s) is smooth) on 40 panels,
// and from t/2 to t in s on 32 panels (where e^{−η(t−s)} changes fastest),
// each panel by 8-point Gauss–Legendre.
func (d familyDist) familyConvolve(eta, t float64) float64 {
	if t <= 0 {
		return 0
	}
	s0 := t * math.Exp(-40)
	j := d.cdf(s0) * math.Exp(-eta*t)
	fx := func(x float64) float64 {
		s := math.Exp(x)
		return d.sDensity(s) * math.Exp(-eta*(t-s))
	}
	const logPanels, linPanels = 40, 32
	a, b := math.Log(s0), math.Log(t/2)
	for i := range logPanels {
		j += gl8(fx, a+(b-a)*float64(i)/logPanels, a+(b-a)*float64(i+1)/logPanels)
	}
	fs := func(s float64) float64 { return d.sDensity(s) / s * math.Exp(-eta*(t-s)) }
	for i := range linPanels {
		j += gl8(fs, t/2+t/2*float64(i)/linPanels, t/2+t/2*float64(i+1)/linPanels)
	}
	return j
}

// ResponseQuantileGGcFamily is ResponseQuantileGGc with the service time of
// the named family (exponential, gamma, lognormal or weibull; "" is gamma)
// of mean 1/mu and squared coefficient of variation cs2: the same wait, the
// family's tail. The convolution is integrated numerically (about 1e−7
// relative; it agrees with ResponseQuantileGGc's closed form for the gamma,
// TestResponseQuantileGGcFamily_Gamma) and the quantile found by bisection
// between the service-time quantile and a doubling upper bound. An
// approximation, like ResponseQuantileGGc. It returns an *InputError for
// invalid arguments and an error wrapping ErrUnstable when λ/μ ≥ c.
func ResponseQuantileGGcFamily(family string, lambda, mu float64, c int, ca2, cs2, p float64) (float64, error) {
	if family == FamilyGamma || family == "" || family == FamilyExponential && cs2 == 1 {
		return ResponseQuantileGGc(lambda, mu, c, ca2, cs2, p)
	}
	if err := errors.Join(checkNonNegative("ca2", ca2), checkProb("p", p)); err != nil {
		return 0, err
	}
	if !isPositive(mu) {
		return 0, &InputError{Arg: "mu", Value: mu, Want: "a positive number"}
	}
	d, err := newFamilyDist(family, 1/mu, cs2)
	if err != nil {
		return 0, err
	}
	a, err := stableQueue(lambda, mu, c)
	if err != nil {
		return 0, err
	}
	return familyResponseQuantile(d, a, c, mu, ca2, p), nil
}

// ResponseSurvivalGGcFamily is P(T > t) for the response time of
// ResponseQuantileGGcFamily's queue: the family's service-time survival plus
// the Erlang-C-weighted convolution with the exponential wait — the
// fraction of requests slower than t, which an error budget counts. At
// lambda = 0 it is the service time's survival. Gamma (and exponential)
// are ResponseSurvivalGGc.
func ResponseSurvivalGGcFamily(family string, lambda, mu float64, c int, ca2, cs2, t float64) (float64, error) {
	if family == FamilyGamma || family == "" || family == FamilyExponential && cs2 == 1 {
		if lambda == 0 {
			return ServiceSurvival(mu, cs2, t), nil
		}
		return ResponseSurvivalGGc(lambda, mu, c, ca2, cs2, t)
	}
	if err := checkNonNegative("ca2", ca2); err != nil {
		return 0, err
	}
	if !isPositive(mu) {
		return 0, &InputError{Arg: "mu", Value: mu, Want: "a positive number"}
	}
	if math.IsNaN(t) {
		return 0, &InputError{Arg: "t", Value: t, Want: "a number"}
	}
	d, err := newFamilyDist(family, 1/mu, cs2)
	if err != nil {
		return 0, err
	}
	if lambda == 0 {
		return d.survival(t), nil
	}
	a, err := stableQueue(lambda, mu, c)
	if err != nil {
		return 1, err
	}
	return familyResponseSurvival(d, a, c, mu, ca2)(t), nil
}

// familyResponseSurvival is the survival function of the response time:
// the family's service-time survival plus the Erlang-C-weighted
// convolution with the exponential wait of rate eta.
func familyResponseSurvival(d familyDist, a float64, c int, mu, ca2 float64) func(float64) float64 {
	delay := ErlangC(c, a)
	eta := 2 * mu * (float64(c) - a) / (ca2 + d.cs2())
	return func(t float64) float64 {
		if math.IsInf(eta, 1) || delay == 0 {
			return d.survival(t)
		}
		return d.survival(t) + delay*d.familyConvolve(eta, t)
	}
}

func familyResponseQuantile(d familyDist, a float64, c int, mu, ca2, p float64) float64 {
	surv := familyResponseSurvival(d, a, c, mu, ca2)
	y := 1 - p
	lo := d.quantile(p)
	if surv(lo) <= y {
		return lo
	}
	hi := lo + 1/mu
	for i := 0; surv(hi) > y; i++ {
		if i > 200 {
			return math.Inf(1)
		}
		hi *= 2
	}
	return bisect(func(t float64) bool { return surv(t) <= y }, lo, hi)
}
