package sim

import (
	"math"
	"math/bits"
)

// The steady cohort. In fluid mode every Ready pod without a backlog at a
// load below capacity uses the same CPU and memory in a tick (steadyAt):
// they are the service's steady cohort. Rather than writing the same
// values into every such pod's metrics-window rings each tick (pod.use),
// the model keeps them once per tick for the service, in history rings,
// and brings a pod's running sums up to date only when metrics-server
// samples it (scrape) or when it leaves the cohort, replaying the ticks it
// missed in tick order with the same floating-point operations pod.use
// does — so the samples, and everything read from them, are bit for bit
// what writing every tick gives. A pod leaving the cohort gets its rings
// written back (materialise) before pod.use takes over again.
//
// While a pod is in the cohort its rings, ringPos and ringLen stay as they
// were when it entered at step cohortFrom; its sums hold the ticks before
// syncedTo. For a tick t of the cohort, the value pod.use would overwrite
// is the ring's entry for t − windowTicks: the pod's own frozen entry for
// the first windowTicks ticks, then the cohort's value of t − windowTicks,
// so later ticks add the cohort's shared difference delta[t].
type cohort struct {
	// cpu, mem: the steady pod's CPU (cores) and memory (bytes) per step;
	// dCPU, dMem: the value minus the one windowTicks steps earlier, what
	// a pod's running sums add at that step once its ring holds only
	// cohort values. Indexed by step&mask; only steps at a stationary load
	// are written, and only those are read.
	cpu, mem, dCPU, dMem []float64
	mask                 int
	window               int // windowTicks, the length of a pod's rings
	// in is the flag per pod, index for index with service.pods, read in
	// serve's loop without touching the pod; n counts the members.
	in podState[bool]
	n  int
	// syncedAll is the step from which every member's sums are still to be
	// replayed (or later): the history must reach back to it.
	syncedAll int
	// steady is the cohort's figures in the last tick served, what a
	// member's lastInFlight, lastCPU and lastMem are.
	steady steadyPod
	// batch and sums are syncAll's scratch: the members it replays
	// together and their running sums, CPU and memory side by side.
	batch []*pod
	sums  []float64
	at    []int // the index of each batch member's sums in sums
	// kept: the batch, sums and at of the last replayAll hold every
	// member, whose sums its caller wrote back (settle): until a pod
	// enters, leaves or is removed, the next replayAll replays them
	// without a pass over the members (a new pod comes last and is not
	// a member, so the batch stays in pod order).
	kept bool
	// off keeps every pod out of the cohort, each writing its rings every
	// tick: the reference the cohort is tested against.
	off bool
}

// cohortGap is the most steps a member's sums lag before every member is
// brought up to date (scrapes usually do it first).
const cohortGap = 64

// init sets up the history for rings of window ticks.
func (c *cohort) init(window int) {
	size := 1 << bits.Len(uint(window+cohortGap))
	c.cpu, c.mem = make([]float64, size), make([]float64, size)
	c.dCPU, c.dMem = make([]float64, size), make([]float64, size)
	c.mask, c.window = size-1, window
}

// record keeps step's steady CPU and memory.
func (c *cohort) record(step int, sp *steadyPod) {
	i, j := step&c.mask, (step-c.window)&c.mask
	c.cpu[i], c.mem[i] = sp.cpu, sp.mem
	c.dCPU[i], c.dMem[i] = sp.cpu-c.cpu[j], sp.mem-c.mem[j]
	c.steady = *sp
}

// enter makes pod i, steady at step for the first time since it last
// left, a member.
func (c *cohort) enter(i int, p *pod, step int) {
	if c.n == 0 {
		c.syncedAll = step
	}
	c.in[i], c.n, c.kept = true, c.n+1, false
	p.cohort, p.cohortFrom, p.syncedTo = true, step, step
}

// leave takes pod i out of the cohort before step is served: its sums and
// rings become what pod.use would have left after step − 1.
func (c *cohort) leave(i int, p *pod, step int) {
	c.sync(p, step)
	w := len(p.cpuRing)
	from := max(p.cohortFrom, step-w)
	pos := (p.ringPos + from - p.cohortFrom) % w
	for t := from; t < step; t++ {
		p.cpuRing[pos], p.memRing[pos] = c.cpu[t&c.mask], c.mem[t&c.mask]
		if pos++; pos == w {
			pos = 0
		}
	}
	p.ringPos = (p.ringPos + step - p.cohortFrom) % w
	p.ringLen = min(w, p.ringLen+step-p.cohortFrom)
	p.lastCPU, p.lastMem, p.lastInFlight = c.steady.cpu, c.steady.mem, c.steady.inFlight
	p.cohort = false
	c.in[i], c.n, c.kept = false, c.n-1, false
}

// remove forgets pod i, deleted.
func (c *cohort) remove(i int) {
	if c.in.remove(i) {
		c.n--
	}
	c.kept = false
}

// sync replays into p's running sums the steps from p.syncedTo to end
// (exclusive), as pod.use would have added them.
func (c *cohort) sync(p *pod, end int) {
	t := p.syncedTo
	if t >= end {
		return
	}
	w := len(p.cpuRing)
	cpuSum, memSum := p.cpuSum, p.memSum
	// The first w steps overwrite the entries the pod had when it entered.
	if own := min(end, p.cohortFrom+w); t < own {
		pos := (p.ringPos + t - p.cohortFrom) % w
		for ; t < own; t++ {
			cpuSum += c.cpu[t&c.mask] - p.cpuRing[pos]
			memSum += c.mem[t&c.mask] - p.memRing[pos]
			if pos++; pos == w {
				pos = 0
			}
		}
	}
	for ; t < end; t++ {
		cpuSum += c.dCPU[t&c.mask]
		memSum += c.dMem[t&c.mask]
	}
	p.cpuSum, p.memSum = cpuSum, memSum
	p.syncedTo = end
}

// syncAll brings every member's sums up to date to end (exclusive). The
// members synced at the last syncAll whose rings hold only cohort values,
// most of them, add the same differences: they are replayed together,
// step by step across the members, which keeps each member's order of
// additions while the additions of different members overlap.
func (c *cohort) syncAll(pods []*pod, end int) {
	c.replayAll(pods, end)
	for i, p := range c.batch {
		c.settle(i, p, end)
	}
	c.syncedAll = end
}

// replayAll is syncAll but for writing the batch's sums back into its
// members (settle), which a caller that visits every pod next does on
// the way (World.scrape): the members' sums are final in c.sums.
// Members whose sums are equal, bit for bit, add the same differences in
// the same order and end equal: pods that became Ready together share
// their history, so most batches hold a few distinct sums, each replayed
// once.
func (c *cohort) replayAll(pods []*pod, end int) {
	from := c.syncedAll
	if c.kept {
		c.replay(from, end)
		return
	}
	c.batch, c.sums, c.at = c.batch[:0], c.sums[:0], c.at[:0]
	if c.n == 0 {
		return
	}
	sums, at := c.sums, c.at
	for i, in := range c.in[:len(pods)] {
		if !in {
			continue
		}
		p := pods[i]
		if p.syncedTo != from || p.cohortFrom+len(p.cpuRing) > from {
			c.sync(p, end)
			continue
		}
		c.batch = append(c.batch, p)
		cb, mb := math.Float64bits(p.cpuSum), math.Float64bits(p.memSum)
		k := -1
		// Pods that became Ready together sit side by side: the last
		// member's sums first.
		if n := len(at); n > 0 {
			if u := at[n-1]; math.Float64bits(sums[u]) == cb && math.Float64bits(sums[u+1]) == mb {
				k = u
			}
		}
		for u := 0; k < 0 && u < len(sums) && u < 2*batchDistinct; u += 2 {
			if math.Float64bits(sums[u]) == cb && math.Float64bits(sums[u+1]) == mb {
				k = u
			}
		}
		if k < 0 {
			k = len(sums)
			sums = append(sums, p.cpuSum, p.memSum)
		}
		at = append(at, k)
	}
	c.sums, c.at = sums, at
	c.kept = len(c.batch) == c.n
	c.replay(from, end)
}

// replay adds the steps from from to end (exclusive) to the batch's
// distinct sums.
func (c *cohort) replay(from, end int) {
	sums := c.sums
	for t := from; t < end; t++ {
		dc, dm := c.dCPU[t&c.mask], c.dMem[t&c.mask]
		for k := 0; k+1 < len(sums); k += 2 {
			sums[k] += dc
			sums[k+1] += dm
		}
	}
}

// settle writes the replayed sums of c.batch[i], p, into it.
func (c *cohort) settle(i int, p *pod, end int) {
	p.cpuSum, p.memSum = c.sums[c.at[i]], c.sums[c.at[i]+1]
	p.syncedTo = end
}

// batchDistinct is how many distinct sums syncBatch looks a member's up
// among; past them a member's are replayed on their own.
const batchDistinct = 16

// window is the number of ticks p's window holds, counting the ticks its
// sums hold beyond its frozen rings while it is a member.
func (p *pod) window() int {
	if !p.cohort {
		return p.ringLen
	}
	return min(len(p.cpuRing), p.ringLen+p.syncedTo-p.cohortFrom)
}

// last is p's requests in flight, CPU (cores) and memory (bytes) in the
// last tick it ran.
func (s *service) last(p *pod) (inFlight, cpu, mem float64) {
	if p.cohort {
		sp := &s.fluid.cohort.steady
		return sp.inFlight, sp.cpu, sp.mem
	}
	return p.lastInFlight, p.lastCPU, p.lastMem
}
