package model

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/optimize"
)

// USL is Gunther's Universal Scalability Law for the throughput of one pod
// (or one process) against its concurrency N (N. J. Gunther, Guerrilla
// Capacity Planning, Springer 2007, ch. 4; B. Schwartz, Practical Scalability
// Analysis with the Universal Scalability Law, 2015):
//
//	X(N) = λ₁·N / (1 + σ(N − 1) + κN(N − 1)).
//
// σ measures contention (the serial fraction of Amdahl's law), κ coherency
// (crosstalk) cost; with κ > 0 throughput peaks at N* = √((1 − σ)/κ) and then
// falls. The fields use the symbols of the law; Lambda is a throughput
// (requests per unit time), not an arrival rate.
type USL struct {
	// Sigma is the contention coefficient σ, normally in [0, 1).
	Sigma float64
	// Kappa is the coherency coefficient κ, normally ≥ 0.
	Kappa float64
	// Lambda is λ₁, the throughput at concurrency 1 (ideal throughput per
	// unit of concurrency).
	Lambda float64
}

// Throughput returns X(N), the throughput at concurrency n.
func (u USL) Throughput(n float64) float64 {
	return u.Lambda * n / (1 + u.Sigma*(n-1) + u.Kappa*n*(n-1))
}

// Latency returns the mean response time at concurrency n by Little's law
// with no think time, R(N) = N/X(N) = (1 + σ(N−1) + κN(N−1))/λ₁: the effective
// service time of one request when a pod runs n at once.
func (u USL) Latency(n float64) float64 {
	return (1 + u.Sigma*(n-1) + u.Kappa*n*(n-1)) / u.Lambda
}

// PeakConcurrency returns the concurrency N* ≥ 1 at which X(N) is largest
// over real N ≥ 1: √((1 − σ)/κ), or 1 when that is below 1. It returns +Inf
// when κ ≤ 0, where throughput never falls.
func (u USL) PeakConcurrency() float64 {
	if !(u.Kappa > 0) {
		return math.Inf(1)
	}
	return math.Max(1, math.Sqrt(math.Max(0, (1-u.Sigma)/u.Kappa)))
}

// MaxConcurrency returns ⌊N*⌋, the integer concurrency codahale/usl and the
// conformance data report as the peak. X(⌈N*⌉) can be slightly larger; do
// not run pods above N*, where throughput falls (Gunther 2007). It returns 0
// when κ ≤ 0 (no peak).
func (u USL) MaxConcurrency() int {
	n := u.PeakConcurrency()
	if math.IsInf(n, 1) || n > MaxServers {
		return 0
	}
	return int(math.Floor(n))
}

// MaxThroughput returns X(MaxConcurrency()), the throughput at the integer
// peak. When κ ≤ 0 it returns the supremum lim X(N) = λ₁/σ (+Inf when σ ≤ 0).
func (u USL) MaxThroughput() float64 {
	if n := u.MaxConcurrency(); n > 0 {
		return u.Throughput(float64(n))
	}
	if u.Sigma > 0 {
		return u.Lambda / u.Sigma
	}
	return math.Inf(1)
}

// USLMeasurement is one observed point: throughput (requests per unit time)
// at a concurrency level (requests in flight, or load-generator workers).
type USLMeasurement struct {
	// Concurrency is the concurrency level N, > 0.
	Concurrency float64
	// Throughput is the measured throughput X(N), ≥ 0, in any rate unit
	// (the fitted Lambda comes out in the same unit).
	Throughput float64
}

// FitUSL fits σ, κ and λ₁ to measurements by nonlinear least squares on
// throughput, minimising Σ (X_i − X(N_i))², with gonum's optimize.Newton and
// the analytic gradient and Hessian. The start values are those of
// codahale/usl (model.go, Build): σ = 0.1, κ = 0.01, λ₁ = max X_i/N_i. It
// reproduces codahale/usl's fit of Schwartz's 32-point dataset
// (σ = 0.0267159, κ = 7.69094e−4, λ₁ = 995.649) to 2e−6 relative, with a
// slightly lower sum of squares than the published parameters.
//
// σ and κ are constrained to be ≥ 0: when the unconstrained optimum has a
// negative one, the fit is repeated with it fixed at 0 and the best
// admissible fit is returned.
//
// At least three distinct concurrency levels are needed (three parameters);
// six or more are recommended. It returns an *InputError for a non-positive
// or non-finite concurrency, a negative or non-finite throughput or too few
// levels, and an error when the optimiser fails.
//
// The fit runs gonum's optimize.Minimize, which runs the method in a goroutine
// of its own and reads the clock for its statistics; the result does not
// depend on either.
func FitUSL(ms []USLMeasurement) (USL, error) {
	levels := map[float64]bool{}
	var lambda0 float64
	for i, m := range ms {
		arg := fmt.Sprintf("ms[%d]", i)
		if err := errors.Join(checkPositive(arg+".Concurrency", m.Concurrency), checkNonNegative(arg+".Throughput", m.Throughput)); err != nil {
			return USL{}, err
		}
		levels[m.Concurrency] = true
		lambda0 = math.Max(lambda0, m.Throughput/m.Concurrency)
	}
	if len(levels) < 3 {
		return USL{}, &InputError{Arg: "len(distinct concurrency levels)", Value: float64(len(levels)), Want: "at least 3 (6 or more recommended)"}
	}
	if lambda0 == 0 {
		return USL{}, &InputError{Arg: "max throughput", Value: 0, Want: "positive"}
	}
	start := [3]float64{0.1, 0.01, lambda0}

	var best USL
	bestSSE := math.Inf(1)
	var errs []error
	// Free parameters: all three, then with σ, κ or both pinned at 0.
	for _, free := range [][3]bool{{true, true, true}, {false, true, true}, {true, false, true}, {false, false, true}} {
		u, sse, err := fitUSLMasked(ms, start, free)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if u.Sigma >= 0 && u.Kappa >= 0 && sse < bestSSE {
			best, bestSSE = u, sse
		}
		if free == [3]bool{true, true, true} && u.Sigma >= 0 && u.Kappa >= 0 {
			break // the unconstrained optimum is admissible
		}
	}
	if math.IsInf(bestSSE, 1) {
		return USL{}, fmt.Errorf("fit USL to %d measurements: %w", len(ms), errors.Join(errs...))
	}
	return best, nil
}

// uslObjective is the least-squares objective of FitUSL in scaled
// coordinates: parameter j is scale[j]·x[j'] for the free parameters j and 0
// for the others, and the sum of squares is divided by Σ X_i² so that it is
// of order 1.
type uslObjective struct {
	ms    []USLMeasurement
	scale [3]float64
	free  []int // indices (0 σ, 1 κ, 2 λ₁) of the free parameters
	norm  float64
}

// params maps the optimiser's x to (σ, κ, λ₁).
func (o *uslObjective) params(x []float64) [3]float64 {
	var p [3]float64
	for i, j := range o.free {
		p[j] = o.scale[j] * x[i]
	}
	return p
}

// eval returns the objective and, when grad or hess is non-nil, its gradient
// and Hessian (exact second derivatives, not the Gauss–Newton product).
func (o *uslObjective) eval(x, grad []float64, hess *mat.SymDense) float64 {
	p := o.params(x)
	sigma, kappa, lambda := p[0], p[1], p[2]
	var s float64
	var g [3]float64
	var h [3][3]float64
	for _, m := range o.ms {
		n := m.Concurrency
		a, b := n-1, n*(n-1)
		d := 1 + sigma*a + kappa*b
		f := lambda * n / d
		r := m.Throughput - f
		s += r * r
		if grad == nil && hess == nil {
			continue
		}
		// First and second derivatives of the model f in (σ, κ, λ₁).
		d2, d3 := d*d, d*d*d
		df := [3]float64{-lambda * n * a / d2, -lambda * n * b / d2, n / d}
		ddf := [3][3]float64{
			{2 * lambda * n * a * a / d3, 2 * lambda * n * a * b / d3, -n * a / d2},
			{2 * lambda * n * a * b / d3, 2 * lambda * n * b * b / d3, -n * b / d2},
			{-n * a / d2, -n * b / d2, 0},
		}
		for j := range 3 {
			g[j] += -2 * r * df[j]
			for k := range 3 {
				h[j][k] += 2 * (df[j]*df[k] - r*ddf[j][k])
			}
		}
	}
	for i, j := range o.free {
		if grad != nil {
			grad[i] = g[j] * o.scale[j] / o.norm
		}
		if hess != nil {
			for ii, k := range o.free {
				if ii >= i {
					hess.SetSym(i, ii, h[j][k]*o.scale[j]*o.scale[k]/o.norm)
				}
			}
		}
	}
	if math.IsNaN(s) {
		return math.Inf(1)
	}
	return s / o.norm
}

// stagnated reports whether err is a line-search failure caused by
// floating-point resolution rather than by the problem.
func stagnated(err error) bool {
	return errors.Is(err, optimize.ErrNonDescentDirection) || errors.Is(err, optimize.ErrNoProgress) || errors.Is(err, optimize.ErrLinesearcherFailure)
}

// fitUSLMasked minimises the objective over the free parameters and returns
// the fit and its sum of squared residuals.
func fitUSLMasked(ms []USLMeasurement, start [3]float64, free [3]bool) (USL, float64, error) {
	o := &uslObjective{ms: ms, scale: start}
	for _, m := range ms {
		o.norm += m.Throughput * m.Throughput
	}
	var x0 []float64
	for j, f := range free {
		if f {
			o.free = append(o.free, j)
			x0 = append(x0, 1)
		}
	}
	prob := optimize.Problem{
		Func: func(x []float64) float64 { return o.eval(x, nil, nil) },
		Grad: func(grad, x []float64) { o.eval(x, grad, nil) },
		Hess: func(hess *mat.SymDense, x []float64) { o.eval(x, nil, hess) },
	}
	settings := &optimize.Settings{
		Converger:       &optimize.FunctionConverge{Absolute: 1e-17, Relative: 1e-15, Iterations: 20},
		MajorIterations: 1000,
		Concurrent:      1,
	}
	res, err := optimize.Minimize(prob, x0, settings, &optimize.Newton{})
	switch {
	case err == nil && res.Status != optimize.GradientThreshold && res.Status != optimize.FunctionConvergence:
		return USL{}, 0, fmt.Errorf("optimiser stopped with status %v", res.Status)
	case err != nil && res != nil && stagnated(err):
		// The line search could not descend any further in float64, which
		// happens at a zero-residual optimum. Accept the point if it is
		// stationary.
		g := make([]float64, len(res.X))
		o.eval(res.X, g, nil)
		if floats.Norm(g, math.Inf(1)) > 1e-9 {
			return USL{}, 0, fmt.Errorf("optimiser: %w (gradient %g)", err, floats.Norm(g, math.Inf(1)))
		}
	case err != nil:
		return USL{}, 0, fmt.Errorf("optimiser: %w", err)
	}
	p := o.params(res.X)
	return USL{Sigma: p[0], Kappa: p[1], Lambda: p[2]}, res.F * o.norm, nil
}
