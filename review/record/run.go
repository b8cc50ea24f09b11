package record

import (
	"github.com/headroom-dev/headroom/model"
	"github.com/headroom-dev/headroom/scenarios"
)

// The simulations a review draws. Package sim's results, repeated field
// for field (the review converts them with plain type conversions), so
// that rendering a review needs no simulator.

// Variant says which settings a run simulated.
type Variant string

// Run variants.
const (
	// Current is today's HPAs.
	Current Variant = "current"
	// Proposed is the proposed HPAs (headroom's or the user's).
	Proposed Variant = "proposed"
	// PreScaled is an event's scenario with the proposed HPAs and the
	// event's pre-scale.
	PreScaled Variant = "pre-scaled"
)

// Run is one simulation of one scenario.
type Run struct {
	Scenario string
	Variant  Variant
	// Services are the services the scenario covers, in plan order.
	Services []ServiceRun
	Cluster  ClusterSeries
}

// ServiceRun is one service's run: its summary and its series.
type ServiceRun struct {
	Service string
	Summary RunSummary
	Series  []Sample
	// Bands are the spread of Series over the uncertainty ensemble (the
	// figures draw them), nil without one.
	Bands *SeriesBands
}

// SeriesBands spread a service's series over an uncertainty ensemble
// (sim.SeriesBands, field for field): per sample interval, the p10 / p50 /
// p90 over the members of its latency quantiles and Ready pods; NaN where
// no member served a request.
type SeriesBands struct {
	P50, P95, P99 []model.Interval
	Ready         []model.Interval
}

// ClusterSeries is the cluster's nodes and cost over a run.
type ClusterSeries struct {
	NodeType  string
	NodeHours float64
	Cost      float64
	PeakNodes int
	Added     int
	Removed   int
	// Unplaced is how long pods waited for a node in all.
	Unplaced scenarios.Seconds
	Series   []NodeSample
}

// Service returns the named service's run, nil when the scenario does not
// cover it.
func (r *Run) Service(name string) *ServiceRun {
	for i := range r.Services {
		if r.Services[i].Service == name {
			return &r.Services[i]
		}
	}
	return nil
}

// Run returns the review's simulation of a scenario in a variant, nil when
// there is none.
func (r *Review) Run(scenario string, v Variant) *Run {
	for i := range r.Runs {
		if r.Runs[i].Scenario == scenario && r.Runs[i].Variant == v {
			return &r.Runs[i]
		}
	}
	return nil
}

// Sample aggregates one sample interval of a service (sim.Sample, field
// for field). Latencies are
// arrival-weighted means of the per-tick values in fluid mode and the
// quantiles of the interval's response times in DES mode; -1 where no
// request was served in the interval.
type Sample struct {
	// T is the end of the interval, from the scenario start.
	T scenarios.Seconds `json:"tSeconds"`
	// Lambda is the mean offered request rate, per second.
	Lambda float64 `json:"lambda"`
	// Desired is spec.replicas at the end of the interval; Ready and Pending
	// (created but not Ready) are pod counts there.
	Desired int32 `json:"desired"`
	Ready   int   `json:"ready"`
	Pending int   `json:"pending"`
	// CPUUtilisation and MemoryUtilisation are the mean use of a Ready pod
	// over its request.
	CPUUtilisation    float64 `json:"cpuUtilization"`
	MemoryUtilisation float64 `json:"memoryUtilization"`
	// HPAMetrics are, per HPA metric, the last reconcile's usage over target
	// (1 is on target); NaN-free: -1 where the metric gave no value.
	HPAMetrics []float64 `json:"hpaMetrics,omitempty"`
	P50        float64   `json:"p50"`
	P95        float64   `json:"p95"`
	P99        float64   `json:"p99"`
	// Queue is the mean number of requests waiting over all pods.
	Queue float64 `json:"queue"`
	// Errors counts failed requests (timeouts, no Ready pod) in the interval.
	Errors float64 `json:"errors"`
	// ErrorRate is Errors over arrivals.
	ErrorRate float64 `json:"errorRate"`
	// Slow counts the requests served slower than the latency target.
	Slow float64 `json:"slow"`
	// SLOViolated is true when any tick of the interval violated the SLO.
	SLOViolated bool `json:"sloViolated"`
}

// RunSummary is what a reviewer reads first of a run (sim.Summary, field
// for field).
type RunSummary struct {
	// SLOBudgetBurn is the error budget the scenario spent: bad requests
	// (failed, or slower than the latency target) over the fraction the SLO
	// allows; at most 1 meets the SLO. With a latency and an error-rate
	// objective, the larger of the two burns; 0 without an SLO.
	SLOBudgetBurn float64 `json:"sloBudgetBurn"`
	// WorstWindowBurn is the highest burn over any window of
	// SLOWindowSeconds (slo.window).
	WorstWindowBurn  float64 `json:"worstWindowBurn"`
	SLOWindowSeconds float64 `json:"sloWindowSeconds"`
	// BadRequests counts the requests that failed or took longer than the
	// latency target; BadFraction is BadRequests over Requests.
	BadRequests float64 `json:"badRequests"`
	BadFraction float64 `json:"badFraction"`
	// SLOViolationMinutes is the time the latency quantile exceeded its
	// target or the error rate its budget (a secondary view).
	SLOViolationMinutes float64 `json:"sloViolationMinutes"`
	// WorstP95 is the highest per-tick p95 latency of served requests,
	// seconds (0 when none was served); in DES mode the highest p95 of a
	// sample interval.
	WorstP95 float64 `json:"worstP95Seconds"`
	// ErrorPercent is failed requests over all requests, in percent.
	ErrorPercent float64 `json:"errorPercent"`
	// Requests counts arrivals, Served those answered, Errors those that
	// failed (timed out, dropped, or found no Ready pod).
	Requests float64 `json:"requests"`
	Served   float64 `json:"served"`
	Errors   float64 `json:"errors"`
	// LongestViolation is the longest continuous SLO violation: the time to
	// recover from the worst spike.
	LongestViolation scenarios.Seconds `json:"longestViolationSeconds"`
	// PodHours counts pods bound to nodes; Cost is their share of node cost
	// (by their larger share of a node's CPU or memory).
	PodHours float64 `json:"podHours"`
	Cost     float64 `json:"cost"`
	// ScaleEvents counts replica changes; Flaps those in the opposite
	// direction of the previous change and within the flap window of it;
	// ScaleEventsPerHour is ScaleEvents over the scenario's hours.
	ScaleEvents        int     `json:"scaleEvents"`
	Flaps              int     `json:"flaps"`
	ScaleEventsPerHour float64 `json:"scaleEventsPerHour"`
	// PinnedAtMaxMinutes is the time spent at the HPA's maxReplicas.
	PinnedAtMaxMinutes float64 `json:"pinnedAtMaxMinutes"`
	MinReplicas        int32   `json:"minReplicas"`
	MaxReplicas        int32   `json:"maxReplicas"`
	// MeanCPUUtilisation is the time-averaged CPU use over request of Ready pods.
	MeanCPUUtilisation float64 `json:"meanCpuUtilization"`

	// SLOBudgetBurnRange, WorstWindowBurnRange, SLOViolationMinutesRange,
	// WorstP95Range, ErrorPercentRange and CostRange are the p10 / p50 /
	// p90 of those measures over the plan's uncertainty ensemble (package
	// sim/ensemble); nil for a single run.
	SLOBudgetBurnRange       *model.Interval `json:"sloBudgetBurnRange,omitempty"`
	WorstWindowBurnRange     *model.Interval `json:"worstWindowBurnRange,omitempty"`
	SLOViolationMinutesRange *model.Interval `json:"sloViolationMinutesRange,omitempty"`
	WorstP95Range            *model.Interval `json:"worstP95SecondsRange,omitempty"`
	ErrorPercentRange        *model.Interval `json:"errorPercentRange,omitempty"`
	CostRange                *model.Interval `json:"costRange,omitempty"`
}

// OverBudget reports whether the run spent more than the SLO's error
// budget: a burn above 1 over the scenario or over its worst window. It is
// the review's "at risk" verdict on a simulation.
func (s *RunSummary) OverBudget() bool { return s.SLOBudgetBurn > 1 || s.WorstWindowBurn > 1 }

// WorstBurn is the larger of the scenario's and the worst window's burn.
func (s *RunSummary) WorstBurn() float64 { return max(s.SLOBudgetBurn, s.WorstWindowBurn) }

// NodeSample is the cluster at the end of one sample interval
// (sim.NodeSample, field for field).
type NodeSample struct {
	T            scenarios.Seconds `json:"tSeconds"`
	Ready        int               `json:"ready"`
	Provisioning int               `json:"provisioning"`
	// CostPerHour of the nodes that exist (ready or provisioning).
	CostPerHour float64 `json:"costPerHour"`
}
