package model

import (
	"errors"
	"math"
	"testing"
	"time"
)

var vpaEpoch = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// constantHistory is one sample a minute of value for d.
func constantHistory(value float64, d time.Duration) []UsageSample {
	n := int(d / time.Minute)
	s := make([]UsageSample, n)
	for i := range s {
		s[i] = UsageSample{Time: vpaEpoch.Add(time.Duration(i) * time.Minute), Value: value}
	}
	return s
}

// TestExpBuckets checks the bucket scheme of histogram_options.go: the
// bucket counts of the CPU (0.001 core … 1000 cores) and memory (10 MB …
// 1 TB) histograms, and that find and start are inverse: every value lies
// in [start(find(v)), start(find(v)+1)).
func TestExpBuckets(t *testing.T) {
	// Counts: ceil(log_1.05(max·0.05/first + 1)) + 1, computed with python3
	// math.log from the formula in NewExponentialHistogramOptions.
	cpu := newExpBuckets(vpaCPUMaxValue, 0.01, 1.05)
	fine := newExpBuckets(vpaCPUMaxValue, 0.001, 1.05)
	mem := newExpBuckets(vpaMemoryMaxValue, vpaMemoryFirstBucket, 1.05)
	if cpu.n != 176 || fine.n != 223 || mem.n != 176 {
		t.Fatalf("bucket counts cpu %d (1m: %d), memory %d; want 176 (223) and 176", cpu.n, fine.n, mem.n)
	}
	for _, b := range []expBuckets{cpu, fine, mem} {
		for v := b.first / 3; v < b.start(b.n-1); v *= 1.013 {
			i := b.find(v)
			if !(b.start(i) <= v && v < b.start(i+1)) {
				t.Fatalf("value %g in bucket %d = [%g, %g)", v, i, b.start(i), b.start(i+1))
			}
		}
		if got := b.find(b.start(b.n-1) * 10); got != b.n-1 {
			t.Errorf("a value past the last bucket start lands in %d, want the last bucket %d", got, b.n-1)
		}
	}
}

// TestVPAConstantUsage: constant usage puts every sample in one bucket, so
// every percentile is that bucket's upper edge. Expected values from
// python3 (float64) with the formulas of histogram_options.go, estimator.go
// and recommender.go:
//
//	cpu 0.35 core → bucket 20, upper edge 0.357193 → 357m; +15 % → 410m
//	memory 400Mi → bucket 23, upper edge 445019988.74 → 445019988; +15 % → 511772986
//	8 days at 1/min: c = min(11519/1440, 11520/1440) = 7.999306
//	upper = trunc(target·(1 + 1/c)); lower = trunc(target·(1 + 0.001/c)^-2)
func TestVPAConstantUsage(t *testing.T) {
	e, err := RecommendVPA(DefaultVPAConfig(), constantHistory(0.35, 8*24*time.Hour), constantHistory(400<<20, 8*24*time.Hour), 0.5)
	if err != nil {
		t.Fatal(err)
	}
	want := VPAEstimate{
		LowerBound: VPAResources{CPUMillicores: 409, MemoryBytes: 511645055},
		Target:     VPAResources{CPUMillicores: 410, MemoryBytes: 511772986},
		UpperBound: VPAResources{CPUMillicores: 461, MemoryBytes: 575750162},
	}
	if e.LowerBound != want.LowerBound || e.Target != want.Target || e.UpperBound != want.UpperBound {
		t.Errorf("estimate lower %+v target %+v upper %+v\nwant lower %+v target %+v upper %+v",
			e.LowerBound, e.Target, e.UpperBound, want.LowerBound, want.Target, want.UpperBound)
	}
	if c := 11519.0 / 1440; e.CPUConfidence != c || e.MemoryConfidence != c {
		t.Errorf("confidence %v / %v, want %v", e.CPUConfidence, e.MemoryConfidence, c)
	}
	if e.MemoryPeaks != 8 || e.CPUSamples != 11520 || e.Discarded != 0 {
		t.Errorf("peaks %d, cpu samples %d, discarded %d; want 8, 11520, 0", e.MemoryPeaks, e.CPUSamples, e.Discarded)
	}
}

// TestVPAHalfLife: a sample 24 h older than another weighs half as much.
func TestVPAHalfLife(t *testing.T) {
	h := newVPAHistogram(newExpBuckets(vpaCPUMaxValue, 0.01, 1.05), 24*time.Hour)
	h.add(0.1, 1, vpaEpoch)
	h.add(0.5, 1, vpaEpoch.Add(24*time.Hour))
	old, young := h.weight[h.buckets.find(0.1)], h.weight[h.buckets.find(0.5)]
	if old/young != 0.5 {
		t.Errorf("weight ratio old/new = %v, want 0.5", old/young)
	}
	// The percentile walk sees it: the old sample is one third of the
	// total weight, so p33 still falls in its bucket and p34 does not
	// (without decay both would, at one half).
	edge := func(v float64) float64 { return h.buckets.start(h.buckets.find(v) + 1) }
	if got := h.percentile(1.0 / 3); got != edge(0.1) {
		t.Errorf("p33.3 = %v, want the old sample's edge %v", got, edge(0.1))
	}
	if got := h.percentile(0.34); got != edge(0.5) {
		t.Errorf("p34 = %v, want the new sample's edge %v", got, edge(0.5))
	}
	// 48 h: a quarter.
	h2 := newVPAHistogram(h.buckets, 24*time.Hour)
	h2.add(0.1, 1, vpaEpoch)
	h2.add(0.5, 1, vpaEpoch.Add(48*time.Hour))
	if r := h2.weight[h2.buckets.find(0.1)] / h2.weight[h2.buckets.find(0.5)]; r != 0.25 {
		t.Errorf("48 h ratio = %v, want 0.25", r)
	}
}

// TestVPARenormalisation: past 2^100 the reference time shifts and all
// weights rescale; relative weights, and so percentiles, are unchanged.
func TestVPARenormalisation(t *testing.T) {
	b := newExpBuckets(vpaCPUMaxValue, 0.01, 1.05)
	h := newVPAHistogram(b, time.Minute)
	h.add(0.2, 1, vpaEpoch)
	ref := h.ref
	h.add(0.8, 1, vpaEpoch.Add(99*time.Minute)) // within 100 half-lives of ref
	h.add(0.8, 1, vpaEpoch.Add(150*time.Minute))
	if !h.ref.After(ref) {
		t.Fatalf("reference time did not shift: %v", h.ref)
	}
	w99, w150 := math.Exp2(99), math.Exp2(150)
	if got, want := h.weight[b.find(0.8)]/h.total, (w99+w150)/(1+w99+w150); math.Abs(got-want) > 1e-12 {
		t.Errorf("share of the 0.8 bucket = %v, want %v", got, want)
	}
}

// TestVPAMemoryPeaks: one peak per 24 h interval, aligned to the first
// sample; a larger sample in the interval replaces the peak.
func TestVPAMemoryPeaks(t *testing.T) {
	s := NewVPAState(DefaultVPAConfig())
	add := func(h float64, mb float64) { s.AddMemory(vpaEpoch.Add(time.Duration(h*float64(time.Hour))), mb*1e6) }
	add(0, 100)
	add(5, 300) // replaces the first peak
	add(23, 200)
	add(24, 150) // exactly 24 h after the first sample: a new interval
	add(47.9, 120)
	if s.memPeaks != 2 {
		t.Fatalf("%d intervals, want 2", s.memPeaks)
	}
	b := s.mem.buckets
	edge := func(v float64) float64 { return b.start(b.find(v) + 1) }
	// Peaks 300 MB (stamped at +24 h, weight 1) and 150 MB (stamped at
	// +48 h, weight 2): 150 MB holds two thirds of the weight.
	if w1, w2 := s.mem.weight[b.find(300e6)], s.mem.weight[b.find(150e6)]; w2/w1 != 2 {
		t.Errorf("peak weights %v and %v, want ratio 2", w1, w2)
	}
	for _, c := range []struct{ p, want float64 }{{0.5, edge(150e6)}, {0.66, edge(150e6)}, {0.67, edge(300e6)}, {0.9, edge(300e6)}} {
		if got := s.mem.percentile(c.p); got != c.want {
			t.Errorf("p%v = %v, want %v", c.p*100, got, c.want)
		}
	}
	// The replaced peak (100 MB) was subtracted: only the two peaks weigh.
	if w := s.mem.weight[b.find(300e6)] + s.mem.weight[b.find(150e6)]; s.mem.total != w || s.mem.weight[b.find(100e6)] != 0 {
		t.Errorf("total weight %v, peaks %v, replaced peak %v; want the peaks alone", s.mem.total, w, s.mem.weight[b.find(100e6)])
	}
	if s.AddMemory(vpaEpoch, 1e9) {
		t.Error("a memory sample before the previous one was accepted")
	}
}

// TestVPAFloors: the per-pod floors 25m and 250Mi, split over the
// containers of a pod.
func TestVPAFloors(t *testing.T) {
	for _, tt := range []struct {
		name             string
		containers       int
		wantCPU, wantMem int64
	}{
		{"one container", 1, 25, 250 << 20},
		{"two containers", 2, 12, 125 << 20}, // trunc(25·0.5)
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultVPAConfig()
			cfg.ContainersPerPod = tt.containers
			e, err := RecommendVPA(cfg, constantHistory(0.001, 8*24*time.Hour), constantHistory(1e6, 8*24*time.Hour), 0.1)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range []VPAResources{e.LowerBound, e.Target, e.UpperBound} {
				if r.CPUMillicores != tt.wantCPU || r.MemoryBytes != tt.wantMem {
					t.Errorf("estimate %+v, want the floors %dm / %d bytes", r, tt.wantCPU, tt.wantMem)
				}
			}
		})
	}
}

// TestVPAConfidenceScaling: the bounds follow (1 + 1/c) and
// (1 + 0.001/c)^-2 with c the history length in days, the smaller of the
// span and the sample count at one a minute; the target does not move.
func TestVPAConfidenceScaling(t *testing.T) {
	sparse := make([]UsageSample, 100) // 100 samples over 2 days: c = 100/1440
	for i := range sparse {
		sparse[i] = UsageSample{Time: vpaEpoch.Add(time.Duration(i) * 29 * time.Minute), Value: 0.35}
	}
	tests := []struct {
		name  string
		cpu   []UsageSample
		wantC float64
	}{
		{"12 hours", constantHistory(0.35, 12*time.Hour), 719.0 / 1440},
		{"1 day", constantHistory(0.35, 24*time.Hour), 1439.0 / 1440},
		{"1 week", constantHistory(0.35, 7*24*time.Hour), (7*1440 - 1) / 1440.0},
		{"100 samples over 2 days", sparse, 100.0 / 1440},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := RecommendVPA(DefaultVPAConfig(), tt.cpu, nil, 0.5)
			if err != nil {
				t.Fatal(err)
			}
			if e.CPUConfidence != tt.wantC {
				t.Fatalf("c = %v, want %v", e.CPUConfidence, tt.wantC)
			}
			const target = 410 // 0.35 core, as in TestVPAConstantUsage
			if e.Target.CPUMillicores != target {
				t.Errorf("target %dm, want %dm", e.Target.CPUMillicores, target)
			}
			if want := int64(target * (1 + 1/tt.wantC)); e.UpperBound.CPUMillicores != want {
				t.Errorf("upper %dm, want trunc(410·(1+1/c)) = %dm", e.UpperBound.CPUMillicores, want)
			}
			if want := int64(target * math.Pow(1+0.001/tt.wantC, -2)); e.LowerBound.CPUMillicores != want {
				t.Errorf("lower %dm, want trunc(410·(1+0.001/c)^-2) = %dm", e.LowerBound.CPUMillicores, want)
			}
		})
	}
	// The multipliers upstream's comments list: 12h ×3, 24h ×2, 1 week ×1.14.
	for _, c := range []struct{ days, upper float64 }{{0.5, 3}, {1, 2}, {7, 8.0 / 7}} {
		if got := 1 + 1/c.days; math.Abs(got-c.upper) > 1e-12 {
			t.Errorf("upper multiplier at %v days = %v, want %v", c.days, got, c.upper)
		}
	}
}

// TestVPANoCPUHistory: memory without CPU samples gives confidence 0, so
// the memory upper bound is unbounded (1e14 bytes, "100T") and the lower
// bound falls to the floor; CPU gets the floors.
func TestVPANoCPUHistory(t *testing.T) {
	e, err := RecommendVPA(DefaultVPAConfig(), nil, constantHistory(400<<20, 2*24*time.Hour), 0.5)
	if err != nil {
		t.Fatal(err)
	}
	if e.UpperBound.MemoryBytes != VPAMaxResourceAmount || e.LowerBound.MemoryBytes != 250<<20 || e.Target.MemoryBytes != 511772986 {
		t.Errorf("memory lower %d target %d upper %d; want the floor, 511772986, 1e14", e.LowerBound.MemoryBytes, e.Target.MemoryBytes, e.UpperBound.MemoryBytes)
	}
	if e.Target.CPUMillicores != 25 || e.UpperBound.CPUMillicores != 25 || e.LowerBound.CPUMillicores != 25 {
		t.Errorf("cpu %+v %+v %+v, want the 25m floor", e.LowerBound, e.Target, e.UpperBound)
	}
}

// TestVPASampleWeight: every CPU sample weighs 0.1 (VPA ≥ 1.4); with
// CPUWeightByRequest it weighs its request, at least 0.1 (VPA < 1.4).
func TestVPASampleWeight(t *testing.T) {
	for _, tt := range []struct {
		name      string
		byRequest bool
		request   float64
		want      float64
	}{
		{"constant", false, 2, 0.1},
		{"by request", true, 2, 2},
		{"by request, at least 0.1", true, 0.05, 0.1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultVPAConfig()
			cfg.CPUWeightByRequest = tt.byRequest
			s := NewVPAState(cfg)
			s.AddCPU(vpaEpoch, 0.3, tt.request)
			// One sample at the reference time: decay factor 2^0 = 1.
			if !s.cpu.ref.Equal(vpaEpoch) || s.cpu.total != tt.want {
				t.Errorf("weight %v (reference %v), want %v", s.cpu.total, s.cpu.ref, tt.want)
			}
		})
	}
}

// TestVPADiscardsDuplicates: a CPU sample not after the previous one is
// dropped (ContainerState.addCPUSample).
func TestVPADiscardsDuplicates(t *testing.T) {
	s := NewVPAState(DefaultVPAConfig())
	if !s.AddCPU(vpaEpoch, 0.2, 0.5) || s.AddCPU(vpaEpoch, 0.9, 0.5) || s.AddCPU(vpaEpoch.Add(-time.Minute), 0.9, 0.5) {
		t.Fatal("a duplicate or earlier CPU sample was accepted")
	}
	if e := s.Estimate(); e.CPUSamples != 1 || e.Discarded != 2 {
		t.Errorf("samples %d discarded %d, want 1 and 2", e.CPUSamples, e.Discarded)
	}
}

func TestVPAValidate(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*VPAConfig)
		arg    string
	}{
		{"target percentile above 1", func(c *VPAConfig) { c.TargetCPUPercentile = 1.5 }, "VPAConfig.TargetCPUPercentile"},
		{"zero memory percentile", func(c *VPAConfig) { c.LowerBoundMemoryPercentile = 0 }, "VPAConfig.LowerBoundMemoryPercentile"},
		{"negative margin", func(c *VPAConfig) { c.SafetyMarginFraction = -0.1 }, "VPAConfig.SafetyMarginFraction"},
		{"NaN floor", func(c *VPAConfig) { c.PodMinMemoryMB = math.NaN() }, "VPAConfig.PodMinMemoryMB"},
		{"no containers", func(c *VPAConfig) { c.ContainersPerPod = 0 }, "VPAConfig.ContainersPerPod"},
		{"zero first bucket", func(c *VPAConfig) { c.CPUFirstBucketCores = 0 }, "VPAConfig.CPUFirstBucketCores"},
		{"zero half-life", func(c *VPAConfig) { c.CPUHalfLife = 0 }, "VPAConfig.CPUHalfLife"},
		{"confidence interval below a minute", func(c *VPAConfig) { c.ConfidenceIntervalMemory = time.Second }, "VPAConfig.ConfidenceIntervalMemory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultVPAConfig()
			tt.modify(&c)
			var ie *InputError
			if err := c.Validate(); !errors.As(err, &ie) || ie.Arg != tt.arg {
				t.Errorf("Validate() = %v, want an InputError on %s", err, tt.arg)
			}
		})
	}
	if _, err := RecommendVPA(DefaultVPAConfig(), []UsageSample{{Time: vpaEpoch, Value: -1}}, nil, 0); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("negative usage: err = %v, want ErrInvalidInput", err)
	}
}

// BenchmarkRecommendVPA: one container, 14 days at one-minute steps of CPU
// and memory (20 160 samples each), diurnal.
func BenchmarkRecommendVPA(b *testing.B) {
	const n = 14 * 24 * 60
	cpu, mem := make([]UsageSample, n), make([]UsageSample, n)
	for i := range n {
		t := vpaEpoch.Add(time.Duration(i) * time.Minute)
		day := math.Sin(2 * math.Pi * float64(i) / 1440)
		cpu[i] = UsageSample{Time: t, Value: 0.25 + 0.1*day + 0.01*float64(i%7)}
		mem[i] = UsageSample{Time: t, Value: 350e6 + 30e6*day + 1e6*float64(i%11)}
	}
	cfg := DefaultVPAConfig()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := RecommendVPA(cfg, cpu, mem, 0.5); err != nil {
			b.Fatal(err)
		}
	}
}
