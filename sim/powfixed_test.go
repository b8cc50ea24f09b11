package sim

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/headroom-dev/headroom/model"
)

// TestPowFixed_BitsOfMathPow: powFixed gives math.Pow's exact bits for the
// exponents the samplers use (a gamma's boost 1/shape for cv from 1 to
// 10, a Weibull's 1/k) and the special ones, on uniform, exponential,
// tiny, huge and special bases.
func TestPowFixed_BitsOfMathPow(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	ys := []float64{0.02, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 2.25, 2.5, 2.75, 3, 4, 4.5, 7.3, 16, 100, 1e3, 1e6, math.Inf(1), math.NaN(), 0, -2}
	for cv := 1.01; cv < 10; cv *= 1.07 {
		ys = append(ys, cv*cv)
		if k := model.WeibullShape(cv * cv); k > 0 {
			ys = append(ys, 1/k)
		}
	}
	xs := []float64{0, 1, 0.5, 0x1p-53, 0x1p-1022, 0x1p-1074, 1 - 0x1p-53, 2, 1e300, math.Inf(1), math.NaN(), -0.5}
	for range 2000 {
		xs = append(xs, rng.Float64(), rng.ExpFloat64(), math.Ldexp(rng.Float64(), -rng.IntN(1000)))
	}
	for _, y := range ys {
		p := newPowFixed(y)
		for _, x := range xs {
			got, want := p.of(x), math.Pow(x, y)
			if math.Float64bits(got) != math.Float64bits(want) && !(math.IsNaN(got) && math.IsNaN(want)) {
				t.Fatalf("powFixed(%v).of(%v) = %v, math.Pow = %v", y, x, got, want)
			}
		}
	}
}

// BenchmarkGammaSample is one gamma draw with cv 1.5 (the boosted shape
// 0.44, noa-claude-flow's) and cv 0.5 (no boost): powFixed against
// math.Pow, and what drawing the boost as exp(−E/shape) from an exponential
// E would cost — exact too, but a different stream (not used).
func BenchmarkGammaSample(b *testing.B) {
	for _, cv := range []float64{1.5, 2, 0.5} {
		g := newGamma(0.1, cv*cv)
		b.Run("powFixed/cv="+ftoa(cv), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 2))
			s := 0.0
			for range b.N {
				s += g.sample(rng)
			}
			sink = s
		})
		b.Run("math.Pow/cv="+ftoa(cv), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 2))
			s := 0.0
			old := *g
			old.boost = false
			for range b.N {
				x := old.sample(rng)
				if g.boost {
					x *= math.Pow(rng.Float64(), 1/g.shape)
				}
				s += x
			}
			sink = s
		})
		b.Run("expBoost/cv="+ftoa(cv), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 2))
			s := 0.0
			old := *g
			old.boost = false
			inv := 1 / g.shape
			for range b.N {
				x := old.sample(rng)
				if g.boost {
					x *= math.Exp(-rng.ExpFloat64() * inv)
				}
				s += x
			}
			sink = s
		})
	}
}

var sink float64

func ftoa(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
