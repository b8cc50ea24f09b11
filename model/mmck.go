package model

import (
	"errors"
	"fmt"
	"math"
)

// MMcK is an M/M/c/K queue: Poisson arrivals at rate Lambda, C exponential
// servers of rate Mu each, and room for at most K requests in the system (C
// in service, K − C waiting); arrivals that find K present are blocked (lost,
// or rejected with 429/503 by a bounded worker queue). Because the queue is
// finite it has a steady state at any load, including λ/μ ≥ C.
//
// The stationary distribution is p_n ∝ aⁿ/n! for n ≤ c and
// p_n ∝ (aᶜ/c!)·ρ^{n−c} for c < n ≤ K, a = λ/μ, ρ = a/c (Gross and Harris
// §2.5). Normalised so that p_c = 1, the first c + 1 terms sum to 1/B(c, a)
// (Erlang B), which gives a form that is stable for any c:
//
//	Z = 1/B(c, a) + Σ_{j=1..K−c} ρ^j,   P_K = ρ^{K−c}/Z,   L_q = Σ_{j=1..K−c} j·ρ^j / Z.
//
// The sums cost O(K − C) at most (fewer when the terms become negligible).
// Call Validate first; on invalid fields the methods return NaN.
type MMcK struct {
	// Lambda is the arrival rate λ (requests per unit time), > 0.
	Lambda float64
	// Mu is the service rate μ of one server, > 0.
	Mu float64
	// C is the number of servers, ≥ 1.
	C int
	// K is the system capacity (in service plus waiting), ≥ C and at most
	// C + MaxServers.
	K int
}

// Validate returns an error matching ErrInvalidInput that holds an
// *InputError for each invalid field (errors.As finds the first), or nil. Any
// load is valid: a finite queue has a steady state even when λ/μ ≥ C.
func (q MMcK) Validate() error {
	err := errors.Join(
		checkPositive("MMcK.Lambda", q.Lambda),
		checkPositive("MMcK.Mu", q.Mu),
		checkServers("MMcK.C", q.C),
	)
	if err != nil {
		return err
	}
	if q.K < q.C || q.K-q.C > MaxServers {
		return &InputError{Arg: "MMcK.K", Value: float64(q.K), Want: fmt.Sprintf("an integer from C = %d to C + MaxServers", q.C)}
	}
	return nil
}

// mmckDist holds the blocking probability and the mean queue length.
type mmckDist struct {
	blocking, meanQueue float64
}

// dist computes P_K and L_q. For ρ ≤ 1 it multiplies Z through by B so that
// nothing overflows when B underflows; for ρ > 1 it divides through by
// ρ^{K−c}, the largest term, and sums powers of 1/ρ.
func (q MMcK) dist() (mmckDist, bool) {
	if q.Validate() != nil {
		return mmckDist{}, false
	}
	a := q.Lambda / q.Mu
	c := float64(q.C)
	m := q.K - q.C
	rho := a / c
	b := ErlangB(q.C, a)
	const negligible = 1e-17
	mf := float64(m)
	switch {
	case rho == 1:
		z := 1 + b*mf
		return mmckDist{blocking: b / z, meanQueue: b * mf * (mf + 1) / 2 / z}, true
	case rho < 1:
		// Z·B = 1 + B·Σ ρ^j; P_K = B·ρ^m/(Z·B); L_q = B·Σ j·ρ^j/(Z·B).
		var s, sj float64
		pw := 1.0
		for j := 1; j <= m; j++ {
			pw *= rho
			s += pw
			sj += float64(j) * pw
			// Σ_{i>j} i·ρ^i ≤ ρ^{j+1}·((j+1)/(1−ρ) + ρ/(1−ρ)²): stop once
			// that is below the resolution of both sums (s ≤ sj).
			if tail := pw * rho * ((float64(j)+1)/(1-rho) + rho/((1-rho)*(1-rho))); tail < negligible*s {
				pw = math.Pow(rho, mf)
				break
			}
		}
		z := 1 + b*s
		return mmckDist{blocking: b * pw / z, meanQueue: b * sj / z}, true
	}
	// ρ > 1: with u = 1/ρ, Z·ρ^{−m} = u^m/B + Σ_{i=0..m−1} u^i and
	// Σ_j j·ρ^{j−m} = Σ_{i=0..m−1} (m−i)·u^i; terms fall geometrically.
	u := 1 / rho
	var s, sj float64
	pw := 1.0
	for i := 0; i < m; i++ {
		s += pw
		sj += float64(m-i) * pw
		pw *= u
		if mf*pw/(1-u) < negligible*s { // bounds both remaining tails
			break
		}
	}
	z := math.Exp(mf*math.Log(u)-math.Log(b)) + s
	return mmckDist{blocking: 1 / z, meanQueue: sj / z}, true
}

// BlockingProb returns P_K, the probability that an arrival finds the system
// full and is turned away. With K = C it equals Erlang B.
func (q MMcK) BlockingProb() float64 {
	d, ok := q.dist()
	if !ok {
		return math.NaN()
	}
	return d.blocking
}

// Throughput returns the rate of admitted requests λ_eff = λ(1 − P_K).
func (q MMcK) Throughput() float64 { return q.Lambda * (1 - q.BlockingProb()) }

// MeanQueueLen returns L_q, the mean number waiting (not in service).
func (q MMcK) MeanQueueLen() float64 {
	d, ok := q.dist()
	if !ok {
		return math.NaN()
	}
	return d.meanQueue
}

// MeanInSystem returns L = L_q + a(1 − P_K): the mean number present,
// counting the mean number of busy servers λ_eff/μ.
func (q MMcK) MeanInSystem() float64 {
	d, ok := q.dist()
	if !ok {
		return math.NaN()
	}
	return d.meanQueue + q.Lambda/q.Mu*(1-d.blocking)
}

// MeanWait returns the mean wait of admitted requests, E[W] = L_q/λ_eff
// (Little's law with the effective arrival rate).
func (q MMcK) MeanWait() float64 {
	d, ok := q.dist()
	if !ok {
		return math.NaN()
	}
	return d.meanQueue / (q.Lambda * (1 - d.blocking))
}

// MeanResponse returns the mean response time of admitted requests,
// E[T] = L/λ_eff = E[W] + 1/μ.
func (q MMcK) MeanResponse() float64 { return q.MeanWait() + 1/q.Mu }
