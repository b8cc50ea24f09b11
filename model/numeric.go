package model

import "math"

// This file holds the root finders shared by the quantile, staffing and
// fitting code: bisection and safeguarded Newton for monotone functions, and
// regula falsi for a bracketed root. None is exported. (The adaptive
// Gauss–Legendre quadrature that used to live here is now only the tests'
// reference; see quadrature_test.go.)

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
// by the Illinois variant of regula falsi: the secant through the ends of the
// bracket, where an end kept twice in a row has its value halved, which
// makes the convergence superlinear (order about 1.44) and keeps it so for
// strongly convex f (x²⁰ − ½ on [0, 1.2] takes 23 steps; the
// Anderson–Björck variant needs 103 there).
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
				fa /= 2
			}
			b, fb, side = c, fc, -1
		} else {
			if side == 1 {
				fb /= 2
			}
			a, fa, side = c, fc, 1
		}
	}
	return a + (b-a)/2
}

// survivalQuantile is the p-quantile of a response time with survival
// function surv: the smallest t with surv(t) ≤ 1 − p, found by doubling
// from lo (the service time's own p-quantile, a lower bound, since the
// response is the service plus a non-negative wait) in steps of the mean
// service time 1/mu, then bisecting; +Inf when 200 doublings do not reach
// it.
func survivalQuantile(surv func(float64) float64, lo, mu, p float64) float64 {
	y := 1 - p
	if surv(lo) <= y {
		return lo
	}
	hi := lo + 1/mu
	for i := 0; surv(hi) > y; i++ {
		if i > 200 {
			return math.Inf(1)
		}
		hi *= 2
	}
	return bisect(func(t float64) bool { return surv(t) <= y }, lo, hi)
}
