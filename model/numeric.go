package model

import (
	"math"

	"gonum.org/v1/gonum/integrate/quad"
)

// This file holds the two numerical workhorses shared by the quantile and
// staffing code: a bracketing root finder for monotone functions and an
// adaptive Gauss–Legendre quadrature. Neither is exported.

// maxBisect bounds every bisection loop. Bisection between two finite
// float64 values reaches adjacent values in at most about 2 100 halvings (the
// exponent range), so the bound is only a guard against a non-terminating
// loop on NaN input.
const maxBisect = 2200

// solveDecreasing returns the smallest t ≥ lo, to float64 resolution, with
// f(t) ≤ y, for a non-increasing f. hi is a first guess for an upper end of
// the bracket; it is doubled until f(hi) ≤ y. When f(lo) ≤ y it returns lo;
// when no finite bracket exists it returns +Inf. lo must be finite and hi > lo.
func solveDecreasing(f func(float64) float64, y, lo, hi float64) float64 {
	if f(lo) <= y {
		return lo
	}
	for i := 0; f(hi) > y; i++ {
		if math.IsInf(hi, 1) || i > maxBisect {
			return math.Inf(1)
		}
		lo, hi = hi, hi+2*(hi-lo)
	}
	return bisect(func(t float64) bool { return f(t) <= y }, lo, hi)
}

// bisect returns, to float64 resolution, the boundary of a predicate that is
// false at lo and true at hi and changes once in between: the smallest value
// (up to one ulp) for which ok holds.
func bisect(ok func(float64) bool, lo, hi float64) float64 {
	for i := 0; i < maxBisect; i++ {
		mid := lo + (hi-lo)/2
		if mid <= lo || mid >= hi {
			break
		}
		if ok(mid) {
			hi = mid
		} else {
			lo = mid
		}
	}
	return hi
}

// solveDecreasingNewton returns the t ≥ lo with f(t) = y for a continuous,
// non-increasing f, given fd(t) = (f(t), −f′(t)). It brackets the root like
// solveDecreasing and then takes Newton steps, falling back to bisection
// whenever a step would leave the bracket or would not halve the previous
// step (the safeguard of Numerical Recipes' rtsafe, §9.4), until a step is
// below 1e−15 relative. The iteration starts from the Newton estimate from
// whichever end of the bracket needs the shorter step. It returns lo when
// f(lo) ≤ y and +Inf when no finite bracket exists. lo must be finite and
// hi > lo.
func solveDecreasingNewton(fd func(float64) (float64, float64), y, lo, hi float64) float64 {
	flo, dlo := fd(lo)
	if flo <= y {
		return lo
	}
	var fhi, dhi float64
	for i := 0; ; i++ {
		fhi, dhi = fd(hi)
		if fhi <= y {
			break
		}
		if math.IsInf(hi, 1) || i > maxBisect {
			return math.Inf(1)
		}
		lo, hi = hi, hi+2*(hi-lo)
		flo, dlo = fhi, dhi
	}
	x, fx, dx := lo, flo, dlo
	if stepLo, stepHi := (flo-y)/dlo, (fhi-y)/dhi; -stepHi < stepLo {
		if start := hi + stepHi; start > lo && start < hi {
			x = start
			if fx, dx = fd(x); fx <= y {
				hi = x
			} else {
				lo = x
			}
		}
	}
	step, prevStep := hi-lo, hi-lo
	for i := 0; i < maxBisect; i++ {
		newton := x + (fx-y)/dx
		if math.Abs(newton-x) <= 1e-15*x {
			return newton // converged; the step may round back onto x itself
		}
		if !(newton > lo && newton < hi) || math.Abs(2*(fx-y)) > math.Abs(prevStep*dx) {
			prevStep, step = step, (hi-lo)/2
			x = lo + step
		} else {
			prevStep, step = step, newton-x
			x = newton
		}
		if math.Abs(step) <= 1e-15*x || x <= lo || x >= hi {
			return x
		}
		fx, dx = fd(x)
		if fx > y {
			lo = x
		} else {
			hi = x
		}
	}
	return x
}

// solveBracketed returns a root of a continuous f in [a, b], a < b, given
// fa = f(a) and fb = f(b) of opposite signs (or zero), to within a few ulps,
// by regula falsi with the Anderson–Björck modification: when the same end
// of the bracket is kept twice in a row, its value is scaled by
// 1 − f(c)/f(new end) (or ½), which makes the convergence superlinear.
func solveBracketed(f func(float64) float64, a, b, fa, fb float64) float64 {
	switch {
	case fa == 0:
		return a
	case fb == 0:
		return b
	}
	side := 0
	for range maxBisect {
		c := (a*fb - b*fa) / (fb - fa)
		if !(c > a && c < b) {
			c = a + (b-a)/2
		}
		if b-a <= 4e-16*math.Max(math.Abs(a), math.Abs(b)) || c <= a || c >= b {
			return c
		}
		fc := f(c)
		if fc == 0 {
			return c
		}
		if (fc > 0) == (fb > 0) {
			if side == -1 {
				fa *= andersonBjorck(fc, fb)
			}
			b, fb, side = c, fc, -1
		} else {
			if side == 1 {
				fb *= andersonBjorck(fc, fa)
			}
			a, fa, side = c, fc, 1
		}
	}
	return a + (b-a)/2
}

// andersonBjorck returns the factor 1 − fc/fOld for the value kept at the
// fixed end of the bracket, or ½ when that is not positive.
func andersonBjorck(fc, fOld float64) float64 {
	if m := 1 - fc/fOld; m > 0 {
		return m
	}
	return 0.5
}

// glOrder is the number of Gauss–Legendre nodes per panel.
const glOrder = 10

// glNodes and glWeights are the Gauss–Legendre rule of order glOrder on
// [−1, 1]. They are computed once and only read afterwards.
var glNodes, glWeights = legendreRule(glOrder)

// legendreRule returns the n-point Gauss–Legendre nodes and weights on
// [−1, 1] (computed by gonum's integrate/quad).
func legendreRule(n int) (x, w []float64) {
	x = make([]float64, n)
	w = make([]float64, n)
	quad.Legendre{}.FixedLocations(x, w, -1, 1)
	return x, w
}

// glPanel applies the Gauss–Legendre rule to f on [a, b].
func glPanel(f func(float64) float64, a, b float64) float64 {
	half, mid := (b-a)/2, a+(b-a)/2
	var s float64
	for i, x := range glNodes {
		s += glWeights[i] * f(mid+half*x)
	}
	return s * half
}

// maxAdaptDepth bounds the recursion of integrate: a panel is halved at most
// this many times, i.e. down to 2⁻⁶⁰ of its original width.
const maxAdaptDepth = 60

// maxAdaptSplits bounds the number of panel splits in one call of integrate
// (about 20 integrand evaluations each), so that an integrand whose rounding
// noise exceeds the tolerance cannot make the refinement run away.
const maxAdaptSplits = 400

// integrate returns ∫_a^b f(x) dx by adaptive Gauss–Legendre quadrature: a
// panel is accepted when the rule on the panel and the sum of the rule on its
// two halves agree within tol (absolute) or within 1e−14 relative (the
// rounding floor), otherwise both halves are refined with tol/√2 each, up to
// maxAdaptSplits splits in all. f must be finite on the open interval
// (a, b); the nodes never touch the end points, so integrable end-point
// singularities are allowed (they converge slowly; callers remove them by
// substitution where they can).
func integrate(f func(float64) float64, a, b, tol float64) float64 {
	if !(b > a) {
		return 0
	}
	splits := maxAdaptSplits
	return adapt(f, a, b, glPanel(f, a, b), tol, 0, &splits)
}

func adapt(f func(float64) float64, a, b, whole, tol float64, depth int, splits *int) float64 {
	m := a + (b-a)/2
	left, right := glPanel(f, a, m), glPanel(f, m, b)
	sum := left + right
	*splits--
	if depth >= maxAdaptDepth || *splits <= 0 || m <= a || m >= b || math.Abs(sum-whole) <= math.Max(tol, 1e-14*math.Abs(sum)) {
		return sum
	}
	tol /= math.Sqrt2
	return adapt(f, a, m, left, tol, depth+1, splits) + adapt(f, m, b, right, tol, depth+1, splits)
}
