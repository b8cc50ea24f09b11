package model

import (
	"errors"
	"fmt"
	"math"
)

// This file answers the staffing questions "how many servers does this load
// need for that target?" and their duals "how much load can c servers carry?".
//
// Every MinServers search for a waiting system starts at the smallest stable
// count ⌊a⌋ + 1 (a = λ/μ) and walks c upward, moving Erlang B from c − 1 to c
// with one step of the forward recursion
//
//	B(c, a) = a·B(c−1, a) / (c + a·B(c−1, a))
//
// and deriving Erlang C from it in O(1). All the targets are monotone in c,
// so the first c that meets the target is the answer, found in O(c*) time
// (about 0.2 ms at c* = 100 000); square-root staffing (see SqrtStaffingServers)
// is never trusted without this exact check (Tijms 2003, §5.3, Table 5.3.2,
// compares the rule with the exact counts).

// MaxServers bounds the server counts the staffing searches will consider
// (and the offered load they accept): beyond it a search returns an error
// instead of running for seconds (a search costs about 2 ns per server). It
// allows 10⁴ pods of 10⁴ slots each, far beyond any single Kubernetes
// service.
const MaxServers = 100_000_000

// staffer walks c upward keeping b = B(c, a).
type staffer struct {
	a float64
	c int
	b float64
}

// next moves to c + 1 in O(1).
func (s *staffer) next() {
	s.c++
	s.b = erlangBStep(s.b, s.c, s.a)
}

// delayProb returns C(c, a); valid once c > a.
func (s *staffer) delayProb() float64 { return erlangCFromB(s.b, s.c, s.a) }

// offeredLoad validates the rates and returns a = λ/μ, refusing loads that
// would need more than MaxServers servers.
func offeredLoad(lambda, mu float64) (float64, error) {
	if err := checkRates(lambda, mu); err != nil {
		return 0, err
	}
	a := lambda / mu
	if !(a < MaxServers) {
		return 0, &InputError{Arg: "lambda/mu", Value: a, Want: fmt.Sprintf("below MaxServers = %d erlangs", MaxServers)}
	}
	return a, nil
}

// searchStable returns the smallest c ≥ ⌊a⌋ + 1 for which meets(s) holds,
// with s.c = c, s.b = B(c, a). meets must be monotone in c.
func searchStable(a float64, meets func(s *staffer) bool) (int, error) {
	c0 := int(math.Floor(a)) + 1
	s := staffer{a: a, c: c0, b: ErlangB(c0, a)}
	for !meets(&s) {
		if s.c >= MaxServers {
			return 0, fmt.Errorf("no server count up to MaxServers = %d meets the target for an offered load of %g erlangs", MaxServers, a)
		}
		s.next()
	}
	return s.c, nil
}

// MinServersDelayProb returns the smallest number of servers c with
// P(W > 0) = C(c, a) ≤ alpha for an M/M/c queue with arrival rate lambda and
// per-server service rate mu (Tijms 2003, §5.3, Table 5.3.2 tabulates it).
// 0 < alpha < 1. It returns an *InputError for invalid arguments.
func MinServersDelayProb(lambda, mu, alpha float64) (int, error) {
	if err := checkProb("alpha", alpha); err != nil {
		return 0, err
	}
	a, err := offeredLoad(lambda, mu)
	if err != nil {
		return 0, err
	}
	return searchStable(a, func(s *staffer) bool { return s.delayProb() <= alpha })
}

// MinServersServiceLevel returns the smallest c with service level
// P(W ≤ t) = 1 − C(c, a)·e^{−(cμ−λ)t} ≥ sl for an M/M/c queue (the
// call-centre "80 % answered within 20 s" target). t ≥ 0 is in the unit of
// 1/lambda and 0 < sl < 1. It returns an *InputError for invalid arguments.
func MinServersServiceLevel(lambda, mu, t, sl float64) (int, error) {
	if err := errors.Join(checkNonNegative("t", t), checkProb("sl", sl)); err != nil {
		return 0, err
	}
	a, err := offeredLoad(lambda, mu)
	if err != nil {
		return 0, err
	}
	return searchStable(a, func(s *staffer) bool {
		theta := mu * (float64(s.c) - a)
		return mmcWaitTail(s.delayProb(), theta, t) <= 1-sl
	})
}

// MinServersMeanWait returns the smallest c with mean wait
// E[W] = C(c, a)/(cμ − λ) ≤ w for an M/M/c queue. w > 0 is in the unit of
// 1/lambda. It returns an *InputError for invalid arguments.
func MinServersMeanWait(lambda, mu, w float64) (int, error) {
	if err := checkPositive("w", w); err != nil {
		return 0, err
	}
	a, err := offeredLoad(lambda, mu)
	if err != nil {
		return 0, err
	}
	return searchStable(a, func(s *staffer) bool {
		return s.delayProb()/(mu*(float64(s.c)-a)) <= w
	})
}

// MinServersResponseQuantile returns the smallest c for which the
// p-quantile of the response time T = W + S of an M/M/c queue is at most
// target, i.e. P(T > target) ≤ 1 − p with P(T > t) from
// MMc.ResponseSurvival (exact, closed form; Gross and Harris §2.3).
//
// Since T ≥ S, no c can meet a target at or below the p-quantile of the
// exponential service time alone, −ln(1 − p)/μ: then it returns an
// *InfeasibleError whose Bound is that quantile (for mean service 0.5 s, p95
// of S is 1.50 s, so a 1 s p95 SLO is unreachable). 0 < p < 1, target > 0 in
// the unit of 1/lambda. It returns an *InputError for invalid arguments.
func MinServersResponseQuantile(lambda, mu, p, target float64) (int, error) {
	if err := errors.Join(checkProb("p", p), checkPositive("target", target)); err != nil {
		return 0, err
	}
	a, err := offeredLoad(lambda, mu)
	if err != nil {
		return 0, err
	}
	if sq := -math.Log1p(-p) / mu; sq >= target {
		return 0, serviceBoundError(p, sq, target, "exponential")
	}
	return searchStable(a, func(s *staffer) bool {
		return newMMcResponse(mu, a, s.c, s.delayProb()).survival(target) <= 1-p
	})
}

// MinServersResponseQuantileGGc returns the smallest c for which the
// two-moment G/G/c approximation of the p-quantile of the response time (see
// ResponseQuantileGGc) is at most target. It is an approximation; with
// ca2 = cs2 = 1 it equals MinServersResponseQuantile.
//
// It returns an *InfeasibleError, with Bound the service-time p-quantile
// (ServiceQuantile), when target is not above that quantile, and an
// *InputError for invalid arguments (cs2 must lie in [0, MaxCS2]).
func MinServersResponseQuantileGGc(lambda, mu, ca2, cs2, p, target float64) (int, error) {
	if err := errors.Join(checkNonNegative("ca2", ca2), checkCS2(cs2), checkProb("p", p), checkPositive("target", target)); err != nil {
		return 0, err
	}
	a, err := offeredLoad(lambda, mu)
	if err != nil {
		return 0, err
	}
	svc := newService(mu, cs2)
	if sq := svc.quantile(p); sq >= target {
		return 0, serviceBoundError(p, sq, target, fmt.Sprintf("gamma (cs2 = %g)", cs2))
	}
	return searchStable(a, func(s *staffer) bool {
		return ggcModel(svc, a, s.c, s.delayProb(), ca2+cs2).survival(target) <= 1-p
	})
}

// serviceBoundError is the *InfeasibleError for a response-time target at
// or below the service-time quantile.
func serviceBoundError(p, sq, target float64, shape string) error {
	return &InfeasibleError{
		Reason: fmt.Sprintf("the %s service time alone has a p%g of %.4g, not below the target %.4g: no number of servers can meet it; shorten the service time or relax the target", shape, 100*p, sq, target),
		Bound:  sq,
	}
}

// MinServersUtilisation returns the smallest c with utilisation
// ρ = λ/(cμ) ≤ rhoTarget, i.e. ⌈a/ρ_target⌉. A utilisation within 1e−12
// (relative) of the target counts as meeting it, so that decimal inputs are
// not rounded up by binary floating-point error (λ = 7, μ = 1,
// ρ_target = 0.7 gives 10, not 11; λ = 2.1, μ = 3, ρ_target = 0.7 gives 1).
// 0 < rhoTarget < 1, so the result is always a stable count. It returns an
// *InputError for invalid arguments.
func MinServersUtilisation(lambda, mu, rhoTarget float64) (int, error) {
	if err := checkProb("rhoTarget", rhoTarget); err != nil {
		return 0, err
	}
	a, err := offeredLoad(lambda, mu)
	if err != nil {
		return 0, err
	}
	x := a / rhoTarget
	if !(x < MaxServers) {
		return 0, &InputError{Arg: "lambda/(mu·rhoTarget)", Value: x, Want: fmt.Sprintf("below MaxServers = %d", MaxServers)}
	}
	meets := func(c int) bool { return float64(c) > a && a/float64(c) <= rhoTarget*(1+1e-12) }
	c := max(int(math.Ceil(x)), 1)
	for c > 1 && meets(c-1) {
		c--
	}
	for !meets(c) {
		c++
	}
	return c, nil
}

// MinServersBlocking returns the smallest number of servers (trunks, slots)
// c with Erlang B blocking B(c, a) ≤ eps for an M/G/c/c loss system with
// arrival rate lambda and per-server service rate mu: a pod whose requests
// are rejected, not queued, when all c slots are busy. The search walks the
// forward recursion from c = 0, O(c*). 0 < eps < 1. It returns an
// *InputError for invalid arguments.
func MinServersBlocking(lambda, mu, eps float64) (int, error) {
	if err := checkProb("eps", eps); err != nil {
		return 0, err
	}
	a, err := offeredLoad(lambda, mu)
	if err != nil {
		return 0, err
	}
	s := staffer{a: a, c: 0, b: 1}
	for s.b > eps {
		if s.c >= MaxServers {
			return 0, fmt.Errorf("no server count up to MaxServers = %d brings blocking below %g for %g erlangs", MaxServers, eps, a)
		}
		s.next()
	}
	return s.c, nil
}

// MaxTrafficBlocking returns the largest offered load a, in erlangs, that c
// servers of a loss system carry with Erlang B blocking B(c, a) ≤ eps (the
// "capacity at grade of service" of Erlang B tables; multiply by μ for an
// arrival rate). B increases in a, so it is found by bisection to float64
// resolution, O(c) per step. c ≥ 1 and 0 < eps < 1; it returns an
// *InputError otherwise.
func MaxTrafficBlocking(c int, eps float64) (float64, error) {
	if err := errors.Join(checkServers("c", c), checkProb("eps", eps)); err != nil {
		return 0, err
	}
	hi := float64(c) + 1
	for ErlangB(c, hi) <= eps {
		hi *= 2
	}
	above := bisect(func(a float64) bool { return ErlangB(c, a) > eps }, 0, hi)
	return math.Nextafter(above, 0), nil // the last a with B ≤ eps
}

// MaxTrafficDelayProb returns the largest offered load a < c, in erlangs,
// for which c servers of an M/M/c queue keep P(W > 0) = C(c, a) ≤ alpha.
// C increases in a, from 0 at a = 0 to 1 at a = c, so it is found by
// bisection to float64 resolution, O(c) per step. c ≥ 1 and 0 < alpha < 1; it
// returns an *InputError otherwise.
func MaxTrafficDelayProb(c int, alpha float64) (float64, error) {
	if err := errors.Join(checkServers("c", c), checkProb("alpha", alpha)); err != nil {
		return 0, err
	}
	above := bisect(func(a float64) bool { return ErlangC(c, a) > alpha }, 0, float64(c))
	return math.Nextafter(above, 0), nil
}
