package hpa

import (
	"testing"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
)

// BenchmarkReconcile measures one steady-state sync of a two-metric HPA
// (CPU utilization and a Pods metric) over 10 ready pods, at target so that
// the count does not change, on the legacy and the behavior path. Run with
//
//	go test ./sim/hpa -run '^$' -bench BenchmarkReconcile -benchmem
func BenchmarkReconcile(b *testing.B) {
	for _, tc := range []struct {
		name     string
		behavior *autoscalingv2.HorizontalPodAutoscalerBehavior
	}{
		{"legacy", nil},
		{"behavior", &autoscalingv2.HorizontalPodAutoscalerBehavior{}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			spec := cpuSpec(2, 50, 60)
			spec.Metrics = append(spec.Metrics, qpsMetric(20000))
			spec.Behavior = tc.behavior
			c := mustController(b, DefaultConfig(), spec)
			w := &world{replicas: 10, totalCPU: 6000, qps: 200000}
			var now time.Duration
			// Warm up past the stabilisation window so the history has its
			// steady size.
			for range 40 {
				s := w.snapshot(now, 2)
				if d := c.Reconcile(now, &s); d.Rescale {
					b.Fatalf("steady state rescaled to %d", d.Replicas)
				}
				now += 15 * time.Second
			}
			s := w.snapshot(now, 2)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				d := c.Reconcile(now, &s)
				if d.Rescale {
					b.Fatalf("steady state rescaled to %d", d.Replicas)
				}
				now += 15 * time.Second
			}
		})
	}
}

// TestReconcileSteadyStateAllocs pins the allocation-free steady state.
func TestReconcileSteadyStateAllocs(t *testing.T) {
	spec := cpuSpec(2, 50, 60)
	spec.Metrics = append(spec.Metrics, qpsMetric(20000))
	spec.Behavior = &autoscalingv2.HorizontalPodAutoscalerBehavior{}
	c := mustController(t, DefaultConfig(), spec)
	w := &world{replicas: 10, totalCPU: 6000, qps: 200000}
	var now time.Duration
	for range 40 {
		s := w.snapshot(now, 2)
		c.Reconcile(now, &s)
		now += 15 * time.Second
	}
	s := w.snapshot(now, 2)
	allocs := testing.AllocsPerRun(100, func() {
		c.Reconcile(now, &s)
		now += 15 * time.Second
	})
	if allocs != 0 {
		t.Errorf("steady-state Reconcile allocates %v times per call", allocs)
	}
}
