package review

import (
	"fmt"
	"math"
	"strings"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"

	"github.com/headroom-dev/headroom/capacity"
	"github.com/headroom-dev/headroom/model"
	"github.com/headroom-dev/headroom/review/record"
	"github.com/headroom-dev/headroom/scenarios"
	"github.com/headroom-dev/headroom/sim"
)

// scenarioSections are the scenarios cluster-wide: the peak, the nodes it
// needs and the simulated cluster today and with the proposal.
func (b *builder) scenarioSections(sizing *capacity.SizingReport) []record.ScenarioSection {
	var out []record.ScenarioSection
	for _, ss := range sizing.Scenarios {
		sc := b.plan.Scenario(ss.Scenario)
		s := record.ScenarioSection{
			Name: sc.Name, Description: sc.Description, Duration: sc.Duration.D().String(), Start: sc.Start.String(),
			PeakMultiplier: ss.PeakMultiplier, PeakTime: ss.PeakTime.String(), Nodes: ss.Nodes,
		}
		if r := b.run(sc.Name, record.Current); r != nil {
			s.Cluster = record.ClusterRun{NodeType: r.Cluster.NodeType, PeakNodes: r.Cluster.PeakNodes, NodeHours: r.Cluster.NodeHours, Cost: r.Cluster.Cost, Unschedulable: r.Cluster.Unplaced.String()}
		}
		if r := b.run(sc.Name, record.Proposed); r != nil {
			s.Cluster.ProposedCost, s.Cluster.ProposedPeak = r.Cluster.Cost, r.Cluster.PeakNodes
		}
		if r := b.run(sc.Name, record.Current); r != nil && b.plan.HasCalls() {
			s.TroubleStartsAt, s.TroubleStartsWhy = troubleStart(b.plan, sc, r)
		}
		out = append(out, s)
	}
	return out
}

// serviceSections are the services: inputs, and per scenario covering it
// the sizing at its peak (in the review's mode and by utilisation alone)
// and the simulated outcome today and with the proposal.
func (b *builder) serviceSections(sizing, util *capacity.SizingReport) []record.ServiceSection {
	var out []record.ServiceSection
	for i := range b.plan.Services {
		svc := &b.plan.Services[i]
		s := record.ServiceSection{
			Name: svc.Name, Namespace: svc.Namespace, Fixed: svc.Fixed, Safe: true,
			Workload: svc.WorkloadRef.Kind + "/" + svc.WorkloadRef.Name,
			Inputs:   serviceInputs(svc),
		}
		if svc.HPA != nil {
			s.HPA = scenarios.HPAName(svc)
		}
		for si, ss := range sizing.Scenarios {
			sc := b.plan.Scenario(ss.Scenario)
			sz, ok := findSizing(ss, svc.Name)
			if !ok {
				continue
			}
			x := record.ServiceScenario{Scenario: ss.Scenario, PeakTime: ss.PeakTime.String(), Sizing: record.ServiceSizing(sz)}
			if u, ok := findSizing(util.Scenarios[si], svc.Name); ok {
				x.UtilisationOnly = u.Required
			}
			if r := b.run(ss.Scenario, record.Current); r != nil {
				if sr := r.Service(svc.Name); sr != nil {
					x.Current = record.RunSummary(sr.Summary)
					x.FirstViolation = firstViolation(sc, sr)
					b.keepSeries(&x, sc, sr)
				}
			}
			if r := b.run(ss.Scenario, record.Proposed); r != nil {
				if sr := r.Service(svc.Name); sr != nil {
					summary := record.RunSummary(sr.Summary)
					x.Proposed = &summary
				}
			}
			x.Verdict = serviceVerdict(x)
			if atRisk(x) {
				s.Safe = false
			}
			s.Scenarios = append(s.Scenarios, x)
		}
		out = append(out, s)
	}
	return out
}

// keepSeries puts the current run's series into x as much of it as the
// options ask: all of it, or downsampled (record.Downsample).
func (b *builder) keepSeries(x *record.ServiceScenario, sc *scenarios.Scenario, sr *sim.ServiceResult) {
	if len(sr.Series) == 0 {
		return
	}
	every := scenarios.Seconds(sampleEvery(sc.Duration.D(), b.plan.Simulation.Tick.D()))
	switch b.opts.Series {
	case record.SeriesFull:
		x.Series, x.SeriesResolution, x.SeriesAggregation = recordSamples(sr.Series), every, record.AggregationNone
	case record.SeriesDownsampled:
		all := recordSamples(sr.Series)
		x.Series, x.SeriesResolution = record.Downsample(all, every, record.MaxSeriesPoints)
		x.SeriesAggregation = record.AggregationNone
		if len(x.Series) < len(all) {
			x.SeriesAggregation = record.AggregationBuckets
		}
	}
}

// atRisk reports whether a service is at risk in a scenario: today's
// settings spend more than its error budget (over the scenario or its
// worst slo.window), its sizing is not ok, or the uncertainty ensemble's
// p90 spends more than the budget.
func atRisk(x record.ServiceScenario) bool {
	r := burnRange(&x.Current)
	return x.Current.OverBudget() || x.Sizing.Status != record.StatusOK || r != nil && r.P90 > 1
}

func findSizing(ss capacity.ScenarioSizing, name string) (capacity.ServiceSizing, bool) {
	for _, s := range ss.Services {
		if s.Service == name {
			return s, true
		}
	}
	return capacity.ServiceSizing{}, false
}

// firstViolation is the UTC time of day at the start of the first sample
// interval with an SLO violation.
func firstViolation(sc *scenarios.Scenario, sr *sim.ServiceResult) string {
	var prev time.Duration
	for _, smp := range sr.Series {
		if smp.SLOViolated {
			return clock(sc, prev)
		}
		prev = smp.T.D()
	}
	return ""
}

// clock turns an offset into a scenario into "HH:MM" UTC, with "+Nd" for
// later days.
func clock(sc *scenarios.Scenario, at time.Duration) string {
	t := time.Duration(sc.Start) + at
	days := int(t / (24 * time.Hour))
	t %= 24 * time.Hour
	s := fmt.Sprintf("%02d:%02d", int(t/time.Hour), int(t/time.Minute)%60)
	if days > 0 {
		s += fmt.Sprintf(" (+%dd)", days)
	}
	return s
}

// serviceVerdict judges a service-scenario by its error budget: unsafe
// when today's settings burn more than the budget over the scenario or its
// worst slo.window.
func serviceVerdict(x record.ServiceScenario) string {
	sz := x.Sizing
	cur := &x.Current
	burn := cur.WorstBurn()
	switch {
	case sz.Status == record.StatusInfeasible:
		return "unsafe: " + sz.Problem
	case cur.OverBudget() && x.Proposed != nil && !x.Proposed.OverBudget():
		return fmt.Sprintf("unsafe today (error-budget burn %.2f%s%s); safe with the proposed HPA (burn %.2f%s)", burn, from(x), spread(burnRange(cur)), x.Proposed.WorstBurn(), proposedSpread(x.Proposed))
	case cur.OverBudget() && x.Proposed != nil:
		return fmt.Sprintf("unsafe (error-budget burn %.2f%s%s; %.2f with the proposed HPA%s)", burn, from(x), spread(burnRange(cur)), x.Proposed.WorstBurn(), spread(burnRange(x.Proposed)))
	case cur.OverBudget():
		return fmt.Sprintf("unsafe (error-budget burn %.2f%s%s)", burn, from(x), spread(burnRange(cur)))
	case sz.Status == record.StatusOverMax:
		return fmt.Sprintf("at risk: the peak needs %d replicas, the HPA allows %d; the simulation held the SLO only because %s", sz.Required, sz.Max, overMaxReason(x))
	case sz.Status == record.StatusBreach:
		return "at risk: " + sz.Problem
	case burnRange(cur) != nil && burnRange(cur).P90 > 1:
		return fmt.Sprintf("safe as written, at risk within the inputs' uncertainty (error-budget burn %s at p10–p90)", burnInterval(burnRange(cur)))
	}
	return "safe"
}

// from is ", from HH:MM" with the first SLO-violation minute, "" without.
func from(x record.ServiceScenario) string {
	if x.FirstViolation == "" {
		return ""
	}
	return ", from " + x.FirstViolation
}

// burnRange is the ensemble's p10–p90 of a run's worst-window burn (the
// verdict's measure: never below the scenario's burn), nil for one run.
func burnRange(s *record.RunSummary) *model.Interval { return s.WorstWindowBurnRange }

// spread is ", p10–p90 0.80–2.10" for an ensemble's interval of burns, ""
// without one.
func spread(r *model.Interval) string {
	if r == nil {
		return ""
	}
	return ", p10–p90 " + burnInterval(r)
}

// proposedSpread is what the proposal's ensemble adds when it still
// spends more than the budget at its p90: "as written" is then all the
// proposal's verdict can claim.
func proposedSpread(p *record.RunSummary) string {
	if r := burnRange(p); r != nil && r.P90 > 1 {
		return fmt.Sprintf(" as written; %s at p10–p90 of the inputs' uncertainty", burnInterval(r))
	}
	return ""
}

func overMaxReason(x record.ServiceScenario) string {
	if x.Current.PinnedAtMaxMinutes > 0 {
		return fmt.Sprintf("pods ran hotter than the utilisation ceiling for %.0f minutes at maxReplicas", x.Current.PinnedAtMaxMinutes)
	}
	return "the peak is short or the model's ceiling is conservative"
}

// endpointInputs are a request mix's inputs: the mixture's mean and CV,
// and each endpoint's share and mean service time.
func endpointInputs(s *scenarios.Service) []record.KV {
	kv := []record.KV{{Key: "service time (mean of the mix)", Value: time.Duration(math.Round(s.ServiceMean() * 1e9)).String()}}
	if cs2, err := s.ServiceCS2(); err == nil {
		kv = append(kv, record.KV{Key: "service time (CV of the mix)", Value: fmt.Sprintf("%.3g", math.Sqrt(cs2))})
	}
	for i, share := range s.EndpointShares() {
		e := &s.Endpoints[i]
		kv = append(kv, record.KV{Key: "endpoint " + e.Name, Value: fmt.Sprintf("%s %s, %.3g %% of requests, service time mean %s",
			e.EndpointMethod(), e.Path, share*100, s.EndpointServiceTime(i).Mean.D())})
	}
	return kv
}

func serviceInputs(s *scenarios.Service) []record.KV {
	rate := fmt.Sprintf("%.4g req/s", s.RequestRate.PerSecond)
	if in := s.TotalRate() - s.RequestRate.PerSecond; in > 0 {
		rate = fmt.Sprintf("%.4g req/s (%.4g own + %.4g from its callers' calls)", s.TotalRate(), s.RequestRate.PerSecond, in)
	}
	kv := []record.KV{
		{Key: "request rate", Value: rate},
		{Key: "replicas", Value: fmt.Sprint(s.Replicas)},
	}
	if len(s.Endpoints) > 0 {
		kv = append(kv, endpointInputs(s)...)
	} else {
		kv = append(kv, record.KV{Key: "service time (mean)", Value: s.ServiceTime.Mean.D().String()})
		if s.ServiceTime.P95 != nil {
			kv = append(kv, record.KV{Key: "service time (p95)", Value: s.ServiceTime.P95.D().String()})
		}
		if s.ServiceTime.CV != nil {
			kv = append(kv, record.KV{Key: "service time (CV)", Value: fmt.Sprintf("%.3g", *s.ServiceTime.CV)})
		}
	}
	kv = append(kv,
		record.KV{Key: "concurrency (worker slots)", Value: fmt.Sprint(s.Concurrency)},
		record.KV{Key: "CPU per request", Value: fmt.Sprintf("%.4g core-s", s.CPUPerRequest())},
	)
	for _, name := range []string{"cpu", "memory"} {
		if q, ok := s.Resources.Requests[corev1.ResourceName(name)]; ok {
			kv = append(kv, record.KV{Key: name + " request", Value: q.String()})
		}
		if q, ok := s.Resources.Limits[corev1.ResourceName(name)]; ok {
			kv = append(kv, record.KV{Key: name + " limit", Value: q.String()})
		}
	}
	kv = append(kv, record.KV{Key: "start-up", Value: s.Startup.Total().D().String()})
	if len(s.Calls) > 0 {
		var calls []string
		for _, c := range s.Calls {
			mode := "sync: holds a worker slot"
			if !c.Sync() {
				mode = "async"
			}
			calls = append(calls, fmt.Sprintf("%s ×%g (%s)", c.Service, c.PerRequest, mode))
		}
		kv = append(kv, record.KV{Key: "calls", Value: strings.Join(calls, ", ")})
	}
	if s.HPA != nil {
		kv = append(kv, record.KV{Key: "HPA", Value: describeHPA(s.HPA)})
	}
	if s.SLO.Latency != nil {
		kv = append(kv, record.KV{Key: "SLO", Value: fmt.Sprintf("p%g ≤ %s", s.SLO.Latency.Quantile*100, s.SLO.Latency.Target.D())})
	}
	return kv
}

// describeHPA is an HPA spec on one line: "3–10 replicas, cpu 70 %, memory 80 %".
func describeHPA(h *autoscalingv2.HorizontalPodAutoscalerSpec) string {
	minR := int32(1)
	if h.MinReplicas != nil {
		minR = *h.MinReplicas
	}
	parts := []string{fmt.Sprintf("%d–%d replicas", minR, h.MaxReplicas)}
	for _, m := range h.Metrics {
		switch {
		case m.Resource != nil && m.Resource.Target.AverageUtilization != nil:
			parts = append(parts, fmt.Sprintf("%s %d %%", m.Resource.Name, *m.Resource.Target.AverageUtilization))
		case m.Resource != nil:
			parts = append(parts, string(m.Resource.Name))
		case m.ContainerResource != nil:
			parts = append(parts, "container "+string(m.ContainerResource.Name))
		case m.Pods != nil:
			parts = append(parts, "pods "+m.Pods.Metric.Name)
		case m.Object != nil:
			parts = append(parts, "object "+m.Object.Metric.Name)
		case m.External != nil:
			parts = append(parts, "external "+m.External.Metric.Name)
		}
	}
	return strings.Join(parts, ", ")
}
