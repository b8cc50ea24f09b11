package model

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// Workload is how one pod of a service turns requests into load, in SI
// units. It is the model's view of a plan's service.
type Workload struct {
	// ArrivalRate is the request rate over all replicas, per second.
	ArrivalRate float64
	// ServiceMean is the mean time a request holds a worker slot, seconds.
	ServiceMean float64
	// ServiceCS2 is the squared coefficient of variation of the service
	// time; 1 is exponential.
	ServiceCS2 float64
	// ServiceFamily names the service time's distribution (FamilyLognormal,
	// FamilyWeibull): response-time quantiles then take its tail
	// (ResponseQuantileGGcFamily). "" or gamma: a gamma of ServiceCS2.
	ServiceFamily string
	// ServiceHistogram is the service-time histogram when ServiceFamily is
	// FamilyEmpirical, rescaled to ServiceMean. A pointer keeps Workload
	// comparable.
	ServiceHistogram *Histogram
	// Concurrency is the number of worker slots per pod (≥ 1).
	Concurrency int
	// CPUPerRequest is the CPU time of one request, core-seconds.
	CPUPerRequest float64
	// CPUIdle is the CPU a pod uses with no traffic, cores.
	CPUIdle float64
	// CPURequest and CPULimit are the container's CPU request and limit,
	// cores; CPULimit 0 means none.
	CPURequest, CPULimit float64
	// MemoryBase is a pod's memory with nothing in flight, bytes;
	// MemoryPerInFlight is added per request in the pod (queued or served).
	MemoryBase, MemoryPerInFlight float64
	// MemoryRequest is the container's memory request, bytes.
	MemoryRequest float64
	// Balancing is how requests are spread over the pods (balancing.go);
	// the zero value is random splitting.
	Balancing Balancing
	// Pods is the number of Ready pods behind the load balancer, which the
	// per-pod functions (PodResponseQuantile, PodResponseSurvival,
	// PodMeanResponse, PodWait) read for every policy but random; 0 is
	// one. Size and Predict set it to the replica count they evaluate.
	Pods int
}

// Requirement is what a sizing must satisfy.
type Requirement struct {
	// UtilisationCeiling is the largest allowed utilisation, in (0, 1), of
	// CPU against its request and of the worker slots.
	UtilisationCeiling float64
	// LatencyQuantile and LatencyTarget state "the LatencyQuantile of the
	// response time is at most LatencyTarget seconds"; LatencyQuantile 0
	// means no latency objective.
	LatencyQuantile, LatencyTarget float64
	// Zones is how many zones replicas are spread over evenly, and
	// ZoneLosses how many of them may be lost with the objectives still met.
	Zones, ZoneLosses int
	// Spare is k in N+k.
	Spare int
	// MinReplicas is a floor.
	MinReplicas int
}

// Mode selects the sizing method.
type Mode int

const (
	// Queueing sizes for the utilisation ceiling and the latency SLO, each
	// pod an M/M/k (G/G/k, approximated) queue at λ/N.
	Queueing Mode = iota
	// Utilization sizes for the utilisation ceiling only, the arithmetic of
	// most runbooks: replicas = load / (capacity per pod × ceiling).
	Utilization
)

// String returns "queueing" or "utilization".
func (m Mode) String() string {
	if m == Utilization {
		return "utilization"
	}
	return "queueing"
}

// Constraint names what set a replica count.
type Constraint string

// The constraints a sizing reports as binding.
const (
	ConstraintStability   Constraint = "stability"
	ConstraintCPU         Constraint = "cpu-utilization"
	ConstraintSlots       Constraint = "slot-utilization"
	ConstraintLatency     Constraint = "latency-slo"
	ConstraintZoneLoss    Constraint = "zone-loss"
	ConstraintSpare       Constraint = "spare"
	ConstraintMinReplicas Constraint = "min-replicas"
)

// Sizing is the replica count a workload needs and what it predicts there.
type Sizing struct {
	// Replicas is the count that satisfies every constraint.
	Replicas int
	// Binding is the constraint that set Replicas.
	Binding Constraint
	// ByConstraint is the count each constraint alone would need, for the
	// ones that were evaluated.
	ByConstraint map[Constraint]int
	// Prediction is the predicted behaviour at Replicas.
	Prediction Prediction
	// Approximate is true when the latency figures come from the G/G/k
	// two-moment approximation (service CV ≠ 1) rather than exact M/M/k.
	Approximate bool
}

// Prediction is a workload's predicted steady state at a replica count.
type Prediction struct {
	Replicas int
	// SlotUtilisation is λ·E[S]/(N·k); CPUUtilisation is per-pod CPU over
	// its request.
	SlotUtilisation, CPUUtilisation float64
	// CPUPerPod is cores per pod; MemoryPerPod is bytes per pod with the
	// in-flight count at the latency quantile (Little's law).
	CPUPerPod, MemoryPerPod float64
	// MeanResponse, P95Response and QuantileResponse (at the SLO quantile,
	// or p95 without an SLO) in seconds; +Inf when the pod is unstable.
	MeanResponse, P95Response, QuantileResponse float64
	// Stable is false when the offered load meets or exceeds the slots,
	// or the CPU demand reaches the CPU limit (throttled).
	Stable bool
}

// InfeasibleError says why no replica count can meet an objective.
type InfeasibleError struct {
	Reason string
	// Bound is the limiting value (for a latency SLO: the service-time
	// quantile alone, seconds).
	Bound float64
}

func (e *InfeasibleError) Error() string { return e.Reason }

// maxReplicas bounds the searches: beyond it a sizing is reported as
// infeasible rather than searched for.
const maxReplicas = 1 << 20

// ceilTol rounds x up to an integer, treating values within 1e-9 relative
// of an integer as that integer, so that 6.000000000001 pods are 6.
func ceilTol(x float64) int {
	r := math.Round(x)
	if math.Abs(x-r) <= 1e-9*math.Max(1, math.Abs(x)) {
		return int(r)
	}
	return int(math.Ceil(x))
}

// Validate checks the workload's fields.
func (w Workload) Validate() error {
	var errs []error
	check := func(name string, x float64, positive bool) {
		if math.IsNaN(x) || math.IsInf(x, 0) || x < 0 || (positive && x == 0) {
			bound := "≥ 0"
			if positive {
				bound = "> 0"
			}
			errs = append(errs, fmt.Errorf("%s must be a finite number %s, got %g", name, bound, x))
		}
	}
	check("arrival rate", w.ArrivalRate, false)
	check("service mean", w.ServiceMean, true)
	check("service CS2", w.ServiceCS2, true)
	check("CPU per request", w.CPUPerRequest, false)
	check("CPU idle", w.CPUIdle, false)
	check("CPU request", w.CPURequest, true)
	check("CPU limit", w.CPULimit, false)
	check("memory base", w.MemoryBase, false)
	check("memory per in-flight request", w.MemoryPerInFlight, false)
	if w.Concurrency < 1 {
		errs = append(errs, fmt.Errorf("concurrency must be at least 1, got %d", w.Concurrency))
	}
	if err := w.Balancing.Validate(); err != nil {
		errs = append(errs, err)
	}
	if w.Pods < 0 {
		errs = append(errs, fmt.Errorf("pods must be at least 0, got %d", w.Pods))
	}
	return errors.Join(errs...)
}

// Size returns the replicas a workload needs to meet req, the constraint
// that binds, and the prediction at that count. In Queueing mode the latency
// at N replicas is the workload's load-balancing policy's (balancing.go): by
// default each pod is its own queue receiving λ/N (random splitting), which
// needs more replicas than one shared queue would.
func Size(w Workload, req Requirement, mode Mode) (Sizing, error) {
	if err := w.Validate(); err != nil {
		return Sizing{}, err
	}
	if !(req.UtilisationCeiling > 0 && req.UtilisationCeiling < 1) {
		return Sizing{}, fmt.Errorf("utilisation ceiling must be in (0, 1), got %g", req.UtilisationCeiling)
	}
	s := Sizing{ByConstraint: map[Constraint]int{}}
	// need records what constraint c alone needs; the largest sets the
	// count. On a tie the later, more specific constraint is named
	// (latency over CPU over slots over stability); ByConstraint has all.
	need := func(c Constraint, n int) {
		s.ByConstraint[c] = n
		if n >= s.Replicas {
			s.Replicas, s.Binding = n, c
		}
	}
	lam, k := w.ArrivalRate, float64(w.Concurrency)
	u := req.UtilisationCeiling

	// Worker slots: the offered load λ·E[S] spread over N·k slots.
	stable := int(math.Floor(lam*w.ServiceMean/k)) + 1
	need(ConstraintStability, stable)
	need(ConstraintSlots, max(ceilTol(lam*w.ServiceMean/(k*u)), 1))

	// CPU: N·(request·u − idle) ≥ λ·cpuPerRequest.
	room := w.CPURequest*u - w.CPUIdle
	if room <= 0 {
		return s, &InfeasibleError{
			Reason: fmt.Sprintf("idle CPU %.3g cores is above %.0f%% of the %.3g-core request: no replica count stays under the ceiling; raise the CPU request", w.CPUIdle, u*100, w.CPURequest),
			Bound:  w.CPUIdle,
		}
	}
	if lam*w.CPUPerRequest > 0 {
		need(ConstraintCPU, ceilTol(lam*w.CPUPerRequest/room))
	}

	s.Approximate = w.ServiceCS2 != 1 // the predicted latencies are G/G/k
	if mode == Queueing && req.LatencyQuantile > 0 {
		n, err := replicasForLatency(w, req.LatencyQuantile, req.LatencyTarget, stable)
		if err != nil {
			return s, err
		}
		need(ConstraintLatency, n)
	}

	// Redundancy comes on top of what the load needs.
	raise := func(c Constraint, n int) {
		s.ByConstraint[c] = n
		if n > s.Replicas {
			s.Replicas, s.Binding = n, c
		}
	}
	if req.Zones > 1 && req.ZoneLosses > 0 {
		raise(ConstraintZoneLoss, replicasSurvivingZoneLoss(s.Replicas, req.Zones, req.ZoneLosses))
	}
	if req.Spare > 0 {
		raise(ConstraintSpare, s.Replicas+req.Spare)
	}
	if req.MinReplicas > 0 {
		raise(ConstraintMinReplicas, req.MinReplicas)
	}
	if s.Replicas > maxReplicas {
		return s, &InfeasibleError{Reason: fmt.Sprintf("needs more than %d replicas", maxReplicas), Bound: float64(s.Replicas)}
	}
	p, err := Predict(w, s.Replicas, req.LatencyQuantile)
	s.Prediction = p
	return s, err
}

// replicasSurvivingZoneLoss is the smallest N ≥ need such that losing the
// `losses` fullest of `zones` zones (each holding ⌈N/zones⌉ replicas at
// most) leaves at least need replicas.
func replicasSurvivingZoneLoss(need, zones, losses int) int {
	n := need
	for n-losses*((n+zones-1)/zones) < need {
		n++
	}
	return n
}

// podQuantile is the response-time quantile of one pod at per-pod arrival
// rate lam under the workload's load-balancing policy (balancing.go): exact
// M/M/k when the service is exponential and requests are split at random,
// the G/G/k two-moment approximation otherwise (with the named family's
// tail).
func podQuantile(w Workload, lam, p float64) (float64, error) {
	return podQuantileFrom(w, lam, p, math.NaN())
}

// podQuantileFrom is podQuantile with the service time's p-quantile sq
// given where it is the gamma's (gammaLike; NaN: compute it), the lower end
// of the root search, which the rate does not change.
func podQuantileFrom(w Workload, lam, p, sq float64) (float64, error) {
	q, err := w.balancedQueue(lam)
	if err != nil {
		return math.Inf(1), err
	}
	mu := 1 / w.ServiceMean
	if q.given {
		if err := checkProb("p", p); err != nil {
			return 0, err
		}
		surv, err := givenWaitSurvival(w, q)
		if err != nil {
			return 0, err
		}
		if math.IsNaN(sq) {
			sq = w.serviceQuantile(p)
		}
		return survivalQuantile(surv, sq, mu, p), nil
	}
	if w.ServiceFamily == FamilyEmpirical {
		if w.ServiceHistogram == nil {
			return 0, &InputError{Arg: "ServiceHistogram", Value: math.NaN(), Want: "a histogram for an empirical service time"}
		}
		return ResponseQuantileGGcEmpirical(w.ServiceHistogram.Buckets, q.lam, mu, q.c, q.ca2, p)
	}
	if w.ServiceCS2 == 1 && q.ca2 == 1 {
		m := MMc{Lambda: q.lam, Mu: mu, C: q.c}
		if err := m.Validate(); err != nil {
			return math.Inf(1), err
		}
		return m.ResponseQuantile(p), nil
	}
	if w.gammaLike() && !math.IsNaN(sq) {
		r, err := newGGcResponse(q.lam, mu, q.c, q.ca2, w.ServiceCS2)
		if err != nil {
			return 0, err
		}
		if err := checkProb("p", p); err != nil {
			return 0, err
		}
		return r.quantileFrom(p, sq), nil
	}
	return ResponseQuantileGGcFamily(w.ServiceFamily, q.lam, mu, q.c, q.ca2, w.ServiceCS2, p)
}

// gammaLike reports whether the workload's service time is the gamma of
// ServiceCS2 (ResponseQuantileGGcFamily's gamma path): its quantile is
// ServiceQuantile's.
func (w Workload) gammaLike() bool {
	f := w.ServiceFamily
	return f == FamilyGamma || f == "" || f == FamilyExponential && w.ServiceCS2 == 1
}

// PodQuantiles evaluates one pod's response-time quantiles at fixed
// probabilities for many per-pod rates, as PodResponseQuantile does, with
// what the rate does not change computed once: the service time's
// quantiles, where the root search starts, and a probability asked twice.
// A latency table over the load calls it at each grid point.
type PodQuantiles struct {
	w  Workload
	ps []float64
	// sq[i] is the service time's ps[i]-quantile for a gamma service
	// time (NaN otherwise: the path computes its own); same[i] is the
	// first index with ps[i]'s probability.
	sq   []float64
	same []int
}

// PodQuantiles returns the evaluator of the ps-quantiles.
func (w Workload) PodQuantiles(ps ...float64) *PodQuantiles {
	e := &PodQuantiles{w: w, ps: ps, sq: make([]float64, len(ps)), same: make([]int, len(ps))}
	for i, p := range ps {
		e.same[i] = slices.Index(ps, p)
		e.sq[i] = math.NaN()
		if w.gammaLike() {
			e.sq[i] = w.serviceQuantile(p)
		}
	}
	return e
}

// At writes the quantiles at per-pod rate perPodRate into out, one per
// probability; it stops at the first error.
func (e *PodQuantiles) At(perPodRate float64, out []float64) error {
	for i, p := range e.ps {
		if j := e.same[i]; j < i {
			out[i] = out[j]
			continue
		}
		var err error
		switch {
		case perPodRate == 0:
			out[i] = e.w.serviceQuantile(p)
		case math.IsNaN(e.sq[i]):
			out[i], err = podQuantile(e.w, perPodRate, p)
		default:
			out[i], err = podQuantileFrom(e.w, perPodRate, p, e.sq[i])
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// givenWaitSurvival is P(T > t) for a wait given by its probability and
// mean (exponential when there is one) in front of the workload's service
// time, with its family's tail.
func givenWaitSurvival(w Workload, q lbQueue) (func(float64) float64, error) {
	mu := 1 / w.ServiceMean
	eta := math.Inf(1)
	if q.delay > 0 {
		eta = q.delay / q.wait
	}
	switch f := w.ServiceFamily; {
	case f == FamilyEmpirical:
		if w.ServiceHistogram == nil {
			return nil, &InputError{Arg: "ServiceHistogram", Value: math.NaN(), Want: "a histogram for an empirical service time"}
		}
		d, err := newEmpiricalDist(w.ServiceHistogram.Buckets, w.ServiceMean)
		if err != nil {
			return nil, &InputError{Arg: "histogram", Value: math.NaN(), Want: err.Error()}
		}
		return func(t float64) float64 {
			if math.IsInf(eta, 1) {
				return d.survival(t)
			}
			return math.Min(d.survival(t)+q.delay*d.convolve(eta, t), 1)
		}, nil
	case f == FamilyLognormal || f == FamilyWeibull:
		d, err := newFamilyDist(f, w.ServiceMean, w.ServiceCS2)
		if err != nil {
			return nil, err
		}
		return func(t float64) float64 {
			if math.IsInf(eta, 1) {
				return d.survival(t)
			}
			return d.survival(t) + q.delay*d.familyConvolve(eta, t)
		}, nil
	}
	if err := checkCS2(w.ServiceCS2); err != nil {
		return nil, err
	}
	r := ggcResponse{svc: newService(mu, w.ServiceCS2), delayProb: q.delay, eta: eta}
	if q.delay == 0 {
		r.delayProb = 0
	}
	return r.survival, nil
}

// queueSurvival is P(T > t) for a policy's reading of one pod.
func queueSurvival(w Workload, q lbQueue, t float64) (float64, error) {
	mu := 1 / w.ServiceMean
	if q.given {
		if math.IsNaN(t) {
			return 0, &InputError{Arg: "t", Value: t, Want: "a number"}
		}
		surv, err := givenWaitSurvival(w, q)
		if err != nil {
			return 1, err
		}
		return surv(t), nil
	}
	if w.ServiceFamily == FamilyEmpirical {
		if w.ServiceHistogram == nil {
			return 1, &InputError{Arg: "ServiceHistogram", Value: math.NaN(), Want: "a histogram for an empirical service time"}
		}
		d, err := newEmpiricalDist(w.ServiceHistogram.Buckets, w.ServiceMean)
		if err != nil {
			return 1, &InputError{Arg: "histogram", Value: math.NaN(), Want: err.Error()}
		}
		a, err := stableQueue(q.lam, mu, q.c)
		if err != nil {
			return 1, err
		}
		return d.responseSurvival(a, q.c, mu, q.ca2)(t), nil
	}
	if w.ServiceCS2 == 1 && q.ca2 == 1 {
		m := MMc{Lambda: q.lam, Mu: mu, C: q.c}
		if err := m.Validate(); err != nil {
			return 1, err
		}
		return m.ResponseSurvival(t), nil
	}
	return ResponseSurvivalGGcFamily(w.ServiceFamily, q.lam, mu, q.c, q.ca2, w.ServiceCS2, t)
}

// podMean is the mean response time of one pod at rate lam > 0 under the
// workload's policy (Allen–Cunneen; exact for M/M/k).
func podMean(w Workload, lam float64) (float64, error) {
	q, err := w.balancedQueue(lam)
	if err != nil {
		return 0, err
	}
	if q.given {
		return w.ServiceMean + q.wait, nil
	}
	return MeanResponseGGc(q.lam, 1/w.ServiceMean, q.c, q.ca2, w.ServiceCS2)
}

// PodWait is the wait before service of a pod receiving perPodRate requests
// per second under the workload's policy, as the two-moment model reads it:
// the probability of waiting at all and the mean wait, seconds.
func (w Workload) PodWait(perPodRate float64) (delayProb, meanWait float64, err error) {
	if perPodRate == 0 {
		return 0, 0, nil
	}
	q, err := w.balancedQueue(perPodRate)
	if err != nil {
		return 1, math.Inf(1), err
	}
	if q.given {
		return q.delay, q.wait, nil
	}
	mu := 1 / w.ServiceMean
	a, err := stableQueue(q.lam, mu, q.c)
	if err != nil {
		return 1, math.Inf(1), err
	}
	x, err := MeanResponseGGc(q.lam, mu, q.c, q.ca2, w.ServiceCS2)
	if err != nil {
		return 1, math.Inf(1), err
	}
	return ErlangC(q.c, a), x - w.ServiceMean, nil
}

// serviceQuantile is the p-quantile of the service time alone: the
// histogram's for an empirical service time (NaN without one), the named
// family's for a lognormal or Weibull, else the gamma of ServiceCS2.
func (w Workload) serviceQuantile(p float64) float64 {
	if w.ServiceFamily == FamilyEmpirical {
		if w.ServiceHistogram == nil {
			return math.NaN()
		}
		d, err := newEmpiricalDist(w.ServiceHistogram.Buckets, w.ServiceMean)
		if err != nil {
			return math.NaN()
		}
		return d.quantile(p)
	}
	if f := w.ServiceFamily; f == FamilyLognormal || f == FamilyWeibull {
		return FamilyQuantile(f, w.ServiceMean, w.ServiceCS2, p)
	}
	return ServiceQuantile(1/w.ServiceMean, w.ServiceCS2, p)
}

// PodResponseQuantile is the p-quantile of the response time of one pod
// receiving perPodRate requests per second: exact M/M/k for exponential
// service, the G/G/k two-moment approximation otherwise. ErrUnstable when
// the pod's offered load reaches its worker slots.
func (w Workload) PodResponseQuantile(perPodRate, p float64) (float64, error) {
	if perPodRate == 0 {
		return w.serviceQuantile(p), nil
	}
	return podQuantile(w, perPodRate, p)
}

// PodResponseSurvival is P(T > t) for the response time T of one pod
// receiving perPodRate requests per second: the fraction of its requests
// slower than t, which an SLO's error budget counts. Exact M/M/k for
// exponential service (MMc.ResponseSurvival), the G/G/k two-moment
// approximation otherwise with the named family's tail
// (ResponseSurvivalGGcFamily); the service-time survival at rate 0. ErrUnstable when the pod's offered load reaches its worker slots.
func (w Workload) PodResponseSurvival(perPodRate, t float64) (float64, error) {
	if perPodRate == 0 {
		if w.ServiceFamily == FamilyEmpirical {
			return w.podSurvivalEmpirical(0, t)
		}
		return ResponseSurvivalGGcFamily(w.ServiceFamily, 0, 1/w.ServiceMean, w.Concurrency, 1, w.ServiceCS2, t)
	}
	q, err := w.balancedQueue(perPodRate)
	if err != nil {
		return 1, err
	}
	return queueSurvival(w, q, t)
}

// PodMeanResponse is the mean response time of one pod receiving
// perPodRate requests per second (Allen–Cunneen; exact for M/M/k).
func (w Workload) PodMeanResponse(perPodRate float64) (float64, error) {
	if perPodRate == 0 {
		return w.ServiceMean, nil
	}
	return podMean(w, perPodRate)
}

// replicasForLatency searches the smallest N ≥ lo whose per-pod response
// quantile meets the target. The quantile falls as N grows, so an
// exponential then binary search needs O(log N) evaluations.
func replicasForLatency(w Workload, p, target float64, lo int) (int, error) {
	if sq := w.serviceQuantile(p); sq >= target {
		return 0, &InfeasibleError{
			Reason: fmt.Sprintf("the service time alone has p%g = %.3gs, above the %.3gs target: no replica count can meet this SLO; reduce the service time or relax the target", p*100, sq, target),
			Bound:  sq,
		}
	}
	if w.ArrivalRate == 0 {
		return max(lo, 1), nil
	}
	meets := func(n int) bool {
		w.Pods = n
		q, err := podQuantile(w, w.ArrivalRate/float64(n), p)
		return err == nil && q <= target
	}
	lo = max(lo, 1)
	if meets(lo) {
		return lo, nil
	}
	hi := lo * 2
	for !meets(hi) {
		if hi > maxReplicas {
			return 0, &InfeasibleError{Reason: fmt.Sprintf("the latency SLO needs more than %d replicas", maxReplicas), Bound: float64(hi)}
		}
		lo, hi = hi, hi*2
	}
	for hi-lo > 1 { // invariant: !meets(lo), meets(hi)
		mid := lo + (hi-lo)/2
		if meets(mid) {
			hi = mid
		} else {
			lo = mid
		}
	}
	return hi, nil
}

// Predict returns the steady state of a workload on n replicas. quantile is
// the SLO quantile for QuantileResponse and the memory estimate (p95 when
// 0). An unstable pod (offered load ≥ slots) gives Stable false, infinite
// response times and no error.
func Predict(w Workload, n int, quantile float64) (Prediction, error) {
	if err := w.Validate(); err != nil {
		return Prediction{}, err
	}
	if n < 1 {
		return Prediction{}, fmt.Errorf("replicas must be at least 1, got %d", n)
	}
	if quantile == 0 {
		quantile = 0.95
	}
	lam := w.ArrivalRate / float64(n)
	pr := Prediction{
		Replicas:        n,
		SlotUtilisation: lam * w.ServiceMean / float64(w.Concurrency),
		CPUPerPod:       lam*w.CPUPerRequest + w.CPUIdle,
	}
	pr.CPUUtilisation = pr.CPUPerPod / w.CPURequest
	// A pod whose CPU demand reaches its limit is throttled: it cannot
	// keep up, whatever its worker slots say.
	throttled := w.CPULimit > 0 && pr.CPUPerPod >= w.CPULimit
	pr.Stable = pr.SlotUtilisation < 1 && !throttled
	if !pr.Stable {
		pr.MeanResponse, pr.P95Response, pr.QuantileResponse = math.Inf(1), math.Inf(1), math.Inf(1)
		pr.MemoryPerPod = math.Inf(1)
		return pr, nil
	}
	if lam == 0 {
		pr.MeanResponse = w.ServiceMean
		pr.P95Response = w.serviceQuantile(0.95)
		pr.QuantileResponse = w.serviceQuantile(quantile)
		pr.MemoryPerPod = w.MemoryBase
		return pr, nil
	}
	var err error
	w.Pods = n
	if pr.MeanResponse, err = podMean(w, lam); err != nil {
		return pr, err
	}
	if pr.P95Response, err = podQuantile(w, lam, 0.95); err != nil {
		return pr, err
	}
	if pr.QuantileResponse, err = podQuantile(w, lam, quantile); err != nil {
		return pr, err
	}
	// Little's law with the quantile response time: a conservative count
	// of requests in the pod at once.
	pr.MemoryPerPod = w.MemoryBase + w.MemoryPerInFlight*lam*pr.QuantileResponse
	return pr, nil
}
