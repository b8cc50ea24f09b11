package backtest

import (
	"fmt"
	"math"

	"github.com/headroom-dev/headroom/review/record"
	"github.com/headroom-dev/headroom/scenarios"
)

// coresBias is how far the median simulated/observed CPU of all Ready pods
// may stray from 1 before the CPU per request is named: the HPA on CPU
// utilisation hides a CPU error in the utilisation by scaling, not in the
// total.
const coresBias = 0.1

// Check names, in table order.
const (
	CheckReplicas = "replicas"
	CheckCPU      = "cpu"
	CheckCPUCores = "cpuCores"
	CheckP95      = "p95"
	CheckBurn     = "budgetBurn"
	CheckStartup  = "startup"
	CheckScaleLag = "scaleLag"
)

func checks(rec *record.BacktestMeasures, m *measured, t record.BacktestTolerances) []record.BacktestCheck {
	var out []record.BacktestCheck
	add := func(name, value, tol string, ok, skipped bool) {
		out = append(out, record.BacktestCheck{Measure: name, Value: value, Tolerance: tol, OK: ok && !skipped, Skipped: skipped})
	}
	add(CheckReplicas, fmt.Sprintf("%.1f %% within the HPA band (%.1f %% within ±1, %.1f %% equal, MAE %.2f)", 100*rec.ReplicasWithinBandShare, 100*rec.ReplicasWithinOneShare, 100*rec.ReplicasEqualShare, rec.ReplicasMAE),
		fmt.Sprintf("≥ %.0f %% within ±max(1, ⌈%g × observed⌉)", 100*t.ReplicasAgreeShare, rec.ReplicasBand), rec.ReplicasWithinBandShare >= t.ReplicasAgreeShare, rec.Points == 0)
	if rec.CPUMAPE != nil {
		add(CheckCPU, fmt.Sprintf("MAPE %.1f %% (median ratio %.2f)", 100**rec.CPUMAPE, *rec.CPURatio), fmt.Sprintf("MAPE ≤ %.0f %%", 100*t.CPUMAPE), *rec.CPUMAPE <= t.CPUMAPE, false)
	} else {
		add(CheckCPU, "not measured", fmt.Sprintf("MAPE ≤ %.0f %%", 100*t.CPUMAPE), false, true)
	}
	if m.coresRatio != nil {
		add(CheckCPUCores, fmt.Sprintf("median ratio %.2f", *m.coresRatio), fmt.Sprintf("%.2f–%.2f", 1-coresBias, 1/(1-coresBias)), math.Abs(math.Log(*m.coresRatio)) <= -math.Log(1-coresBias), false)
	} else {
		add(CheckCPUCores, "not measured", fmt.Sprintf("%.2f–%.2f", 1-coresBias, 1/(1-coresBias)), false, true)
	}
	p95Tol := fmt.Sprintf("%.2f–%.2f", t.P95RatioMin, t.P95RatioMax)
	if rec.P95Ratio != nil {
		add(CheckP95, fmt.Sprintf("median ratio %.2f", *rec.P95Ratio), p95Tol, *rec.P95Ratio >= t.P95RatioMin && *rec.P95Ratio <= t.P95RatioMax, false)
	} else {
		add(CheckP95, "not measured", p95Tol, false, true)
	}
	burnTol := fmt.Sprintf("±%.2f or ±%.0f %%", t.BudgetBurnAbs, 100*t.BudgetBurnRel)
	switch o, s := rec.ObservedBudgetBurn, rec.SimulatedBudgetBurn; {
	case o != nil && s != nil:
		d := math.Abs(*s - *o)
		add(CheckBurn, fmt.Sprintf("%.2f simulated, %.2f observed", *s, *o), burnTol, d <= t.BudgetBurnAbs || d <= t.BudgetBurnRel**o, false)
	case o != nil:
		add(CheckBurn, fmt.Sprintf("%.2f observed; %s", *o, m.burnNote), burnTol, false, true)
	default:
		add(CheckBurn, "not measured: "+m.burnNote, burnTol, false, true)
	}
	stTol := fmt.Sprintf("observed/plan %.2f–%.2f", t.StartupRatioMin, t.StartupRatioMax)
	if o := rec.ObservedStartupSeconds; o != nil {
		ok := startupOK(*o, rec.PlanStartupSeconds, t)
		add(CheckStartup, fmt.Sprintf("%.0f s observed (median of %d pods), %.0f s planned", *o, rec.StartupPods, rec.PlanStartupSeconds), stTol, ok, false)
	} else {
		add(CheckStartup, "no pod start seen", stTol, false, true)
	}
	lagTol := fmt.Sprintf("|lag| ≤ %.0f s", t.ScaleLagSeconds)
	if l := rec.ScaleLagSeconds; l != nil {
		add(CheckScaleLag, fmt.Sprintf("%+.0f s median over %d of %d events", *l, rec.MatchedScaleEvents, rec.ObservedScaleEvents), lagTol, math.Abs(*l) <= t.ScaleLagSeconds, false)
	} else {
		add(CheckScaleLag, fmt.Sprintf("no matched scale events (%d observed, %d simulated)", rec.ObservedScaleEvents, rec.SimulatedScaleEvents), lagTol, false, true)
	}
	return out
}

// startupSlack is the absolute difference in start-up delay that always
// passes: below it, scrape resolution and the metrics pipeline's own lag
// dominate the ratio.
const startupSlack = 10.0

func startupOK(observed, planned float64, t record.BacktestTolerances) bool {
	if math.Abs(observed-planned) <= startupSlack {
		return true
	}
	if planned <= 0 {
		return false
	}
	r := observed / planned
	return r >= t.StartupRatioMin && r <= t.StartupRatioMax
}

// passed is whether the check ran and held.
func passed(cs []record.BacktestCheck, name string) bool {
	for _, c := range cs {
		if c.Measure == name {
			return c.OK && !c.Skipped
		}
	}
	return false
}

func failed(cs []record.BacktestCheck, name string) bool {
	for _, c := range cs {
		if c.Measure == name {
			return !c.OK && !c.Skipped
		}
	}
	return false
}

// cause names the most likely reason for a disagreement from its pattern,
// in order: a CPU bias (the simulated CPU of all pods off the observed one:
// the CPU per request), start-up delays off the plan's, a lag between
// matched scale events (the metrics pipeline, or the start-ups when none
// was observed), a
// latency bias at low load (the service time), and otherwise the
// autoscaling itself.
func cause(spec *scenarios.Service, o *Observed, s *record.BacktestService, m *measured, t record.BacktestTolerances) *record.BacktestCause {
	rec := &s.Measures
	svc := fmt.Sprintf("services[%s]", spec.Name)
	if failed(s.Checks, CheckCPUCores) || (failed(s.Checks, CheckCPU) && m.coresRatio != nil && math.Abs(*m.coresRatio-1) > coresBias/2) {
		c := &record.BacktestCause{Cause: record.BacktestCauseCPU, Field: svc + ".cpu.perRequest", Unit: "seconds",
			Planned: ptr(spec.CPUPerRequest()), Fitted: o.CPUPerRequest}
		c.Evidence = fmt.Sprintf("the simulated CPU of all Ready pods is %.2f× the observed (median)", *m.coresRatio)
		if o.CPUPerRequest == nil {
			c.Evidence += "; observe could not fit the CPU per request (see notes)"
		}
		return c
	}
	if failed(s.Checks, CheckStartup) {
		return &record.BacktestCause{Cause: record.BacktestCauseStartup, Field: svc + ".startup", Unit: "seconds",
			Planned: ptr(rec.PlanStartupSeconds), Fitted: rec.ObservedStartupSeconds,
			Evidence: fmt.Sprintf("pods took %.0f s from creation to Ready (median of %d), the plan says %.0f s", *rec.ObservedStartupSeconds, rec.StartupPods, rec.PlanStartupSeconds)}
	}
	if failed(s.Checks, CheckScaleLag) {
		c := &record.BacktestCause{Cause: record.BacktestCauseMetricLag, Field: "simulation.metricsResolution"}
		if passed(s.Checks, CheckStartup) {
			c.Evidence = fmt.Sprintf("matched scale events are %+.0f s apart (simulated − observed) while start-ups match the plan: the metrics pipeline's resolution or window differs", *rec.ScaleLagSeconds)
		} else {
			// Nothing measured the start-ups, so a late scale-up is as
			// likely a slower start-up than planned as a lagging metric.
			c.Evidence = fmt.Sprintf("matched scale events are %+.0f s apart (simulated − observed) and no pod start-up was observed: either the metrics pipeline's resolution or window differs, or pods start slower or faster than the plan's %.0f s", *rec.ScaleLagSeconds, rec.PlanStartupSeconds)
		}
		return c
	}
	if failed(s.Checks, CheckP95) || failed(s.Checks, CheckBurn) {
		c := &record.BacktestCause{Cause: record.BacktestCauseServiceTime, Field: svc + ".serviceTime.mean", Unit: "seconds",
			Planned: ptr(spec.ServiceMean()), Fitted: o.ServiceTimeSeconds}
		r := rec.P95Ratio
		if rec.P95RatioLowLoad != nil {
			r = rec.P95RatioLowLoad
		}
		if r != nil {
			c.Evidence = fmt.Sprintf("the simulated p95 is %.2f× the observed at low load, where queueing is small", *r)
		} else {
			c.Evidence = "the simulated error-budget burn differs from the observed"
		}
		return c
	}
	return &record.BacktestCause{Cause: record.BacktestCauseAutoscaling, Field: svc + ".hpa",
		Evidence: fmt.Sprintf("replicas differ (%.0f %% within the HPA band) while CPU, latency and start-ups agree: the HPA, its behavior or scheduled scaling differ from production's", 100*rec.ReplicasWithinBandShare)}
}
