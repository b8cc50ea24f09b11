package main

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/spf13/pflag"

	"github.com/headroom-dev/headroom/scenarios"
	"github.com/headroom-dev/headroom/sim"
)

// bindMaxWork binds --max-work, the multiple of the default work budget a
// command may use.
func bindMaxWork(f *pflag.FlagSet, p *float64) {
	*p = 1
	f.Float64Var(p, "max-work", 1, fmt.Sprintf("refuse runs estimated above this multiple of the default work budget (%.0e DES requests, %.0e pod-ticks, %.0e series samples); at most %d",
		sim.DefaultBudget.DESRequests, sim.DefaultBudget.PodTicks, sim.DefaultBudget.Samples, sim.MaxWorkFactor))
}

// validateMaxWork checks --max-work.
func validateMaxWork(v float64) error {
	if !(v > 0 && v <= sim.MaxWorkFactor) {
		return usageErrorf("--max-work must be above 0 and at most %d (a multiple of the default work budget), got %g", sim.MaxWorkFactor, v)
	}
	return nil
}

// checkWork estimates the simulation runs (each repeated times: a
// comparison runs every scenario twice, a search once per candidate) and
// refuses them, before any starts, when they exceed maxWork times the
// default budget, saying which --max-work would admit them. keepSeries says
// whether every repetition's series stays in memory (a comparison's do; a
// search keeps only each candidate's summary, so its series count once).
func checkWork(plan *scenarios.Plan, runs []sim.Options, times, maxWork float64, keepSeries bool) error {
	var w sim.Work
	for _, o := range runs {
		e, err := sim.EstimateWork(plan, o)
		if err != nil {
			return err
		}
		w = w.Add(e)
	}
	total := w.Scale(times)
	if !keepSeries {
		total.Samples = w.Samples
	}
	return checkBudget(total, maxWork)
}

// checkBudget refuses w when it exceeds maxWork times the default budget.
func checkBudget(w sim.Work, maxWork float64) error {
	err := sim.DefaultBudget.Scale(maxWork).Check(w)
	var we *sim.WorkError
	if !errors.As(err, &we) {
		return err
	}
	need := math.Ceil(we.Factor*maxWork*10) / 10
	if need > sim.MaxWorkFactor {
		return fmt.Errorf("%v: more than %d times the default budget, which --max-work cannot lift; check the rates, the scenario lengths and --sample-every", err, sim.MaxWorkFactor)
	}
	return fmt.Errorf("%v; pass --max-work %g to run it anyway", err, need)
}

// scenarioRuns are the runs of every scenario of a plan with opts.
func scenarioRuns(plan *scenarios.Plan, opts sim.Options) []sim.Options {
	var runs []sim.Options
	for _, sc := range plan.Scenarios {
		o := opts
		o.Scenario = sc.Name
		runs = append(runs, o)
	}
	return runs
}

// serviceRuns are the runs of one service alone in each scenario that
// covers it (names, or every such scenario when names is empty), as tune
// and sweep evaluate a candidate.
func serviceRuns(plan *scenarios.Plan, service string, names []string, mode sim.Mode) []sim.Options {
	var runs []sim.Options
	for _, sc := range plan.Scenarios {
		if sc.AppliesTo(service) && (len(names) == 0 || slices.Contains(names, sc.Name)) {
			runs = append(runs, sim.Options{Scenario: sc.Name, Services: []string{service}, Mode: mode})
		}
	}
	return runs
}
