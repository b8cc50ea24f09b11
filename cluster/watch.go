package cluster

import (
	"context"
	"fmt"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/headroom-dev/headroom/scenarios"
)

// WorkloadScale reads a Deployment's or StatefulSet's replicas and the
// autoscaling/v2 HorizontalPodAutoscaler that targets it, for the load-test
// watcher (the command adapts it to loadtest.ScaleReader; cluster does not
// import loadtest). It only gets and lists.
type WorkloadScale struct {
	Client    kubernetes.Interface
	Namespace string
	// Kind is Deployment (default) or StatefulSet; Name the workload.
	Kind, Name string
	// HPA names the HorizontalPodAutoscaler; empty finds the one whose
	// scaleTargetRef is the workload (then remembers its name), and none
	// is fine.
	HPA string
}

// ScaleState is what ReadScale reads: the same fields as
// loadtest.ScaleState, so the command converts one to the other.
type ScaleState struct {
	// DesiredReplicas and CurrentReplicas are the HPA's status, or the
	// workload's spec.replicas and status.replicas when no HPA targets it.
	DesiredReplicas, CurrentReplicas int32
	// ReadyReplicas is the workload's status.readyReplicas.
	ReadyReplicas int32
	// Metrics are the HPA's status.currentMetrics, flattened as hpaMetrics
	// says; nil without an HPA.
	Metrics map[string]float64
}

// NewWorkloadScale reads a plan service's workload (its workloadRef, else
// a Deployment named as the service) in its namespace ("default" when the
// plan names none).
func NewWorkloadScale(client kubernetes.Interface, svc *scenarios.Service) *WorkloadScale {
	w := &WorkloadScale{Client: client, Namespace: svc.Namespace, Kind: svc.WorkloadRef.Kind, Name: svc.WorkloadRef.Name}
	if w.Name == "" {
		w.Name = svc.Name
	}
	if w.Namespace == "" {
		w.Namespace = "default"
	}
	return w
}

// ReadScale reads the workload, then its HPA. Without an HPA the desired
// and current replicas are the workload's spec.replicas and
// status.replicas.
func (w *WorkloadScale) ReadScale(ctx context.Context) (ScaleState, error) {
	var s ScaleState
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
	return s, nil
}

// findHPA gets the named HPA or the one targeting the workload; nil when
// there is none.
func (w *WorkloadScale) findHPA(ctx context.Context) (*autoscalingv2.HorizontalPodAutoscaler, error) {
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

// hpaMetrics flattens the HPA's currentMetrics as ScaleState.Metrics
// names them.
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

// metricValue is a metric's current value: the average utilisation (a
// percentage of the request) when set, else the average value, else the
// value.
func metricValue(v autoscalingv2.MetricValueStatus) float64 {
	switch {
	case v.AverageUtilization != nil:
		return float64(*v.AverageUtilization)
	case v.AverageValue != nil:
		return v.AverageValue.AsApproximateFloat64()
	case v.Value != nil:
		return v.Value.AsApproximateFloat64()
	}
	return 0
}
