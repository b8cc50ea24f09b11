package loadtest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

type watchCPUFunc func(context.Context, time.Time) (float64, error)

func (f watchCPUFunc) CPU(ctx context.Context, t time.Time) (float64, error) { return f(ctx, t) }

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

func TestWatcher_Sample(t *testing.T) {
	start := time.Date(2026, 8, 21, 10, 0, 0, 0, time.UTC)
	d, h := watchObjects()
	for _, tc := range []struct {
		name    string
		objects []any
		w       Watcher
		want    WatchSample
		wantErr string
	}{
		{name: "hpa found by its target", objects: []any{d, h},
			w: Watcher{Namespace: "noa-server", Name: "noa-mcp", CPU: watchCPUFunc(func(context.Context, time.Time) (float64, error) { return 2.25, nil })},
			want: WatchSample{Offset: 30, DesiredReplicas: 7, CurrentReplicas: 5, ReadyReplicas: 4, CPUCores: 2.25,
				Metrics: map[string]float64{"resource/cpu": 91, "pods/http_requests_per_second": 120.5, "external/queue_depth": 1000}}},
		{name: "no hpa: the deployment's replicas", objects: []any{d},
			w:    Watcher{Namespace: "noa-server", Name: "noa-mcp"},
			want: WatchSample{Offset: 30, DesiredReplicas: 5, CurrentReplicas: 5, ReadyReplicas: 4}},
		{name: "named hpa missing", objects: []any{d}, w: Watcher{Namespace: "noa-server", Name: "noa-mcp", HPA: "nope"}, wantErr: "hpa noa-server/nope"},
		{name: "deployment missing", objects: []any{h}, w: Watcher{Namespace: "noa-server", Name: "noa-mcp"}, wantErr: "deployment noa-server/noa-mcp"},
		{name: "cpu source fails", objects: []any{d},
			w:       Watcher{Namespace: "noa-server", Name: "noa-mcp", CPU: watchCPUFunc(func(context.Context, time.Time) (float64, error) { return 0, errors.New("prometheus down") })},
			wantErr: "cpu: prometheus down"},
		{name: "bad kind", objects: []any{d}, w: Watcher{Namespace: "noa-server", Name: "noa-mcp", Kind: "DaemonSet"}, wantErr: "DaemonSet"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := fake.NewClientset()
			for _, o := range tc.objects {
				switch o := o.(type) {
				case *appsv1.Deployment:
					_, _ = c.AppsV1().Deployments(o.Namespace).Create(context.Background(), o, metav1.CreateOptions{})
				case *autoscalingv2.HorizontalPodAutoscaler:
					_, _ = c.AutoscalingV2().HorizontalPodAutoscalers(o.Namespace).Create(context.Background(), o, metav1.CreateOptions{})
				}
			}
			w := tc.w
			w.Client = c
			w.now = func() time.Time { return start.Add(30 * time.Second) }
			got, err := w.Sample(context.Background(), start)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Offset != tc.want.Offset || got.DesiredReplicas != tc.want.DesiredReplicas || got.CurrentReplicas != tc.want.CurrentReplicas ||
				got.ReadyReplicas != tc.want.ReadyReplicas || got.CPUCores != tc.want.CPUCores || len(got.Metrics) != len(tc.want.Metrics) {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
			for k, v := range tc.want.Metrics {
				if got.Metrics[k] != v {
					t.Errorf("metric %s = %v, want %v", k, got.Metrics[k], v)
				}
			}
		})
	}
}

func TestWatcher_RunSamplesUntilCancelled(t *testing.T) {
	d, h := watchObjects()
	c := fake.NewClientset(d, h)
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	w := &Watcher{Client: c, Namespace: "noa-server", Name: "noa-mcp", Period: time.Millisecond,
		CPU: watchCPUFunc(func(context.Context, time.Time) (float64, error) {
			calls++
			if calls == 3 {
				cancel()
			}
			return float64(calls), nil
		})}
	got := w.Run(ctx, time.Now())
	if len(got) != 2 {
		t.Fatalf("%d samples, want the 2 taken before the cancel", len(got))
	}
	if got[0].CPUCores != 1 || got[1].CPUCores != 2 || got[1].DesiredReplicas != 7 {
		t.Errorf("samples %+v", got)
	}
}

// watchEngineFunc is an Engine from a function.
type watchEngineFunc func(context.Context, RunSpec) (*Result, error)

func (watchEngineFunc) Name() string                                             { return "func" }
func (f watchEngineFunc) Run(ctx context.Context, spec RunSpec) (*Result, error) { return f(ctx, spec) }

func TestRunWatched(t *testing.T) {
	d, h := watchObjects()
	w := &Watcher{Client: fake.NewClientset(d, h), Namespace: "noa-server", Name: "noa-mcp", Period: time.Millisecond}
	before := time.Now()
	eng := watchEngineFunc(func(ctx context.Context, _ RunSpec) (*Result, error) {
		time.Sleep(20 * time.Millisecond)
		// The engine's clock starts 1 s before the watcher's: offsets shift.
		return &Result{Start: before.Add(-time.Second)}, nil
	})
	res, err := RunWatched(context.Background(), eng, RunSpec{}, w)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Watch) < 2 {
		t.Fatalf("%d samples in 20 ms at a 1 ms period", len(res.Watch))
	}
	if off := res.Watch[0].Offset; off < 1 || off > 1.5 {
		t.Errorf("first sample at %v s, want about 1 s after the engine's start", off)
	}
	if res.Watch[0].DesiredReplicas != 7 {
		t.Errorf("sample %+v", res.Watch[0])
	}
}

// TestRunWatched_EngineStartsLate: samples taken while the engine was still
// starting are not given negative offsets; the latest describes the start.
func TestRunWatched_EngineStartsLate(t *testing.T) {
	d, h := watchObjects()
	w := &Watcher{Client: fake.NewClientset(d, h), Namespace: "noa-server", Name: "noa-mcp", Period: time.Millisecond}
	eng := watchEngineFunc(func(ctx context.Context, _ RunSpec) (*Result, error) {
		time.Sleep(30 * time.Millisecond) // k6 takes a while to start
		start := time.Now()
		time.Sleep(20 * time.Millisecond)
		return &Result{Start: start}, nil
	})
	res, err := RunWatched(context.Background(), eng, RunSpec{}, w)
	if err != nil {
		t.Fatal(err)
	}
	zeros := 0
	for i, s := range res.Watch {
		if s.Offset < 0 {
			t.Errorf("sample %d at %v s, before the start", i, s.Offset)
		}
		if s.Offset == 0 {
			zeros++
		}
	}
	if zeros != 1 || len(res.Watch) < 2 {
		t.Errorf("%d samples at offset 0 of %d, want exactly one (the state at the start)", zeros, len(res.Watch))
	}
}
