package sim

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/headroom-dev/headroom/scenarios"
)

// TestEstimateWork_Requests: the DES estimate of a cold start is the
// integral of the offered rate, which the fluid model counts as arrivals; a
// warm start adds its burn-in, a minute at the opening rate.
func TestEstimateWork_Requests(t *testing.T) {
	p := noa(t)
	for _, sc := range p.Scenarios {
		t.Run(sc.Name, func(t *testing.T) {
			w, err := EstimateWork(p, Options{Scenario: sc.Name, Mode: ModeDES, ColdStart: true})
			if err != nil {
				t.Fatal(err)
			}
			warm, err := EstimateWork(p, Options{Scenario: sc.Name, Mode: ModeDES})
			if err != nil {
				t.Fatal(err)
			}
			burnIn := 0.0
			for i := range p.Services {
				if sc.AppliesTo(p.Services[i].Name) {
					// The service's rate with its callers' calls (the
					// example's noa-postgres and noa-redis).
					burnIn += p.ScenarioRate(&sc, p.Services[i].Name).At(sc.Traffic(p.Seed).Multiplier(0)) * desBurnIn.Seconds()
				}
			}
			if d := warm.DESRequests - w.DESRequests; math.Abs(d-burnIn) > 1e-6*burnIn {
				t.Errorf("the warm start adds %.4g DES requests to the estimate, want the burn-in's %.4g", d, burnIn)
			}
			res, err := Run(p, Options{Scenario: sc.Name})
			if err != nil {
				t.Fatal(err)
			}
			var got float64
			for _, s := range res.Services {
				got += s.Summary.Requests
			}
			if math.Abs(w.DESRequests-got) > 0.01*got {
				t.Errorf("estimated %.4g DES requests, the run offered %.4g", w.DESRequests, got)
			}
			if err := DefaultBudget.Check(w); err != nil {
				t.Errorf("the bundled example is over the default budget: %v", err)
			}
		})
	}
}

// TestEstimateWork_Refuses holds the default budget against the inputs that
// ran for minutes or exhausted memory before there was one.
func TestEstimateWork_Refuses(t *testing.T) {
	base := noa(t)
	for _, tc := range []struct {
		name string
		edit func(p *scenarios.Plan) Options
		want string
	}{{
		name: "a billion requests per second in DES",
		edit: func(p *scenarios.Plan) Options {
			p.Services[0].RequestRate.PerSecond = 1e9
			return Options{Scenario: "daily", Mode: ModeDES}
		},
		want: "DES requests",
	}, {
		name: "400 days sampled every second",
		edit: func(p *scenarios.Plan) Options {
			p.Scenarios[0].Duration = scenarios.Duration(400 * 24 * time.Hour)
			return Options{Scenario: p.Scenarios[0].Name, SampleEvery: time.Second}
		},
		want: "series samples",
	}, {
		name: "100 000 replicas at a million requests per second",
		edit: func(p *scenarios.Plan) Options {
			p.Services[0].RequestRate.PerSecond = 1e6
			p.Services[0].HPA.MaxReplicas = 100000
			return Options{Scenario: "daily"}
		},
		want: "pod-ticks",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			p := *base
			p.Services = append([]scenarios.Service(nil), base.Services...)
			p.Scenarios = append([]scenarios.Scenario(nil), base.Scenarios...)
			h := *p.Services[0].HPA
			p.Services[0].HPA = &h
			opts := tc.edit(&p)
			w, err := EstimateWork(&p, opts)
			if err != nil {
				t.Fatal(err)
			}
			err = DefaultBudget.Check(w)
			var we *WorkError
			if !errors.As(err, &we) || we.Factor <= 1 || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Check = %v, want a WorkError naming %s", err, tc.want)
			}
		})
	}
}

// TestRunContext_Cancelled: a cancelled context stops the run at once with
// its error; an open one gives the same result as Run.
func TestRunContext_Cancelled(t *testing.T) {
	p := noa(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if res, err := RunContext(ctx, p, Options{Scenario: "daily"}); !errors.Is(err, context.Canceled) || res != nil {
		t.Fatalf("RunContext(cancelled) = %v, %v; want nil, context.Canceled", res, err)
	}
	a, err := RunContext(context.Background(), p, Options{Scenario: "growth-2x"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Run(p, Options{Scenario: "growth-2x"})
	if err != nil {
		t.Fatal(err)
	}
	if a.Services[0].Summary != b.Services[0].Summary {
		t.Errorf("RunContext and Run differ: %+v vs %+v", a.Services[0].Summary, b.Services[0].Summary)
	}
}
