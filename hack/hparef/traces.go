package main

import (
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Time is compressed by 7.5 against a production cluster: the controller
// syncs every 2 s (15 s upstream default), its downscale stabilisation is
// 41 s (300 s), the CPU initialisation period 40 s (5 min) and the initial
// readiness delay 4 s (30 s). Behaviour windows and policy periods in the
// traces are whole seconds of the same scale. Windows and periods are odd
// numbers of seconds, half a sync period away from a multiple of the sync
// period, so that a sync running a few milliseconds late or early never
// moves a recommendation or a scale event across a window's edge.
const (
	syncPeriodS             = 2
	downscaleStabilizationS = 41
	cpuInitializationS      = 40
	initialReadinessDelayS  = 4
	tolerance               = 0.1
)

// Names of the metrics the front proxy serves.
const (
	podsMetricName     = "requests_per_second"
	objectMetricName   = "queue_depth"
	externalMetricName = "jobs_waiting"
	objectKind         = "Service"
	objectName         = "front"
)

// metricsState says how the resource metrics API answers.
type metricsState uint8

const (
	metricsOK    metricsState = iota
	metricsError              // HTTP 503 with a Status
	metricsEmpty              // an empty PodMetricsList
)

// trace is one scenario the referee runs: a Deployment, an HPA, a load over
// time, and how the fake kubelet brings new pods up.
type trace struct {
	id, desc string
	initial  int32   // Deployment replicas before the HPA exists
	duration float64 // seconds of HPA time recorded
	spec     autoscalingv2.HorizontalPodAutoscalerSpec

	// startDelay is the time from creation to Running, readyDelay from
	// Running to Ready, for pods created while the HPA runs (the initial
	// pods are Running and Ready before the HPA is created).
	startDelay, readyDelay float64

	sidecar bool // pods get a second container "sidecar"

	cpu        func(t float64) int64 // per-pod CPU of container app, millicores
	unreadyCPU int64                 // CPU of a pod that is not Ready, if > 0
	sidecarCPU int64
	memory     func(t float64) int64 // per-pod memory of container app, bytes
	resource   func(t float64) metricsState
	pods       func(t float64) int64 // per-pod custom metric, milli-units
	object     func(t float64) int64 // Object metric value, milli-units
	external   func(t float64) []int64
	extDown    func(t float64) bool // the external metric API fails
}

// steps returns a piecewise-constant function: steps(0, a, 10, b) is a
// from t=0 and b from t=10 on.
func steps(pairs ...float64) func(t float64) int64 {
	return func(t float64) int64 {
		v := pairs[1]
		for i := 0; i+1 < len(pairs); i += 2 {
			if t >= pairs[i] {
				v = pairs[i+1]
			}
		}
		return int64(v)
	}
}

// alternate switches between a and b every period seconds.
func alternate(a, b, period float64) func(t float64) int64 {
	return func(t float64) int64 {
		if int(t/period)%2 == 0 {
			return int64(a)
		}
		return int64(b)
	}
}

func between(from, to float64, s metricsState) func(t float64) metricsState {
	return func(t float64) metricsState {
		if t >= from && t < to {
			return s
		}
		return metricsOK
	}
}

func i32(v int32) *int32 { return &v }

func cpuUtil(target int32) autoscalingv2.MetricSpec {
	return autoscalingv2.MetricSpec{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricSource{
		Name: corev1.ResourceCPU, Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: i32(target)}}}
}

func podsMetric(avg string) autoscalingv2.MetricSpec {
	q := resource.MustParse(avg)
	return autoscalingv2.MetricSpec{Type: autoscalingv2.PodsMetricSourceType, Pods: &autoscalingv2.PodsMetricSource{
		Metric: autoscalingv2.MetricIdentifier{Name: podsMetricName},
		Target: autoscalingv2.MetricTarget{Type: autoscalingv2.AverageValueMetricType, AverageValue: &q}}}
}

func objectMetric(value string) autoscalingv2.MetricSpec {
	q := resource.MustParse(value)
	return autoscalingv2.MetricSpec{Type: autoscalingv2.ObjectMetricSourceType, Object: &autoscalingv2.ObjectMetricSource{
		DescribedObject: autoscalingv2.CrossVersionObjectReference{APIVersion: "v1", Kind: objectKind, Name: objectName},
		Metric:          autoscalingv2.MetricIdentifier{Name: objectMetricName},
		Target:          autoscalingv2.MetricTarget{Type: autoscalingv2.ValueMetricType, Value: &q}}}
}

func externalMetric(avg string) autoscalingv2.MetricSpec {
	q := resource.MustParse(avg)
	return autoscalingv2.MetricSpec{Type: autoscalingv2.ExternalMetricSourceType, External: &autoscalingv2.ExternalMetricSource{
		Metric: autoscalingv2.MetricIdentifier{Name: externalMetricName, Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"queue": "orders"}}},
		Target: autoscalingv2.MetricTarget{Type: autoscalingv2.AverageValueMetricType, AverageValue: &q}}}
}

func policy(t autoscalingv2.HPAScalingPolicyType, v, period int32) autoscalingv2.HPAScalingPolicy {
	return autoscalingv2.HPAScalingPolicy{Type: t, Value: v, PeriodSeconds: period}
}

func rules(window int32, sel autoscalingv2.ScalingPolicySelect, ps ...autoscalingv2.HPAScalingPolicy) *autoscalingv2.HPAScalingRules {
	r := &autoscalingv2.HPAScalingRules{StabilizationWindowSeconds: i32(window), Policies: ps}
	if sel != "" {
		r.SelectPolicy = &sel
	}
	return r
}

func spec(min, max int32, b *autoscalingv2.HorizontalPodAutoscalerBehavior, ms ...autoscalingv2.MetricSpec) autoscalingv2.HorizontalPodAutoscalerSpec {
	return autoscalingv2.HorizontalPodAutoscalerSpec{MinReplicas: i32(min), MaxReplicas: max, Metrics: ms, Behavior: b}
}

func behavior(up, down *autoscalingv2.HPAScalingRules) *autoscalingv2.HorizontalPodAutoscalerBehavior {
	return &autoscalingv2.HorizontalPodAutoscalerBehavior{ScaleUp: up, ScaleDown: down}
}

const (
	pods    = autoscalingv2.PodsScalingPolicy
	percent = autoscalingv2.PercentScalingPolicy
	selMin  = autoscalingv2.MinChangePolicySelect
	selMax  = autoscalingv2.MaxChangePolicySelect
	selOff  = autoscalingv2.DisabledPolicySelect
)

// traces are the scenarios of issue 16, each a minute or two of compressed
// time. CPU values are millicores per pod against a 100m request, so they
// read as utilization percent.
func traces() []trace {
	fast := behavior(rules(0, selMax, policy(percent, 100, 5)), rules(5, selMax, policy(percent, 100, 5)))
	return []trace{
		{id: "legacy-step-up", desc: "no behavior: CPU steps from 40% to 130% of a 50% target; legacy scale-up limit max(2x, 4)",
			initial: 2, duration: 50, spec: spec(1, 10, nil, cpuUtil(50)), cpu: steps(0, 40, 8, 130)},
		{id: "legacy-step-up-down", desc: "no behavior: CPU up then down; the 41 s downscale stabilisation holds the scale-down",
			initial: 2, duration: 110, spec: spec(1, 10, nil, cpuUtil(50)), cpu: steps(0, 50, 6, 110, 36, 20)},
		{id: "oscillate-inside-tolerance", desc: "CPU alternates 53%/47% of 50% every 4 s: within the 0.1 tolerance, no scaling",
			initial: 3, duration: 50, spec: spec(1, 10, fast, cpuUtil(50)), cpu: alternate(53, 47, 4)},
		{id: "oscillate-outside-tolerance", desc: "CPU alternates 80%/25% of 50% every 7 s with short windows: repeated scaling",
			initial: 3, duration: 80, spec: spec(1, 10, fast, cpuUtil(50)), cpu: alternate(80, 25, 7)},
		{id: "up-pods-policy", desc: "scale-up limited to 1 pod per 5 s",
			initial: 2, duration: 60, spec: spec(1, 10, behavior(rules(0, "", policy(pods, 1, 5)), nil), cpuUtil(50)), cpu: steps(0, 50, 4, 200)},
		{id: "up-percent-policy", desc: "scale-up limited to 50% per 5 s",
			initial: 2, duration: 60, spec: spec(1, 12, behavior(rules(0, "", policy(percent, 50, 5)), nil), cpuUtil(50)), cpu: steps(0, 50, 4, 250)},
		{id: "up-select-min", desc: "scale-up policies 4 pods/5 s and 50%/9 s, selectPolicy Min",
			initial: 2, duration: 60, spec: spec(1, 12, behavior(rules(0, selMin, policy(pods, 4, 5), policy(percent, 50, 9)), nil), cpuUtil(50)), cpu: steps(0, 50, 4, 250)},
		{id: "up-select-max", desc: "scale-up policies 1 pod/5 s and 50%/9 s, selectPolicy Max",
			initial: 2, duration: 60, spec: spec(1, 12, behavior(rules(0, selMax, policy(pods, 1, 5), policy(percent, 50, 9)), nil), cpuUtil(50)), cpu: steps(0, 50, 4, 250)},
		{id: "up-disabled", desc: "scale-up selectPolicy Disabled: high CPU changes nothing, then scale-down still works",
			initial: 3, duration: 70, spec: spec(1, 10, behavior(rules(0, selOff, policy(pods, 4, 5)), rules(5, "", policy(percent, 100, 5))), cpuUtil(50)), cpu: steps(0, 150, 36, 10)},
		{id: "down-pods-policy", desc: "scale-down limited to 1 pod per 5 s after a 5 s window",
			initial: 8, duration: 70, spec: spec(1, 10, behavior(nil, rules(5, "", policy(pods, 1, 5))), cpuUtil(50)), cpu: steps(0, 10)},
		{id: "down-percent-policy", desc: "scale-down limited to 50% per 7 s after a 3 s window",
			initial: 9, duration: 70, spec: spec(1, 10, behavior(nil, rules(3, "", policy(percent, 50, 7))), cpuUtil(50)), cpu: steps(0, 8)},
		{id: "down-select-min", desc: "scale-down policies 3 pods/5 s and 25%/9 s, selectPolicy Min",
			initial: 9, duration: 80, spec: spec(1, 10, behavior(nil, rules(3, selMin, policy(pods, 3, 5), policy(percent, 25, 9))), cpuUtil(50)), cpu: steps(0, 8)},
		{id: "down-disabled", desc: "scale-down selectPolicy Disabled: low CPU keeps the replicas, a peak still scales up",
			initial: 4, duration: 60, spec: spec(1, 10, behavior(rules(0, "", policy(pods, 2, 5)), rules(3, selOff, policy(pods, 4, 5))), cpuUtil(50)), cpu: steps(0, 10, 30, 120)},
		{id: "up-stabilization-window", desc: "scale-up window 9 s: short CPU spikes are smoothed to the window's minimum",
			initial: 2, duration: 70, spec: spec(1, 10, behavior(rules(9, "", policy(percent, 100, 5)), rules(5, "", policy(percent, 100, 5))), cpuUtil(50)), cpu: steps(0, 40, 6, 140, 12, 40, 30, 140)},
		{id: "down-stabilization-window", desc: "scale-down window 15 s over stepwise falling CPU",
			initial: 6, duration: 90, spec: spec(1, 10, behavior(nil, rules(15, "", policy(percent, 100, 5))), cpuUtil(50)), cpu: steps(0, 45, 10, 30, 30, 20, 50, 5)},
		{id: "max-clamp", desc: "maxReplicas 4 clamps a large proposal (TooManyReplicas)",
			initial: 2, duration: 40, spec: spec(1, 4, fast, cpuUtil(50)), cpu: steps(0, 300)},
		{id: "min-clamp", desc: "minReplicas 3 clamps a small proposal (TooFewReplicas)",
			initial: 5, duration: 40, spec: spec(3, 8, fast, cpuUtil(50)), cpu: steps(0, 5)},
		{id: "below-min-start", desc: "the target starts below minReplicas: set to minReplicas without metrics",
			initial: 1, duration: 30, spec: spec(3, 8, fast, cpuUtil(50)), cpu: steps(0, 50)},
		{id: "above-max-start", desc: "the target starts above maxReplicas: set to maxReplicas without metrics",
			initial: 7, duration: 30, spec: spec(1, 4, fast, cpuUtil(50)), cpu: steps(0, 50)},
		{id: "late-ready", desc: "new pods start after 3 s and become Ready 9 s later; unready pods report high CPU",
			initial: 2, duration: 80, startDelay: 3, readyDelay: 9, unreadyCPU: 150,
			spec: spec(1, 10, fast, cpuUtil(50)), cpu: steps(0, 40, 4, 120, 40, 60)},
		{id: "late-ready-initial-delay", desc: "new pods become Ready 2 s after start (within the 4 s initial readiness delay) and report low CPU while unready",
			initial: 2, duration: 70, startDelay: 1, readyDelay: 2, unreadyCPU: 5,
			spec: spec(1, 10, fast, cpuUtil(50)), cpu: steps(0, 40, 4, 150, 36, 45)},
		{id: "metric-missing", desc: "the resource metrics API fails from 20 s to 36 s, then answers an empty list until 44 s",
			initial: 3, duration: 70, spec: spec(1, 10, fast, cpuUtil(50)), cpu: steps(0, 50, 16, 90, 50, 20),
			resource: func(t float64) metricsState {
				if s := between(20, 36, metricsError)(t); s != metricsOK {
					return s
				}
				return between(36, 44, metricsEmpty)(t)
			}},
		{id: "two-metrics-cpu-pods", desc: "CPU utilization and a pods metric (average value 10): the larger proposal wins",
			initial: 2, duration: 70, spec: spec(1, 10, fast, cpuUtil(50), podsMetric("10")),
			cpu: steps(0, 40, 30, 90), pods: steps(0, 8000, 10, 25000, 44, 4000)},
		{id: "three-metrics-object", desc: "CPU, a pods metric and an Object (Service) value metric",
			initial: 2, duration: 70, spec: spec(1, 10, fast, cpuUtil(50), podsMetric("10"), objectMetric("100")),
			cpu: steps(0, 40), pods: steps(0, 8000, 40, 18000), object: steps(0, 150000, 20, 350000, 50, 50000)},
		{id: "three-metrics-external", desc: "CPU, a pods metric and an External average-value metric",
			initial: 2, duration: 70, spec: spec(1, 10, fast, cpuUtil(50), podsMetric("10"), externalMetric("20")),
			cpu: steps(0, 40, 40, 95), pods: steps(0, 5000),
			external: func(t float64) []int64 { return []int64{steps(0, 30000, 10, 90000, 30, 10000)(t), 10000} }},
		{id: "external-missing-partial", desc: "CPU and an External metric that fails for 20 s: scale-up from CPU goes on, scale-down waits",
			initial: 3, duration: 80, spec: spec(1, 10, fast, cpuUtil(50), externalMetric("20")),
			cpu: steps(0, 40, 14, 100, 40, 10), external: func(t float64) []int64 { return []int64{40000} },
			extDown: func(t float64) bool { return t >= 10 && t < 50 }},
		{id: "container-resource", desc: "ContainerResource CPU of container app; the sidecar's low CPU does not count",
			initial: 2, duration: 60, sidecar: true, sidecarCPU: 2,
			spec: spec(1, 10, fast, autoscalingv2.MetricSpec{Type: autoscalingv2.ContainerResourceMetricSourceType, ContainerResource: &autoscalingv2.ContainerResourceMetricSource{
				Name: corev1.ResourceCPU, Container: "app", Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: i32(60)}}}),
			cpu: steps(0, 50, 8, 130, 36, 30)},
		{id: "memory-average-value", desc: "Resource memory with an average-value target of 100Mi",
			initial: 2, duration: 60, spec: spec(1, 10, fast, autoscalingv2.MetricSpec{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricSource{
				Name: corev1.ResourceMemory, Target: autoscalingv2.MetricTarget{Type: autoscalingv2.AverageValueMetricType, AverageValue: resourcePtr("100Mi")}}}),
			cpu: steps(0, 10), memory: steps(0, 90<<20, 10, 250<<20, 36, 40<<20)},
		{id: "tolerance-per-direction", desc: "behavior tolerances: scale-up 0.05, scale-down 0.3 (HPAConfigurableTolerance, GA in 1.37)",
			initial: 4, duration: 70,
			spec: spec(1, 10, behavior(withTolerance(rules(0, "", policy(percent, 100, 5)), "0.05"), withTolerance(rules(3, "", policy(percent, 100, 5)), "0.3")), cpuUtil(50)),
			cpu:  steps(0, 54, 16, 38, 36, 30)},
		{id: "no-behavior-defaults", desc: "no behavior and no metrics: the API server defaults the metric to CPU 80%; legacy path",
			initial: 2, duration: 100, spec: autoscalingv2.HorizontalPodAutoscalerSpec{MinReplicas: i32(1), MaxReplicas: 6},
			cpu: steps(0, 70, 6, 180, 30, 20)},
		{id: "scale-to-zero-and-back", desc: "minReplicas 0 with an External average-value metric: to zero when the queue empties (ScaledToZero=True), back from zero when it fills (HPAScaleToZero, beta in 1.37)",
			initial: 2, duration: 70, spec: spec(0, 6, behavior(rules(0, selMax, policy(pods, 2, 5), policy(percent, 100, 5)), rules(3, "", policy(percent, 100, 5))), externalMetric("20")),
			cpu: steps(0, 10), external: func(t float64) []int64 { return []int64{steps(0, 40000, 12, 0, 36, 70000)(t)} }},
		{id: "zero-percent-only", desc: "as scale-to-zero-and-back with only a Percent scale-up policy: 100% of zero is zero, the HPA stays at zero (ScaleUpLimit)",
			initial: 2, duration: 50, spec: spec(0, 6, behavior(rules(0, "", policy(percent, 100, 5)), rules(3, "", policy(percent, 100, 5))), externalMetric("20")),
			cpu: steps(0, 10), external: func(t float64) []int64 { return []int64{steps(0, 40000, 10, 0, 30, 70000)(t)} }},
		{id: "default-behavior", desc: "an empty behavior: the API server's default rules (scale-up 100%/15 s or 4 pods/15 s, Max; scale-down 100%/15 s after the 41 s flag window)",
			initial: 2, duration: 100, spec: spec(1, 12, &autoscalingv2.HorizontalPodAutoscalerBehavior{}, cpuUtil(50)),
			cpu: steps(0, 50, 4, 300, 40, 10)},
	}
}

func resourcePtr(s string) *resource.Quantity {
	q := resource.MustParse(s)
	return &q
}

func withTolerance(r *autoscalingv2.HPAScalingRules, tol string) *autoscalingv2.HPAScalingRules {
	r.Tolerance = resourcePtr(tol)
	return r
}
