package reports

import (
	"errors"
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// FigurePareto is a tune's settings on the plane of cost against worst
// burn, with the Pareto front and the chosen setting.
const FigurePareto = "pareto"

// ParetoPoint is one HPA setting as a tune evaluated it.
type ParetoPoint struct {
	// Label names the setting, e.g. "41 %, min 3, max 14".
	Label string
	// Cost is the setting's cost over the scenarios (weighted by their
	// weights); WorstBurn its largest error-budget burn of any scenario.
	Cost, WorstBurn float64
	// Holds: the setting holds the SLO in every scenario and is never
	// worse than today.
	Holds bool
}

// ParetoPlot is what ParetoFigure draws for one service.
type ParetoPlot struct {
	Service string
	// Evaluated are every setting the search simulated; Front the Pareto
	// front among them, by increasing cost.
	Evaluated []ParetoPoint
	Front     []ParetoPoint
	// Current is today's setting; Chosen the proposal (nil when the
	// search chose nothing over today).
	Current ParetoPoint
	Chosen  *ParetoPoint
}

// paretoFloor is the smallest burn the log axis shows: a setting that
// burns less is drawn on it.
const paretoFloor = 0.01

// ParetoFigure draws a tune's evaluated settings on cost (x) against
// worst burn (y, logarithmic, from 0.01): those that hold the SLO
// filled, the others as crosses, the Pareto front as a line, today's
// setting and the chosen one marked, and the budget (burn 1) as a
// horizontal line.
func ParetoFigure(pp *ParetoPlot) (Figure, error) {
	if pp == nil || pp.Service == "" {
		return Figure{}, errors.New("plot: pareto: a service is required")
	}
	if len(pp.Front) == 0 {
		return Figure{}, fmt.Errorf("plot: pareto: service %s: an empty front", pp.Service)
	}
	all := append(append([]ParetoPoint{pp.Current}, pp.Evaluated...), pp.Front...)
	if pp.Chosen != nil {
		all = append(all, *pp.Chosen)
	}
	for i, q := range all {
		if math.IsNaN(q.Cost) || math.IsInf(q.Cost, 0) || math.IsNaN(q.WorstBurn) || math.IsInf(q.WorstBurn, 0) || q.WorstBurn < 0 {
			return Figure{}, fmt.Errorf("plot: pareto: service %s: point %d (%s) has cost %g and worst burn %g", pp.Service, i, q.Label, q.Cost, q.WorstBurn)
		}
	}
	y := func(b float64) float64 { return math.Log10(max(b, paretoFloor)) }
	xy := func(ps []ParetoPoint, keep func(ParetoPoint) bool) plotter.XYs {
		var out plotter.XYs
		for _, q := range ps {
			if keep(q) {
				out = append(out, plotter.XY{X: q.Cost, Y: y(q.WorstBurn)})
			}
		}
		return out
	}
	p := &panel{plot: newPanel("worst burn (log)")}
	p.plot.Y.Tick.Marker = logTicks{}
	p.plot.X.Label.Text = "cost over the scenarios (weighted)"
	p.plot.X.Tick.Marker = niceTicks{}

	scatter := func(label string, pts plotter.XYs, shape draw.GlyphDrawer, c color.Color, radius vg.Length) error {
		if len(pts) == 0 {
			return nil
		}
		s, err := plotter.NewScatter(pts)
		if err != nil {
			return err
		}
		s.GlyphStyle = draw.GlyphStyle{Color: c, Radius: radius, Shape: shape}
		p.add(label, s)
		return nil
	}
	if err := scatter("holds the SLO, never worse", xy(pp.Evaluated, func(q ParetoPoint) bool { return q.Holds }), draw.CircleGlyph{}, colGreen, vg.Points(3)); err != nil {
		return Figure{}, err
	}
	if err := scatter("misses the SLO or worse than today", xy(pp.Evaluated, func(q ParetoPoint) bool { return !q.Holds }), draw.CrossGlyph{}, colOrange, vg.Points(3)); err != nil {
		return Figure{}, err
	}
	front := xy(pp.Front, func(ParetoPoint) bool { return true })
	fx, fy := make([]float64, len(front)), make([]float64, len(front))
	for i, q := range front {
		fx[i], fy[i] = q.X, q.Y
	}
	p.add("Pareto front", newSeries(fx, fy, lineStyle(colBlue, 1.5, dashSolid), false))
	if err := scatter("today: "+pp.Current.Label, xy([]ParetoPoint{pp.Current}, func(ParetoPoint) bool { return true }), draw.TriangleGlyph{}, colBlack, vg.Points(5)); err != nil {
		return Figure{}, err
	}
	if pp.Chosen != nil {
		if err := scatter("chosen: "+pp.Chosen.Label, xy([]ParetoPoint{*pp.Chosen}, func(ParetoPoint) bool { return true }), draw.RingGlyph{}, colVermilion, vg.Points(7)); err != nil {
			return Figure{}, err
		}
	}
	p.add("budget (burn 1)", hline{0, lineStyle(colBlack, 1, dashDashed)})

	lo, hi := math.Inf(1), math.Inf(-1)
	ylo, yhi := 0.0, 0.0 // the axis always shows the budget line
	for _, q := range all {
		lo, hi = min(lo, q.Cost), max(hi, q.Cost)
		ylo, yhi = min(ylo, y(q.WorstBurn)), max(yhi, y(q.WorstBurn))
	}
	pad := 0.05 * (hi - lo)
	if pad == 0 {
		pad = 0.05 * max(math.Abs(hi), 1)
	}
	p.plot.X.Min, p.plot.X.Max = lo-pad, hi+pad
	p.plot.Y.Min, p.plot.Y.Max = math.Floor(ylo), math.Ceil(yhi+1e-9)
	if p.plot.Y.Max == p.plot.Y.Min {
		p.plot.Y.Max++
	}

	caption := fmt.Sprintf("Every HPA setting tune simulated for %s, its cost over the scenarios (weighted by each scenario's weight) "+
		"against its worst burn (the largest error-budget burn of any scenario, also with the inputs moved by the margin and at "+
		"the uncertainty ensemble's p90 when the plan has one; below %.2g drawn at %.2g). The line is the Pareto front: "+
		"each member burns less than every cheaper setting.", pp.Service, paretoFloor, paretoFloor)
	if pp.Chosen != nil {
		caption += fmt.Sprintf(" The ring is the chosen setting (%s), the triangle today's (%s).", pp.Chosen.Label, pp.Current.Label)
	} else {
		caption += fmt.Sprintf(" No setting was chosen over today's (%s, the triangle).", pp.Current.Label)
	}
	f := &figure{
		Figure: Figure{Name: fileSafe(pp.Service, FigurePareto), Kind: FigurePareto, Service: pp.Service,
			Title: fmt.Sprintf("%s: cost against worst burn of the settings tune simulated", pp.Service), Caption: caption},
		height: panelHeight,
		panels: []*panel{p},
	}
	return f.render()
}
