package model

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/mathext"
)

// MaxCS2 is the largest squared coefficient of variation of the service time
// accepted by the functions that model it as a gamma distribution. A gamma
// distribution with c_s² = 100 (shape 0.01) already puts half of its mass
// below 10⁻²⁸ times its mean, so larger values describe no service process
// worth modelling this way.
const MaxCS2 = 100

// checkCS2 validates a service-time squared coefficient of variation for the
// gamma model.
func checkCS2(cs2 float64) error {
	if !(cs2 >= 0 && cs2 <= MaxCS2) {
		return &InputError{Arg: "cs2", Value: cs2, Want: fmt.Sprintf("between 0 and MaxCS2 = %d", MaxCS2)}
	}
	return nil
}

// service is the gamma service-time distribution with mean 1/μ and squared
// coefficient of variation c_s² = 1/k: shape k, rate kμ. c_s² = 0 is the
// constant service time 1/μ.
type service struct {
	mu, k, rate float64
	logNorm     float64 // ln of the density's constant, k·ln(kμ) − ln Γ(k)
	logConst    float64 // ln(kμ) − stirlerr(k) − ½·ln(2πk), for k ≥ 1
}

func newService(mu, cs2 float64) service {
	if cs2 == 0 {
		return service{mu: mu}
	}
	k := 1 / cs2
	lg, _ := math.Lgamma(k)
	return service{
		mu: mu, k: k, rate: k * mu,
		logNorm:  k*math.Log(k*mu) - lg,
		logConst: math.Log(k*mu) - stirlerr(k) - 0.5*math.Log(2*math.Pi*k),
	}
}

// logDensity returns the log of the gamma density at t > 0. For k ≥ 1 it
// uses the saddle-point form of C. Loader ("Fast and accurate computation of
// binomial probabilities", 2000),
//
//	ln g(t) = ln(kμ) + ln(k/x) − stirlerr(k) − bd0(k, x) − ½·ln(2πk),  x = kμt,
//
// which avoids the cancellation between k·ln x and ln Γ(k) that costs the
// direct form about k·ln k ulps (1e−9 relative at k = 10⁶).
func (s service) logDensity(t float64) float64 {
	if s.k < 1 {
		return s.logNorm + (s.k-1)*math.Log(t) - s.rate*t
	}
	x := s.rate * t
	return s.logConst + math.Log(s.k/x) - bd0(s.k, x)
}

// stirlerr returns ln Γ(n+1) − [(n + ½)·ln n − n + ½·ln(2π)], the error of
// Stirling's formula, from its asymptotic series for n > 15 (where the direct
// difference would cancel) and directly otherwise.
func stirlerr(n float64) float64 {
	if n <= 15 {
		lg, _ := math.Lgamma(n + 1)
		return lg - (n+0.5)*math.Log(n) + n - 0.5*math.Log(2*math.Pi)
	}
	// 1/(12n) − 1/(360n³) + 1/(1260n⁵) − 1/(1680n⁷) + 1/(1188n⁹)
	n2 := n * n
	return (1.0/12 - (1.0/360-(1.0/1260-(1.0/1680-1.0/(1188*n2))/n2)/n2)/n2) / n
}

// bd0 returns k·ln(k/x) + x − k ≥ 0, the deviance term of the Poisson and
// gamma densities, by the series in v = (k − x)/(k + x) when k and x are
// close (Loader 2000), where the direct form cancels.
func bd0(k, x float64) float64 {
	d := k - x
	if math.Abs(d) >= 0.1*(k+x) {
		return k*math.Log(k/x) + x - k
	}
	// k·ln(k/x) + x − k = d·v + 2k·Σ_{j≥1} v^{2j+1}/(2j+1).
	v := d / (k + x)
	sum := d * v
	ej := 2 * k * v
	v *= v
	for j := 1; j < 1000; j++ {
		ej *= v
		next := sum + ej/float64(2*j+1)
		if next == sum {
			break
		}
		sum = next
	}
	return sum
}

func (s service) deterministic() bool { return s.k == 0 }

// survival returns P(S > t).
func (s service) survival(t float64) float64 {
	switch {
	case t <= 0:
		return 1
	case s.deterministic():
		if t < 1/s.mu {
			return 1
		}
		return 0
	case s.k == 1:
		return math.Exp(-s.rate * t)
	}
	return mathext.GammaIncRegComp(s.k, s.rate*t)
}

// density returns the density of S at t (0 for constant service, whose
// distribution has no density).
func (s service) density(t float64) float64 {
	if t <= 0 || s.deterministic() {
		return 0
	}
	return math.Exp(s.logDensity(t))
}

// quantile returns the p-quantile of S, 0 < p < 1.
func (s service) quantile(p float64) float64 {
	switch {
	case s.deterministic():
		return 1 / s.mu
	case s.k == 1:
		return -math.Log1p(-p) / s.mu
	}
	return gammaQuantile(s.k, p) / s.rate
}

// gammaQuantile returns x with P(k, x) = p for the regularised lower
// incomplete gamma function P. It takes gonum's inverse (of P, or of Q = 1 − P
// for p > ½, which is more accurate there) and checks it; where that has
// underflowed or missed (tiny p with small k, where x can be 1e−100), it falls
// back to bisection on ln x.
func gammaQuantile(k, p float64) float64 {
	var x float64
	if p > 0.5 {
		x = mathext.GammaIncRegCompInv(k, 1-p)
	} else {
		x = mathext.GammaIncRegInv(k, p)
	}
	if x > 0 && !math.IsInf(x, 1) && gammaCDFClose(k, x, p) {
		return x
	}
	hi := math.Max(1, 2*k)
	for mathext.GammaIncReg(k, hi) < p && !math.IsInf(hi, 1) {
		hi *= 2
	}
	lnx := bisect(func(u float64) bool { return mathext.GammaIncReg(k, math.Exp(u)) >= p }, math.Log(math.SmallestNonzeroFloat64), math.Log(hi))
	return math.Exp(lnx)
}

// gammaCDFClose reports whether P(k, x) = p to within 1e−12 relative to the
// smaller tail.
func gammaCDFClose(k, x, p float64) bool {
	if p > 0.5 {
		return math.Abs(mathext.GammaIncRegComp(k, x)-(1-p)) <= 1e-12*(1-p)
	}
	return math.Abs(mathext.GammaIncReg(k, x)-p) <= 1e-12*p
}

// ServiceQuantile returns the p-quantile of a gamma-distributed service time
// with mean 1/mu and squared coefficient of variation cs2 (shape 1/cs2, rate
// mu/cs2): −ln(1 − p)/μ when cs2 = 1 (exponential), 1/μ when cs2 = 0
// (constant), and otherwise P⁻¹(1/cs2, p)·cs2/μ with P⁻¹ the inverse of the
// regularised lower incomplete gamma function (gonum mathext.GammaIncRegInv).
//
// Because the response time T = W + S is never below S, no number of servers
// brings the p-quantile of T below this value (queueing.md §0.4, §1.6). It
// returns NaN when mu is not a positive finite number, cs2 is outside
// [0, MaxCS2] or p is not strictly between 0 and 1.
func ServiceQuantile(mu, cs2, p float64) float64 {
	if !isPositive(mu) || checkCS2(cs2) != nil || checkProb("p", p) != nil {
		return math.NaN()
	}
	return newService(mu, cs2).quantile(p)
}

// FitServiceCS2 returns the squared coefficient of variation c_s² of the
// gamma distribution with the given mean whose p-quantile equals quantile: the
// inverse of ServiceQuantile in cs2, for turning a measured mean and a
// measured percentile (from a latency histogram) into model input.
//
// The p-quantile is not monotone in c_s²: for p above ½ it rises from the
// mean (c_s² = 0) to a maximum (at c_s² ≈ 5 for p90, 12 for p95, 66 for p99,
// beyond MaxCS2 for p99.9) and then falls towards 0 as the distribution piles
// up near zero. FitServiceCS2 returns the smallest c_s² in [0, MaxCS2] that
// fits, which for quantile ≥ mean is on the rising branch.
// When no c_s² fits (the quantile is larger than any gamma distribution with
// this mean can have), it returns an *InfeasibleError whose Bound is the
// largest attainable p-quantile. It returns an *InputError when mean or
// quantile is not a positive finite number or p is not strictly between 0
// and 1.
func FitServiceCS2(mean, quantile, p float64) (float64, error) {
	if err := errors.Join(checkPositive("mean", mean), checkPositive("quantile", quantile), checkProb("p", p)); err != nil {
		return 0, err
	}
	svcQuantile := func(cs2 float64) float64 { return newService(1/mean, cs2).quantile(p) }
	if quantile == mean {
		return 0, nil
	}
	// Scan a geometric grid of cs2 (ratio 2^(1/8), from 1e−6 to MaxCS2) for
	// the first crossing, then bisect inside it.
	prevX, prevQ := 0.0, mean
	prevPrevX := 0.0
	best, bestX := mean, 0.0 // largest quantile seen, for the error
	for x := 1e-6; ; x *= fitGridRatio {
		x = math.Min(x, MaxCS2)
		q := svcQuantile(x)
		if (q >= quantile) != (prevQ >= quantile) {
			up := q >= quantile
			return bisect(func(y float64) bool { return (svcQuantile(y) >= quantile) == up }, prevX, x), nil
		}
		if quantile > mean && q < prevQ {
			// The quantile rose from the mean and has just turned down
			// without reaching the target: its peak lies in
			// (prevPrevX, x), where the grid may have stepped over a
			// crossing. Locate the peak and decide.
			xm, qm := goldenMax(svcQuantile, prevPrevX, x)
			if qm >= quantile {
				return bisect(func(y float64) bool { return svcQuantile(y) >= quantile }, prevPrevX, xm), nil
			}
			best, bestX = qm, xm
			break
		}
		if q > best {
			best, bestX = q, x
		}
		if x == MaxCS2 {
			break
		}
		prevPrevX, prevX, prevQ = prevX, x, q
	}
	return 0, &InfeasibleError{
		Reason: fmt.Sprintf("no gamma service-time distribution with mean %g and cs2 ≤ %d has a p%g of %g: the largest possible is %.6g (at cs2 = %.3g); check that the quantile and the mean are in the same unit", mean, MaxCS2, 100*p, quantile, best, bestX),
		Bound:  best,
	}
}

// fitGridRatio is the ratio between successive cs2 values FitServiceCS2
// tries, 2^(1/8).
const fitGridRatio = 1.0905077326652577

// goldenMax returns the maximiser and maximum of a unimodal f on [a, b] by
// golden-section search to float64 resolution.
func goldenMax(f func(float64) float64, a, b float64) (x, fx float64) {
	const invPhi = 0.6180339887498949 // (√5 − 1)/2
	x1, x2 := b-invPhi*(b-a), a+invPhi*(b-a)
	f1, f2 := f(x1), f(x2)
	for i := 0; i < 200 && b-a > 1e-15*b; i++ {
		if f1 >= f2 {
			b, x2, f2 = x2, x1, f1
			x1 = b - invPhi*(b-a)
			f1 = f(x1)
		} else {
			a, x1, f1 = x1, x2, f2
			x2 = a + invPhi*(b-a)
			f2 = f(x2)
		}
	}
	if f1 >= f2 {
		return x1, f1
	}
	return x2, f2
}

// convolveExp returns J(t) = ∫₀ᵗ g(s)·e^{−η(t−s)} ds for the service density g
// and η > 0: the part of P(S + E > t) with E ~ Exp(η) that comes from S ≤ t.
// For a gamma density it integrates numerically (adaptive Gauss–Legendre)
// over panels split at the features of the integrand: the bulk of the service
// density, the peak of the product, and the boundary layer at s = t. On the
// first panel [0, s₁] the substitution s = s₁·w^m, m = ⌈4/k⌉, removes the
// s^{k−1} singularity of the density at 0 when k < 4. It is checked against
// series expansions to 1e−9 relative for shapes 0.01 to 10⁶.
func (s service) convolveExp(eta, t float64) float64 {
	if t <= 0 || math.IsInf(eta, 1) {
		return 0
	}
	if s.deterministic() {
		if m := 1 / s.mu; t >= m {
			return math.Exp(-eta * (t - m))
		}
		return 0
	}
	// Breakpoints at the features of the integrand g(s)·e^{−η(t−s)} ∝
	// s^{k−1}·e^{−(kμ−η)s}, so that no panel holds a narrow peak between its
	// nodes: the bulk of the density (mean and mode ± up to 20 sd), the
	// neighbourhood of 0, the peak of the product (mode (k−1)/(kμ−η), width
	// √(k−1)/(kμ−η)) when it has one, and the layer at s = t where the
	// kernel rises to 1 (widths 1/η and 1/L, L the log-slope at t).
	mean, sd := s.k/s.rate, math.Sqrt(s.k)/s.rate
	var buf [40]float64
	cuts := append(buf[:0], 1e-3*mean, 0.1*mean)
	spread := []float64{-20, -8, -3, -1, 0, 1, 3, 8, 20}
	for _, j := range spread {
		cuts = append(cuts, mean+j*sd)
	}
	if s.k > 1 {
		cuts = append(cuts, (s.k-1)/s.rate) // mode of g
		if r := s.rate - eta; r > 0 {
			peak, width := (s.k-1)/r, math.Sqrt(s.k-1)/r
			for _, j := range spread {
				cuts = append(cuts, peak+j*width)
			}
		}
	}
	slopes := []float64{eta, (s.k-1)/t - s.rate + eta}
	for _, l := range slopes {
		if l > 0 {
			for _, j := range []float64{1, 4, 16, 64} {
				cuts = append(cuts, t-j/l)
			}
		}
	}
	slices.Sort(cuts)
	edges := append(make([]float64, 0, len(cuts)+2), 0)
	for _, x := range cuts {
		if x > edges[len(edges)-1]+1e-9*t && x < t*(1-1e-9) {
			edges = append(edges, x)
		}
	}
	edges = append(edges, t)

	const tol = 1e-15
	integrand := func(x float64) float64 { return math.Exp(s.logDensity(x) - eta*(t-x)) }
	var sum float64
	first := 0
	if m := math.Ceil(4 / s.k); m > 1 {
		// First panel, with s = s₁·w^m: the density's s^{k−1} times
		// ds = m·s₁·w^{m−1}dw is s₁^k·m·w^{mk−1}, smooth at w = 0.
		s1 := edges[1]
		logScale := s.logNorm + s.k*math.Log(s1) + math.Log(m)
		sum = integrate(func(w float64) float64 {
			x := s1 * math.Pow(w, m)
			return math.Exp(logScale + (m*s.k-1)*math.Log(w) - s.rate*x - eta*(t-x))
		}, 0, 1, tol)
		first = 1
	}
	for i := first; i+1 < len(edges); i++ {
		sum += integrate(integrand, edges[i], edges[i+1], tol)
	}
	return sum
}

// ggcResponse is the two-moment response-time model of a G/G/c queue: the
// wait is 0 with probability 1 − delayProb and exponential with rate eta
// otherwise, the service time is gamma.
type ggcResponse struct {
	svc       service
	delayProb float64
	eta       float64
}

// newGGcResponse validates the arguments of the G/G/c functions and returns
// the model.
func newGGcResponse(lambda, mu float64, c int, ca2, cs2 float64) (ggcResponse, error) {
	if err := errors.Join(checkNonNegative("ca2", ca2), checkCS2(cs2)); err != nil {
		return ggcResponse{}, err
	}
	a, err := stableQueue(lambda, mu, c)
	if err != nil {
		return ggcResponse{}, err
	}
	return ggcModel(newService(mu, cs2), a, c, ErlangC(c, a), ca2+cs2), nil
}

// ggcModel builds the model from the delay probability at c servers:
// conditional wait mean E[W]/P(W>0) = (c_a² + c_s²)/(2(cμ − λ)) (Allen–Cunneen
// divided by Erlang C).
func ggcModel(svc service, a float64, c int, delayProb, scvSum float64) ggcResponse {
	theta := svc.mu * (float64(c) - a)
	return ggcResponse{svc: svc, delayProb: delayProb, eta: 2 * theta / scvSum}
}

func (r ggcResponse) survival(t float64) float64 {
	s, _ := r.survivalDensity(t)
	return s
}

// survivalDensity returns P(T > t) and the density of T at t,
// f_T(t) = (1 − C)·g(t) + C·η·J(t), since J′(t) = g(t) − η·J(t).
func (r ggcResponse) survivalDensity(t float64) (float64, float64) {
	if t < 0 {
		return 1, 0
	}
	s, g := r.svc.survival(t), r.svc.density(t)
	if r.delayProb == 0 {
		return s, g
	}
	if math.IsInf(r.eta, 1) { // no conditional wait (c_a² = c_s² = 0)
		return s, g
	}
	j := r.svc.convolveExp(r.eta, t)
	return s + r.delayProb*j, (1-r.delayProb)*g + r.delayProb*r.eta*j
}

func (r ggcResponse) quantile(p float64) float64 {
	lo := r.svc.quantile(p)
	return solveDecreasingNewton(r.survivalDensity, 1-p, lo, lo+1/r.svc.mu)
}

// MeanResponseGGc returns the Allen–Cunneen approximation of the mean
// response time of a G/G/c queue, E[T] ≈ E[W] + 1/μ with E[W] from
// MeanWaitAllenCunneen. It is an approximation (exact for M/M/c and M/G/1).
// It returns an *InputError for invalid arguments and an error wrapping
// ErrUnstable when λ/μ ≥ c.
func MeanResponseGGc(lambda, mu float64, c int, ca2, cs2 float64) (float64, error) {
	w, err := MeanWaitAllenCunneen(lambda, mu, c, ca2, cs2)
	if err != nil {
		return 0, err
	}
	return w + 1/mu, nil
}

// ResponseSurvivalGGc returns the two-moment approximation of P(T > t) for
// the response time of a G/G/c FCFS queue (queueing.md §1.6):
//
//	P(T > t) ≈ P(S > t) + C(c, a) · ∫₀ᵗ g(s)·e^{−η(t−s)} ds,   η = 2(cμ − λ)/(c_a² + c_s²),
//
// that is: the wait is 0 with probability 1 − C(c, a) (Erlang C, good for
// M/G/c per Whitt 1993 and Tijms 2003) and otherwise exponential with the mean
// E[W]/P(W > 0), E[W] from Allen–Cunneen; the service time S is gamma with
// mean 1/μ and squared coefficient of variation cs2 (density g); the two are
// convolved numerically. This is an approximation; it is exact for M/M/c
// (ca2 = cs2 = 1), where it equals MMc.ResponseSurvival.
//
// cs2 must lie in [0, MaxCS2]. It returns an *InputError for invalid
// arguments and an error wrapping ErrUnstable when λ/μ ≥ c.
func ResponseSurvivalGGc(lambda, mu float64, c int, ca2, cs2, t float64) (float64, error) {
	r, err := newGGcResponse(lambda, mu, c, ca2, cs2)
	if err != nil {
		return 0, err
	}
	if math.IsNaN(t) {
		return 0, &InputError{Arg: "t", Value: t, Want: "a number"}
	}
	return r.survival(t), nil
}

// ResponseQuantileGGc returns the two-moment approximation of the p-quantile
// of the response time T = W + S of a G/G/c FCFS queue: the t with
// P(T > t) = 1 − p for the distribution of ResponseSurvivalGGc, found by
// Newton's method on the survival function and its density, safeguarded by
// bisection, to about 1e−15 relative (the bracket starts at the
// service-time quantile, since T ≥ S). It is an approximation, exact (to
// about 1e−12) for M/M/c: with ca2 = cs2 = 1 it equals MMc.ResponseQuantile.
// One call costs about 0.1–0.3 ms.
//
// Arguments: lambda arrival rate, mu service rate of one server (1/E[S]), c
// servers, ca2 and cs2 squared coefficients of variation of inter-arrival and
// service times (cs2 in [0, MaxCS2]), 0 < p < 1. It returns an *InputError for
// invalid arguments and an error wrapping ErrUnstable when λ/μ ≥ c.
func ResponseQuantileGGc(lambda, mu float64, c int, ca2, cs2, p float64) (float64, error) {
	r, err := newGGcResponse(lambda, mu, c, ca2, cs2)
	if err != nil {
		return 0, err
	}
	if err := checkProb("p", p); err != nil {
		return 0, err
	}
	return r.quantile(p), nil
}
