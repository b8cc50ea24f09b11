package model

import (
	"errors"
	"math"

	"gonum.org/v1/gonum/mathext"
)

// MMc is an M/M/c queue: Poisson arrivals at rate Lambda, C identical servers
// each completing work at rate Mu (exponential service times of mean 1/Mu),
// one shared first-come-first-served queue of unlimited size. Rates may use
// any time unit as long as both use the same one; times returned by the
// methods are in that unit (seconds when the rates are per second).
//
// The formulas are exact for M/M/c FCFS (Gross and Harris, Fundamentals of
// Queueing Theory, §2.3; Tijms 2003, ch. 5). Every method computes Erlang C
// afresh, which costs O(C).
//
// Call Validate first. On invalid fields (non-positive, NaN or infinite rates,
// C < 1) the metric methods return NaN. On an unstable queue (λ/μ ≥ C) they
// return the limit of a queue that grows without bound: DelayProb 1,
// EmptyProb 0, tails and survivals 1, ServiceLevel 0, means and quantiles +Inf.
type MMc struct {
	// Lambda is the arrival rate λ (requests per unit time), > 0.
	Lambda float64
	// Mu is the service rate μ of one server (1 / mean service time), > 0.
	Mu float64
	// C is the number of servers c, ≥ 1.
	C int
}

// Validate returns an error matching ErrInvalidInput that holds an
// *InputError for each invalid field (errors.As finds the first), an error
// wrapping ErrUnstable when the offered load λ/μ is at least C, and nil
// otherwise.
func (q MMc) Validate() error {
	if err := q.validateFields(); err != nil {
		return err
	}
	if a := q.Offered(); a >= float64(q.C) {
		return unstableError(a, q.C)
	}
	return nil
}

func (q MMc) validateFields() error {
	return errors.Join(
		checkPositive("MMc.Lambda", q.Lambda),
		checkPositive("MMc.Mu", q.Mu),
		checkServers("MMc.C", q.C),
	)
}

// state classifies q: invalid fields, unstable, or stable.
type mmcState int

const (
	mmcInvalid mmcState = iota
	mmcUnstable
	mmcStable
)

func (q MMc) state() mmcState {
	switch {
	case !q.fieldsOK():
		return mmcInvalid
	case q.Lambda/q.Mu >= float64(q.C):
		return mmcUnstable
	default:
		return mmcStable
	}
}

// fieldsOK is the allocation-free form of validateFields() == nil.
func (q MMc) fieldsOK() bool {
	return isPositive(q.Lambda) && isPositive(q.Mu) && q.C >= 1
}

// Offered returns the offered load a = λ/μ in erlangs: the mean number of
// busy servers. It returns NaN when a field is invalid.
func (q MMc) Offered() float64 {
	if !q.fieldsOK() {
		return math.NaN()
	}
	return q.Lambda / q.Mu
}

// Utilisation returns the server utilisation (occupancy) ρ = a/c = λ/(cμ).
// It returns NaN when a field is invalid, and a value ≥ 1 when q is unstable.
func (q MMc) Utilisation() float64 { return q.Offered() / float64(q.C) }

// theta returns θ = cμ − λ, the rate of the conditional waiting time,
// computed as μ(c − a) so that it is positive whenever a < c.
func (q MMc) theta() float64 { return q.Mu * (float64(q.C) - q.Offered()) }

// DelayProb returns the probability that an arrival waits, P(W > 0) = C(c, a),
// the Erlang C formula (see ErlangC).
func (q MMc) DelayProb() float64 {
	switch q.state() {
	case mmcInvalid:
		return math.NaN()
	case mmcUnstable:
		return 1
	}
	return ErlangC(q.C, q.Offered())
}

// EmptyProb returns P₀, the probability that the system is empty. The
// textbook form P₀ = [Σ_{k<c} aᵏ/k! + aᶜ/(c!(1−ρ))]⁻¹ overflows for large c,
// so it is evaluated through the Poisson distribution function
// F(c) = Q(c+1, a) (the regularised upper incomplete gamma function) and
// Erlang B:
//
//	P₀ = e^{−a} / (F(c) · (1 + ρB(c, a)/(1 − ρ)))
//
// It underflows to 0 for a ≳ 745, where P₀ < e^{−a} is below the float64 range.
func (q MMc) EmptyProb() float64 {
	switch q.state() {
	case mmcInvalid:
		return math.NaN()
	case mmcUnstable:
		return 0
	}
	a, c := q.Offered(), float64(q.C)
	b := ErlangB(q.C, a)
	f := mathext.GammaIncRegComp(c+1, a)
	return math.Exp(-a - math.Log(f) - math.Log1p(a*b/(c-a))) // ρ/(1−ρ) = a/(c−a)
}

// MeanWait returns the mean waiting time in queue (before service),
//
//	E[W] = C(c, a) / (cμ − λ)
//
// (Gross and Harris §2.3).
func (q MMc) MeanWait() float64 {
	switch q.state() {
	case mmcInvalid:
		return math.NaN()
	case mmcUnstable:
		return math.Inf(1)
	}
	return q.DelayProb() / q.theta()
}

// MeanResponse returns the mean response (sojourn) time E[T] = E[W] + 1/μ.
func (q MMc) MeanResponse() float64 { return q.MeanWait() + 1/q.Mu }

// MeanQueueLen returns the mean number waiting in queue, by Little's law
// L_q = λ·E[W] = C(c, a)·ρ/(1 − ρ).
func (q MMc) MeanQueueLen() float64 { return q.Lambda * q.MeanWait() }

// MeanInSystem returns the mean number in the system (waiting or in
// service), L = L_q + a = λ·E[T].
func (q MMc) MeanInSystem() float64 { return q.MeanQueueLen() + q.Offered() }

// ConditionalMeanWait returns the mean wait of the arrivals that do wait,
// E[W | W > 0] = 1/(cμ − λ); the conditional wait is exponential with this
// mean (Gross and Harris §2.3).
func (q MMc) ConditionalMeanWait() float64 {
	switch q.state() {
	case mmcInvalid:
		return math.NaN()
	case mmcUnstable:
		return math.Inf(1)
	}
	return 1 / q.theta()
}

// ConditionalWaitTail returns P(W > t | W > 0) = e^{−(cμ−λ)t} for t ≥ 0
// (1 for t < 0).
func (q MMc) ConditionalWaitTail(t float64) float64 {
	switch {
	case q.state() == mmcInvalid || math.IsNaN(t):
		return math.NaN()
	case q.state() == mmcUnstable || t < 0:
		return 1
	}
	return math.Exp(-q.theta() * t)
}

// WaitTail returns the waiting-time tail
//
//	P(W > t) = C(c, a)·e^{−(cμ−λ)t},  t ≥ 0,
//
// and 1 for t < 0 (Gross and Harris §2.3).
func (q MMc) WaitTail(t float64) float64 {
	switch {
	case q.state() == mmcInvalid || math.IsNaN(t):
		return math.NaN()
	case q.state() == mmcUnstable || t < 0:
		return 1
	}
	return mmcWaitTail(q.DelayProb(), q.theta(), t)
}

func mmcWaitTail(delayProb, theta, t float64) float64 {
	return delayProb * math.Exp(-theta*t)
}

// ServiceLevel returns the call-centre service level SL(t) = P(W ≤ t) =
// 1 − P(W > t): the fraction of arrivals that wait at most t.
func (q MMc) ServiceLevel(t float64) float64 { return 1 - q.WaitTail(t) }

// WaitQuantile returns the p-quantile of the waiting time, the smallest t with
// P(W ≤ t) ≥ p:
//
//	t_p = max(0, ln(C(c, a)/(1 − p)) / (cμ − λ)),
//
// which is exactly 0 when C(c, a) ≤ 1 − p. It returns NaN unless 0 < p < 1.
func (q MMc) WaitQuantile(p float64) float64 {
	switch {
	case q.state() == mmcInvalid || checkProb("p", p) != nil:
		return math.NaN()
	case q.state() == mmcUnstable:
		return math.Inf(1)
	}
	return mmcWaitQuantile(q.DelayProb(), q.theta(), p)
}

func mmcWaitQuantile(delayProb, theta, p float64) float64 {
	if delayProb <= 1-p {
		return 0
	}
	return (math.Log(delayProb) - math.Log1p(-p)) / theta
}

// ResponseSurvival returns P(T > t) for the response time T = W + S of an
// M/M/c FCFS queue. W has an atom 1 − C at 0 and is exponential with rate
// θ = cμ − λ otherwise; S is exponential with rate μ and independent of W.
// Their convolution has the closed form (Gross and Harris §2.3)
//
//	P(T > t) = e^{−μt} · [1 + C·μ·(1 − e^{−(θ−μ)t})/(θ − μ)],
//
// which becomes e^{−μt}(1 + C·μ·t) when θ = μ (c − a = 1). It is evaluated as
// e^{−μt} + C·μ·e^{−min(μ,θ)t}·(−expm1(−|θ−μ|t))/|θ−μ|, which has no 0/0 at
// θ = μ, no cancellation near it, and no overflow when θ < μ. It returns 1 for
// t < 0.
func (q MMc) ResponseSurvival(t float64) float64 {
	switch {
	case q.state() == mmcInvalid || math.IsNaN(t):
		return math.NaN()
	case q.state() == mmcUnstable || t < 0:
		return 1
	}
	return newMMcResponse(q.Mu, q.Offered(), q.C, q.DelayProb()).survival(t)
}

// ResponseQuantile returns the p-quantile of the response time T = W + S,
// the t with P(T > t) = 1 − p, found by bisection on ResponseSurvival to
// float64 resolution. The bracket starts at the service-time quantile
// −ln(1 − p)/μ, because T ≥ S. It returns NaN unless 0 < p < 1.
func (q MMc) ResponseQuantile(p float64) float64 {
	switch {
	case q.state() == mmcInvalid || checkProb("p", p) != nil:
		return math.NaN()
	case q.state() == mmcUnstable:
		return math.Inf(1)
	}
	return newMMcResponse(q.Mu, q.Offered(), q.C, q.DelayProb()).quantile(p)
}

// mmcResponse holds what the M/M/c response-time distribution needs once
// Erlang C is known, so that the staffing search can evaluate it in O(1) per
// server count.
type mmcResponse struct {
	mu, theta, delayProb float64
	lo, d                float64 // min(μ, θ) and |θ − μ|
}

func newMMcResponse(mu, a float64, c int, delayProb float64) mmcResponse {
	theta := mu * (float64(c) - a)
	return mmcResponse{
		mu:        mu,
		theta:     theta,
		delayProb: delayProb,
		lo:        math.Min(mu, theta),
		d:         mu * math.Abs(float64(c)-1-a), // |θ − μ| without cancellation
	}
}

func (r mmcResponse) survival(t float64) float64 {
	if t < 0 {
		return 1
	}
	// (e^{−μt} − e^{−θt})/(θ − μ) = e^{−min(μ,θ)t}·(1 − e^{−|θ−μ|t})/|θ−μ|.
	g := t
	if r.d > 0 {
		g = -math.Expm1(-r.d*t) / r.d
	}
	return math.Exp(-r.mu*t) + r.delayProb*r.mu*math.Exp(-r.lo*t)*g
}

func (r mmcResponse) quantile(p float64) float64 {
	lo := -math.Log1p(-p) / r.mu // service-time quantile: T ≥ S
	return solveDecreasing(r.survival, 1-p, lo, 2*lo)
}
