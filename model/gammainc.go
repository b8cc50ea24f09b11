package model

import (
	"math"

	"gonum.org/v1/gonum/mathext"
)

// This file holds the special functions behind the gamma service-time model
// and the G/G/c response-time distribution: the regularised incomplete gamma
// functions P and Q and their inverse (gammaP, gammaQ, gammaQuantile), in
// log space where they underflow, with Loader's (2000) saddle-point terms
// (stirlerr, bd0), the series and continued fraction of DLMF 8.7 and 8.9,
// the large-k expansions of DLMF 8.11 and 8.12 (Temme), and E[1/(k + N)] for
// Poisson N (poissonMeanInv). gonum's mathext is used where it is accurate.

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

// gammaQuantile returns x with P(k, x) = p for the regularised lower
// incomplete gamma function P, 0 < p < 1: the p-quantile of Gamma(k, 1).
// It solves ln P(k, x) = ln p for p ≤ ½ and ln Q(k, x) = ln(1 − p) for p > ½
// (Q = 1 − P, which keeps the upper tail's relative accuracy) by Halley's
// method in u = ln x. Both log-tails are concave in u, because ln S has a
// log-concave density, so the iteration cannot overshoot far; a bracket
// guards the first steps anyway. It starts from the larger of the
// Wilson–Hilferty approximation and the lower bound (p·Γ(k+1))^{1/k} that
// P(k, x) ≤ x^k/Γ(k+1) gives (for k < 0.1 and p > ½, from the far-tail form
// of Q), and takes 2–5 steps, up to 8 in the extreme tails. The tails come
// from gammaLogTail, which stays accurate where gonum's P(k, x) does not (x
// below a shape k above 10⁵) or underflows. It returns 0 when the quantile
// is below the smallest float64.
func gammaQuantile(k, p float64) float64 {
	upper := p > 0.5
	target := math.Log(p)
	if upper {
		target = math.Log1p(-p)
	}
	lg, _ := math.Lgamma(k + 1)
	lo := math.Exp((math.Log(p) + lg) / k) // P(k, lo) ≤ p
	if lo == 0 {
		// The quantile is below the smallest float64 (for p = 10⁻⁶ and
		// k = 0.01 it is about e^{−1380}).
		return 0
	}
	x := lo
	if z := -math.Sqrt2 * math.Erfcinv(2*p); k >= 0.1 {
		c := 1 - 1/(9*k) + z/(3*math.Sqrt(k))
		if wh := k * c * c * c; wh > x && !math.IsInf(wh, 1) {
			x = wh
		}
	} else if upper {
		// Q(k, x) ≈ x^{k−1}·e^{−x}/Γ(k) in the far tail of a very skewed
		// gamma: two fixed-point steps of x = (k−1)·ln x − ln((1−p)·Γ(k)).
		lgk, _ := math.Lgamma(k)
		c := -(target + lgk)
		if t := c + (k-1)*math.Log(math.Max(c, 1)); t > x {
			x = math.Max(c+(k-1)*math.Log(t), x)
		}
	}
	hi := math.Inf(1)
	prevStep := math.Inf(1)
	for range 100 {
		// f(u) = ln P − ln p, or ln(1 − p) − ln Q: increasing in u = ln x,
		// with f′ = s = k·x^k·e^{−x}/(Γ(k+1)·tail) and f″ = s·(k − x ∓ s).
		lp := logPoissonTerm(k, x)
		tail := gammaLogTail(k, x, lp, upper)
		s := k * math.Exp(lp-tail)
		f, f2 := tail-target, s*(k-x-s)
		if upper {
			f, f2 = target-tail, s*(k-x+s)
		}
		switch {
		case f == 0:
			return x
		case f < 0:
			lo = x
		default:
			hi = x
		}
		step := -f / s                                     // Newton
		if h := step * f2 / (2 * s); h > -0.5 && h < 0.5 { // Halley's correction
			step /= 1 + h
		}
		next := x * math.Exp(step)
		if math.Abs(step) <= 1e-15 {
			return next
		}
		if math.Abs(step) >= math.Abs(prevStep) && math.Abs(prevStep) < 1e-9 {
			return x // the step no longer shrinks: rounding noise
		}
		if !(next > lo && next < hi) { // NaN, or outside the bracket
			if math.IsInf(hi, 1) {
				next = 4 * x
			} else {
				next = math.Sqrt(lo) * math.Sqrt(hi)
			}
			step = math.Inf(1)
		}
		if hi/lo-1 <= 1e-15 {
			return next
		}
		prevStep, x = step, next
	}
	return x
}

// gammaLogTail returns ln P(k, x), or ln Q(k, x) when upper is set, for
// x > 0, given lp = logPoissonTerm(k, x) (gammaP and gammaQ, with the lower
// tail below k in log space, where it can be below the smallest float64).
func gammaLogTail(k, x, lp float64, upper bool) float64 {
	if upper {
		if k <= 20 && x > k+1 && !useSmallShapeQ(k, x) {
			return gammaLogUpperCF(k, x, lp)
		}
		return math.Log(gammaQ(k, x))
	}
	if x < k && !gonumTemmeZone(k, x) {
		return gammaLogLower(k, x, lp)
	}
	return math.Log(gammaP(k, x))
}

// gammaLogLower returns ln P(k, x) for 0 < x < k outside gonumTemmeZone,
// given lp = logPoissonTerm(k, x), as ln(k·e^{lp}·F(k, x)) with F from
// lowerScaled, or from temmeLower in temmeBand. gonum sums the same series
// but stops after 2 000 terms, which for k above about 10⁵ is too few:
// its P(10⁸, k − 5√k) is 35 % low, its P(10¹², k − 5√k) 99 %.
func gammaLogLower(k, x, lp float64) float64 {
	if temmeBand(k, x) {
		return math.Log(temmeLower(k, x))
	}
	return math.Log(k) + lp + math.Log(lowerScaled(k, x))
}

// gammaP returns the regularised lower incomplete gamma function P(k, x),
// x ≥ 0, accurate to a few ulps relative also where gonum's GammaIncReg is
// not (see gammaLogLower) or is slow (see smallShapeQ).
func gammaP(k, x float64) float64 {
	switch {
	case x < k && !gonumTemmeZone(k, x):
		return math.Exp(gammaLogLower(k, x, logPoissonTerm(k, x)))
	case useSmallShapeQ(k, x):
		return 1 - smallShapeQ(k, x)
	}
	return mathext.GammaIncReg(k, x)
}

// gammaQ returns Q(k, x) = 1 − P(k, x) like gammaP.
func gammaQ(k, x float64) float64 {
	switch {
	case k > 20 && x < k && !gonumTemmeZone(k, x):
		return -math.Expm1(gammaLogLower(k, x, logPoissonTerm(k, x)))
	case useSmallShapeQ(k, x):
		return smallShapeQ(k, x)
	case k <= 20 && x > k+1:
		return math.Exp(gammaLogUpperCF(k, x, logPoissonTerm(k, x)))
	}
	return mathext.GammaIncRegComp(k, x)
}

// gammaLogUpperCF returns ln Q(k, x) for x > k + 1 from the continued
// fraction of DLMF 8.9.2,
//
//	Q(k, x) = x^k·e^{−x}/Γ(k) · 1/(x+1−k− 1·(1−k)/(x+3−k− 2·(2−k)/(x+5−k− …))),
//
// evaluated by the modified Lentz method, given lp = logPoissonTerm(k, x).
// For k ≤ 20 it converges in a few dozen steps (gonum evaluates the same
// fraction, about five times slower, and in linear space, where it
// underflows).
func gammaLogUpperCF(k, x, lp float64) float64 {
	const tiny = 1e-300
	b := x + 1 - k
	c, d := 1/tiny, 1/b
	h := d
	for i := 1.0; i < 1000; i++ {
		an := -i * (i - k)
		b += 2
		d = an*d + b
		if math.Abs(d) < tiny {
			d = tiny
		}
		c = b + an/c
		if math.Abs(c) < tiny {
			c = tiny
		}
		d = 1 / d
		del := d * c
		h *= del
		if math.Abs(del-1) <= 1e-16 {
			break
		}
	}
	return math.Log(k) + lp + math.Log(h)
}

// useSmallShapeQ reports whether gammaP and gammaQ use smallShapeQ: for
// k < 1.5 and x ≤ 1.1, where gonum sums the same series, and for
// 0.2 ≤ k < 1.5 up to x = 3, where the continued fraction gonum (and
// gammaLogUpperCF) would use instead needs 30–90 steps. Below k = 0.2, Q at
// x near 3 is so small against the terms of the series that it would lose
// more than 1e−13 to cancellation.
func useSmallShapeQ(k, x float64) bool {
	return k < 1.5 && (x <= 1.1 || x <= 3 && k >= 0.2)
}

// smallShapeQ returns Q(k, x) for k < 1.5 and 0 ≤ x ≤ 3 from DLMF 8.7.3,
//
//	Q(k, x) = 1 − x^k/Γ(k+1) − x^k/Γ(k) · Σ_{n≥1} (−x)ⁿ/(n!·(k+n)),
//
// which keeps Q's relative accuracy when it is small (k → 0) and x is not
// large (see useSmallShapeQ). gonum uses it up to x = 1.1, but evaluates
// ln Γ(1+k) on every call by a Taylor series whose zeta-function
// coefficients it recomputes (about 3 µs); here it is ln Γ(2+k) − ln(1+k),
// which math.Lgamma gets to an ulp of 2+k.
func smallShapeQ(k, x float64) float64 {
	if x == 0 {
		return 1
	}
	lg2, _ := math.Lgamma(2 + k)
	lgam1p := lg2 - math.Log1p(k) // ln Γ(1+k)
	lx := k * logAny(x)
	var sum float64
	term := 1.0
	for n := 1.0; n < 100; n++ {
		term *= -x / n
		t := term / (k + n)
		sum += t
		if math.Abs(t) <= 1e-17*math.Abs(sum) {
			break
		}
	}
	return -math.Expm1(lx-lgam1p) - math.Exp(lx-lgam1p+math.Log(k))*sum
}

// logPoissonTerm returns ln(x^k·e^{−x}/Γ(k+1)) for k > 0, x ≥ 0, for k ≥ 1 in
// Loader's form −stirlerr(k) − bd0(k, x) − ½·ln(2πk), which is accurate to a
// few ulps of the result for any k (the direct form loses k·ln k ulps).
func logPoissonTerm(k, x float64) float64 {
	if k < 1 {
		lg, _ := math.Lgamma(k + 1)
		return k*logAny(x) - x - lg
	}
	return -stirlerr(k) - bd0(k, x) - 0.5*math.Log(2*math.Pi*k)
}

// minNormal is the smallest positive normal float64, 2⁻¹⁰²².
const minNormal = 0x1p-1022

// logAny returns ln x like math.Log, also for subnormal x: on amd64
// math.Log (an assembly routine) does not normalise them, and returns
// −709.09 for every x below about 10⁻³¹⁰ (ln 5e−324 is −744.44). Tiny
// arguments do occur here: the service-time quantiles for p ≈ 10⁻⁶ at
// c_s² ≈ 100 are about 10⁻³⁰⁶.
func logAny(x float64) float64 {
	if x < minNormal && x > 0 {
		return math.Log(x*0x1p54) - 54*math.Ln2
	}
	return math.Log(x)
}

// gonumTemmeZone reports whether gonum's GammaIncReg and GammaIncRegComp
// evaluate P(k, x) and Q(k, x) by Temme's uniform asymptotic expansion, which
// is accurate to a few ulps for both tails. Outside this zone they sum a
// series or a continued fraction of at most 2 000 terms, which for x below k
// does not converge once k exceeds about 10⁵ (P(10⁸, k − 5√k) comes out 35 %
// low): the lower tail there must come from lowerScaled.
func gonumTemmeZone(k, x float64) bool {
	r := math.Abs(x-k) / k
	return (20 < k && k < 200 && r < 0.3) || (200 < k && r < 4.5/math.Sqrt(k))
}

// lowerScaled returns
//
//	F(k, y) = Σ_{n≥0} yⁿ/(k(k+1)···(k+n)) = e^y·y^{−k}·γ(k, y) = ∫₀¹ (1−v)^{k−1}·e^{yv} dv
//
// for 0 ≤ y < k (DLMF 8.7.1; P(k, y) = y^k·e^{−y}/Γ(k)·F). The terms of the
// series are positive and fall like (y/k)ⁿ·e^{−n²/(2k)}, so it needs about
// min(40k/d, 9√k) of them, d = k − y. When that is more than 100 and
// d ≥ 10√k it uses the expansion for large k instead (lowerAsymptotic). The
// series is fast enough (at most ~300 terms) unless k ≥ 1000 and
// 4.5√k ≤ d < 10√k: that band is left to temmeLower (see temmeBand).
func lowerScaled(k, y float64) float64 {
	d := k - y
	rootK := math.Sqrt(k)
	n := math.Min(40*k/d, 9*rootK+10)
	if n > 100 && d >= 10*rootK {
		return lowerAsymptotic(k, y)
	}
	term, sum := 1/k, 1/k
	for j := 1.0; term > 1e-17*sum && j < 2*n+100; j++ {
		term *= y / (k + j)
		sum += term
	}
	return sum
}

// temmeBand reports whether P(k, x) for x below k should come from
// temmeLower: k ≥ 1000 and k − x < 10√k, where the series of lowerScaled
// would need up to 9√k terms and lowerAsymptotic is not yet accurate.
func temmeBand(k, x float64) bool {
	return k >= 1000 && k-x < 10*math.Sqrt(k)
}

// temmeLower returns P(k, x) for k ≥ 1000 and 0 ≤ k − x < 10√k (it is as
// accurate within 10√k above k) from Temme's uniform expansion (DLMF 8.12.3,
// 8.12.4, 8.12.8):
//
//	P(k, x) = ½·erfc(−η·√(k/2)) − e^{−kη²/2}/√(2πk) · Σ_{j≥0} c_j(η)/k^j,
//
// η = sign(x − k)·√(2·bd0(k, x)/k). The c_j are from their Taylor series
// (temmeCoef), truncated at j = 4 and η¹⁹; over this domain (|η| < 0.35) the
// truncation error of the sum is below 1e−18 relative.
func temmeLower(k, x float64) float64 {
	dev := bd0(k, x) // kη²/2
	eta := math.Sqrt(2 * dev / k)
	if x < k {
		eta = -eta
	}
	var sum float64
	kj := 1.0
	for _, c := range temmeCoef {
		var cj float64
		for i := len(c) - 1; i >= 0; i-- {
			cj = cj*eta + c[i]
		}
		sum += cj * kj
		kj /= k
	}
	return 0.5*math.Erfc(-eta*math.Sqrt(k/2)) - math.Exp(-dev)/math.Sqrt(2*math.Pi*k)*sum
}

// temmeCoef[j][i] is the coefficient of ηⁱ in c_j(η) of temmeLower. They
// were computed (in 60-digit arithmetic) from c₀(η) = 1/(λ − 1) − 1/η, with
// λ(η) the inverse of η²/2 = λ − 1 − ln λ, and the recursion
// c_j(η) = c′_{j−1}(η)/η + (−1)^j·γ_j/(λ − 1), where γ_j are the
// coefficients of Stirling's series Γ*(a) ~ Σ γ_j a^{−j} (1, 1/12, 1/288,
// −139/51840, …); the poles at η = 0 cancel. They agree with the values in
// Temme (1979) and DLMF §8.12, and the expansion with them agrees with
// 80-digit values of P to 1e−18 for k from 1000 to 10⁷ within 10√k of k.
var temmeCoef = [5][20]float64{
	{-0.33333333333333333, 0.083333333333333333, -0.014814814814814815, 0.0011574074074074074, 0.00035273368606701940, -0.00017875514403292181, 3.9192631785224378e-5, -2.1854485106799922e-6, -1.8540622107151600e-6, 8.2967113409530860e-7, -1.7665952736826079e-7, 6.7078535434014986e-9, 1.0261809784240308e-8, -4.3820360184533532e-9, 9.1476995822367902e-10, -2.5514193994946250e-11, -5.8307721325504251e-11, 2.4361948020667416e-11, -5.0276692801141756e-12, 1.1004392031956135e-13},
	{-0.0018518518518518519, -0.0034722222222222222, 0.0026455026455026455, -0.00099022633744855967, 0.00020576131687242798, -4.0187757201646091e-7, -1.8098550334489978e-5, 7.6491609160811101e-6, -1.6120900894563446e-6, 4.6471278028074343e-9, 1.3786334469157210e-7, -5.7525456035177050e-8, 1.1951628599778147e-8, -1.7543241719747648e-11, -1.0091543710600413e-9, 4.1627929918425826e-10, -8.5639070264929806e-11, 6.0672151016047586e-14, 7.1624989648114854e-12, -2.9331866437714371e-12},
	{0.0041335978835978836, -0.0026813271604938272, 0.00077160493827160494, 2.0093878600823045e-6, -0.00010736653226365161, 5.2923448829120125e-5, -1.2760635188618728e-5, 3.4235787340961381e-8, 1.3721957309062933e-6, -6.2989921383800550e-7, 1.4280614206064242e-7, -2.0477098421990866e-10, -1.4092529910867521e-8, 6.2289740849220220e-9, -1.3670488396617113e-9, 9.4283561590146782e-13, 1.2872252400089318e-10, -5.5645956134363321e-11, 1.1975935546366981e-11, -4.1689782251838635e-15},
	{0.00064943415637860082, 0.00022947209362139918, -0.00046918949439525571, 0.00026772063206283885, -7.5618016718839764e-5, -2.3965051138672967e-7, 1.1082654115347302e-5, -5.6749528269915966e-6, 1.4230900732435884e-6, -2.7861080291528142e-11, -1.6958404091930277e-7, 8.0994649053880824e-8, -1.9111168485973654e-8, 2.3928620439808118e-12, 2.0620131815488798e-9, -9.4604966618551322e-10, 2.1541049775774908e-10, -1.3888233368139030e-14, -2.1894761681963939e-11, 9.7909989511716851e-12},
	{-0.00086188829091671170, 0.00078403922172006663, -0.00029907248030319018, -1.4638452578843418e-6, 6.6414982154651222e-5, -3.9683650471794347e-5, 1.1375726970678419e-5, 2.5074972262375328e-10, -1.6954149536558306e-6, 8.9075075322053097e-7, -2.2929348340008049e-7, 2.9567941375440490e-11, 2.8865829742708784e-8, -1.4189739437803219e-8, 3.4463580499464897e-9, -2.3024517174528067e-13, -3.9409233028046405e-10, 1.8602338968504502e-10, -4.3563230050566180e-11, 1.2786001016296231e-15},
}

// lowerAsymptotic returns F(k, y) of lowerScaled for k − y ≥ 10√k from the
// expansion of DLMF 8.11.6,
//
//	F(k, y) ~ Σ_{j≥0} (−k)^j·b_j(λ)/d^{2j+1},  λ = y/k,  d = k − y,
//
// where b_j are polynomials with positive coefficients (secondOrderEulerian).
// Its terms fall at least like (2j−1)!!·(k/d²)^j ≤ (2j−1)!!/100^j, which is
// below 1e−17 by j = 22.
func lowerAsymptotic(k, y float64) float64 {
	d := k - y
	lambda, w := y/k, -k/(d*d)
	sum, wj := 1.0, 1.0
	for j := 1; j < len(secondOrderEulerian); j++ {
		wj *= w
		c := secondOrderEulerian[j]
		var bj float64
		for i := len(c) - 1; i >= 0; i-- {
			bj = bj*lambda + c[i]
		}
		term := wj * bj
		sum += term
		if math.Abs(term) <= 1e-17*math.Abs(sum) {
			break
		}
	}
	return sum / d
}

// secondOrderEulerian holds the coefficients (of λ⁰, λ¹, …) of the polynomials
// b_j(λ) of DLMF 8.11.6: b₀ = 1, b_j = λ(1 − λ)·b′_{j−1} + (2j − 1)·λ·b_{j−1}.
// They are the second-order Eulerian numbers, all positive.
var secondOrderEulerian = func() [][]float64 {
	const n = 30
	b := make([][]float64, n)
	b[0] = []float64{1}
	for j := 1; j < n; j++ {
		prev := b[j-1]
		c := make([]float64, len(prev)+1)
		for i, v := range prev { // λ(1−λ)·i·v·λ^{i−1} + (2j−1)·v·λ^{i+1}
			c[i] += float64(i) * v
			c[i+1] += float64(2*j-1-i) * v
		}
		b[j] = c
	}
	return b
}()

// poissonMeanInv returns E[1/(k + N)] for N ~ Poisson(x), x ≥ 0, k > 0, which
// is F(k, x) = ∫₀¹ (1−v)^{k−1}·e^{−xv} dv of convolveExp (expand e^{xv}, or
// note ∫₀¹ v^{k+n−1} dv = 1/(k+n)). For k + x < 200 it sums the Poisson
// series, at most about 350 positive terms; otherwise it expands 1/(m + D),
// m = k + x, D = N − x, in the central moments of N (poissonMeanInvAsymptotic).
func poissonMeanInv(k, x float64) float64 {
	if k+x >= 200 {
		return poissonMeanInvAsymptotic(k, x)
	}
	p := math.Exp(-x)
	sum := p / k
	for n := 1.0; ; n++ {
		p *= x / n
		t := p / (k + n)
		sum += t
		if n > x && t <= 1e-17*sum {
			return sum
		}
	}
}

// poissonMeanInvAsymptotic returns E[1/(k + N)], N ~ Poisson(x), for
// m = k + x ≥ 200 from
//
//	E[1/(m + D)] ~ (1/m)·Σ_{j≥0} (−1)^j·μ_j(x)/m^j,
//
// where μ_j(x) = Σ_i S(j, i)·x^i are the central moments of the Poisson
// distribution, S the associated Stirling numbers of the second kind
// (assocStirling2). The j-th term is about (j−1)!!·(x/m²)^{j/2} ≤ (j−1)!!/m^{j/2}:
// the expansion reaches 1e−17 in at most 30 terms for m ≥ 200 (checked against
// 50-digit values of the Kummer function M(1, k+1, −x)/k).
func poissonMeanInvAsymptotic(k, x float64) float64 {
	m := k + x
	a, h := x/m, 1/m
	var apow [assocStirlingLen/2 + 1]float64
	var hpow [assocStirlingLen]float64
	apow[0], hpow[0] = 1, 1
	for i := 1; i < len(apow); i++ {
		apow[i] = apow[i-1] * a
	}
	for i := 1; i < len(hpow); i++ {
		hpow[i] = hpow[i-1] * h
	}
	sum, prev := 1.0, 1.0
	for j := 2; j < len(assocStirling2); j++ {
		var term float64 // μ_j(x)/m^j = Σ_i S(j, i)·a^i·h^{j−i}
		for i, s := range assocStirling2[j] {
			term += s * apow[i] * hpow[j-i]
		}
		if j%2 == 1 {
			term = -term
		}
		sum += term
		if math.Abs(term)+math.Abs(prev) <= 1e-17*sum {
			break
		}
		prev = term
	}
	return sum / m
}

// assocStirlingLen is the number of central moments poissonMeanInvAsymptotic
// can use.
const assocStirlingLen = 48

// assocStirling2[j][i] is the associated Stirling number of the second kind
// S(j, i), the number of partitions of j elements into i blocks of at least
// two: the coefficient of x^i in the j-th central moment of Poisson(x).
// S(j, i) = i·S(j−1, i) + (j−1)·S(j−2, i−1).
var assocStirling2 = func() [][]float64 {
	s := make([][]float64, assocStirlingLen)
	for j := range s {
		s[j] = make([]float64, j/2+1)
	}
	s[0][0] = 1
	for j := 1; j < assocStirlingLen; j++ {
		for i := range s[j] {
			var v float64
			if i < len(s[j-1]) {
				v = float64(i) * s[j-1][i]
			}
			if j >= 2 && i >= 1 && i-1 < len(s[j-2]) {
				v += float64(j-1) * s[j-2][i-1]
			}
			s[j][i] = v
		}
	}
	return s
}()
