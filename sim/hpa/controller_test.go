package hpa

import (
	"errors"
	"fmt"
	"testing"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// world is a minimal cluster for multi-sync tests: the scale follows the
// controller at once, every pod is Running, Ready, past CPU initialisation,
// requests 1000m CPU and uses an equal share of totalCPU.
type world struct {
	replicas int32
	totalCPU int64 // millicores over all pods
	qps      int64 // milli-requests/s over all pods (Pods metric)
	pods     []Pod
	cpu      []Sample
	qpsS     []Sample
	metrics  []MetricValues
}

func (w *world) snapshot(now time.Duration, nMetrics int) Snapshot {
	n := int(w.replicas)
	for len(w.pods) < n {
		i := len(w.pods)
		w.pods = append(w.pods, Pod{
			Name:                fmt.Sprintf("p%d", i),
			Phase:               PodRunning,
			Ready:               Ready,
			StartTime:           -time.Hour,
			ReadyTransitionTime: -time.Hour,
			Containers:          []Container{{Name: "app", Requests: []ResourceAmount{{Name: corev1.ResourceCPU, Milli: 1000}}}},
		})
		w.cpu = append(w.cpu, Sample{})
		w.qpsS = append(w.qpsS, Sample{})
	}
	pods := w.pods[:n]
	for i := range pods {
		w.cpu[i] = Sample{Present: true, Milli: w.totalCPU / int64(n), Timestamp: now - 10*time.Second, Window: 30 * time.Second}
		w.qpsS[i] = Sample{Present: true, Milli: w.qps / int64(n), Timestamp: now - 10*time.Second, Window: 30 * time.Second}
	}
	w.metrics = append(w.metrics[:0], MetricValues{Samples: w.cpu[:n]})
	if nMetrics > 1 {
		w.metrics = append(w.metrics, MetricValues{Samples: w.qpsS[:n]})
	}
	return Snapshot{SpecReplicas: w.replicas, StatusReplicas: w.replicas, Pods: pods, Metrics: w.metrics}
}

func cpuSpec(min, max, util int32) *autoscalingv2.HorizontalPodAutoscalerSpec {
	return &autoscalingv2.HorizontalPodAutoscalerSpec{
		ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{Kind: "Deployment", Name: "app"},
		MinReplicas:    &min,
		MaxReplicas:    max,
		Metrics: []autoscalingv2.MetricSpec{{
			Type: autoscalingv2.ResourceMetricSourceType,
			Resource: &autoscalingv2.ResourceMetricSource{
				Name:   corev1.ResourceCPU,
				Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: &util},
			},
		}},
	}
}

func qpsMetric(avgMilli int64) autoscalingv2.MetricSpec {
	return autoscalingv2.MetricSpec{
		Type: autoscalingv2.PodsMetricSourceType,
		Pods: &autoscalingv2.PodsMetricSource{
			Metric: autoscalingv2.MetricIdentifier{Name: "qps"},
			Target: autoscalingv2.MetricTarget{Type: autoscalingv2.AverageValueMetricType, AverageValue: resource.NewMilliQuantity(avgMilli, resource.DecimalSI)},
		},
	}
}

func mustController(t testing.TB, cfg Config, spec *autoscalingv2.HorizontalPodAutoscalerSpec) *Controller {
	t.Helper()
	c, err := NewController(cfg, spec)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// step runs one sync and applies the decision to the world.
func (w *world) step(c *Controller, now time.Duration, nMetrics int) Decision {
	s := w.snapshot(now, nMetrics)
	d := c.Reconcile(now, &s)
	if d.Rescale {
		w.replicas = d.Replicas
	}
	return d
}

// TestReconcileLegacyUpThenHeldDown follows a legacy HPA through a load
// spike: the scale-up is immediate (capped at 2x per sync), the scale-down
// waits for the 5-minute window after the last high recommendation.
func TestReconcileLegacyUpThenHeldDown(t *testing.T) {
	cfg := DefaultConfig()
	c := mustController(t, cfg, cpuSpec(2, 20, 50))
	w := &world{replicas: 2, totalCPU: 1000} // 50 % of 2 pods: at target
	var now time.Duration

	// A fresh controller seeds its history with the current count.
	d := w.step(c, now, 1)
	if d.Rescale || d.MetricReplicas != 2 {
		t.Fatalf("at target: %+v", d)
	}

	// Load x4: raw 8, legacy cap max(2*2, 4) = 4 on the first sync.
	w.totalCPU = 4000
	now += 15 * time.Second
	d = w.step(c, now, 1)
	if !d.Rescale || d.Replicas != 4 || d.Conditions.ScalingLimited.Reason != ReasonScaleUpLimit {
		t.Fatalf("first scale-up = %d (%s), want 4 (ScaleUpLimit)", d.Replicas, d.Conditions.ScalingLimited.Reason)
	}
	if d.RescaleReason() != "cpu resource utilization (percentage of request) above target" {
		t.Errorf("RescaleReason = %q", d.RescaleReason())
	}
	now += 15 * time.Second
	d = w.step(c, now, 1)
	if d.Replicas != 8 {
		t.Fatalf("second scale-up = %d, want 8", d.Replicas)
	}
	highAt := now

	// Load back to 1000m: raw 2, held at 8 until the window has passed the
	// last recommendation of 8 (inclusive window: held at exactly 5 min).
	w.totalCPU = 1000
	for now = highAt + 15*time.Second; now <= highAt+cfg.DownscaleStabilizationWindow; now += 15 * time.Second {
		d = w.step(c, now, 1)
		if d.Rescale {
			t.Fatalf("t=%v: scaled to %d inside the stabilisation window", now-highAt, d.Replicas)
		}
		if d.Conditions.AbleToScale.Reason != ReasonScaleDownStabilized {
			t.Fatalf("t=%v: AbleToScale %s, want ScaleDownStabilized", now-highAt, d.Conditions.AbleToScale.Reason)
		}
	}
	d = w.step(c, now, 1)
	if !d.Rescale || d.Replicas != 2 {
		t.Fatalf("after the window: %d (rescale %v), want 2", d.Replicas, d.Rescale)
	}
	if d.RescaleReason() != "All metrics below target" {
		t.Errorf("RescaleReason = %q", d.RescaleReason())
	}
}

// TestReconcileBehaviorPodsPolicy checks the behavior path over several
// syncs: scale-up Pods 1 per 60 s allows one pod per minute, counted from
// the stored scale events.
func TestReconcileBehaviorPodsPolicy(t *testing.T) {
	spec := cpuSpec(1, 10, 50)
	one := int32(1)
	spec.Behavior = &autoscalingv2.HorizontalPodAutoscalerBehavior{
		ScaleUp: &autoscalingv2.HPAScalingRules{Policies: []autoscalingv2.HPAScalingPolicy{{Type: autoscalingv2.PodsScalingPolicy, Value: one, PeriodSeconds: 60}}},
	}
	c := mustController(t, DefaultConfig(), spec)
	w := &world{replicas: 2, totalCPU: 5000} // raw 10
	var got []int32
	for now := time.Duration(0); now < 4*time.Minute; now += 15 * time.Second {
		d := w.step(c, now, 1)
		got = append(got, d.Replicas)
	}
	want := []int32{3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 6, 6, 6, 6}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("replicas per sync = %v, want %v", got, want)
	}
}

func TestReconcileShortCircuits(t *testing.T) {
	for _, tc := range []struct {
		name        string
		spec, min   int32
		want        int32
		rescale     bool
		branch      Branch
		activeState string
	}{
		{"manual scale to zero disables", 0, 1, 0, false, BranchScalingDisabled, "False/ScalingDisabled"},
		{"above max", 30, 1, 20, true, BranchAboveMax, ""},
		{"below min", 1, 3, 3, true, BranchBelowMin, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := mustController(t, DefaultConfig(), cpuSpec(tc.min, 20, 50))
			s := Snapshot{SpecReplicas: tc.spec}
			d := c.Reconcile(0, &s)
			if d.Replicas != tc.want || d.Rescale != tc.rescale || d.Branch != tc.branch {
				t.Errorf("Reconcile = %d rescale %v branch %v, want %d %v %v", d.Replicas, d.Rescale, d.Branch, tc.want, tc.rescale, tc.branch)
			}
			if got := string(d.Conditions.ScalingActive.Status) + "/" + d.Conditions.ScalingActive.Reason; tc.activeState != "" && got != tc.activeState {
				t.Errorf("ScalingActive = %s, want %s", got, tc.activeState)
			}
			if d.Metrics != nil {
				t.Errorf("metrics computed on a short-circuit: %+v", d.Metrics)
			}
		})
	}
}

func TestReconcileFailures(t *testing.T) {
	w := &world{replicas: 4, totalCPU: 4000}
	t.Run("scale unavailable", func(t *testing.T) {
		c := mustController(t, DefaultConfig(), cpuSpec(1, 10, 50))
		s := Snapshot{ScaleUnavailable: true, SpecReplicas: 4}
		d := c.Reconcile(0, &s)
		if !errors.Is(d.Err, ErrFailedGetScale) || d.Conditions.AbleToScale.Reason != ReasonFailedGetScale || d.Rescale {
			t.Errorf("got %+v", d)
		}
	})
	t.Run("update rejected", func(t *testing.T) {
		c := mustController(t, DefaultConfig(), cpuSpec(1, 10, 50))
		s := w.snapshot(0, 1)
		s.RejectUpdate = true
		d := c.Reconcile(0, &s)
		if !errors.Is(d.Err, ErrFailedUpdateScale) || d.Conditions.AbleToScale.Reason != ReasonFailedUpdateScale || d.Rescale || d.Replicas != 4 {
			t.Errorf("got %+v", d)
		}
		// No event is stored and the status keeps the old desired count.
		if d.DesiredReplicas != 0 || d.HasLastScaleTime {
			t.Errorf("status changed on a failed update: %+v", d)
		}
	})
	for _, sel := range []SelectorState{SelectorInvalid, SelectorAmbiguous} {
		t.Run("selector "+sel.String(), func(t *testing.T) {
			c := mustController(t, DefaultConfig(), cpuSpec(1, 10, 50))
			s := w.snapshot(0, 1)
			s.Selector = sel
			d := c.Reconcile(0, &s)
			want := map[SelectorState]string{SelectorInvalid: ReasonInvalidSelector, SelectorAmbiguous: ReasonAmbiguousSelector}[sel]
			if d.Branch != BranchMetricsFailed || d.Conditions.ScalingActive.Reason != want || d.Rescale {
				t.Errorf("got branch %v reason %s", d.Branch, d.Conditions.ScalingActive.Reason)
			}
		})
	}
	t.Run("missing metric entry", func(t *testing.T) {
		c := mustController(t, DefaultConfig(), cpuSpec(1, 10, 50))
		s := w.snapshot(0, 1)
		s.Metrics = nil
		d := c.Reconcile(0, &s)
		if d.Branch != BranchMetricsFailed || d.Conditions.ScalingActive.Reason != ReasonFailedGetResourceMetric || !errors.Is(d.Err, ErrMetricsAPI) {
			t.Errorf("got branch %v reason %s err %v", d.Branch, d.Conditions.ScalingActive.Reason, d.Err)
		}
		var me *MetricsError
		if !errors.As(d.Err, &me) || me.Invalid != 1 || me.Total != 1 {
			t.Errorf("err = %v, want a MetricsError 1 of 1", d.Err)
		}
	})
	t.Run("missing request", func(t *testing.T) {
		c := mustController(t, DefaultConfig(), cpuSpec(1, 10, 50))
		s := w.snapshot(0, 1)
		pods := append([]Pod(nil), s.Pods...)
		pods[1].Containers = []Container{{Name: "app"}}
		s.Pods = pods
		d := c.Reconcile(0, &s)
		var mr *MissingRequestError
		if !errors.As(d.Err, &mr) || mr.Pod != "p1" || d.Metrics[0].Reason != ReasonFailedGetResourceMetric {
			t.Errorf("err = %v", d.Err)
		}
	})
}

// TestReconcilePartialMetrics: a failed metric blocks a scale-down but not a
// scale-up (PR #99514).
func TestReconcilePartialMetrics(t *testing.T) {
	spec := cpuSpec(1, 10, 50)
	spec.Metrics = append(spec.Metrics, qpsMetric(10000))
	for _, tc := range []struct {
		name     string
		cpu      int64
		want     int32
		rescale  bool
		reason   string
		scaledUp bool
	}{
		{"scale-up proceeds", 8000, 8, true, ReasonValidMetricFound, true},
		{"scale-down blocked", 500, 4, false, ReasonFailedGetPodsMetric, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := mustController(t, DefaultConfig(), spec)
			c.recsSeeded = true // no initial seed: see the raw decision
			w := &world{replicas: 4, totalCPU: tc.cpu}
			s := w.snapshot(0, 2)
			s.Metrics[1].Unavailable = true
			d := c.Reconcile(0, &s)
			if d.Replicas != tc.want || d.Rescale != tc.rescale || d.Conditions.ScalingActive.Reason != tc.reason || d.Err == nil {
				t.Errorf("got %d rescale %v reason %s err %v", d.Replicas, d.Rescale, d.Conditions.ScalingActive.Reason, d.Err)
			}
		})
	}
}

// TestPerHPATolerance: behavior.scaleUp.tolerance widens the band upwards
// when the gate is on, and is ignored when it is off.
func TestPerHPATolerance(t *testing.T) {
	spec := cpuSpec(1, 10, 50)
	tol := resource.MustParse("0.5")
	spec.Behavior = &autoscalingv2.HorizontalPodAutoscalerBehavior{ScaleUp: &autoscalingv2.HPAScalingRules{Tolerance: &tol}}
	for _, gate := range []bool{true, false} {
		cfg := DefaultConfig()
		cfg.ConfigurableTolerance = gate
		c := mustController(t, cfg, spec)
		w := &world{replicas: 4, totalCPU: 2800} // 70 % of 50 %: ratio 1.4
		d := w.step(c, 0, 1)
		want := int32(4)
		if !gate {
			want = 6
		}
		if d.Replicas != want {
			t.Errorf("gate %v: replicas %d, want %d", gate, d.Replicas, want)
		}
	}
}

func TestPodLevelRequests(t *testing.T) {
	p := Pod{
		Name:       "p",
		Containers: []Container{{Name: "a", Requests: []ResourceAmount{{Name: corev1.ResourceCPU, Milli: 100}}}, {Name: "b", Requests: []ResourceAmount{{Name: corev1.ResourceCPU, Milli: 200}}}},
		Requests:   []ResourceAmount{{Name: corev1.ResourceCPU, Milli: 1000}},
	}
	for _, tc := range []struct {
		container string
		podLevel  bool
		want      int64
	}{
		{"", true, 1000},
		{"", false, 300},
		{"b", true, 200},
		{"missing", true, 0},
	} {
		got, err := podRequest(&p, corev1.ResourceCPU, tc.container, tc.podLevel)
		if err != nil || got != tc.want {
			t.Errorf("podRequest(container %q, podLevel %v) = %d, %v; want %d", tc.container, tc.podLevel, got, err, tc.want)
		}
	}
	if _, err := podRequest(&p, corev1.ResourceMemory, "", true); err == nil {
		t.Errorf("memory request: want a MissingRequestError")
	}
}

// TestRestart: after a restart the history is re-seeded with the current
// count, which holds a scale-down for one window.
func TestRestart(t *testing.T) {
	c := mustController(t, DefaultConfig(), cpuSpec(1, 10, 50))
	w := &world{replicas: 6, totalCPU: 600}
	c.recsSeeded = true
	if d := w.step(c, 0, 1); d.Replicas != 2 {
		t.Fatalf("without history: %d, want 2", d.Replicas)
	}
	w.replicas = 6
	c.Restart()
	if d := w.step(c, 15*time.Second, 1); d.Rescale {
		t.Fatalf("after restart: scaled to %d, want held at 6", d.Replicas)
	}
}

func TestCompileMetricErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		spec   autoscalingv2.MetricSpec
		reason string
	}{
		{"unknown type", autoscalingv2.MetricSpec{Type: "CheddarCheese"}, ReasonInvalidMetricSourceType},
		{"resource without source", autoscalingv2.MetricSpec{Type: autoscalingv2.ResourceMetricSourceType}, ReasonInvalidMetricSourceType},
		{"resource without target", autoscalingv2.MetricSpec{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricSource{Name: "cpu"}}, ReasonFailedGetResourceMetric},
		{"pods without average", autoscalingv2.MetricSpec{Type: autoscalingv2.PodsMetricSourceType, Pods: &autoscalingv2.PodsMetricSource{}}, ReasonFailedGetPodsMetric},
		{"object type mismatch", autoscalingv2.MetricSpec{Type: autoscalingv2.ObjectMetricSourceType, Object: &autoscalingv2.ObjectMetricSource{Target: autoscalingv2.MetricTarget{Type: autoscalingv2.ValueMetricType, AverageValue: resource.NewQuantity(1, resource.DecimalSI)}}}, ReasonFailedGetObjectMetric},
		{"external without target", autoscalingv2.MetricSpec{Type: autoscalingv2.ExternalMetricSourceType, External: &autoscalingv2.ExternalMetricSource{}}, ReasonFailedGetExternalMetric},
	} {
		m := compileMetric(&tc.spec)
		if m.specErr == nil || m.failReason != tc.reason {
			t.Errorf("%s: err %v reason %q, want reason %q", tc.name, m.specErr, m.failReason, tc.reason)
		}
	}
}

func TestDefaultSpec(t *testing.T) {
	got := DefaultSpec(&autoscalingv2.HorizontalPodAutoscalerSpec{MaxReplicas: 3, Behavior: &autoscalingv2.HorizontalPodAutoscalerBehavior{}})
	if *got.MinReplicas != 1 || len(got.Metrics) != 1 || *got.Metrics[0].Resource.Target.AverageUtilization != 80 {
		t.Errorf("DefaultSpec = %+v", got)
	}
	if got.Behavior.ScaleUp == nil || len(got.Behavior.ScaleUp.Policies) != 2 || got.Behavior.ScaleDown.StabilizationWindowSeconds != nil {
		t.Errorf("DefaultSpec behavior = %+v", got.Behavior)
	}
}

func TestConfigValidate(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatal(err)
	}
	bad := DefaultConfig()
	bad.Tolerance = -0.1
	if _, err := NewController(bad, cpuSpec(1, 2, 50)); err == nil {
		t.Errorf("negative tolerance accepted")
	}
	if _, err := NewController(DefaultConfig(), nil); err == nil {
		t.Errorf("nil spec accepted")
	}
}

// TestReconcileExternalScaleFromZero: at spec 0 with minReplicas 0 an
// External Value metric proposes ceil(value/target) under the rule before
// v1.37.
func TestReconcileExternalScaleFromZero(t *testing.T) {
	cfg := DefaultConfig()
	cfg.ZeroReplicas = ZeroReplicasPre137
	c := mustController(t, cfg, externalZeroSpec())
	s := Snapshot{Metrics: []MetricValues{{Series: []int64{12000, 13000}}}}
	d := c.Reconcile(0, &s)
	if d.Replicas != 3 || d.Metrics[0].ValueMilli != 25000 {
		t.Errorf("scale from zero = %d (value %d), want 3", d.Replicas, d.Metrics[0].ValueMilli)
	}
	if d.Conditions.ScaledToZero.Status != "" {
		t.Errorf("ScaledToZero set before v1.37: %+v", d.Conditions.ScaledToZero)
	}
}

func externalZeroSpec() *autoscalingv2.HorizontalPodAutoscalerSpec {
	zero := int32(0)
	return &autoscalingv2.HorizontalPodAutoscalerSpec{
		MinReplicas: &zero, MaxReplicas: 10,
		Metrics: []autoscalingv2.MetricSpec{{
			Type: autoscalingv2.ExternalMetricSourceType,
			External: &autoscalingv2.ExternalMetricSource{
				Metric: autoscalingv2.MetricIdentifier{Name: "queue"},
				Target: autoscalingv2.MetricTarget{Type: autoscalingv2.ValueMetricType, Value: resource.NewQuantity(10, resource.DecimalSI)},
			},
		}},
	}
}

// TestReconcileScaleToZeroGate: v1.37's HPAScaleToZero (beta, on): a target
// found at zero is left alone (ScalingDisabled) unless the controller itself
// scaled it there (ScaledToZero=True), then an External metric scales it
// back up; every rescale sets ScaledToZero. With the gate off, zero always
// disables scaling and the condition is never set.
func TestReconcileScaleToZeroGate(t *testing.T) {
	cfg := DefaultConfig()
	cfg.DownscaleStabilizationWindow = 0
	c := mustController(t, cfg, externalZeroSpec())
	s := Snapshot{Metrics: []MetricValues{{Series: []int64{12000}}}}
	if d := c.Reconcile(0, &s); d.Rescale || d.Branch != BranchScalingDisabled {
		t.Fatalf("fresh HPA at zero: %s, want ScalingDisabled", d.String())
	}
	two := []Pod{{Name: "a", Phase: PodRunning, Ready: Ready}, {Name: "b", Phase: PodRunning, Ready: Ready}}
	s = Snapshot{SpecReplicas: 2, StatusReplicas: 2, Pods: two, Metrics: []MetricValues{{Series: []int64{0}}}}
	d := c.Reconcile(time.Second, &s)
	if !d.Rescale || d.Replicas != 0 || d.Conditions.ScaledToZero.Reason != ReasonScaledToZero {
		t.Fatalf("scale to zero: %s", d.String())
	}
	s = Snapshot{Metrics: []MetricValues{{Series: []int64{25000}}}}
	d = c.Reconcile(2*time.Second, &s)
	if !d.Rescale || d.Replicas != 3 || d.Conditions.ScaledToZero.Reason != ReasonNotScaledToZero {
		t.Fatalf("scale from zero: %s", d.String())
	}

	cfg.ZeroReplicas = ZeroReplicasGateOff
	c = mustController(t, cfg, externalZeroSpec())
	s = Snapshot{SpecReplicas: 2, StatusReplicas: 2, Pods: two, Metrics: []MetricValues{{Series: []int64{0}}}}
	c.Reconcile(0, &Snapshot{SpecReplicas: 0})
	if d := c.Reconcile(time.Second, &s); !d.Rescale || d.Replicas != 0 || d.Conditions.ScaledToZero.Status != "" {
		t.Fatalf("gate off, scale to zero: %s", d.String())
	}
	s = Snapshot{Metrics: []MetricValues{{Series: []int64{25000}}}}
	if d := c.Reconcile(2*time.Second, &s); d.Rescale || d.Branch != BranchScalingDisabled {
		t.Fatalf("gate off, at zero: %s, want ScalingDisabled", d.String())
	}
}
