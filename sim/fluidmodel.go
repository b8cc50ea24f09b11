package sim

import (
	"fmt"
	"math"

	"github.com/headroom-dev/headroom/model"
)

// fluidModel is the fluid per-pod model of one service (the package doc
// has its equations). Every Ready pod receives the same share of the
// traffic, so at a load below capacity every pod without a backlog is the
// same stationary queue; only the backlogs differ from pod to pod.
type fluidModel struct {
	// mu is a pod's capacity μ, requests per second: its worker slots over
	// the mean service time, or what its CPU limit allows when less.
	mu  float64
	lat *latencyTable
	// idle is lat's state at no load (its first grid point, evaluated
	// when the table is built), kept here where a draining pod's latency
	// reads it without a trip to the table.
	idle [5]float64
	// psRate, psS and psMean memoise calleeMean (calls.go).
	psRate, psS, psMean float64
	// backlog is each pod's queue beyond the stationary one, requests,
	// index for index with service.pods; it is non-zero only on Ready pods.
	backlog podState[float64]
	// cohort is the Ready pods that are steady, whose metric samples are
	// shared (cohort.go); nil rings until the first tick.
	cohort cohort

	// memoPoint is the stationary state at the per-pod rate memoRate (NaN
	// before the first lookup).
	memoRate  float64
	memoPoint point

	// Under a load-balancing policy other than random a pod's latency
	// depends on how many pods share the traffic: lat is then the table
	// for latPods Ready pods, rebuilt (through the cache) when that count
	// changes. tables and the key's other parts are kept for that.
	balanced    bool
	latPods     int
	tables      *LatencyCache
	tableWL     model.Workload
	sloQuantile float64
}

// newFluidModel sets up fluid mode for s: the pods' capacity and the
// latency table of its workload.
func newFluidModel(s *service, tables *LatencyCache) (*fluidModel, error) {
	wl := &s.w
	m := &fluidModel{mu: float64(wl.Concurrency) / wl.ServiceMean, memoRate: math.NaN(), tables: tables}
	if wl.CPULimit > 0 && wl.CPUPerRequest > 0 {
		m.mu = math.Min(m.mu, (wl.CPULimit-wl.CPUIdle)/wl.CPUPerRequest)
	}
	if !(m.mu > 0) {
		return nil, fmt.Errorf("a pod can serve no request: its CPU limit %.3g cores is at or below its idle CPU", wl.CPULimit)
	}
	m.tableWL, m.tables, m.sloQuantile = throttledWorkload(*wl), tables, s.sloQuantile
	m.tableWL.Pods = 0
	if p := wl.Balancing.Policy; p != "" && p != model.BalanceRandom {
		m.balanced, m.latPods = true, 1
		m.tableWL.Pods = 1
	}
	lat, err := tables.get(m.tableWL, s.sloQuantile, s.timeout, s.sloTarget)
	if err != nil {
		return nil, err
	}
	m.setTable(lat)
	return m, nil
}

// setTable makes lat the table the pods' latency is read from.
func (m *fluidModel) setTable(lat *latencyTable) {
	m.lat, m.idle, m.memoRate = lat, lat.grid[0].row, math.NaN()
}

// podsChanged fetches the latency table for n Ready pods under a
// load-balancing policy other than random (docs/load-balancing.md).
func (m *fluidModel) podsChanged(s *service, n int) error {
	n = max(n, 1)
	if !m.balanced || n == m.latPods || s.calls != nil {
		return nil // a caller's table follows its calls too (retime)
	}
	w := m.tableWL
	w.Pods = n
	lat, err := m.tables.get(w, m.sloQuantile, s.timeout, s.sloTarget)
	if err != nil {
		return err
	}
	m.setTable(lat)
	m.latPods = n
	return nil
}

// throttledWorkload is the queue a pod's latency is read from: the
// workload with its CPU limit's share of the running requests
// (model.Workload.CPUThrottled, which has the argument).
func throttledWorkload(wl model.Workload) model.Workload { return wl.CPUThrottled() }

func (m *fluidModel) add() {
	m.backlog.add()
	m.cohort.in.add()
}

// remove fails what a deleted Ready pod's backlog holds beyond what it
// serves in the grace period.
func (m *fluidModel) remove(_ *World, s *service, i int) {
	b := m.backlog.remove(i)
	m.cohort.remove(i)
	if s.pods[i].phase == podReady {
		s.lostOnDelete += math.Max(0, b-m.mu*gracePeriod.Seconds())
	}
}

// fluidTick carries one tick's figures between the steps of serve.
type fluidTick struct {
	dt     float64 // the tick, seconds
	perPod float64 // each Ready pod's arrival rate, requests per second
	// stationary says perPod is below capacity: a Ready pod without backlog
	// is then a stationary queue in state pt (the model's memo), with the
	// figures steady.
	stationary bool
	pt         *point
	steady     steadyPod

	// steadyPods counts the pods with the figures steady, added once after
	// the loop over the pods. stationaryWeight is the arrivals at pods in
	// the stationary regime, weightSum the arrivals at every Ready pod;
	// cpuSum and memSum are the Ready pods' CPU (cores) and memory (bytes).
	steadyPods                  int
	stationaryWeight, weightSum float64
	cpuSum, memSum              float64
}

// steadyPod is a Ready pod without backlog at a stationary load: its mean
// queue and requests in flight, CPU (cores) and memory (bytes).
type steadyPod struct{ queued, inFlight, cpu, mem float64 }

// serve spreads the tick's traffic over Ready pods and advances their
// queues. A pod is in one of two regimes. Below capacity with no backlog
// it is a stationary queue at its load: response quantiles from the
// latency table, the wait tail beyond the timeout counted as errors. At or
// above capacity, or while a backlog drains, every worker slot is busy: a
// request waits for the backlog ahead of it and then its own service, and
// the only errors are requests dropped once the backlog would make them
// wait longer than the timeout.
//
// The steps keep the order of every floating-point sum, and the small
// steps inline, because this is the simulator's hot path. The loop over
// the pods (servePods) is skipped in a tick where every Ready pod is in
// the steady cohort and no pod is starting: it would only count them.
func (m *fluidModel) serve(w *World, s *service, st *tickStats) {
	t := fluidTick{dt: w.tickSeconds}
	// Arrivals and routing.
	if s.calls != nil {
		// The table for this tick's call delay (and, under a balancing
		// policy other than random, Ready-pod count); a table that fails
		// to build keeps the last one.
		_ = m.retime(s)
	} else {
		// Under a policy other than random the latency table is the one
		// for this many Ready pods; on error (only an invalid workload,
		// which newFluidModel rejected) the previous count's stays.
		_ = m.podsChanged(s, s.ready)
	}
	m.route(s, st, &t, s.rateNow(w))
	// Below capacity: the stationary state, and a steady pod's figures.
	if t.stationary = t.perPod < m.mu; t.stationary {
		t.pt = m.stationaryAt(t.perPod)
		t.steady = steadyAt(s, t.perPod, t.pt)
	}
	// Every running pod advances by the tick: one not yet Ready idles, a
	// steady one is counted (and added once, below) and joins the steady
	// cohort, whose members share their CPU and memory samples, the others
	// work off their backlog.
	c := &m.cohort
	if c.cpu == nil {
		c.init(w.windowTicks)
	}
	if t.stationary {
		c.record(w.step, &t.steady)
		t.steadyPods = c.n
	}
	// With every Ready pod a member and no pod starting, the loop has
	// nothing to do.
	if !(t.stationary && c.n == s.ready && s.settledGen == s.podGen+1) {
		m.servePods(w, s, st, &t)
	}
	if c.n > 0 && w.step+1-c.syncedAll >= cohortGap {
		c.syncAll(s.pods, w.step+1)
	}
	t.addSteadyPods(st)
	// Latency and timeouts, the quantiles weighed by the arrivals.
	m.addStationaryLatency(s, st, &t)
	if t.weightSum > 0 {
		st.p50 /= t.weightSum
		st.p95 /= t.weightSum
		st.p99 /= t.weightSum
		st.pSLO /= t.weightSum
		st.mean /= t.weightSum
	}
	s.finishTick(st, t.cpuSum, t.memSum)
}

// servePods is serve's loop over the pods: a member of the steady cohort
// stays (or, past capacity, leaves), a pod not yet Ready idles, a steady
// one joins the cohort, the others work off their backlog.
func (m *fluidModel) servePods(w *World, s *service, st *tickStats, t *fluidTick) {
	c := &m.cohort
	wl := &s.w
	backlog := m.backlog[:len(s.pods)]
	in := c.in[:len(s.pods)]
	for i, p := range s.pods {
		if in[i] {
			if t.stationary {
				continue // counted above
			}
			c.leave(i, p, w.step)
		}
		if p.phase == podPending || p.phase == podStarting {
			continue
		}
		cpu, mem := wl.CPUIdle, wl.MemoryBase
		switch {
		case p.phase != podReady:
		case t.stationary && backlog[i] == 0:
			t.steadyPods++
			if c.off {
				cpu, mem = t.steady.cpu, t.steady.mem
				p.lastInFlight = t.steady.inFlight
				break
			}
			c.enter(i, p, w.step)
			continue
		default:
			cpu, mem = m.queuePod(s, st, t, &backlog[i], p)
		}
		p.use(cpu, mem)
	}
}

// route starts the tick's stats and spreads the arrivals, at rate lam,
// evenly over the Ready pods; with none, every arrival fails.
func (m *fluidModel) route(s *service, st *tickStats, t *fluidTick, lam float64) {
	// Requests lost with deleted pods were counted as served when they
	// arrived; they move to the errors.
	*st = tickStats{lambda: lam, arrivals: lam * t.dt, errors: s.lostOnDelete, served: -s.lostOnDelete}
	s.lostOnDelete = 0
	st.ready = s.ready
	if s.ready == 0 {
		st.errors += st.arrivals
		return
	}
	t.perPod = lam / float64(s.ready)
}

// stationaryAt is the stationary state at per-pod rate perPod, below
// capacity, memoised: it only changes when the traffic or the Ready pods
// do.
func (m *fluidModel) stationaryAt(perPod float64) *point {
	if perPod != m.memoRate {
		m.lat.interpolate(&m.memoPoint, perPod/m.mu)
		m.memoRate = perPod
	}
	return &m.memoPoint
}

// steadyAt is the figures of a Ready pod without backlog in stationary
// state pt at rate perPod, its CPU throttled at the limit.
func steadyAt(s *service, perPod float64, pt *point) steadyPod {
	wl := &s.w
	var sp steadyPod
	sp.queued, sp.inFlight = perPod*pt.meanWait, perPod*pt.row[latMean]
	sp.cpu = s.throttle(perPod*wl.CPUPerRequest + wl.CPUIdle)
	sp.mem = wl.MemoryBase + wl.MemoryPerInFlight*sp.inFlight
	return sp
}

// throttle caps a pod's CPU use at its limit, if it has one.
func (s *service) throttle(cpu float64) float64 {
	if s.cpuLimit > 0 && cpu > s.cpuLimit {
		return s.cpuLimit
	}
	return cpu
}

// queuePod advances a Ready pod that has a backlog or a load at or above
// capacity (drain), weighs in its requests' latency, and returns its CPU
// and memory use.
func (m *fluidModel) queuePod(s *service, st *tickStats, t *fluidTick, backlog *float64, p *pod) (cpu, mem float64) {
	b0 := *backlog
	served, dropped := m.drain(s, st, t, backlog)
	b := *backlog
	weight := t.perPod * t.dt
	t.weightSum += weight
	var queued, inFlight float64
	if t.stationary && b == 0 {
		// Drained this tick: a stationary queue again.
		t.stationaryWeight += weight
		queued, inFlight = t.steady.queued, t.steady.inFlight
	} else {
		m.addDrainLatency(s, st, b, weight)
		st.served += weight - dropped
		// A request waits for the backlog ahead of it, on average over the
		// tick the mean of its two ends, before its service starts.
		st.slow += (weight - dropped) * m.lat.slowAfterWait((b0+b)/2/m.mu)
		queued, inFlight = b, float64(s.w.Concurrency)+b
	}
	st.queue += queued
	wl := &s.w
	cpu = s.throttle(wl.CPUIdle + served*wl.CPUPerRequest)
	mem = wl.MemoryBase + wl.MemoryPerInFlight*inFlight
	p.lastInFlight = inFlight
	t.cpuSum += cpu
	t.memSum += mem
	return cpu, mem
}

// drain advances a pod's backlog by the tick: it grows by the arrivals
// beyond capacity or drains at capacity, and what would wait longer than
// the timeout is dropped and counted as errors. It returns the requests per
// second the pod processed (before any drop) and the requests dropped.
func (m *fluidModel) drain(s *service, st *tickStats, t *fluidTick, backlog *float64) (served, dropped float64) {
	b := *backlog + (t.perPod-m.mu)*t.dt
	if b < 0 {
		b = 0
	}
	served = t.perPod + (*backlog-b)/t.dt
	if maxB := m.mu * s.timeout; b > maxB {
		dropped = b - maxB
		st.errors += dropped
		b = maxB
	}
	*backlog = b
	return served, dropped
}

// addDrainLatency weighs in the response times of a pod whose worker slots
// are all busy: the service time at zero load plus the time to drain the
// backlog b ahead, capped at the timeout.
func (m *fluidModel) addDrainLatency(s *service, st *tickStats, b, weight float64) {
	idle := &m.idle
	drain := b / m.mu
	st.p50 += math.Min(idle[latP50]+drain, s.timeout) * weight
	st.p95 += math.Min(idle[latP95]+drain, s.timeout) * weight
	st.p99 += math.Min(idle[latP99]+drain, s.timeout) * weight
	st.pSLO += math.Min(idle[latSLO]+drain, s.timeout) * weight
	if s.called {
		st.mean += math.Min(idle[latMean]+drain, s.timeout) * weight
	}
}

// addSteadyPods adds the steady pods' arrivals, queues, CPU and memory,
// once for all of them.
func (t *fluidTick) addSteadyPods(st *tickStats) {
	if t.steadyPods == 0 {
		return
	}
	n := float64(t.steadyPods)
	weight := t.perPod * t.dt * n
	t.stationaryWeight += weight
	t.weightSum += weight
	st.queue += t.steady.queued * n
	t.cpuSum += t.steady.cpu * n
	t.memSum += t.steady.mem * n
}

// addStationaryLatency settles the requests at pods in the stationary
// regime: those whose wait leaves less than the service time before the
// timeout fail, the others are served with the stationary response-time
// quantiles, capped at the timeout.
func (m *fluidModel) addStationaryLatency(s *service, st *tickStats, t *fluidTick) {
	w := t.stationaryWeight
	if !(w > 0) {
		return
	}
	pt := t.pt
	timedOut := pt.timedOut * w
	st.errors += timedOut
	st.served += w - timedOut
	// The requests slower than the target beyond those that timed out.
	if pt.slow > pt.timedOut {
		st.slow += (pt.slow - pt.timedOut) * w
	}
	st.p50 += math.Min(pt.row[latP50], s.timeout) * w
	st.p95 += math.Min(pt.row[latP95], s.timeout) * w
	st.p99 += math.Min(pt.row[latP99], s.timeout) * w
	st.pSLO += math.Min(pt.row[latSLO], s.timeout) * w
	if s.called {
		st.mean += math.Min(m.calleeMean(s, t.perPod, pt), s.timeout) * w
	}
}
