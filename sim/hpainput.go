package sim

import (
	"math"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"

	"github.com/headroom-dev/headroom/sim/hpa"
)

// What the HPA reads at a sync: the snapshot of the service's pods and
// their metrics, built by reconcile from the scrape's samples.

// podRun is a run of consecutive pods, from start, that the HPA cannot
// tell apart at the scrape that found them or later, until the pods
// change: n Ready pods past the CPU initialization period whose samples
// of CPU and memory are equal (or one pod).
type podRun struct {
	start, n int32
	settled  bool
}

// runScan finds the runs in a scrape's pass over the pods.
type runScan struct {
	settledBefore time.Duration
	// the last pod's sample, CPU and memory in milli-units, and their
	// conversions.
	has            bool
	at             time.Duration
	cpu, mem       int64
	toCPUm, toMemm milliCache
}

// milliCache converts values to milli-units, the last conversion reused
// while the value repeats (the steady cohort's members share theirs).
type milliCache struct {
	last float64
	m    int64
}

func newMilliCache() milliCache { return milliCache{last: math.NaN()} }

func (c *milliCache) of(v float64) int64 {
	if v != c.last {
		c.last, c.m = v, milli(v)
	}
	return c.m
}

func (rs *runScan) start(s *service, settledBefore time.Duration) {
	*rs = runScan{settledBefore: settledBefore, toCPUm: newMilliCache(), toMemm: newMilliCache()}
	s.runs = s.runs[:0]
	s.runsGen = s.podGen + 1
}

// add puts pod i, p, whose sample (has, at, cpu, mem) the scrape has
// just taken or kept, in the last run or starts a new one.
func (rs *runScan) add(s *service, i int, p *pod, has bool, at time.Duration, cpu, mem float64) {
	cpuM, memM := rs.toCPUm.of(cpu), rs.toMemm.of(mem)
	settled := p.settledBy(rs.settledBefore)
	if n := len(s.runs); n > 0 && settled && s.runs[n-1].settled &&
		has == rs.has && at == rs.at && cpuM == rs.cpu && memM == rs.mem {
		s.runs[n-1].n++
		return
	}
	s.runs = append(s.runs, podRun{start: int32(i), n: 1, settled: settled})
	rs.has, rs.at, rs.cpu, rs.mem = has, at, cpuM, memM
}

// reconcile runs one HPA sync and applies its decision.
//
// The snapshot lists the pods the controller can tell apart, each once:
// consecutive Ready pods past the CPU initialization period whose samples
// are equal in every metric (the steady cohort's members that became Ready
// together) share one entry (hpa.Pod.Count). Such pods fall in the same
// group whatever their start and readiness times, so the entry's times,
// the first pod's, decide for all of them, and the decision is the one of
// the pods listed one by one.
func (w *World) reconcile(s *service) {
	snap := &s.snapshot
	snap.SpecReplicas = s.specReplicas
	snap.StatusReplicas = int32(len(s.pods))
	snap.Pods = snap.Pods[:0]
	for i := range snap.Metrics {
		mv := &snap.Metrics[i]
		mv.Samples = mv.Samples[:0]
		mv.Series = mv.Series[:0]
	}
	resources := w.samplers(s)
	if resources && s.runsGen == s.podGen+1 && !w.eachPod {
		// The last scrape's runs still hold (the pods have not changed;
		// a pod past the initialization period then stays past it).
		for _, r := range s.runs {
			w.addEntry(s, s.pods[r.start], r.n)
		}
		w.decide(s)
		return
	}
	settledBefore := w.now - s.hpa.Config().CPUInitializationPeriod
	merging := false // the last entry may take in more pods
	for _, p := range s.pods {
		settled := p.settledBy(settledBefore)
		if merging && settled && w.sameSamples(s, p) {
			snap.Pods[len(snap.Pods)-1].Count++
			continue
		}
		w.addEntry(s, p, 1)
		merging = settled && !w.eachPod
	}
	w.decide(s)
}

// decide completes the snapshot with the Object and External metrics,
// runs the HPA on it and applies its decision.
func (w *World) decide(s *service) {
	snap := &s.snapshot
	for i := range snap.Metrics {
		mv := &snap.Metrics[i]
		if len(s.sources) == 0 {
			continue
		}
		src := &s.sources[i]
		switch src.kind {
		case autoscalingv2.ObjectMetricSourceType:
			mv.Value = milli(s.custom[src.ring].lagged())
		case autoscalingv2.ExternalMetricSourceType:
			mv.Series = append(mv.Series, milli(s.custom[src.ring].lagged()))
		}
	}
	s.lastDec = s.hpa.Reconcile(w.now, snap)
	if s.lastDec.Rescale {
		w.scaleTo(s, s.lastDec.Replicas, s.lastDec.RescaleReason())
	}
}

// settledBy reports whether p is Ready and was bound by t: past the CPU
// initialization period when t is that long ago, its group at a sync
// depends only on whether it has a sample.
func (p *pod) settledBy(t time.Duration) bool {
	return p.phase == podReady && p.boundAt <= t
}

// addEntry appends to the snapshot p's entry, standing for n pods, and its
// samples.
func (w *World) addEntry(s *service, p *pod, n int32) {
	e := w.hpaPod(s, p)
	e.Count = n
	s.snapshot.Pods = append(s.snapshot.Pods, e)
	for i := range s.samplers {
		sm := &s.samplers[i]
		sm.mv.Samples = append(sm.mv.Samples, sm.sample(w, p))
	}
}

// hpaPod is what the HPA reads of p, one entry of the snapshot.
func (w *World) hpaPod(s *service, p *pod) hpa.Pod {
	hp := hpa.Pod{Phase: hpa.PodPending, Ready: hpa.NotReady, NoStartTime: p.node < 0, Containers: s.containers()}
	if p.node >= 0 {
		hp.StartTime = p.boundAt
		hp.ReadyTransitionTime = p.boundAt
	}
	switch p.phase {
	case podRunning:
		hp.Phase = hpa.PodRunning
	case podReady:
		hp.Phase, hp.Ready, hp.ReadyTransitionTime = hpa.PodRunning, hpa.Ready, p.readyAt
	}
	return hp
}

// metricSampler gives the per-pod samples of one metric of the snapshot
// (Resource, ContainerResource and Pods metrics).
type metricSampler struct {
	mv *hpa.MetricValues
	// memory: a resource metric reads the pod's memory sample, else CPU;
	// custom: a Pods metric, whose value v every pod whose custom metrics
	// exist since lag ago reports.
	memory, custom bool
	v              int64
	lag            time.Duration
	toMilli        milliCache
}

// samplers sets up s.samplers for this sync, one per metric with per-pod
// samples, and reports whether they are all of resources, which the
// scrape's runs (podRun) compare.
func (w *World) samplers(s *service) bool {
	resources := true
	snap := &s.snapshot
	s.samplers = s.samplers[:0]
	for i := range snap.Metrics {
		sm := metricSampler{mv: &snap.Metrics[i], toMilli: newMilliCache()}
		if len(s.sources) > 0 {
			src := &s.sources[i]
			m := &s.hpaSpec.Metrics[i]
			switch src.kind {
			case autoscalingv2.ResourceMetricSourceType:
				sm.memory = m.Resource.Name == corev1.ResourceMemory
			case autoscalingv2.ContainerResourceMetricSourceType:
				sm.memory = m.ContainerResource.Name == corev1.ResourceMemory
			case autoscalingv2.PodsMetricSourceType:
				sm.custom, resources = true, false
				sm.v = milli(s.custom[src.ring].lagged())
				sm.lag = time.Duration(len(s.custom[src.ring].vals)-1) * w.tick
			default:
				continue
			}
		}
		s.samplers = append(s.samplers, sm)
	}
	return resources
}

// sameSamples reports whether p's samples are, in every metric, those of
// the snapshot's last entry.
func (w *World) sameSamples(s *service, p *pod) bool {
	for i := range s.samplers {
		if !s.samplers[i].same(w, p) {
			return false
		}
	}
	return true
}

// same reports whether p's sample of the metric is the last one taken.
// Pods whose window sums differ only in their last bits, which pods that
// became Ready at different times keep, convert to the same sample.
func (sm *metricSampler) same(w *World, p *pod) bool {
	last := &sm.mv.Samples[len(sm.mv.Samples)-1]
	if sm.custom {
		return last.Present == (p.phase == podReady && p.customSince <= w.now-sm.lag)
	}
	if p.hasSample != last.Present || p.sampleAt != last.Timestamp {
		return false
	}
	return sm.milli(p) == last.Milli
}

// milli is p's resource value in milli-units.
func (sm *metricSampler) milli(p *pod) int64 {
	v := p.sampleCPU
	if sm.memory {
		v = p.sampleMem
	}
	return sm.toMilli.of(v)
}

// sample is p's sample of the metric.
func (sm *metricSampler) sample(w *World, p *pod) hpa.Sample {
	if sm.custom {
		ok := p.phase == podReady && p.customSince <= w.now-sm.lag
		return hpa.Sample{Present: ok, Milli: sm.v, Timestamp: w.now, Window: w.window}
	}
	return hpa.Sample{Present: p.hasSample, Milli: sm.milli(p), Timestamp: p.sampleAt, Window: w.window}
}

// containers is the pod's one serving container with its requests.
func (s *service) containers() []hpa.Container {
	if s.snapshotContainers == nil {
		s.snapshotContainers = []hpa.Container{{
			Name: s.spec.Container,
			Requests: []hpa.ResourceAmount{
				{Name: corev1.ResourceCPU, Milli: milli(s.cpuRequest)},
				{Name: corev1.ResourceMemory, Milli: milli(s.memRequest)},
			},
		}}
	}
	return s.snapshotContainers
}

// milli converts a value to the milli-units the HPA reads, rounding as
// metrics-server's quantities do (to the nearest milli-unit).
func milli(v float64) int64 {
	if v >= math.MaxInt64/1000 {
		return math.MaxInt64
	}
	return int64(math.Round(v * 1000))
}
