package model

import (
	"errors"
	"fmt"
	"math"
)

// MixtureComponent is one component of a service-time mixture: a request
// kind with its own service-time mean (seconds) and squared coefficient of
// variation, drawn with probability Weight / Σ Weight.
type MixtureComponent struct {
	Weight float64
	Mean   float64
	CS2    float64
}

// Mixture is the exact mean and squared coefficient of variation of a
// finite mixture of service times (a request picks component i with
// probability pᵢ = wᵢ / Σw, then takes that component's time). With
// mᵢ and c²ᵢ the components' means and squared CVs, by the law of total
// expectation:
//
//	E[S]  = Σ pᵢ mᵢ
//	E[S²] = Σ pᵢ mᵢ² (1 + c²ᵢ)
//	c²_S  = E[S²] / E[S]² − 1
//
// (Feller, "An Introduction to Probability Theory and Its Applications",
// vol. II, §II.5 on mixtures). A single component returns its own mean and
// cs2 unchanged.
func Mixture(parts []MixtureComponent) (mean, cs2 float64, err error) {
	if len(parts) == 0 {
		return 0, 0, &InputError{Arg: "parts", Value: 0, Want: "at least one component"}
	}
	total := 0.0
	for i, c := range parts {
		if !(c.Weight > 0) || math.IsInf(c.Weight, 0) {
			return 0, 0, fmt.Errorf("mixture component %d: weight must be a finite number above 0, got %g", i, c.Weight)
		}
		if !(c.Mean > 0) || math.IsInf(c.Mean, 0) {
			return 0, 0, fmt.Errorf("mixture component %d: mean must be a finite number above 0, got %g", i, c.Mean)
		}
		if !(c.CS2 >= 0) || math.IsInf(c.CS2, 0) {
			return 0, 0, fmt.Errorf("mixture component %d: cs2 must be a finite number ≥ 0, got %g", i, c.CS2)
		}
		total += c.Weight
	}
	if len(parts) == 1 {
		return parts[0].Mean, parts[0].CS2, nil
	}
	var m1, m2 float64
	for _, c := range parts {
		p := c.Weight / total
		m1 += p * c.Mean
		m2 += p * c.Mean * c.Mean * (1 + c.CS2)
	}
	cs2 = m2/(m1*m1) - 1
	// Rounding can leave a mixture of equal constants a hair below 0.
	return m1, math.Max(cs2, 0), nil
}

// EndpointResponse is the response time of the requests of one component
// (endpoint) i of a service-time mixture in a G/G/c queue: every request
// waits the queue's shared wait, which depends on the mixture only, then
// takes its own component's service time. The wait is the two-moment
// model of ResponseSurvivalGGc, taken at the mixture's mean and cs²
// (Allen–Cunneen: 0 with probability 1 − C(c, a), else exponential of
// mean (c_a² + c²_S)/(2(cμ − λ)), μ = 1/E[S], a = λ/μ, C Erlang C); the
// component's service time is a gamma of its mean and cs². lambda is the
// queue's arrival rate; it returns the component's mean response time
// (mean wait + its mean) and its p-quantile, an approximation as
// ResponseQuantileGGc is, and a *SaturatedError-wrapping error when the
// queue is unstable.
func EndpointResponse(lambda float64, c int, ca2 float64, parts []MixtureComponent, i int, p float64) (mean, quantile float64, err error) {
	if i < 0 || i >= len(parts) {
		return 0, 0, &InputError{Arg: "i", Value: float64(i), Want: fmt.Sprintf("a component index in [0, %d)", len(parts))}
	}
	if !(p > 0 && p < 1) {
		return 0, 0, &InputError{Arg: "p", Value: p, Want: "in (0, 1)"}
	}
	m, cs2, err := Mixture(parts)
	if err != nil {
		return 0, 0, err
	}
	if err := errors.Join(checkNonNegative("ca2", ca2), checkCS2(cs2), checkCS2(parts[i].CS2)); err != nil {
		return 0, 0, err
	}
	mu := 1 / m
	a, err := stableQueue(lambda, mu, c)
	if err != nil {
		return 0, 0, err
	}
	own := newService(1/parts[i].Mean, parts[i].CS2)
	r := ggcModel(own, a, c, ErlangC(c, a), ca2+cs2)
	// ggcModel takes θ from its service's μ: the wait is the mixture's.
	r.eta = 2 * mu * (float64(c) - a) / (ca2 + cs2)
	wait := 0.0
	if r.delayProb > 0 && !math.IsInf(r.eta, 1) {
		wait = r.delayProb / r.eta
	}
	return wait + parts[i].Mean, r.quantile(p), nil
}
