package reports

import (
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// drawColumns is how many x buckets a series is reduced to before drawing:
// more than the pixel columns of a data area (about 800 at 96 dpi), so the
// reduction cannot be seen.
const drawColumns = 1200

// series is a line through (xs[i], ys[i]); a NaN y breaks it. Long series
// are reduced per pixel column before drawing (see downsample).
type series struct {
	xs, ys []float64
	style  draw.LineStyle
}

// newSeries is the line through the points, or with intervals set the
// steps of interval values: ys[i] holds over (xs[i-1], xs[i]], as a
// simulator sample does over the interval it ends, the first over an
// interval as long as the second.
//
// A long series is reduced before its steps are drawn: each kept value then
// holds from the kept point before it, which differs from the full series
// by less than a pixel column.
func newSeries(xs, ys []float64, style draw.LineStyle, intervals bool) *series {
	xs, ys = downsample(xs, ys, drawColumns)
	if intervals && len(xs) > 1 {
		xs, ys = steps(xs, ys)
	}
	return &series{xs: xs, ys: ys, style: style}
}

// steps turns interval values into the corners of their steps.
func steps(xs, ys []float64) ([]float64, []float64) {
	ox := make([]float64, 0, 2*len(xs))
	oy := make([]float64, 0, 2*len(xs))
	start := xs[0] - (xs[1] - xs[0])
	for i, x := range xs {
		n := len(ox)
		switch {
		case math.IsNaN(ys[i]):
			ox, oy = append(ox, x), append(oy, ys[i])
		case n > 0 && oy[n-1] == ys[i] && ox[n-1] == start:
			ox[n-1] = x // the same value goes on: lengthen the step
		default:
			ox, oy = append(ox, start, x), append(oy, ys[i], ys[i])
		}
		start = x
	}
	return ox, oy
}

// Plot implements plot.Plotter.
func (s *series) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	var lines [][]vg.Point
	var cur []vg.Point
	for i := range s.xs {
		if math.IsNaN(s.ys[i]) {
			if len(cur) > 0 {
				lines = append(lines, cur)
			}
			cur = nil
			continue
		}
		cur = append(cur, vg.Point{X: trX(s.xs[i]), Y: trY(s.ys[i])})
	}
	if len(cur) > 0 {
		lines = append(lines, cur)
	}
	strokeChunked(c, s.style, c.ClipLinesXY(lines...))
}

// chunkPoints is how many points of a line are stroked at once. The
// rasteriser's cell search is linear in the cells of the path so far, so
// one stroke of a few thousand points takes seconds; strokes of a hundred
// take milliseconds.
const chunkPoints = 100

// strokeChunked strokes each line in pieces of chunkPoints segments. Each
// piece repeats the last segment of the one before, so that the
// anti-aliased ends do not leave a faint seam, and starts its dashes where
// the line's dash pattern is there, so that a dashed line reads as one.
func strokeChunked(c draw.Canvas, sty draw.LineStyle, lines [][]vg.Point) {
	for _, l := range lines {
		var travelled vg.Length // along l to l[i]
		for i := 0; i+1 < len(l); {
			end := min(i+chunkPoints+1, len(l))
			st := sty
			st.DashOffs = sty.DashOffs + travelled
			c.StrokeLines(st, l[i:end])
			if end == len(l) {
				break
			}
			next := end - 2 // the next piece starts one segment back
			for j := i + 1; j <= next; j++ {
				dx, dy := l[j].X-l[j-1].X, l[j].Y-l[j-1].Y
				travelled += vg.Length(math.Hypot(float64(dx), float64(dy)))
			}
			i = next
		}
	}
}

// DataRange implements plot.DataRanger, skipping gaps.
func (s *series) DataRange() (xmin, xmax, ymin, ymax float64) {
	xmin, ymin = math.Inf(1), math.Inf(1)
	xmax, ymax = math.Inf(-1), math.Inf(-1)
	for i, y := range s.ys {
		if math.IsNaN(y) {
			continue
		}
		xmin, xmax = math.Min(xmin, s.xs[i]), math.Max(xmax, s.xs[i])
		ymin, ymax = math.Min(ymin, y), math.Max(ymax, y)
	}
	return xmin, xmax, ymin, ymax
}

// Thumbnail implements plot.Thumbnailer.
func (s *series) Thumbnail(c *draw.Canvas) { thumbLine(c, s.style) }

func thumbLine(c *draw.Canvas, sty draw.LineStyle) {
	y := c.Center().Y
	c.StrokeLine2(sty, c.Min.X, y, c.Max.X, y)
}

// hline is a horizontal reference line across the whole data area.
type hline struct {
	y     float64
	style draw.LineStyle
}

// Plot implements plot.Plotter.
func (h hline) Plot(c draw.Canvas, p *plot.Plot) {
	_, trY := p.Transforms(&c)
	y := trY(h.y)
	if c.ContainsY(y) {
		c.StrokeLine2(h.style, c.Min.X, y, c.Max.X, y)
	}
}

// DataRange implements plot.DataRanger: the y axis must show the line; the
// x axis is not its business.
func (h hline) DataRange() (xmin, xmax, ymin, ymax float64) {
	return math.Inf(1), math.Inf(-1), h.y, h.y
}

// Thumbnail implements plot.Thumbnailer.
func (h hline) Thumbnail(c *draw.Canvas) { thumbLine(c, h.style) }

// vline is a vertical reference line with a short label at its top.
type vline struct {
	x     float64
	style draw.LineStyle
	label string
}

// Plot implements plot.Plotter.
func (v vline) Plot(c draw.Canvas, p *plot.Plot) {
	trX, _ := p.Transforms(&c)
	x := trX(v.x)
	if !c.ContainsX(x) {
		return
	}
	c.StrokeLine2(v.style, x, c.Min.Y, x, c.Max.Y)
	if v.label != "" {
		sty := textStyle(sansFont, tickSize-1)
		sty.Color = v.style.Color
		sty.XAlign, sty.YAlign = draw.XRight, draw.YBottom // left of the line, ending at its top
		sty.Rotation = math.Pi / 2
		at := vg.Point{X: x - vg.Points(2), Y: c.Max.Y - vg.Points(2)}
		// A pale backing keeps the label legible over other lines; the
		// text reads upwards, so its height runs to the left of at.
		w, h := sty.Width(v.label), sty.Height(v.label)
		c.FillPolygon(color.NRGBA{0xff, 0xff, 0xff, 0xcc}, []vg.Point{
			{X: at.X - h, Y: at.Y - w}, {X: at.X, Y: at.Y - w}, {X: at.X, Y: at.Y}, {X: at.X - h, Y: at.Y}})
		c.FillText(sty, at, v.label)
	}
}

// DataRange implements plot.DataRanger.
func (v vline) DataRange() (xmin, xmax, ymin, ymax float64) {
	return v.x, v.x, math.Inf(1), math.Inf(-1)
}

// Thumbnail implements plot.Thumbnailer.
func (v vline) Thumbnail(c *draw.Canvas) { thumbLine(c, v.style) }

// bands shades x intervals over the full height of the data area, filled
// or, with hatch set, hatched with diagonal lines (to tell two sets of
// bands apart in greyscale).
type bands struct {
	spans [][2]float64
	color color.Color
	hatch bool
}

// fillRect fills or hatches r.
func (b bands) fillRect(c draw.Canvas, r vg.Rectangle) {
	if !b.hatch {
		c.FillPolygon(b.color, []vg.Point{r.Min, {X: r.Max.X, Y: r.Min.Y}, r.Max, {X: r.Min.X, Y: r.Max.Y}})
		return
	}
	const spacing = 5 // points between hatch lines
	sub := draw.Canvas{Canvas: c.Canvas, Rectangle: r}
	h := r.Max.Y - r.Min.Y
	// Lines at 45°, placed on a page-wide grid so that neighbouring bands
	// line up.
	first := vg.Length(math.Floor(float64(r.Min.X-h)/spacing)) * spacing
	var lines [][]vg.Point
	for x := first; x <= r.Max.X; x += spacing {
		lines = append(lines, []vg.Point{{X: x, Y: r.Min.Y}, {X: x + h, Y: r.Max.Y}})
	}
	sub.StrokeLines(lineStyle(b.color, 1, nil), sub.ClipLinesXY(lines...)...)
}

// Plot implements plot.Plotter.
func (b bands) Plot(c draw.Canvas, p *plot.Plot) {
	trX, _ := p.Transforms(&c)
	for _, s := range b.spans {
		x0, x1 := max(trX(s[0]), c.Min.X), min(trX(s[1]), c.Max.X)
		if x1 <= x0 {
			continue
		}
		// At least half a point wide, so a one-sample violation shows.
		if x1-x0 < vg.Points(0.5) {
			x1 = x0 + vg.Points(0.5)
		}
		b.fillRect(c, vg.Rectangle{Min: vg.Point{X: x0, Y: c.Min.Y}, Max: vg.Point{X: x1, Y: c.Max.Y}})
	}
}

// Thumbnail implements plot.Thumbnailer.
func (b bands) Thumbnail(c *draw.Canvas) { b.fillRect(*c, c.Rectangle) }

// mergeSpans joins spans (sorted, each [from, to]) closer than gap, so a
// series that flickers in and out of violation draws as one band per pixel
// rather than thousands.
func mergeSpans(spans [][2]float64, gap float64) [][2]float64 {
	var out [][2]float64
	for _, s := range spans {
		if n := len(out); n > 0 && s[0]-out[n-1][1] <= gap {
			out[n-1][1] = max(out[n-1][1], s[1])
			continue
		}
		out = append(out, s)
	}
	return out
}

// downsample reduces a series to at most four points per x bucket (of
// columns equal buckets over its x range): the first, lowest, highest and
// last of the bucket, in x order (the M4 reduction). Drawn at one bucket
// per pixel column this is indistinguishable from the full series: every
// column shows the same vertical extent and the lines between columns join
// the same points. NaN gaps are kept. xs must be non-decreasing; series of
// at most 4·columns points are returned as they are.
func downsample(xs, ys []float64, columns int) ([]float64, []float64) {
	n := len(xs)
	if n <= 4*columns || columns < 1 {
		return xs, ys
	}
	x0, x1 := xs[0], xs[n-1]
	width := (x1 - x0) / float64(columns)
	if !(width > 0) {
		return xs, ys
	}
	ox := make([]float64, 0, 4*columns+16)
	oy := make([]float64, 0, 4*columns+16)
	i := 0
	for i < n {
		if math.IsNaN(ys[i]) {
			// Keep one NaN per run of them: the gap.
			ox, oy = append(ox, xs[i]), append(oy, ys[i])
			for i < n && math.IsNaN(ys[i]) {
				i++
			}
			continue
		}
		b := bucket(xs[i], x0, width, columns)
		first, lo, hi, last := i, i, i, i
		for i < n && !math.IsNaN(ys[i]) && bucket(xs[i], x0, width, columns) == b {
			if ys[i] < ys[lo] {
				lo = i
			}
			if ys[i] > ys[hi] {
				hi = i
			}
			last = i
			i++
		}
		idx := [4]int{first, lo, hi, last}
		if lo > hi {
			idx[1], idx[2] = hi, lo
		}
		prev := -1
		for _, j := range idx {
			if j != prev {
				ox, oy = append(ox, xs[j]), append(oy, ys[j])
				prev = j
			}
		}
	}
	return ox, oy
}

func bucket(x, x0, width float64, columns int) int {
	return min(int((x-x0)/width), columns-1)
}

// spread shades, sample by sample, the range between lo and hi: the
// p10–p90 band of an ensemble around the series drawn over it. Like a
// step series, lo[i] and hi[i] hold over (xs[i-1], xs[i]]; a NaN bound
// leaves a gap.
type spread struct {
	xs, lo, hi []float64
	color      color.Color
}

// spreadChunk is how many samples one filled polygon covers (the
// rasteriser's cost grows with a path's length, as for strokes).
const spreadChunk = 100

// Plot implements plot.Plotter.
func (s spread) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	n := len(s.xs)
	if n == 0 {
		return
	}
	left := func(i int) float64 {
		switch {
		case i > 0:
			return s.xs[i-1]
		case n > 1:
			return s.xs[0] - (s.xs[1] - s.xs[0])
		}
		return s.xs[0]
	}
	ok := func(i int) bool { return !math.IsNaN(s.lo[i]) && !math.IsNaN(s.hi[i]) }
	for a := 0; a < n; {
		if !ok(a) {
			a++
			continue
		}
		b := a
		for b+1 < n && b+1-a < spreadChunk && ok(b+1) {
			b++
		}
		poly := make([]vg.Point, 0, 4*(b-a+1))
		for i := a; i <= b; i++ {
			poly = append(poly, vg.Point{X: trX(left(i)), Y: trY(s.hi[i])}, vg.Point{X: trX(s.xs[i]), Y: trY(s.hi[i])})
		}
		for i := b; i >= a; i-- {
			poly = append(poly, vg.Point{X: trX(s.xs[i]), Y: trY(s.lo[i])}, vg.Point{X: trX(left(i)), Y: trY(s.lo[i])})
		}
		c.FillPolygon(s.color, c.ClipPolygonXY(poly))
		a = b + 1
	}
}

// DataRange implements plot.DataRanger, skipping gaps.
func (s spread) DataRange() (xmin, xmax, ymin, ymax float64) {
	xmin, ymin = math.Inf(1), math.Inf(1)
	xmax, ymax = math.Inf(-1), math.Inf(-1)
	for i := range s.xs {
		if math.IsNaN(s.lo[i]) || math.IsNaN(s.hi[i]) {
			continue
		}
		xmin, xmax = math.Min(xmin, s.xs[i]), math.Max(xmax, s.xs[i])
		ymin, ymax = math.Min(ymin, s.lo[i]), math.Max(ymax, s.hi[i])
	}
	return xmin, xmax, ymin, ymax
}

// Thumbnail implements plot.Thumbnailer.
func (s spread) Thumbnail(c *draw.Canvas) {
	r := c.Rectangle
	c.FillPolygon(s.color, []vg.Point{r.Min, {X: r.Max.X, Y: r.Min.Y}, r.Max, {X: r.Min.X, Y: r.Max.Y}})
}
