package reports

import (
	"fmt"
	"math"
	"time"

	"gonum.org/v1/plot/vg"

	"github.com/headroom-dev/headroom/review/record"
)

// FigureBacktest is observed against simulated replicas, CPU utilisation
// and p95 over a backtest's window.
const FigureBacktest = "backtest"

// BacktestFigure draws one service's backtest on one time axis: Ready
// replicas (top), CPU utilisation (middle) and p95 latency (bottom), the
// observed history solid and the replay dashed; gaps are left open.
func BacktestFigure(bt *record.Backtest, s *record.BacktestService) (Figure, error) {
	if len(s.Series) < 2 {
		return Figure{}, fmt.Errorf("backtest of %s: %d points, need at least 2 to draw", s.Service, len(s.Series))
	}
	start := bt.Start.UTC()
	span := time.Duration(s.Series[len(s.Series)-1].TSeconds * float64(time.Second))
	a := newTimeAxis(start.Sub(start.Truncate(day)), span)
	xs := make([]float64, len(s.Series))
	for i, p := range s.Series {
		xs[i] = a.x(time.Duration(p.TSeconds * float64(time.Second)))
	}
	ys := func(f func(p *record.BacktestPoint) float64, scale float64) []float64 {
		out := make([]float64, len(s.Series))
		for i := range s.Series {
			v := f(&s.Series[i])
			if v < 0 {
				v = math.NaN()
			} else {
				v *= scale
			}
			out[i] = v
		}
		return out
	}
	obsStyle, simStyle := lineStyle(colBlue, 1.5, dashSolid), lineStyle(colVermilion, 1.5, dashDashed)

	rep := &panel{plot: newPanel("Ready replicas (pods)")}
	rep.plot.Y.Tick.Marker = niceTicks{integer: true}
	rep.add("observed", newSeries(xs, ys(func(p *record.BacktestPoint) float64 { return p.ObservedReplicas }, 1), obsStyle, false))
	rep.add("simulated", newSeries(xs, ys(func(p *record.BacktestPoint) float64 { return p.SimulatedReplicas }, 1), simStyle, false))
	rep.plot.Y.Min = 0
	headroom(rep.plot)
	a.apply(rep.plot, false)

	cpu := &panel{plot: newPanel("CPU / request (%)")}
	cpu.add("observed", newSeries(xs, ys(func(p *record.BacktestPoint) float64 { return p.ObservedCPU }, 100), obsStyle, false))
	cpu.add("simulated", newSeries(xs, ys(func(p *record.BacktestPoint) float64 { return p.SimulatedCPU }, 100), simStyle, false))
	cpu.plot.Y.Min = 0
	headroom(cpu.plot)
	a.apply(cpu.plot, false)

	obsP95 := ys(func(p *record.BacktestPoint) float64 { return p.ObservedP95Seconds }, 1)
	simP95 := ys(func(p *record.BacktestPoint) float64 { return p.SimulatedP95Secs }, 1)
	unit, scale := latencyUnit(math.Max(peak(obsP95), peak(simP95)))
	for i := range obsP95 {
		obsP95[i] *= scale
		simP95[i] *= scale
	}
	lat := &panel{plot: newPanel(fmt.Sprintf("p95 latency (%s)", unit))}
	lat.add("observed", newSeries(xs, obsP95, obsStyle, false))
	lat.add("simulated", newSeries(xs, simP95, simStyle, false))
	lat.plot.Y.Min = 0
	headroom(lat.plot)
	a.apply(lat.plot, true)

	caption := fmt.Sprintf("%s from %s to %s: production (solid) and the simulator replaying its request rate from %d Ready replicas (dashed). Verdict: %s.",
		s.Service, bt.Start.Format("2006-01-02 15:04"), bt.End.Format("2006-01-02 15:04 MST"), s.InitialReplicas, s.Verdict)
	if s.Cause != nil {
		caption += " Likely cause: " + s.Cause.Evidence + "."
	}
	f := &figure{
		Figure: Figure{Name: fileSafe(s.Service, FigureBacktest), Kind: FigureBacktest, Service: s.Service,
			Title: fmt.Sprintf("%s: observed and simulated", s.Service), Caption: caption},
		height: stackHeight + 2*vg.Inch,
		panels: []*panel{rep, cpu, lat},
	}
	return f.render()
}
