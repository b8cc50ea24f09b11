package model

import (
	"math"
	"math/rand/v2"
)

// Helpers shared by the queueing tests (erlang, mmc, mmck, approx, ggc,
// staffing, halfinwhitt, usl).

// queueingRand returns the seeded source of the property tests, so that
// every run checks the same inputs.
func queueingRand() *rand.Rand { return rand.New(rand.NewPCG(20260101, 1)) }

// relErr returns |got − want| / |want| (|got − want| when want is 0).
func relErr(got, want float64) float64 {
	d := math.Abs(got - want)
	if want == 0 {
		return d
	}
	return d / math.Abs(want)
}

// within reports whether got is within tol of want, relative when rel is
// true, absolute otherwise; NaN is never within.
func within(got, want, tol float64, rel bool) bool {
	if math.IsNaN(got) {
		return false
	}
	if rel {
		return relErr(got, want) <= tol
	}
	return math.Abs(got-want) <= tol
}

// directErlangB computes B(c, a) by summing the Poisson terms aᵏ/k! directly
// with no recursion: the "dumb twin" of ErlangB for small c and a.
func directErlangB(c int, a float64) float64 {
	term, sum := 1.0, 1.0
	for k := 1; k <= c; k++ {
		term *= a / float64(k)
		sum += term
	}
	return term / sum
}

// sink keeps benchmark results alive.
var sink float64
