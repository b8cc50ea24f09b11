package model

import (
	"fmt"
	"math"
)

// Service-time families. A mean and one percentile do not pin down a
// heavy-tailed service time: a gamma and a lognormal with the same mean and
// p95 have different variances (cs2) and different tails beyond the p95, and
// so different queueing delays. Naming the family makes the fit exact.
//
// Parameterisations (Johnson, Kotz & Balakrishnan, "Continuous Univariate
// Distributions", vol. 1, 2nd ed., ch. 14 lognormal, ch. 17 gamma, ch. 21
// Weibull):
//
//	exponential  mean m: cs2 = 1
//	gamma        shape k, mean m: cs2 = 1/k
//	lognormal    ln S ~ N(μ, σ²): mean exp(μ + σ²/2), cs2 = exp(σ²) − 1,
//	             p-quantile exp(μ + σ·z_p)
//	weibull      shape k, scale λ: mean λ·Γ(1 + 1/k),
//	             cs2 = Γ(1 + 2/k)/Γ(1 + 1/k)² − 1, p-quantile λ·(−ln(1 − p))^(1/k)
const (
	FamilyExponential = "exponential"
	FamilyGamma       = "gamma"
	FamilyLognormal   = "lognormal"
	FamilyWeibull     = "weibull"
)

// Families lists the parametric service-time families.
var Families = []string{FamilyExponential, FamilyGamma, FamilyLognormal, FamilyWeibull}

// weibullShapeRange bounds the Weibull shapes searched: k = 0.1 has cs2 ≈
// 1.8e5, k = 50 cs2 ≈ 6e−4.
const weibullMinShape, weibullMaxShape = 0.1, 50.0

// FamilyCS2FromQuantile returns the squared coefficient of variation of the
// member of family whose mean is mean and whose p-quantile is quantile (an
// exact fit: the family has two parameters). Exponential has one parameter,
// so its quantile must be the exponential's (within 1 %) or it is an error.
// An *InfeasibleError says that no member of the family has that mean and
// quantile.
func FamilyCS2FromQuantile(family string, mean, quantile, p float64) (float64, error) {
	if err := checkPositive("mean", mean); err != nil {
		return 0, err
	}
	if err := checkPositive("quantile", quantile); err != nil {
		return 0, err
	}
	if err := checkProb("p", p); err != nil {
		return 0, err
	}
	r := quantile / mean
	switch family {
	case FamilyExponential:
		want := -math.Log1p(-p)
		if math.Abs(r/want-1) > 0.01 {
			return 0, &InfeasibleError{Reason: fmt.Sprintf("an exponential service time with mean %g has p%g %g, not %g: give a cv-free family (gamma, lognormal, weibull) or drop the quantile", mean, 100*p, want*mean, quantile), Bound: want * mean}
		}
		return 1, nil
	case FamilyGamma, "":
		return FitServiceCS2(mean, quantile, p)
	case FamilyLognormal:
		// ln r = σ·z − σ²/2: the smaller root σ = z − √(z² − 2 ln r), which
		// exists while ln r ≤ z²/2.
		z := math.Sqrt2 * math.Erfinv(2*p-1)
		d := z*z - 2*math.Log(r)
		if d < 0 {
			bound := mean * math.Exp(z*z/2)
			return 0, &InfeasibleError{Reason: fmt.Sprintf("no lognormal service time with mean %g has a p%g of %g: the largest possible is %.6g", mean, 100*p, quantile, bound), Bound: bound}
		}
		s := z - math.Sqrt(d)
		if s <= 0 {
			return 0, &InfeasibleError{Reason: fmt.Sprintf("a lognormal service time with mean %g has its p%g above the mean, not at %g", mean, 100*p, quantile), Bound: mean}
		}
		return math.Expm1(s * s), nil
	case FamilyWeibull:
		lp := -math.Log1p(-p)
		ratio := func(k float64) float64 {
			lg, _ := math.Lgamma(1 + 1/k)
			return math.Exp(math.Log(lp)/k - lg)
		}
		// The ratio quantile/mean is not monotone in the shape: it falls
		// towards 1 as k grows (the distribution narrows to its mean) and,
		// for small k, falls again as the mean runs off into the tail. As
		// FitServiceCS2 does for the gamma, take the narrowest fit (the
		// largest k, the smallest cs2): find the peak, then solve on
		// [peak, max shape], where the ratio falls.
		kPeak, peak := goldenMax(ratio, weibullMinShape, weibullMaxShape)
		lo := ratio(weibullMaxShape)
		if !(r <= peak && r >= lo) {
			return 0, &InfeasibleError{Reason: fmt.Sprintf("no Weibull service time with shape in [%g, %g] and mean %g has a p%g of %g (its ratio to the mean must be in [%.4g, %.4g])", weibullMinShape, weibullMaxShape, mean, 100*p, quantile, lo, peak), Bound: peak * mean}
		}
		k := bisect(func(k float64) bool { return ratio(k) <= r }, kPeak, weibullMaxShape)
		return weibullCS2(k), nil
	}
	return 0, &InputError{Arg: "family", Value: math.NaN(), Want: "exponential, gamma, lognormal or weibull"}
}

func weibullCS2(k float64) float64 {
	l1, _ := math.Lgamma(1 + 1/k)
	l2, _ := math.Lgamma(1 + 2/k)
	return math.Expm1(l2 - 2*l1)
}

// WeibullShape returns the Weibull shape k whose squared coefficient of
// variation is cs2 (0 when cs2 is outside the shapes [0.1, 50]); cs2 falls
// as k rises, so the shape is unique.
func WeibullShape(cs2 float64) float64 {
	if !(cs2 <= weibullCS2(weibullMinShape) && cs2 >= weibullCS2(weibullMaxShape)) {
		return 0
	}
	// cs2 falls as k rises.
	return bisect(func(k float64) bool { return weibullCS2(k) <= cs2 }, weibullMinShape, weibullMaxShape)
}

// FamilyQuantile returns the p-quantile of the family's member with mean
// mean and squared coefficient of variation cs2; NaN on bad input.
func FamilyQuantile(family string, mean, cs2, p float64) float64 {
	if !isPositive(mean) || !(cs2 >= 0) || checkProb("p", p) != nil {
		return math.NaN()
	}
	switch family {
	case FamilyExponential:
		return -math.Log1p(-p) * mean
	case FamilyGamma, "":
		return ServiceQuantile(1/mean, cs2, p)
	case FamilyLognormal:
		s2 := math.Log1p(cs2)
		mu := math.Log(mean) - s2/2
		return math.Exp(mu + math.Sqrt(s2)*math.Sqrt2*math.Erfinv(2*p-1))
	case FamilyWeibull:
		k := WeibullShape(cs2)
		if k == 0 {
			return math.NaN()
		}
		lg, _ := math.Lgamma(1 + 1/k)
		return mean / math.Exp(lg) * math.Pow(-math.Log1p(-p), 1/k)
	}
	return math.NaN()
}
