package sim

import (
	"math"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"

	"github.com/headroom-dev/headroom/scenarios"
	"github.com/headroom-dev/headroom/sim/hpa"
)

// Now is the virtual time from the scenario start.
func (w *World) Now() time.Duration { return w.now }

// Tick advances the world by one tick, in the order the package doc lists.
func (w *World) Tick() {
	w.now += w.tick
	w.runScheduledActions()
	w.advanceNodes()
	for _, s := range w.services {
		w.schedule(s)
		w.advancePods(s)
	}
	for _, s := range w.services {
		st := w.serve(s)
		if w.now%w.resolution == 0 {
			w.scrape(s)
		}
		if s.hpa != nil && w.now%w.syncPeriod == 0 {
			w.reconcile(s)
		}
		w.record(s, &st)
	}
	if w.now%w.caPeriod == 0 {
		w.autoscaleNodes()
	}
	w.recordNodes()
}

// wall is the UTC time of day at offset t.
func (w *World) wall(t time.Duration) time.Duration { return (w.start + t) % day }

func (w *World) runScheduledActions() {
	prev, cur := w.wall(w.now-w.tick), w.wall(w.now)
	for _, s := range w.services {
		for _, a := range s.spec.ScheduledScaling {
			at := time.Duration(a.At) % day
			crossed := (prev < at && at <= cur) || (prev > cur && (at > prev || at <= cur))
			if !crossed {
				continue
			}
			if a.Replicas != nil {
				w.scaleTo(s, *a.Replicas, "scheduled "+a.Name)
			}
			if s.hpa != nil && (a.MinReplicas != nil || a.MaxReplicas != nil) {
				if a.MinReplicas != nil {
					s.hpaSpec.MinReplicas = a.MinReplicas
				}
				if a.MaxReplicas != nil {
					s.hpaSpec.MaxReplicas = *a.MaxReplicas
				}
				// The plan was validated; a patch the API would refuse
				// (min > max) is ignored as the API server would refuse it.
				_ = s.hpa.SetSpec(s.hpaSpec)
			}
		}
	}
}

func (w *World) advanceNodes() {
	for i := range w.nodes {
		n := &w.nodes[i]
		switch {
		case n.removed:
		case !n.ready && w.now >= n.readyAt:
			n.ready, n.emptySince = true, w.now
		case n.ready && n.pods == 0 && w.now-n.emptySince >= w.unneeded && w.readyNodes() > 1:
			n.removed = true
			w.nodeRec.removed++
		}
	}
}

func (w *World) readyNodes() int {
	c := 0
	for i := range w.nodes {
		if !w.nodes[i].removed && w.nodes[i].ready {
			c++
		}
	}
	return c
}

func (w *World) schedule(s *service) {
	for _, p := range s.pods {
		if p.phase == podPending {
			w.bind(s, p)
		}
	}
}

func (w *World) advancePods(s *service) {
	for _, p := range s.pods {
		if p.phase == podStarting && w.now >= p.boundAt+s.startup {
			p.phase, p.runningAt = podRunning, p.boundAt+s.startup
		}
		if p.phase == podRunning && w.now >= p.runningAt+s.readiness {
			p.phase, p.readyAt = podReady, p.runningAt+s.readiness
			p.customSince = p.readyAt
		}
	}
}

// serve spreads the tick's traffic over Ready pods and advances their
// queues.
func (w *World) serve(s *service) tickStats {
	dt := w.tick.Seconds()
	lam := s.base * s.multiplier(w.now, w.tick)
	st := tickStats{lambda: lam, arrivals: lam * dt}
	ready := 0
	for _, p := range s.pods {
		if p.phase == podReady {
			ready++
		}
	}
	st.ready = ready
	if ready == 0 {
		st.errors = st.arrivals
	}
	perPod := 0.0
	if ready > 0 {
		perPod = lam / float64(ready)
	}
	mu := s.capacity
	wl := &s.w
	// Every Ready pod receives the same rate, so the stationary state is
	// the same for all; only the backlogs differ.
	pt := s.lat.at(math.Min(perPod, mu) / mu)
	// plain is the arrival weight of pods without a backlog, which all see
	// the stationary state alone; they are summed once after the loop.
	var cpuSum, memSum, weightSum, plain float64
	for _, p := range s.pods {
		if p.phase == podPending || p.phase == podStarting {
			continue
		}
		cpu, mem := wl.CPUIdle, wl.MemoryBase
		if p.phase == podReady {
			a := perPod
			b := p.backlog + (a-mu)*dt
			if b < 0 {
				b = 0
			}
			if maxB := mu * s.timeout; b > maxB {
				st.errors += b - maxB
				b = maxB
			}
			served := a + (p.backlog-b)/dt
			p.backlog = b
			// Clients give up after the timeout, so no wait exceeds it:
			// the stationary wait tail beyond it is errors.
			weight := a * dt
			weightSum += weight
			if b == 0 {
				plain += weight
			} else {
				drain := b / mu
				timedOut := pt.waitTail(math.Max(s.timeout-drain, 0)) * weight
				st.errors += timedOut
				st.served += weight - timedOut
				st.p50 += math.Min(pt.row[latP50]+drain, s.timeout) * weight
				st.p95 += math.Min(pt.row[latP95]+drain, s.timeout) * weight
				st.p99 += math.Min(pt.row[latP99]+drain, s.timeout) * weight
				st.pSLO += math.Min(pt.row[latSLO]+drain, s.timeout) * weight
			}
			queued := math.Min(a, mu)*pt.meanWait + b
			st.queue += queued
			inFlight := math.Min(a, mu)*pt.row[latMean] + b
			cpu += served * wl.CPUPerRequest
			if s.cpuLimit > 0 && cpu > s.cpuLimit {
				cpu = s.cpuLimit
			}
			mem += wl.MemoryPerInFlight * inFlight
			p.lastServedPerSec, p.lastInFlight, p.lastQueued = served, inFlight, queued
			cpuSum += cpu
			memSum += mem
		}
		p.lastCPU, p.lastMem = cpu, mem
		p.cpuSum += cpu - p.cpuRing[p.ringPos]
		p.memSum += mem - p.memRing[p.ringPos]
		p.cpuRing[p.ringPos], p.memRing[p.ringPos] = cpu, mem
		if p.ringPos++; p.ringPos == len(p.cpuRing) {
			p.ringPos = 0
		}
		if p.ringLen < len(p.cpuRing) {
			p.ringLen++
		}
	}
	if plain > 0 {
		timedOut := pt.waitTail(s.timeout) * plain
		st.errors += timedOut
		st.served += plain - timedOut
		st.p50 += math.Min(pt.row[latP50], s.timeout) * plain
		st.p95 += math.Min(pt.row[latP95], s.timeout) * plain
		st.p99 += math.Min(pt.row[latP99], s.timeout) * plain
		st.pSLO += math.Min(pt.row[latSLO], s.timeout) * plain
	}
	if weightSum > 0 {
		st.p50 /= weightSum
		st.p95 /= weightSum
		st.p99 /= weightSum
		st.pSLO /= weightSum
	}
	if ready > 0 {
		st.cpuUtil = cpuSum / float64(ready) / s.cpuRequest
		if s.memRequest > 0 {
			st.memUtil = memSum / float64(ready) / s.memRequest
		}
	}
	st.violated = (s.sloTarget > 0 && st.served > 0 && st.pSLO > s.sloTarget) ||
		(s.errorBudget > 0 && st.arrivals > 0 && st.errors/st.arrivals > s.errorBudget)
	// Custom metrics: push this tick's value into each lag line.
	for i := range s.sources {
		src := &s.sources[i]
		if src.ring < 0 {
			continue
		}
		var v float64
		switch src.source {
		case scenarios.SourceRequestRate:
			v = perPod
		case scenarios.SourceInFlight:
			v = perPodAverage(s.pods, func(p *pod) float64 { return p.lastInFlight })
		case scenarios.SourceQueueDepth:
			v = st.queue
		case scenarios.SourceCPU:
			v = perPodAverage(s.pods, func(p *pod) float64 { return p.lastCPU })
		case scenarios.SourceMemory:
			v = perPodAverage(s.pods, func(p *pod) float64 { return p.lastMem })
		}
		s.custom[src.ring].push(v * src.factor)
	}
	return st
}

func perPodAverage(pods []*pod, f func(*pod) float64) float64 {
	sum, n := 0.0, 0
	for _, p := range pods {
		if p.phase == podReady {
			sum += f(p)
			n++
		}
	}
	if n == 0 {
		return 0
	}
	return sum / float64(n)
}

// scrape is metrics-server taking a sample of every running pod that has
// run for at least one resolution.
func (w *World) scrape(s *service) {
	for _, p := range s.pods {
		if (p.phase != podRunning && p.phase != podReady) || w.now-p.runningAt < w.resolution {
			continue
		}
		n := float64(max(p.ringLen, 1))
		p.hasSample, p.sampleAt = true, w.now
		p.sampleCPU, p.sampleMem = p.cpuSum/n, p.memSum/n
	}
}

// reconcile runs one HPA sync and applies its decision.
func (w *World) reconcile(s *service) {
	snap := &s.snapshot
	snap.SpecReplicas = s.specReplicas
	snap.StatusReplicas = int32(len(s.pods))
	snap.Pods = snap.Pods[:0]
	for _, p := range s.pods {
		hp := hpa.Pod{Phase: hpa.PodPending, Ready: hpa.NotReady, NoStartTime: p.node < 0}
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
		hp.Containers = s.containers()
		snap.Pods = append(snap.Pods, hp)
	}
	for i := range snap.Metrics {
		mv := &snap.Metrics[i]
		mv.Samples = mv.Samples[:0]
		mv.Series = mv.Series[:0]
		if len(s.sources) == 0 {
			w.resourceSamples(s, mv, corev1.ResourceCPU)
			continue
		}
		src := &s.sources[i]
		m := &s.hpaSpec.Metrics[i]
		switch src.kind {
		case autoscalingv2.ResourceMetricSourceType:
			w.resourceSamples(s, mv, m.Resource.Name)
		case autoscalingv2.ContainerResourceMetricSourceType:
			w.resourceSamples(s, mv, m.ContainerResource.Name)
		case autoscalingv2.PodsMetricSourceType:
			v := milli(s.custom[src.ring].lagged())
			lag := time.Duration(len(s.custom[src.ring].vals)-1) * w.tick
			for _, p := range s.pods {
				ok := p.phase == podReady && p.customSince <= w.now-lag
				mv.Samples = append(mv.Samples, hpa.Sample{Present: ok, Milli: v, Timestamp: w.now, Window: w.window})
			}
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

func (w *World) resourceSamples(s *service, mv *hpa.MetricValues, name corev1.ResourceName) {
	for _, p := range s.pods {
		v := p.sampleCPU
		if name == corev1.ResourceMemory {
			v = p.sampleMem
		}
		mv.Samples = append(mv.Samples, hpa.Sample{Present: p.hasSample, Milli: milli(v), Timestamp: p.sampleAt, Window: w.window})
	}
}

// milli converts a value to the milli-units the HPA reads, rounding as
// metrics-server's quantities do (to the nearest milli-unit).
func milli(v float64) int64 {
	if v >= math.MaxInt64/1000 {
		return math.MaxInt64
	}
	return int64(math.Round(v * 1000))
}

// scaleTo sets spec.replicas and lets the ReplicaSet create or delete pods.
func (w *World) scaleTo(s *service, n int32, reason string) {
	if n == s.specReplicas {
		return
	}
	from := s.specReplicas
	s.specReplicas = n
	s.rec.event(w.now, from, n, w.flapWindow)
	s.events = append(s.events, ScaleEvent{At: w.now, From: from, To: n, Reason: reason})
	for len(s.pods) < int(n) {
		w.newPod(s)
	}
	for len(s.pods) > int(n) {
		w.deletePod(s, victim(s.pods))
	}
	s.rec.sum.MinReplicas = min(s.rec.sum.MinReplicas, n)
	s.rec.sum.MaxReplicas = max(s.rec.sum.MaxReplicas, n)
}

// victim is the pod a ReplicaSet deletes first: unscheduled before
// scheduled, not Ready before Ready, then the most recently Ready (the
// ranking of controller.ActivePods, simplified to the states simulated).
func victim(pods []*pod) int {
	best := 0
	for i := 1; i < len(pods); i++ {
		a, b := pods[i], pods[best]
		ra, rb := deletionRank(a), deletionRank(b)
		if ra < rb || (ra == rb && newer(a, b)) {
			best = i
		}
	}
	return best
}

func deletionRank(p *pod) int {
	switch {
	case p.node < 0:
		return 0
	case p.phase != podReady:
		return 1
	}
	return 2
}

func newer(a, b *pod) bool {
	if a.readyAt != b.readyAt {
		return a.readyAt > b.readyAt
	}
	return a.id > b.id
}

func (w *World) deletePod(s *service, i int) {
	p := s.pods[i]
	w.unbind(s, p)
	copy(s.pods[i:], s.pods[i+1:])
	s.pods[len(s.pods)-1] = nil
	s.pods = s.pods[:len(s.pods)-1]
	w.freePods = append(w.freePods, p)
}

// autoscaleNodes is the cluster autoscaler's scan: it estimates, by first
// fit over the free room of provisioning nodes and then new nodes, how many
// nodes the Pending pods need and orders them.
func (w *World) autoscaleNodes() {
	// Only pods the scheduler cannot place now are unschedulable.
	for _, s := range w.services {
		w.schedule(s)
	}
	ns := w.nodeShape[w.newNode]
	w.scratch = w.scratch[:0]
	for i := range w.nodes {
		n := &w.nodes[i]
		if !n.removed && !n.ready {
			w.scratch = append(w.scratch, n.cpuFree, n.memFree)
		}
	}
	provisioning := len(w.scratch) / 2
	pending := false
	for _, s := range w.services {
		for _, p := range s.pods {
			if p.phase != podPending {
				continue
			}
			pending = true
			placed := false
			for j := 0; j < len(w.scratch); j += 2 {
				if w.scratch[j]+1e-9 >= s.cpuRequest && w.scratch[j+1]+1e-9*s.memRequest >= s.memRequest {
					w.scratch[j] -= s.cpuRequest
					w.scratch[j+1] -= s.memRequest
					placed = true
					break
				}
			}
			if !placed {
				w.scratch = append(w.scratch, ns.CPU-s.cpuRequest, ns.Memory-s.memRequest)
			}
		}
	}
	if pending {
		w.nodeRec.unplaced += w.caPeriod
	}
	existing := 0
	for i := range w.nodes {
		if !w.nodes[i].removed {
			existing++
		}
	}
	for range len(w.scratch)/2 - provisioning {
		if ns.MaxNodes > 0 && existing >= ns.MaxNodes {
			break
		}
		w.addNode(false)
		w.nodeRec.added++
		existing++
	}
}

// record adds the tick to the service's recorder and closes a sample
// interval at its boundary.
func (w *World) record(s *service, st *tickStats) {
	r := &s.rec
	r.add(w.now, w.tick, st)
	if s.hpa != nil && s.specReplicas == s.hpaSpec.MaxReplicas {
		r.sum.PinnedAtMaxMinutes += w.tick.Minutes()
	}
	if w.now < r.next {
		return
	}
	ready, pending := 0, 0
	for _, p := range s.pods {
		if p.phase == podReady {
			ready++
		} else {
			pending++
		}
	}
	r.flush(w.now, s.specReplicas, ready, pending, s.hpaRatios())
}

// hpaRatios are, per HPA metric, the last reconcile's usage over target.
func (s *service) hpaRatios() []float64 {
	if s.hpa == nil {
		return nil
	}
	out := s.ratioBuf[:0]
	for i, mp := range s.lastDec.Metrics {
		r := -1.0
		if mp.Err == nil && i < len(s.hpaSpec.Metrics) {
			r = usageRatio(&s.hpaSpec.Metrics[i], &mp)
		}
		out = append(out, r)
	}
	s.ratioBuf = out
	return out
}

func usageRatio(m *autoscalingv2.MetricSpec, mp *hpa.MetricProposal) float64 {
	var t autoscalingv2.MetricTarget
	switch {
	case m.Resource != nil:
		t = m.Resource.Target
	case m.ContainerResource != nil:
		t = m.ContainerResource.Target
	case m.Pods != nil:
		t = m.Pods.Target
	case m.Object != nil:
		t = m.Object.Target
	case m.External != nil:
		t = m.External.Target
	}
	switch {
	case t.Type == autoscalingv2.UtilizationMetricType && t.AverageUtilization != nil && *t.AverageUtilization > 0:
		return float64(mp.Utilization) / float64(*t.AverageUtilization)
	case t.Type == autoscalingv2.AverageValueMetricType && t.AverageValue != nil && t.AverageValue.MilliValue() > 0:
		return float64(mp.AverageMilli) / float64(t.AverageValue.MilliValue())
	case t.Type == autoscalingv2.ValueMetricType && t.Value != nil && t.Value.MilliValue() > 0:
		return float64(mp.ValueMilli) / float64(t.Value.MilliValue())
	}
	return -1
}

// event records a scale event for the flap count.
func (r *recorder) event(now time.Duration, from, to int32, window time.Duration) {
	dir := int32(1)
	if to < from {
		dir = -1
	}
	r.sum.ScaleEvents++
	if r.lastDir != 0 && dir != r.lastDir && now-r.lastEventAt < window {
		r.sum.Flaps++
	}
	r.lastDir, r.lastEventAt = dir, now
}

func (w *World) recordNodes() {
	readyN, prov := 0, 0
	cost := 0.0
	for i := range w.nodes {
		n := &w.nodes[i]
		if n.removed {
			continue
		}
		if n.ready {
			readyN++
		} else {
			prov++
		}
		cost += w.nodeShape[n.typ].PricePerHour
	}
	h := w.tick.Hours()
	w.nodeRec.nodeHours += float64(readyN+prov) * h
	w.nodeRec.cost += cost * h
	w.nodeRec.peak = max(w.nodeRec.peak, readyN+prov)
	// Each service pays for its bound pods' share of a node.
	ns := w.nodeShape[w.newNode]
	for _, s := range w.services {
		share := math.Max(s.cpuRequest/ns.CPU, s.memRequest/ns.Memory)
		s.rec.sum.PodHours += float64(s.bound) * h
		s.rec.sum.Cost += float64(s.bound) * share * ns.PricePerHour * h
	}
	if w.now%w.sampleEvery == 0 {
		w.nodeRec.series = append(w.nodeRec.series, NodeSample{T: w.now, Ready: readyN, Provisioning: prov, CostPerHour: cost})
	}
}

func (w *World) result() *Result {
	res := &Result{
		Plan: w.plan.Metadata.Name, Scenario: w.scenario.Name, Seed: w.seed,
		Duration: w.end, Tick: w.tick, SampleEvery: w.sampleEvery,
	}
	for _, s := range w.services {
		r := &s.rec
		if r.inViolation {
			r.sum.LongestViolation = max(r.sum.LongestViolation, w.now-r.violStart)
		}
		if r.sum.Requests > 0 {
			r.sum.ErrorPercent = 100 * totalErrors(r.series) / r.sum.Requests
		}
		if r.cpuTimeTick > 0 {
			r.sum.MeanCPUUtilisation = r.cpuTimeSum / r.cpuTimeTick
		}
		res.Services = append(res.Services, ServiceResult{Service: s.spec.Name, Summary: r.sum, Events: s.events, Series: r.series})
	}
	nr := &w.nodeRec
	res.Cluster = ClusterResult{
		NodeType: w.nodeShape[w.newNode].Name, NodeHours: nr.nodeHours, Cost: nr.cost, PeakNodes: nr.peak,
		Series: nr.series, Added: nr.added, Removed: nr.removed, Unplaced: nr.unplaced,
	}
	return res
}

func totalErrors(series []Sample) float64 {
	t := 0.0
	for _, s := range series {
		t += s.Errors
	}
	return t
}
