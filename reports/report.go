package reports

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"

	"github.com/headroom-dev/headroom/capacity"
	"github.com/headroom-dev/headroom/model"
	"github.com/headroom-dev/headroom/scenarios"
	"github.com/headroom-dev/headroom/sim"
)

// SchemaVersion names the layout of report.json. Bump it when a field
// changes meaning.
const SchemaVersion = "headroom.dev/report/v1"

// Report is everything a capacity review reads, as report.json holds it.
type Report struct {
	SchemaVersion string `json:"schemaVersion"`
	// Generator is "headroom <version>"; there is no timestamp, so the same
	// inputs give the same bytes.
	Generator string `json:"generator"`
	Plan      string `json:"plan"`
	PlanFile  string `json:"planFile"`
	Seed      int64  `json:"seed"`
	Mode      string `json:"mode"`
	// ProposedHPASource says where the proposed HPAs came from: the file
	// given with --hpa, or "headroom" for its own recommendations.
	ProposedHPASource string `json:"proposedHpaSource,omitempty"`

	Summary   Summary           `json:"summary"`
	Services  []ServiceSection  `json:"services"`
	Scenarios []ScenarioSection `json:"scenarios"`
	Events    []EventSection    `json:"events,omitempty"`

	Recommendations []capacity.Recommendation `json:"recommendations"`
	Assumptions     []scenarios.Annotation    `json:"assumptions"`
	ModelNotes      []string                  `json:"modelNotes"`
	DependsOn       []Dependency              `json:"dependsOn"`
	Patches         []PatchFile               `json:"patches,omitempty"`
	Figures         []FigureRef               `json:"figures,omitempty"`

	// runs keeps the simulations for the plots, proposed the HPAs they
	// simulated; neither is part of report.json.
	runs     map[runKey]*sim.Result
	proposed map[string]*autoscalingv2.HorizontalPodAutoscalerSpec
}

// Summary is the executive summary: what is at risk, what to change, what
// it costs.
type Summary struct {
	Risks   []Risk   `json:"risks"`
	Changes []string `json:"changes"`
	Cost    []Cost   `json:"cost"`
	// Verdict is one sentence for the top of the report.
	Verdict string `json:"verdict"`
}

// Risk is one service at risk in one scenario.
type Risk struct {
	Service  string `json:"service"`
	Scenario string `json:"scenario"`
	// Severity is "high" (the simulation violates the SLO) or "medium"
	// (the peak needs more than the HPA may scale to, or the SLO is tight
	// but held).
	Severity string `json:"severity"`
	// When is the UTC time of day the trouble starts.
	When string `json:"when"`
	What string `json:"what"`
	// Minutes and ProposedMinutes are the SLO-violation minutes simulated
	// with today's settings and with the proposal (nil without one).
	Minutes         float64  `json:"sloMinutes"`
	ProposedMinutes *float64 `json:"proposedSloMinutes,omitempty"`
	// ProposedLongest is the proposal's longest continuous violation.
	ProposedLongest string `json:"proposedLongestViolation,omitempty"`
}

// Cost compares a scenario's simulated cluster cost today and with the
// proposal.
type Cost struct {
	Scenario string  `json:"scenario"`
	Hours    float64 `json:"hours"`
	Current  float64 `json:"current"`
	Proposed float64 `json:"proposed"`
	// PerMonthDelta scales the difference to a month (730 h) for scenarios
	// of a day or more; 0 for shorter ones.
	PerMonthDelta float64 `json:"perMonthDelta"`
}

// ServiceSection is one service: inputs, sizing, simulation and changes.
type ServiceSection struct {
	Name      string `json:"name"`
	Namespace string `json:"namespace"`
	Workload  string `json:"workload"`
	HPA       string `json:"hpa,omitempty"`
	Fixed     bool   `json:"fixed,omitempty"`
	Inputs    []KV   `json:"inputs"`
	// Scenarios holds, per scenario covering the service, the sizing at
	// its peak in both modes and the simulated outcome.
	Scenarios []ServiceScenario `json:"scenarios"`
	// Safe is true when no scenario puts the service at risk with today's
	// settings.
	Safe bool `json:"safe"`
}

// KV is one labelled input value.
type KV struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// ServiceScenario is one service in one scenario.
type ServiceScenario struct {
	Scenario string                 `json:"scenario"`
	PeakTime string                 `json:"peakTime"`
	Sizing   capacity.ServiceSizing `json:"sizing"`
	// UtilisationOnly is the replica count a utilisation-only rule (the
	// runbook's arithmetic) would give at the same peak.
	UtilisationOnly int         `json:"utilizationOnlyReplicas"`
	Current         sim.Summary `json:"current"`
	// Proposed is the simulation with the proposed HPA; nil without one.
	Proposed *sim.Summary `json:"proposed,omitempty"`
	// FirstViolation is the UTC time of day of the first SLO violation in
	// the current simulation, "" without one.
	FirstViolation string `json:"firstViolation,omitempty"`
	Verdict        string `json:"verdict"`
	// Series is the current simulation's time series.
	Series []sim.Sample `json:"series,omitempty"`
}

// ScenarioSection is one scenario cluster-wide.
type ScenarioSection struct {
	Name           string        `json:"name"`
	Description    string        `json:"description,omitempty"`
	Duration       string        `json:"duration"`
	Start          string        `json:"start"`
	PeakMultiplier float64       `json:"peakMultiplier"`
	PeakTime       string        `json:"peakTime"`
	Nodes          model.Packing `json:"nodesAtPeak"`
	Cluster        ClusterRun    `json:"cluster"`
}

// ClusterRun is the simulated cluster in a scenario.
type ClusterRun struct {
	NodeType      string  `json:"nodeType"`
	PeakNodes     int     `json:"peakNodes"`
	NodeHours     float64 `json:"nodeHours"`
	Cost          float64 `json:"cost"`
	ProposedCost  float64 `json:"proposedCost,omitempty"`
	ProposedPeak  int     `json:"proposedPeakNodes,omitempty"`
	Unschedulable string  `json:"unschedulable"`
}

// EventSection is a pre-announced event: what it needs and when to act.
type EventSection struct {
	Event     scenarios.Event      `json:"event"`
	PreScales []scenarios.PreScale `json:"preScales"`
	// Without and With are the SLO-violation minutes per service inside
	// the event's window (from the first raise to the last restore), with
	// today's settings and with the proposal plus the pre-scale; counted
	// per sample interval of WindowResolution.
	Without          map[string]float64 `json:"sloMinutesWithout"`
	With             map[string]float64 `json:"sloMinutesWith"`
	WindowStart      string             `json:"windowStart"`
	WindowEnd        string             `json:"windowEnd"`
	WindowResolution string             `json:"windowResolution"`
	// Cost is the simulated cluster cost of the event window with the
	// pre-scale, Baseline the same window at today's traffic, Extra their
	// difference: the expected cost of the event.
	Cost     float64 `json:"cost"`
	Baseline float64 `json:"baselineCost"`
	Extra    float64 `json:"extraCost"`
}

// Dependency says what a reported number depends on.
type Dependency struct {
	Output string   `json:"output"`
	Inputs []string `json:"inputs"`
}

// PatchFile is one file under patches/ and what it changes.
type PatchFile struct {
	Path      string   `json:"path"`
	Target    string   `json:"target"`
	Rationale []string `json:"rationale"`
}

// FigureRef names a plot written under plots/.
type FigureRef struct {
	Name     string `json:"name"`
	Kind     string `json:"kind"`
	Title    string `json:"title"`
	Caption  string `json:"caption,omitempty"`
	Service  string `json:"service,omitempty"`
	Scenario string `json:"scenario,omitempty"`
	// Event names the event whose pre-scale the figure shows.
	Event string `json:"event,omitempty"`
	PNG   string `json:"png"`
	SVG   string `json:"svg"`
}

type runKey struct {
	scenario string
	proposed bool
}

// WorstOnly accepts, for each service at risk, the scenario where it is
// worst (the most SLO-violation minutes, else the first at risk) and its
// capacity curve: the figures a review of a large plan needs.
func (r *Report) WorstOnly(service, scenario string) bool {
	worst, most := "", -1.0
	for _, risk := range r.Summary.Risks {
		if risk.Service == service && risk.Minutes > most {
			worst, most = risk.Scenario, risk.Minutes
		}
	}
	return worst != "" && (scenario == "" || scenario == worst)
}

// Run returns the simulation of a scenario with today's HPAs or the
// proposed ones (nil when not simulated).
func (r *Report) Run(scenario string, proposed bool) *sim.Result {
	return r.runs[runKey{scenario, proposed}]
}

// Options select what Build computes.
type Options struct {
	Mode model.Mode
	// Seed overrides the plan's seed when not 0.
	Seed int64
	// Proposed replaces headroom's own HPA recommendations with the user's
	// (by service name); ProposedSource names the file.
	Proposed       map[string]*autoscalingv2.HorizontalPodAutoscalerSpec
	ProposedSource string
	// Event adds a command-line event to the plan's own event scenarios.
	Event *scenarios.Event
	// Version is headroom's version, written as the generator.
	Version string
	// Progress, when set, receives one line per long step.
	Progress func(format string, args ...any)
	// Series keeps the time series in the JSON report.
	Series bool
}

// Build sizes, recommends and simulates: everything the report renders.
func Build(plan *scenarios.Plan, opts Options) (*Report, error) {
	progress := func(string, ...any) {}
	if opts.Progress != nil {
		var mu sync.Mutex // the simulations report from several goroutines
		progress = func(format string, args ...any) {
			mu.Lock()
			defer mu.Unlock()
			opts.Progress(format, args...)
		}
	}
	if opts.Event != nil {
		p, err := plan.WithScenario(opts.Event.ScenarioFor())
		if err != nil {
			return nil, fmt.Errorf("event %s: %w", opts.Event.Name, err)
		}
		plan = p
	}
	seed := plan.Seed
	if opts.Seed != 0 {
		seed = opts.Seed
	}
	rep := &Report{
		SchemaVersion: SchemaVersion, Generator: "headroom " + opts.Version,
		Plan: plan.Metadata.Name, PlanFile: plan.File(), Seed: seed, Mode: opts.Mode.String(),
		runs: map[runKey]*sim.Result{},
	}
	progress("sizing %d services over %d scenarios", len(plan.Services), len(plan.Scenarios))
	sizing, err := capacity.Size(plan, opts.Mode, "")
	if err != nil {
		return nil, err
	}
	utilSizing, err := capacity.Size(plan, model.Utilization, "")
	if err != nil {
		return nil, err
	}
	rep.Recommendations = capacity.Recommend(plan, sizing)
	proposed, source := opts.Proposed, opts.ProposedSource
	if proposed == nil {
		proposed, source = capacity.ProposedHPAs(rep.Recommendations), "headroom"
	}
	if len(proposed) > 0 {
		rep.ProposedHPASource = source
	}
	rep.proposed = proposed

	if err := rep.simulate(plan, seed, proposed, progress); err != nil {
		return nil, err
	}

	rep.Scenarios = scenarioSections(plan, sizing, rep)
	rep.Services = serviceSections(plan, sizing, utilSizing, rep, opts.Series)
	if err := rep.buildEvents(plan, opts, seed, sizing, proposed, progress); err != nil {
		return nil, err
	}
	rep.Summary = summarise(plan, rep)
	if anns, err := scenarios.Annotations(plan.Source()); err == nil {
		rep.Assumptions = anns
	}
	rep.ModelNotes = modelNotes
	rep.DependsOn = dependencies
	return rep, nil
}

// simulate runs every scenario with today's HPAs and, when there are any,
// the proposed ones: independent runs, spread over the CPUs. Each run is
// deterministic on its own, so the report does not depend on their order.
func (rep *Report) simulate(plan *scenarios.Plan, seed int64, proposed map[string]*autoscalingv2.HorizontalPodAutoscalerSpec, progress func(string, ...any)) error {
	type job struct {
		key  runKey
		opts sim.Options
	}
	var jobs []job
	for i := range plan.Scenarios {
		sc := &plan.Scenarios[i]
		every := sampleEvery(sc.Duration.D(), plan.Simulation.Tick.D())
		jobs = append(jobs, job{runKey{sc.Name, false}, sim.Options{Scenario: sc.Name, Seed: seed, SampleEvery: every}})
		if len(proposed) > 0 {
			jobs = append(jobs, job{runKey{sc.Name, true}, sim.Options{Scenario: sc.Name, Seed: seed, SampleEvery: every, HPA: proposed}})
		}
	}
	results := make([]*sim.Result, len(jobs))
	errs := make([]error, len(jobs))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(jobs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				j := jobs[i]
				what := "today's HPAs"
				if j.key.proposed {
					what = "the proposed HPAs"
				}
				progress("simulating %s with %s", j.key.scenario, what)
				results[i], errs[i] = sim.Run(plan, j.opts)
			}
		}()
	}
	for i := range jobs {
		next <- i
	}
	close(next)
	wg.Wait()
	for i, j := range jobs {
		if errs[i] != nil {
			what := ""
			if j.key.proposed {
				what = " with the proposed HPAs"
			}
			return fmt.Errorf("simulate %s%s: %w", j.key.scenario, what, errs[i])
		}
		rep.runs[j.key] = results[i]
	}
	return nil
}

// sampleEvery picks the series resolution: about 300 points per run (5
// minutes over a day), at least a minute, a multiple of the tick.
func sampleEvery(d, tick time.Duration) time.Duration {
	every := max(time.Minute, d/300)
	every = every.Round(time.Minute)
	if tick > 0 && every%tick != 0 {
		every = (every/tick + 1) * tick
	}
	return every
}

func scenarioSections(plan *scenarios.Plan, sizing *capacity.SizingReport, rep *Report) []ScenarioSection {
	var out []ScenarioSection
	for _, ss := range sizing.Scenarios {
		sc := plan.Scenario(ss.Scenario)
		s := ScenarioSection{
			Name: sc.Name, Description: sc.Description, Duration: sc.Duration.D().String(), Start: sc.Start.String(),
			PeakMultiplier: ss.PeakMultiplier, PeakTime: ss.PeakTime.String(), Nodes: ss.Nodes,
		}
		if r := rep.Run(sc.Name, false); r != nil {
			s.Cluster = ClusterRun{NodeType: r.Cluster.NodeType, PeakNodes: r.Cluster.PeakNodes, NodeHours: r.Cluster.NodeHours, Cost: r.Cluster.Cost, Unschedulable: r.Cluster.Unplaced.String()}
		}
		if r := rep.Run(sc.Name, true); r != nil {
			s.Cluster.ProposedCost, s.Cluster.ProposedPeak = r.Cluster.Cost, r.Cluster.PeakNodes
		}
		out = append(out, s)
	}
	return out
}

func serviceSections(plan *scenarios.Plan, sizing, util *capacity.SizingReport, rep *Report, series bool) []ServiceSection {
	var out []ServiceSection
	for i := range plan.Services {
		svc := &plan.Services[i]
		s := ServiceSection{
			Name: svc.Name, Namespace: svc.Namespace, Fixed: svc.Fixed, Safe: true,
			Workload: svc.WorkloadRef.Kind + "/" + svc.WorkloadRef.Name,
			Inputs:   serviceInputs(svc),
		}
		if svc.HPA != nil {
			s.HPA = scenarios.HPAName(svc)
		}
		for si, ss := range sizing.Scenarios {
			sc := plan.Scenario(ss.Scenario)
			sz, ok := findSizing(ss, svc.Name)
			if !ok {
				continue
			}
			x := ServiceScenario{Scenario: ss.Scenario, PeakTime: ss.PeakTime.String(), Sizing: sz}
			if u, ok := findSizing(util.Scenarios[si], svc.Name); ok {
				x.UtilisationOnly = u.Required
			}
			if r := rep.Run(ss.Scenario, false); r != nil {
				if sr := r.Service(svc.Name); sr != nil {
					x.Current = sr.Summary
					x.FirstViolation = firstViolation(sc, sr)
					if series {
						x.Series = sr.Series
					}
				}
			}
			if r := rep.Run(ss.Scenario, true); r != nil {
				if sr := r.Service(svc.Name); sr != nil {
					summary := sr.Summary
					x.Proposed = &summary
				}
			}
			x.Verdict = serviceVerdict(x)
			if x.Current.SLOViolationMinutes > 0 || sz.Status != capacity.StatusOK {
				s.Safe = false
			}
			s.Scenarios = append(s.Scenarios, x)
		}
		out = append(out, s)
	}
	return out
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
		prev = smp.T
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

func serviceVerdict(x ServiceScenario) string {
	sz := x.Sizing
	slo := x.Current.SLOViolationMinutes
	switch {
	case sz.Status == capacity.StatusInfeasible:
		return "unsafe: " + sz.Problem
	case slo > 0 && x.Proposed != nil && x.Proposed.SLOViolationMinutes == 0:
		return fmt.Sprintf("unsafe today (%.0f SLO-violation minutes from %s); safe with the proposed HPA", slo, x.FirstViolation)
	case slo > 0 && x.Proposed != nil:
		return fmt.Sprintf("unsafe (%.0f SLO-violation minutes from %s; %.0f with the proposed HPA)", slo, x.FirstViolation, x.Proposed.SLOViolationMinutes)
	case slo > 0:
		return fmt.Sprintf("unsafe (%.0f SLO-violation minutes from %s)", slo, x.FirstViolation)
	case sz.Status == capacity.StatusOverMax:
		return fmt.Sprintf("at risk: the peak needs %d replicas, the HPA allows %d; the simulation held the SLO only because %s", sz.Required, sz.Max, overMaxReason(x))
	case sz.Status == capacity.StatusBreach:
		return "at risk: " + sz.Problem
	}
	return "safe"
}

func overMaxReason(x ServiceScenario) string {
	if x.Current.PinnedAtMaxMinutes > 0 {
		return fmt.Sprintf("pods ran hotter than the utilisation ceiling for %.0f minutes at maxReplicas", x.Current.PinnedAtMaxMinutes)
	}
	return "the peak is short or the model's ceiling is conservative"
}

func serviceInputs(s *scenarios.Service) []KV {
	kv := []KV{
		{"request rate", fmt.Sprintf("%.4g req/s", s.RequestRate.PerSecond)},
		{"replicas", fmt.Sprint(s.Replicas)},
		{"service time (mean)", s.ServiceTime.Mean.D().String()},
	}
	if s.ServiceTime.P95 != nil {
		kv = append(kv, KV{"service time (p95)", s.ServiceTime.P95.D().String()})
	}
	if s.ServiceTime.CV != nil {
		kv = append(kv, KV{"service time (CV)", fmt.Sprintf("%.3g", *s.ServiceTime.CV)})
	}
	kv = append(kv,
		KV{"concurrency (worker slots)", fmt.Sprint(s.Concurrency)},
		KV{"CPU per request", fmt.Sprintf("%.4g core-s", s.CPUPerRequest())},
	)
	for _, name := range []string{"cpu", "memory"} {
		if q, ok := s.Resources.Requests[corev1.ResourceName(name)]; ok {
			kv = append(kv, KV{name + " request", q.String()})
		}
		if q, ok := s.Resources.Limits[corev1.ResourceName(name)]; ok {
			kv = append(kv, KV{name + " limit", q.String()})
		}
	}
	kv = append(kv, KV{"start-up", s.Startup.Total().D().String()})
	if s.HPA != nil {
		kv = append(kv, KV{"HPA", describeHPA(s.HPA)})
	}
	if s.SLO.Latency != nil {
		kv = append(kv, KV{"SLO", fmt.Sprintf("p%g ≤ %s", s.SLO.Latency.Quantile*100, s.SLO.Latency.Target.D())})
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

func (rep *Report) buildEvents(plan *scenarios.Plan, opts Options, seed int64, sizing *capacity.SizingReport, proposed map[string]*autoscalingv2.HorizontalPodAutoscalerSpec, progress func(string, ...any)) error {
	var events []*scenarios.Event
	for i := range plan.Scenarios {
		sc := &plan.Scenarios[i]
		if opts.Event != nil && sc.Name == opts.Event.Scenario {
			events = append(events, opts.Event)
		} else if ev := scenarios.EventFromScenario(sc); ev != nil {
			events = append(events, ev)
		}
	}
	for _, ev := range events {
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
		pss := capacity.PreScales(plan, ev, peak, today.Scenarios[0])
		sec := EventSection{Event: *ev, PreScales: pss, Without: map[string]float64{}, With: map[string]float64{}}
		every := sampleEvery(sc.Duration.D(), plan.Simulation.Tick.D())
		with, err := sim.Run(qplan.WithPreScales(pss), sim.Options{Scenario: ev.Scenario, Seed: seed, SampleEvery: every, HPA: proposed})
		if err != nil {
			return fmt.Errorf("simulate event %s with its pre-scale: %w", ev.Name, err)
		}
		base, err := sim.Run(qplan, sim.Options{Scenario: quiet.Name, Seed: seed, SampleEvery: every, HPA: proposed})
		if err != nil {
			return fmt.Errorf("simulate the baseline of event %s: %w", ev.Name, err)
		}
		rep.runs[runKey{ev.Scenario + "+prescale", false}] = with
		from, to := ev.RiseAt, ev.EndAt+ev.Ramp+scenarios.RestoreDelay
		for _, ps := range pss {
			from = min(from, ps.RaiseAt)
		}
		sec.WindowStart, sec.WindowEnd, sec.WindowResolution = clock(sc, from), clock(sc, to), every.String()
		without := rep.Run(ev.Scenario, false)
		for _, s := range with.Services {
			sec.With[s.Service] = violatedMinutes(s.Series, from, to, every)
			if w := without.Service(s.Service); w != nil {
				sec.Without[s.Service] = violatedMinutes(w.Series, from, to, every)
			}
		}
		sec.Cost, sec.Baseline = with.Cluster.Cost, base.Cluster.Cost
		sec.Extra = sec.Cost - sec.Baseline
		rep.Events = append(rep.Events, sec)
	}
	return nil
}

// violatedMinutes counts the sample intervals inside [from, to] that saw an
// SLO violation, in minutes.
func violatedMinutes(series []sim.Sample, from, to, every time.Duration) float64 {
	var n int
	for _, smp := range series {
		if smp.T-every >= from && smp.T <= to && smp.SLOViolated {
			n++
		}
	}
	return float64(n) * every.Minutes()
}

func summarise(plan *scenarios.Plan, rep *Report) Summary {
	var s Summary
	for _, svc := range rep.Services {
		for _, x := range svc.Scenarios {
			r := Risk{Service: svc.Name, Scenario: x.Scenario}
			switch {
			case x.Current.SLOViolationMinutes > 0:
				r.Severity, r.When = "high", x.FirstViolation
				r.What = fmt.Sprintf("%.0f SLO-violation minutes, worst p95 %s, %.2f %% errors", x.Current.SLOViolationMinutes, seconds(x.Current.WorstP95), x.Current.ErrorPercent)
			case x.Sizing.Status != capacity.StatusOK:
				r.Severity, r.When = "medium", x.PeakTime
				r.What = x.Sizing.Problem
			default:
				continue
			}
			r.Minutes = x.Current.SLOViolationMinutes
			if x.Proposed != nil {
				m := x.Proposed.SLOViolationMinutes
				r.ProposedMinutes = &m
				r.ProposedLongest = x.Proposed.LongestViolation.String()
			}
			s.Risks = append(s.Risks, r)
		}
	}
	sort.SliceStable(s.Risks, func(i, j int) bool { return s.Risks[i].Severity < s.Risks[j].Severity })
	for _, rec := range rep.Recommendations {
		for _, line := range slices.Concat(rec.HPARationale, rec.ResourceRationale) {
			s.Changes = append(s.Changes, rec.Service+": "+line)
		}
	}
	for _, ev := range rep.Events {
		for _, ps := range ev.PreScales {
			s.Changes = append(s.Changes, fmt.Sprintf("%s: for event %s, raise the floor %d → %d at %s UTC and restore it at %s UTC", ps.Service, ev.Event.Name, ps.From, ps.To, ps.RaiseClock, ps.RestoreClock))
		}
	}
	for _, sc := range rep.Scenarios {
		hours := plan.Scenario(sc.Name).Duration.D().Hours()
		c := Cost{Scenario: sc.Name, Hours: hours, Current: sc.Cluster.Cost, Proposed: sc.Cluster.Cost}
		if rep.Run(sc.Name, true) != nil {
			c.Proposed = sc.Cluster.ProposedCost
		}
		if hours >= 24 {
			c.PerMonthDelta = (c.Proposed - c.Current) / hours * model.HoursPerMonth
		}
		s.Cost = append(s.Cost, c)
	}
	var high int
	var today, proposed, fixed float64
	for _, r := range s.Risks {
		if r.Severity != "high" {
			continue
		}
		high++
		today += r.Minutes
		left := r.Minutes
		if r.ProposedMinutes != nil {
			left = *r.ProposedMinutes
		}
		proposed += left
		if svc := plan.Service(r.Service); svc != nil && svc.Fixed {
			fixed += left
		}
	}
	switch {
	case len(s.Risks) == 0:
		s.Verdict = "Every service holds its SLO in every scenario with today's settings."
	case high == 0:
		s.Verdict = fmt.Sprintf("No simulated SLO violation, but %d service-scenario(s) need more replicas than allowed at the peak.", len(s.Risks))
	case rep.ProposedHPASource != "":
		s.Verdict = fmt.Sprintf("%d service-scenario(s) violate their SLO with today's settings, %.0f minutes in all; with the proposed changes %.0f minutes remain", high, today, proposed)
		if fixed > 0 {
			s.Verdict += fmt.Sprintf(", %.0f of them in fixed-size services that need vertical scaling", fixed)
		}
		s.Verdict += "."
	default:
		s.Verdict = fmt.Sprintf("%d service-scenario(s) violate their SLO with today's settings, %.0f minutes in all, and no HPA change would help: see the notes per service.", high, today)
	}
	return s
}

func seconds(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "—"
	}
	if v < 1 {
		return fmt.Sprintf("%.0f ms", v*1000)
	}
	return fmt.Sprintf("%.2f s", v)
}
