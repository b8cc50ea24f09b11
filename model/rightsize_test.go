package model

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// ramp is n samples a minute apart with values f(i).
func ramp(n int, f func(i int) float64) []UsageSample {
	s := make([]UsageSample, n)
	for i := range s {
		s[i] = UsageSample{Time: vpaEpoch.Add(time.Duration(i) * time.Minute), Value: f(i)}
	}
	return s
}

func TestRightsize_KrrStrategies(t *testing.T) {
	// CPU 1m, 2m, …, 1000m; memory up to 500Mi.
	cpu := ramp(1000, func(i int) float64 { return float64(i+1) / 1000 })
	mem := ramp(1000, func(i int) float64 { return float64(i+1) * (500 << 20) / 1000 })
	in := ContainerUsage{Container: "app", CPURequest: 0.5, CPULimit: 1, MemoryRequest: 512 << 20, MemoryLimit: 1 << 30, CPU: cpu, Memory: mem}
	tests := []struct {
		name                 string
		strategy             Strategy
		wantCPU, wantCPULim  float64
		wantMem, wantMemLim  float64
		wantRationaleContent string
	}{
		// PromQL quantile: rank 0.95·999 = 949.05 → 0.950 + 0.05·0.001 =
		// 0.95005 → 951m; krr adds no buffer to CPU. Memory: 500Mi × 1.15.
		{"percentile", StrategyPercentile, 0.951, 1.902, math.Ceil(500 << 20 * 1.15), math.Ceil(500 << 20 * 1.15), "p95 of 1000 samples is 950"},
		// max 1000m × 1.15 = 1150m.
		{"max", StrategyMax, 1.15, 2.3, math.Ceil(500 << 20 * 1.15), math.Ceil(500 << 20 * 1.15), "max of 1000 samples 1000m +15% buffer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultRightsizeConfig()
			cfg.Strategy = tt.strategy
			rec, err := Rightsize(cfg, in, nil)
			if err != nil {
				t.Fatal(err)
			}
			if rec.CPU.Target != tt.wantCPU || rec.CPU.RecommendedLimit != tt.wantCPULim {
				t.Errorf("cpu %v limit %v, want %v limit %v", rec.CPU.Target, rec.CPU.RecommendedLimit, tt.wantCPU, tt.wantCPULim)
			}
			if rec.Memory.Target != tt.wantMem || rec.Memory.RecommendedLimit != tt.wantMemLim {
				t.Errorf("memory %v limit %v, want %v limit %v (krr: limit = request)", rec.Memory.Target, rec.Memory.RecommendedLimit, tt.wantMem, tt.wantMemLim)
			}
			if rec.CPU.LowerBound != rec.CPU.Target || rec.CPU.UpperBound != rec.CPU.Target {
				t.Errorf("point estimate expected in all three: %+v", rec.CPU)
			}
			if !strings.Contains(strings.Join(rec.Rationale, "\n"), tt.wantRationaleContent) {
				t.Errorf("rationale lacks %q:\n%s", tt.wantRationaleContent, strings.Join(rec.Rationale, "\n"))
			}
			if rec.Confidence.Level != ConfidenceMedium {
				t.Errorf("confidence %+v, want medium (16.7 h of history)", rec.Confidence)
			}
		})
	}
}

func TestRightsize_VPAStrategyMatchesRecommendVPA(t *testing.T) {
	cpu, mem := constantHistory(0.35, 8*24*time.Hour), constantHistory(400<<20, 8*24*time.Hour)
	rec, err := Rightsize(DefaultRightsizeConfig(), ContainerUsage{CPURequest: 0.5, CPULimit: 0.5, MemoryRequest: 512 << 20, MemoryLimit: 512 << 20, CPU: cpu, Memory: mem}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rec.CPU.Target != 0.41 || rec.CPU.LowerBound != 0.409 || rec.CPU.UpperBound != 0.461 || rec.Memory.Target != 489<<20 {
		t.Errorf("cpu %+v memory %+v; want TestVPAConstantUsage's numbers", rec.CPU, rec.Memory)
	}
	// Limits keep their ratio (1): VPA's RequestsAndLimits.
	// 511772986 bytes rounded up to 489Mi.
	if rec.CPU.RecommendedLimit != 0.41 || rec.Memory.RecommendedLimit != 489<<20 {
		t.Errorf("limits %v / %v, want equal to the targets", rec.CPU.RecommendedLimit, rec.Memory.RecommendedLimit)
	}
	if rec.Confidence.Level != ConfidenceHigh || rec.VPA == nil {
		t.Errorf("confidence %+v, VPA estimate %v", rec.Confidence, rec.VPA)
	}
}

// TestRightsize_HistoryGates: krr's gates (100 points, 3 hours) give low
// confidence; under a week is medium.
func TestRightsize_HistoryGates(t *testing.T) {
	tests := []struct {
		name    string
		cpu     []UsageSample
		mem     []UsageSample
		want    ConfidenceLevel
		because string
	}{
		{"too few points", constantHistory(0.2, 50*time.Minute), constantHistory(1e8, 50*time.Minute), ConfidenceLow, "cpu: 50 samples over 49m0s; at least 100 over 3h0m0s"},
		{"too short", constantHistory(0.2, 2*time.Hour), constantHistory(1e8, 2*time.Hour), ConfidenceLow, "memory: 120 samples over 1h59m0s"},
		{"no memory", constantHistory(0.2, 5*time.Hour), nil, ConfidenceLow, "memory: no samples"},
		{"five hours", constantHistory(0.2, 5*time.Hour), constantHistory(1e8, 5*time.Hour), ConfidenceMedium, "0.2 days of history"},
		{"eight days", constantHistory(0.2, 8*24*time.Hour), constantHistory(1e8, 8*24*time.Hour), ConfidenceHigh, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultRightsizeConfig()
			cfg.Strategy = StrategyPercentile
			rec, err := Rightsize(cfg, ContainerUsage{CPURequest: 0.5, MemoryRequest: 1e9, CPU: tt.cpu, Memory: tt.mem}, nil)
			if err != nil {
				t.Fatal(err)
			}
			reasons := strings.Join(rec.Confidence.Reasons, "; ")
			if rec.Confidence.Level != tt.want || !strings.Contains(reasons, tt.because) {
				t.Errorf("confidence %s (%s), want %s because %q", rec.Confidence.Level, reasons, tt.want, tt.because)
			}
		})
	}
}

func TestRightsize_NoSamplesKeepsRequest(t *testing.T) {
	rec, err := Rightsize(DefaultRightsizeConfig(), ContainerUsage{CPURequest: 0.5, MemoryRequest: 1 << 30, MemoryLimit: 2 << 30, CPU: constantHistory(0.1, 8*24*time.Hour)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Memory.Target != 1<<30 || rec.Memory.RecommendedLimit != 2<<30 || rec.Memory.Changed() {
		t.Errorf("memory %+v, want unchanged", rec.Memory)
	}
	if !rec.CPU.Changed() {
		t.Errorf("cpu %+v should change", rec.CPU)
	}
}

func TestHPAUtilizationProposal(t *testing.T) {
	tests := []struct {
		name                    string
		current                 int32
		usage, request          int64
		target                  int32
		want                    int32
		explanationOfArithmetic string
	}{
		{"within tolerance", 3, 370, 500, 70, 3, "util 74, ratio 1.057 ≤ 1.1"},
		{"scale up", 3, 450, 500, 70, 4, "util 90, ratio 1.286, ceil(3.857)"},
		{"scale down", 6, 200, 500, 70, 4, "util 40, ratio 0.571, ceil(3.43)"},
		{"integer percent truncation", 10, 1099, 1000, 100, 10, "util 109 (not 109.9), ratio 1.09 within tolerance"},
		{"edge of tolerance is inside", 4, 550, 500, 100, 4, "util 110, ratio 1.1"},
		{"memory in milli-bytes", 3, 450 << 20 * 1000, 512 << 20 * 1000, 80, 4, "util 87, ratio 1.0875 inside; see next"},
	}
	tests[5].want = 3 // 87/80 = 1.0875 ≤ 1.1
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := HPAUtilizationProposal(tt.current, tt.usage, tt.request, tt.target, 0.1, 0.1); got != tt.want {
				t.Errorf("HPAUtilizationProposal(%d, %d, %d, %d) = %d, want %d (%s)", tt.current, tt.usage, tt.request, tt.target, got, tt.want, tt.explanationOfArithmetic)
			}
		})
	}
}

// TestRightsize_HPAFeedbackLoop: lowering the CPU request under an
// unchanged 70 % target makes the same peak read as a higher utilisation
// and the HPA scale out further; the adjusted target keeps the proposal.
func TestRightsize_HPAFeedbackLoop(t *testing.T) {
	// noa-mcp today: 500m request, target 70 % → scale point 350m per pod.
	cpu := constantHistory(0.3, 8*24*time.Hour)
	cpu[1000].Value = 0.42 // the observed peak
	hpa := &HPAScaling{MinReplicas: 3, MaxReplicas: 10, PeakReplicas: 3, ScaleUpTolerance: 0.1, ScaleDownTolerance: 0.1,
		Targets: []HPAUtilizationTarget{{MetricIndex: 0, Resource: ResourceCPU, TargetUtilization: 70}}}
	rec, err := Rightsize(DefaultRightsizeConfig(), ContainerUsage{CPURequest: 0.5, MemoryRequest: 512 << 20, CPU: cpu, Memory: constantHistory(300<<20, 8*24*time.Hour)}, hpa)
	if err != nil {
		t.Fatal(err)
	}
	if rec.HPA == nil || len(rec.HPA.Targets) != 1 {
		t.Fatalf("no HPA adjustment: %+v", rec.HPA)
	}
	c := rec.HPA.Targets[0]
	newReq := milliOf(rec.CPU.Target)
	// The loop: the new request with the old target asks for more pods.
	unchanged := HPAUtilizationProposal(3, 420, newReq, 70, 0.1, 0.1)
	if unchanged <= c.DesiredBefore {
		t.Errorf("with the target unchanged the HPA proposes %d, want more than %d (the feedback loop)", unchanged, c.DesiredBefore)
	}
	if c.DesiredAfter != c.DesiredBefore || c.Preserved != c.Checked || c.Checked != 8 {
		t.Errorf("adjusted: desired %d → %d, preserved %d of %d; want equal everywhere", c.DesiredBefore, c.DesiredAfter, c.Preserved, c.Checked)
	}
	if got, want := float64(c.NewTargetUtilization)*rec.CPU.Target, 70*0.5; math.Abs(got-want)/want > 0.01 {
		t.Errorf("scale point %v·%v = %v, want %v within 1%%", c.NewTargetUtilization, rec.CPU.Target, got, want)
	}
	if !strings.Contains(strings.Join(rec.Rationale, "\n"), "cpu target 70% → ") {
		t.Errorf("rationale does not say the target moves:\n%s", strings.Join(rec.Rationale, "\n"))
	}
}

// TestRightsize_HPAKeepsPeakProposal is a property over seeded random
// cases: for request changes within ×0.4…×2.5 the HPA's proposal at the
// observed peak and the peak's replica count is the same before and after,
// as reported. Integer percents and the tolerance band leave rare cases
// where no integer target within reach does it (near the band's edge with
// many pods); those must stay below 1 % and within one replica, and say so.
func TestRightsize_HPAKeepsPeakProposal(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	const cases = 3000
	misses := 0
	for i := range cases {
		req := float64(50+rng.IntN(3950)) / 1000
		T := int32(30 + rng.IntN(66))
		newReq := math.Ceil(req*(0.4+2.1*rng.Float64())*1000) / 1000
		peak := req * float64(T) / 100 * (0.3 + 1.2*rng.Float64())
		mn := int32(1 + rng.IntN(4))
		mx := mn + int32(rng.IntN(30))
		h := &HPAScaling{MinReplicas: mn, MaxReplicas: mx, PeakReplicas: mn + int32(rng.IntN(int(mx-mn+1))), ScaleUpTolerance: 0.1, ScaleDownTolerance: 0.1,
			Targets: []HPAUtilizationTarget{{Resource: ResourceCPU, TargetUtilization: T}}}
		cfg := DefaultRightsizeConfig()
		cfg.MaxTargetUtilization = 1000
		rec := Recommendation{CPU: ResourceRecommendation{Request: req, Target: newReq, UpperBound: newReq, PeakUsage: peak, Samples: 1}}
		rec.adjustHPA(cfg, h)
		if newReq == req {
			continue
		}
		c := rec.HPA.Targets[0]
		before := HPAUtilizationProposal(h.PeakReplicas, milliOf(peak), milliOf(req), T, 0.1, 0.1)
		after := HPAUtilizationProposal(h.PeakReplicas, milliOf(peak), milliOf(rec.CPU.Target), c.NewTargetUtilization, 0.1, 0.1)
		if c.DesiredBefore != before || c.DesiredAfter != after {
			t.Fatalf("case %d: reported %d → %d, recomputed %d → %d", i, c.DesiredBefore, c.DesiredAfter, before, after)
		}
		if before != after {
			misses++
			if after-before > 1 || before-after > 1 || !strings.Contains(strings.Join(rec.HPA.Why, " "), "no integer cpu target keeps") {
				t.Errorf("case %d: request %v→%v target %d→%d, peak %v on %d pods: proposal %d → %d; why %q",
					i, req, rec.CPU.Target, T, c.NewTargetUtilization, peak, h.PeakReplicas, before, after, rec.HPA.Why)
			}
		}
		if rec.CPU.Target < newReq || rec.CPU.Target > newReq*(1+hpaRequestNudge)+0.001 {
			t.Fatalf("case %d: request %v moved outside [%v, +5%%]", i, rec.CPU.Target, newReq)
		}
	}
	if misses > cases/100 {
		t.Errorf("%d of %d cases changed the proposal at the peak, want at most 1%%", misses, cases)
	}
	t.Logf("%d of %d cases could not keep the proposal exactly", misses, cases)
}

// TestRightsize_HPATargetCap: keeping the scale point with a much smaller
// request would need a target above 100 %; the request rises instead.
func TestRightsize_HPATargetCap(t *testing.T) {
	cpu := constantHistory(0.1, 8*24*time.Hour) // VPA target 126m
	hpa := &HPAScaling{MinReplicas: 2, MaxReplicas: 6, PeakReplicas: 2, ScaleUpTolerance: 0.1, ScaleDownTolerance: 0.1,
		Targets: []HPAUtilizationTarget{{MetricIndex: 1, Resource: ResourceCPU, TargetUtilization: 80}}}
	rec, err := Rightsize(DefaultRightsizeConfig(), ContainerUsage{CPURequest: 1, MemoryRequest: 512 << 20, CPU: cpu, Memory: constantHistory(300<<20, 8*24*time.Hour)}, hpa)
	if err != nil {
		t.Fatal(err)
	}
	c := rec.HPA.Targets[0]
	if rec.CPU.Target != 0.8 || c.NewTargetUtilization != 100 || c.MetricIndex != 1 {
		t.Errorf("request %v target %d%% (metric %d), want 800m at 100%% (1000m × 80%%)", rec.CPU.Target, c.NewTargetUtilization, c.MetricIndex)
	}
	if !strings.Contains(strings.Join(rec.HPA.Why, "\n"), "cpu request raised from 126m to 800m") {
		t.Errorf("why: %q", rec.HPA.Why)
	}
}

func TestRightsize_MemoryHPA(t *testing.T) {
	mem := constantHistory(300<<20, 8*24*time.Hour)
	hpa := &HPAScaling{MinReplicas: 3, MaxReplicas: 10, PeakReplicas: 3, ScaleUpTolerance: 0.1, ScaleDownTolerance: 0.1,
		Targets: []HPAUtilizationTarget{{MetricIndex: 0, Resource: ResourceCPU, TargetUtilization: 70}, {MetricIndex: 1, Resource: ResourceMemory, TargetUtilization: 80}}}
	rec, err := Rightsize(DefaultRightsizeConfig(), ContainerUsage{CPURequest: 0.5, MemoryRequest: 1 << 30, MemoryLimit: 1 << 30, Memory: mem}, hpa)
	if err != nil {
		t.Fatal(err)
	}
	if rec.HPA == nil || len(rec.HPA.Targets) != 1 || rec.HPA.Targets[0].Resource != ResourceMemory {
		t.Fatalf("want one memory target change (no CPU samples, CPU unchanged): %+v", rec.HPA)
	}
	c := rec.HPA.Targets[0]
	if c.DesiredAfter != c.DesiredBefore || math.Abs(float64(c.NewTargetUtilization)*rec.Memory.Target-80*(1<<30))/(80*(1<<30)) > 0.01 {
		t.Errorf("memory target 80%% → %d%% with request %v: scale point moved or proposal changed (%d → %d)", c.NewTargetUtilization, rec.Memory.Target, c.DesiredBefore, c.DesiredAfter)
	}
	if math.Mod(rec.Memory.Target, 1<<20) != 0 {
		t.Errorf("memory request %v is not whole MiB", rec.Memory.Target)
	}
}

// TestRightsize_HPAHugeRange: a replica range of two billion is checked
// around the peak's replica count, not walked whole.
func TestRightsize_HPAHugeRange(t *testing.T) {
	hpa := &HPAScaling{MinReplicas: 1, MaxReplicas: math.MaxInt32, PeakReplicas: 3, ScaleUpTolerance: 0.1, ScaleDownTolerance: 0.1,
		Targets: []HPAUtilizationTarget{{Resource: ResourceCPU, TargetUtilization: 70}}}
	rec, err := Rightsize(DefaultRightsizeConfig(), ContainerUsage{CPURequest: 0.5, MemoryRequest: 512 << 20, CPU: constantHistory(0.3, 8*24*time.Hour)}, hpa)
	if err != nil {
		t.Fatal(err)
	}
	if c := rec.HPA.Targets[0]; c.Checked != 1001 || c.DesiredAfter != c.DesiredBefore {
		t.Errorf("checked %d counts, proposal %d → %d; want 1001 and unchanged", c.Checked, c.DesiredBefore, c.DesiredAfter)
	}
}

func TestRightsize_InvalidInput(t *testing.T) {
	ok := ContainerUsage{CPURequest: 0.5, CPU: constantHistory(0.1, time.Hour)}
	tests := []struct {
		name string
		cfg  func(*RightsizeConfig)
		in   ContainerUsage
		hpa  *HPAScaling
		want string
	}{
		{"unknown strategy", func(c *RightsizeConfig) { c.Strategy = "median" }, ok, nil, `unknown strategy "median"`},
		{"percentile above 1", func(c *RightsizeConfig) { c.CPUPercentile = 95 }, ok, nil, "RightsizeConfig.CPUPercentile"},
		{"negative buffer", func(c *RightsizeConfig) { c.Buffer = -1 }, ok, nil, "RightsizeConfig.Buffer"},
		{"NaN usage", nil, ContainerUsage{CPU: []UsageSample{{Value: math.NaN()}}}, nil, "ContainerUsage.CPU[0].Value"},
		{"negative request", nil, ContainerUsage{MemoryRequest: -1}, nil, "ContainerUsage.MemoryRequest"},
		{"bad replica range", nil, ok, &HPAScaling{MinReplicas: 5, MaxReplicas: 2}, "replica range [5, 2]"},
		{"bad resource", nil, ok, &HPAScaling{MinReplicas: 1, MaxReplicas: 2, Targets: []HPAUtilizationTarget{{Resource: "gpu", TargetUtilization: 50}}}, `Targets[0].Resource "gpu"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultRightsizeConfig()
			if tt.cfg != nil {
				tt.cfg(&cfg)
			}
			_, err := Rightsize(cfg, tt.in, tt.hpa)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one containing %q", err, tt.want)
			}
		})
	}
	if _, err := ParseStrategy("vpa"); err != nil {
		t.Error(err)
	}
	var ie *InputError
	if _, err := Rightsize(DefaultRightsizeConfig(), ContainerUsage{CPULimit: math.Inf(1)}, nil); !errors.As(err, &ie) {
		t.Errorf("infinite limit: %v", err)
	}
}

func BenchmarkRightsize(b *testing.B) {
	const n = 14 * 24 * 60
	cpu := ramp(n, func(i int) float64 { return 0.25 + 0.1*math.Sin(2*math.Pi*float64(i)/1440) })
	mem := ramp(n, func(i int) float64 { return 350e6 + 30e6*math.Sin(2*math.Pi*float64(i)/1440) })
	in := ContainerUsage{CPURequest: 0.5, CPULimit: 0.5, MemoryRequest: 512 << 20, MemoryLimit: 512 << 20, CPU: cpu, Memory: mem}
	hpa := &HPAScaling{MinReplicas: 3, MaxReplicas: 10, PeakReplicas: 3, ScaleUpTolerance: 0.1, ScaleDownTolerance: 0.1,
		Targets: []HPAUtilizationTarget{{Resource: ResourceCPU, TargetUtilization: 70}, {MetricIndex: 1, Resource: ResourceMemory, TargetUtilization: 80}}}
	for _, s := range []Strategy{StrategyVPA, StrategyPercentile} {
		b.Run(string(s), func(b *testing.B) {
			cfg := DefaultRightsizeConfig()
			cfg.Strategy = s
			for b.Loop() {
				if _, err := Rightsize(cfg, in, hpa); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// ExampleRightsize right-sizes a container that used a steady 300m CPU and
// 400Mi memory for eight days under a CPU HPA at 70 % of a 500m request.
func ExampleRightsize() {
	start := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	var cpu, mem []UsageSample
	for i := range 8 * 24 * 60 {
		t := start.Add(time.Duration(i) * time.Minute)
		cpu = append(cpu, UsageSample{Time: t, Value: 0.3})
		mem = append(mem, UsageSample{Time: t, Value: 400 << 20})
	}
	rec, err := Rightsize(DefaultRightsizeConfig(),
		ContainerUsage{Container: "api", CPURequest: 0.5, MemoryRequest: 1 << 30, CPU: cpu, Memory: mem},
		&HPAScaling{MinReplicas: 2, MaxReplicas: 10, PeakReplicas: 4, ScaleUpTolerance: 0.1, ScaleDownTolerance: 0.1,
			Targets: []HPAUtilizationTarget{{MetricIndex: 0, Resource: ResourceCPU, TargetUtilization: 70}}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("cpu %v → %v cores, memory %v → %v MiB (%s confidence)\n",
		rec.CPU.Request, rec.CPU.Target, rec.Memory.Request/(1<<20), rec.Memory.Target/(1<<20), rec.Confidence.Level)
	for _, t := range rec.HPA.Targets {
		fmt.Printf("HPA %s target %d%% → %d%%, proposal at the peak %d → %d replicas\n",
			t.Resource, t.TargetUtilization, t.NewTargetUtilization, t.DesiredBefore, t.DesiredAfter)
	}
	// Output:
	// cpu 0.5 → 0.35 cores, memory 1024 → 489 MiB (high confidence)
	// HPA cpu target 70% → 100%, proposal at the peak 4 → 4 replicas
}
