package model

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
)

func TestMMc_Validate(t *testing.T) {
	tests := []struct {
		name    string
		q       MMc
		wantIs  error
		wantMsg string
	}{
		{"valid", MMc{Lambda: 9, Mu: 1, C: 10}, nil, ""},
		{"negative lambda", MMc{Lambda: -1, Mu: 1, C: 10}, ErrInvalidInput, "invalid MMc.Lambda -1: must be a positive finite number"},
		{"zero mu", MMc{Lambda: 1, Mu: 0, C: 10}, ErrInvalidInput, "invalid MMc.Mu 0: must be a positive finite number"},
		{"NaN mu", MMc{Lambda: 1, Mu: math.NaN(), C: 10}, ErrInvalidInput, "invalid MMc.Mu NaN"},
		{"infinite lambda", MMc{Lambda: math.Inf(1), Mu: 1, C: 10}, ErrInvalidInput, "invalid MMc.Lambda +Inf"},
		{"no servers", MMc{Lambda: 1, Mu: 1, C: 0}, ErrInvalidInput, "invalid MMc.C 0: must be an integer ≥ 1"},
		{"load equals servers", MMc{Lambda: 10, Mu: 1, C: 10}, ErrUnstable, "offered load λ/μ = 10 erlangs on c = 10 servers: queue is unstable"},
		{"overloaded", MMc{Lambda: 30, Mu: 2, C: 10}, ErrUnstable, "offered load λ/μ = 15 erlangs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.q.Validate()
			if tt.wantIs == nil {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, tt.wantIs) {
				t.Fatalf("Validate() = %v, want an error matching %v", err, tt.wantIs)
			}
			if !strings.HasPrefix(err.Error(), tt.wantMsg) {
				t.Errorf("Validate() = %q, want it to start with %q", err, tt.wantMsg)
			}
		})
	}
	var ie *InputError
	if err := (MMc{Lambda: 1, Mu: -2, C: 1}).Validate(); !errors.As(err, &ie) || ie.Arg != "MMc.Mu" || ie.Value != -2 {
		t.Errorf("Validate() = %v, want *InputError{Arg: MMc.Mu, Value: -2}", err)
	}
}

// TestMMc_GrossHarris checks Example 2.2 of Gross and Harris, Fundamentals
// of Queueing Theory (2nd ed.): λ = 6, μ = 3, c = 3, times in hours.
func TestMMc_GrossHarris(t *testing.T) {
	q := MMc{Lambda: 6, Mu: 3, C: 3}
	for _, tt := range []struct {
		name      string
		got, want float64
	}{
		{"P0", q.EmptyProb(), 1.0 / 9},
		{"Lq", q.MeanQueueLen(), 8.0 / 9},
		{"Wq", q.MeanWait(), 4.0 / 27},
		{"1-C", 1 - q.DelayProb(), 5.0 / 9},
		{"W", q.MeanResponse(), 13.0 / 27},
		{"L", q.MeanInSystem(), 8.0/9 + 2},
		{"rho", q.Utilisation(), 2.0 / 3},
	} {
		if relErr(tt.got, tt.want) > 1e-14 {
			t.Errorf("%s = %.17g, want %.17g (Gross & Harris Ex. 2.2)", tt.name, tt.got, tt.want)
		}
	}
}

// TestMMc_MM1 checks that c = 1 gives the M/M/1 formulas (Gross and Harris
// §2.2): P(W>0) = ρ, P₀ = 1 − ρ, E[W] = ρ/(μ−λ), T ~ Exp(μ − λ).
func TestMMc_MM1(t *testing.T) {
	r := queueingRand()
	for range 300 {
		mu := 0.1 + 10*r.Float64()
		rho := 0.01 + 0.98*r.Float64()
		lambda := rho * mu
		rho = lambda / mu
		q := MMc{Lambda: lambda, Mu: mu, C: 1}
		tm := 3 * r.Float64() / mu
		p := 0.01 + 0.98*r.Float64()
		waitQ := math.Max(0, math.Log(rho/(1-p))/(mu-lambda))
		for _, tt := range []struct {
			name      string
			got, want float64
		}{
			{"DelayProb", q.DelayProb(), rho},
			{"EmptyProb", q.EmptyProb(), 1 - rho},
			{"MeanWait", q.MeanWait(), rho / (mu - lambda)},
			{"MeanResponse", q.MeanResponse(), 1 / (mu - lambda)},
			{"MeanQueueLen", q.MeanQueueLen(), rho * rho / (1 - rho)},
			{"MeanInSystem", q.MeanInSystem(), rho / (1 - rho)},
			{"ResponseSurvival", q.ResponseSurvival(tm), math.Exp(-(mu - lambda) * tm)},
			{"ResponseQuantile", q.ResponseQuantile(p), -math.Log1p(-p) / (mu - lambda)},
			{"WaitQuantile", q.WaitQuantile(p), waitQ},
			{"WaitTail", q.WaitTail(tm), rho * math.Exp(-(mu-lambda)*tm)},
		} {
			if !within(tt.got, tt.want, 1e-11, true) && !within(tt.got, tt.want, 1e-14, false) {
				t.Fatalf("M/M/1 λ=%g μ=%g: %s = %.17g, want %.17g", lambda, mu, tt.name, tt.got, tt.want)
			}
		}
	}
}

// TestMMc_Means checks Little's law and that the means equal the integrals
// of the tails, E[X] = ∫₀^∞ P(X > t) dt, on seeded random queues.
func TestMMc_Means(t *testing.T) {
	r := queueingRand()
	for range 200 {
		c := 1 + r.IntN(200)
		a := float64(c) * (0.05 + 0.94*r.Float64())
		mu := 0.5 + 4*r.Float64()
		q := MMc{Lambda: a * mu, Mu: mu, C: c}
		name := fmt.Sprintf("λ=%g μ=%g c=%d", q.Lambda, mu, c)
		if got, want := q.MeanInSystem(), q.Lambda*q.MeanResponse(); relErr(got, want) > 1e-12 {
			t.Fatalf("%s: L = %g, λ·E[T] = %g", name, got, want)
		}
		if got, want := q.MeanInSystem()-q.MeanQueueLen(), a; relErr(got, want) > 1e-9 {
			t.Fatalf("%s: busy servers L − Lq = %g, want a = %g", name, got, want)
		}
		upper := 60 / q.theta() // the tails are below e^{−60} beyond
		if wt := 60 / mu; wt > upper {
			upper = wt
		}
		if got, want := integrate(q.ResponseSurvival, 0, upper, 1e-13), q.MeanResponse(); relErr(got, want) > 1e-9 {
			t.Fatalf("%s: ∫P(T>t)dt = %.15g, E[T] = %.15g", name, got, want)
		}
		if got, want := integrate(q.WaitTail, 0, 60/q.theta(), 1e-15), q.MeanWait(); !within(got, want, 1e-9, true) && !within(got, want, 1e-14, false) {
			t.Fatalf("%s: ∫P(W>t)dt = %.15g, E[W] = %.15g", name, got, want)
		}
	}
}

// TestMMc_ResponseSurvival_Convolution checks the closed form against a
// numerical convolution of its parts, P(T > t) = (1 − C)e^{−μt} +
// C·[e^{−θt} + ∫₀ᵗ θe^{−θu}e^{−μ(t−u)} du], including θ = μ and θ < μ.
func TestMMc_ResponseSurvival_Convolution(t *testing.T) {
	for _, tt := range []struct {
		name string
		q    MMc
	}{
		{"theta=mu c=2", MMc{Lambda: 1, Mu: 1, C: 2}},
		{"theta=mu c=10", MMc{Lambda: 9, Mu: 1, C: 10}},
		{"theta=mu c=1000", MMc{Lambda: 999, Mu: 1, C: 1000}},
		{"theta<mu", MMc{Lambda: 9.5, Mu: 1, C: 10}},
		{"theta>mu", MMc{Lambda: 90, Mu: 1, C: 100}},
		{"single server", MMc{Lambda: 0.7, Mu: 1, C: 1}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			q := tt.q
			c, mu, theta := q.DelayProb(), q.Mu, q.theta()
			for _, tm := range []float64{0, 0.01, 0.5, 1, 2.5, 7, 20} {
				conv := integrate(func(u float64) float64 { return theta * math.Exp(-theta*u-mu*(tm-u)) }, 0, tm, 1e-16)
				want := (1-c)*math.Exp(-mu*tm) + c*(math.Exp(-theta*tm)+conv)
				if got := q.ResponseSurvival(tm); !within(got, want, 1e-12, false) {
					t.Errorf("ResponseSurvival(%g) = %.17g, convolution %.17g", tm, got, want)
				}
			}
		})
	}
}

func TestMMc_Quantiles(t *testing.T) {
	r := queueingRand()
	for range 300 {
		c := 1 + r.IntN(2000)
		a := float64(c) * (0.05 + 0.949*r.Float64())
		q := MMc{Lambda: a, Mu: 1, C: c}
		p := 0.5 + 0.4999*r.Float64()
		name := fmt.Sprintf("λ=%g c=%d p=%g", a, c, p)
		tq := q.ResponseQuantile(p)
		if got := q.ResponseSurvival(tq); !within(got, 1-p, 1e-12, false) {
			t.Fatalf("%s: P(T > %g) = %.17g, want %g", name, tq, got, 1-p)
		}
		if s := -math.Log1p(-p); tq < s {
			t.Fatalf("%s: response quantile %g below the service quantile %g", name, tq, s)
		}
		if q2 := q.ResponseQuantile(p + (1-p)/2); q2 <= tq {
			t.Fatalf("%s: response quantile not increasing in p: %g then %g", name, tq, q2)
		}
		wq := q.WaitQuantile(p)
		if q.DelayProb() <= 1-p {
			if wq != 0 {
				t.Fatalf("%s: C = %g ≤ 1 − p but WaitQuantile = %g", name, q.DelayProb(), wq)
			}
		} else if got := q.WaitTail(wq); relErr(got, 1-p) > 1e-12 {
			t.Fatalf("%s: P(W > %g) = %.17g, want %g", name, wq, got, 1-p)
		}
		if got, want := q.ServiceLevel(wq), math.Max(p, 1-q.DelayProb()); relErr(got, want) > 1e-12 {
			t.Fatalf("%s: ServiceLevel(%g) = %g, want %g", name, wq, got, want)
		}
	}
}

// TestMMc_EmptyProb checks P₀ against the textbook sum (its dumb twin) where
// the sum does not overflow.
func TestMMc_EmptyProb(t *testing.T) {
	r := queueingRand()
	for range 500 {
		c := 1 + r.IntN(60)
		a := float64(c) * (0.01 + 0.98*r.Float64())
		q := MMc{Lambda: a, Mu: 1, C: c}
		term, sum := 1.0, 0.0
		for k := 0; k < c; k++ {
			sum += term
			term *= a / float64(k+1)
		}
		want := 1 / (sum + term/(1-a/float64(c)))
		if got := q.EmptyProb(); relErr(got, want) > 1e-12 {
			t.Fatalf("EmptyProb(λ=%g, c=%d) = %.17g, direct sum %.17g", a, c, got, want)
		}
	}
}

func TestMMc_UnstableAndInvalid(t *testing.T) {
	unstable := MMc{Lambda: 10, Mu: 1, C: 10}
	inf := math.Inf(1)
	for _, tt := range []struct {
		name      string
		got, want float64
	}{
		{"DelayProb", unstable.DelayProb(), 1},
		{"EmptyProb", unstable.EmptyProb(), 0},
		{"MeanWait", unstable.MeanWait(), inf},
		{"MeanResponse", unstable.MeanResponse(), inf},
		{"MeanQueueLen", unstable.MeanQueueLen(), inf},
		{"MeanInSystem", unstable.MeanInSystem(), inf},
		{"ConditionalMeanWait", unstable.ConditionalMeanWait(), inf},
		{"ConditionalWaitTail", unstable.ConditionalWaitTail(1), 1},
		{"WaitTail", unstable.WaitTail(1), 1},
		{"ServiceLevel", unstable.ServiceLevel(1), 0},
		{"WaitQuantile", unstable.WaitQuantile(0.5), inf},
		{"ResponseSurvival", unstable.ResponseSurvival(1), 1},
		{"ResponseQuantile", unstable.ResponseQuantile(0.5), inf},
		{"Utilisation", unstable.Utilisation(), 1},
	} {
		if tt.got != tt.want {
			t.Errorf("unstable %s = %g, want %g", tt.name, tt.got, tt.want)
		}
	}
	for _, q := range []MMc{{Lambda: -1, Mu: 1, C: 2}, {Lambda: 1, Mu: math.NaN(), C: 2}, {Lambda: 1, Mu: 1, C: 0}} {
		for name, got := range map[string]float64{
			"Offered": q.Offered(), "Utilisation": q.Utilisation(), "DelayProb": q.DelayProb(),
			"EmptyProb": q.EmptyProb(), "MeanWait": q.MeanWait(), "MeanResponse": q.MeanResponse(),
			"MeanQueueLen": q.MeanQueueLen(), "MeanInSystem": q.MeanInSystem(),
			"ConditionalMeanWait": q.ConditionalMeanWait(), "ConditionalWaitTail": q.ConditionalWaitTail(1),
			"WaitTail": q.WaitTail(1), "ServiceLevel": q.ServiceLevel(1), "WaitQuantile": q.WaitQuantile(0.5),
			"ResponseSurvival": q.ResponseSurvival(1), "ResponseQuantile": q.ResponseQuantile(0.5),
		} {
			if !math.IsNaN(got) {
				t.Errorf("%+v.%s = %g, want NaN for invalid fields", q, name, got)
			}
		}
	}
	q := MMc{Lambda: 1, Mu: 1, C: 2}
	for _, p := range []float64{0, 1, -0.1, 1.5, math.NaN()} {
		if got := q.ResponseQuantile(p); !math.IsNaN(got) {
			t.Errorf("ResponseQuantile(%g) = %g, want NaN", p, got)
		}
		if got := q.WaitQuantile(p); !math.IsNaN(got) {
			t.Errorf("WaitQuantile(%g) = %g, want NaN", p, got)
		}
	}
	if got := q.ResponseSurvival(-1); got != 1 {
		t.Errorf("ResponseSurvival(-1) = %g, want 1", got)
	}
	if got := q.WaitTail(-1); got != 1 {
		t.Errorf("WaitTail(-1) = %g, want 1", got)
	}
}

func BenchmarkMMc_ResponseQuantile(b *testing.B) {
	for _, c := range []int{10, 1000, 100000} {
		q := MMc{Lambda: 0.99 * float64(c), Mu: 1, C: c}
		b.Run(fmt.Sprintf("c=%d", c), func(b *testing.B) {
			for b.Loop() {
				sink = q.ResponseQuantile(0.99)
			}
		})
	}
}
