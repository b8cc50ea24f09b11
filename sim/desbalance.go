package sim

import (
	"math"
	"slices"

	"github.com/headroom-dev/headroom/model"
)

// This file routes DES arrivals to pods by the service's load-balancing
// policy (scenarios' loadBalancing, model.Balancing), each exactly:
//
//   - random: a Ready pod drawn uniformly from the service's stream, as
//     kube-proxy's iptables rules pick an endpoint (pkg/proxy/iptables,
//     proxier.go writeServiceToEndpointRules: statistic mode random with
//     probability 1/n, 1/(n−1), …). Deterministic arrivals deal round-robin
//     instead, as they always have.
//   - round-robin: the Ready pods in turn (IPVS rr).
//   - least-request: choices pods drawn uniformly with replacement, the
//     one with the fewest requests in flight (in service or waiting at the
//     pod), the first drawn on a tie — Envoy's unweighted least-request
//     pick (source/extensions/load_balancing_policies/least_request,
//     LeastRequestLoadBalancer::unweightedHostPick); the draws come in
//     random order, so the tie is broken by the seeded stream.
//   - least-connection: the pod with the fewest requests in flight over
//     all Ready pods (IPVS lc without its weights), a tie broken uniformly
//     by the seeded stream.
//   - shared-queue: one FIFO line in front of every Ready pod's slots. An
//     arrival takes a free slot if any pod has one (the pod with the most
//     free slots, a tie broken by the stream), else joins the line; a slot
//     that frees takes the line's oldest request whose client is still
//     waiting. Departures are processed in time order across the pods
//     (advanceShared), which makes the line exact FCFS over N·k slots.

// pick chooses the pod an arrival at t goes to under the per-pod policies
// and advances it to t.
func (m *desModel) pick(t float64) *desQueue {
	ready := m.ready
	rng := m.req.rng
	var q *desQueue
	switch m.policy {
	case model.BalanceRoundRobin:
		m.rr = (m.rr + 1) % len(ready)
		q = ready[m.rr]
	case model.BalanceLeastRequest:
		// Each drawn pod is advanced to t, so its count is the one at t.
		best := -1
		for range m.choices {
			c := ready[rng.IntN(len(ready))]
			c.advance(t, &m.req)
			if n := len(c.busy) + c.size; best < 0 || n < best {
				q, best = c, n
			}
		}
		return q
	case model.BalanceLeastConnection:
		best, ties := -1, 0
		for _, c := range ready {
			c.advance(t, &m.req)
			switch n := c.inSystem(); {
			case best < 0 || n < best:
				q, best, ties = c, n, 1
			case n == best:
				ties++
				if rng.IntN(ties) == 0 {
					q = c
				}
			}
		}
		return q
	default:
		if m.arrivals == ArrivalsDeterministic {
			m.rr = (m.rr + 1) % len(ready)
			q = ready[m.rr]
		} else {
			q = ready[rng.IntN(len(ready))]
		}
	}
	q.advance(t, &m.req)
	return q
}

// arriveShared hands an arrival at t to a free slot or the shared line.
func (m *desModel) arriveShared(t float64) {
	m.advanceShared(t)
	var q *desQueue
	free, ties := 0, 0
	for _, c := range m.ready {
		switch f := c.c - len(c.busy); {
		case f <= 0:
		case f > free:
			q, free, ties = c, f, 1
		case f == free:
			ties++
			if m.req.rng.IntN(ties) == 0 {
				q = c
			}
		}
	}
	if q != nil {
		q.arrive(t, &m.req)
		return
	}
	m.shared.integrate(t)
	m.shared.push(t)
}

// advanceShared processes every departure up to t across the Ready pods in
// time order, so that the shared line serves its requests first come,
// first served, and moves every clock to t.
func (m *desModel) advanceShared(t float64) {
	for {
		var next *desQueue
		at := t
		for _, q := range m.ready {
			if d := q.nextDeparture(); d <= at {
				next, at = q, d
			}
		}
		if next == nil {
			break
		}
		next.advance(at, &m.req)
	}
	for _, q := range m.ready {
		q.advance(t, &m.req)
	}
	m.shared.integrate(t)
}

// advanceAll moves every Ready pod's queue to t.
func (m *desModel) advanceAll(t float64) {
	if m.shared != nil {
		m.advanceShared(t)
		return
	}
	for _, q := range m.ready {
		q.advance(t, &m.req)
	}
}

// fillFromShared lets the free slots of the Ready pods (a pod that has
// just become Ready) take requests from the shared line at time t, when
// every queue is at t.
func (m *desModel) fillFromShared(t float64) {
	sh := m.shared
	sh.integrate(t)
	for _, q := range m.ready {
		for len(q.busy) < q.c && sh.size > 0 {
			a := sh.pop()
			if t-a >= m.req.timeout {
				if m.req.ours(a) {
					m.req.counts.abandoned++
				}
				continue
			}
			q.pushBusy(running{q.vnow + m.req.service.sample(m.req.rng), a})
		}
	}
}

// pourIntoShared moves the requests waiting at the Ready pods (a warm
// start's prefill) to the shared line, oldest first.
func (m *desModel) pourIntoShared() {
	var all []float64
	for _, q := range m.ready {
		for q.size > 0 {
			all = append(all, q.pop())
		}
	}
	slices.Sort(all)
	for _, a := range all {
		m.shared.push(a)
	}
}

// sharedQueueArea takes the shared line's waiting-request integral since the
// last call, request-seconds.
func (m *desModel) sharedQueueArea() float64 {
	if m.shared == nil {
		return 0
	}
	a := m.shared.queueArea
	m.shared.queueArea = 0
	return a
}

// setBalancing sets the DES routing from the workload's policy.
func (m *desModel) setBalancing(b model.Balancing) {
	m.policy = b.Policy
	if m.policy == "" {
		m.policy = model.BalanceRandom
	}
	m.choices = b.Choices
	if m.choices == 0 {
		m.choices = model.DefaultChoices
	}
	if m.policy == model.BalanceSharedQueue {
		m.shared = newDESQueue(0, math.Inf(1))
	}
}
