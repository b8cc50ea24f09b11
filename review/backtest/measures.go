package backtest

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/headroom-dev/headroom/review/record"
	"github.com/headroom-dev/headroom/scenarios"
	"github.com/headroom-dev/headroom/sim"
)

// matchWindow is how far apart an observed and a simulated scale event in
// the same direction may be and still be paired.
const matchWindow = 15 * time.Minute

// minCPUForRatio is the utilisation below which a CPU sample is left out of
// the percentage errors (a near-idle pod makes any ratio meaningless).
const minCPUForRatio = 0.02

// measured is what measure computes: the record's measures and series, and
// the internal values the checks and causes use.
type measured struct {
	rec    record.BacktestMeasures
	series []record.BacktestPoint
	notes  []string
	// coresRatio is the median simulated/observed CPU of all Ready pods
	// (utilisation × Ready), the CPU bias that an HPA on CPU utilisation
	// cannot hide by scaling.
	coresRatio *float64
	burnNote   string
}

func measure(plan *scenarios.Plan, spec *scenarios.Service, o *Observed, res *sim.ServiceResult) *measured {
	n := len(o.Rate)
	simAt := make([]*sim.Sample, n)
	for i := range res.Series {
		t := res.Series[i].T.D()
		k := int(t / o.Step)
		if k >= 0 && k < n && t%o.Step == 0 {
			simAt[k] = &res.Series[i]
		}
	}
	simCPU := smoothCPU(simAt, o)
	m := &measured{}
	m.series = make([]record.BacktestPoint, n)
	var absErr, equal, within, inBand, points float64
	band := hpaTolerance(plan)
	var cpuErr []float64
	var cpuRatio, coresRatio, p95Ratio, p95Low []float64
	lowRate := medianOf(o.Rate)
	obsReady, simReady := make([]float64, n), make([]float64, n)
	for k := range n {
		pt := record.BacktestPoint{TSeconds: float64(k) * o.Step.Seconds(), Rate: orMissing(o.Rate[k]),
			ObservedReplicas: orMissing(o.Ready[k]), SimulatedReplicas: -1, ObservedCPU: -1, SimulatedCPU: -1,
			ObservedP95Seconds: -1, SimulatedP95Secs: -1}
		obsReady[k], simReady[k] = o.Ready[k], math.NaN()
		if o.CPU != nil {
			pt.ObservedCPU = orMissing(o.CPU[k])
		}
		if o.P95 != nil {
			pt.ObservedP95Seconds = orMissing(o.P95[k])
		}
		s := simAt[k]
		if s == nil {
			m.series[k] = pt
			continue
		}
		pt.SimulatedReplicas = float64(s.Ready)
		simReady[k] = float64(s.Ready)
		pt.SimulatedCPU = simCPU[k]
		if s.P95 >= 0 {
			pt.SimulatedP95Secs = s.P95
		}
		m.series[k] = pt
		if r := o.Ready[k]; !math.IsNaN(r) {
			d := math.Abs(float64(s.Ready) - r)
			absErr += d
			points++
			if d < 0.5 {
				equal++
			}
			if d < 1.5 {
				within++
			}
			if d <= math.Max(1, math.Ceil(band*r-1e-9)) {
				inBand++
			}
		}
		if o.CPU != nil && !math.IsNaN(o.CPU[k]) && o.CPU[k] >= minCPUForRatio && simCPU[k] >= 0 {
			cpuErr = append(cpuErr, math.Abs(simCPU[k]-o.CPU[k])/o.CPU[k])
			cpuRatio = append(cpuRatio, simCPU[k]/o.CPU[k])
			if r := o.Ready[k]; !math.IsNaN(r) && r > 0 && s.Ready > 0 {
				coresRatio = append(coresRatio, simCPU[k]*float64(s.Ready)/(o.CPU[k]*r))
			}
		}
		if o.P95 != nil && !math.IsNaN(o.P95[k]) && o.P95[k] > 0 && s.P95 > 0 {
			r := s.P95 / o.P95[k]
			p95Ratio = append(p95Ratio, r)
			if o.Rate[k] < lowRate {
				p95Low = append(p95Low, r)
			}
		}
	}
	rec := &m.rec
	rec.Points = int(points)
	if points > 0 {
		rec.ReplicasMAE = absErr / points
		rec.ReplicasEqualShare = equal / points
		rec.ReplicasWithinOneShare = within / points
		rec.ReplicasWithinBandShare = inBand / points
	}
	rec.ReplicasBand = band
	obsEv, simEv := scaleEvents(obsReady, o.Step), scaleEvents(simReady, o.Step)
	rec.ObservedScaleEvents, rec.SimulatedScaleEvents = len(obsEv), len(simEv)
	lags := matchEvents(obsEv, simEv)
	rec.MatchedScaleEvents = len(lags)
	if len(lags) > 0 {
		rec.ScaleLagSeconds = ptr(medianOf(lags))
	}
	if len(cpuErr) > 0 {
		rec.CPUMAPE = ptr(meanOf(cpuErr))
		rec.CPURatio = ptr(medianOf(cpuRatio))
	} else if o.CPU != nil {
		m.notes = append(m.notes, fmt.Sprintf("cpu (query %s): no step has both utilisations above %.0f %%", o.Queries["cpu"], 100*minCPUForRatio))
	}
	if len(coresRatio) > 0 {
		m.coresRatio = ptr(medianOf(coresRatio))
	}
	if len(p95Ratio) > 0 {
		rec.P95Ratio = ptr(medianOf(p95Ratio))
	}
	if len(p95Low) > 0 {
		rec.P95RatioLowLoad = ptr(medianOf(p95Low))
	}
	m.budget(spec, o, res)
	rec.PlanStartupSeconds = spec.Startup.Total().Seconds()
	if len(o.StartupSeconds) > 0 {
		rec.ObservedStartupSeconds = ptr(medianOf(o.StartupSeconds))
		rec.StartupPods = len(o.StartupSeconds)
	}
	return m
}

// hpaTolerance is the controller's --horizontal-pod-autoscaler-tolerance
// as the plan sets it, else the upstream default 0.1
// (pkg/controller/podautoscaler/config/v1alpha1/defaults.go,
// RecommendedDefaultHPAControllerConfiguration). Any replica count whose
// usage ratio lies within it of 1 is a fixed point of the controller
// (horizontal.go, computeReplicasForMetrics skips the change), so two exact
// controllers fed the same load may settle that far apart.
func hpaTolerance(plan *scenarios.Plan) float64 {
	if t := plan.Simulation.Controller.Tolerance; t != nil {
		return *t
	}
	return 0.1
}

// budget computes the observed error-budget burn: requests slower than the
// SLO target or failed, over all requests, over the budget 1 − quantile
// (the SRE book's error budget, Beyer et al., Site Reliability
// Engineering, O'Reilly 2016, ch. 3), and the simulated one when the
// simulator reports it.
func (m *measured) budget(spec *scenarios.Service, o *Observed, res *sim.ServiceResult) {
	lat := spec.SLO.Latency
	if lat == nil {
		m.burnNote = "the service has no latency SLO"
		return
	}
	budget := 1 - float64(lat.Quantile)
	if o.SlowRate == nil {
		m.burnNote = "no histogram bucket bound equals the SLO target, so slow requests cannot be counted"
		return
	}
	var bad, total float64
	for k, r := range o.Rate {
		sl := o.SlowRate[k]
		if math.IsNaN(r) || math.IsNaN(sl) {
			continue
		}
		e := 0.0
		if o.ErrorRate != nil && !math.IsNaN(o.ErrorRate[k]) {
			e = o.ErrorRate[k]
		}
		// A request that timed out is both slower than the target (its
		// latency lands in a bucket above it) and failed, so slow + errors
		// counts it twice; no step can hold more bad requests than it
		// served, so the sum is capped at the step's rate.
		bad += min(sl+e, r)
		total += r
	}
	if total > 0 && budget > 0 {
		m.rec.ObservedBudgetBurn = ptr(bad / total / budget)
	}
	if b, ok := simulatedBurn(res, budget); ok {
		m.rec.SimulatedBudgetBurn = &b
	} else {
		m.burnNote = "the replay served no requests, so only the observed burn is shown"
	}
}

// simulatedBurn is the replay's burn of the latency objective's budget:
// its bad fraction (requests that failed or were slower than the target,
// sim.Summary.BadFraction) over 1 − quantile — the same measure as the
// observed burn, not the summary's SLOBudgetBurn, which also weighs the
// error-rate objective.
func simulatedBurn(res *sim.ServiceResult, budget float64) (float64, bool) {
	if res.Summary.Requests <= 0 || budget <= 0 {
		return 0, false
	}
	return res.Summary.BadFraction / budget, true
}

// smoothCPU averages the simulated CPU utilisation over the trailing
// RateWindow, as rate() over cAdvisor's counter does for the observed one;
// -1 where no sample exists.
func smoothCPU(simAt []*sim.Sample, o *Observed) []float64 {
	w := max(1, int(o.RateWindow/o.Step))
	if o.RateWindow <= 0 {
		w = max(1, int(5*time.Minute/o.Step))
	}
	out := make([]float64, len(simAt))
	var sum float64
	var cnt int
	for k := range simAt {
		if s := simAt[k]; s != nil {
			sum += s.CPUUtilisation
			cnt++
		}
		if j := k - w; j >= 0 && simAt[j] != nil {
			sum -= simAt[j].CPUUtilisation
			cnt--
		}
		if simAt[k] == nil || cnt == 0 {
			out[k] = -1
			continue
		}
		out[k] = sum / float64(cnt)
	}
	return out
}

// event is a change of the Ready replicas: when, up (+1) or down (−1),
// and the counts before and after.
type event struct {
	t        time.Duration
	dir      int
	from, to float64
}

// scaleEvents lists the changes of a series, skipping gaps.
func scaleEvents(s []float64, step time.Duration) []event {
	var out []event
	last := math.NaN()
	for k, v := range s {
		if math.IsNaN(v) {
			continue
		}
		v = math.Round(v)
		if !math.IsNaN(last) && v != last {
			d := 1
			if v < last {
				d = -1
			}
			out = append(out, event{t: time.Duration(k) * step, dir: d, from: last, to: v})
		}
		last = v
	}
	return out
}

// crosses reports whether simulated event e passes the level an observed
// event reached, in the same direction.
func (e event) crosses(dir int, level float64) bool {
	if e.dir != dir {
		return false
	}
	if dir > 0 {
		return e.from < level && e.to >= level
	}
	return e.from > level && e.to <= level
}

// matchEvents pairs each observed scale event with the simulated one,
// within matchWindow, that crossed the same replica level in the same
// direction, nearest in time: the time each took to reach that level, as a
// step response is compared. A simulated jump of several pods can pair with
// several observed single steps. It returns the lags (simulated −
// observed) in seconds.
func matchEvents(obs, simEv []event) []float64 {
	var lags []float64
	j0 := 0
	for _, e := range obs {
		for j0 < len(simEv) && simEv[j0].t < e.t-matchWindow {
			j0++
		}
		best, bestD := -1, matchWindow+1
		for j := j0; j < len(simEv) && simEv[j].t <= e.t+matchWindow; j++ {
			if !simEv[j].crosses(e.dir, e.to) {
				continue
			}
			d := simEv[j].t - e.t
			if d < 0 {
				d = -d
			}
			if d < bestD {
				best, bestD = j, d
			}
		}
		if best >= 0 {
			lags = append(lags, (simEv[best].t - e.t).Seconds())
		}
	}
	return lags
}

func orMissing(v float64) float64 {
	if math.IsNaN(v) {
		return -1
	}
	return v
}

func ptr(v float64) *float64 { return &v }

// medianOf is the median of the finite values of xs (NaN when none).
func medianOf(xs []float64) float64 {
	s := make([]float64, 0, len(xs))
	for _, x := range xs {
		if !math.IsNaN(x) {
			s = append(s, x)
		}
	}
	if len(s) == 0 {
		return math.NaN()
	}
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func meanOf(xs []float64) float64 {
	var s float64
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}
