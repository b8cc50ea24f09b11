package model

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// Strategy is how a right-sizing recommendation is derived from a usage
// history.
type Strategy string

// Right-sizing strategies.
const (
	// StrategyVPA is the VPA recommender (VPAState): decaying histograms,
	// p50/p90/p95 plus a 15 % margin, confidence-scaled bounds, floors.
	StrategyVPA Strategy = "vpa"
	// StrategyPercentile is krr's "simple" strategy: the CPU request is a
	// percentile of CPU usage (default p95, no buffer), the memory request
	// and limit the maximum memory usage plus a buffer (default 15 %).
	StrategyPercentile Strategy = "percentile"
	// StrategyMax sizes both resources at their maximum usage plus the
	// buffer.
	StrategyMax Strategy = "max"
)

// ParseStrategy reads a strategy name.
func ParseStrategy(s string) (Strategy, error) {
	switch st := Strategy(s); st {
	case StrategyVPA, StrategyPercentile, StrategyMax:
		return st, nil
	}
	return "", fmt.Errorf("unknown strategy %q: use vpa, percentile or max", s)
}

// Resource names as the right-sizer and the HPA spell them.
const (
	ResourceCPU    = "cpu"
	ResourceMemory = "memory"
)

// RightsizeConfig tunes Rightsize. DefaultRightsizeConfig holds the
// defaults; the zero value is not valid.
type RightsizeConfig struct {
	// Strategy picks the estimator. Default StrategyVPA.
	Strategy Strategy
	// VPA holds the VPA recommender's flags (StrategyVPA).
	VPA VPAConfig
	// CPUPercentile is the CPU usage percentile of StrategyPercentile, in
	// (0, 1]. Default 0.95 (krr --cpu_percentile 95).
	CPUPercentile float64
	// Buffer is added to the memory maximum (StrategyPercentile) and to
	// both maxima (StrategyMax), ≥ 0. Default 0.15 (krr
	// --memory_buffer_percentage 15).
	Buffer float64
	// MinCPU (cores) and MinMemory (bytes) floor the recommendations of
	// StrategyPercentile and StrategyMax. Default the VPA's per-pod floors,
	// 25m and 250Mi.
	MinCPU, MinMemory float64
	// MinPoints and MinHistory are krr's history gates: a resource with
	// fewer samples, or whose samples span less time, gets a low-confidence
	// recommendation. Defaults 100 and 3h (krr --points_required, and its
	// three hours of history).
	MinPoints  int
	MinHistory time.Duration
	// MaxTargetUtilization is the highest utilisation target (percent) the
	// HPA adjustment may set. When keeping the HPA's scale point would need
	// a higher one, the request is raised instead. Default 100: a higher
	// target lets pods run above their request before the HPA scales.
	MaxTargetUtilization int32
}

// DefaultRightsizeConfig returns the defaults: the VPA strategy with the
// VPA's flags, krr's p95 and 15 % buffer, krr's history gates.
func DefaultRightsizeConfig() RightsizeConfig {
	return RightsizeConfig{
		Strategy:             StrategyVPA,
		VPA:                  DefaultVPAConfig(),
		CPUPercentile:        0.95,
		Buffer:               0.15,
		MinCPU:               0.025,
		MinMemory:            250 << 20,
		MinPoints:            100,
		MinHistory:           3 * time.Hour,
		MaxTargetUtilization: 100,
	}
}

// Validate reports the first field outside its domain.
func (c RightsizeConfig) Validate() error {
	if _, err := ParseStrategy(string(c.Strategy)); err != nil {
		return fmt.Errorf("RightsizeConfig.Strategy: %w", err)
	}
	if c.Strategy == StrategyVPA {
		if err := c.VPA.Validate(); err != nil {
			return err
		}
	}
	if !(c.CPUPercentile > 0 && c.CPUPercentile <= 1) {
		return &InputError{Arg: "RightsizeConfig.CPUPercentile", Value: c.CPUPercentile, Want: "a fraction in (0, 1]"}
	}
	for _, f := range []struct {
		name string
		v    float64
	}{{"RightsizeConfig.Buffer", c.Buffer}, {"RightsizeConfig.MinCPU", c.MinCPU}, {"RightsizeConfig.MinMemory", c.MinMemory}} {
		if err := checkNonNegative(f.name, f.v); err != nil {
			return err
		}
	}
	if c.MinPoints < 0 {
		return &InputError{Arg: "RightsizeConfig.MinPoints", Value: float64(c.MinPoints), Want: "an integer ≥ 0"}
	}
	if c.MinHistory < 0 {
		return &InputError{Arg: "RightsizeConfig.MinHistory", Value: c.MinHistory.Seconds(), Want: "a duration ≥ 0"}
	}
	if c.MaxTargetUtilization < 1 {
		return &InputError{Arg: "RightsizeConfig.MaxTargetUtilization", Value: float64(c.MaxTargetUtilization), Want: "a percentage ≥ 1"}
	}
	return nil
}

// ContainerUsage is one container's resources today and its usage history.
type ContainerUsage struct {
	Container string
	// CPURequest and CPULimit in cores, MemoryRequest and MemoryLimit in
	// bytes; 0 means unset. An unset request with a limit is the limit, as
	// the API server defaults it.
	CPURequest, CPULimit       float64
	MemoryRequest, MemoryLimit float64
	// CPU (cores) and Memory (working-set bytes) are the usage of one
	// container instance over time, in any order.
	CPU, Memory []UsageSample
}

// HPAScaling is the part of a HorizontalPodAutoscaler the right-sizer
// needs: its replica range, its tolerance, and its Utilization targets on
// the container's CPU and memory (Resource or ContainerResource metrics).
type HPAScaling struct {
	MinReplicas, MaxReplicas int32
	// PeakReplicas is the replica count at the observed peak, where the
	// HPA's proposal is reported; clamped to [MinReplicas, MaxReplicas].
	PeakReplicas int32
	// ScaleUpTolerance and ScaleDownTolerance are the HPA's tolerances
	// (default 0.1 each).
	ScaleUpTolerance, ScaleDownTolerance float64
	Targets                              []HPAUtilizationTarget
}

// HPAUtilizationTarget is one Utilization target of an HPA.
type HPAUtilizationTarget struct {
	// MetricIndex is the metric's index in spec.metrics.
	MetricIndex int `json:"metricIndex"`
	// MetricType is the metric's type, Resource or ContainerResource, which
	// names the field that holds its target
	// (spec.metrics[MetricIndex].resource or .containerResource).
	MetricType string `json:"metricType,omitempty"`
	// Resource is ResourceCPU or ResourceMemory.
	Resource string `json:"resource"`
	// TargetUtilization is averageUtilization, in percent of the request.
	TargetUtilization int32 `json:"targetUtilization"`
}

// ResourceRecommendation is the recommendation for one resource of a
// container: cores for CPU, bytes for memory; 0 means unset.
type ResourceRecommendation struct {
	// Request and Limit are today's.
	Request float64 `json:"request"`
	Limit   float64 `json:"limit,omitempty"`
	// LowerBound, Target and UpperBound are the recommended request: the
	// VPA's three estimates, or the one point estimate of the other
	// strategies in all three.
	LowerBound float64 `json:"lowerBound"`
	Target     float64 `json:"target"`
	UpperBound float64 `json:"upperBound"`
	// RecommendedLimit is the limit to go with Target; 0 when there is no
	// limit today.
	RecommendedLimit float64 `json:"recommendedLimit,omitempty"`
	// PeakUsage is the largest sample; Samples how many there were.
	PeakUsage float64 `json:"peakUsage"`
	Samples   int     `json:"samples"`
}

// Changed reports whether the recommendation moves the request or limit.
func (r ResourceRecommendation) Changed() bool {
	return r.Target != r.Request || r.RecommendedLimit != r.Limit
}

// ConfidenceLevel grades how much history a recommendation rests on.
type ConfidenceLevel string

// Confidence levels.
const (
	// ConfidenceLow: a resource failed krr's history gates (too few points
	// or too short a history), or had no samples.
	ConfidenceLow ConfidenceLevel = "low"
	// ConfidenceMedium: the gates pass but the history is shorter than a
	// week, where the VPA's upper bound is still more than 1.14 × its
	// target's estimate.
	ConfidenceMedium ConfidenceLevel = "medium"
	// ConfidenceHigh: a week of history or more.
	ConfidenceHigh ConfidenceLevel = "high"
)

// Confidence says how much history a recommendation rests on.
type Confidence struct {
	Level ConfidenceLevel `json:"level"`
	// HistoryDays is the VPA's confidence heuristic: min(CPU history span,
	// CPU samples × 1 minute) in days.
	HistoryDays float64 `json:"historyDays"`
	// Reasons say why the level is not high.
	Reasons []string `json:"reasons,omitempty"`
}

// HPAAdjustment is the change to an HPA that keeps its scale point when a
// container's requests change under Utilization targets: with the request
// lowered and the target unchanged, the same usage would read as a higher
// utilisation and the HPA would scale out more (the feedback loop that
// makes krr skip HPA workloads). The target moves so that request × target,
// the usage per pod at which the HPA scales, stays where it was.
type HPAAdjustment struct {
	Targets []HPATargetChange `json:"targets"`
	// MinReplicas and MaxReplicas, old and new; they change only when no
	// target keeps the replica count at the observed peak and the new count
	// would exceed maxReplicas.
	OldMinReplicas int32 `json:"oldMinReplicas"`
	NewMinReplicas int32 `json:"newMinReplicas"`
	OldMaxReplicas int32 `json:"oldMaxReplicas"`
	NewMaxReplicas int32 `json:"newMaxReplicas"`
	// Why explains each change.
	Why []string `json:"why"`
}

// HPATargetChange is the move of one Utilization target.
type HPATargetChange struct {
	HPAUtilizationTarget
	// NewTargetUtilization is the new averageUtilization, in percent.
	NewTargetUtilization int32 `json:"newTargetUtilization"`
	// OldRequest and NewRequest are the container's request for the
	// resource (cores or bytes).
	OldRequest float64 `json:"oldRequest"`
	NewRequest float64 `json:"newRequest"`
	// PeakUsage is the largest per-pod usage observed.
	PeakUsage float64 `json:"peakUsage"`
	// PeakReplicas is the replica count the proposals below are for;
	// DesiredBefore and DesiredAfter are the HPA's proposals for this
	// metric at PeakUsage with the old and the new request and target.
	PeakReplicas  int32 `json:"peakReplicas"`
	DesiredBefore int32 `json:"desiredBefore"`
	DesiredAfter  int32 `json:"desiredAfter"`
	// Preserved of Checked replica counts in [minReplicas, maxReplicas]
	// (at most 1001 of them, around PeakReplicas) get the same proposal at
	// PeakUsage before and after.
	Preserved int `json:"preserved"`
	Checked   int `json:"checked"`
}

// Recommendation is the right-sizing recommendation for one container.
type Recommendation struct {
	Container  string                 `json:"container"`
	Strategy   Strategy               `json:"strategy"`
	CPU        ResourceRecommendation `json:"cpu"`
	Memory     ResourceRecommendation `json:"memory"`
	Confidence Confidence             `json:"confidence"`
	// VPA is the full VPA estimate (StrategyVPA only).
	VPA *VPAEstimate `json:"vpa,omitempty"`
	// HPA is the HPA change that goes with the new requests, if any.
	HPA *HPAAdjustment `json:"hpa,omitempty"`
	// Rationale explains every number, one line per step.
	Rationale []string `json:"rationale"`
}

// Rightsize recommends requests and limits for a container from its usage
// history with the configured strategy, and, when hpa is not nil, the HPA
// change that keeps its scale point (see HPAAdjustment). Recommended CPU is
// in whole millicores and memory in whole MiB, rounded up (the raw VPA
// estimate stays in Recommendation.VPA).
//
// A resource without samples keeps its request and limit. Limits keep
// their ratio to the request (the VPA's controlledValues
// RequestsAndLimits), except that StrategyPercentile and StrategyMax set
// the memory limit to the memory request, as krr does; krr would also drop
// the CPU limit, which a patch of changed values cannot express, so it
// keeps its ratio here too.
func Rightsize(cfg RightsizeConfig, in ContainerUsage, hpa *HPAScaling) (Recommendation, error) {
	if err := cfg.Validate(); err != nil {
		return Recommendation{}, err
	}
	for _, f := range []struct {
		name string
		v    float64
	}{
		{"CPURequest", in.CPURequest}, {"CPULimit", in.CPULimit},
		{"MemoryRequest", in.MemoryRequest}, {"MemoryLimit", in.MemoryLimit},
	} {
		if err := checkNonNegative("ContainerUsage."+f.name, f.v); err != nil {
			return Recommendation{}, err
		}
	}
	if err := checkUsage("ContainerUsage.CPU", in.CPU); err != nil {
		return Recommendation{}, err
	}
	if err := checkUsage("ContainerUsage.Memory", in.Memory); err != nil {
		return Recommendation{}, err
	}
	if hpa != nil {
		if err := hpa.validate(); err != nil {
			return Recommendation{}, err
		}
	}
	cpu, mem := sortedByTime(in.CPU), sortedByTime(in.Memory)
	rec := Recommendation{
		Container: in.Container,
		Strategy:  cfg.Strategy,
		CPU:       current(in.CPURequest, in.CPULimit, cpu),
		Memory:    current(in.MemoryRequest, in.MemoryLimit, mem),
	}
	rec.Confidence = confidence(cfg, cpu, mem)

	switch cfg.Strategy {
	case StrategyVPA:
		rec.vpa(cfg.VPA, cpu, mem)
	default:
		rec.krr(cfg, cpu, mem)
	}
	if len(mem) > 0 {
		m := &rec.Memory
		m.LowerBound, m.Target, m.UpperBound = ceilMi(m.LowerBound), ceilMi(m.Target), ceilMi(m.UpperBound)
		rec.say("memory rounded up to whole Mi: target %s", formatBytes(m.Target))
	}
	if len(cpu) == 0 {
		rec.CPU.LowerBound, rec.CPU.Target, rec.CPU.UpperBound = rec.CPU.Request, rec.CPU.Request, rec.CPU.Request
		rec.say("cpu: no samples; the request stays %s", formatCores(rec.CPU.Request))
	}
	if len(mem) == 0 {
		rec.Memory.LowerBound, rec.Memory.Target, rec.Memory.UpperBound = rec.Memory.Request, rec.Memory.Request, rec.Memory.Request
		rec.say("memory: no samples; the request stays %s", formatBytes(rec.Memory.Request))
	}
	if hpa != nil {
		rec.adjustHPA(cfg, hpa)
	}
	rec.setLimits(cfg.Strategy, len(cpu) > 0, len(mem) > 0)
	if !rec.CPU.Changed() && !rec.Memory.Changed() {
		rec.say("no change: the recommendation equals today's requests and limits")
	}
	return rec, nil
}

func (r *Recommendation) say(format string, args ...any) {
	r.Rationale = append(r.Rationale, fmt.Sprintf(format, args...))
}

// current fills today's request and limit and the sample statistics.
func current(request, limit float64, samples []UsageSample) ResourceRecommendation {
	if request == 0 {
		request = limit
	}
	r := ResourceRecommendation{Request: request, Limit: limit, Samples: len(samples)}
	for _, s := range samples {
		r.PeakUsage = max(r.PeakUsage, s.Value)
	}
	return r
}

// sortedByTime returns the samples in time order (stable), copying only
// when they are not sorted already.
func sortedByTime(s []UsageSample) []UsageSample {
	less := func(a, b UsageSample) int { return a.Time.Compare(b.Time) }
	if slices.IsSortedFunc(s, less) {
		return s
	}
	c := slices.Clone(s)
	slices.SortStableFunc(c, less)
	return c
}

// confidence applies krr's gates per resource and grades the history by
// the VPA's heuristic.
func confidence(cfg RightsizeConfig, cpu, mem []UsageSample) Confidence {
	// The VPA's bookkeeping without its histograms: a CPU sample counts
	// when it is later than the last one counted (VPAState.AddCPU).
	var first, last time.Time
	n := 0
	for _, u := range cpu {
		if n == 0 || u.Time.After(last) {
			if n == 0 {
				first = u.Time
			}
			last = u.Time
			n++
		}
	}
	days := 0.0
	if n > 0 {
		days = math.Min(float64(last.Sub(first))/float64(24*time.Hour), float64(n)/(24*60))
	}
	c := Confidence{Level: ConfidenceHigh, HistoryDays: days}
	gate := func(name string, s []UsageSample) {
		if len(s) == 0 {
			c.Reasons = append(c.Reasons, name+": no samples")
			return
		}
		span := s[len(s)-1].Time.Sub(s[0].Time)
		if len(s) < cfg.MinPoints || span < cfg.MinHistory {
			c.Reasons = append(c.Reasons, fmt.Sprintf("%s: %d samples over %s; at least %d over %s are needed (krr's history gate)",
				name, len(s), formatDuration(span), cfg.MinPoints, formatDuration(cfg.MinHistory)))
		}
	}
	gate(ResourceCPU, cpu)
	gate(ResourceMemory, mem)
	switch {
	case len(c.Reasons) > 0:
		c.Level = ConfidenceLow
	case c.HistoryDays < 7:
		c.Level = ConfidenceMedium
		c.Reasons = append(c.Reasons, fmt.Sprintf("%.1f days of history; a week or more gives high confidence", c.HistoryDays))
	}
	return c
}

// vpa fills the recommendation from the VPA recommender.
func (r *Recommendation) vpa(cfg VPAConfig, cpu, mem []UsageSample) {
	st := NewVPAState(cfg)
	for _, u := range cpu {
		st.AddCPU(u.Time, u.Value, r.CPU.Request)
	}
	for _, u := range mem {
		st.AddMemory(u.Time, u.Value)
	}
	e := st.Estimate()
	r.VPA = &e
	r.CPU.LowerBound = float64(e.LowerBound.CPUMillicores) / 1000
	r.CPU.Target = float64(e.Target.CPUMillicores) / 1000
	r.CPU.UpperBound = float64(e.UpperBound.CPUMillicores) / 1000
	r.Memory.LowerBound = float64(e.LowerBound.MemoryBytes)
	r.Memory.Target = float64(e.Target.MemoryBytes)
	r.Memory.UpperBound = float64(e.UpperBound.MemoryBytes)

	margin := fmt.Sprintf("+%s margin", formatPercent(cfg.SafetyMarginFraction))
	if len(cpu) > 0 {
		weight := "equal weights"
		if cfg.CPUWeightByRequest {
			weight = "weighted by the request"
		}
		r.say("cpu: %d samples in a decaying histogram (half-life %s, %s); p%s %s, p%s %s, p%s %s (upper bucket edges); %s → lower %s, target %s, upper %s",
			e.CPUSamples, formatDuration(cfg.CPUHalfLife), weight,
			formatPercentile(cfg.LowerBoundCPUPercentile), formatCores(e.CPUPercentiles[0]),
			formatPercentile(cfg.TargetCPUPercentile), formatCores(e.CPUPercentiles[1]),
			formatPercentile(cfg.UpperBoundCPUPercentile), formatCores(e.CPUPercentiles[2]),
			margin, formatCores(r.CPU.LowerBound), formatCores(r.CPU.Target), formatCores(r.CPU.UpperBound))
	}
	if len(mem) > 0 {
		r.say("memory: %d peaks, one per %s, from %d samples; p%s %s, p%s %s, p%s %s; %s → lower %s, target %s, upper %s",
			e.MemoryPeaks, formatDuration(cfg.MemoryAggregationInterval), e.MemorySamples,
			formatPercentile(cfg.LowerBoundMemoryPercentile), formatBytes(e.MemoryPercentiles[0]),
			formatPercentile(cfg.TargetMemoryPercentile), formatBytes(e.MemoryPercentiles[1]),
			formatPercentile(cfg.UpperBoundMemoryPercentile), formatBytes(e.MemoryPercentiles[2]),
			margin, formatBytes(r.Memory.LowerBound), formatBytes(r.Memory.Target), formatBytes(r.Memory.UpperBound))
	}
	if e.CPUConfidence > 0 {
		r.say("bounds scaled by history (%.2f days): upper ×(1 + 1/%.2f) = ×%.3f, lower ×(1 + 0.001/%.2f)^-2 = ×%.4f",
			e.CPUConfidence, e.CPUConfidence, 1+1/e.CPUConfidence, e.CPUConfidence, math.Pow(1+0.001/e.CPUConfidence, -2))
	} else {
		r.say("no CPU history: the VPA's upper bound is unbounded (%g) and its lower bound the floor", float64(VPAMaxResourceAmount))
	}
	r.say("floors %s CPU and %s memory per container (the per-pod floors %gm and %gMi over %d container(s))",
		formatCores(float64(e.FloorCPUMillicores)/1000), formatBytes(float64(e.FloorMemoryBytes)), cfg.PodMinCPUMillicores, cfg.PodMinMemoryMB, cfg.ContainersPerPod)
	if e.Discarded > 0 {
		r.say("%d out-of-order or duplicate samples discarded, as the VPA does", e.Discarded)
	}
}

// krr fills the recommendation with StrategyPercentile or StrategyMax.
func (r *Recommendation) krr(cfg RightsizeConfig, cpu, mem []UsageSample) {
	buffer := 1 + cfg.Buffer
	if len(cpu) > 0 {
		var v float64
		if cfg.Strategy == StrategyPercentile {
			v = quantile(cfg.CPUPercentile, cpu)
			r.say("cpu: p%s of %d samples is %s (krr simple: no buffer on CPU)",
				formatPercentile(cfg.CPUPercentile), len(cpu), formatCores(v))
		} else {
			v = r.CPU.PeakUsage * buffer
			r.say("cpu: max of %d samples %s +%s buffer = %s", len(cpu), formatCores(r.CPU.PeakUsage), formatPercent(cfg.Buffer), formatCores(v))
		}
		t := ceilTo(v, 1000)
		if t < cfg.MinCPU {
			r.say("cpu: raised to the floor %s", formatCores(cfg.MinCPU))
			t = cfg.MinCPU
		}
		r.CPU.LowerBound, r.CPU.Target, r.CPU.UpperBound = t, t, t
	}
	if len(mem) > 0 {
		v := r.Memory.PeakUsage * buffer
		r.say("memory: max of %d samples %s +%s buffer = %s", len(mem), formatBytes(r.Memory.PeakUsage), formatPercent(cfg.Buffer), formatBytes(v))
		t := math.Ceil(v)
		if t < cfg.MinMemory {
			r.say("memory: raised to the floor %s", formatBytes(cfg.MinMemory))
			t = cfg.MinMemory
		}
		r.Memory.LowerBound, r.Memory.Target, r.Memory.UpperBound = t, t, t
	}
}

// setLimits derives the recommended limits from the targets.
func (r *Recommendation) setLimits(s Strategy, hasCPU, hasMem bool) {
	proportional := func(x *ResourceRecommendation, unit float64) {
		x.RecommendedLimit = x.Limit
		if x.Limit > 0 && x.Request > 0 && x.Target != x.Request {
			x.RecommendedLimit = math.Trunc(x.Limit*x.Target/x.Request*unit) / unit
		}
	}
	proportional(&r.CPU, 1000)
	proportional(&r.Memory, 1)
	if r.Memory.RecommendedLimit != r.Memory.Limit {
		r.Memory.RecommendedLimit = ceilMi(r.Memory.RecommendedLimit)
	}
	if hasCPU && r.CPU.Limit > 0 && r.CPU.RecommendedLimit != r.CPU.Limit {
		r.say("cpu limit %s → %s: keeps the limit/request ratio %.2f", formatCores(r.CPU.Limit), formatCores(r.CPU.RecommendedLimit), r.CPU.Limit/r.CPU.Request)
	}
	if s != StrategyVPA && hasMem && r.Memory.Limit > 0 {
		r.Memory.RecommendedLimit = r.Memory.Target
		r.say("memory limit %s → %s: equal to the request (krr)", formatBytes(r.Memory.Limit), formatBytes(r.Memory.RecommendedLimit))
		return
	}
	if hasMem && r.Memory.Limit > 0 && r.Memory.RecommendedLimit != r.Memory.Limit {
		r.say("memory limit %s → %s: keeps the limit/request ratio %.2f", formatBytes(r.Memory.Limit), formatBytes(r.Memory.RecommendedLimit), r.Memory.Limit/r.Memory.Request)
	}
}

// ceilMi rounds bytes up to a whole MiB, so patches read "489Mi".
func ceilMi(b float64) float64 { return math.Ceil(b/(1<<20)) * (1 << 20) }

// quantile is PromQL's quantile over the sample values (what krr's
// quantile_over_time computes): rank φ·(n−1), linear interpolation between
// the neighbouring order statistics.
func quantile(phi float64, samples []UsageSample) float64 {
	v := make([]float64, len(samples))
	for i, s := range samples {
		v[i] = s.Value
	}
	slices.Sort(v)
	rank := phi * float64(len(v)-1)
	lo := int(math.Floor(rank))
	hi := min(lo+1, len(v)-1)
	w := rank - float64(lo)
	return v[lo]*(1-w) + v[hi]*w
}

// ceilTo rounds x up to a multiple of 1/perUnit, tolerating the last-bit
// error of a product (0.35·1000 = 350.00000000000006).
func ceilTo(x, perUnit float64) float64 {
	y := x * perUnit
	if r := math.Round(y); math.Abs(y-r) < 1e-9*max(1, math.Abs(y)) {
		return r / perUnit
	}
	return math.Ceil(y) / perUnit
}

func (h *HPAScaling) validate() error {
	if h.MinReplicas < 1 || h.MaxReplicas < h.MinReplicas {
		return fmt.Errorf("HPAScaling: replica range [%d, %d] must satisfy 1 ≤ minReplicas ≤ maxReplicas", h.MinReplicas, h.MaxReplicas)
	}
	for _, t := range []struct {
		name string
		v    float64
	}{{"HPAScaling.ScaleUpTolerance", h.ScaleUpTolerance}, {"HPAScaling.ScaleDownTolerance", h.ScaleDownTolerance}} {
		if err := checkNonNegative(t.name, t.v); err != nil {
			return err
		}
	}
	for i, t := range h.Targets {
		if t.Resource != ResourceCPU && t.Resource != ResourceMemory {
			return fmt.Errorf("HPAScaling.Targets[%d].Resource %q: must be cpu or memory", i, t.Resource)
		}
		if t.TargetUtilization < 1 {
			return &InputError{Arg: fmt.Sprintf("HPAScaling.Targets[%d].TargetUtilization", i), Value: float64(t.TargetUtilization), Want: "a percentage ≥ 1"}
		}
	}
	return nil
}

// HPAUtilizationProposal is the HPA controller's replica proposal for one
// Utilization metric when all current pods are ready, report usage and
// request the same (ReplicaCalculator.GetResourceReplicas in kubernetes/kubernetes
// pkg/controller/podautoscaler/replica_calculator.go, the path without
// missing or unready pods):
//
//	utilisation = ⌊100 · Σusage / Σrequest⌋            integer percent, milli-units
//	ratio       = utilisation / target
//	proposal    = current                  if 1 − down ≤ ratio ≤ 1 + up
//	              ⌈ratio · current⌉         otherwise
//
// usageMilli and requestMilli are per pod in milli-units (millicores;
// milli-bytes for memory, as Quantity.MilliValue gives them).
func HPAUtilizationProposal(current int32, usageMilli, requestMilli int64, target int32, up, down float64) int32 {
	if current < 1 || requestMilli <= 0 || target < 1 {
		return current
	}
	// Σusage/Σrequest over identical pods is usage/request; the integer
	// floor of 100·n·u / (n·r) equals that of 100·u / r.
	util := usageMilli * 100 / requestMilli
	ratio := float64(util) / float64(target)
	if 1-down <= ratio && ratio <= 1+up {
		return current
	}
	return int32(math.Ceil(ratio * float64(current)))
}

// milliOf converts cores or bytes to the HPA's milli-units.
func milliOf(x float64) int64 { return int64(math.Round(x * 1000)) }

// hpaRequestNudge is how far (as a fraction) the HPA adjustment may raise a
// recommended request so that request × integer target lands on the old
// scale point.
const hpaRequestNudge = 0.05

// hpaCheckedCounts bounds the replica counts the HPA adjustment checks.
const hpaCheckedCounts = 1001

// adjustHPA moves each Utilization target whose resource's request changes
// so that request × target stays put. Among the integer targets within 3 of
// T·R/R', each with the request R' itself or nudged up (at most
// hpaRequestNudge) to where request × target meets the old scale point, it
// picks the one that keeps the HPA's proposal at the observed peak usage
// unchanged for the peak's replica count first, then for the most replica
// counts in [min, max] (at most hpaCheckedCounts of them, around the
// peak's), then the smaller request, then the target closest to the exact
// one. A target above MaxTargetUtilization is not set: the request is
// raised to R·T/max instead.
func (r *Recommendation) adjustHPA(cfg RightsizeConfig, h *HPAScaling) {
	adj := &HPAAdjustment{
		OldMinReplicas: h.MinReplicas, NewMinReplicas: h.MinReplicas,
		OldMaxReplicas: h.MaxReplicas, NewMaxReplicas: h.MaxReplicas,
	}
	peakN, lo, hi := checkedReplicas(h)
	targets := slices.Clone(h.Targets)
	slices.SortStableFunc(targets, func(a, b HPAUtilizationTarget) int { return cmp.Compare(a.MetricIndex, b.MetricIndex) })
	for _, t := range targets {
		s := targetSearch{h: h, maxTarget: cfg.MaxTargetUtilization, peakN: peakN, lo: lo, hi: hi, T: int64(t.TargetUtilization)}
		r.adjustHPATarget(&s, adj, t)
	}
	if len(adj.Targets) == 0 && len(adj.Why) == 0 {
		return
	}
	r.HPA = adj
	r.Rationale = append(r.Rationale, adj.Why...)
}

// checkedReplicas are the peak's replica count, clamped to [min, max], and
// the replica counts [lo, hi] whose proposals adjustHPA compares: all of
// [min, max], or hpaCheckedCounts of them around the peak's.
func checkedReplicas(h *HPAScaling) (peakN, lo, hi int32) {
	peakN = min(max(h.PeakReplicas, h.MinReplicas), h.MaxReplicas)
	lo, hi = h.MinReplicas, h.MaxReplicas
	if int64(hi)-int64(lo) >= hpaCheckedCounts {
		lo = max(h.MinReplicas, peakN-hpaCheckedCounts/2)
		hi = lo + hpaCheckedCounts - 1
		if hi > h.MaxReplicas {
			hi = h.MaxReplicas
			lo = hi - hpaCheckedCounts + 1
		}
	}
	return peakN, lo, hi
}

// targetSearch is adjustHPA's search for one Utilization target. Requests
// and usage are per pod in the HPA's milli-units.
type targetSearch struct {
	h         *HPAScaling
	maxTarget int32 // RightsizeConfig.MaxTargetUtilization
	// peakN is the peak's replica count; [lo, hi] the counts compared.
	peakN, lo, hi int32
	T             int64 // the target today, percent
	oldReq, peak  int64 // the request today and the observed peak usage
	// step is the resource's unit: a whole millicore, or a whole MiB in
	// milli-bytes.
	step int64
}

// targetChoice is one candidate of a targetSearch: a target and request,
// whether they keep the HPA's proposal at the peak's replica count, for how
// many of the counts checked they do, and how far the target is from the
// exact T·R/R'.
type targetChoice struct {
	target int32
	req    int64
	atPeak bool
	score  int
	dist   float64
}

// better ranks candidates: keeping the peak's proposal, then the most
// counts kept, then the smaller request, then the target nearer the exact.
func (a targetChoice) better(b targetChoice) bool {
	switch {
	case a.atPeak != b.atPeak:
		return a.atPeak
	case a.score != b.score:
		return a.score > b.score
	case a.req != b.req:
		return a.req < b.req
	}
	return a.dist < b.dist
}

// adjustHPATarget moves target t (see adjustHPA), appending its change and
// the reasons to adj; the request it settles on becomes the resource's
// target.
func (r *Recommendation) adjustHPATarget(s *targetSearch, adj *HPAAdjustment, t HPAUtilizationTarget) {
	res, unit, format := &r.CPU, 1000.0, formatCores
	if t.Resource == ResourceMemory {
		res, unit, format = &r.Memory, 1, formatBytes
	}
	if res.Request == 0 {
		adj.Why = append(adj.Why, fmt.Sprintf("%s target %d%%: the container has no %s request, so the HPA cannot compute utilisation; set a request first",
			t.Resource, t.TargetUtilization, t.Resource))
		return
	}
	if res.Target == res.Request || res.Samples == 0 {
		return
	}
	// A point estimate's bounds move with its target.
	point := res.LowerBound == res.UpperBound
	s.oldReq = milliOf(res.Request)
	s.step = 1 // whole millicores
	if unit == 1 {
		s.step = 1000 << 20 // whole MiB, in milli-bytes
	}
	newReq := milliOf(res.Target)
	T := s.T
	if float64(T)*float64(s.oldReq) > float64(s.maxTarget)*float64(newReq) {
		raised := (T*s.oldReq + int64(s.maxTarget) - 1) / int64(s.maxTarget)
		if unit == 1 {
			raised = (raised + s.step - 1) / s.step * s.step
		}
		adj.Why = append(adj.Why, fmt.Sprintf("%s request raised from %s to %s: keeping the HPA's scale point (%s × %d%% = %s per pod) with a smaller request needs a target above %d%%",
			t.Resource, format(res.Target), format(float64(raised)/1000), format(res.Request), T, format(res.Request*float64(T)/100), s.maxTarget))
		res.raiseTarget(float64(raised)/1000, point)
		newReq = raised
	}
	s.peak = milliOf(res.PeakUsage)
	c := HPATargetChange{HPAUtilizationTarget: t, OldRequest: res.Request, NewRequest: res.Target, PeakUsage: res.PeakUsage, PeakReplicas: s.peakN}
	best := s.best(newReq)
	if best.req != newReq {
		adj.Why = append(adj.Why, fmt.Sprintf("%s request nudged from %s to %s (+%.1f%%) so that request × target lands on the HPA's scale point",
			t.Resource, format(res.Target), format(float64(best.req)/1000), 100*(float64(best.req)/float64(newReq)-1)))
		newReq = best.req
		res.raiseTarget(float64(newReq)/1000, point)
		c.NewRequest = res.Target
	}
	h := s.h
	c.NewTargetUtilization = best.target
	c.Preserved, c.Checked = best.score, int(s.hi-s.lo+1)
	c.DesiredBefore = HPAUtilizationProposal(s.peakN, s.peak, s.oldReq, int32(T), h.ScaleUpTolerance, h.ScaleDownTolerance)
	c.DesiredAfter = HPAUtilizationProposal(s.peakN, s.peak, newReq, best.target, h.ScaleUpTolerance, h.ScaleDownTolerance)
	adj.Targets = append(adj.Targets, c)
	adj.explain(h, res, c, format, s.lo, s.hi)
}

// raiseTarget moves the recommended request up to v, and the bounds of a
// point estimate with it.
func (res *ResourceRecommendation) raiseTarget(v float64, point bool) {
	res.Target = v
	res.UpperBound = max(res.UpperBound, v)
	if point {
		res.LowerBound, res.UpperBound = v, v
	}
}

// best is the best candidate (targetChoice.better) among the integer
// targets within 3 of the exact one, each with the request newReq itself
// and nudged up (by at most hpaRequestNudge) to where request × target is
// the old scale point, rounded up to the resource's unit.
func (s *targetSearch) best(newReq int64) targetChoice {
	T, oldReq, step := s.T, s.oldReq, s.step
	exact := float64(T) * float64(oldReq) / float64(newReq)
	best := targetChoice{score: -1}
	for cand := int32(math.Floor(exact)) - 3; cand <= int32(math.Ceil(exact))+3; cand++ {
		if cand < 1 || cand > s.maxTarget {
			continue
		}
		reqs := []int64{newReq}
		ideal := (T*oldReq + int64(cand) - 1) / int64(cand)
		ideal = (ideal + step - 1) / step * step
		for _, q := range []int64{ideal, ideal + step} {
			if q > newReq && float64(q) <= float64(newReq)*(1+hpaRequestNudge) {
				reqs = append(reqs, q)
			}
		}
		for _, q := range reqs {
			at, score := s.proposals(q, cand)
			ch := targetChoice{target: cand, req: q, atPeak: at, score: score, dist: math.Abs(float64(cand) - float64(T)*float64(oldReq)/float64(q))}
			if ch.better(best) {
				best = ch
			}
		}
	}
	return best
}

// proposals compares the HPA's proposals at the peak usage before and with
// request req and target: atPeak says they agree at the peak's replica
// count, score for how many counts of [lo, hi] they do.
func (s *targetSearch) proposals(req int64, target int32) (atPeak bool, score int) {
	h := s.h
	for n := s.lo; n <= s.hi; n++ {
		before := HPAUtilizationProposal(n, s.peak, s.oldReq, int32(s.T), h.ScaleUpTolerance, h.ScaleDownTolerance)
		after := HPAUtilizationProposal(n, s.peak, req, target, h.ScaleUpTolerance, h.ScaleDownTolerance)
		if before == after {
			score++
			atPeak = atPeak || n == s.peakN
		}
	}
	return atPeak, score
}

// explain says what a target change keeps and what it cannot, and raises
// maxReplicas when the new target's proposal at the peak needs it.
func (adj *HPAAdjustment) explain(h *HPAScaling, res *ResourceRecommendation, c HPATargetChange, format func(float64) string, lo, hi int32) {
	T := c.TargetUtilization
	adj.Why = append(adj.Why, fmt.Sprintf("%s target %d%% → %d%%: the scale point stays at %s per pod (%s × %d%%; now %s × %d%% = %s); at the observed peak of %s per pod on %d pods the HPA proposes %d replicas before and %d after (the same for %d of %d replica counts in [%d, %d])",
		c.Resource, T, c.NewTargetUtilization, format(res.Request*float64(T)/100), format(res.Request), T,
		format(res.Target), c.NewTargetUtilization, format(res.Target*float64(c.NewTargetUtilization)/100),
		format(res.PeakUsage), c.PeakReplicas, c.DesiredBefore, c.DesiredAfter, c.Preserved, c.Checked, lo, hi))
	if c.DesiredAfter != c.DesiredBefore {
		adj.Why = append(adj.Why, fmt.Sprintf("no integer %s target keeps the HPA's proposal at the observed peak exactly (integer percents and the tolerance band): %d replicas instead of %d",
			c.Resource, c.DesiredAfter, c.DesiredBefore))
	}
	if c.DesiredAfter > c.DesiredBefore && c.DesiredAfter > adj.NewMaxReplicas && c.DesiredBefore <= h.MaxReplicas {
		adj.NewMaxReplicas = c.DesiredAfter
		adj.Why = append(adj.Why, fmt.Sprintf("maxReplicas %d → %d so the HPA can still reach the peak's proposal", h.MaxReplicas, c.DesiredAfter))
	}
}

// Formatting for rationale lines, in Kubernetes units.

func formatCores(c float64) string {
	m := c * 1000
	if math.Abs(m-math.Round(m)) < 1e-6 {
		return fmt.Sprintf("%dm", int64(math.Round(m)))
	}
	return fmt.Sprintf("%.1fm", m)
}

func formatBytes(b float64) string {
	const mi, gi = 1 << 20, 1 << 30
	switch {
	case b >= 1e13:
		return fmt.Sprintf("%.3gTi", b/(1<<40))
	case b >= gi:
		return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.2f", b/gi), "0"), ".") + "Gi"
	}
	return strings.TrimSuffix(fmt.Sprintf("%.1f", b/mi), ".0") + "Mi"
}

func formatPercent(f float64) string {
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.2f", f*100), "0"), ".") + "%"
}

func formatPercentile(p float64) string {
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.2f", p*100), "0"), ".")
}

func formatDuration(d time.Duration) string {
	switch {
	case d >= 24*time.Hour && d%(24*time.Hour) == 0:
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	case d >= 24*time.Hour:
		return fmt.Sprintf("%.1fd", d.Hours()/24)
	}
	return d.String()
}
