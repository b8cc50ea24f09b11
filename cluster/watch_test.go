package cluster

import (
	"context"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/headroom-dev/headroom/scenarios"
)

func watchPtr[T any](v T) *T { return &v }

func watchObjects() (*appsv1.Deployment, *autoscalingv2.HorizontalPodAutoscaler) {
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "noa-mcp", Namespace: "noa-server"},
		Spec:       appsv1.DeploymentSpec{Replicas: watchPtr(int32(5))},
		Status:     appsv1.DeploymentStatus{Replicas: 5, ReadyReplicas: 4},
	}
	h := &autoscalingv2.HorizontalPodAutoscaler{
		ObjectMeta: metav1.ObjectMeta{Name: "noa-mcp-hpa", Namespace: "noa-server"},
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: "noa-mcp"},
			MaxReplicas:    10,
		},
		Status: autoscalingv2.HorizontalPodAutoscalerStatus{
			CurrentReplicas: 5, DesiredReplicas: 7,
			CurrentMetrics: []autoscalingv2.MetricStatus{
				{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricStatus{
					Name: corev1.ResourceCPU, Current: autoscalingv2.MetricValueStatus{AverageUtilization: watchPtr(int32(91)), AverageValue: watchPtr(resource.MustParse("455m"))}}},
				{Type: autoscalingv2.PodsMetricSourceType, Pods: &autoscalingv2.PodsMetricStatus{
					Metric: autoscalingv2.MetricIdentifier{Name: "http_requests_per_second"}, Current: autoscalingv2.MetricValueStatus{AverageValue: watchPtr(resource.MustParse("120500m"))}}},
				{Type: autoscalingv2.ExternalMetricSourceType, External: &autoscalingv2.ExternalMetricStatus{
					Metric: autoscalingv2.MetricIdentifier{Name: "queue_depth"}, Current: autoscalingv2.MetricValueStatus{Value: watchPtr(resource.MustParse("1k"))}}},
			},
		},
	}
	return d, h
}

func TestWorkloadScale_ReadScale(t *testing.T) {
	d, h := watchObjects()
	st := &appsv1.StatefulSet{
		ObjectMeta: metav1.ObjectMeta{Name: "db", Namespace: "noa-server"},
		Spec:       appsv1.StatefulSetSpec{Replicas: watchPtr(int32(3))},
		Status:     appsv1.StatefulSetStatus{Replicas: 3, ReadyReplicas: 2},
	}
	for _, tc := range []struct {
		name    string
		objects []runtime.Object
		w       WorkloadScale
		want    ScaleState
		wantHPA string
		wantErr string
	}{
		{name: "hpa found by its target", objects: []runtime.Object{d, h},
			w: WorkloadScale{Namespace: "noa-server", Name: "noa-mcp"},
			want: ScaleState{DesiredReplicas: 7, CurrentReplicas: 5, ReadyReplicas: 4,
				Metrics: map[string]float64{"resource/cpu": 91, "pods/http_requests_per_second": 120.5, "external/queue_depth": 1000}},
			wantHPA: "noa-mcp-hpa"},
		{name: "no hpa: the deployment's replicas", objects: []runtime.Object{d},
			w:    WorkloadScale{Namespace: "noa-server", Name: "noa-mcp"},
			want: ScaleState{DesiredReplicas: 5, CurrentReplicas: 5, ReadyReplicas: 4}},
		{name: "statefulset without hpa", objects: []runtime.Object{st, h},
			w:    WorkloadScale{Namespace: "noa-server", Kind: "StatefulSet", Name: "db"},
			want: ScaleState{DesiredReplicas: 3, CurrentReplicas: 3, ReadyReplicas: 2}},
		{name: "named hpa missing", objects: []runtime.Object{d}, w: WorkloadScale{Namespace: "noa-server", Name: "noa-mcp", HPA: "nope"}, wantErr: "hpa noa-server/nope"},
		{name: "deployment missing", objects: []runtime.Object{h}, w: WorkloadScale{Namespace: "noa-server", Name: "noa-mcp"}, wantErr: "deployment noa-server/noa-mcp"},
		{name: "bad kind", objects: []runtime.Object{d}, w: WorkloadScale{Namespace: "noa-server", Name: "noa-mcp", Kind: "DaemonSet"}, wantErr: "DaemonSet"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := tc.w
			w.Client = fake.NewClientset(tc.objects...)
			got, err := w.ReadScale(context.Background())
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.DesiredReplicas != tc.want.DesiredReplicas || got.CurrentReplicas != tc.want.CurrentReplicas ||
				got.ReadyReplicas != tc.want.ReadyReplicas || len(got.Metrics) != len(tc.want.Metrics) {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
			for k, v := range tc.want.Metrics {
				if got.Metrics[k] != v {
					t.Errorf("metric %s = %v, want %v", k, got.Metrics[k], v)
				}
			}
			if w.HPA != tc.wantHPA {
				t.Errorf("HPA %q remembered, want %q", w.HPA, tc.wantHPA)
			}
		})
	}
}

func TestNewWorkloadScale(t *testing.T) {
	w := NewWorkloadScale(nil, &scenarios.Service{Name: "web"})
	if w.Namespace != "default" || w.Name != "web" || w.Kind != "" {
		t.Errorf("%+v", w)
	}
	svc := &scenarios.Service{Name: "web", Namespace: "shop"}
	svc.WorkloadRef.Kind, svc.WorkloadRef.Name = "StatefulSet", "web-db"
	if w := NewWorkloadScale(nil, svc); w.Namespace != "shop" || w.Name != "web-db" || w.Kind != "StatefulSet" {
		t.Errorf("%+v", w)
	}
}
