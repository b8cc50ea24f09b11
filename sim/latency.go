package sim

import (
	"fmt"
	"math"

	"github.com/headroom-dev/headroom/model"
)

// latencyTable holds a pod's stationary response-time figures as functions
// of its load ρ = λ_pod/μ, so the tick loop interpolates instead of solving
// a queue. The grid is uniform in u = −ln(1 − ρ), dense where the figures
// change fastest (ρ → 1), up to ρ = 1 − 1e-4.
type latencyTable struct {
	du float64
	// rows[i] holds mean, p50, p95, p99 and the SLO quantile at u = i·du.
	rows [][5]float64
	// meanWait is E[W] (mean queueing delay) at each grid point, for the
	// queue-depth metric (Little: L_q = λ·E[W]); delayProb is P(W > 0).
	meanWait  []float64
	delayProb []float64
	// timedOut is the fraction of requests whose wait leaves less than the
	// mean service time before the timeout: they time out.
	timedOut []float64
	// slow is P(T > target), the fraction of requests slower than the
	// latency target (0 without one): what the error budget counts.
	slow []float64
	// target is the latency target, seconds (0: none); svcSlow[j] is
	// P(S > target − j·target/(len−1)), the fraction of requests slower
	// than the target when they wait j·target/(len−1) for a backlog before
	// their service starts.
	target  float64
	svcSlow []float64

	// rho[i] is the load at grid point i and invStep[i] = 1/(rho[i+1] −
	// rho[i]); start[j] is the last grid point at or below j/len(start), so
	// a lookup needs no logarithm.
	rho     []float64
	invStep []float64
	start   []int32
	// grid holds, per grid point, what at interpolates, side by side so a
	// lookup reads two neighbouring entries.
	grid []gridPoint
}

// gridPoint is one grid point of a latencyTable: the state there, the load
// and the inverse step to the next point, and d, the next point's state
// minus this one's (zero at the last point), the differences at
// interpolates along.
type gridPoint struct {
	point
	rho, invStep float64
	d            point
}

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

// newLatencyTable evaluates the model on the grid. sloQuantile is the SLO's
// quantile (0.95 when the service has no latency SLO) and target its
// latency target in seconds (0 without one).
func newLatencyTable(w model.Workload, sloQuantile, timeout, target float64) (*latencyTable, error) {
	t := &latencyTable{du: latencyMaxU / (latencyGridPoints - 1), target: target}
	t.rows = make([][5]float64, latencyGridPoints)
	t.meanWait = make([]float64, latencyGridPoints)
	t.delayProb = make([]float64, latencyGridPoints)
	slots := float64(w.Concurrency) / w.ServiceMean
	for i := range t.rows {
		rho := -math.Expm1(-float64(i) * t.du)
		lam := rho * slots
		var err error
		r := &t.rows[i]
		if r[latMean], err = w.PodMeanResponse(lam); err != nil {
			return nil, fmt.Errorf("latency at ρ=%.4f: %w", rho, err)
		}
		for j, p := range [...]float64{0.5, 0.95, 0.99, sloQuantile} {
			if r[latP50+j], err = w.PodResponseQuantile(lam, p); err != nil {
				return nil, fmt.Errorf("latency at ρ=%.4f: %w", rho, err)
			}
		}
		t.meanWait[i] = r[latMean] - w.ServiceMean
		t.delayProb[i] = model.ErlangC(w.Concurrency, rho*float64(w.Concurrency))
		if b := w.Balancing.Policy; b != "" && b != model.BalanceRandom && i > 0 {
			// The policy's probability of waiting (model.Workload.PodWait).
			if t.delayProb[i], _, err = w.PodWait(lam); err != nil {
				return nil, fmt.Errorf("latency at ρ=%.4f: %w", rho, err)
			}
		}
		t.rho = append(t.rho, rho)
		pt := point{meanWait: t.meanWait[i], delayProb: t.delayProb[i]}
		t.timedOut = append(t.timedOut, pt.waitTail(math.Max(timeout-w.ServiceMean, 0)))
		slow := 0.0
		if target > 0 {
			if slow, err = w.PodResponseSurvival(lam, target); err != nil {
				return nil, fmt.Errorf("latency at ρ=%.4f: %w", rho, err)
			}
		}
		t.slow = append(t.slow, slow)
	}
	if target > 0 {
		t.svcSlow = make([]float64, svcSlowPoints)
		for j := range t.svcSlow {
			d := target * float64(j) / (svcSlowPoints - 1)
			t.svcSlow[j] = model.ServiceSurvival(1/w.ServiceMean, w.ServiceCS2, target-d)
		}
	}
	t.invStep = make([]float64, len(t.rho))
	for i := 0; i+1 < len(t.rho); i++ {
		t.invStep[i] = 1 / (t.rho[i+1] - t.rho[i])
	}
	t.start = make([]int32, latencyStartBuckets)
	i := 0
	for j := range t.start {
		x := float64(j) / latencyStartBuckets
		for i+1 < len(t.rho) && t.rho[i+1] <= x {
			i++
		}
		t.start[j] = int32(i)
	}
	t.grid = make([]gridPoint, len(t.rows))
	for i := range t.grid {
		t.grid[i] = gridPoint{point: point{t.rows[i], t.meanWait[i], t.delayProb[i], t.timedOut[i], t.slow[i]}, rho: t.rho[i], invStep: t.invStep[i]}
	}
	for i := 0; i+1 < len(t.grid); i++ {
		lo, hi := &t.grid[i], &t.grid[i+1]
		d := &lo.d
		for j := range d.row {
			d.row[j] = hi.row[j] - lo.row[j]
		}
		d.meanWait = hi.meanWait - lo.meanWait
		d.delayProb = hi.delayProb - lo.delayProb
		d.timedOut = hi.timedOut - lo.timedOut
		d.slow = hi.slow - lo.slow
	}
	return t, nil
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
	n := len(g) - 1
	if rho <= 0 {
		*p = g[0].point
		return
	}
	if !(rho < g[n].rho) {
		*p = g[n].point
		return
	}
	i := int(t.start[int(rho*latencyStartBuckets)])
	for g[i+1].rho <= rho {
		i++
	}
	lo := &g[i]
	d := &lo.d
	f := (rho - lo.rho) * lo.invStep
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
