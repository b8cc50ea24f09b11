package model

import (
	"fmt"
	"math"
)

// This file holds the load-balancing policies: how a service's requests
// reach its pods, and the approximation each policy's response time takes
// in the per-pod functions (Workload.PodResponseQuantile and friends).
//
// Each policy is read as one queue, or a mixture of two, that the G/G/c
// two-moment model (ggc.go, familyresponse.go, empirical.go) already
// solves; N is Workload.Pods, k the worker slots of a pod, λ the service's
// rate and ρ = λ/(Nkμ):
//
//   - random: every pod is its own G/G/k queue at λ/N with Poisson
//     arrivals (c_a² = 1) — Poisson splitting, exact for M/M/k.
//   - round-robin: every pod is a G/G/k queue at λ/N whose arrivals are
//     every N-th request of a Poisson stream: Erlang-N inter-arrival
//     times, c_a² = 1/N, in Allen–Cunneen's G/G/c mean wait (Allen 1990,
//     Probability, Statistics and Queueing Theory, §6) with Erlang C as the
//     delay probability (Whitt 1993, "Approximations for the GI/G/m
//     queue", POM 2(2)).
//   - shared-queue: one FCFS queue in front of all N·k slots, G/G/(N·k) at
//     λ — exact for M/M/(N·k).
//   - least-request (power of d choices) and least-connection (join the
//     shortest queue, d = N): the mean wait interpolates between the shared
//     queue (weight 1 − θ) and random splitting (weight θ), θ = W_d/W_1,
//     the ratio of the mean waits of the supermarket model's fixed point
//     with d choices and with one (Vvedenskaya, Dobrushin and Karpelevich
//     1996, "Queueing system with selection of the shortest of two queues:
//     an asymptotic approach", Problems of Information Transmission 32(1);
//     Mitzenmacher 2001, "The power of two choices in randomized load
//     balancing", IEEE TPDS 12(10)), extended to k exponential slots per
//     queue (SupermarketFixedPoint). As N → ∞ the shared queue's wait
//     vanishes and the mean wait is the fixed point's, exact for
//     exponential service in that limit; at N = 1 both are the one pod. The
//     probability of waiting is the larger of the shared queue's and the
//     fixed point's s_k^d, and a wait is exponential (the structure of the
//     G/G/c model). In between the limits it is an interpolation, held to
//     the DES in docs/load-balancing.md.

// BalancingPolicy names how a service's requests are spread over its pods.
type BalancingPolicy string

// The load-balancing policies.
const (
	// BalanceRandom sends each request to a Ready pod chosen uniformly at
	// random: kube-proxy in iptables mode (the default).
	BalanceRandom BalancingPolicy = "random"
	// BalanceRoundRobin deals requests to the Ready pods in turn: IPVS rr,
	// many ingress controllers.
	BalanceRoundRobin BalancingPolicy = "round-robin"
	// BalanceLeastRequest samples Choices pods (with replacement) and sends
	// the request to the one with the fewest requests in flight: Envoy's
	// LEAST_REQUEST, the power of d choices.
	BalanceLeastRequest BalancingPolicy = "least-request"
	// BalanceLeastConnection sends the request to the pod with the fewest
	// requests in flight: IPVS lc, join the shortest queue.
	BalanceLeastConnection BalancingPolicy = "least-connection"
	// BalanceSharedQueue holds requests in one FIFO queue in front of every
	// pod's worker slots: a message queue with competing consumers.
	BalanceSharedQueue BalancingPolicy = "shared-queue"
)

// BalancingPolicies lists the policies in documentation order.
var BalancingPolicies = []BalancingPolicy{BalanceRandom, BalanceRoundRobin, BalanceLeastRequest, BalanceLeastConnection, BalanceSharedQueue}

// DefaultChoices is least-request's default number of sampled pods (Envoy's
// choice_count default).
const DefaultChoices = 2

// Balancing is a service's load-balancing policy. The zero value is random.
type Balancing struct {
	Policy BalancingPolicy
	// Choices is how many pods least-request samples (0: DefaultChoices);
	// the other policies ignore it.
	Choices int
}

// Validate checks the policy name and the choices.
func (b Balancing) Validate() error {
	switch b.Policy {
	case "", BalanceRandom, BalanceRoundRobin, BalanceLeastConnection, BalanceSharedQueue:
		if b.Choices != 0 {
			return fmt.Errorf("choices applies to least-request only, not %s", b.policy())
		}
		return nil
	case BalanceLeastRequest:
		if b.Choices != 0 && b.Choices < 2 {
			return fmt.Errorf("least-request needs at least 2 choices, got %d", b.Choices)
		}
		return nil
	}
	return fmt.Errorf("unknown load-balancing policy %q; use random, round-robin, least-request, least-connection or shared-queue", b.Policy)
}

func (b Balancing) policy() BalancingPolicy {
	if b.Policy == "" {
		return BalanceRandom
	}
	return b.Policy
}

// choices is least-request's sample size.
func (b Balancing) choices() int {
	if b.Choices == 0 {
		return DefaultChoices
	}
	return b.Choices
}

// lbQueue is a policy's reading of one pod: a G/G/c queue (its arrival
// rate, servers and inter-arrival c_a²), or, when set, a wait given
// directly by its probability and mean (delay, wait; seconds) in front of
// the service time.
type lbQueue struct {
	lam   float64
	c     int
	ca2   float64
	given bool
	delay float64
	wait  float64
}

// balancedQueue reads one pod of w at rate perPodRate under w's policy
// (see the file comment). Random splitting is the pod's own queue, so that
// the default's figures are today's.
func (w Workload) balancedQueue(perPodRate float64) (lbQueue, error) {
	k := w.Concurrency
	n := max(w.Pods, 1)
	q := lbQueue{lam: perPodRate, c: k, ca2: 1}
	if n == 1 {
		return q, nil
	}
	switch w.Balancing.policy() {
	case BalanceRoundRobin:
		q.ca2 = 1 / float64(n)
	case BalanceSharedQueue:
		q.lam, q.c = perPodRate*float64(n), n*k
	case BalanceLeastRequest, BalanceLeastConnection:
		d := n
		if w.Balancing.policy() == BalanceLeastRequest {
			d = w.Balancing.choices()
		}
		return w.leastLoaded(perPodRate, n, d)
	}
	return q, nil
}

// leastLoaded is the reading of a pod under least-request (d choices) or
// least-connection (d = N): the mean wait interpolates between the shared
// queue over the N pods (weight 1 − θ) and random splitting (weight θ),
// θ the supermarket model's ratio of mean waits (SupermarketWaitRatio); the
// probability of waiting is the larger of the shared queue's (Erlang C
// over N·k slots) and the supermarket fixed point's s_k^d, and the wait,
// when there is one, exponential with the mean that leaves. Each mean
// wait is Allen–Cunneen's, so the service's c_s² enters as in G/G/c.
func (w Workload) leastLoaded(perPodRate float64, n, d int) (lbQueue, error) {
	mu := 1 / w.ServiceMean
	k := w.Concurrency
	a, err := stableQueue(perPodRate, mu, k)
	if err != nil {
		return lbQueue{}, err
	}
	tPool, err := MeanResponseGGc(perPodRate*float64(n), mu, n*k, 1, w.ServiceCS2)
	if err != nil {
		return lbQueue{}, err
	}
	tRand, err := MeanResponseGGc(perPodRate, mu, k, 1, w.ServiceCS2)
	if err != nil {
		return lbQueue{}, err
	}
	rho := a / float64(k)
	theta, sm := supermarketRatio(d, k, rho)
	q := lbQueue{lam: perPodRate, c: k, ca2: 1, given: true}
	q.wait = (1-theta)*(tPool-w.ServiceMean) + theta*(tRand-w.ServiceMean)
	q.delay = math.Min(1, math.Max(ErlangC(n*k, a*float64(n)), sm.DelayProb))
	if !(q.wait > 0) || !(q.delay > 0) {
		q.wait, q.delay = 0, 0
	}
	return q, nil
}

// SupermarketWaitRatio is θ = W_d/W_1 at per-slot load rho: the mean wait
// of the supermarket model's fixed point with d choices over that with one
// (random splitting, the M/M/k wait), for queues of k exponential slots.
// It is 1 for d = 1 and falls towards 0 as d grows; rho must be in [0, 1).
func SupermarketWaitRatio(d, k int, rho float64) float64 {
	theta, _ := supermarketRatio(d, k, rho)
	return theta
}

// supermarketRatio is SupermarketWaitRatio and the fixed point it used
// (the zero value for d = 1, where it is random splitting).
func supermarketRatio(d, k int, rho float64) (float64, Supermarket) {
	if d <= 1 || !(rho > 0) || !(rho < 1) {
		a := rho * float64(k)
		if !(rho < 1) {
			return 1, Supermarket{}
		}
		return 1, Supermarket{DelayProb: ErlangC(k, a)}
	}
	a := rho * float64(k)
	w1 := ErlangC(k, a) / (float64(k) - a) // μ = 1
	fp := SupermarketFixedPoint(d, k, rho)
	if !(w1 > 0) {
		return 0, fp
	}
	return math.Min(1, fp.MeanWait/w1), fp
}

// Supermarket is the fixed point of the supermarket model: N → ∞ queues of
// k exponential slots (rate 1 each), Poisson arrivals at k·rho per queue,
// each joining the least loaded of d queues sampled at random.
type Supermarket struct {
	// Tail[i] is s_i, the fraction of queues with at least i requests
	// (s_0 = 1), down to below 1e-16.
	Tail []float64
	// MeanWait is E[W] in service times (Little: Σ_{i>k} s_i / (k·rho));
	// MeanResponse is MeanWait + 1; DelayProb is s_k^d, the chance that
	// an arrival finds every sampled queue's slots busy.
	MeanWait, MeanResponse, DelayProb float64
}

// SupermarketFixedPoint solves the fixed point of the supermarket model
// (Vvedenskaya, Dobrushin and Karpelevich 1996; Mitzenmacher 2001) for
// queues of k slots: the flow across the cut between i−1 and i requests
// balances, λ(s_{i−1}^d − s_i^d) = min(i, k)·(s_i − s_{i+1}) with λ = k·rho.
// For k = 1 it is Mitzenmacher's closed form s_i = rho^((d^i − 1)/(d − 1)).
// For k > 1 the recursion is run backwards, which is well conditioned (the
// forward one loses every digit when s_1 is close to 1): from s_{M+1} = 0
// and s_M = ε far in the tail down to s_0, with ln ε found by bisection so
// that s_0 = 1, M growing until s_M is below 1e-15. For d = 1 it is the
// M/M/k queue. d must be at least 1 and rho in [0, 1).
func SupermarketFixedPoint(d, k int, rho float64) Supermarket {
	lam := rho * float64(k)
	var tail []float64
	if k == 1 {
		tail = []float64{1}
		e := 1.0 // (d^i − 1)/(d − 1)
		for i := 1; ; i++ {
			x := math.Pow(rho, e)
			if x < 1e-16 || i > 100000 {
				break
			}
			tail = append(tail, x)
			e = e*float64(d) + 1
		}
	} else if lam > 0 {
		tail = supermarketBackward(d, k, lam)
	} else {
		tail = []float64{1}
	}
	var sm Supermarket
	sm.Tail = tail
	q := 0.0
	for i := k + 1; i < len(tail); i++ {
		q += tail[i]
	}
	if lam > 0 {
		sm.MeanWait = q / lam
	}
	sm.MeanResponse = sm.MeanWait + 1
	if k < len(tail) {
		sm.DelayProb = math.Pow(tail[k], float64(d))
	}
	return sm
}

// supermarketBackward is SupermarketFixedPoint's tail for k > 1.
func supermarketBackward(d, k int, lam float64) []float64 {
	inv := 1 / float64(d)
	root := func(x float64) float64 {
		switch d {
		case 1:
			return x
		case 2:
			return math.Sqrt(x)
		}
		return math.Pow(x, inv)
	}
	pow := func(x float64) float64 {
		switch d {
		case 1:
			return x
		case 2:
			return x * x
		}
		return math.Pow(x, float64(d))
	}
	s := make([]float64, 0, 2*k+64)
	// back fills s[0..m] from s_m = eps and reports s_0 (+Inf once a term
	// passes 1, which only grows further).
	back := func(m int, eps float64) float64 {
		if cap(s) < m+2 {
			s = make([]float64, m+2)
		}
		s = s[:m+2]
		s[m+1], s[m] = 0, eps
		for i := m; i >= 1; i-- {
			x := root(pow(s[i]) + float64(min(i, k))*(s[i]-s[i+1])/lam)
			if x > 1 {
				return math.Inf(1)
			}
			s[i-1] = x
		}
		return s[0]
	}
	// The tail falls doubly exponentially for d ≥ 2, so from a tiny ε the
	// backward recursion climbs past 1 in a few steps: M is the longest
	// tail that a tiny ε can still end at s_0 ≤ 1, and ε then solves s_0 = 1.
	const tiny = 1e-300
	ok := func(m int) bool { return back(m, tiny) <= 1 }
	m, hiM := 1, 2
	for hiM < 1<<20 && ok(hiM) {
		m, hiM = hiM, hiM*2
	}
	for hiM-m > 1 { // ok(m), !ok(hiM)
		if mid := (m + hiM) / 2; ok(mid) {
			m = mid
		} else {
			hiM = mid
		}
	}
	lo, hi := math.Log(tiny), 0.0 // ln ε
	for range 200 {
		mid := (lo + hi) / 2
		if mid <= lo || mid >= hi {
			break
		}
		if back(m, math.Exp(mid)) > 1 {
			hi = mid
		} else {
			lo = mid
		}
	}
	back(m, math.Exp(lo))
	return append([]float64(nil), s[:m+1]...)
}
