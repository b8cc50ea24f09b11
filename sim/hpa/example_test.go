package hpa_test

import (
	"fmt"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"

	"github.com/headroom-dev/headroom/sim/hpa"
)

// ExampleController runs a CPU HPA (target 50 %) through a load spike and
// its end: the scale-up is immediate, the scale-down waits for the
// five-minute stabilisation window.
func ExampleController() {
	minReplicas, target := int32(2), int32(50)
	spec := &autoscalingv2.HorizontalPodAutoscalerSpec{
		ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{Kind: "Deployment", Name: "api"},
		MinReplicas:    &minReplicas,
		MaxReplicas:    10,
		Metrics: []autoscalingv2.MetricSpec{{
			Type: autoscalingv2.ResourceMetricSourceType,
			Resource: &autoscalingv2.ResourceMetricSource{
				Name:   corev1.ResourceCPU,
				Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: &target},
			},
		}},
	}
	c, err := hpa.NewController(hpa.DefaultConfig(), spec)
	if err != nil {
		fmt.Println(err)
		return
	}

	replicas := int32(3)
	snapshot := func(now time.Duration, totalMillicores int64) hpa.Snapshot {
		s := hpa.Snapshot{SpecReplicas: replicas, StatusReplicas: replicas, Metrics: make([]hpa.MetricValues, 1)}
		for i := range replicas {
			s.Pods = append(s.Pods, hpa.Pod{
				Name: fmt.Sprintf("api-%d", i), Phase: hpa.PodRunning, Ready: hpa.Ready,
				StartTime: now - time.Hour, ReadyTransitionTime: now - time.Hour,
				Containers: []hpa.Container{{Name: "api", Requests: []hpa.ResourceAmount{{Name: corev1.ResourceCPU, Milli: 1000}}}},
			})
			s.Metrics[0].Samples = append(s.Metrics[0].Samples, hpa.Sample{
				Present: true, Milli: totalMillicores / int64(replicas), Timestamp: now - 15*time.Second, Window: 30 * time.Second,
			})
		}
		return s
	}

	load := func(now time.Duration) int64 {
		if now < time.Minute {
			return 2700 // 90 % of 3 pods
		}
		return 1800
	}
	for now := time.Duration(0); now <= 7*time.Minute; now += time.Minute {
		s := snapshot(now, load(now))
		d := c.Reconcile(now, &s)
		if d.Rescale {
			replicas = d.Replicas
		}
		fmt.Printf("t=%v %s\n", now, d.String())
	}
	// Output:
	// t=0s Normalized 3->6 metrics=6 stabilized=6 AbleToScale=True/SucceededRescale ScalingActive=True/ValidMetricFound ScalingLimited=False/DesiredWithinRange ScaledToZero=False/NotScaledToZero
	// t=1m0s Normalized 6 metrics=4 stabilized=6 AbleToScale=True/ScaleDownStabilized ScalingActive=True/ValidMetricFound ScalingLimited=False/DesiredWithinRange ScaledToZero=False/NotScaledToZero
	// t=2m0s Normalized 6 metrics=4 stabilized=6 AbleToScale=True/ScaleDownStabilized ScalingActive=True/ValidMetricFound ScalingLimited=False/DesiredWithinRange ScaledToZero=False/NotScaledToZero
	// t=3m0s Normalized 6 metrics=4 stabilized=6 AbleToScale=True/ScaleDownStabilized ScalingActive=True/ValidMetricFound ScalingLimited=False/DesiredWithinRange ScaledToZero=False/NotScaledToZero
	// t=4m0s Normalized 6 metrics=4 stabilized=6 AbleToScale=True/ScaleDownStabilized ScalingActive=True/ValidMetricFound ScalingLimited=False/DesiredWithinRange ScaledToZero=False/NotScaledToZero
	// t=5m0s Normalized 6 metrics=4 stabilized=6 AbleToScale=True/ScaleDownStabilized ScalingActive=True/ValidMetricFound ScalingLimited=False/DesiredWithinRange ScaledToZero=False/NotScaledToZero
	// t=6m0s Normalized 6->4 metrics=4 stabilized=4 AbleToScale=True/SucceededRescale ScalingActive=True/ValidMetricFound ScalingLimited=False/DesiredWithinRange ScaledToZero=False/NotScaledToZero
	// t=7m0s Normalized 4 metrics=4 stabilized=4 AbleToScale=True/ReadyForNewScale ScalingActive=True/ValidMetricFound ScalingLimited=False/DesiredWithinRange ScaledToZero=False/NotScaledToZero
}
