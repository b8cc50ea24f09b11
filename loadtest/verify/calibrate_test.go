package verify

import (
	"context"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/headroom-dev/headroom/loadtest"
	"github.com/headroom-dev/headroom/model"
	"github.com/headroom-dev/headroom/scenarios"
)

func TestInvertMMc(t *testing.T) {
	tests := []struct {
		name string
		lam  float64
		s    float64
		c    int
	}{
		{"M/M/1 at ρ 0.5", 25, 0.02, 1},
		{"M/M/8 at ρ 0.25", 100, 0.02, 8},
		{"M/M/8 at ρ 0.9", 360, 0.02, 8},
		{"M/M/64 at ρ 0.1", 32, 0.2, 64},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			R := model.MMc{Lambda: tc.lam, Mu: 1 / tc.s, C: tc.c}.MeanResponse()
			got, err := invertMMc(tc.lam, R, tc.c)
			if err != nil || math.Abs(got-tc.s) > 1e-9 {
				t.Errorf("invert(λ %v, R %v, c %d) = %v, %v; want %v", tc.lam, R, tc.c, got, err, tc.s)
			}
		})
	}
}

// syntheticRun is a run of 1 s windows at the given rates on one pod whose
// response times are exponential with mean 20 ms (a lightly loaded M/M/8:
// the wait is negligible), with the service's CPU watched as
// 50m + 2 ms per request.
func syntheticRun(rates []int, seed uint64) *loadtest.Result {
	rng := rand.New(rand.NewPCG(seed, 1))
	res := &loadtest.Result{SchemaVersion: loadtest.ResultSchemaVersion, Speedup: 1, Window: loadtest.Duration{Duration: time.Second}, Service: "mmc", Valid: true}
	for i, r := range rates {
		w := loadtest.Window{Offset: float64(i), ScenarioTime: float64(i), Sent: int64(r), Completed: int64(r), Latency: loadtest.NewHistogram()}
		for range r {
			w.Latency.Record(rng.ExpFloat64() * 0.020)
		}
		w.Summarise(1)
		res.Windows = append(res.Windows, w)
		res.Watch = append(res.Watch, loadtest.WatchSample{Offset: float64(i) + 0.5, ReadyReplicas: 1, CPUCores: 0.05 + 0.002*float64(r)})
	}
	return res
}

func TestCalibrate_RecoversServiceTimeAndCPU(t *testing.T) {
	rates := make([]int, 60)
	for i := range rates {
		rates[i] = 40 + i // ρ from 0.1 to 0.25
	}
	cal, err := Calibrate(context.Background(), mmcPlan(t), syntheticRun(rates, 5), "mmc")
	if err != nil {
		t.Fatal(err)
	}
	if cal.Windows != 60 {
		t.Errorf("%d low-load windows, want 60", cal.Windows)
	}
	// 5,340 exponential samples: the mean's standard error is 1.4 %.
	if math.Abs(cal.MeanService/0.020-1) > 0.05 {
		t.Errorf("mean service %v, want 20 ms ± 5 %%", cal.MeanService)
	}
	if math.Abs(cal.CV-1) > 0.1 {
		t.Errorf("cv %v, want 1 ± 0.1", cal.CV)
	}
	// The exponential's p95 is −ln 0.05 × mean = 59.9 ms.
	if math.Abs(cal.P95Service/0.0599-1) > 0.1 {
		t.Errorf("p95 %v, want 59.9 ms ± 10 %%", cal.P95Service)
	}
	if cal.CPUPerRequest == nil || math.Abs(*cal.CPUPerRequest-0.002) > 1e-9 || cal.IdleCoresPerPod == nil || math.Abs(*cal.IdleCoresPerPod-0.05) > 1e-9 {
		t.Errorf("cpu per request %v idle %v, want 2 ms and 50m", cal.CPUPerRequest, cal.IdleCoresPerPod)
	}
}

func TestCalibrate_Refuses(t *testing.T) {
	busy := make([]int, 10)
	for i := range busy {
		busy[i] = 300 // ρ ≈ 0.75 on 8 slots
	}
	tests := []struct {
		name    string
		res     *loadtest.Result
		service string
		want    string
	}{
		{"no low-load window", syntheticRun(busy, 1), "mmc", "below ρ = 0.3"},
		{"too few requests", syntheticRun([]int{3, 4, 5}, 1), "mmc", "nothing to calibrate"},
		{"unknown service", syntheticRun([]int{50}, 1), "nope", `no service "nope"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Calibrate(context.Background(), mmcPlan(t), tc.res, tc.service)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err %v, want %q", err, tc.want)
			}
		})
	}
}

func TestApplyCalibration(t *testing.T) {
	cpu, idle := 0.0021, 0.045
	cal := &Calibration{Service: "mmc", MeanService: 0.02134, P95Service: 0.0641, CV: 1.0234, CPUPerRequest: &cpu, IdleCoresPerPod: &idle}
	tests := []struct {
		name, plan, service, shape string
	}{
		{"mmc-cv", "../testdata/mmc-plan.yaml", "mmc", ShapeCV},
		{"noa-p95", "../../scenarios/examples/noa.yaml", "noa-mcp", ShapeP95},
		{"noa-cv", "../../scenarios/examples/noa.yaml", "noa-mcp", ShapeCV},
		// Flow mappings ({mean: 120ms, cv: 1.5}) are beyond the text splice:
		// the node tree is re-encoded.
		{"noa-flow-reencoded", "../../scenarios/examples/noa.yaml", "noa-claude-flow", ShapeCV},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in, err := os.ReadFile(tc.plan)
			if err != nil {
				t.Fatal(err)
			}
			c := *cal
			c.Service = tc.service
			out, err := ApplyCalibration(tc.plan, in, &c, tc.shape, "calibrated from run.json")
			if err != nil {
				t.Fatal(err)
			}
			p, err := scenarios.Parse(tc.plan, out)
			if err != nil {
				t.Fatal(err)
			}
			svc := p.Service(tc.service)
			if svc.ServiceTime.Mean.D() != 21340*time.Microsecond || svc.CPU.PerRequest == nil || svc.CPU.PerRequest.D() != 2100*time.Microsecond || svc.CPU.ObservedPerPod != nil {
				t.Errorf("service time %v, cpu %+v", svc.ServiceTime.Mean, svc.CPU)
			}
			if (svc.ServiceTime.CV != nil) != (tc.shape == ShapeCV) || (svc.ServiceTime.P95 != nil) != (tc.shape == ShapeP95) {
				t.Errorf("shape %s: cv %v p95 %v", tc.shape, svc.ServiceTime.CV, svc.ServiceTime.P95)
			}
			golden(t, "calibrated-"+tc.name+".golden.yaml", out)
			// The splice leaves every other line as it was.
			if !strings.Contains(tc.name, "reencoded") {
				kept := 0
				for _, l := range strings.Split(string(in), "\n") {
					if strings.Contains(string(out), l+"\n") {
						kept++
					}
				}
				if changed := len(strings.Split(string(in), "\n")) - kept; changed > 6 {
					t.Errorf("%d lines changed, want at most the 6 calibrated ones", changed)
				}
			}
		})
	}
}

func TestApplyCalibration_Refuses(t *testing.T) {
	cal := &Calibration{Service: "mmc", MeanService: 0.02, P95Service: 0.06, CV: 1}
	tests := []struct {
		name, yaml, shape, want string
	}{
		{"not a mapping", "- a\n- b\n", ShapeCV, "not a single YAML mapping"},
		{"no services", "apiVersion: x\n", ShapeCV, "no services"},
		{"no such service", "services:\n  - name: other\n", ShapeCV, `no service named "mmc"`},
		{"bad shape", "services: []\n", "sd", "shape"},
		{"invalid plan after edit", "services:\n  - name: mmc\n", ShapeCV, "does not validate"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ApplyCalibration("p.yaml", []byte(tc.yaml), cal, tc.shape, "")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err %v, want %q", err, tc.want)
			}
		})
	}
}

func FuzzApplyCalibration(f *testing.F) {
	for _, p := range []string{"../testdata/mmc-plan.yaml", "../../scenarios/examples/noa.yaml"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("services:\n  - name: mmc\n    serviceTime: 3\n    cpu: [1]\n"))
	cal := &Calibration{Service: "mmc", MeanService: 0.02, P95Service: 0.06, CV: 1}
	f.Fuzz(func(t *testing.T, b []byte) {
		out, err := ApplyCalibration("fuzz.yaml", b, cal, ShapeCV, "x")
		if err == nil {
			if _, err := scenarios.Parse("fuzz.yaml", out); err != nil {
				t.Fatalf("returned a plan that does not parse: %v", err)
			}
		}
	})
}

// TestCalibrate_JoinsSparseWindows: at 4 requests a second, windows are
// joined five at a time into blocks of 20 completions.
func TestCalibrate_JoinsSparseWindows(t *testing.T) {
	rates := make([]int, 100)
	for i := range rates {
		rates[i] = 4
	}
	cal, err := Calibrate(context.Background(), mmcPlan(t), syntheticRun(rates, 9), "mmc")
	if err != nil {
		t.Fatal(err)
	}
	if cal.Windows != 20 || math.Abs(cal.MeanService/0.020-1) > 0.15 {
		t.Errorf("%d blocks, mean %v; want 20 blocks and 20 ms ± 15 %% (400 samples)", cal.Windows, cal.MeanService)
	}
}
