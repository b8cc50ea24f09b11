package sim

import (
	"math"
	"math/rand/v2"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// This file is the discrete-event kernel: one pod's FCFS queue with c worker
// slots, advanced request by request. It knows nothing of ticks, pods or
// HPAs; desModel (desmodel.go) drives it from the World.
//
// The kernel's calendar holds only departures: a min-heap of the requests
// in service (at most c entries). Arrivals come from the caller in time
// order, one at a time, so they need no calendar entry, and waiting
// requests sit in a ring of arrival times. Nothing allocates per request
// once the ring has grown to the longest queue seen.
//
// A CPU limit is processor sharing of the limit among the running
// requests: each running request needs r = cpuPerRequest/E[S] cores at
// full speed, so with n of them running each progresses at speed
// v(n) = min(1, x/n), x = (limit − idle)/r. Every running request has the
// same speed, so the kernel keeps a virtual clock V (dV/dt = v(n)) and
// keys the heap by the virtual time a request completes, V(start) + S:
// speed changes move every departure alike and never reorder the heap. A
// full pod serves min(c, x)/E[S] requests per second — the fluid mode's
// capacity — and a lightly loaded pod is not slowed at all.

// desCounters are what a pod's requests did, accumulated by the kernel and
// drained by the caller.
type desCounters struct {
	// done counts requests completed within the timeout; late those
	// completed after it (errors that held a worker); abandoned those
	// skipped because their client had given up while they waited (errors
	// that used no worker).
	done, late, abandoned int64
	// overSLO counts done requests whose response time exceeded the
	// latency target.
	overSLO int64
}

// desRequests are the figures a kernel shares with every queue of one
// service: how long requests take, when clients give up, and where their
// response times go.
type desRequests struct {
	rng     *rand.Rand
	service sampler
	// timeout is when a client gives up, seconds after it sent the request.
	timeout float64
	// sloTarget is the latency target in seconds (+Inf without one).
	sloTarget float64
	// hist records response times in microseconds; nil records nothing.
	hist    *hdrhistogram.Histogram
	histMax int64
	counts  desCounters
	// warming is set during a warm start's burn-in (see ours).
	warming bool
	// ring, for a service others call synchronously, keeps its recent
	// response times for its callers to draw from (calls.go).
	ring *respRing
}

// ours reports whether a request that arrived at a (seconds) enters the
// counters: during the warm start's burn-in every request does (its
// counters fill the SLO window and are then discarded); in the run only
// those that arrived at t >= 0, whose arrival the run counted. A warm
// start's pre-filled and burn-in requests still finishing after t = 0 hold
// their workers and delay the run's requests, but their completions,
// time-outs and losses are not the run's: counted without their arrivals
// they would give more errors than requests.
func (r *desRequests) ours(a float64) bool { return r.warming || a >= 0 }

// complete records the response time, seconds, of a request that arrived
// at a.
func (r *desRequests) complete(a, resp float64) {
	if r.ring != nil {
		r.ring.push(math.Min(resp, r.timeout))
	}
	if !r.ours(a) {
		return
	}
	if resp > r.timeout {
		r.counts.late++
		return
	}
	r.counts.done++
	if resp > r.sloTarget {
		r.counts.overSLO++
	}
	if r.hist != nil {
		us := int64(resp*1e6 + 0.5)
		if us > r.histMax {
			us = r.histMax
		}
		r.hist.RecordValue(us) //nolint:errcheck // clamped to the trackable range above
	}
}

// running is a request in service: its virtual completion time and its
// arrival time.
type running struct{ vdone, arrived float64 }

// desQueue is one pod: c worker slots and a FCFS queue.
type desQueue struct {
	c int
	// x is the number of requests the CPU limit runs at full speed (+Inf
	// without a binding limit).
	x float64
	// busy is a min-heap by virtual completion time.
	busy []running
	// wait is a ring of the arrival times of waiting requests.
	wait       []float64
	head, size int

	// now is the time the queue has reached, seconds; vnow the virtual
	// clock then.
	now, vnow float64
	// shared is the service's one waiting line under the shared-queue
	// policy (nil otherwise, and for a pod that has left the load
	// balancer): a freed slot takes its next request from there instead of
	// wait.
	shared *desQueue

	// busyArea and queueArea integrate the busy slots and the waiting
	// requests over time since the last reset (slot-seconds, request-seconds);
	// workArea the busy slots times their speed (the work done, full-speed
	// request-seconds).
	busyArea, queueArea, workArea float64
}

func newDESQueue(c int, x float64) *desQueue {
	return &desQueue{c: c, x: x, busy: make([]running, 0, c), wait: make([]float64, 16)}
}

// reset empties the queue at time now, keeping its buffers.
func (q *desQueue) reset(now float64) {
	*q = desQueue{c: q.c, x: q.x, busy: q.busy[:0], wait: q.wait, now: now, vnow: now, shared: q.shared}
}

// speed is the progress of each running request per second.
func (q *desQueue) speed() float64 {
	if n := float64(len(q.busy)); n > q.x {
		return q.x / n
	}
	return 1
}

// integrate moves the clocks and the time integrals to t.
func (q *desQueue) integrate(t float64) {
	if dt := t - q.now; dt > 0 {
		v := q.speed()
		n := float64(len(q.busy))
		q.vnow += v * dt
		q.busyArea += n * dt
		q.workArea += n * v * dt
		q.queueArea += float64(q.size) * dt
		q.now = t
	}
}

// advance processes every departure up to and including time t.
func (q *desQueue) advance(t float64, r *desRequests) {
	for len(q.busy) > 0 {
		top := &q.busy[0]
		// The division only when the CPU limit slows the requests: at
		// speed 1 it is exact, so skipping it changes no bit.
		dv := top.vdone - q.vnow
		if v := q.speed(); v != 1 {
			dv /= v
		}
		d := q.now + dv
		if d > t {
			break
		}
		q.integrate(d)
		q.vnow = top.vdone // no drift between the clocks
		r.complete(top.arrived, d-top.arrived)
		// The freed slot takes the oldest waiting request whose client has
		// not given up.
		started := false
		line := q
		if q.shared != nil {
			line = q.shared
			line.integrate(d)
		}
		for line.size > 0 {
			a := line.pop()
			if d-a >= r.timeout {
				if r.ring != nil {
					r.ring.push(r.timeout)
				}
				if r.ours(a) {
					r.counts.abandoned++
				}
				continue
			}
			*top = running{q.vnow + r.service.sample(r.rng), a}
			q.siftDown()
			started = true
			break
		}
		if !started {
			q.popBusy()
		}
	}
	q.integrate(t)
}

// nextDeparture is when the first request in service completes at the
// current speed (+Inf with none).
func (q *desQueue) nextDeparture() float64 {
	if len(q.busy) == 0 {
		return math.Inf(1)
	}
	return q.now + (q.busy[0].vdone-q.vnow)/q.speed()
}

// arrive adds a request at time t; the caller has advanced the queue to t.
func (q *desQueue) arrive(t float64, r *desRequests) {
	if len(q.busy) < q.c {
		q.pushBusy(running{q.vnow + r.service.sample(r.rng), t})
		return
	}
	q.push(t)
}

func (q *desQueue) push(a float64) {
	if q.size == len(q.wait) {
		grown := make([]float64, 2*len(q.wait))
		n := copy(grown, q.wait[q.head:])
		copy(grown[n:], q.wait[:q.head])
		q.wait, q.head = grown, 0
	}
	i := q.head + q.size
	if i >= len(q.wait) {
		i -= len(q.wait)
	}
	q.wait[i] = a
	q.size++
}

func (q *desQueue) pop() float64 {
	a := q.wait[q.head]
	q.head++
	if q.head == len(q.wait) {
		q.head = 0
	}
	q.size--
	return a
}

func (q *desQueue) pushBusy(x running) {
	h := append(q.busy, x)
	i := len(h) - 1
	for i > 0 {
		p := (i - 1) / 2
		if h[p].vdone <= x.vdone {
			break
		}
		h[i] = h[p]
		i = p
	}
	h[i] = x
	q.busy = h
}

func (q *desQueue) popBusy() {
	h := q.busy
	n := len(h) - 1
	h[0] = h[n]
	q.busy = h[:n]
	if n > 0 {
		q.siftDown()
	}
}

// siftDown restores the heap after busy[0] grew.
func (q *desQueue) siftDown() {
	h := q.busy
	n := len(h)
	x := h[0]
	i := 0
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && h[r].vdone < h[l].vdone {
			m = r
		}
		if h[m].vdone >= x.vdone {
			break
		}
		h[i] = h[m]
		i = m
	}
	h[i] = x
}

// drain runs the queue with no more arrivals until deadline and reports the
// requests still in it then (in service or waiting) that r counts (see ours).
func (q *desQueue) drain(deadline float64, r *desRequests) int {
	q.advance(deadline, r)
	n := 0
	for _, x := range q.busy {
		if r.ours(x.arrived) {
			n++
		}
	}
	for j := range q.size {
		i := q.head + j
		if i >= len(q.wait) {
			i -= len(q.wait)
		}
		if r.ours(q.wait[i]) {
			n++
		}
	}
	return n
}

// inSystem is the number of requests in service or waiting.
func (q *desQueue) inSystem() int { return len(q.busy) + q.size }

// sampler draws service times in seconds.
type sampler interface {
	sample(rng *rand.Rand) float64
	mean() float64
}

// expSampler is exponential service with the given mean.
type expSampler struct{ m float64 }

func (s expSampler) sample(rng *rand.Rand) float64 { return s.m * rng.ExpFloat64() }
func (s expSampler) mean() float64                 { return s.m }

// constSampler is deterministic service.
type constSampler struct{ m float64 }

func (s constSampler) sample(*rand.Rand) float64 { return s.m }
func (s constSampler) mean() float64             { return s.m }

// lognormalSampler has mean m and squared coefficient of variation cs2:
// σ² = ln(1 + cs2), μ = ln m − σ²/2.
type lognormalSampler struct{ mu, sigma, m float64 }

func newLognormal(mean, cs2 float64) lognormalSampler {
	s2 := math.Log1p(cs2)
	return lognormalSampler{mu: math.Log(mean) - s2/2, sigma: math.Sqrt(s2), m: mean}
}

func (s lognormalSampler) sample(rng *rand.Rand) float64 {
	return math.Exp(s.mu + s.sigma*rng.NormFloat64())
}
func (s lognormalSampler) mean() float64 { return s.m }

// gammaSampler has mean m and squared coefficient of variation cs2 (shape
// 1/cs2, scale m·cs2), the distribution package model fits a p95 to. It
// draws by Marsaglia and Tsang's squeeze method (ACM TOMS 26(3), 2000),
// boosting shapes below 1 with U^(1/shape). Everything that depends on the
// shape alone is computed once, here: d and c, and the boost's exponent
// split as math.Pow splits it (powFixed), so each draw is bit for bit what
// math.Pow(U, 1/shape) gave without redoing that split per request.
type gammaSampler struct {
	shape, scale, m float64
	d, c            float64 // for shape' = max(shape, shape+1 when boosted)
	boost           bool
	pow             powFixed // U^(1/shape) when boosted
}

func newGamma(mean, cs2 float64) *gammaSampler {
	g := &gammaSampler{shape: 1 / cs2, scale: mean * cs2, m: mean}
	a := g.shape
	if a < 1 {
		a, g.boost = a+1, true
		g.pow = newPowFixed(1 / g.shape)
	}
	g.d = a - 1.0/3
	g.c = 1 / math.Sqrt(9*g.d)
	return g
}

func (g *gammaSampler) sample(rng *rand.Rand) float64 {
	var x float64
	for {
		z := rng.NormFloat64()
		v := 1 + g.c*z
		if v <= 0 {
			continue
		}
		v = v * v * v
		u := rng.Float64()
		if u < 1-0.0331*z*z*z*z || math.Log(u) < 0.5*z*z+g.d*(1-v+math.Log(v)) {
			x = g.d * v
			break
		}
	}
	if g.boost {
		x *= g.pow.of(rng.Float64())
	}
	return x * g.scale
}
func (g *gammaSampler) mean() float64 { return g.m }

// empiricalSampler draws from a histogram of service times: a bucket with
// probability proportional to its count, then uniformly inside it.
type empiricalSampler struct {
	lo, hi []float64 // bucket bounds, seconds
	cum    []float64 // cumulative probability at each bucket's end
	m      float64
}

func (s *empiricalSampler) sample(rng *rand.Rand) float64 {
	u := rng.Float64()
	lo, hi := 0, len(s.cum)-1
	for lo < hi {
		mid := (lo + hi) / 2
		if s.cum[mid] > u {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return s.lo[lo] + (s.hi[lo]-s.lo[lo])*rng.Float64()
}
func (s *empiricalSampler) mean() float64 { return s.m }
