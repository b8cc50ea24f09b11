package review

import (
	"fmt"
	"time"

	"github.com/headroom-dev/headroom/capacity"
	"github.com/headroom-dev/headroom/review/record"
	"github.com/headroom-dev/headroom/scenarios"
	"github.com/headroom-dev/headroom/sim"
)

// buildEvents plans each event's pre-scale (the plan's event scenarios and
// the command-line event) with the recommender's proposal
// (capacity.PlanPreScales): the floors to raise and when, from the sizing
// of the proposal (its requests and limits) at the event's peak and at
// today's traffic, the maxReplicas the proposal does not already cover,
// and the restore when the simulated load allows. The events' pre-scales
// of one HPA merge into one schedule (capacity.MergePreScales); each event
// is then simulated with the proposal and that schedule, and the same
// window at today's
// traffic, to count the SLO-violation minutes it saves and what it costs.
func (b *builder) buildEvents(sizing *capacity.SizingReport) error {
	// The pre-scale goes on top of the proposal: its HPAs and its
	// requests and limits (a caller's need at the event's peak depends on
	// its callees' proposed CPU).
	plan, opts, seed, proposed, progress := b.proposedPlan, b.opts, b.seed, b.proposed, b.progress
	if plan != b.plan {
		var err error
		if sizing, err = capacity.Size(plan, opts.Mode, ""); err != nil {
			return err
		}
	}
	var events []*scenarios.Event
	for i := range plan.Scenarios {
		sc := &plan.Scenarios[i]
		if opts.Event != nil && sc.Name == opts.Event.Scenario {
			events = append(events, opts.Event)
		} else if ev := scenarios.EventFromScenario(sc); ev != nil {
			events = append(events, ev)
		}
	}
	planned := make([]capacity.EventPreScales, len(events))
	qplans := make([]*scenarios.Plan, len(events))
	for i, ev := range events {
		progress("planning the pre-scale for event %s", ev.Name)
		sc := plan.Scenario(ev.Scenario)
		quiet := scenarios.QuietScenario(sc)
		qplan, err := plan.WithScenario(quiet)
		if err != nil {
			return err
		}
		today, err := capacity.Size(qplan, opts.Mode, quiet.Name)
		if err != nil {
			return err
		}
		var peak capacity.ScenarioSizing
		for _, ss := range sizing.Scenarios {
			if ss.Scenario == ev.Scenario {
				peak = ss
			}
		}
		pss, err := capacity.PlanPreScales(b.ctx, plan, ev, peak, today.Scenarios[0], capacity.PreScaleOptions{
			Proposed: proposed, SimPlan: b.proposedPlan, Seed: seed, FlapWindow: opts.FlapWindow,
		})
		if err != nil {
			return fmt.Errorf("plan the pre-scale of event %s: %w", ev.Name, err)
		}
		// The event runs as the proposed ones do: with the proposal's
		// requests and limits (b.proposedPlan) as well as its HPAs.
		simPlan, err := b.proposedPlan.WithScenario(quiet)
		if err != nil {
			return err
		}
		planned[i], qplans[i] = capacity.EventPreScales{Event: ev, PreScales: pss}, simPlan
	}
	for i, ep := range capacity.MergePreScales(planned) {
		if err := b.simulateEvent(ep.Event, ep.PreScales, qplans[i]); err != nil {
			return err
		}
	}
	return nil
}

// simulateEvent simulates an event with its (merged) pre-scales and the
// same window at today's traffic, and records the event's section.
func (b *builder) simulateEvent(ev *scenarios.Event, pss []scenarios.PreScale, qplan *scenarios.Plan) error {
	plan, seed, proposed := b.plan, b.seed, b.proposed
	sc := plan.Scenario(ev.Scenario)
	quiet := scenarios.QuietScenario(sc)
	sec := record.EventSection{Event: *ev, PreScales: pss, Without: map[string]float64{}, With: map[string]float64{},
		BurnWithout: map[string]float64{}, BurnWith: map[string]float64{}}
	every := sampleEvery(sc.Duration.D(), plan.Simulation.Tick.D())
	with, err := sim.RunContext(b.ctx, qplan.WithPreScales(pss), sim.Options{Scenario: ev.Scenario, Seed: seed, SampleEvery: every, HPA: proposed, FlapWindow: b.opts.FlapWindow, Latency: b.tables})
	if err != nil {
		return fmt.Errorf("simulate event %s with its pre-scale: %w", ev.Name, err)
	}
	base, err := sim.RunContext(b.ctx, qplan, sim.Options{Scenario: quiet.Name, Seed: seed, SampleEvery: every, HPA: proposed, FlapWindow: b.opts.FlapWindow, Latency: b.tables})
	if err != nil {
		return fmt.Errorf("simulate the baseline of event %s: %w", ev.Name, err)
	}
	b.runs[runKey{ev.Scenario, record.PreScaled}] = with
	from, to := ev.RiseAt.D(), ev.EndAt.D()+ev.Ramp.D()+scenarios.RestoreDelay
	for _, ps := range pss {
		from, to = min(from, ps.RaiseAt.D()), max(to, min(ps.RestoreAt.D(), sc.Duration.D()))
	}
	sec.WindowStart, sec.WindowEnd, sec.WindowResolution = clock(sc, from), clock(sc, to), every.String()
	without := b.run(ev.Scenario, record.Current)
	for _, s := range with.Services {
		budget := budgetOf(plan, s.Service)
		sec.With[s.Service] = violatedMinutes(s.Series, from, to, every)
		sec.BurnWith[s.Service] = windowBurn(s.Series, from, to, every, budget)
		if w := without.Service(s.Service); w != nil {
			sec.Without[s.Service] = violatedMinutes(w.Series, from, to, every)
			sec.BurnWithout[s.Service] = windowBurn(w.Series, from, to, every, budget)
		}
	}
	sec.Cost, sec.Baseline = with.Cluster.Cost, base.Cluster.Cost
	sec.Extra = sec.Cost - sec.Baseline
	b.rev.Events = append(b.rev.Events, sec)
	return nil
}

// budgets are a service's error budgets: 1 − quantile of its latency
// objective and its error-rate objective, 0 where it has none.
type budgets struct{ latency, errors float64 }

// budgetOf is the error budgets of a service of the plan.
func budgetOf(plan *scenarios.Plan, name string) budgets {
	var b budgets
	for i := range plan.Services {
		if s := &plan.Services[i]; s.Name == name {
			if s.SLO.Latency != nil {
				b.latency = 1 - float64(s.SLO.Latency.Quantile)
			}
			if s.SLO.ErrorRate != nil {
				b.errors = float64(*s.SLO.ErrorRate)
			}
		}
	}
	return b
}

// windowBurn is the error-budget burn of the sample intervals inside
// [from, to], by the run's own rule (sim.Burn): the larger of the latency
// objective's (requests failed or served slower than the target over the
// arrivals, over its budget) and the error-rate objective's; 0 without a
// budget or arrivals.
func windowBurn(series []sim.Sample, from, to, every time.Duration, b budgets) float64 {
	var bad, errs, arrivals float64
	for _, smp := range series {
		if t := smp.T.D(); t-every >= from && t <= to {
			bad += smp.Slow + smp.Errors
			errs += smp.Errors
			arrivals += smp.Lambda * every.Seconds()
		}
	}
	return sim.Burn(bad, errs, arrivals, b.latency, b.errors)
}

// violatedMinutes counts the sample intervals inside [from, to] that saw an
// SLO violation, in minutes.
func violatedMinutes(series []sim.Sample, from, to, every time.Duration) float64 {
	var n int
	for _, smp := range series {
		if t := smp.T.D(); t-every >= from && t <= to && smp.SLOViolated {
			n++
		}
	}
	return float64(n) * every.Minutes()
}
