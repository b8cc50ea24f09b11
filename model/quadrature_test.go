package model

import (
	"math"
	"slices"

	"gonum.org/v1/gonum/integrate/quad"
)

// The adaptive Gauss–Legendre quadrature that computed the G/G/c
// response-time convolution before its closed forms (convolveExp) replaced
// it. It stays as the tests' independent reference (convolveExpQuad) and
// for checking other closed forms (integrate).

// convolveExpQuad returns J(t) = ∫₀ᵗ g(s)·e^{−η(t−s)} ds like convolveExp, by
// quadrature: the implementation convolveExp replaced, kept as the reference
// its closed forms are tested against. It integrates numerically (adaptive Gauss–Legendre)
// over panels split at the features of the integrand: the bulk of the service
// density, the peak of the product, and the boundary layer at s = t. On the
// first panel [0, s₁] the substitution s = s₁·w^m, m = ⌈4/k⌉, removes the
// s^{k−1} singularity of the density at 0 when k < 4. It is checked against
// series expansions to 1e−9 relative for shapes 0.01 to 10⁶
// (TestConvolveExp_Random). Its accuracy has limits that the closed forms do
// not share (checked against 60-digit values): values below its absolute
// tolerance of 1e−15 can be off by 1e−4 relative, and it loses the kernel
// when η·sd(S) exceeds about 10⁵ (off by 1e−6 relative at k = 2.7·10⁵,
// η = 10⁵·kμ, and 0 instead of 4e−9 at k = 10⁶).
func (s service) convolveExpQuad(eta, t float64) float64 {
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
