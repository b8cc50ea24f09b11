package loadtest

import (
	"context"
	"fmt"
	"io"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/headroom-dev/headroom/scenarios"
)

// CPUSource reports the CPU the target's pods use, in cores, at an instant
// (for example a Prometheus query over container_cpu_usage_seconds_total).
type CPUSource interface {
	CPU(ctx context.Context, t time.Time) (float64, error)
}

// Watcher samples the target's autoscaling during a load test: the HPA's
// desired and current replicas and the metrics it last read, the
// workload's ready replicas, and optionally the pods' CPU. Read-only.
type Watcher struct {
	Client    kubernetes.Interface
	Namespace string
	// Kind is Deployment (default) or StatefulSet; Name the workload.
	Kind, Name string
	// HPA names the HorizontalPodAutoscaler; empty finds the one whose
	// scaleTargetRef is the workload, and none is fine.
	HPA string
	// Period between samples; default 15 s, the HPA's own sync period.
	Period time.Duration
	// CPU, when set, adds CPUCores to each sample.
	CPU CPUSource
	// Warn receives sampling errors, which do not stop the watch.
	Warn io.Writer

	now func() time.Time
}

// NewWatcher watches a plan service's workload in its namespace.
func NewWatcher(client kubernetes.Interface, svc *scenarios.Service) *Watcher {
	w := &Watcher{Client: client, Namespace: svc.Namespace, Kind: svc.WorkloadRef.Kind, Name: svc.WorkloadRef.Name}
	if w.Name == "" {
		w.Name = svc.Name
	}
	if w.Namespace == "" {
		w.Namespace = "default"
	}
	return w
}

// Run samples at once and then every Period until ctx is done, and
// returns the samples, offsets measured from start.
func (w *Watcher) Run(ctx context.Context, start time.Time) []WatchSample {
	period := w.Period
	if period <= 0 {
		period = 15 * time.Second
	}
	t := time.NewTicker(period)
	defer t.Stop()
	var out []WatchSample
	for {
		s, err := w.Sample(ctx, start)
		switch {
		case ctx.Err() != nil:
			return out
		case err != nil:
			if w.Warn != nil {
				fmt.Fprintf(w.Warn, "watch: %v\n", err)
			}
		default:
			out = append(out, s)
		}
		select {
		case <-ctx.Done():
			return out
		case <-t.C:
		}
	}
}

// Sample reads the target once.
func (w *Watcher) Sample(ctx context.Context, start time.Time) (WatchSample, error) {
	now := time.Now
	if w.now != nil {
		now = w.now
	}
	at := now()
	s := WatchSample{Offset: at.Sub(start).Seconds()}
	var specReplicas, statusReplicas int32
	switch w.Kind {
	case "", "Deployment":
		d, err := w.Client.AppsV1().Deployments(w.Namespace).Get(ctx, w.Name, metav1.GetOptions{})
		if err != nil {
			return s, fmt.Errorf("deployment %s/%s: %w", w.Namespace, w.Name, err)
		}
		s.ReadyReplicas, statusReplicas = d.Status.ReadyReplicas, d.Status.Replicas
		if d.Spec.Replicas != nil {
			specReplicas = *d.Spec.Replicas
		}
	case "StatefulSet":
		st, err := w.Client.AppsV1().StatefulSets(w.Namespace).Get(ctx, w.Name, metav1.GetOptions{})
		if err != nil {
			return s, fmt.Errorf("statefulset %s/%s: %w", w.Namespace, w.Name, err)
		}
		s.ReadyReplicas, statusReplicas = st.Status.ReadyReplicas, st.Status.Replicas
		if st.Spec.Replicas != nil {
			specReplicas = *st.Spec.Replicas
		}
	default:
		return s, fmt.Errorf("workload kind %q: want Deployment or StatefulSet", w.Kind)
	}
	hpa, err := w.findHPA(ctx)
	if err != nil {
		return s, err
	}
	if hpa != nil {
		s.DesiredReplicas, s.CurrentReplicas = hpa.Status.DesiredReplicas, hpa.Status.CurrentReplicas
		s.Metrics = hpaMetrics(hpa.Status.CurrentMetrics)
	} else {
		s.DesiredReplicas, s.CurrentReplicas = specReplicas, statusReplicas
	}
	if w.CPU != nil {
		c, err := w.CPU.CPU(ctx, at)
		if err != nil {
			return s, fmt.Errorf("cpu: %w", err)
		}
		s.CPUCores = c
	}
	return s, nil
}

// findHPA gets the named HPA or the one targeting the workload; nil when
// there is none.
func (w *Watcher) findHPA(ctx context.Context) (*autoscalingv2.HorizontalPodAutoscaler, error) {
	hpas := w.Client.AutoscalingV2().HorizontalPodAutoscalers(w.Namespace)
	if w.HPA != "" {
		h, err := hpas.Get(ctx, w.HPA, metav1.GetOptions{})
		if err != nil {
			return nil, fmt.Errorf("hpa %s/%s: %w", w.Namespace, w.HPA, err)
		}
		return h, nil
	}
	list, err := hpas.List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list hpas in %s: %w", w.Namespace, err)
	}
	kind := w.Kind
	if kind == "" {
		kind = "Deployment"
	}
	for i := range list.Items {
		ref := list.Items[i].Spec.ScaleTargetRef
		if ref.Kind == kind && ref.Name == w.Name {
			w.HPA = list.Items[i].Name // found once, then read by name
			return &list.Items[i], nil
		}
	}
	return nil, nil
}

// hpaMetrics flattens the HPA's currentMetrics: "resource/cpu" (percent of
// request when the target is a utilisation, else cores or bytes),
// "containerresource/<container>/<name>", "pods/<metric>",
// "object/<metric>", "external/<metric>".
func hpaMetrics(ms []autoscalingv2.MetricStatus) map[string]float64 {
	if len(ms) == 0 {
		return nil
	}
	out := map[string]float64{}
	for _, m := range ms {
		switch {
		case m.Resource != nil:
			out["resource/"+string(m.Resource.Name)] = metricValue(m.Resource.Current)
		case m.ContainerResource != nil:
			out["containerresource/"+m.ContainerResource.Container+"/"+string(m.ContainerResource.Name)] = metricValue(m.ContainerResource.Current)
		case m.Pods != nil:
			out["pods/"+m.Pods.Metric.Name] = metricValue(m.Pods.Current)
		case m.Object != nil:
			out["object/"+m.Object.Metric.Name] = metricValue(m.Object.Current)
		case m.External != nil:
			out["external/"+m.External.Metric.Name] = metricValue(m.External.Current)
		}
	}
	return out
}

func metricValue(v autoscalingv2.MetricValueStatus) float64 {
	switch {
	case v.AverageUtilization != nil:
		return float64(*v.AverageUtilization)
	case v.AverageValue != nil:
		return quantity(v.AverageValue)
	case v.Value != nil:
		return quantity(v.Value)
	}
	return 0
}

func quantity(q *resource.Quantity) float64 { return q.AsApproximateFloat64() }

// RunWatched runs eng while w samples the target, and puts the samples in
// the result, their offsets measured from the result's Start (an engine's
// first measurement) so they line up with its windows. A nil w runs eng
// alone.
func RunWatched(ctx context.Context, eng Engine, spec RunSpec, w *Watcher) (*Result, error) {
	if w == nil {
		return eng.Run(ctx, spec)
	}
	watchCtx, stop := context.WithCancel(ctx)
	start := time.Now()
	done := make(chan []WatchSample, 1)
	go func() { done <- w.Run(watchCtx, start) }()
	res, err := eng.Run(ctx, spec)
	stop()
	samples := <-done
	if res == nil {
		return nil, err
	}
	shift := 0.0
	if !res.Start.IsZero() {
		shift = start.Sub(res.Start).Seconds()
	}
	// Samples taken before the engine's first measurement (while it
	// started) describe the state at the start: the latest of them is kept
	// at offset 0, the others dropped, so every offset is ≥ 0.
	var kept []WatchSample
	for i := range samples {
		samples[i].Offset += shift
		if samples[i].Offset < 0 {
			if i+1 < len(samples) && samples[i+1].Offset+shift < 0 {
				continue
			}
			samples[i].Offset = 0
		}
		kept = append(kept, samples[i])
	}
	res.Watch = append(res.Watch, kept...)
	return res, err
}
