package model

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

// runbookMCP is noa-mcp as the scaling runbook describes it: 1000 req/min on
// 3 pods of 500m, which the runbook treats as full; full read as the HPA's
// 70 % CPU target, so each pod uses 350m.
func runbookMCP(ratePerMin float64) Workload {
	return Workload{
		ArrivalRate:   ratePerMin / 60,
		ServiceMean:   0.25,
		ServiceCS2:    1,
		Concurrency:   4,
		CPUPerRequest: 0.35 * 3 / (1000.0 / 60),
		CPURequest:    0.5,
		MemoryBase:    300 << 20,
		MemoryRequest: 512 << 20,
	}
}

func TestSize(t *testing.T) {
	tests := []struct {
		name        string
		w           Workload
		req         Requirement
		mode        Mode
		want        int
		wantBinding Constraint
	}{
		// Runbook, "Calculate Required Capacity": 2000 req/min needs 6 pods.
		{"runbook 2x growth, utilisation arithmetic", runbookMCP(2000), Requirement{UtilisationCeiling: 0.7}, Utilization, 6, ConstraintCPU},
		{"runbook today's load", runbookMCP(1000), Requirement{UtilisationCeiling: 0.7}, Utilization, 3, ConstraintCPU},
		// λ = 5000/s, E[S] = 0.2 s, k = 1, ρ = 0.7: ⌈5000·0.2/0.7⌉ = 1429.
		{"slot utilisation target", Workload{ArrivalRate: 5000, ServiceMean: 0.2, ServiceCS2: 1, Concurrency: 1, CPURequest: 1},
			Requirement{UtilisationCeiling: 0.7}, Utilization, 1429, ConstraintSlots},
		{"zone loss: 6 needed over 3 zones survive 1", runbookMCP(2000), Requirement{UtilisationCeiling: 0.7, Zones: 3, ZoneLosses: 1}, Utilization, 9, ConstraintZoneLoss},
		{"spare N+2", runbookMCP(2000), Requirement{UtilisationCeiling: 0.7, Spare: 2}, Utilization, 8, ConstraintSpare},
		{"minimum", runbookMCP(100), Requirement{UtilisationCeiling: 0.7, MinReplicas: 3}, Utilization, 3, ConstraintMinReplicas},
		{"latency SLO binds in queueing mode", Workload{ArrivalRate: 20, ServiceMean: 0.3, ServiceCS2: 1, Concurrency: 1, CPURequest: 1},
			Requirement{UtilisationCeiling: 0.95, LatencyQuantile: 0.95, LatencyTarget: 1}, Queueing, 0, ConstraintLatency},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Size(tt.w, tt.req, tt.mode)
			if err != nil {
				t.Fatal(err)
			}
			if tt.want != 0 && got.Replicas != tt.want {
				t.Errorf("Replicas = %d, want %d (by constraint %v)", got.Replicas, tt.want, got.ByConstraint)
			}
			if got.Binding != tt.wantBinding {
				t.Errorf("Binding = %s, want %s (by constraint %v)", got.Binding, tt.wantBinding, got.ByConstraint)
			}
			if got.Prediction.Replicas != got.Replicas {
				t.Errorf("prediction at %d, want %d", got.Prediction.Replicas, got.Replicas)
			}
		})
	}
}

func TestSize_LatencyMatchesPerPodQueue(t *testing.T) {
	// Each pod an M/M/1 at λ/N with E[S] = 0.3 s; p95 ≤ 1 s. The per-pod
	// p95 of M/M/1 is ln(20)/(μ − λ/N), so N = ⌈λ / (μ − ln 20)⌉.
	w := Workload{ArrivalRate: 20, ServiceMean: 0.3, ServiceCS2: 1, Concurrency: 1, CPURequest: 1}
	got, err := Size(w, Requirement{UtilisationCeiling: 0.99, LatencyQuantile: 0.95, LatencyTarget: 1}, Queueing)
	if err != nil {
		t.Fatal(err)
	}
	want := int(math.Ceil(20 / (1/0.3 - math.Log(20))))
	if got.Replicas != want {
		t.Errorf("Replicas = %d, want %d", got.Replicas, want)
	}
	if got.Prediction.QuantileResponse > 1 {
		t.Errorf("p95 at the sizing = %g s, above the 1 s target", got.Prediction.QuantileResponse)
	}
	less, err := Predict(w, got.Replicas-1, 0.95)
	if err != nil {
		t.Fatal(err)
	}
	if less.QuantileResponse <= 1 {
		t.Errorf("one replica fewer already meets the SLO (p95 %g s): the search is not minimal", less.QuantileResponse)
	}
}

func TestSize_LatencySearchEqualsScan(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 200 {
		w := Workload{
			ArrivalRate: 1 + rng.Float64()*500,
			ServiceMean: 0.01 + rng.Float64()*0.5,
			ServiceCS2:  []float64{1, 0.25, 2}[i%3],
			Concurrency: 1 + rng.IntN(16),
			CPURequest:  1,
		}
		target := ServiceQuantile(1/w.ServiceMean, w.ServiceCS2, 0.95) * (1.05 + rng.Float64())
		got, err := replicasForLatency(w, 0.95, target, 1)
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		scan := 1
		for {
			q, err := podQuantile(w, w.ArrivalRate/float64(scan), 0.95)
			if err == nil && q <= target {
				break
			}
			scan++
		}
		if got != scan {
			t.Fatalf("case %d (%+v, target %g): search %d, scan %d", i, w, target, got, scan)
		}
	}
}

func TestSize_Infeasible(t *testing.T) {
	// Exponential service of mean 0.5 s has p95 ln(20)/2 = 1.50 s alone,
	// so a 1 s p95 SLO is unreachable.
	w := Workload{ArrivalRate: 10, ServiceMean: 0.5, ServiceCS2: 1, Concurrency: 4, CPURequest: 1}
	_, err := Size(w, Requirement{UtilisationCeiling: 0.7, LatencyQuantile: 0.95, LatencyTarget: 1}, Queueing)
	var inf *InfeasibleError
	if !errors.As(err, &inf) {
		t.Fatalf("error = %v, want *InfeasibleError", err)
	}
	if math.Abs(inf.Bound-0.5*math.Log(20)) > 1e-9 {
		t.Errorf("Bound = %g, want the service p95 %g", inf.Bound, 0.5*math.Log(20))
	}
	const want = "the service time alone has p95 = 1.5s, above the 1s target: no replica count can meet this SLO; reduce the service time or relax the target"
	if inf.Reason != want {
		t.Errorf("Reason = %q\nwant     %q", inf.Reason, want)
	}
	// The utilisation mode does not look at latency, so it sizes anyway.
	if _, err := Size(w, Requirement{UtilisationCeiling: 0.7, LatencyQuantile: 0.95, LatencyTarget: 1}, Utilization); err != nil {
		t.Errorf("utilization mode: %v", err)
	}
}

func TestSize_BadInput(t *testing.T) {
	good := runbookMCP(1000)
	tests := []struct {
		name string
		edit func(*Workload, *Requirement)
		want string
	}{
		{"negative rate", func(w *Workload, r *Requirement) { w.ArrivalRate = -1 }, "arrival rate must be a finite number ≥ 0, got -1"},
		{"NaN service", func(w *Workload, r *Requirement) { w.ServiceMean = math.NaN() }, "service mean must be a finite number > 0, got NaN"},
		{"zero concurrency", func(w *Workload, r *Requirement) { w.Concurrency = 0 }, "concurrency must be at least 1, got 0"},
		{"ceiling 100%", func(w *Workload, r *Requirement) { r.UtilisationCeiling = 1 }, "utilisation ceiling must be in (0, 1), got 1"},
		{"idle above ceiling", func(w *Workload, r *Requirement) { w.CPUIdle = 0.4 }, "idle CPU 0.4 cores is above 70% of the 0.5-core request: no replica count stays under the ceiling; raise the CPU request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, r := good, Requirement{UtilisationCeiling: 0.7}
			tt.edit(&w, &r)
			_, err := Size(w, r, Queueing)
			if err == nil || err.Error() != tt.want {
				t.Errorf("error = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestReplicasSurvivingZoneLoss(t *testing.T) {
	tests := []struct{ need, zones, losses, want int }{
		{6, 3, 1, 9},
		{7, 3, 1, 11}, // 10 leaves 10 − 4 = 6
		{1, 2, 1, 2},
		{10, 5, 2, 18}, // 17 leaves 17 − 2·⌈17/5⌉ = 9; 18 leaves 10
	}
	for _, tt := range tests {
		if got := replicasSurvivingZoneLoss(tt.need, tt.zones, tt.losses); got != tt.want {
			t.Errorf("replicasSurvivingZoneLoss(%d, %d, %d) = %d, want %d", tt.need, tt.zones, tt.losses, got, tt.want)
		}
	}
}

func TestPredict_LittlesLawMemory(t *testing.T) {
	w := runbookMCP(2000)
	w.MemoryPerInFlight = 10 << 20
	p, err := Predict(w, 6, 0.95)
	if err != nil {
		t.Fatal(err)
	}
	want := w.MemoryBase + w.MemoryPerInFlight*w.ArrivalRate/6*p.QuantileResponse
	if math.Abs(p.MemoryPerPod-want) > 1 {
		t.Errorf("MemoryPerPod = %g, want %g", p.MemoryPerPod, want)
	}
	if math.Abs(p.CPUUtilisation-0.7) > 1e-12 {
		t.Errorf("CPU utilisation at 6 pods = %g, want 0.7", p.CPUUtilisation)
	}
	unstable, err := Predict(w, 1, 0.95)
	if err != nil || unstable.Stable || !math.IsInf(unstable.P95Response, 1) {
		t.Errorf("1 pod: %+v, %v; want unstable with infinite p95", unstable, err)
	}
}

func BenchmarkSize(b *testing.B) {
	w := Workload{ArrivalRate: 3000, ServiceMean: 0.2, ServiceCS2: 1.5, Concurrency: 8, CPUPerRequest: 0.01, CPURequest: 1}
	req := Requirement{UtilisationCeiling: 0.7, LatencyQuantile: 0.95, LatencyTarget: 1, Zones: 3, ZoneLosses: 1}
	for b.Loop() {
		if _, err := Size(w, req, Queueing); err != nil {
			b.Fatal(err)
		}
	}
}

func TestPredict_ThrottledAtTheCPULimit(t *testing.T) {
	w := runbookMCP(2000)
	w.CPULimit = 0.5
	// 3 pods: 11.1 req/s × 0.063 core-s = 0.7 cores per pod against a 500m limit.
	p, err := Predict(w, 3, 0.95)
	if err != nil {
		t.Fatal(err)
	}
	if p.Stable || !math.IsInf(p.P95Response, 1) {
		t.Errorf("a pod needing 0.7 cores under a 0.5-core limit is stable: %+v", p)
	}
	if p, _ := Predict(w, 6, 0.95); !p.Stable {
		t.Errorf("6 pods at 0.35 cores each are throttled: %+v", p)
	}
}

// TestPodResponseSurvival_InvertsQuantile: P(T > q_p) = 1 − p for the
// pod's response time, exponential (M/M/k) and gamma (G/G/k) service, and
// the service-time survival at rate 0.
func TestPodResponseSurvival_InvertsQuantile(t *testing.T) {
	for _, cs2 := range []float64{1, 0.25, 2.25} {
		w := Workload{ServiceMean: 0.2, ServiceCS2: cs2, Concurrency: 4}
		for _, rate := range []float64{0, 5, 15, 19.5} {
			for _, p := range []float64{0.5, 0.95, 0.999} {
				q, err := w.PodResponseQuantile(rate, p)
				if err != nil {
					t.Fatal(err)
				}
				s, err := w.PodResponseSurvival(rate, q)
				if err != nil {
					t.Fatal(err)
				}
				if math.Abs(s-(1-p)) > 1e-9 {
					t.Errorf("cs2 %g rate %g: P(T > q%g = %.6g) = %.12g, want %g", cs2, rate, p, q, s, 1-p)
				}
			}
		}
	}
	if _, err := (Workload{ServiceMean: 0.2, ServiceCS2: 1, Concurrency: 4}).PodResponseSurvival(20, 1); err == nil {
		t.Error("an unstable pod gave no error")
	}
	if s := ServiceSurvival(5, 1, 0.2); math.Abs(s-math.Exp(-1)) > 1e-15 {
		t.Errorf("exponential survival %g, want e^-1", s)
	}
	if !math.IsNaN(ServiceSurvival(0, 1, 1)) || ServiceSurvival(5, 0, 0.1) != 1 || ServiceSurvival(5, 0, 0.3) != 0 {
		t.Error("ServiceSurvival edge cases")
	}
}
