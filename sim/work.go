package sim

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/headroom-dev/headroom/scenarios"
)

// Work is the estimated cost of a run, counted before it starts so that a
// plausible-looking input (a billion requests per second, a 400-day
// scenario sampled every second, 100 000 replicas) is refused with its
// estimate instead of running for hours or exhausting memory.
type Work struct {
	// DESRequests are the requests DES mode simulates one by one: the
	// integral of the offered rate over the scenario. Zero in fluid mode.
	DESRequests float64
	// PodTicks are pods × ticks the per-pod models step through, with the
	// pods estimated from the offered load (clamped to the HPA's range).
	PodTicks float64
	// Samples are the series samples the results keep in memory.
	Samples float64
}

// Add returns the sum of two estimates.
func (w Work) Add(o Work) Work {
	return Work{DESRequests: w.DESRequests + o.DESRequests, PodTicks: w.PodTicks + o.PodTicks, Samples: w.Samples + o.Samples}
}

// Scale returns w times f (a report runs each scenario twice: f = 2).
func (w Work) Scale(f float64) Work {
	return Work{DESRequests: w.DESRequests * f, PodTicks: w.PodTicks * f, Samples: w.Samples * f}
}

// Budget bounds a Work estimate. DefaultBudget is a few minutes of one core
// and at most about a gigabyte of series; Scale lifts it.
type Budget struct {
	DESRequests, PodTicks, Samples float64
}

// DefaultBudget is what a command runs without being told otherwise: 2·10⁹
// DES requests (the bundled example's DES run is 3.5·10⁸), 5·10⁹ pod-ticks
// and 5·10⁶ series samples (400 days of 6 services at one-minute samples is
// 3.5·10⁶).
var DefaultBudget = Budget{DESRequests: 2e9, PodTicks: 5e9, Samples: 5e6}

// MaxWorkFactor is the largest multiple of DefaultBudget a user can ask for.
const MaxWorkFactor = 1000

// Scale returns the budget times f.
func (b Budget) Scale(f float64) Budget {
	return Budget{DESRequests: b.DESRequests * f, PodTicks: b.PodTicks * f, Samples: b.Samples * f}
}

// WorkError is a run whose estimate exceeds its budget.
type WorkError struct {
	Work   Work
	Budget Budget
	// Factor is the smallest multiple of the budget that admits the run.
	Factor float64
}

func (e *WorkError) Error() string {
	var over []string
	add := func(what string, w, b float64) {
		if w > b {
			over = append(over, fmt.Sprintf("%.3g %s (budget %.3g)", w, what, b))
		}
	}
	add("DES requests", e.Work.DESRequests, e.Budget.DESRequests)
	add("pod-ticks", e.Work.PodTicks, e.Budget.PodTicks)
	add("series samples", e.Work.Samples, e.Budget.Samples)
	return "the run is estimated at " + strings.Join(over, ", ")
}

// Check returns a *WorkError when w exceeds b in any dimension.
func (b Budget) Check(w Work) error {
	f := math.Max(w.DESRequests/b.DESRequests, math.Max(w.PodTicks/b.PodTicks, w.Samples/b.Samples))
	if !(f <= 1) { // also catches NaN
		return &WorkError{Work: w, Budget: b, Factor: f}
	}
	return nil
}

// estimateSteps is how many points of the scenario EstimateWork evaluates
// at most; finer plans are integrated at the tick.
const estimateSteps = 100_000

// EstimateWork estimates the cost of Run(plan, opts) without running it.
// The estimate integrates the scenario's offered rate (exactly, at the
// tick, up to estimateSteps points) and takes each service's pods as the
// offered load over its worker slots, within the HPA's range: the pods a
// one-to-one scaling would keep, which is what the run serves to within a
// small factor.
func EstimateWork(plan *scenarios.Plan, opts Options) (Work, error) {
	sc := plan.Scenario(opts.Scenario)
	if sc == nil {
		return Work{}, fmt.Errorf("no scenario named %q in the plan", opts.Scenario)
	}
	seed := plan.Seed
	if opts.Seed != 0 {
		seed = opts.Seed
	}
	every := opts.SampleEvery
	if every <= 0 {
		every = defaultSampleEvery
	}
	tick := plan.Simulation.Tick.D()
	end := sc.Duration.D()
	step := max(tick, end/estimateSteps)
	traffic := sc.Traffic(seed)
	var w Work
	for i := range plan.Services {
		svc := &plan.Services[i]
		if !sc.AppliesTo(svc.Name) || (len(opts.Services) > 0 && !slices.Contains(opts.Services, svc.Name)) {
			continue
		}
		lo, hi := podRange(svc, opts)
		sr := plan.ScenarioRate(sc, svc.Name)
		perPod := float64(svc.Concurrency) / svc.ServiceMean()
		var requests, podSeconds float64
		for t := time.Duration(0); t < end; t += step {
			dt := min(step, end-t).Seconds()
			rate := sr.At(traffic.Multiplier(t))
			requests += rate * dt
			podSeconds += math.Min(hi, math.Max(lo, math.Ceil(rate/perPod))) * dt
		}
		if opts.Mode == ModeDES {
			if !opts.ColdStart && !plan.Simulation.ColdStart {
				// The warm start's burn-in at λ(0).
				requests += sr.At(traffic.Multiplier(0)) * desBurnIn.Seconds()
			}
			w.DESRequests += requests
		}
		w.PodTicks += podSeconds / tick.Seconds()
		w.Samples += math.Ceil(float64(end) / float64(every))
	}
	return w, nil
}

// podRange is the range of pods a service runs at in a simulation.
func podRange(svc *scenarios.Service, opts Options) (lo, hi float64) {
	if n, ok := opts.FixedReplicas[svc.Name]; ok {
		return float64(n), float64(n)
	}
	h := svc.HPA
	if o, ok := opts.HPA[svc.Name]; ok {
		h = o
	}
	if h == nil || svc.Fixed {
		return float64(svc.Replicas), float64(svc.Replicas)
	}
	lo = 1
	if h.MinReplicas != nil {
		lo = float64(*h.MinReplicas)
	}
	return lo, math.Max(lo, float64(h.MaxReplicas))
}
