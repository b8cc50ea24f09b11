package record

import (
	autoscalingv2 "k8s.io/api/autoscaling/v2"

	"github.com/headroom-dev/headroom/model"
	"github.com/headroom-dev/headroom/scenarios"
)

// SchemaVersion names the layout of report.json. Bump it when a field
// changes meaning. v2: durations are seconds under …Seconds keys (v1 wrote
// nanoseconds under …Ns keys) and nodesAtPeak's keys are camelCase. v3:
// each service-scenario's series is downsampled by default, and says its
// resolution and aggregation (seriesResolutionSeconds,
// seriesAggregation).
const SchemaVersion = "headroom.dev/report/v3"

// Review is everything a capacity review reads: report.json holds its
// JSON fields; the rest is what the figures draw and the CLI prints.
type Review struct {
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
	// CallGraph is the plan's calls between its services, in plan order;
	// absent for a plan without any.
	CallGraph []CallEdge     `json:"callGraph,omitempty"`
	Events    []EventSection `json:"events,omitempty"`

	// Backtest is production's history replayed through the simulator
	// (`headroom report --backtest`), nil when none was given.
	Backtest *Backtest `json:"backtest,omitempty"`

	Recommendations []Recommendation       `json:"recommendations"`
	Assumptions     []scenarios.Annotation `json:"assumptions"`
	ModelNotes      []string               `json:"modelNotes"`
	DependsOn       []Dependency           `json:"dependsOn"`
	// Patches and Figures name the files the renderer wrote; it fills
	// them in.
	Patches []PatchFile `json:"patches,omitempty"`
	Figures []FigureRef `json:"figures,omitempty"`

	// Input is the plan as reviewed: with the scenario of an event given
	// on the command line.
	Input *scenarios.Plan `json:"-"`
	// Runs are the simulations the figures draw.
	Runs []Run `json:"-"`
	// ProposedHPAs are the HPA specs the proposed runs simulated, by
	// service.
	ProposedHPAs map[string]*autoscalingv2.HorizontalPodAutoscalerSpec `json:"-"`
	// Plots selects the figures; Curves are the capacity curves of the
	// services it shows.
	Plots  Plots           `json:"-"`
	Curves []CapacityCurve `json:"-"`
	// Rows are the CLI's table, one row per service.
	Rows []ServiceRow `json:"-"`
}

// Summary is the executive summary: what is at risk, what to change, what
// it costs.
type Summary struct {
	Risks   []Risk   `json:"risks"`
	Changes []string `json:"changes"`
	Cost    []Cost   `json:"cost"`
	// Verdict is one sentence for the top of the report.
	Verdict string `json:"verdict"`
	// Intervals says what the p10–p90 intervals of the review are (the
	// plan's uncertainty ensemble), or, without one, recommends adding an
	// uncertainty section.
	Intervals string `json:"intervals"`
}

// Risk is one service at risk in one scenario.
type Risk struct {
	Service  string `json:"service"`
	Scenario string `json:"scenario"`
	// Severity is "high" (the simulation spends more than the SLO's error
	// budget: burn above 1 over the scenario or its worst slo.window) or
	// "medium" (the peak needs more than the HPA may scale to, the SLO is
	// tight but held, or it is held with the inputs as written but its
	// burn is above 1 at the p90 of the uncertainty ensemble).
	Severity string `json:"severity"`
	// When is the UTC time of day the trouble starts.
	When string `json:"when"`
	What string `json:"what"`
	// Burn and ProposedBurn are the larger of the scenario's and the worst
	// window's error-budget burn with today's settings and with the
	// proposal (nil without one).
	Burn         float64  `json:"sloBudgetBurn"`
	ProposedBurn *float64 `json:"proposedSloBudgetBurn,omitempty"`
	// BurnRange and ProposedBurnRange are their p10 / p50 / p90 over the
	// uncertainty ensemble (the worst window's burn), nil for one run.
	BurnRange         *model.Interval `json:"sloBudgetBurnRange,omitempty"`
	ProposedBurnRange *model.Interval `json:"proposedSloBudgetBurnRange,omitempty"`
	// Minutes and ProposedMinutes are the SLO-violation minutes simulated
	// with today's settings and with the proposal (nil without one).
	Minutes         float64  `json:"sloMinutes"`
	ProposedMinutes *float64 `json:"proposedSloMinutes,omitempty"`
	// MinutesRange and ProposedMinutesRange are their p10 / p50 / p90
	// over the uncertainty ensemble; nil without one.
	MinutesRange         *model.Interval `json:"sloMinutesRange,omitempty"`
	ProposedMinutesRange *model.Interval `json:"proposedSloMinutesRange,omitempty"`
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
	Scenario string        `json:"scenario"`
	PeakTime string        `json:"peakTime"`
	Sizing   ServiceSizing `json:"sizing"`
	// UtilisationOnly is the replica count a utilisation-only rule (the
	// runbook's arithmetic) would give at the same peak.
	UtilisationOnly int        `json:"utilizationOnlyReplicas"`
	Current         RunSummary `json:"current"`
	// Proposed is the simulation with the proposed HPA; nil without one.
	Proposed *RunSummary `json:"proposed,omitempty"`
	// FirstViolation is the UTC time of day of the first SLO violation in
	// the current simulation, "" without one.
	FirstViolation string `json:"firstViolation,omitempty"`
	Verdict        string `json:"verdict"`
	// Series is the current simulation's time series: by default
	// downsampled to at most 100 points (Downsample), every sample with
	// --series full, absent with --series none.
	Series []Sample `json:"series,omitempty"`
	// SeriesResolution is how long each point of Series covers; a point
	// ends at its tSeconds.
	SeriesResolution scenarios.Seconds `json:"seriesResolutionSeconds,omitempty"`
	// SeriesAggregation says how the simulator's samples became the points
	// of Series: "none" (they are the samples), or how each point merges
	// the samples it covers ("buckets: mean lambda, …").
	SeriesAggregation string `json:"seriesAggregation,omitempty"`
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
	// TroubleStartsAt is, in a plan with calls, the service where the
	// scenario's trouble starts with today's settings: of the services
	// over their error budget, one none of whose callees (transitively)
	// is, the first to violate its SLO; "" when no service is over
	// budget. TroubleStartsWhy says why in a sentence.
	TroubleStartsAt  string `json:"troubleStartsAt,omitempty"`
	TroubleStartsWhy string `json:"troubleStartsWhy,omitempty"`
}

// CallEdge is one call of the plan's call graph (scenarios.Call).
type CallEdge struct {
	Caller     string  `json:"caller"`
	Callee     string  `json:"callee"`
	PerRequest float64 `json:"perRequest"`
	// Mode is sync or async.
	Mode string `json:"mode"`
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
	Without map[string]float64 `json:"sloMinutesWithout"`
	With    map[string]float64 `json:"sloMinutesWith"`
	// BurnWithout and BurnWith are the error-budget burn inside the same
	// window (the larger of the latency and error-rate objectives', as the
	// run's sloBudgetBurn), today and with the pre-scale.
	BurnWithout      map[string]float64 `json:"sloBudgetBurnWithout"`
	BurnWith         map[string]float64 `json:"sloBudgetBurnWith"`
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
