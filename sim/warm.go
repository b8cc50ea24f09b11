package sim

import (
	"math"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"

	"github.com/headroom-dev/headroom/scenarios"
	"github.com/headroom-dev/headroom/sim/hpa"
)

// This file is the warm start: a run begins in the steady state of its
// first instant, as a cluster that had run at the scenario's opening rate
// λ(0) for long enough would be, instead of at the plan's replica count
// with empty queues and an HPA without history (Options.ColdStart keeps
// that). Both per-pod models, and every caller of Run — simulate, compare,
// the review, capacity's tune and sweep searches, the load-test
// predictions — start through warmStart.
//
// The rule, service by service:
//
//  1. The scheduled actions of the day before t = 0 are replayed (their
//     replica counts and HPA min/max patches), as in a cold start.
//  2. Replicas: without an HPA, spec.replicas after step 1. With one, the
//     count the HPA settles on at λ(0), found by iterating from spec.replicas
//     n ← clamp(P(n), minReplicas, maxReplicas), where P(n) is what the HPA's
//     metrics propose (hpa.Controller.Propose: computeReplicasForMetrics of
//     horizontal.go, tolerance included) when n Ready pods each serve
//     λ(0)/n and every metric reads its stationary value. The iteration
//     stops at the first n with P's clamp equal to n — the count a
//     controller starting from spec.replicas comes to rest at, since the
//     tolerance keeps any count within it — or, should it cycle, at the
//     largest count of the cycle (the one scale-down stabilisation holds).
//     As upstream, a count above maxReplicas or below minReplicas moves to
//     the bound without metrics, and spec.replicas 0 with minReplicas ≠ 0
//     stays 0 (scaling disabled).
//  3. Those pods are Ready since before the prehistory, on Ready nodes of
//     the cheapest type packed as at a cold start. When no node type holds
//     them within its maxNodes, the type that holds the cold start's pods
//     is filled to maxNodes and the pods beyond stay Pending from t = 0,
//     as they would in the cluster; the stationary state below is then
//     that of the Ready pods.
//  4. Every Ready pod is in its stationary state at λ(0)/n: its CPU and
//     memory rings (the metrics-server window) hold the stationary use, its
//     metrics-server sample is that average, and each custom metric's lag
//     line holds its stationary value. The fluid backlog is empty below
//     capacity; at or above it, it is at its cap μ·timeout, where an
//     overloaded pod's backlog comes to rest. DES queues start with the
//     stationary mean number in system (Little: λ·E[T] from the fluid
//     model's table) and then run at λ(0) for a burn-in of one SLO window
//     before t = 0 (desModel.warm), which also fills the window DES judges
//     the latency SLO on; nothing of the burn-in is recorded.
//  5. The HPA has the history of a controller that synced every sync
//     period at the settled count: hpa.Controller.Settle fills its
//     stabilisation windows' recommendations with it.

// maxSettleSteps bounds the fixed-point iteration; the CPU and request-rate
// proposals reach their fixed point in one or two steps.
const maxSettleSteps = 256

// warmStart builds the state at t = 0 of a warm start (the rule above).
func (w *World) warmStart() error {
	w.priming = true
	for _, s := range w.services {
		w.replayActions(s)
	}
	w.priming = false
	lams := make([]float64, len(w.services))
	cold := make([]int, len(w.services))
	index := make(map[*service]int, len(w.services))
	for i, s := range w.services {
		index[s] = i
	}
	// Callees settle first, so that a caller settles with their stationary
	// responses (a plan without calls keeps its order).
	for _, s := range w.order {
		i := index[s]
		cold[i] = int(s.specReplicas)
		lams[i] = s.rate(0, w.tick)
		if s.calls != nil {
			if err := s.fluid.retime(s); err != nil {
				return err
			}
		}
		n, err := w.settleReplicas(s, lams[i])
		if err != nil {
			return err
		}
		s.specReplicas = n
		s.rec.sum.MinReplicas, s.rec.sum.MaxReplicas = n, n
		s.rec.reach.include(n)
		w.addInitialPods(s, n)
		if s.called {
			s.restAt(lams[i], n)
		}
	}
	if err := w.placeInitialPods(cold); err != nil {
		return err
	}
	for _, s := range w.order {
		w.warmService(s, lams[index[s]])
	}
	return nil
}

// restAt sets a callee's response for its callers to its stationary mean
// at total rate lam on n pods (Little: in flight over rate).
func (s *service) restAt(lam float64, n int32) {
	s.errFrac = 0
	if n == 0 || !(lam > 0) {
		s.respMean = 0
		return
	}
	perPod := lam / float64(n)
	if perPod < s.fluid.mu {
		s.respMean = math.Min(s.fluid.calleeMean(s, perPod, s.fluid.stationaryAt(perPod)), s.timeout)
		return
	}
	f := s.steadyState(n, perPod)
	s.respMean = math.Min(f.inFlight/perPod, s.timeout)
}

// steadyFigures is a Ready pod in its stationary state: the fluid figures
// and the backlog beyond the stationary queue.
type steadyFigures struct {
	steadyPod
	backlog float64
}

// steadyState is the stationary state of a pod of s at per-pod rate perPod:
// below capacity the stationary queue, at or above it every slot busy and
// the backlog at the cap where the timeout drops what would wait longer.
func (s *service) steadyState(n int32, perPod float64) steadyFigures {
	m := s.fluid
	// The policy's latency table for n pods; the table for the previous
	// count stays on error, which only an invalid workload gives, and
	// newFluidModel has rejected that.
	_ = m.podsChanged(s, int(n))
	if perPod < m.mu {
		return steadyFigures{steadyPod: steadyAt(s, perPod, m.stationaryAt(perPod))}
	}
	wl := &s.w
	b := m.mu * s.timeout
	sp := steadyPod{queued: b, inFlight: float64(wl.Concurrency) + b}
	sp.cpu = s.throttle(wl.CPUIdle + m.mu*wl.CPUPerRequest)
	sp.mem = wl.MemoryBase + wl.MemoryPerInFlight*sp.inFlight
	return steadyFigures{steadyPod: sp, backlog: b}
}

// customValue is a custom metric's stationary value with n Ready pods at
// total rate lam — what finishTick pushes into its lag line, before the
// factor — per pod for a Pods metric.
func customValue(src *metricSource, n int32, lam float64, f *steadyFigures) float64 {
	pods := float64(n)
	total := 0.0
	switch src.source {
	case scenarios.SourceRequestRate:
		total = lam
	case scenarios.SourceInFlight:
		total = pods * f.inFlight
	case scenarios.SourceQueueDepth:
		total = pods * f.queued
	case scenarios.SourceCPU:
		total = pods * f.cpu
	case scenarios.SourceMemory:
		total = pods * f.mem
	}
	if src.kind == autoscalingv2.PodsMetricSourceType {
		if n == 0 {
			return 0
		}
		return total / pods
	}
	return total
}

// settleReplicas is step 2 of the rule: the count s's HPA settles on at
// total rate lam.
func (w *World) settleReplicas(s *service, lam float64) (int32, error) {
	n := s.specReplicas
	if s.hpa == nil || s.pinnedStart {
		return n, nil
	}
	// A scratch controller: Propose moves its conditions, and the run's
	// controller starts with none.
	c, err := hpa.NewController(s.hpa.Config(), s.hpaSpec)
	if err != nil {
		return 0, err
	}
	lo, hi := c.Bounds()
	var snap hpa.Snapshot
	seen := make([]int32, 0, 8)
	// Every count the settling starts from or moves to is in the run's
	// reach, so is the count it returns.
	s.rec.reach = ReplicaRange{n, n}
	for range maxSettleSteps {
		next := n
		switch {
		case n == 0 && lo != 0:
		case n > hi:
			next = hi
		case n < lo:
			next = lo
		default:
			w.steadySnapshot(s, n, lam, &snap)
			if p, ok := c.Propose(0, &snap); ok {
				next = min(max(p, lo), hi)
			}
		}
		s.rec.reach.include(next)
		if next == n {
			return n, nil
		}
		seen = append(seen, n)
		for i, v := range seen {
			if v == next { // a cycle: the largest count of it
				top := next
				for _, u := range seen[i:] {
					top = max(top, u)
				}
				return top, nil
			}
		}
		n = next
	}
	return n, nil
}

// steadySnapshot is what the HPA reads with n Ready pods of s in their
// stationary state at total rate lam (the snapshot reconcile builds).
func (w *World) steadySnapshot(s *service, n int32, lam float64, snap *hpa.Snapshot) {
	perPod := 0.0
	if n > 0 {
		perPod = lam / float64(n)
	}
	f := s.steadyState(n, perPod)
	snap.SpecReplicas, snap.StatusReplicas = n, n
	// The n pods are alike: one entry stands for them all (hpa.Pod.Count).
	snap.Pods = snap.Pods[:0]
	entries := 0
	if n > 0 {
		entries = 1
		snap.Pods = append(snap.Pods, hpa.Pod{
			Phase: hpa.PodRunning, Ready: hpa.Ready,
			StartTime: -prehistory, ReadyTransitionTime: -prehistory,
			Containers: s.containers(), Count: n,
		})
	}
	snap.Metrics = snap.Metrics[:0]
	resource := func(name corev1.ResourceName) hpa.MetricValues {
		v := f.cpu
		if name == corev1.ResourceMemory {
			v = f.mem
		}
		mv := hpa.MetricValues{Samples: make([]hpa.Sample, entries)}
		for i := range mv.Samples {
			mv.Samples[i] = hpa.Sample{Present: true, Milli: milli(v), Window: w.window}
		}
		return mv
	}
	if len(s.sources) == 0 {
		snap.Metrics = append(snap.Metrics, resource(corev1.ResourceCPU))
		return
	}
	for i := range s.sources {
		src := &s.sources[i]
		m := &s.hpaSpec.Metrics[i]
		var mv hpa.MetricValues
		switch src.kind {
		case autoscalingv2.ResourceMetricSourceType:
			mv = resource(m.Resource.Name)
		case autoscalingv2.ContainerResourceMetricSourceType:
			mv = resource(m.ContainerResource.Name)
		case autoscalingv2.PodsMetricSourceType:
			v := milli(customValue(src, n, lam, &f) * src.factor)
			mv.Samples = make([]hpa.Sample, entries)
			for j := range mv.Samples {
				mv.Samples[j] = hpa.Sample{Present: true, Milli: v, Window: w.window}
			}
		case autoscalingv2.ObjectMetricSourceType:
			mv.Value = milli(customValue(src, n, lam, &f) * src.factor)
		case autoscalingv2.ExternalMetricSourceType:
			mv.Series = []int64{milli(customValue(src, n, lam, &f) * src.factor)}
		}
		snap.Metrics = append(snap.Metrics, mv)
	}
}

// warmService is step 4 and 5 of the rule for s, whose pods are placed.
func (w *World) warmService(s *service, lam float64) {
	n := int32(0) // the Ready pods: all, unless the nodes are at maxNodes
	for _, p := range s.pods {
		if p.phase == podReady {
			n++
		}
	}
	perPod := 0.0
	if n > 0 {
		perPod = lam / float64(n)
	}
	f := s.steadyState(n, perPod)
	for _, p := range s.pods {
		if p.phase != podReady {
			continue
		}
		for range len(p.cpuRing) {
			p.use(f.cpu, f.mem)
		}
		p.lastInFlight = f.inFlight
		k := float64(max(p.ringLen, 1))
		p.hasSample, p.sampleAt = true, 0
		p.sampleCPU, p.sampleMem = p.cpuSum/k, p.memSum/k
	}
	for i := range s.sources {
		src := &s.sources[i]
		if src.ring < 0 {
			continue
		}
		v := customValue(src, n, lam, &f) * src.factor
		r := &s.custom[src.ring]
		for range len(r.vals) {
			r.push(v)
		}
	}
	switch m := s.model.(type) {
	case *fluidModel:
		for i, p := range s.pods {
			if p.phase == podReady {
				m.backlog[i] = f.backlog
			}
		}
	case *desModel:
		m.warm(w, s, lam, &f)
	}
	if s.hpa != nil {
		s.hpa.Settle(0, s.specReplicas, w.syncPeriod)
	}
}

// desBurnIn is how long DES queues run at λ(0) before t = 0: one window of
// the latency verdict, which it fills.
const desBurnIn = sloWindow

// warm puts every Ready pod's queue of s in its stationary state at total
// rate lam (step 4 of the rule): f's mean number in system (rounded; at
// most the worker slots in service, the rest waiting, the waiting ones
// having arrived at the rate one pod sees), then a burn-in of desBurnIn at
// lam with the run's arrival process and random stream. The burn-in's
// completions fill the SLO window; its histogram, counters and time
// integrals are discarded.
func (m *desModel) warm(w *World, s *service, lam float64, f *steadyFigures) {
	queues := m.queues[:len(s.pods)]
	m.ready = m.ready[:0]
	ready := 0
	for _, p := range s.pods {
		if p.phase == podReady {
			ready++
		}
	}
	if ready == 0 {
		return
	}
	perPod := lam / float64(ready)
	start := -float64(desBurnIn/w.tick) * w.tick.Seconds()
	inSystem := int(math.Round(f.inFlight))
	for i, p := range s.pods {
		if p.phase != podReady {
			continue
		}
		q := m.queue(start)
		queues[i] = q
		m.ready = append(m.ready, q)
		busy := min(inSystem, m.workers)
		for range busy {
			q.pushBusy(running{q.vnow + m.req.service.sample(m.req.rng), start})
		}
		waiting := inSystem - busy
		for j := range waiting {
			q.push(start - float64(waiting-j)/math.Max(perPod, 1e-9))
		}
	}
	if m.shared != nil {
		m.shared.reset(start)
		m.pourIntoShared()
	}
	hist := m.req.hist
	m.req.hist = nil
	m.req.warming = true
	dt := w.tick.Seconds()
	for k := int(desBurnIn / w.tick); k > 0; k-- {
		t1 := -float64(k-1) * dt
		m.arrive(t1-dt, t1, lam, lam)
		m.advanceAll(t1)
		c := &m.req.counts
		old := m.sloRing[m.sloPos]
		m.sloRing[m.sloPos] = sloCount{c.done, c.overSLO}
		m.sloPos = (m.sloPos + 1) % len(m.sloRing)
		m.sloDone += c.done - old.done
		m.sloOver += c.overSLO - old.over
		*c = desCounters{}
	}
	m.req.hist = hist
	m.req.warming = false
	for _, q := range m.ready {
		q.busyArea, q.queueArea, q.workArea = 0, 0, 0
	}
	if m.shared != nil {
		m.shared.queueArea = 0
	}
	m.prevLambda = lam
}
