// Package model is headroom's capacity mathematics: pure, deterministic
// functions with no I/O, no clocks and no randomness.
//
// The queueing part answers "how many servers for this load and this
// target?". A server is one worker slot: a pod with concurrency k
// contributes k servers. The inputs are an arrival rate λ, a mean service
// time 1/μ with its squared coefficient of variation c_s², and a target:
//
//   - Erlang B and C (ErlangB, ErlangC, LogErlangB, LogErlangC) by the stable
//     forward recursion, accurate to about 1e−14 up to c = 100 000;
//   - the exact M/M/c queue (MMc): delay probability, means, waiting-time
//     tail and quantile, and the closed-form response-time distribution and
//     its quantile; the finite M/M/c/K queue (MMcK);
//   - approximations for non-exponential service and arrivals, each labelled
//     as such: Allen–Cunneen, Whitt (1993), Kingman, Cosmetatos, Kimura,
//     Björklund–Elldin (MeanWait…), and the two-moment G/G/c response-time
//     distribution with gamma service (ResponseQuantileGGc);
//   - staffing searches (MinServers…) that walk c upward from the smallest
//     stable count in O(c*), exact for M/M/c, and the Halfin–Whitt
//     square-root rule as a first guess (SqrtStaffingServers);
//   - the Universal Scalability Law (USL, FitUSL) for per-pod throughput
//     against concurrency.
//
// The sizing part turns those into replica counts and resource requests:
//
//   - Size and Predict size a Workload (request rate, service time, one
//     pod's slots, CPU and memory) for a Requirement (utilisation ceiling,
//     latency SLO, zone losses, spare pods), in Queueing or Utilization mode;
//   - Rightsize recommends requests and limits from a usage history
//     (UsageSample) by a Strategy: the Kubernetes VPA recommender,
//     re-implemented from kubernetes/autoscaler
//     vertical-pod-autoscaler/pkg/recommender (RecommendVPA, VPAState), or
//     krr-style percentile and max strategies, with the HPA target change
//     that keeps the scale point (HPAUtilizationProposal mirrors the HPA
//     controller's replica proposal);
//   - Pack places pods on nodes by first-fit decreasing and prices the
//     cheapest node type.
//
// The formulas and their numerics follow the queueing literature: H. C.
// Tijms, A First Course in Stochastic Models (Wiley 2003), ch. 5, for Erlang
// B and C, M/M/c and the staffing searches; A. O. Allen, Probability,
// Statistics, and Queueing Theory (2nd ed., Academic Press 1990), for the
// Allen–Cunneen G/G/c approximation; W. Whitt, "Approximations for the
// GI/G/m queue" (Production and Operations Management 2(2), 1993), for the
// two-moment approximations; S. Halfin and W. Whitt, "Heavy-traffic limits
// for queues with many exponential servers" (Operations Research 29(3),
// 1981), for square-root staffing; N. J. Gunther, Guerrilla Capacity
// Planning (Springer 2007), for the USL. Each function's comment names its
// source. testdata/conformance/queueing_cases.json holds the published and
// high-precision reference values, each with its source, that
// TestQueueingConformance checks.
//
// # The routing assumption
//
// The formulas for c servers describe one shared FIFO queue in front of all c
// slots. Kubernetes Services spread requests over pods, and each pod queues
// its own requests: N pods with k slots each behave like N separate M/M/k
// queues at λ/N, not one M/M/(N·k) queue, and need more replicas for the same
// latency target. Size per pod (c = k, λ/N) unless the traffic really is
// pooled (one central queue, or a least-outstanding-requests balancer).
//
// # Errors
//
// Functions that can fail return an error instead of panicking: an
// *InputError (matching ErrInvalidInput) names the argument outside its
// domain, an error wrapping ErrUnstable reports an offered load at or above
// the servers, and an *InfeasibleError reports a target that no number of
// servers can meet (a latency SLO below the service time itself), with the
// best attainable value in Bound. The plain float64 functions (ErlangB,
// ErlangC, the MMc methods, ServiceQuantile) return NaN on invalid input; call
// Validate first where there is one.
//
// # Usage
//
// Size a pooled queue for a p95 latency SLO of 1 s with a mean service time
// of 0.3 s at 3 000 requests per second:
//
//	c, err := model.MinServersResponseQuantile(3000, 1/0.3, 0.95, 1.0)
//	// c == 904: 904 slots; 903 would give p95 = 1.008 s.
//	var inf *model.InfeasibleError
//	if errors.As(err, &inf) {
//		// the service time alone is too slow: inf.Bound is its p95
//	}
//
// Then inspect that queue:
//
//	q := model.MMc{Lambda: 3000, Mu: 1 / 0.3, C: c}
//	if err := q.Validate(); err != nil { ... }
//	q.Utilisation()           // 0.9956
//	q.ResponseQuantile(0.95)  // 0.973 s
//
// For service times that are not exponential, measure the mean and a
// percentile, fit the squared coefficient of variation with FitServiceCS2,
// and use ResponseQuantileGGc or MinServersResponseQuantileGGc, which are
// approximations.
//
// # Files
//
//	erlang.go       Erlang B and C, in linear and log space
//	mmc.go          the exact M/M/c queue (MMc)
//	mmck.go         the finite M/M/c/K queue (MMcK)
//	approx.go       mean-wait formulas for M/G/1, G/G/1, G/G/c, M/D/c, M/G/c, M/G/1-PS
//	ggc.go          the two-moment G/G/c response-time distribution and its quantile
//	service.go      the gamma service-time model: ServiceQuantile, FitServiceCS2
//	family.go       service-time families (exponential, gamma, lognormal, Weibull): exact fits
//	                to a mean and a percentile, quantiles
//	familyresponse.go  the G/G/c response time with a family's tail (ResponseQuantileGGcFamily)
//	gammainc.go     incomplete gamma functions and the other special functions behind them
//	staffing.go     MinServers… searches and MaxTraffic… duals
//	halfinwhitt.go  the Halfin–Whitt limit and square-root staffing
//	usl.go          the Universal Scalability Law and its fit
//	numeric.go      root finders shared by the quantile, staffing and fitting code
//	errors.go       ErrUnstable, ErrInvalidInput, InputError and the argument checks
//	sizing.go       Workload, Requirement, Size, Predict, InfeasibleError
//	rightsize.go    Rightsize, its strategies and the HPA target adjustment
//	vpa.go          the VPA recommender's histograms and estimator
//	usage.go        UsageSample, one observation of a usage history
//	packing.go      Pack: pods onto nodes, with cost
package model
