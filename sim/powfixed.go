package sim

import "math"

// powFixed is x^y for one fixed exponent y > 0, bit for bit math.Pow(x, y): the same algorithm as Go's math.Pow (src/math/pow.go,
// func pow) — x^yf by Exp(yf·Log x) for the fraction yf of y in
// (−0.5, 0.5], times x^yi by successive squarings of x for the integer
// part yi — with the split of y into yi and yf, and the special cases of y,
// decided once instead of on every call.
type powFixed struct {
	y  float64
	yi int64
	yf float64
	// general: y is one of math.Pow's special cases (0, 1, ±0.5, ±Inf,
	// NaN, negative or too large to split): of calls math.Pow itself.
	general bool
}

func newPowFixed(y float64) powFixed {
	p := powFixed{y: y}
	if !(y > 0) || y == 1 || y == 0.5 || math.IsInf(y, 0) || y >= 1<<62 {
		p.general = true
		return p
	}
	yi, yf := math.Modf(y)
	if yf > 0.5 {
		yf--
		yi++
	}
	p.yi, p.yf = int64(yi), yf
	return p
}

// of returns math.Pow(x, p.y); x = 0, 1, ±Inf, NaN and negative x go to
// math.Pow itself.
func (p *powFixed) of(x float64) float64 {
	if p.general || !(x > 0) || x == 1 || math.IsInf(x, 1) {
		return math.Pow(x, p.y)
	}
	a1, ae := 1.0, 0
	if p.yf != 0 {
		a1 = math.Exp(p.yf * math.Log(x))
	}
	x1, xe := math.Frexp(x)
	for i := p.yi; i != 0; i >>= 1 {
		if xe < -1<<12 || 1<<12 < xe {
			ae += xe
			break
		}
		if i&1 == 1 {
			a1 *= x1
			ae += xe
		}
		x1 *= x1
		xe <<= 1
		if x1 < .5 {
			x1 += x1
			xe--
		}
	}
	return math.Ldexp(a1, ae)
}
