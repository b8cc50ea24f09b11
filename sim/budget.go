package sim

import "time"

// This file is the error-budget accounting of a service's SLO (Beyer et
// al., "Site Reliability Engineering", O'Reilly 2016, ch. 4 "Service Level
// Objectives", and "The Site Reliability Workbook", 2018, ch. 5 "Alerting
// on SLOs", which defines the burn rate). A latency SLO {quantile q,
// target T} allows a fraction 1 − q of the requests to be bad: failed
// (timed out, dropped, no Ready pod, lost with a deleted pod) or slower
// than T. An error-rate SLO e allows a fraction e to fail. The burn of an
// objective is its bad fraction over its budget: 1 spends the budget
// exactly, above 1 breaks the SLO. A service with both objectives must
// meet both, so its burn is the larger of the two (the budget of the
// stricter); a service with neither burns nothing.
//
// Fluid mode counts as bad, per tick, its failed requests plus the served
// ones slower than T by the response-time survival function (the
// stationary queue's P(T > target) in the latency table, or the
// service-time survival after the backlog's wait while a pod drains); DES
// mode counts its requests. Both weigh each tick by its arrivals.

// budgetTick is one tick's requests (arrivals), bad requests (failed or
// slower than the target) and failed requests.
type budgetTick struct{ requests, bad, errors float64 }

// budget accumulates a service's error budget over the run and over a
// sliding window of slo.window.
type budget struct {
	// latency is the latency objective's budget 1 − q, errors the error-rate
	// objective's; 0 where the SLO has no such objective.
	latency, errors float64
	// invLatency and invErrors are their reciprocals (0 without).
	invLatency, invErrors float64
	window                time.Duration

	total budgetTick
	// ring holds the last window's ticks and sum their sum, updated by
	// subtraction. At every wrap sum is reset to the ring's sum added up
	// from 0 in ring order, so rounding cannot drift: the ring was
	// written in that order since the last wrap, so cycle, the sum of
	// the ticks added since, is that sum bit for bit without a pass over
	// the ring. Tick i of the ring is ring[i·stride+col]: its own slice
	// (stride 1), or a column of an arena the world's services share
	// (shareRings).
	ring        []budgetTick
	n           int
	stride, col int
	pos         int
	full        bool
	sum, cycle  budgetTick
	// withRequests and nonzero count the ring's ticks with requests and
	// with any non-zero figure: the running sums are updated by
	// subtraction, so once traffic stops they hold rounding residue
	// (1e-13 requests, with bad requests of the same order, would read as
	// a burn up to 1/budget); a count of whole ticks says exactly when the
	// window is empty, and the sums are then set to zero.
	withRequests, nonzero int
	worst                 float64
}

func newBudget(latency, errors float64, window, tick time.Duration) budget {
	b := budget{latency: latency, errors: errors, window: window}
	if latency > 0 {
		b.invLatency = 1 / latency
	}
	if errors > 0 {
		b.invErrors = 1 / errors
	}
	if b.active() {
		b.n, b.stride = max(1, int((window+tick/2)/tick)), 1
		b.ring = make([]budgetTick, b.n)
	}
	return b
}

// active reports whether the service has an objective to burn.
func (b *budget) active() bool { return b.latency > 0 || b.errors > 0 }

// burn is the larger objective's burn of the requests in t (see Burn).
func (b *budget) burn(t budgetTick) float64 {
	return Burn(t.bad, t.errors, t.requests, b.latency, b.errors)
}

// Burn is the error-budget burn of requests of which bad were bad for the
// latency objective (failed or slower than its target) and errors failed:
// the larger of bad/requests over latencyBudget (1 − q) and
// errors/requests over errorBudget (the error-rate objective), an
// objective with a budget of 0 (none) not counting; 0 when no request
// arrived. DES counts a request that times out when its client gives up
// or it completes, up to a timeout after it arrived, so a window can count
// more bad requests than arrived in it; they are capped at the arrivals.
func Burn(bad, errors, requests, latencyBudget, errorBudget float64) float64 {
	if !(requests > 0) {
		return 0
	}
	out := 0.0
	if latencyBudget > 0 {
		out = min(bad, requests) / (requests * latencyBudget)
	}
	if errorBudget > 0 {
		out = max(out, min(errors, requests)/(requests*errorBudget))
	}
	return out
}

// add counts one tick. The worst window is compared without a division:
// a window's burn is x/requests with x the larger objective's bad count
// over its budget, and it beats the worst so far when x > worst·requests.
func (b *budget) add(t budgetTick) {
	if b.ring == nil {
		return
	}
	b.total.requests += t.requests
	b.total.bad += t.bad
	b.total.errors += t.errors
	old := &b.ring[b.pos*b.stride+b.col]
	b.sum.requests += t.requests - old.requests
	b.sum.bad += t.bad - old.bad
	b.sum.errors += t.errors - old.errors
	b.withRequests += count(t.requests != 0) - count(old.requests != 0)
	b.nonzero += count(t != budgetTick{}) - count(*old != budgetTick{})
	switch {
	case b.nonzero == 0:
		b.sum = budgetTick{}
	case b.withRequests == 0:
		b.sum.requests = 0
	}
	*old = t
	b.cycle.requests += t.requests
	b.cycle.bad += t.bad
	b.cycle.errors += t.errors
	if b.pos++; b.pos == b.n {
		b.pos, b.full = 0, true
		b.sum, b.cycle = b.cycle, budgetTick{}
	}
	if b.full && b.sum.requests > 0 {
		x := 0.0
		if b.latency > 0 {
			x = min(b.sum.bad, b.sum.requests) * b.invLatency
		}
		if b.errors > 0 {
			x = max(x, min(b.sum.errors, b.sum.requests)*b.invErrors)
		}
		if x > b.worst*b.sum.requests {
			b.worst = x / b.sum.requests
		}
	}
}

// shareRings lays the rings of the budgets (in recording order, none yet
// added to) that have the same length out in one arena per length shared
// by two or more, tick by tick: row i holds every member's tick i, in the
// order the services record. A tick then writes one row from end to end,
// where separate rings (86 KB each for an hour of 1 s ticks) made every
// service's write a cache miss once a world held tens of services.
func shareRings(budgets []*budget) {
	byLen := map[int][]*budget{}
	var lens []int
	for _, b := range budgets {
		if b.ring == nil {
			continue
		}
		if byLen[b.n] == nil {
			lens = append(lens, b.n)
		}
		byLen[b.n] = append(byLen[b.n], b)
	}
	for _, n := range lens {
		ms := byLen[n]
		if len(ms) < 2 {
			continue
		}
		rows := make([]budgetTick, n*len(ms))
		for i, b := range ms {
			b.ring, b.stride, b.col = rows, len(ms), i
		}
	}
}

func count(ok bool) int {
	if ok {
		return 1
	}
	return 0
}

// summarise writes the budget's figures into the summary.
func (b *budget) summarise(sum *Summary) {
	sum.SLOWindowSeconds = b.window.Seconds()
	if !b.active() {
		return
	}
	sum.BadRequests = b.total.bad
	if b.total.requests > 0 {
		// A share of the requests by definition (as burn caps it).
		sum.BadFraction = min(b.total.bad, b.total.requests) / b.total.requests
	}
	sum.SLOBudgetBurn = b.burn(b.total)
	sum.WorstWindowBurn = b.worst
	if !b.full {
		// A scenario shorter than the window is judged over what there is.
		sum.WorstWindowBurn = sum.SLOBudgetBurn
	}
}
