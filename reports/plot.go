package reports

import (
	"bytes"
	"fmt"
	"html"
	goimage "image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"

	"git.sr.ht/~sbinet/gg"
	xfont "golang.org/x/image/font"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Figure is one rendered plot, in both formats.
type Figure struct {
	// Name is a file-safe id, unique within a report, such as
	// "noa-mcp-daily-traffic"; the files are Name+".png" and Name+".svg".
	Name string `json:"name"`
	// Kind is what the figure shows: one of the FigureXxx constants.
	Kind string `json:"kind"`
	// Service and Scenario are those the figure is about; empty when it is
	// not about one (a cluster figure has no service, a capacity curve no
	// scenario).
	Service  string `json:"service,omitempty"`
	Scenario string `json:"scenario,omitempty"`
	// Title is the figure's title as drawn; Caption says in a sentence or
	// two what it shows, for the report's text and an image's alt text.
	Title   string `json:"title"`
	Caption string `json:"caption"`
	PNG     []byte `json:"-"`
	SVG     []byte `json:"-"`
	// event names the event whose pre-scale the figure shows.
	event string
}

// WriteFigures writes each figure to dir as Name.png and Name.svg,
// creating dir if need be.
func WriteFigures(dir string, figs []Figure) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, f := range figs {
		if f.Name == "" || f.Name != fileSafe(f.Name) {
			return fmt.Errorf("figure name %q is not a file-safe id", f.Name)
		}
		if err := os.WriteFile(filepath.Join(dir, f.Name+".png"), f.PNG, 0o644); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, f.Name+".svg"), f.SVG, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// The kinds of figure.
const (
	FigureTraffic     = "traffic"     // request rate over replicas desired and ready
	FigureUtilisation = "utilisation" // CPU use over request against the HPA target
	FigureLatency     = "latency"     // the SLO quantile against its target
	FigureCluster     = "cluster"     // nodes and cost per hour
	FigureCapacity    = "capacity"    // required replicas against request rate
	FigureCompare     = "compare"     // current and proposed HPA overlaid
)

// Page geometry: PNGs are drawn at PNGDPI, so a one-panel figure is
// 864 × 384 pixels and a two-panel one 864 × 576.
const (
	PNGDPI      = 96
	figureWidth = 9 * vg.Inch
	panelHeight = 4 * vg.Inch
	stackHeight = 6 * vg.Inch
)

// The Okabe–Ito palette (the colours the figures use), safe for the common
// colour-vision deficiencies.
var (
	colBlack     = color.NRGBA{0x00, 0x00, 0x00, 0xff}
	colOrange    = color.NRGBA{0xe6, 0x9f, 0x00, 0xff}
	colGreen     = color.NRGBA{0x00, 0x9e, 0x73, 0xff}
	colBlue      = color.NRGBA{0x00, 0x72, 0xb2, 0xff}
	colVermilion = color.NRGBA{0xd5, 0x5e, 0x00, 0xff}
	colGrid      = color.NRGBA{0xdd, 0xdd, 0xdd, 0xff}
	colShade     = color.NRGBA{0xcc, 0x79, 0xa7, 0x55} // reddish purple, translucent
	colBand      = color.NRGBA{0x00, 0x72, 0xb2, 0x38} // blue, translucent: an ensemble's p10–p90
)

// Dash patterns, so that lines stay apart in greyscale too.
var (
	dashSolid   []vg.Length
	dashDashed  = []vg.Length{vg.Points(6), vg.Points(3)}
	dashDotted  = []vg.Length{vg.Points(1.5), vg.Points(2.5)}
	dashDashDot = []vg.Length{vg.Points(7), vg.Points(2.5), vg.Points(1.5), vg.Points(2.5)}
)

func lineStyle(c color.Color, width float64, dashes []vg.Length) draw.LineStyle {
	return draw.LineStyle{Color: c, Width: vg.Points(width), Dashes: dashes}
}

// Fonts: Liberation Sans (metric-compatible with Arial), sized to read at
// 96 dpi.
var (
	sansFont = font.Font{Typeface: "Liberation", Variant: "Sans"}
	boldFont = font.Font{Typeface: "Liberation", Variant: "Sans", Weight: xfont.WeightBold}
)

const (
	titleSize  = 14
	labelSize  = 12
	tickSize   = 11
	legendSize = 11
)

func textStyle(f font.Font, size vg.Length) text.Style {
	return text.Style{
		Color:   colBlack,
		Font:    font.From(f, size),
		XAlign:  draw.XLeft,
		YAlign:  draw.YBottom,
		Handler: plot.DefaultTextHandler,
	}
}

// newPanel is a plot in the house style: sans-serif text, a light grid, a
// y axis starting at zero, no title (the figure has one).
func newPanel(yLabel string) *plot.Plot {
	p := plot.New()
	p.BackgroundColor = nil // the page is white already
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font = font.From(sansFont, labelSize)
		a.Tick.Label.Font = font.From(sansFont, tickSize)
	}
	p.Y.Label.Text = yLabel
	p.Y.Tick.Marker = niceTicks{}
	p.Legend.TextStyle.Font = font.From(sansFont, legendSize)
	grid := plotter.NewGrid()
	grid.Vertical = lineStyle(colGrid, 0.5, nil)
	grid.Horizontal = lineStyle(colGrid, 0.5, nil)
	p.Add(grid)
	return p
}

// legendEntry is one item of a panel's legend row.
type legendEntry struct {
	label string
	thumb plot.Thumbnailer
}

// panel is one plot of a figure and its legend, drawn as a row above it.
type panel struct {
	plot   *plot.Plot
	legend []legendEntry
}

func (pn *panel) add(label string, p plot.Plotter) {
	pn.plot.Add(p)
	if label == "" {
		return
	}
	if t, ok := p.(plot.Thumbnailer); ok {
		pn.legend = append(pn.legend, legendEntry{label, t})
	}
}

// figure is a figure before rendering: panels stacked top to bottom, all
// the width of the page, their data areas aligned.
type figure struct {
	Figure
	height vg.Length
	panels []*panel
}

// render draws the figure as PNG and SVG. gonum/plot panics on some bad
// input; render turns that into an error naming the figure.
func (f *figure) render() (fig Figure, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("figure %s: drawing failed: %v", f.Name, r)
		}
	}()
	fig = f.Figure
	// The image canvas starts white; the SVG one transparent. Its pixels
	// come from a pool: a figure's 2 MB of RGBA is the largest thing
	// drawing allocates.
	px := getPixels(f.height)
	defer putPixels(px)
	ctx := gg.NewContextForRGBA(px)
	// as vgimg.NewWith sets up the context it makes itself
	ctx.SetLineCapButt()
	ctx.InvertY()
	img := vgimg.NewWith(vgimg.UseImageWithContext(px, ctx), vgimg.UseDPI(PNGDPI))
	f.draw(draw.New(img), false)
	var pb bytes.Buffer
	// Fastest compression: a third of the time of the default for files
	// about 1.3 times the size (tens of kilobytes).
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&pb, img.Image()); err != nil {
		return fig, fmt.Errorf("figure %s: PNG: %w", f.Name, err)
	}
	svg := vgsvg.NewWith(vgsvg.UseWH(figureWidth, f.height))
	f.draw(draw.New(svg), true)
	var sb bytes.Buffer
	if _, err := svg.WriteTo(&sb); err != nil {
		return fig, fmt.Errorf("figure %s: SVG: %w", f.Name, err)
	}
	fig.PNG, fig.SVG = pb.Bytes(), fitSVGText(sb.Bytes())
	return fig, nil
}

// pixelPools hold the RGBA images figures are drawn on, by height in
// pixels (a figure is one or two panels high).
var pixelPools sync.Map // int → *sync.Pool of *goimage.RGBA

func pixelSize(l vg.Length) int { return int(l/vg.Inch*PNGDPI + 0.5) }

// getPixels is an image figureWidth × height at PNGDPI; vgimg.NewWith
// paints it white.
func getPixels(height vg.Length) *goimage.RGBA {
	w, h := pixelSize(figureWidth), pixelSize(height)
	p, _ := pixelPools.LoadOrStore(h, &sync.Pool{New: func() any { return goimage.NewRGBA(goimage.Rect(0, 0, w, h)) }})
	return p.(*sync.Pool).Get().(*goimage.RGBA)
}

func putPixels(img *goimage.RGBA) {
	if p, ok := pixelPools.Load(img.Bounds().Dy()); ok {
		p.(*sync.Pool).Put(img)
	}
}

// svgText matches the text elements vgsvg writes: attributes, font weight,
// size in points, the rest of the style, and the escaped text.
var svgText = regexp.MustCompile(`<text ([^>]*)\n\tstyle="font-family:Liberation Sans;font-variant:normal;font-weight:(normal|bold);` +
	`font-style:normal;font-size:([0-9.]+)px([^"]*)">([^<]*)</text>`)

// fitSVGText makes the SVG's text keep the layout it was drawn for on any
// viewer. Text is placed by its start, measured in Liberation Sans; a
// viewer without that font substitutes one of other widths, and legends
// run into each other. So each text element gets its measured width as its
// textLength, and a font list: Liberation Sans, then Arial (the same
// metrics), then any sans-serif.
func fitSVGText(svg []byte) []byte {
	return svgText.ReplaceAllFunc(svg, func(m []byte) []byte {
		g := svgText.FindSubmatch(m)
		size, err := strconv.ParseFloat(string(g[3]), 64)
		if err != nil {
			return m
		}
		f := sansFont
		if string(g[2]) == "bold" {
			f = boldFont
		}
		w := textStyle(f, vg.Length(size)).Width(html.UnescapeString(string(g[5])))
		return fmt.Appendf(nil, `<text %s textLength="%.5g" lengthAdjust="spacingAndGlyphs"`+"\n\t"+
			`style="font-family:'Liberation Sans',Arial,Helvetica,sans-serif;font-variant:normal;font-weight:%s;font-style:normal;font-size:%spx%s">%s</text>`,
			g[1], w.Points(), g[2], g[3], g[4], g[5])
	})
}

const (
	margin     = 8  // points around the page
	legendGap  = 14 // points between legend entries
	thumbWidth = 26 // points of a legend entry's line sample
)

func (f *figure) draw(dc draw.Canvas, background bool) {
	if background {
		dc.SetColor(color.White)
		dc.Fill(dc.Rectangle.Path())
	}
	dc = draw.Crop(dc, margin, -margin, margin, -margin)

	title := textStyle(boldFont, titleSize)
	title.XAlign, title.YAlign = draw.XCenter, draw.YTop
	dc.FillText(title, vg.Point{X: dc.Center().X, Y: dc.Max.Y}, f.Title)
	dc.Max.Y -= title.Height(f.Title) + vg.Points(4)

	plots := make([][]*plot.Plot, len(f.panels))
	for i, pn := range f.panels {
		plots[i] = []*plot.Plot{pn.plot}
	}
	tiles := draw.Tiles{Rows: len(f.panels), Cols: 1, PadY: vg.Points(6)}
	cells := plot.Align(plots, tiles, dc)

	// The legend rows take the same height in every panel so that the data
	// areas stay the same height.
	leg := textStyle(sansFont, legendSize)
	rowH := leg.Height("Mg") + vg.Points(4)
	rows := 0
	for i, pn := range f.panels {
		data := pn.plot.DataCanvas(cells[i][0])
		rows = max(rows, len(layoutLegend(pn.legend, leg, data.Max.X-data.Min.X)))
	}
	for i, pn := range f.panels {
		c := cells[i][0]
		data := pn.plot.DataCanvas(c)
		lines := layoutLegend(pn.legend, leg, data.Max.X-data.Min.X)
		top := c.Max.Y
		for _, line := range lines {
			x := data.Min.X
			top -= rowH
			for _, e := range line {
				box := draw.Canvas{Canvas: c.Canvas, Rectangle: vg.Rectangle{
					Min: vg.Point{X: x, Y: top + vg.Points(2)},
					Max: vg.Point{X: x + vg.Points(thumbWidth), Y: top + rowH - vg.Points(2)},
				}}
				e.thumb.Thumbnail(&box)
				x += vg.Points(thumbWidth + 4)
				c.FillText(leg, vg.Point{X: x, Y: top + vg.Points(2) + leg.FontExtents().Descent}, e.label)
				x += leg.Width(e.label) + vg.Points(legendGap)
			}
		}
		c.Max.Y -= vg.Length(rows) * rowH
		pn.plot.Draw(c)
	}
}

// layoutLegend breaks a legend into rows no wider than width.
func layoutLegend(es []legendEntry, sty text.Style, width vg.Length) [][]legendEntry {
	var rows [][]legendEntry
	var x vg.Length
	for _, e := range es {
		w := vg.Points(thumbWidth+4) + sty.Width(e.label)
		if len(rows) == 0 || (x > 0 && x+w > width) {
			rows = append(rows, nil)
			x = 0
		}
		rows[len(rows)-1] = append(rows[len(rows)-1], e)
		x += w + vg.Points(legendGap)
	}
	return rows
}

// niceTicks marks an axis at 1, 2 or 5 times a power of ten, at most
// seven labelled ticks, with labels no longer than they need to be;
// integer axes (counts) get no fractional ticks.
type niceTicks struct{ integer bool }

func (n niceTicks) Ticks(min, max float64) []plot.Tick {
	if !(max > min) || math.IsInf(max-min, 0) {
		return []plot.Tick{{Value: min, Label: formatTick(min, 1)}}
	}
	const most = 7
	mag := math.Pow(10, math.Floor(math.Log10((max-min)/most)))
	step := 10 * mag
	for _, m := range []float64{1, 2, 5} {
		if (max-min)/(m*mag) <= most {
			step = m * mag
			break
		}
	}
	minor := step / 5
	if r := step / mag; r == 2 || r == 20 {
		minor = step / 4
	}
	if n.integer {
		step = math.Max(step, 1)
		switch {
		case step == 1:
			minor = 1
		case step == 2:
			minor = 1
		case minor < 1 || minor != math.Round(minor):
			minor = step
		}
	}
	var ticks []plot.Tick
	first := math.Ceil(min/minor - 1e-9)
	for k := first; k*minor <= max+minor*1e-9; k++ {
		v := k * minor
		if math.Abs(v) < minor*1e-9 {
			v = 0
		}
		t := plot.Tick{Value: v}
		if r := v / step; math.Abs(r-math.Round(r)) < 1e-6 {
			t.Label = formatTick(v, step)
		}
		ticks = append(ticks, t)
	}
	return ticks
}

// formatTick writes v with as many decimals as step needs.
func formatTick(v, step float64) string {
	dec := 0
	if step > 0 && step < 1 {
		dec = int(math.Ceil(-math.Log10(step) - 1e-9))
	}
	return fmt.Sprintf("%.*f", dec, v)
}

// logTicks marks an axis of base-10 logarithms at 1, 2 … 9 times each
// power of ten, labelling the powers of ten (and the 2s and 5s when the
// axis spans less than 2.5 decades) with the values themselves. Plots draw
// log10 of their data on it; gonum's own log scale misplaces a centred
// axis label.
type logTicks struct{}

func (logTicks) Ticks(min, max float64) []plot.Tick {
	if !(max > min) || math.IsInf(max-min, 0) {
		return niceTicks{}.Ticks(min, max)
	}
	few := max-min < 2.5
	var ticks []plot.Tick
	for e := math.Floor(min); e <= math.Ceil(max); e++ {
		pow := math.Pow(10, e)
		for m := 1.0; m <= 9; m++ {
			v := math.Log10(m * pow)
			if v < min-1e-9 || v > max+1e-9 {
				continue
			}
			t := plot.Tick{Value: v}
			if m == 1 || (few && (m == 2 || m == 5)) {
				t.Label = formatTick(m*pow, m*pow)
			}
			ticks = append(ticks, t)
		}
	}
	return ticks
}
