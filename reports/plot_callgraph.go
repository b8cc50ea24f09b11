package reports

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/headroom-dev/headroom/review/record"
)

// FigureCallGraph is the kind of the call-graph figure.
const FigureCallGraph = "callgraph" // the services and the calls between them

// CallGraphFigure draws the plan's call graph (review's CallGraph): each
// service a labelled point, callers on the left and the services they
// call to their right (a column per call depth), each call an arrow
// labelled with its calls per request, solid when synchronous, dashed when
// not. services is the order services take within a column; trouble, when
// not "", names a service to mark where a scenario's trouble starts.
func CallGraphFigure(edges []record.CallEdge, services []string, trouble map[string][]string) (Figure, error) {
	if len(edges) == 0 {
		return Figure{}, errors.New("plot: the plan has no calls to draw")
	}
	pos, cols, err := callLayout(edges, services)
	if err != nil {
		return Figure{}, err
	}
	p := plot.New()
	p.BackgroundColor = nil
	p.HideAxes()
	rows := 0
	for _, n := range cols {
		rows = max(rows, n)
	}
	p.X.Min, p.X.Max = -0.5, float64(len(cols))-0.3
	p.Y.Min, p.Y.Max = -0.7, float64(rows)-0.3
	for _, e := range edges {
		a, b := pos[e.Caller], pos[e.Callee]
		style := lineStyle(colBlue, 1.5, dashSolid)
		if e.Mode == "async" {
			style = lineStyle(colOrange, 1.5, dashDashed)
		}
		p.Add(&arrow{from: a, to: b, style: style})
		lbl, err := plotter.NewLabels(plotter.XYLabels{
			XYs:    []plotter.XY{{X: (a.X + b.X) / 2, Y: (a.Y+b.Y)/2 + 0.08}},
			Labels: []string{fmt.Sprintf("×%g %s", e.PerRequest, e.Mode)},
		})
		if err != nil {
			return Figure{}, err
		}
		lbl.TextStyle[0] = textStyle(sansFont, tickSize)
		lbl.TextStyle[0].XAlign = draw.XCenter
		p.Add(lbl)
	}
	var xys plotter.XYs
	var names []string
	var marked []bool
	for _, name := range services {
		if q, ok := pos[name]; ok {
			xys = append(xys, q)
			label := name
			scs := trouble[name]
			if len(scs) > 0 {
				label += " (trouble starts: " + strings.Join(scs, ", ") + ")"
			}
			names = append(names, label)
			marked = append(marked, len(scs) > 0)
		}
	}
	pts, err := plotter.NewScatter(xys)
	if err != nil {
		return Figure{}, err
	}
	pts.GlyphStyle = draw.GlyphStyle{Color: colBlack, Radius: vg.Points(4), Shape: draw.CircleGlyph{}}
	p.Add(pts)
	lbls, err := plotter.NewLabels(plotter.XYLabels{XYs: xys, Labels: names})
	if err != nil {
		return Figure{}, err
	}
	for i := range lbls.TextStyle {
		lbls.TextStyle[i] = textStyle(boldFont, labelSize)
		lbls.TextStyle[i].XAlign, lbls.TextStyle[i].YAlign = draw.XCenter, draw.YTop
		lbls.Offset = vg.Point{Y: -vg.Points(7)}
		if marked[i] {
			lbls.TextStyle[i].Color = colVermilion
		}
	}
	p.Add(lbls)
	sync, async := 0, 0
	for _, e := range edges {
		if e.Mode == "async" {
			async++
		} else {
			sync++
		}
	}
	f := &figure{
		Figure: Figure{Name: "call-graph", Kind: FigureCallGraph, Title: "Call graph",
			Caption: fmt.Sprintf("The services and the calls between them, callers to the left of the services they call: %d synchronous "+
				"(solid: the caller's worker slot is held for the callee's response) and %d asynchronous (dashed), each labelled "+
				"with its calls per request. A service marked in red is where a scenario's trouble starts.", sync, async)},
		height: vg.Length(math.Max(2.5, 1.2*float64(rows))) * vg.Inch,
		panels: []*panel{{plot: p}},
	}
	return f.render()
}

// callLayout places each service at (depth, row): depth the longest chain
// of calls leading to it, rows in the order of services within a column.
func callLayout(edges []record.CallEdge, services []string) (map[string]plotter.XY, []int, error) {
	in := map[string]bool{}
	for _, e := range edges {
		in[e.Caller], in[e.Callee] = true, true
	}
	depth := map[string]int{}
	for range len(in) + 1 {
		changed := false
		for _, e := range edges {
			if d := depth[e.Caller] + 1; d > depth[e.Callee] {
				depth[e.Callee], changed = d, true
			}
		}
		if !changed {
			break
		}
		for _, d := range depth {
			if d > len(in) {
				return nil, nil, errors.New("plot: the calls form a cycle")
			}
		}
	}
	var cols []int
	pos := map[string]plotter.XY{}
	for _, name := range services {
		if !in[name] {
			continue
		}
		d := depth[name]
		for len(cols) <= d {
			cols = append(cols, 0)
		}
		pos[name] = plotter.XY{X: float64(d), Y: float64(cols[d])}
		cols[d]++
	}
	// Services by their names only in edges (not in services) are an
	// error: the record names every service.
	for name := range in {
		if _, ok := pos[name]; !ok {
			return nil, nil, fmt.Errorf("plot: call graph names service %q, which the review does not have", name)
		}
	}
	return pos, cols, nil
}

// arrow is a straight arrow between two points in data coordinates,
// stopping short of the target's marker.
type arrow struct {
	from, to plotter.XY
	style    draw.LineStyle
}

func (a *arrow) Plot(c draw.Canvas, p *plot.Plot) {
	tx, ty := p.Transforms(&c)
	x0, y0 := tx(a.from.X), ty(a.from.Y)
	x1, y1 := tx(a.to.X), ty(a.to.Y)
	dx, dy := float64(x1-x0), float64(y1-y0)
	l := math.Hypot(dx, dy)
	if l == 0 {
		return
	}
	ux, uy := dx/l, dy/l
	gap := 9.0 // points short of each end
	sx, sy := x0+vg.Length(ux*gap), y0+vg.Length(uy*gap)
	ex, ey := x1-vg.Length(ux*gap), y1-vg.Length(uy*gap)
	c.StrokeLine2(a.style, sx, sy, ex, ey)
	head := a.style
	head.Dashes = nil
	const hl, hw = 9.0, 4.0
	bx, by := float64(ex)-ux*hl, float64(ey)-uy*hl
	c.StrokeLine2(head, ex, ey, vg.Length(bx-uy*hw), vg.Length(by+ux*hw))
	c.StrokeLine2(head, ex, ey, vg.Length(bx+uy*hw), vg.Length(by-ux*hw))
}
