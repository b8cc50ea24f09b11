package model

import (
	"fmt"
	"math"
	"time"
)

// This file re-implements the Kubernetes Vertical Pod Autoscaler's
// recommender as released in vertical-pod-autoscaler 1.4 to 1.8.1 and on
// master in August 2026 (kubernetes/autoscaler,
// vertical-pod-autoscaler/pkg/recommender:
// util/histogram.go, util/histogram_options.go, util/decaying_histogram.go,
// model/container.go, model/aggregate_container_state.go,
// model/aggregations_config.go, model/types.go, logic/estimator.go,
// logic/recommender.go) from those files and the recommender's flags
// (vertical-pod-autoscaler/docs/flags.md), so that a recommendation can be
// held against what a VPA in recommendation mode would publish for the same
// history. Every constant and rounding step below names the upstream one it
// mirrors.

// VPA histogram and recommender constants (aggregations_config.go, types.go).
const (
	// vpaCPUMaxValue is the start of the last CPU bucket in cores:
	// NewExponentialHistogramOptions(1000.0, 0.01, 1.05, epsilon). The
	// first bucket's width is VPAConfig.CPUFirstBucketCores.
	vpaCPUMaxValue = 1000.0
	// vpaMemoryFirstBucket is the width of the first memory bucket in bytes
	// (10 MB), up to 1 TB.
	vpaMemoryFirstBucket = 1e7
	vpaMemoryMaxValue    = 1e12
	// vpaBucketGrowth is DefaultHistogramBucketSizeGrowth: each bucket is
	// 5 % wider than the one before.
	vpaBucketGrowth = 0.05
	// vpaMinSampleWeight is minSampleWeight: the weight of every CPU
	// sample before decay since VPA 1.4 (kubernetes/autoscaler ca812b36);
	// before, a sample weighed its container's CPU request in cores, but at
	// least this (VPAConfig.CPUWeightByRequest).
	vpaMinSampleWeight = 0.1
	// vpaEpsilon is the smallest bucket weight counted as non-empty.
	vpaEpsilon = 0.001 * vpaMinSampleWeight
	// vpaMaxDecayExponent bounds the decay exponent before the reference
	// time is shifted (decaying_histogram.go maxDecayExponent).
	vpaMaxDecayExponent = 100
	// VPAMaxResourceAmount is MaxResourceAmount: every amount (millicores
	// or bytes) is clamped to it. An upper bound with no history (infinite
	// confidence multiplier) comes out as this value, the familiar
	// "upperBound: 100T" of a fresh VPA.
	VPAMaxResourceAmount = 1e14
)

// VPAConfig holds the VPA recommender flags that shape a recommendation.
// DefaultVPAConfig returns the upstream defaults; the zero VPAConfig is not
// valid.
type VPAConfig struct {
	// Percentiles of the CPU usage histogram for the three estimates, in
	// (0, 1]: --recommendation-lower-bound-cpu-percentile (0.5),
	// --target-cpu-percentile (0.9),
	// --recommendation-upper-bound-cpu-percentile (0.95).
	LowerBoundCPUPercentile, TargetCPUPercentile, UpperBoundCPUPercentile float64
	// Percentiles of the memory-peaks histogram, in (0, 1]: 0.5, 0.9, 0.95.
	LowerBoundMemoryPercentile, TargetMemoryPercentile, UpperBoundMemoryPercentile float64
	// SafetyMarginFraction is --recommendation-margin-fraction (0.15),
	// added to every estimate. Must be ≥ 0.
	SafetyMarginFraction float64
	// PodMinCPUMillicores and PodMinMemoryMB are
	// --pod-recommendation-min-cpu-millicores (25) and
	// --pod-recommendation-min-memory-mb (250; upstream multiplies it by
	// 1024·1024, so it is MiB). The floors are per pod, split evenly over
	// ContainersPerPod. Must be ≥ 0.
	PodMinCPUMillicores, PodMinMemoryMB float64
	// ContainersPerPod is how many containers share the per-pod floors.
	// Default 1.
	ContainersPerPod int
	// CPUHalfLife and MemoryHalfLife are --cpu-histogram-decay-half-life and
	// --memory-histogram-decay-half-life (24h): a sample this much older
	// than another weighs half as much. Must be > 0.
	CPUHalfLife, MemoryHalfLife time.Duration
	// MemoryAggregationInterval is --memory-aggregation-interval (24h): one
	// memory peak is kept per interval. Must be > 0.
	MemoryAggregationInterval time.Duration
	// CPUFirstBucketCores is the width of the first CPU histogram bucket,
	// in cores: 0.01 upstream (the firstBucketSize argument of
	// NewExponentialHistogramOptions in aggregations_config.go
	// cpuHistogramOptions; a 2024 change to 0.001 on master never reached
	// a release). Must be > 0.
	CPUFirstBucketCores float64
	// CPUWeightByRequest weighs each CPU sample by the container's CPU
	// request (at least 0.1 core), as VPA releases before 1.4 did. Default
	// false: every sample weighs 0.1 before decay.
	CPUWeightByRequest bool
	// ConfidenceIntervalCPU and ConfidenceIntervalMemory are
	// --confidence-interval-cpu and --confidence-interval-memory (24h): the
	// unit in which history length is measured for the confidence
	// multipliers of the bounds. Must be ≥ 1 minute.
	ConfidenceIntervalCPU, ConfidenceIntervalMemory time.Duration
}

// DefaultVPAConfig returns the VPA recommender's default flags.
func DefaultVPAConfig() VPAConfig {
	return VPAConfig{
		LowerBoundCPUPercentile: 0.5, TargetCPUPercentile: 0.9, UpperBoundCPUPercentile: 0.95,
		LowerBoundMemoryPercentile: 0.5, TargetMemoryPercentile: 0.9, UpperBoundMemoryPercentile: 0.95,
		SafetyMarginFraction: 0.15,
		PodMinCPUMillicores:  25,
		PodMinMemoryMB:       250,
		ContainersPerPod:     1,
		CPUHalfLife:          24 * time.Hour,
		MemoryHalfLife:       24 * time.Hour,

		CPUFirstBucketCores:       0.01,
		MemoryAggregationInterval: 24 * time.Hour,
		ConfidenceIntervalCPU:     24 * time.Hour,
		ConfidenceIntervalMemory:  24 * time.Hour,
	}
}

// Validate reports the first field outside its domain.
func (c VPAConfig) Validate() error {
	for _, p := range []struct {
		name string
		v    float64
	}{
		{"VPAConfig.LowerBoundCPUPercentile", c.LowerBoundCPUPercentile},
		{"VPAConfig.TargetCPUPercentile", c.TargetCPUPercentile},
		{"VPAConfig.UpperBoundCPUPercentile", c.UpperBoundCPUPercentile},
		{"VPAConfig.LowerBoundMemoryPercentile", c.LowerBoundMemoryPercentile},
		{"VPAConfig.TargetMemoryPercentile", c.TargetMemoryPercentile},
		{"VPAConfig.UpperBoundMemoryPercentile", c.UpperBoundMemoryPercentile},
	} {
		if !(p.v > 0 && p.v <= 1) {
			return &InputError{Arg: p.name, Value: p.v, Want: "a fraction in (0, 1]"}
		}
	}
	for _, p := range []struct {
		name string
		v    float64
	}{
		{"VPAConfig.SafetyMarginFraction", c.SafetyMarginFraction},
		{"VPAConfig.PodMinCPUMillicores", c.PodMinCPUMillicores},
		{"VPAConfig.PodMinMemoryMB", c.PodMinMemoryMB},
	} {
		if !(p.v >= 0 && !math.IsInf(p.v, 1)) {
			return &InputError{Arg: p.name, Value: p.v, Want: wantNonNegative}
		}
	}
	if !(c.CPUFirstBucketCores > 0 && c.CPUFirstBucketCores < vpaCPUMaxValue) {
		return &InputError{Arg: "VPAConfig.CPUFirstBucketCores", Value: c.CPUFirstBucketCores, Want: "a width in cores in (0, 1000)"}
	}
	if c.ContainersPerPod < 1 {
		return &InputError{Arg: "VPAConfig.ContainersPerPod", Value: float64(c.ContainersPerPod), Want: wantServers}
	}
	for _, d := range []struct {
		name string
		v    time.Duration
		min  time.Duration
	}{
		{"VPAConfig.CPUHalfLife", c.CPUHalfLife, 1},
		{"VPAConfig.MemoryHalfLife", c.MemoryHalfLife, 1},
		{"VPAConfig.MemoryAggregationInterval", c.MemoryAggregationInterval, 1},
		{"VPAConfig.ConfidenceIntervalCPU", c.ConfidenceIntervalCPU, time.Minute},
		{"VPAConfig.ConfidenceIntervalMemory", c.ConfidenceIntervalMemory, time.Minute},
	} {
		if d.v < d.min {
			return &InputError{Arg: d.name, Value: d.v.Seconds(), Want: fmt.Sprintf("a duration of at least %v (in seconds here)", d.min)}
		}
	}
	return nil
}

// expBuckets is exponentialHistogramOptions: bucket 0 is [0, first), bucket
// n ≥ 1 starts at first·(ratioⁿ − 1)/(ratio − 1), the last bucket is open.
type expBuckets struct {
	n            int
	first, ratio float64
	// lnRatio caches math.Log(ratio): the same float64 upstream's log()
	// computes on every call, so bucket indices are bit-for-bit the same.
	lnRatio float64
}

// newExpBuckets mirrors NewExponentialHistogramOptions: enough buckets for
// the last one to start at or above maxValue.
func newExpBuckets(maxValue, first, ratio float64) expBuckets {
	n := int(math.Ceil(logBase(ratio, maxValue*(ratio-1)/first+1))) + 1
	return expBuckets{n: n, first: first, ratio: ratio, lnRatio: math.Log(ratio)}
}

// logBase is upstream's log(base, x) = ln x / ln base, kept in this form so
// bucket boundaries round exactly as upstream's do.
func logBase(base, x float64) float64 { return math.Log(x) / math.Log(base) }

// find is FindBucket: floor(log_ratio(value·(ratio−1)/first + 1)), clamped
// to the buckets.
func (b expBuckets) find(value float64) int {
	if value < b.first {
		return 0
	}
	i := int(math.Log(value*(b.ratio-1)/b.first+1) / b.lnRatio)
	if i >= b.n {
		return b.n - 1
	}
	return i
}

// start is GetBucketStart.
func (b expBuckets) start(i int) float64 {
	if i == 0 {
		return 0
	}
	return b.first * (math.Pow(b.ratio, float64(i)) - 1) / (b.ratio - 1)
}

// vpaHistogram is upstream's decayingHistogram over histogram: bucket
// weights, their total, the first and last non-empty bucket, and the
// reference time of the exponential decay.
type vpaHistogram struct {
	buckets    expBuckets
	weight     []float64
	total      float64
	minB, maxB int
	halfLife   time.Duration
	ref        time.Time
}

func newVPAHistogram(b expBuckets, halfLife time.Duration) vpaHistogram {
	return vpaHistogram{buckets: b, weight: make([]float64, b.n), minB: b.n - 1, halfLife: halfLife}
}

// decayFactor is 2^((t − ref)/halfLife), shifting ref first when the
// exponent would exceed vpaMaxDecayExponent (decayingHistogram.decayFactor).
func (h *vpaHistogram) decayFactor(t time.Time) float64 {
	maxAllowed := h.ref.Add(time.Duration(int64(h.halfLife) * vpaMaxDecayExponent))
	if t.After(maxAllowed) {
		h.shiftReference(t)
	}
	return math.Exp2(float64(t.Sub(h.ref)) / float64(h.halfLife))
}

// shiftReference moves ref to t rounded to a multiple of halfLife and
// rescales every weight by the matching power of two.
func (h *vpaHistogram) shiftReference(t time.Time) {
	newRef := t.Round(h.halfLife)
	exponent := int(math.Floor(float64(h.ref.Sub(newRef))/float64(h.halfLife) + 0.5))
	h.scale(math.Ldexp(1, exponent))
	h.ref = newRef
}

func (h *vpaHistogram) scale(factor float64) {
	for i := h.minB; i <= h.maxB; i++ {
		h.weight[i] *= factor
	}
	h.total *= factor
	h.updateMinMax()
}

func (h *vpaHistogram) add(value, weight float64, t time.Time) {
	weight *= h.decayFactor(t)
	i := h.buckets.find(value)
	h.weight[i] += weight
	h.total += weight
	if i < h.minB && h.weight[i] >= vpaEpsilon {
		h.minB = i
	}
	if i > h.maxB && h.weight[i] >= vpaEpsilon {
		h.maxB = i
	}
}

func (h *vpaHistogram) subtract(value, weight float64, t time.Time) {
	weight *= h.decayFactor(t)
	i := h.buckets.find(value)
	if weight > h.weight[i]-vpaEpsilon {
		weight = h.weight[i]
	}
	h.total -= weight
	h.weight[i] -= weight
	h.updateMinMax()
}

func (h *vpaHistogram) updateMinMax() {
	last := h.buckets.n - 1
	for h.weight[h.minB] < vpaEpsilon && h.minB < last {
		h.minB++
	}
	for h.weight[h.maxB] < vpaEpsilon && h.maxB > 0 {
		h.maxB--
	}
}

func (h *vpaHistogram) empty() bool { return h.weight[h.minB] < vpaEpsilon }

// percentile returns the upper edge of the first bucket at which the
// cumulative weight reaches p·total (the start of the last bucket if it is
// that one), or 0 for an empty histogram. No interpolation: results are
// quantised to the 5 % bucket steps and biased upward.
func (h *vpaHistogram) percentile(p float64) float64 {
	if h.empty() {
		return 0
	}
	partial, threshold := 0.0, p*h.total
	i := h.minB
	for ; i < h.maxB; i++ {
		partial += h.weight[i]
		if partial >= threshold {
			break
		}
	}
	if i < h.buckets.n-1 {
		return h.buckets.start(i + 1)
	}
	return h.buckets.start(i)
}

// vpaAmount is upstream's resourceAmountFromFloat: truncation toward zero,
// clamped to [0, VPAMaxResourceAmount]. NaN (0·∞, an empty histogram times
// an infinite confidence multiplier) maps to 0, where upstream's conversion
// is platform-defined; the floors then apply either way.
func vpaAmount(x float64) int64 {
	switch {
	case x > VPAMaxResourceAmount:
		return VPAMaxResourceAmount
	case x < 0 || math.IsNaN(x):
		return 0
	}
	return int64(x)
}

func vpaScale(amount int64, factor float64) int64 { return vpaAmount(float64(amount) * factor) }

// VPAState aggregates the usage history of one container the way the VPA
// recommender does: a decaying histogram of CPU samples weighted by the CPU
// request, and a decaying histogram of memory peaks, one per
// MemoryAggregationInterval. Samples of one resource must come in time
// order; a CPU sample not after the previous one, or a memory sample before
// the previous one, is discarded, as upstream.
type VPAState struct {
	cfg VPAConfig
	cpu vpaHistogram
	mem vpaHistogram

	// CPU bookkeeping (AggregateContainerState): only CPU samples count
	// towards the history length and sample count.
	firstCPU, lastCPU time.Time
	cpuSamples        int
	lastCPUStart      time.Time
	cpuDiscarded      int

	// Memory peaks (ContainerState): the current interval ends at
	// windowEnd (exclusive) and its peak is memPeak.
	windowEnd    time.Time
	memPeak      int64
	lastMemStart time.Time
	memSamples   int
	memPeaks     int
	memDiscarded int
}

// NewVPAState returns an empty aggregation; cfg must be valid.
func NewVPAState(cfg VPAConfig) *VPAState {
	g := 1 + vpaBucketGrowth
	return &VPAState{
		cfg: cfg,
		cpu: newVPAHistogram(newExpBuckets(vpaCPUMaxValue, cfg.CPUFirstBucketCores, g), cfg.CPUHalfLife),
		mem: newVPAHistogram(newExpBuckets(vpaMemoryMaxValue, vpaMemoryFirstBucket, g), cfg.MemoryHalfLife),
	}
}

// AddCPU adds a CPU usage sample in cores, taken while the container's CPU
// request was requestCores (0 when unset). Usage is truncated to whole
// millicores first (CPUAmountFromCores); the sample weighs 0.1 before
// decay, or max(request, 0.1) with CPUWeightByRequest. It reports whether
// the sample was used.
func (s *VPAState) AddCPU(t time.Time, cores, requestCores float64) bool {
	usage := vpaAmount(cores * 1000)
	if !t.After(s.lastCPUStart) {
		s.cpuDiscarded++
		return false
	}
	weight := vpaMinSampleWeight
	if s.cfg.CPUWeightByRequest {
		weight = math.Max(float64(vpaAmount(requestCores*1000))/1000, vpaMinSampleWeight)
	}
	s.cpu.add(float64(usage)/1000, weight, t)
	if t.After(s.lastCPU) {
		s.lastCPU = t
	}
	if s.firstCPU.IsZero() || t.Before(s.firstCPU) {
		s.firstCPU = t
	}
	s.cpuSamples++
	s.lastCPUStart = t
	return true
}

// AddMemory adds a memory (working set) sample in bytes. The container
// keeps one peak per aggregation interval, stamped with the interval's end:
// a larger sample inside the interval replaces the peak (subtract the old,
// add the new); the first sample at or after the end opens the interval
// that contains it. Intervals are aligned to the first sample.
func (s *VPAState) AddMemory(t time.Time, bytes float64) bool {
	usage := vpaAmount(bytes)
	if t.Before(s.lastMemStart) {
		s.memDiscarded++
		return false
	}
	s.lastMemStart = t
	s.memSamples++
	if s.windowEnd.IsZero() {
		s.windowEnd = t
	}
	addPeak := false
	if t.Before(s.windowEnd) {
		if s.memPeak != 0 && usage > s.memPeak {
			s.mem.subtract(float64(s.memPeak), 1, s.windowEnd)
			addPeak = true
		}
	} else {
		interval := s.cfg.MemoryAggregationInterval
		s.windowEnd = s.windowEnd.Add(t.Sub(s.windowEnd).Truncate(interval) + interval)
		s.memPeak = 0
		s.memPeaks++
		addPeak = true
	}
	if addPeak {
		s.mem.add(float64(usage), 1, s.windowEnd)
		s.memPeak = usage
	}
	return true
}

// Confidence is upstream's getConfidence in units of interval:
// min(last − first CPU sample time, CPU samples × 1 minute) / interval.
// For one sample a minute over N days and a 24h interval it is N.
func (s *VPAState) Confidence(interval time.Duration) float64 {
	lifespan := float64(s.lastCPU.Sub(s.firstCPU)) / float64(interval)
	samples := float64(s.cpuSamples) / interval.Minutes()
	return math.Min(lifespan, samples)
}

// VPAResources is one VPA estimate: CPU in millicores and memory in bytes,
// the units of upstream's ResourceAmount.
type VPAResources struct {
	CPUMillicores int64 `json:"cpuMillicores"`
	MemoryBytes   int64 `json:"memoryBytes"`
}

// VPAEstimate is what the VPA recommender would publish in
// status.recommendation for the container (before minAllowed/maxAllowed
// capping, which headroom does not model: Target is also uncappedTarget).
type VPAEstimate struct {
	LowerBound VPAResources `json:"lowerBound"`
	Target     VPAResources `json:"target"`
	UpperBound VPAResources `json:"upperBound"`
	// CPUConfidence and MemoryConfidence are the history lengths in units
	// of the confidence intervals (days by default).
	CPUConfidence    float64 `json:"cpuConfidence"`
	MemoryConfidence float64 `json:"memoryConfidence"`
	// Raw percentiles of the histograms (upper bucket edges), before the
	// margin: cores and bytes at the lower-bound, target and upper-bound
	// percentiles.
	CPUPercentiles    [3]float64 `json:"cpuPercentiles"`
	MemoryPercentiles [3]float64 `json:"memoryPercentiles"`
	// FloorCPUMillicores and FloorMemoryBytes are the per-container floors.
	FloorCPUMillicores int64 `json:"floorCPUMillicores"`
	FloorMemoryBytes   int64 `json:"floorMemoryBytes"`
	// CPUSamples, MemorySamples and MemoryPeaks count what was aggregated;
	// Discarded counts out-of-order or duplicate samples dropped.
	CPUSamples    int `json:"cpuSamples"`
	MemorySamples int `json:"memorySamples"`
	MemoryPeaks   int `json:"memoryPeaks"`
	Discarded     int `json:"discarded"`
}

// Estimate computes the three estimates as upstream's podResourceRecommender
// does, per resource and bound:
//
//	base   = trunc(percentile_p of the histogram)        (millicores or bytes)
//	margin = base + trunc(base × SafetyMarginFraction)
//	lower  = trunc(margin × (1 + 0.001/c)^−2)            c = Confidence(interval)
//	upper  = trunc(margin × (1 + 1/c))
//	each   = max(floor/ContainersPerPod, ·), clamped to [0, 1e14]
//
// The target is not confidence-scaled. With no history c = 0, so the upper
// bound is 1e14 and the lower bound the floor.
func (s *VPAState) Estimate() VPAEstimate {
	c := s.cfg
	fraction := 1 / float64(c.ContainersPerPod)
	minCPU := vpaScale(vpaAmount(c.PodMinCPUMillicores*0.001*1000), fraction)
	minMem := vpaScale(vpaAmount(c.PodMinMemoryMB*1024*1024), fraction)
	cpuConf := s.Confidence(c.ConfidenceIntervalCPU)
	memConf := s.Confidence(c.ConfidenceIntervalMemory)

	margin := func(base int64) int64 { return base + vpaScale(base, c.SafetyMarginFraction) }
	conf := func(amount int64, conf, multiplier, exponent float64) int64 {
		return vpaScale(amount, math.Pow(1+multiplier/conf, exponent))
	}
	e := VPAEstimate{
		CPUConfidence: cpuConf, MemoryConfidence: memConf,
		FloorCPUMillicores: minCPU, FloorMemoryBytes: minMem,
		CPUSamples: s.cpuSamples, MemorySamples: s.memSamples, MemoryPeaks: s.memPeaks,
		Discarded: s.cpuDiscarded + s.memDiscarded,
	}
	cpuP := [3]float64{c.LowerBoundCPUPercentile, c.TargetCPUPercentile, c.UpperBoundCPUPercentile}
	memP := [3]float64{c.LowerBoundMemoryPercentile, c.TargetMemoryPercentile, c.UpperBoundMemoryPercentile}
	var cpu, mem [3]int64
	for i := range 3 {
		e.CPUPercentiles[i] = s.cpu.percentile(cpuP[i])
		e.MemoryPercentiles[i] = s.mem.percentile(memP[i])
		cpu[i] = margin(vpaAmount(e.CPUPercentiles[i] * 1000))
		mem[i] = margin(vpaAmount(e.MemoryPercentiles[i]))
	}
	e.LowerBound = VPAResources{
		CPUMillicores: max(minCPU, conf(cpu[0], cpuConf, 0.001, -2)),
		MemoryBytes:   max(minMem, conf(mem[0], memConf, 0.001, -2)),
	}
	e.Target = VPAResources{CPUMillicores: max(minCPU, cpu[1]), MemoryBytes: max(minMem, mem[1])}
	e.UpperBound = VPAResources{
		CPUMillicores: max(minCPU, conf(cpu[2], cpuConf, 1, 1)),
		MemoryBytes:   max(minMem, conf(mem[2], memConf, 1, 1)),
	}
	return e
}

// RecommendVPA aggregates a container's CPU (cores) and memory (bytes)
// usage history, each in time order, and returns the VPA recommender's
// estimate. cpuRequestCores (0 when unset) is the CPU sample weight with
// CPUWeightByRequest and is ignored otherwise.
func RecommendVPA(cfg VPAConfig, cpu, mem []UsageSample, cpuRequestCores float64) (VPAEstimate, error) {
	if err := cfg.Validate(); err != nil {
		return VPAEstimate{}, err
	}
	if err := checkNonNegative("cpuRequestCores", cpuRequestCores); err != nil {
		return VPAEstimate{}, err
	}
	if err := checkUsage("cpu", cpu); err != nil {
		return VPAEstimate{}, err
	}
	if err := checkUsage("memory", mem); err != nil {
		return VPAEstimate{}, err
	}
	s := NewVPAState(cfg)
	for _, u := range cpu {
		s.AddCPU(u.Time, u.Value, cpuRequestCores)
	}
	for _, u := range mem {
		s.AddMemory(u.Time, u.Value)
	}
	return s.Estimate(), nil
}

// checkUsage rejects a negative, infinite or NaN usage value.
func checkUsage(name string, samples []UsageSample) error {
	for i, u := range samples {
		if !(u.Value >= 0) || math.IsInf(u.Value, 1) {
			return &InputError{Arg: fmt.Sprintf("%s[%d].Value", name, i), Value: u.Value, Want: wantNonNegative}
		}
	}
	return nil
}
