package sim

import (
	"math"
	"sort"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"

	"github.com/headroom-dev/headroom/scenarios"
	"github.com/headroom-dev/headroom/sim/hpa"
)

// Now is the virtual time from the scenario start.
func (w *World) Now() time.Duration { return w.now }

// Tick advances the world by one tick, in the order the package doc lists.
func (w *World) Tick() {
	w.now += w.tick
	w.step++
	if w.lambdaPhase++; w.lambdaPhase == w.lambdaPeriod {
		w.lambdaPhase = 0
	}
	if w.scheduled {
		w.runScheduledActions()
	}
	w.advanceNodes()
	for _, s := range w.services {
		if s.bound < len(s.pods) {
			w.schedule(s)
		}
		w.advancePods(s)
	}
	scrape := w.clock.scrape.due(w.now, w.resolution)
	sync := w.clock.sync.due(w.now, w.syncPeriod)
	// A DES world with a pool serves every service first, on several
	// cores; a service's serve touches nothing another service's
	// scrape, sync or recording reads (desparallel.go). Services that
	// call others serve one by one, callees first (calls.go).
	served := w.serveParallel()
	for _, s := range w.order {
		st := &s.tickStats
		if !served {
			s.model.serve(w, s, st)
		}
		if scrape {
			w.scrape(s)
		}
		if s.hpa != nil && sync {
			w.reconcile(s)
		}
		w.record(s, st)
	}
	if w.clock.ca.due(w.now, w.caPeriod) {
		w.autoscaleNodes()
	}
	w.recordNodes()
}

// periodic says when a periodic task (a scrape, an HPA sync, a cluster
// autoscaler scan, a node sample) runs: at every multiple of its period.
// It counts instead of dividing the clock on every tick.
type periodic struct{ next time.Duration }

// due reports whether now is a multiple of period, as now%period == 0
// does, for a clock that only moves forward.
func (p *periodic) due(now, period time.Duration) bool {
	if period <= 0 {
		return false
	}
	for p.next < now {
		p.next += period
	}
	if p.next != now {
		return false
	}
	p.next += period
	return true
}

// clock is the World's periodic tasks.
type clock struct{ scrape, sync, ca, nodeSample periodic }

// wall is the UTC time of day at offset t.
func (w *World) wall(t time.Duration) time.Duration { return (w.start + t) % day }

func (w *World) runScheduledActions() {
	prev, cur := w.wall(w.now-w.tick), w.wall(w.now)
	for _, s := range w.services {
		for i := range s.spec.ScheduledScaling {
			a := &s.spec.ScheduledScaling[i]
			at := time.Duration(a.At) % day
			crossed := (prev < at && at <= cur) || (prev > cur && (at > prev || at <= cur))
			if crossed {
				w.runAction(s, a, true)
			}
		}
	}
}

// runAction applies a scheduled action. scale is false when replaying, at
// t = 0, actions that ran before the scenario started: their HPA patches
// still hold, but the HPA has since taken over spec.replicas.
func (w *World) runAction(s *service, a *scenarios.ScheduledAction, scale bool) {
	if a.Replicas != nil && (scale || s.hpa == nil) {
		w.scaleTo(s, *a.Replicas, "scheduled "+a.Name)
	}
	if s.hpa == nil || (a.MinReplicas == nil && a.MaxReplicas == nil) {
		return
	}
	spec := s.hpaSpec.DeepCopy()
	if a.MinReplicas != nil {
		spec.MinReplicas = a.MinReplicas
	}
	if a.MaxReplicas != nil {
		spec.MaxReplicas = *a.MaxReplicas
	}
	// The API server refuses a patch that leaves min above max; so does
	// the simulation.
	if spec.MinReplicas != nil && *spec.MinReplicas > spec.MaxReplicas {
		return
	}
	if s.hpa.SetSpec(spec) == nil {
		s.hpaSpec = spec
	}
}

// replayActions applies, in the order they ran, the actions of the day
// before t = 0 (an action exactly at the start runs at t = 0 in full). A
// pinned start keeps its count: only the HPA bounds of the actions apply.
func (w *World) replayActions(s *service) {
	acts := s.spec.ScheduledScaling
	order := make([]int, len(acts))
	for i := range order {
		order[i] = i
	}
	// Time since each action last ran, counted back from the start.
	ago := func(i int) time.Duration {
		return (w.start - time.Duration(acts[i].At)%day + day) % day
	}
	sort.SliceStable(order, func(i, j int) bool { return ago(order[i]) > ago(order[j]) })
	for _, i := range order {
		a := acts[i]
		if s.pinnedStart {
			// A pinned count (Options.InitialReplicas) is the count
			// observed at t = 0, after the day's actions ran: they still
			// move the HPA's bounds, not the count.
			a.Replicas = nil
		}
		w.runAction(s, &a, ago(i) == 0)
	}
}

func (w *World) advanceNodes() {
	for i := range w.nodes {
		n := &w.nodes[i]
		switch {
		case n.removed:
		case !n.ready && w.now >= n.readyAt:
			n.ready, n.emptySince = true, w.now
			w.nodesChanged = true
		case n.ready && n.pods == 0 && w.now-n.emptySince >= w.unneeded && w.readyNodes() > 1 && !w.anyPending():
			n.removed = true
			w.nodesChanged = true
			w.nodeRec.removed++
		}
	}
}

// anyPending reports whether a pod waits for a node; the autoscaler keeps
// empty nodes while one does.
func (w *World) anyPending() bool {
	for _, s := range w.services {
		if s.bound < len(s.pods) {
			return true
		}
	}
	return false
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

// advancePods moves pods through start-up and counts the Ready ones for
// serve.
func (w *World) advancePods(s *service) {
	if s.settledGen == s.podGen+1 {
		return // every pod Ready or Pending, as at the last count
	}
	s.ready = 0
	transit := false
	for _, p := range s.pods {
		if p.phase == podStarting && w.now >= p.boundAt+s.startup {
			p.phase, p.runningAt = podRunning, p.boundAt+s.startup
			s.podGen++
		}
		if p.phase == podRunning && w.now >= p.runningAt+s.readiness {
			p.phase, p.readyAt = podReady, p.runningAt+s.readiness
			p.customSince = p.readyAt
			s.podGen++
		}
		switch p.phase {
		case podReady:
			s.ready++
		case podStarting, podRunning:
			transit = true
		}
	}
	if !transit {
		s.settledGen = s.podGen + 1
	}
}

// use records a running pod's CPU (cores) and memory (bytes) for the tick
// in its metrics-window rings.
func (p *pod) use(cpu, mem float64) {
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

// finishTick is the part of a tick both per-pod models share: utilisation
// from the Ready pods' CPU and memory sums, the SLO verdict, and this tick's
// values of the custom metrics.
func (s *service) finishTick(st *tickStats, cpuSum, memSum float64) {
	if s.calls != nil || s.called {
		s.finishCalls(st, st.mean)
	}
	ready := st.ready
	lam := st.lambda
	if ready > 0 {
		st.cpuUtil = cpuSum / float64(ready) / s.cpuRequest
		if s.memRequest > 0 {
			st.memUtil = memSum / float64(ready) / s.memRequest
		}
	}
	st.violated = s.violates(st)
	// Custom metrics: push this tick's value into each lag line, per pod
	// for Pods metrics and for the whole service for Object and External.
	for i := range s.sources {
		src := &s.sources[i]
		if src.ring < 0 {
			continue
		}
		total := 0.0
		switch src.source {
		case scenarios.SourceRequestRate:
			total = lam
		case scenarios.SourceInFlight:
			total = sumReady(s.pods, func(p *pod) float64 { f, _, _ := s.last(p); return f })
		case scenarios.SourceQueueDepth:
			total = st.queue
		case scenarios.SourceCPU:
			total = sumReady(s.pods, func(p *pod) float64 { _, c, _ := s.last(p); return c })
		case scenarios.SourceMemory:
			total = sumReady(s.pods, func(p *pod) float64 { _, _, m := s.last(p); return m })
		}
		v := total
		if src.kind == autoscalingv2.PodsMetricSourceType {
			v = 0
			if ready > 0 {
				v = total / float64(ready)
			}
		}
		s.custom[src.ring].push(v * src.factor)
	}
}

// violates says whether a tick breaks the service's SLO: the latency
// quantile of the requests served is above target, more requests failed
// than the quantile allows (a failed request is slower than any target), or
// the error rate is above its budget.
func (s *service) violates(st *tickStats) bool {
	if st.arrivals <= 0 {
		return false
	}
	errRate := st.errors / st.arrivals
	slow := st.served > 0 && st.pSLO > s.sloTarget
	if st.byCount {
		slow = st.overSLO > 1-s.sloQuantile
	}
	if s.sloTarget > 0 && (errRate > 1-s.sloQuantile || slow) {
		return true
	}
	return s.errorBudget > 0 && errRate > s.errorBudget
}

func sumReady(pods []*pod, f func(*pod) float64) float64 {
	sum := 0.0
	for _, p := range pods {
		if p.phase == podReady {
			sum += f(p)
		}
	}
	return sum
}

// scrape is metrics-server taking a sample of every running pod that has
// run for at least one resolution.
func (w *World) scrape(s *service) {
	// The steady cohort's sums are brought up to this tick (cohort.go),
	// the members replayed together written back on the way (replayAll
	// lists them in pod order).
	c := &s.fluid.cohort
	end := w.step + 1
	c.replayAll(s.pods, end)
	k := 0
	var rs runScan
	if s.hpa != nil {
		rs.start(s, w.now-s.hpa.Config().CPUInitializationPeriod)
	}
	// The batch members that share their sums (c.at) share their
	// window, every tick of their rings: their sample is divided once.
	slot, qCPU, qMem := -1, 0.0, 0.0
	for i, p := range s.pods {
		at := -1
		if k < len(c.batch) && c.batch[k] == p {
			at = c.at[k]
			c.settle(k, p, end)
			k++
		}
		if (p.phase == podRunning || p.phase == podReady) && w.now-p.runningAt >= w.resolution {
			if at < 0 || at != slot {
				n := float64(max(p.window(), 1))
				qCPU, qMem, slot = p.cpuSum/n, p.memSum/n, at
			}
			p.hasSample, p.sampleAt = true, w.now
			p.sampleCPU, p.sampleMem = qCPU, qMem
			if s.hpa != nil {
				rs.add(s, i, p, true, w.now, qCPU, qMem)
			}
		} else if s.hpa != nil {
			rs.add(s, i, p, p.hasSample, p.sampleAt, p.sampleCPU, p.sampleMem)
		}
	}
	c.syncedAll = end
}

// scaleTo sets spec.replicas and lets the ReplicaSet create or delete pods.
func (w *World) scaleTo(s *service, n int32, reason string) {
	if n == s.specReplicas {
		return
	}
	if w.priming {
		s.specReplicas = n
		return
	}
	from := s.specReplicas
	s.specReplicas = n
	s.rec.event(w.now, from, n, w.flapWindow)
	s.events = append(s.events, ScaleEvent{At: scenarios.Seconds(w.now), From: from, To: n, Reason: reason})
	for len(s.pods) < int(n) {
		w.newPod(s)
	}
	for len(s.pods) > int(n) {
		w.deletePod(s, victim(s.pods))
	}
	s.rec.sum.MinReplicas = min(s.rec.sum.MinReplicas, n)
	s.rec.sum.MaxReplicas = max(s.rec.sum.MaxReplicas, n)
	s.rec.reach.include(n)
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
	case p.phase == podStarting: // status.phase Pending
		return 1
	case p.phase == podRunning: // Running, not Ready
		return 2
	}
	return 3
}

func newer(a, b *pod) bool {
	if a.readyAt != b.readyAt {
		return a.readyAt > b.readyAt
	}
	return a.id > b.id
}

// gracePeriod is the terminationGracePeriodSeconds default: a deleted pod
// leaves the load balancer at once and has this long to finish its queue;
// what it cannot serve in time fails.
const gracePeriod = 30 * time.Second

func (w *World) deletePod(s *service, i int) {
	p := s.pods[i]
	s.podGen++
	s.model.remove(w, s, i)
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
	// Only pods the scheduler cannot place now are unschedulable. A
	// service whose pods are all bound has none Pending (bind and unbind
	// keep bound).
	for _, s := range w.services {
		if s.bound < len(s.pods) {
			w.schedule(s)
		}
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
		if s.bound == len(s.pods) {
			continue
		}
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
	r.add(w.now, w.tick, w.tickMinutes, st)
	if s.hpa != nil && s.specReplicas == s.hpaSpec.MaxReplicas {
		r.sum.PinnedAtMaxMinutes += w.tickMinutes
	}
	if w.now < r.next {
		return
	}
	ready, pending := s.podCounts()
	r.flush(w.now, s.specReplicas, ready, pending, s.hpaRatios())
}

// hpaRatios are, per HPA metric, the last reconcile's usage over target.
func (s *service) hpaRatios() []float64 {
	if s.hpa == nil {
		return nil
	}
	out := s.ratioBuf[:0]
	spec := s.hpa.Spec() // defaulted: an HPA without metrics has the CPU one
	for i, mp := range s.lastDec.Metrics {
		r := -1.0
		if mp.Err == nil && i < len(spec.Metrics) {
			r = usageRatio(&spec.Metrics[i], &mp)
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

// event records a scale event for the flap count: a flap is a scale event
// in the opposite direction of the previous one and at most window after it
// (3 → 4 → 3 is one flap, 3 → 4 → 3 → 4 two).
func (r *recorder) event(now time.Duration, from, to int32, window time.Duration) {
	dir := int32(1)
	if to < from {
		dir = -1
	}
	r.sum.ScaleEvents++
	if r.lastDir != 0 && dir != r.lastDir && now-r.lastEventAt <= window {
		r.sum.Flaps++
	}
	r.lastDir, r.lastEventAt = dir, now
}

func (w *World) recordNodes() {
	if w.nodesChanged {
		w.countNodes()
	}
	nc := &w.nodeCount
	readyN, prov, cost := nc.ready, nc.provisioning, nc.cost
	h := w.tickHours
	w.nodeRec.nodeHours += float64(readyN+prov) * h
	w.nodeRec.cost += cost * h
	w.nodeRec.peak = max(w.nodeRec.peak, readyN+prov)
	// Each service pays for its bound pods' share of a node.
	ns := &w.nodeShape[w.newNode]
	for _, s := range w.services {
		if s.nodeShare < 0 {
			s.nodeShare = math.Max(s.cpuRequest/ns.CPU, s.memRequest/ns.Memory)
		}
		s.rec.sum.PodHours += float64(s.bound) * h
		s.rec.sum.Cost += float64(s.bound) * s.nodeShare * ns.PricePerHour * h
	}
	if w.clock.nodeSample.due(w.now, w.sampleEvery) {
		w.nodeRec.series = append(w.nodeRec.series, NodeSample{T: scenarios.Seconds(w.now), Ready: readyN, Provisioning: prov, CostPerHour: cost})
	}
}

// countNodes recounts the ready and provisioning nodes and sums their
// price per hour, in node order, after a node was added, became Ready or
// was removed; between such changes recordNodes reuses the figures.
func (w *World) countNodes() {
	nc := nodeCount{}
	for i := range w.nodes {
		n := &w.nodes[i]
		if n.removed {
			continue
		}
		if n.ready {
			nc.ready++
		} else {
			nc.provisioning++
		}
		nc.cost += w.nodeShape[n.typ].PricePerHour
	}
	w.nodeCount, w.nodesChanged = nc, false
}

func (w *World) result() *Result {
	res := &Result{
		Plan: w.plan.Metadata.Name, Scenario: w.scenario.Name, Seed: w.seed,
		Duration: scenarios.Seconds(w.end), Tick: scenarios.Seconds(w.tick), SampleEvery: scenarios.Seconds(w.sampleEvery),
	}
	if w.mode == ModeDES {
		res.Mode = ModeDES
	}
	res.ColdStart = w.cold
	for _, s := range w.services {
		r := &s.rec
		if r.cur.ticks > 0 { // the last, partial interval
			ready, pending := s.podCounts()
			r.flush(w.now, s.specReplicas, ready, pending, s.hpaRatios())
		}
		if r.inViolation {
			r.sum.LongestViolation = max(r.sum.LongestViolation, scenarios.Seconds(w.now-r.violStart))
		}
		if r.sum.Requests > 0 {
			// Errors are a share of the run's requests (a backstop: each
			// failed request was counted when it arrived).
			r.sum.ErrorPercent = 100 * min(r.sum.Errors, r.sum.Requests) / r.sum.Requests
		}
		if r.cpuTimeTicks > 0 {
			r.sum.MeanCPUUtilisation = r.cpuTimeSum / r.cpuTimeTicks
		}
		r.budget.summarise(&r.sum)
		if h := w.now.Hours(); h > 0 {
			r.sum.ScaleEventsPerHour = float64(r.sum.ScaleEvents) / h
		}
		sr := ServiceResult{Service: s.spec.Name, Summary: r.sum, Events: s.events, Series: r.series, Reach: r.reach}
		if s.hpa != nil {
			sr.Conditions = newHPAConditions(&s.lastDec.Conditions)
		}
		res.Services = append(res.Services, sr)
	}
	nr := &w.nodeRec
	res.Cluster = ClusterResult{
		NodeType: w.nodeShape[w.newNode].Name, NodeHours: nr.nodeHours, Cost: nr.cost, PeakNodes: nr.peak,
		Series: nr.series, Added: nr.added, Removed: nr.removed, Unplaced: scenarios.Seconds(nr.unplaced),
	}
	return res
}

// podCounts are the Ready pods and the others.
func (s *service) podCounts() (ready, pending int) {
	for _, p := range s.pods {
		if p.phase == podReady {
			ready++
		} else {
			pending++
		}
	}
	return ready, pending
}
