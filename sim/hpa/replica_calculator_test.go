package hpa

import (
	"errors"
	"math"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

func readyPod(name string, start time.Duration) Pod {
	return Pod{
		Name: name, Phase: PodRunning, Ready: Ready, StartTime: start, ReadyTransitionTime: start,
		Containers: []Container{{Name: "app", Requests: []ResourceAmount{{Name: corev1.ResourceCPU, Milli: 1000}, {Name: corev1.ResourceMemory, Milli: 1000}}}},
	}
}

func present(milli int64, at time.Duration) Sample {
	return Sample{Present: true, Milli: milli, Timestamp: at, Window: time.Minute}
}

// TestRawResourceReplicas: a Resource metric with an AverageValue target
// applies the CPU readiness rules for cpu only (calcPlainMetricReplicas
// receives the resource name).
func TestRawResourceReplicas(t *testing.T) {
	now := time.Hour
	calc := replicaCalculator{tolerances: tolerances{0.1, 0.1}, cpuInitializationPeriod: 5 * time.Minute, delayOfInitialReadinessStatus: 30 * time.Second}
	// p2 started a minute ago and became ready 30 s ago: its one-minute
	// CPU sample began before it was ready, so it is unready (hot CPU).
	pods := []Pod{readyPod("p0", 0), readyPod("p1", 0), readyPod("p2", now-time.Minute)}
	pods[2].ReadyTransitionTime = now - 30*time.Second
	mv := MetricValues{Samples: []Sample{present(1000, now), present(1000, now), present(3000, now)}}
	cpu, err := calc.getPlainMetricReplicas(now, 3, 500, true, pods, &mv)
	if err != nil {
		t.Fatal(err)
	}
	// Ready pods average 1000 vs 500: ratio 2, the unready pod counts 0:
	// (1000+1000+0)/3 = 666 → ratio 1.332 → ceil(3.996) = 4.
	if cpu.replicas != 4 || cpu.usage != 1000 || cpu.counts.unready != 1 {
		t.Errorf("cpu: %+v, want 4 replicas, usage 1000, 1 unready", cpu)
	}
	mem, err := calc.getPlainMetricReplicas(now, 3, 500, false, pods, &mv)
	if err != nil {
		t.Fatal(err)
	}
	// Without CPU rules all three count: 5000/3 = 1666 → ceil(3.332*3) = 10.
	if mem.replicas != 10 || mem.usage != 1666 {
		t.Errorf("memory: %+v, want 10 replicas, usage 1666", mem)
	}
}

func TestReplicaCalculatorErrors(t *testing.T) {
	now := time.Hour
	calc := replicaCalculator{tolerances: tolerances{0.1, 0.1}}
	pending := Pod{Name: "p", Phase: PodPending, Containers: readyPod("p", 0).Containers}
	for _, tc := range []struct {
		name string
		pods []Pod
		mv   MetricValues
		want error
	}{
		{"api error", []Pod{readyPod("p", 0)}, MetricValues{Unavailable: true}, ErrMetricsAPI},
		{"no samples", []Pod{readyPod("p", 0)}, MetricValues{Samples: []Sample{{}}}, ErrNoMetrics},
		{"no pods", nil, MetricValues{UnmatchedSamples: []Sample{present(1, now)}}, ErrNoPods},
		{"all unready", []Pod{pending}, MetricValues{Samples: []Sample{present(1, now)}}, ErrNoPodMetrics},
		{"only unmatched samples", []Pod{pending}, MetricValues{Samples: []Sample{present(1, now)}, UnmatchedSamples: []Sample{present(1, now)}}, ErrNoMatchingMetrics},
	} {
		_, err := calc.getResourceReplicas(now, 1, 50, corev1.ResourceMemory, "", tc.pods, &tc.mv)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: err %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestSumSeriesSaturates(t *testing.T) {
	for _, tc := range []struct {
		in   []int64
		want int64
	}{
		{[]int64{1, 2, 3}, 6},
		{[]int64{math.MaxInt64, 1}, math.MaxInt64},
		{[]int64{math.MinInt64, -1}, math.MinInt64},
		{[]int64{-5, 3}, -2},
	} {
		if got := sumSeries(tc.in); got != tc.want {
			t.Errorf("sumSeries(%v) = %d, want %d", tc.in, got, tc.want)
		}
	}
}

func TestReplicaRounding(t *testing.T) {
	for _, tc := range []struct {
		x           float64
		ceil, trunc int32
	}{
		{2.1, 3, 2},
		{-2.5, -2, -2},
		{math.Inf(1), math.MaxInt32, math.MaxInt32},
		{-1e12, math.MinInt32, math.MinInt32},
		{math.NaN(), 0, 0},
	} {
		if got := ceilReplicas(tc.x); got != tc.ceil {
			t.Errorf("ceilReplicas(%v) = %d, want %d", tc.x, got, tc.ceil)
		}
		if got := truncReplicas(tc.x); got != tc.trunc {
			t.Errorf("truncReplicas(%v) = %d, want %d", tc.x, got, tc.trunc)
		}
	}
}

// TestReadyUnknownCPU: a Ready=Unknown pod past initialisation is not
// unready for CPU (groupPods tests for False), but does not count as ready
// for Object/External Value targets (IsPodReady needs True).
func TestReadyUnknownCPU(t *testing.T) {
	now := time.Hour
	p := readyPod("p", 0)
	p.Ready = ReadyUnknown
	classes := make([]podClass, 1)
	n := groupPods([]Pod{p}, []Sample{present(1, now)}, true, time.Minute, 10*time.Second, now, classes)
	if n.ready != 1 {
		t.Errorf("groupPods: %+v, want ready", n)
	}
	if got, _ := readyPodsCount([]Pod{p}); got != 0 {
		t.Errorf("readyPodsCount = %d, want 0", got)
	}
}

func TestDecisionString(t *testing.T) {
	d := Decision{Branch: BranchAboveMax, Rescale: true, CurrentReplicas: 12, Replicas: 10, MetricReplicas: -1, StabilizedReplicas: -1, Err: ErrFailedUpdateScale}
	d.Conditions.AbleToScale = Condition{Status: conditionTrue, Reason: ReasonSucceededRescale}
	want := `AboveMaxReplicas 12->10 AbleToScale=True/SucceededRescale err="failed to rescale"`
	if got := d.String(); got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	if got := d.RescaleReason(); got != "Current number of replicas above Spec.MaxReplicas" {
		t.Errorf("RescaleReason() = %q", got)
	}
}

// Pods that share their containers' slice share their requests; a pod
// with its own slice gets its own, whatever its neighbours share.
func TestResourceReplicas_SharedAndOwnRequests(t *testing.T) {
	now := time.Hour
	calc := replicaCalculator{tolerances: tolerances{0.1, 0.1}, cpuInitializationPeriod: 5 * time.Minute, delayOfInitialReadinessStatus: 30 * time.Second}
	shared := readyPod("p0", 0).Containers
	pods := make([]Pod, 4)
	for i := range pods {
		pods[i] = readyPod("p", 0)
		pods[i].Containers = shared
	}
	// p2 has twice the CPU request in a slice of its own.
	pods[2].Containers = []Container{{Name: "app", Requests: []ResourceAmount{{Name: corev1.ResourceCPU, Milli: 2000}, {Name: corev1.ResourceMemory, Milli: 1000}}}}
	mv := MetricValues{Samples: []Sample{present(500, now), present(500, now), present(500, now), present(500, now)}}
	res, err := calc.getResourceReplicas(now, 4, 50, corev1.ResourceCPU, "", pods, &mv)
	if err != nil {
		t.Fatal(err)
	}
	// 2000m used of 5000m requested: 40 %.
	if res.utilization != 40 || calc.requests[3] != 1000 || calc.requests[2] != 2000 {
		t.Errorf("utilization %d, requests %v; want 40 and [1000 1000 2000 1000]", res.utilization, calc.requests)
	}
}
