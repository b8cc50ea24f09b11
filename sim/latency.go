package sim

import (
	"fmt"
	"math"
	"sync"
	"sync/atomic"

	"github.com/headroom-dev/headroom/model"
)

// latencyTable holds a pod's stationary response-time figures as functions
// of its load ρ = λ_pod/μ, so the tick loop interpolates instead of solving
// a queue. The grid is uniform in u = −ln(1 − ρ), dense where the figures
// change fastest (ρ → 1), up to ρ = 1 − 1e-4.
//
// The grid's points are evaluated as a lookup first needs them (fill): a
// caller's tables, one per quantised call delay, are each read over a
// narrow band of loads, and a run with an uncertainty ensemble makes tens
// of thousands of them. A point's figures do not depend on which others
// were evaluated, so the laziness changes no result. The first two points
// and the last are evaluated when the table is built, so that a workload
// the model rejects fails there.
type latencyTable struct {
	// target is the latency target, seconds (0: none); svcSlow[j] is
	// P(S > target − j·target/(len−1)), the fraction of requests slower
	// than the target when they wait j·target/(len−1) for a backlog before
	// their service starts.
	target  float64
	svcSlow []float64

	// grid holds, per grid point of latencyAxis, the state there.
	grid []gridPoint

	// mu guards the evaluation of the grid's points: have[i] says point
	// i's state is evaluated, src is what from.
	mu   sync.Mutex
	have []bool
	src  tableSource
}

// tableSource is what a latency table's points are evaluated from.
type tableSource struct {
	w         model.Workload
	quantiles *model.PodQuantiles
	slots     float64 // the pod's worker slots over the mean service time
	timeout   float64
}

// gridPoint is one grid point of a latencyTable: the state there and d,
// the next point's state minus this one's (zero at the last point), the
// differences at interpolates along. ready says the state and d are
// evaluated.
type gridPoint struct {
	point
	d     point
	ready atomic.Bool
}

// latencyAxis is the loads of every latency table's grid points,
// ρ_i = 1 − e^(−i·du), the inverse step from each to the next, and
// start[j], the last grid point at or below the load j/len(start), so
// that a lookup needs no logarithm. Every table has the same, so a world
// of many services reads one copy, which stays in cache.
var latencyAxis = newLatencyAxis()

type gridAxis struct {
	rho, invStep [latencyGridPoints]float64
	start        [latencyStartBuckets]uint8
}

func newLatencyAxis() *gridAxis {
	a := &gridAxis{}
	du := latencyMaxU / (latencyGridPoints - 1)
	for i := range a.rho {
		a.rho[i] = -math.Expm1(-float64(i) * du)
	}
	for i := 0; i+1 < len(a.rho); i++ {
		a.invStep[i] = 1 / (a.rho[i+1] - a.rho[i])
	}
	i := 0
	for j := range a.start {
		x := float64(j) / latencyStartBuckets
		for i+1 < len(a.rho) && a.rho[i+1] <= x {
			i++
		}
		a.start[j] = uint8(i)
	}
	return a
}

// latencyGridPoints fits gridAxis.start's uint8.
const (
	latencyGridPoints = 160
	latencyMaxU       = 9.210340371976184 // −ln(1e-4)
)

// Indexes of latencyTable rows.
const (
	latMean = iota
	latP50
	latP95
	latP99
	latSLO
)

// newLatencyTable sets up the table of the model on the grid. sloQuantile
// is the SLO's quantile (0.95 when the service has no latency SLO) and
// target its latency target in seconds (0 without one).
func newLatencyTable(w model.Workload, sloQuantile, timeout, target float64) (*latencyTable, error) {
	t := &latencyTable{
		target: target, grid: make([]gridPoint, latencyGridPoints), have: make([]bool, latencyGridPoints),
		src: tableSource{w: w, quantiles: w.PodQuantiles(0.5, 0.95, 0.99, sloQuantile), slots: float64(w.Concurrency) / w.ServiceMean, timeout: timeout},
	}
	n := len(t.grid) - 1
	for _, i := range [...]int{0, 1, n} {
		if err := t.eval(i); err != nil {
			return nil, err
		}
	}
	t.grid[n].ready.Store(true)
	if target > 0 {
		t.svcSlow = make([]float64, svcSlowPoints)
		for j := range t.svcSlow {
			d := target * float64(j) / (svcSlowPoints - 1)
			t.svcSlow[j] = model.ServiceSurvival(1/w.ServiceMean, w.ServiceCS2, target-d)
		}
	}
	t.fill(0)
	return t, nil
}

// eval evaluates grid point i's state (t.mu held, or the table not yet
// shared).
func (t *latencyTable) eval(i int) error {
	src := &t.src
	w := &src.w
	g := &t.grid[i]
	rho := latencyAxis.rho[i]
	lam := rho * src.slots
	var err error
	r := &g.row
	if r[latMean], err = w.PodMeanResponse(lam); err != nil {
		return fmt.Errorf("latency at ρ=%.4f: %w", rho, err)
	}
	var qs [4]float64
	if err = src.quantiles.At(lam, qs[:]); err != nil {
		return fmt.Errorf("latency at ρ=%.4f: %w", rho, err)
	}
	copy(r[latP50:], qs[:])
	g.meanWait = r[latMean] - w.ServiceMean
	g.delayProb = model.ErlangC(w.Concurrency, rho*float64(w.Concurrency))
	if b := w.Balancing.Policy; b != "" && b != model.BalanceRandom && i > 0 {
		// The policy's probability of waiting (model.Workload.PodWait).
		if g.delayProb, _, err = w.PodWait(lam); err != nil {
			return fmt.Errorf("latency at ρ=%.4f: %w", rho, err)
		}
	}
	g.timedOut = g.waitTail(math.Max(src.timeout-w.ServiceMean, 0))
	if t.target > 0 {
		if g.slow, err = w.PodResponseSurvival(lam, t.target); err != nil {
			return fmt.Errorf("latency at ρ=%.4f: %w", rho, err)
		}
	}
	t.have[i] = true
	return nil
}

// fill evaluates grid point i and the next, and the difference between
// them, unless done. A point whose evaluation fails (the model validated
// the workload at the first points, so only a failure that depends on the
// load, which no model here has below ρ = 1) takes the last point's
// state, the most loaded one.
func (t *latencyTable) fill(i int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	lo := &t.grid[i]
	if lo.ready.Load() {
		return
	}
	n := len(t.grid) - 1
	for _, j := range [...]int{i, i + 1} {
		if !t.have[j] {
			if t.eval(j) != nil {
				t.grid[j].point = t.grid[n].point
				t.have[j] = true
			}
		}
	}
	hi := &t.grid[i+1]
	d := &lo.d
	for j := range d.row {
		d.row[j] = hi.row[j] - lo.row[j]
	}
	d.meanWait = hi.meanWait - lo.meanWait
	d.delayProb = hi.delayProb - lo.delayProb
	d.timedOut = hi.timedOut - lo.timedOut
	d.slow = hi.slow - lo.slow
	lo.ready.Store(true)
}

// svcSlowPoints is the resolution of latencyTable.svcSlow.
const svcSlowPoints = 129

// slowAfterWait is the fraction of requests slower than the target when
// each waits wait seconds before its service starts, P(S > target − wait):
// the drain regime's count of slow requests. 0 without a target.
func (t *latencyTable) slowAfterWait(wait float64) float64 {
	if t.target <= 0 {
		return 0
	}
	x := wait / t.target * (svcSlowPoints - 1)
	if !(x < svcSlowPoints-1) {
		return 1
	}
	if x <= 0 {
		return t.svcSlow[0]
	}
	j := int(x)
	f := x - float64(j)
	return t.svcSlow[j] + (t.svcSlow[j+1]-t.svcSlow[j])*f
}

// latencyStartBuckets is the resolution of the lookup from load to grid
// point.
const latencyStartBuckets = 4096

// point is the stationary state of a pod at one load.
type point struct {
	row       [5]float64
	meanWait  float64
	delayProb float64
	timedOut  float64
	slow      float64
}

// at interpolates the stationary state at load rho (clamped to the grid),
// linearly in ρ between neighbouring grid points.
func (t *latencyTable) at(rho float64) point {
	var p point
	t.interpolate(&p, rho)
	return p
}

// interpolate is at writing into p: lo + (hi − lo)·f for every figure,
// with hi − lo read from the grid (gridPoint.d, the same rounded
// difference).
func (t *latencyTable) interpolate(p *point, rho float64) {
	g := t.grid
	ax := latencyAxis
	const n = latencyGridPoints - 1
	if rho <= 0 {
		*p = g[0].point
		return
	}
	if !(rho < ax.rho[n]) {
		*p = g[n].point
		return
	}
	i := int(ax.start[int(rho*latencyStartBuckets)])
	for ax.rho[i+1] <= rho {
		i++
	}
	lo := &g[i]
	if !lo.ready.Load() {
		t.fill(i)
	}
	d := &lo.d
	f := (rho - ax.rho[i]) * ax.invStep[i]
	for j := range p.row {
		p.row[j] = lo.row[j] + d.row[j]*f
	}
	p.meanWait = lo.meanWait + d.meanWait*f
	p.delayProb = lo.delayProb + d.delayProb*f
	p.timedOut = lo.timedOut + d.timedOut*f
	p.slow = lo.slow + d.slow*f
}

// waitTail is P(W > t) at a state: an atom at 0 and an exponential tail
// with the conditional mean E[W]/P(W>0), exact for M/M/k and the
// two-moment approximation otherwise.
func (p point) waitTail(t float64) float64 {
	if p.delayProb <= 0 || p.meanWait <= 0 {
		return 0
	}
	return p.delayProb * math.Exp(-t*p.delayProb/p.meanWait)
}
