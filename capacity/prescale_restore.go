package capacity

import (
	"context"
	"fmt"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"

	"github.com/headroom-dev/headroom/scenarios"
	"github.com/headroom-dev/headroom/sim"
)

// RestoreStep is the grid the restore time is chosen on, after the fall
// plus RestoreDelay.
const RestoreStep = 5 * time.Minute

// PreScaleOptions configure PlanPreScales.
type PreScaleOptions struct {
	// Proposed are the permanent HPA specs the recommender proposes, by
	// service (ProposedHPAs of Propose's recommendations): the event's
	// schedule raises from them and restores to them. A service without
	// one keeps the plan's HPA.
	Proposed map[string]*autoscalingv2.HorizontalPodAutoscalerSpec
	// SimPlan is the plan the restore is simulated on (the plan with the
	// proposal's requests and limits, WithResources); default the plan.
	SimPlan *scenarios.Plan
	// Mode, Seed (0: the plan's) and FlapWindow are the simulation's.
	Mode       sim.Mode
	Seed       int64
	FlapWindow time.Duration
}

// PlanPreScales plans an event's pre-scale together with the recommender's
// permanent proposal (opts.Proposed): each service's floor rises to the
// replicas the event's peak needs (sizing peak, against today's traffic
// today, as PreScales) and falls back to the proposal's minReplicas;
// maxReplicas rises for the event only when the peak needs more than the
// proposal's permanent maximum. The restore is the earliest instant, on a
// RestoreStep grid from RestoreDelay after the fall, at which the event's
// scenario, simulated with the proposed HPAs and the pre-scale, holds the
// SLO budget as well as it does with the floor kept to the scenario's end
// (restoreHolds); with the load still high at the end, the restore is the
// scenario's end and the rationale says so.
func PlanPreScales(ctx context.Context, p *scenarios.Plan, ev *scenarios.Event, peak, today ScenarioSizing, opts PreScaleOptions) ([]scenarios.PreScale, error) {
	pss := preScaleFloors(p, ev, peak, today, opts.Proposed)
	if len(pss) == 0 {
		return nil, nil
	}
	r := &restorer{ctx: ctx, plan: p, ev: ev, opts: opts, traffic: sim.NewTrafficCache(), latency: sim.NewLatencyCache()}
	if r.opts.SimPlan == nil {
		r.opts.SimPlan = p
	}
	if r.opts.Seed == 0 {
		r.opts.Seed = p.Seed
	}
	sc := p.Scenario(ev.Scenario)
	if sc == nil {
		return nil, fmt.Errorf("event %s: no scenario %q", ev.Name, ev.Scenario)
	}
	r.duration = sc.Duration.D()
	err := evaluateAll(ctx, len(pss), func(i int) error {
		if err := r.chooseRestore(&pss[i]); err != nil {
			return fmt.Errorf("event %s, service %s: %w", ev.Name, pss[i].Service, err)
		}
		return nil
	}, nil)
	if err != nil {
		return nil, err
	}
	return pss, nil
}

// restorer simulates one event's scenario with candidate restore times.
type restorer struct {
	ctx     context.Context
	plan    *scenarios.Plan
	ev      *scenarios.Event
	opts    PreScaleOptions
	traffic *sim.TrafficCache
	latency *sim.LatencyCache
	// duration is the event scenario's length.
	duration time.Duration
}

// restoreRun is a service's run with the restore at one instant.
type restoreRun struct {
	summary sim.Summary
	// after is the burn over the samples from the restore on.
	after float64
}

// chooseRestore sets ps's restore: the earliest grid instant whose run
// holds the budget as the run with the floor kept does. The burn falls
// (weakly) as the restore moves later, so after the earliest instant
// fails, bisection over the grid finds the boundary; the instant it
// returns is one that was simulated and holds.
func (r *restorer) chooseRestore(ps *scenarios.PreScale) error {
	// The latest restore is the scenario's end; a time-of-day schedule
	// repeats daily, so it stays within the day after the raise.
	end := min(r.duration, ps.RaiseAt.D()+24*time.Hour-RestoreStep)
	first := r.ev.EndAt.D() + r.ev.Ramp.D() + scenarios.RestoreDelay
	if first >= end || first <= ps.RaiseAt.D() {
		// No room in the simulated window after the fall: the minimum.
		r.set(ps, first, fmt.Sprintf("restore %s after the fall so the HPA scales down by its own behaviour; the event's scenario ends before then, so no simulation checks the load after it", scenarios.RestoreDelay))
		return nil
	}
	keep, err := r.run(ps, end)
	if err != nil {
		return err
	}
	at0, err := r.run(ps, first)
	if err != nil {
		return err
	}
	fall := r.ev.EndAt.D() + r.ev.Ramp.D()
	if restoreHolds(at0, keep) {
		r.set(ps, first, fmt.Sprintf("restore %s after the fall: simulated with the restore then, the service holds its SLO budget as it does with the floor kept (%s); the HPA scales down by its own behaviour",
			scenarios.RestoreDelay, describeRestoreRun(keep)))
		return nil
	}
	n := int((end - first) / RestoreStep) // grid points first + k·step, k ≤ n, below end
	lo, hi := 0, n+1                      // lo fails; hi holds (n+1 is the end: the floor kept)
	best := keep
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		run, err := r.run(ps, first+time.Duration(mid)*RestoreStep)
		if err != nil {
			return err
		}
		if restoreHolds(run, keep) {
			hi, best = mid, run
		} else {
			lo = mid
		}
	}
	at := min(first+time.Duration(hi)*RestoreStep, end)
	if at == end {
		r.set(ps, at, fmt.Sprintf("restore at the end of the simulated window (%s after the fall), not %s after it: the load still needs the event's floor (restored at %s after the fall: %s; kept: %s); a permanent minReplicas or maxReplicas should carry it",
			at-fall, scenarios.RestoreDelay, scenarios.RestoreDelay, describeRestoreRun(at0), describeRestoreRun(keep)))
		return nil
	}
	r.set(ps, at, fmt.Sprintf("restore %s after the fall, not %s: the simulated load still needs the event's floor until then (restored at %s: %s; kept: %s; restored at %s: %s)",
		at-fall, scenarios.RestoreDelay, scenarios.RestoreDelay, describeRestoreRun(at0), describeRestoreRun(keep), at-fall, describeRestoreRun(best)))
	return nil
}

// set puts ps's restore at offset at and replaces the rationale's restore
// line with why.
func (r *restorer) set(ps *scenarios.PreScale, at time.Duration, why string) {
	setRestore(r.plan, r.ev, ps, scenarios.Seconds(at))
	for i, l := range ps.Rationale {
		if len(l) >= 8 && l[:8] == "restore " {
			ps.Rationale[i] = why
			return
		}
	}
	ps.Rationale = append(ps.Rationale, why)
}

// run simulates the service of ps alone in the event's scenario with the
// proposed HPAs, the raise as planned and the restore at offset at.
func (r *restorer) run(ps *scenarios.PreScale, at time.Duration) (restoreRun, error) {
	q := *ps
	setRestore(r.plan, r.ev, &q, scenarios.Seconds(at))
	res, err := sim.RunContext(r.ctx, r.opts.SimPlan.WithPreScales([]scenarios.PreScale{q}), sim.Options{
		Scenario: r.ev.Scenario, Services: []string{ps.Service}, Seed: r.opts.Seed, Mode: r.opts.Mode,
		HPA: r.opts.Proposed, Traffic: r.traffic, Latency: r.latency, FlapWindow: r.opts.FlapWindow,
	})
	if err != nil {
		return restoreRun{}, err
	}
	var sr *sim.ServiceResult
	for i := range res.Services {
		if res.Services[i].Service == ps.Service {
			sr = &res.Services[i]
		}
	}
	if sr == nil {
		return restoreRun{}, fmt.Errorf("the simulation has no service %s", ps.Service)
	}
	out := restoreRun{summary: sr.Summary}
	lat, errs := sloBudgets(r.plan.Service(ps.Service))
	out.after = burnFrom(sr.Series, at, res.SampleEvery.D(), lat, errs)
	return out, nil
}

// restoreHolds reports whether a run with an earlier restore holds the SLO
// budget as well as the run with the floor kept: no more SLO-violation
// minutes, and the burn over the whole scenario, over its worst window
// and over the samples after the restore each at most the kept run's or
// within the budget (1), whichever is larger.
func restoreHolds(run, keep restoreRun) bool {
	le := func(a, b float64) bool { return a <= b+neverWorseSlack*max(1, b) }
	return le(run.summary.SLOViolationMinutes, keep.summary.SLOViolationMinutes) &&
		le(run.summary.SLOBudgetBurn, max(keep.summary.SLOBudgetBurn, 1)) &&
		le(run.summary.WorstWindowBurn, max(keep.summary.WorstWindowBurn, 1)) &&
		le(run.after, max(keep.after, 1))
}

func describeRestoreRun(r restoreRun) string {
	return fmt.Sprintf("%.0f SLO-violation minutes, burn %.2f, worst-window burn %.2f", r.summary.SLOViolationMinutes, r.summary.SLOBudgetBurn, r.summary.WorstWindowBurn)
}

// sloBudgets are a service's error budgets, latency (1 − quantile) and
// error rate, 0 where it has no such objective.
func sloBudgets(s *scenarios.Service) (latency, errs float64) {
	if s == nil {
		return 0, 0
	}
	if s.SLO.Latency != nil {
		latency = 1 - float64(s.SLO.Latency.Quantile)
	}
	if s.SLO.ErrorRate != nil {
		errs = float64(*s.SLO.ErrorRate)
	}
	return latency, errs
}

// burnFrom is the error-budget burn (sim.Burn) of the sample intervals that
// start at or after from.
func burnFrom(series []sim.Sample, from, every time.Duration, latency, errs float64) float64 {
	var bad, bad5xx, arrivals float64
	for _, s := range series {
		if s.T.D()-every >= from {
			bad += s.Slow + s.Errors
			bad5xx += s.Errors
			arrivals += s.Lambda * every.Seconds()
		}
	}
	return sim.Burn(bad, bad5xx, arrivals, latency, errs)
}
