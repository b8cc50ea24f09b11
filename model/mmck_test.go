package model

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
)

// TestMMcK_ErlangB checks that K = c (no waiting room) is the Erlang B loss
// system.
func TestMMcK_ErlangB(t *testing.T) {
	for _, tt := range []struct {
		c int
		a float64
	}{{1, 1}, {3, 0.8}, {10, 25}, {1000, 990}, {100000, 90000}} {
		q := MMcK{Lambda: tt.a, Mu: 1, C: tt.c, K: tt.c}
		if got, want := q.BlockingProb(), ErlangB(tt.c, tt.a); relErr(got, want) > 1e-14 {
			t.Errorf("M/M/%d/%d a=%g: BlockingProb = %.17g, ErlangB = %.17g", tt.c, tt.c, tt.a, got, want)
		}
		if got := q.MeanQueueLen(); got != 0 {
			t.Errorf("M/M/%d/%d: MeanQueueLen = %g, want 0", tt.c, tt.c, got)
		}
	}
}

// TestMMcK_MM1K checks c = 1 against the M/M/1/K closed form
// P_K = (1 − ρ)ρ^K / (1 − ρ^{K+1}) (1/(K+1) at ρ = 1; Gross and Harris §2.5),
// on both sides of ρ = 1 and with large K.
func TestMMcK_MM1K(t *testing.T) {
	for _, tt := range []struct {
		rho float64
		k   int
	}{{0.5, 1}, {0.9, 10}, {1, 7}, {1.5, 10}, {2, 5000}, {0.999, 100000}, {3, 40}} {
		q := MMcK{Lambda: tt.rho, Mu: 1, C: 1, K: tt.k}
		var want, wantL float64
		if tt.rho == 1 {
			want, wantL = 1/float64(tt.k+1), float64(tt.k)/2
		} else {
			// ρ^K/Σ_{n≤K} ρⁿ, with sums computed in the direction where
			// they do not overflow.
			var s, sn float64
			for n := tt.k; n >= 0; n-- {
				w := math.Pow(tt.rho, float64(n-tt.k)) // ρⁿ/ρ^K
				s += w
				sn += float64(n) * w
			}
			want, wantL = 1/s, sn/s
		}
		if got := q.BlockingProb(); relErr(got, want) > 1e-11 {
			t.Errorf("M/M/1/%d ρ=%g: BlockingProb = %.17g, want %.17g", tt.k, tt.rho, got, want)
		}
		if got := q.MeanInSystem(); relErr(got, wantL) > 1e-11 {
			t.Errorf("M/M/1/%d ρ=%g: MeanInSystem = %.17g, want %.17g", tt.k, tt.rho, got, wantL)
		}
	}
}

// TestMMcK_DirectSum checks P_K and L against the stationary distribution
// summed directly (the dumb twin) for small c and K, any load.
func TestMMcK_DirectSum(t *testing.T) {
	r := queueingRand()
	for range 500 {
		c := 1 + r.IntN(30)
		k := c + r.IntN(40)
		a := 3 * float64(c) * r.Float64()
		q := MMcK{Lambda: a, Mu: 1, C: c, K: k}
		p := make([]float64, k+1)
		p[0] = 1
		for n := 1; n <= k; n++ {
			p[n] = p[n-1] * a / float64(min(n, c))
		}
		var z, l, lq float64
		for n, pn := range p {
			z += pn
			l += float64(n) * pn
			lq += float64(max(n-c, 0)) * pn
		}
		name := fmt.Sprintf("M/M/%d/%d a=%g", c, k, a)
		for _, tt := range []struct {
			what      string
			got, want float64
		}{
			{"BlockingProb", q.BlockingProb(), p[k] / z},
			{"MeanInSystem", q.MeanInSystem(), l / z},
			{"MeanQueueLen", q.MeanQueueLen(), lq / z},
			{"MeanResponse", q.MeanResponse(), l / z / (a * (1 - p[k]/z))},
			{"Throughput", q.Throughput(), a * (1 - p[k]/z)},
		} {
			if !within(tt.got, tt.want, 1e-11, true) && !within(tt.got, tt.want, 1e-15, false) {
				t.Fatalf("%s: %s = %.17g, direct sum %.17g", name, tt.what, tt.got, tt.want)
			}
		}
	}
}

// TestMMcK_LargeK checks that a long queue approaches M/M/c.
func TestMMcK_LargeK(t *testing.T) {
	q := MMcK{Lambda: 95, Mu: 1, C: 100, K: 100 + 5000}
	inf := MMc{Lambda: 95, Mu: 1, C: 100}
	if got := q.BlockingProb(); got > 1e-100 {
		t.Errorf("BlockingProb = %g, want ≈ 0", got)
	}
	if got, want := q.MeanResponse(), inf.MeanResponse(); relErr(got, want) > 1e-12 {
		t.Errorf("MeanResponse = %.17g, M/M/c %.17g", got, want)
	}
}

func TestMMcK_Validate(t *testing.T) {
	for _, tt := range []struct {
		q       MMcK
		wantMsg string
	}{
		{MMcK{Lambda: 1, Mu: 1, C: 2, K: 1}, "invalid MMcK.K 1: must be an integer from C = 2 to C + MaxServers"},
		{MMcK{Lambda: 0, Mu: 1, C: 2, K: 2}, "invalid MMcK.Lambda 0"},
		{MMcK{Lambda: 1, Mu: 1, C: -1, K: 2}, "invalid MMcK.C -1"},
	} {
		err := tt.q.Validate()
		if !errors.Is(err, ErrInvalidInput) || !strings.HasPrefix(err.Error(), tt.wantMsg) {
			t.Errorf("%+v.Validate() = %v, want %q…", tt.q, err, tt.wantMsg)
		}
		if got := tt.q.BlockingProb(); !math.IsNaN(got) {
			t.Errorf("%+v.BlockingProb() = %g, want NaN", tt.q, got)
		}
	}
	if err := (MMcK{Lambda: 50, Mu: 1, C: 2, K: 2}).Validate(); err != nil {
		t.Errorf("overloaded M/M/c/K is valid, got %v", err)
	}
}
