package model

import (
	"math"
)

// This file holds the Halfin–Whitt (quality-and-efficiency-driven) limit of
// the M/M/c queue and the square-root staffing rule built on it. Both are
// asymptotic approximations: good near the knee (relative error under 1 % for
// β ≤ 1 at a ≥ 1000), poor deep in the tail (−22 % at β = 3.3: c = 1000,
// a = 900), both measured against exact Erlang C. headroom uses them for
// first guesses and explanations; the MinServers searches give the exact
// answers.

// HalfinWhittDelayProb returns the Halfin–Whitt limit of the delay probability
// for square-root staffing c = a + β√a as a → ∞ (S. Halfin and W. Whitt,
// "Heavy-traffic limits for queues with many exponential servers",
// Operations Research 29(3):567–588, 1981):
//
//	α(β) = [1 + β·Φ(β)/φ(β)]⁻¹,
//
// Φ and φ the standard normal distribution and density. It is evaluated in
// log space, so it stays accurate where φ(β) underflows (β ≳ 38). It is an
// approximation of Erlang C. It returns 1 at β = 0 and NaN for β < 0 or NaN.
func HalfinWhittDelayProb(beta float64) float64 {
	if !(beta >= 0) {
		return math.NaN()
	}
	return math.Exp(-halfinWhittLogOdds(beta))
}

// halfinWhittLogOdds returns −ln α(β) = softplus(ln(β·Φ(β)/φ(β))).
func halfinWhittLogOdds(beta float64) float64 {
	if beta == 0 {
		return 0
	}
	if math.IsInf(beta, 1) {
		return math.Inf(1)
	}
	lnPhi := math.Log(0.5 * math.Erfc(-beta/math.Sqrt2)) // ln Φ(β)
	lnphi := -beta*beta/2 - 0.5*math.Log(2*math.Pi)      // ln φ(β)
	return softplus(math.Log(beta) + lnPhi - lnphi)
}

// HalfinWhittBeta returns the β > 0 with HalfinWhittDelayProb(β) = alpha, the
// square-root safety factor for a target delay probability: β(0.5) ≈ 0.50605,
// β(0.2) ≈ 1.06152, β(0.1) ≈ 1.42019, β(0.01) ≈ 2.37489 (equivalently
// β·Φ(β)/φ(β) = (1 − α)/α; Tijms 2003, eq. 5.3.1). It is found by bisection to
// float64 resolution. It returns an *InputError unless 0 < alpha < 1.
func HalfinWhittBeta(alpha float64) (float64, error) {
	if err := checkProb("alpha", alpha); err != nil {
		return 0, err
	}
	want := -math.Log(alpha)
	hi := 1.0
	for halfinWhittLogOdds(hi) < want {
		hi *= 2
	}
	return bisect(func(b float64) bool { return halfinWhittLogOdds(b) >= want }, 0, hi), nil
}

// SqrtStaffingServers returns the square-root staffing rule
//
//	c = ⌈a + β(α)·√a⌉,  a = λ/μ,  β(α) from HalfinWhittBeta,
//
// (Tijms 2003, §5.3, eq. 5.3.1 and the "app" column of Table 5.3.2), raised to
// ⌊a⌋ + 1 if needed so that the queue is stable. It is an approximation: it is
// exact or one server short of MinServersDelayProb up to a = 10⁵ (one short
// at α = 0.01 for every load tried), so use it as a starting point or an
// explanation, not as the answer. It returns an *InputError for invalid
// arguments.
func SqrtStaffingServers(lambda, mu, alpha float64) (int, error) {
	a, err := offeredLoad(lambda, mu)
	if err != nil {
		return 0, err
	}
	beta, err := HalfinWhittBeta(alpha)
	if err != nil {
		return 0, err
	}
	c := int(math.Ceil(a + beta*math.Sqrt(a)))
	return max(c, int(math.Floor(a))+1), nil
}
