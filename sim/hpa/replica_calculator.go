package hpa

import (
	"math"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// tolerances mirrors Tolerances in pkg/controller/podautoscaler/
// replica_calculator.go: the band around a usage ratio of 1 inside which no
// scaling happens, with separate bounds per direction (KEP-4951).
type tolerances struct {
	scaleDown, scaleUp float64
}

// isWithin mirrors Tolerances.isWithin: both ends are inclusive.
func (t tolerances) isWithin(ratio float64) bool {
	return (1.0-t.scaleDown) <= ratio && ratio <= (1.0+t.scaleUp)
}

// podClass is the group groupPods puts a pod in.
type podClass uint8

const (
	podReady podClass = iota
	podUnready
	podMissing
	podIgnored
)

// groupCounts are the sizes of the groups of groupPods.
type groupCounts struct {
	ready, unready, missing, ignored int32
}

// sampleAt returns the sample of pod i, if the metrics API returned one.
func sampleAt(samples []Sample, i int) (Sample, bool) {
	if i < len(samples) && samples[i].Present {
		return samples[i], true
	}
	return Sample{}, false
}

// groupPods mirrors groupPods in pkg/controller/podautoscaler/
// replica_calculator.go. It writes the class of pods[i] to classes[i]
// (len(classes) must be len(pods)) and returns the group sizes:
//
//   - deleted (deletionTimestamp set) or Failed pods are ignored;
//   - Pending pods are unready, for every metric;
//   - pods without a sample are missing;
//   - for the cpu resource only (cpu true): a pod without a Ready condition
//     or start time is unready; within cpuInitializationPeriod of its start
//     it is unready if Ready is False or the sample window began before the
//     last readiness transition (sample.Timestamp < transition + window);
//     afterwards it is unready only if Ready is False and it never became
//     ready (its last transition came less than delayOfInitialReadinessStatus
//     after its start);
//   - every other pod is ready.
//
// All time comparisons are strict, as upstream's After/Before.
func groupPods(pods []Pod, samples []Sample, cpu bool, cpuInitializationPeriod, delayOfInitialReadinessStatus, now time.Duration, classes []podClass) groupCounts {
	var n groupCounts
	for i := range pods {
		p := &pods[i]
		c := p.n()
		if p.Deleting || p.Phase == PodFailed {
			classes[i] = podIgnored
			n.ignored += c
			continue
		}
		if p.Phase == PodPending {
			classes[i] = podUnready
			n.unready += c
			continue
		}
		s, ok := sampleAt(samples, i)
		if !ok {
			classes[i] = podMissing
			n.missing += c
			continue
		}
		if cpu {
			var unready bool
			switch {
			case p.Ready == NoReadyCondition || p.NoStartTime:
				unready = true
			case p.StartTime+cpuInitializationPeriod > now:
				// Still within the initialisation period: use the sample only
				// if the pod is ready and one full window was collected after
				// the last readiness transition.
				unready = p.Ready == NotReady || s.Timestamp < p.ReadyTransitionTime+s.Window
			default:
				// Ignore the sample only if the pod is unready and has never
				// been ready since it started.
				unready = p.Ready == NotReady && p.StartTime+delayOfInitialReadinessStatus > p.ReadyTransitionTime
			}
			if unready {
				classes[i] = podUnready
				n.unready += c
				continue
			}
		}
		classes[i] = podReady
		n.ready += c
	}
	return n
}

// podRequest mirrors calculatePodRequests in replica_calculator.go for one
// pod: the pod-level request when podLevel is on, no container is named and
// the pod sets a pod-level request for the resource; otherwise the sum of
// the requests of the pod's containers (only the named one if container is
// not empty). A container without a request for the resource is an error; a
// named container that does not exist contributes 0.
func podRequest(p *Pod, resource corev1.ResourceName, container string, podLevel bool) (int64, error) {
	if container == "" && podLevel && p.Requests != nil {
		for _, r := range p.Requests {
			if r.Name == resource {
				return r.Milli, nil
			}
		}
	}
	var sum int64
	for ci := range p.Containers {
		c := &p.Containers[ci]
		if container != "" && c.Name != container {
			continue
		}
		found := false
		for _, r := range c.Requests {
			if r.Name == resource {
				sum += r.Milli
				found = true
				break
			}
		}
		if !found {
			return 0, &MissingRequestError{Resource: resource, Container: c.Name, Pod: p.Name}
		}
	}
	return sum, nil
}

// sameSpec reports whether two pods share their containers' and pod-level
// requests, the same slices (a workload's pods usually do): the calculator
// reads only, so their requests are the same.
func sameSpec(a, b *Pod) bool {
	return sameSlice(a.Containers, b.Containers) && sameSlice(a.Requests, b.Requests)
}

func sameSlice[T any](a, b []T) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

// ceilReplicas returns ceil(x) as a replica count, clamped to the int32
// range (upstream clamps Object/External proposals at MaxInt32, PR #120398;
// the clamp is harmless elsewhere, where upstream's conversion would be
// undefined).
func ceilReplicas(x float64) int32 {
	c := math.Ceil(x)
	switch {
	case c != c:
		return 0
	case c >= math.MaxInt32:
		return math.MaxInt32
	case c <= math.MinInt32:
		return math.MinInt32
	}
	return int32(c)
}

// replicaCalculator mirrors ReplicaCalculator in replica_calculator.go,
// with the metrics client and pod lister replaced by a Snapshot. It keeps
// scratch buffers so that steady-state calls do not allocate.
type replicaCalculator struct {
	tolerances                    tolerances
	cpuInitializationPeriod       time.Duration
	delayOfInitialReadinessStatus time.Duration
	podLevelResources             bool

	classes  []podClass
	requests []int64
}

// group runs groupPods into the calculator's scratch buffer.
func (r *replicaCalculator) group(now time.Duration, pods []Pod, samples []Sample, cpu bool) groupCounts {
	if cap(r.classes) < len(pods) {
		r.classes = make([]podClass, len(pods), len(pods)+len(pods)/4+1)
	}
	r.classes = r.classes[:len(pods)]
	return groupPods(pods, samples, cpu, r.cpuInitializationPeriod, r.delayOfInitialReadinessStatus, now, r.classes)
}

// hasSamples reports whether the metrics API returned anything per pod.
func hasSamples(mv *MetricValues) bool {
	if len(mv.UnmatchedSamples) > 0 {
		return true
	}
	for i := range mv.Samples {
		if mv.Samples[i].Present {
			return true
		}
	}
	return false
}

// resourceResult is what GetResourceReplicas returns besides the count.
type resourceResult struct {
	replicas    int32
	utilization int32
	rawAverage  int64
	counts      groupCounts
}

// plainProposal is the proposal when no pod needs rebalancing (no missing
// pod, and no unready pod on a scale-up): the current count within
// tolerance, else ceil(ratio × ready). ok is false when the caller must
// rebalance; both GetResourceReplicas and calcPlainMetricReplicas start so.
func (r *replicaCalculator) plainProposal(currentReplicas int32, ratio float64, counts groupCounts) (int32, bool) {
	scaleUpWithUnready := counts.unready > 0 && ratio > 1.0
	if scaleUpWithUnready || counts.missing > 0 {
		return 0, false
	}
	if r.tolerances.isWithin(ratio) {
		return currentReplicas, true
	}
	return ceilReplicas(ratio * float64(counts.ready)), true
}

// getResourceReplicas mirrors GetResourceReplicas in replica_calculator.go
// (Resource and ContainerResource metrics with a Utilization target):
//
//	util  = floor(100 * Σ usage / Σ request) over ready pods   (integer percent)
//	ratio = util / target
//
// Without unready pods on a scale-up and without missing pods the proposal
// is currentReplicas within tolerance, else ceil(ratio * readyPods).
// Otherwise missing pods are assumed at max(100, target) percent of request
// on a scale-down and at 0 on a scale-up, unready pods at 0 on a scale-up,
// and the ratio is recomputed; a recomputed ratio within tolerance or on the
// other side of 1 keeps currentReplicas, as does a count that would move
// against the direction of the ratio (PR #85027).
func (r *replicaCalculator) getResourceReplicas(now time.Duration, currentReplicas, targetUtilization int32, resource corev1.ResourceName, container string, pods []Pod, mv *MetricValues) (resourceResult, error) {
	var res resourceResult
	if mv.Unavailable {
		return res, ErrMetricsAPI
	}
	if !hasSamples(mv) {
		return res, ErrNoMetrics
	}
	if len(pods) == 0 {
		return res, ErrNoPods
	}
	res.counts = r.group(now, pods, mv.Samples, resource == corev1.ResourceCPU)

	if cap(r.requests) < len(pods) {
		r.requests = make([]int64, len(pods), len(pods)+len(pods)/4+1)
	}
	r.requests = r.requests[:len(pods)]
	for i := range pods {
		if i > 0 && sameSpec(&pods[i], &pods[i-1]) {
			r.requests[i] = r.requests[i-1]
			continue
		}
		req, err := podRequest(&pods[i], resource, container, r.podLevelResources)
		if err != nil {
			return res, err
		}
		r.requests[i] = req
	}

	entries := int64(res.counts.ready) + int64(len(mv.UnmatchedSamples))
	if entries == 0 {
		return res, ErrNoPodMetrics
	}

	// GetResourceUtilizationRatio: unmatched samples have no request and
	// are skipped.
	var usage, request int64
	for i := range pods {
		if r.classes[i] == podReady {
			c := int64(pods[i].n())
			usage += mv.Samples[i].Milli * c
			request += r.requests[i] * c
		}
	}
	if request == 0 {
		return res, ErrNoMatchingMetrics
	}
	res.utilization = int32(usage * 100 / request)
	res.rawAverage = usage / int64(res.counts.ready)
	ratio := float64(res.utilization) / float64(targetUtilization)

	scaleUpWithUnready := res.counts.unready > 0 && ratio > 1.0
	if replicas, ok := r.plainProposal(currentReplicas, ratio, res.counts); ok {
		res.replicas = replicas
		return res, nil
	}

	// Rebalance: fill in the missing and (on a scale-up) the unready pods.
	if res.counts.missing > 0 && ratio != 1.0 {
		fallback := int64(100)
		if int64(targetUtilization) > fallback {
			fallback = int64(targetUtilization)
		}
		for i := range pods {
			if r.classes[i] != podMissing {
				continue
			}
			c := int64(pods[i].n())
			if ratio < 1.0 {
				usage += r.requests[i] * fallback / 100 * c
			}
			request += r.requests[i] * c
			entries += c
		}
	}
	if scaleUpWithUnready {
		for i := range pods {
			if r.classes[i] == podUnready {
				c := int64(pods[i].n())
				request += r.requests[i] * c
				entries += c
			}
		}
	}
	if request == 0 {
		return res, ErrNoMatchingMetrics
	}
	newRatio := float64(int32(usage*100/request)) / float64(targetUtilization)

	if r.tolerances.isWithin(newRatio) || (ratio < 1.0 && newRatio > 1.0) || (ratio > 1.0 && newRatio < 1.0) {
		res.replicas = currentReplicas
		return res, nil
	}
	n := ceilReplicas(newRatio * float64(entries))
	if (newRatio < 1.0 && n > currentReplicas) || (newRatio > 1.0 && n < currentReplicas) {
		res.replicas = currentReplicas
		return res, nil
	}
	res.replicas = n
	return res, nil
}

// plainResult is what calcPlainMetricReplicas returns besides the count.
type plainResult struct {
	replicas int32
	usage    int64
	counts   groupCounts
}

// getPlainMetricReplicas mirrors calcPlainMetricReplicas in
// replica_calculator.go, used by GetRawResourceReplicas (Resource and
// ContainerResource metrics with an AverageValue target; cpu selects the CPU
// readiness rules) and GetMetricReplicas (Pods metrics; cpu false):
//
//	usage = floor(Σ values / count)   over ready pods and unmatched samples
//	ratio = usage / target
//
// then as getResourceReplicas, except that missing pods are assumed to use
// exactly the target on a scale-down.
func (r *replicaCalculator) getPlainMetricReplicas(now time.Duration, currentReplicas int32, targetUsage int64, cpu bool, pods []Pod, mv *MetricValues) (plainResult, error) {
	var res plainResult
	if mv.Unavailable {
		return res, ErrMetricsAPI
	}
	if !hasSamples(mv) {
		return res, ErrNoMetrics
	}
	if len(pods) == 0 {
		return res, ErrNoPods
	}
	res.counts = r.group(now, pods, mv.Samples, cpu)

	entries := int64(res.counts.ready) + int64(len(mv.UnmatchedSamples))
	if entries == 0 {
		return res, ErrNoPodMetrics
	}
	// GetMetricUsageRatio: every remaining sample counts, matched or not.
	var total int64
	for i := range pods {
		if r.classes[i] == podReady {
			total += mv.Samples[i].Milli * int64(pods[i].n())
		}
	}
	for _, s := range mv.UnmatchedSamples {
		total += s.Milli
	}
	res.usage = total / entries
	ratio := float64(res.usage) / float64(targetUsage)

	scaleUpWithUnready := res.counts.unready > 0 && ratio > 1.0
	if replicas, ok := r.plainProposal(currentReplicas, ratio, res.counts); ok {
		res.replicas = replicas
		return res, nil
	}

	if res.counts.missing > 0 && ratio != 1.0 {
		if ratio < 1.0 {
			total += targetUsage * int64(res.counts.missing)
		}
		entries += int64(res.counts.missing)
	}
	if scaleUpWithUnready {
		entries += int64(res.counts.unready)
	}
	newRatio := float64(total/entries) / float64(targetUsage)

	if r.tolerances.isWithin(newRatio) || (ratio < 1.0 && newRatio > 1.0) || (ratio > 1.0 && newRatio < 1.0) {
		res.replicas = currentReplicas
		return res, nil
	}
	n := ceilReplicas(newRatio * float64(entries))
	if (newRatio < 1.0 && n > currentReplicas) || (newRatio > 1.0 && n < currentReplicas) {
		res.replicas = currentReplicas
		return res, nil
	}
	res.replicas = n
	return res, nil
}

// readyPodsCount mirrors getReadyPodsCount in replica_calculator.go: the
// number of pods that are Running with Ready=True; no pods is an error.
func readyPodsCount(pods []Pod) (int32, error) {
	if len(pods) == 0 {
		return 0, ErrNoPods
	}
	var n int32
	for i := range pods {
		if pods[i].Phase == PodRunning && pods[i].Ready == Ready {
			n += pods[i].n()
		}
	}
	return n, nil
}

// getUsageRatioReplicaCount mirrors getUsageRatioReplicaCount in
// replica_calculator.go (Object and External Value targets): at
// currentReplicas 0 the proposal is ceil(ratio) (scale from zero, no
// tolerance); otherwise currentReplicas within tolerance, else
// ceil(ratio * readyPods). ready receives the ready-pod count when read.
func (r *replicaCalculator) getUsageRatioReplicaCount(currentReplicas int32, ratio float64, pods []Pod, ready *int32) (int32, error) {
	if currentReplicas == 0 {
		return ceilReplicas(ratio), nil
	}
	if r.tolerances.isWithin(ratio) {
		return currentReplicas, nil
	}
	n, err := readyPodsCount(pods)
	if err != nil {
		return 0, err
	}
	*ready = n
	return ceilReplicas(ratio * float64(n)), nil
}

// getObjectMetricReplicas mirrors GetObjectMetricReplicas in
// replica_calculator.go (Object metric, Value target): ratio = value/target.
func (r *replicaCalculator) getObjectMetricReplicas(currentReplicas int32, targetUsage, usage int64, pods []Pod, ready *int32) (int32, error) {
	ratio := float64(usage) / float64(targetUsage)
	return r.getUsageRatioReplicaCount(currentReplicas, ratio, pods, ready)
}

// getPerPodMetricReplicas mirrors GetObjectPerPodMetricReplicas and
// GetExternalPerPodMetricReplicas in replica_calculator.go (AverageValue
// targets): ratio = usage / (target * statusReplicas); within tolerance the
// proposal is statusReplicas, else ceil(usage / target). The reported
// average is ceil(usage / statusReplicas) (usage itself when statusReplicas
// is 0, where upstream's conversion of +Inf is undefined).
func (r *replicaCalculator) getPerPodMetricReplicas(statusReplicas int32, targetAverageUsage, usage int64) (replicas int32, average int64) {
	replicas = statusReplicas
	ratio := float64(usage) / (float64(targetAverageUsage) * float64(statusReplicas))
	if !r.tolerances.isWithin(ratio) {
		replicas = ceilReplicas(float64(usage) / float64(targetAverageUsage))
	}
	if statusReplicas == 0 {
		return replicas, usage
	}
	return replicas, int64(math.Ceil(float64(usage) / float64(statusReplicas)))
}

// sumSeries mirrors the summing of external metric series in
// GetExternalMetricReplicas: the sum saturates at MaxInt64 (and MinInt64).
func sumSeries(series []int64) int64 {
	var sum int64
	for _, v := range series {
		switch {
		case v > 0 && sum > math.MaxInt64-v:
			sum = math.MaxInt64
		case v < 0 && sum < math.MinInt64-v:
			sum = math.MinInt64
		default:
			sum += v
		}
	}
	return sum
}
