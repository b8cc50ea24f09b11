package capacity

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/headroom-dev/headroom/model"
	"github.com/headroom-dev/headroom/scenarios"
)

func constantUsage(v float64, d time.Duration) []model.UsageSample {
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	s := make([]model.UsageSample, int(d/time.Minute))
	for i := range s {
		s[i] = model.UsageSample{Time: start.Add(time.Duration(i) * time.Minute), Value: v}
	}
	return s
}

func TestPlan_HPAScaling(t *testing.T) {
	p, err := scenarios.Example("noa.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		service string
		want    *model.HPAScaling
	}{
		{"noa-mcp", &model.HPAScaling{MinReplicas: 3, MaxReplicas: 10, PeakReplicas: 3, ScaleUpTolerance: 0.1, ScaleDownTolerance: 0.1,
			Targets: []model.HPAUtilizationTarget{{MetricIndex: 0, MetricType: "Resource", Resource: "cpu", TargetUtilization: 70}, {MetricIndex: 1, MetricType: "Resource", Resource: "memory", TargetUtilization: 80}}}},
		// The Pods metric is not a Utilization target.
		{"noa-claude-flow", &model.HPAScaling{MinReplicas: 2, MaxReplicas: 8, PeakReplicas: 2, ScaleUpTolerance: 0.1, ScaleDownTolerance: 0.1,
			Targets: []model.HPAUtilizationTarget{{MetricIndex: 0, MetricType: "Resource", Resource: "cpu", TargetUtilization: 70}}}},
		{"noa-workers", &model.HPAScaling{MinReplicas: 2, MaxReplicas: 4, PeakReplicas: 2, ScaleUpTolerance: 0.1, ScaleDownTolerance: 0.1}},
		{"noa-redis", nil},
	}
	for _, tt := range tests {
		t.Run(tt.service, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, HPAScaling(p, p.Service(tt.service))); diff != "" {
				t.Errorf("HPAScaling (-want +got):\n%s", diff)
			}
		})
	}

	// Per-direction tolerances, and ContainerResource metrics of other
	// containers are not the service's.
	s := *p.Service("noa-mcp")
	hpa := s.HPA.DeepCopy()
	tol := resource.MustParse("0.05")
	hpa.Behavior.ScaleUp.Tolerance = &tol
	target := int32(60)
	hpa.Metrics = append(hpa.Metrics, autoscalingv2.MetricSpec{
		Type: autoscalingv2.ContainerResourceMetricSourceType,
		ContainerResource: &autoscalingv2.ContainerResourceMetricSource{Name: corev1.ResourceCPU, Container: "istio-proxy",
			Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: &target}},
	})
	own := int32(75)
	hpa.Metrics = append(hpa.Metrics, autoscalingv2.MetricSpec{
		Type: autoscalingv2.ContainerResourceMetricSourceType,
		ContainerResource: &autoscalingv2.ContainerResourceMetricSource{Name: corev1.ResourceMemory, Container: "noa-mcp",
			Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: &own}},
	})
	zero := int32(0)
	hpa.MinReplicas = &zero
	s.HPA = hpa
	h := HPAScaling(p, &s)
	if h.MinReplicas != 1 {
		t.Errorf("minReplicas 0 gave a range from %d, want 1", h.MinReplicas)
	}
	if h.ScaleUpTolerance != 0.05 || h.ScaleDownTolerance != 0.1 || len(h.Targets) != 3 {
		t.Fatalf("tolerances %v/%v, %d targets; want 0.05/0.1 and the sidecar's metric left out", h.ScaleUpTolerance, h.ScaleDownTolerance, len(h.Targets))
	}
	want := model.HPAUtilizationTarget{MetricIndex: 3, MetricType: "ContainerResource", Resource: "memory", TargetUtilization: 75}
	if h.Targets[2] != want {
		t.Errorf("container metric %+v, want %+v", h.Targets[2], want)
	}
}

func TestServiceRecommendation_ResourceChange(t *testing.T) {
	p, err := scenarios.Example("noa.yaml")
	if err != nil {
		t.Fatal(err)
	}
	mcp := p.Service("noa-mcp")
	week := 8 * 24 * time.Hour

	rec, err := Rightsize(p, mcp, model.DefaultRightsizeConfig(), constantUsage(0.3, week), constantUsage(400<<20, week))
	if err != nil {
		t.Fatal(err)
	}
	c := rec.ResourceChange()
	if c == nil {
		t.Fatal("no change")
	}
	// VPA: 0.3 core → bucket edge 0.30539 → 305m + 45m = 350m; 400Mi →
	// 511772986 bytes → 489Mi (python3, formulas of the VPA recommender).
	// 350m is the HPA's scale point (500m × 70 %): the target becomes 100 %.
	want := corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("350m"), corev1.ResourceMemory: resource.MustParse("489Mi")}
	if !equalLists(c.Requests, want) || !equalLists(c.Limits, want) {
		t.Errorf("requests %v limits %v, want both %v (limits keep the ratio 1)", c.Requests, c.Limits, want)
	}
	if c.WorkloadKind != "Deployment" || c.WorkloadName != "noa-mcp" || c.Namespace != "noa-server" || c.Container != "noa-mcp" {
		t.Errorf("workload %s/%s %s/%s", c.Namespace, c.WorkloadKind, c.WorkloadName, c.Container)
	}
	if c.HPA == nil || len(c.HPA.Targets) != 2 || len(c.Rationale) == 0 {
		t.Fatalf("HPA %+v, rationale %q: want the cpu and memory targets moved", c.HPA, c.Rationale)
	}
	if cpu := c.HPA.Targets[0]; cpu.NewTargetUtilization != 100 {
		t.Errorf("cpu target %d%%, want 100%%", cpu.NewTargetUtilization)
	}
	for _, tc := range c.HPA.Targets {
		if tc.DesiredAfter != tc.DesiredBefore {
			t.Errorf("%s: proposal at the peak %d → %d", tc.Resource, tc.DesiredBefore, tc.DesiredAfter)
		}
	}

	// Low confidence (one hour of history): shown, not proposed.
	low, err := Rightsize(p, mcp, model.DefaultRightsizeConfig(), constantUsage(0.3, time.Hour), constantUsage(400<<20, time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if low.ResourceChange() != nil {
		t.Error("a low-confidence recommendation produced a change")
	}
	if got := ResourceChanges([]ServiceRecommendation{low, rec}); len(got) != 1 || got[0].Service != "noa-mcp" {
		t.Errorf("ResourceChanges = %d changes, want the one confident change", len(got))
	}
}

func equalLists(a, b corev1.ResourceList) bool {
	if len(a) != len(b) {
		return false
	}
	for k, q := range a {
		if r, ok := b[k]; !ok || q.Cmp(r) != 0 {
			return false
		}
	}
	return true
}
