package hpa

import (
	"testing"
	"time"
)

// TestPropose_IsReconcilesMetricReplicas: Propose returns the metric
// proposal a reconcile computes on the same snapshot, and leaves the
// controller's history alone.
func TestPropose_IsReconcilesMetricReplicas(t *testing.T) {
	for _, tc := range []struct {
		replicas int32
		cpu      int64
	}{{4, 4000}, {4, 1000}, {3, 9000}, {10, 5200}} {
		w := &world{replicas: tc.replicas, totalCPU: tc.cpu}
		snap := w.snapshot(0, 1)
		p := mustController(t, DefaultConfig(), cpuSpec(1, 50, 50))
		got, ok := p.Propose(0, &snap)
		if !ok {
			t.Fatalf("%+v: no proposal", tc)
		}
		if len(p.recs) != 0 || p.recsSeeded {
			t.Errorf("%+v: Propose recorded a recommendation", tc)
		}
		r := mustController(t, DefaultConfig(), cpuSpec(1, 50, 50))
		if d := r.Reconcile(0, &snap); d.MetricReplicas != got {
			t.Errorf("%+v: Propose = %d, Reconcile's metric replicas = %d", tc, got, d.MetricReplicas)
		}
	}
	// Scaling disabled: spec.replicas 0 with minReplicas 1.
	w := &world{replicas: 0, totalCPU: 1000}
	snap := w.snapshot(0, 1)
	if _, ok := mustController(t, DefaultConfig(), cpuSpec(1, 50, 50)).Propose(0, &snap); ok {
		t.Error("Propose at 0 replicas with minReplicas 1 proposed a count")
	}
}

// TestSettle_StabilisationWindowBehind: a settled controller has a full
// stabilisation window of the steady count behind it, so a drop in load
// scales down one window after the settle time (300 s), where a fresh
// controller, which seeds its recommendations at its first sync (15 s),
// waits until one window after that.
func TestSettle_StabilisationWindowBehind(t *testing.T) {
	firstDown := func(settle bool) time.Duration {
		c := mustController(t, DefaultConfig(), cpuSpec(1, 50, 50))
		if settle {
			c.Settle(0, 8, 15*time.Second)
		}
		w := &world{replicas: 8, totalCPU: 2000} // 2 cores at 50 %: 4 pods
		for now := 15 * time.Second; now <= 10*time.Minute; now += 15 * time.Second {
			snap := w.snapshot(now, 1)
			if d := c.Reconcile(now, &snap); d.Rescale {
				return now
			}
		}
		return -1
	}
	if got := firstDown(true); got != 315*time.Second {
		t.Errorf("settled controller scaled down at %s, want 5m15s (its window starts at 0)", got)
	}
	if got := firstDown(false); got != 330*time.Second {
		t.Errorf("fresh controller scaled down at %s, want 5m30s (its window starts at its first sync)", got)
	}
}
