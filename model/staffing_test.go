package model

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
)

// naiveMin returns the smallest c ≥ 1 for which meets holds, trying every c
// from 1 with a fresh computation: the dumb twin of the O(c*) searches.
func naiveMin(meets func(c int) bool) int {
	c := 1
	for !meets(c) {
		c++
	}
	return c
}

// stableMMc returns the M/M/c queue when it is stable.
func stableMMc(lambda, mu float64, c int) (MMc, bool) {
	q := MMc{Lambda: lambda, Mu: mu, C: c}
	return q, q.Validate() == nil
}

// TestMinServers_NaiveScan checks every search against a naive scan on seeded
// random inputs.
func TestMinServers_NaiveScan(t *testing.T) {
	r := queueingRand()
	for i := range 300 {
		a := 0.05 + 150*r.Float64()*r.Float64()
		mu := 0.1 + 10*r.Float64()
		lambda := a * mu
		alpha := 0.001 + 0.9*r.Float64()
		sl := 0.5 + 0.499*r.Float64()
		tw := 2 * r.Float64() / mu
		p := 0.5 + 0.499*r.Float64()
		target := -math.Log1p(-p) / mu * (1.02 + 2*r.Float64())
		w := 0.5 * r.Float64() / mu
		eps := 0.0001 + 0.5*r.Float64()
		rhoT := 0.05 + 0.94*r.Float64()
		name := fmt.Sprintf("#%d λ=%g μ=%g", i, lambda, mu)

		for _, tt := range []struct {
			what  string
			fast  func() (int, error)
			meets func(c int) bool
		}{
			{fmt.Sprintf("DelayProb(α=%g)", alpha),
				func() (int, error) { return MinServersDelayProb(lambda, mu, alpha) },
				func(c int) bool { q, ok := stableMMc(lambda, mu, c); return ok && q.DelayProb() <= alpha }},
			{fmt.Sprintf("ServiceLevel(t=%g, sl=%g)", tw, sl),
				func() (int, error) { return MinServersServiceLevel(lambda, mu, tw, sl) },
				func(c int) bool { q, ok := stableMMc(lambda, mu, c); return ok && q.ServiceLevel(tw) >= sl }},
			{fmt.Sprintf("MeanWait(w=%g)", w),
				func() (int, error) { return MinServersMeanWait(lambda, mu, w) },
				func(c int) bool { q, ok := stableMMc(lambda, mu, c); return ok && q.MeanWait() <= w }},
			{fmt.Sprintf("ResponseQuantile(p=%g, target=%g)", p, target),
				func() (int, error) { return MinServersResponseQuantile(lambda, mu, p, target) },
				func(c int) bool { q, ok := stableMMc(lambda, mu, c); return ok && q.ResponseQuantile(p) <= target }},
			{fmt.Sprintf("Blocking(eps=%g)", eps),
				func() (int, error) { return MinServersBlocking(lambda, mu, eps) },
				func(c int) bool { return ErlangB(c, a) <= eps }},
			{fmt.Sprintf("Utilisation(ρ=%g)", rhoT),
				func() (int, error) { return MinServersUtilisation(lambda, mu, rhoT) },
				func(c int) bool { return lambda/(float64(c)*mu) <= rhoT }},
		} {
			got, err := tt.fast()
			if err != nil {
				t.Fatalf("%s: MinServers%s: %v", name, tt.what, err)
			}
			if want := naiveMin(tt.meets); got != want {
				t.Errorf("%s: MinServers%s = %d, naive scan %d", name, tt.what, got, want)
			}
		}
	}
}

// TestMinServersResponseQuantileGGc_NaiveScan does the same for the G/G/c
// search, which is costlier per step, on fewer inputs.
func TestMinServersResponseQuantileGGc_NaiveScan(t *testing.T) {
	r := queueingRand()
	for i := range 40 {
		a := 0.05 + 60*r.Float64()*r.Float64()
		mu := 0.1 + 10*r.Float64()
		lambda := a * mu
		ca2 := 2 * r.Float64()
		cs2 := 3 * r.Float64()
		p := 0.5 + 0.499*r.Float64()
		target := ServiceQuantile(mu, cs2, p) * (1.02 + 2*r.Float64())
		got, err := MinServersResponseQuantileGGc(lambda, mu, ca2, cs2, p, target)
		if err != nil {
			t.Fatalf("#%d: %v", i, err)
		}
		want := naiveMin(func(c int) bool {
			q, err := ResponseQuantileGGc(lambda, mu, c, ca2, cs2, p)
			return err == nil && q <= target
		})
		if got != want {
			t.Errorf("#%d λ=%g μ=%g ca2=%g cs2=%g p=%g target=%g: MinServersResponseQuantileGGc = %d, naive scan %d",
				i, lambda, mu, ca2, cs2, p, target, got, want)
		}
	}
	// With exponential service and Poisson arrivals it is the exact search.
	for _, lambda := range []float64{3000, 30000} {
		mu := 1 / 0.3
		exact, _ := MinServersResponseQuantile(lambda, mu, 0.95, 1)
		got, err := MinServersResponseQuantileGGc(lambda, mu, 1, 1, 0.95, 1)
		if err != nil || got != exact {
			t.Errorf("λ=%g: MinServersResponseQuantileGGc(1, 1) = %d, %v; exact %d", lambda, got, err, exact)
		}
	}
}

func TestMinServersResponseQuantile(t *testing.T) {
	// Mean service 0.3 s, p95 ≤ 1 s; the first two are cases of
	// testdata/conformance/queueing_cases.json.
	for _, tt := range []struct {
		lambda float64
		want   int
	}{{3000, 904}, {30000, 9004}, {300000, 90004}} {
		got, err := MinServersResponseQuantile(tt.lambda, 1/0.3, 0.95, 1)
		if err != nil || got != tt.want {
			t.Errorf("MinServersResponseQuantile(λ=%g) = %d, %v; want %d", tt.lambda, got, err, tt.want)
		}
	}
}

func TestMinServersResponseQuantile_Infeasible(t *testing.T) {
	// Mean service 0.5 s: p95 of the service time alone is ln(20)/2 =
	// 1.4979 s, so a 1 s p95 SLO is unreachable.
	_, err := MinServersResponseQuantile(10, 2, 0.95, 1)
	var inf *InfeasibleError
	if !errors.As(err, &inf) {
		t.Fatalf("err = %v, want *InfeasibleError", err)
	}
	if want := math.Log(20) / 2; relErr(inf.Bound, want) > 1e-15 {
		t.Errorf("Bound = %.17g, want %.17g", inf.Bound, want)
	}
	if msg := err.Error(); !strings.Contains(msg, "p95 of 1.498") || !strings.Contains(msg, "target 1") {
		t.Errorf("message %q should name the quantile, its value and the target", msg)
	}
	// The same for G/G/c with gamma service.
	_, err = MinServersResponseQuantileGGc(10, 2, 1, 0.25, 0.99, 0.9)
	if !errors.As(err, &inf) || relErr(inf.Bound, ServiceQuantile(2, 0.25, 0.99)) > 1e-15 {
		t.Errorf("GGc: err = %v, want *InfeasibleError with the gamma p99 as Bound", err)
	}
	// A target equal to the service quantile cannot be met either.
	if _, err := MinServersResponseQuantile(10, 1, 0.5, math.Ln2); !errors.As(err, &inf) {
		t.Errorf("target = service median: err = %v, want *InfeasibleError", err)
	}
}

func TestMinServersUtilisation_Exact(t *testing.T) {
	for _, tt := range []struct {
		lambda, mu, rho float64
		want            int
	}{
		{7, 1, 0.7, 10},          // 7/0.7 is 10.000000000000002 in float64
		{5000, 5, 0.7, 1429},     // ⌈1428.57⌉
		{500000, 5, 0.7, 142858}, // conformance
		{0.3, 1, 0.5, 1},
		{2.1, 3, 0.7, 1},
	} {
		got, err := MinServersUtilisation(tt.lambda, tt.mu, tt.rho)
		if err != nil || got != tt.want {
			t.Errorf("MinServersUtilisation(λ=%g, μ=%g, ρ=%g) = %d, %v; want %d", tt.lambda, tt.mu, tt.rho, got, err, tt.want)
		}
	}
}

func TestMaxTraffic(t *testing.T) {
	// Lucent Erlang-B 2 % table (garywagoner.tripod.com/traffic/ERLANG.HTML),
	// which prints fewer digits (the others computed here); erlang.com manual
	// for 1 %.
	for _, tt := range []struct {
		c      int
		eps, a float64
		absTol float64
		source string
	}{
		{1, 0.02, 0.020408, 5e-7, "Lucent 2 %"},
		{3, 0.02, 0.602206, 5e-7, "Lucent 2 %"},
		{5, 0.02, 1.65714, 5e-6, "Lucent 2 %"},
		{15, 0.02, 9.00962, 5e-6, "Lucent 2 %"},
		{31, 0.02, 22.8268, 5e-5, "Lucent 2 %"},
		{61, 0.02, 50.589, 5e-4, "Lucent 2 % (the table misprints 50.389)"},
		{89, 0.02, 77.3418, 5e-5, "Lucent 2 %"},
		{15, 0.01, 8.10804, 5e-6, "erlang.com calculator manual"},
	} {
		got, err := MaxTrafficBlocking(tt.c, tt.eps)
		if err != nil || math.Abs(got-tt.a) > tt.absTol {
			t.Errorf("MaxTrafficBlocking(%d, %g) = %.7g, %v; want %g (%s)", tt.c, tt.eps, got, err, tt.a, tt.source)
		}
		if ErlangB(tt.c, got) > tt.eps || ErlangB(tt.c, math.Nextafter(got, math.Inf(1))) <= tt.eps {
			t.Errorf("MaxTrafficBlocking(%d, %g) = %.17g is not the last load with B ≤ eps", tt.c, tt.eps, got)
		}
	}
	// Telefonica Erlang C help: 30 agents at P(W>0) ≤ 15 % carry 23.6 E.
	got, err := MaxTrafficDelayProb(30, 0.15)
	if err != nil || math.Abs(got-23.641) > 5e-4 {
		t.Errorf("MaxTrafficDelayProb(30, 0.15) = %g, %v; want 23.641", got, err)
	}
	if ErlangC(30, got) > 0.15 || ErlangC(30, math.Nextafter(got, math.Inf(1))) <= 0.15 {
		t.Errorf("MaxTrafficDelayProb(30, 0.15) = %.17g is not the last load with C ≤ α", got)
	}
}

func TestStaffing_Errors(t *testing.T) {
	for _, tt := range []struct {
		name string
		f    func() (int, error)
		arg  string
	}{
		{"delay alpha", func() (int, error) { return MinServersDelayProb(10, 1, 1) }, "alpha"},
		{"delay lambda", func() (int, error) { return MinServersDelayProb(0, 1, 0.1) }, "lambda"},
		{"service level t", func() (int, error) { return MinServersServiceLevel(10, 1, -1, 0.8) }, "t"},
		{"service level sl", func() (int, error) { return MinServersServiceLevel(10, 1, 1, 1) }, "sl"},
		{"mean wait w", func() (int, error) { return MinServersMeanWait(10, 1, 0) }, "w"},
		{"response p", func() (int, error) { return MinServersResponseQuantile(10, 1, 0, 5) }, "p"},
		{"response target", func() (int, error) { return MinServersResponseQuantile(10, 1, 0.9, math.NaN()) }, "target"},
		{"ggc cs2", func() (int, error) { return MinServersResponseQuantileGGc(10, 1, 1, MaxCS2+1, 0.9, 5) }, "cs2"},
		{"ggc ca2", func() (int, error) { return MinServersResponseQuantileGGc(10, 1, -1, 1, 0.9, 5) }, "ca2"},
		{"utilisation", func() (int, error) { return MinServersUtilisation(10, 1, 1) }, "rhoTarget"},
		{"blocking mu", func() (int, error) { return MinServersBlocking(10, math.Inf(1), 0.01) }, "mu"},
		{"too big", func() (int, error) { return MinServersDelayProb(1e9, 1, 0.1) }, "lambda/mu"},
		{"sqrt", func() (int, error) { return SqrtStaffingServers(10, -1, 0.1) }, "mu"},
	} {
		_, err := tt.f()
		var ie *InputError
		if !errors.As(err, &ie) || ie.Arg != tt.arg || !errors.Is(err, ErrInvalidInput) {
			t.Errorf("%s: err = %v, want an *InputError for %q", tt.name, err, tt.arg)
		}
	}
	for _, tt := range []struct {
		name string
		f    func() (float64, error)
		arg  string
	}{
		{"max traffic c", func() (float64, error) { return MaxTrafficBlocking(0, 0.1) }, "c"},
		{"max traffic eps", func() (float64, error) { return MaxTrafficBlocking(3, 0) }, "eps"},
		{"max traffic delay alpha", func() (float64, error) { return MaxTrafficDelayProb(3, 1) }, "alpha"},
	} {
		_, err := tt.f()
		var ie *InputError
		if !errors.As(err, &ie) || ie.Arg != tt.arg {
			t.Errorf("%s: err = %v, want an *InputError for %q", tt.name, err, tt.arg)
		}
	}
}

func BenchmarkMinServersResponseQuantile(b *testing.B) {
	// Mean service 0.3 s, 300 000 req/s, p95 ≤ 1 s: c* = 90 004.
	for b.Loop() {
		c, err := MinServersResponseQuantile(300000, 1/0.3, 0.95, 1)
		if err != nil || c != 90004 {
			b.Fatalf("got %d, %v", c, err)
		}
	}
}

func BenchmarkMinServersDelayProb(b *testing.B) {
	for _, a := range []float64{1000, 100000} {
		b.Run(fmt.Sprintf("a=%g", a), func(b *testing.B) {
			for b.Loop() {
				if _, err := MinServersDelayProb(a, 1, 0.01); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkMinServersResponseQuantileGGc(b *testing.B) {
	for _, lambda := range []float64{3000, 300000} {
		b.Run(fmt.Sprintf("lambda=%g", lambda), func(b *testing.B) {
			for b.Loop() {
				if _, err := MinServersResponseQuantileGGc(lambda, 1/0.3, 1, 0.5, 0.95, 1); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkMaxTrafficDelayProb(b *testing.B) {
	for b.Loop() {
		if _, err := MaxTrafficDelayProb(1000, 0.1); err != nil {
			b.Fatal(err)
		}
	}
}
