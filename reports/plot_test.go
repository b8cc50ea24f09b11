package reports

import (
	"bytes"
	"encoding/xml"
	"errors"
	"flag"
	"html"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	autoscalingv2 "k8s.io/api/autoscaling/v2"

	"github.com/headroom-dev/headroom/review"
	"github.com/headroom-dev/headroom/review/record"
	"github.com/headroom-dev/headroom/scenarios"
	"github.com/headroom-dev/headroom/sim"
)

var plotsDir = flag.String("plots.dir", "", "write the NOA example's figures to this directory, for looking at")

// noa simulates every scenario of the NOA example once per test binary,
// plus noa-mcp's daily run under the proposed HPA.
var noaSims = sync.OnceValues(func() (*noaRuns, error) {
	plan, err := scenarios.Example("noa.yaml")
	if err != nil {
		return nil, err
	}
	r := &noaRuns{plan: plan}
	for _, sc := range plan.Scenarios {
		res, err := sim.Run(plan, sim.Options{Scenario: sc.Name})
		if err != nil {
			return nil, err
		}
		run := review.RecordRun(res, record.Current)
		r.results = append(r.results, &run)
	}
	for i := range plan.Services {
		if svc := &plan.Services[i]; !svc.Fixed {
			r.curves = append(r.curves, review.CapacityCurve(plan, svc))
		}
	}
	hs, err := scenarios.LoadHPAManifests("../scenarios/examples/noa-mcp-proposed-hpa.yaml")
	if err != nil {
		return nil, err
	}
	spec := hs[0].Spec
	r.proposedHPA = &spec
	for _, name := range []string{"daily", "daily-growth-2x"} {
		prop, err := sim.Run(plan, sim.Options{Scenario: name, HPA: map[string]*autoscalingv2.HorizontalPodAutoscalerSpec{"noa-mcp": &spec}})
		if err != nil {
			return nil, err
		}
		run := review.RecordRun(prop, record.Proposed)
		r.proposed = append(r.proposed, &run)
	}
	return r, nil
})

type noaRuns struct {
	plan     *scenarios.Plan
	results  []*record.Run
	proposed []*record.Run // daily and daily-growth-2x with noa-mcp's proposed HPA
	curves   []record.CapacityCurve
	// proposedHPA is noa-mcp's proposed HPA.
	proposedHPA *autoscalingv2.HorizontalPodAutoscalerSpec
}

func (r *noaRuns) service(res *record.Run, name string) *record.ServiceRun {
	for i := range res.Services {
		if res.Services[i].Service == name {
			return &res.Services[i]
		}
	}
	return nil
}

func (r *noaRuns) result(scenario string) *record.Run {
	for _, res := range r.results {
		if res.Scenario == scenario {
			return res
		}
	}
	return nil
}

// all renders every NOA figure: PlanFigures and the two comparisons.
func (r *noaRuns) all() ([]Figure, error) {
	figs, err := PlanFigures(r.plan, r.results, r.curves)
	if err != nil {
		return nil, err
	}
	svc := r.plan.Service("noa-mcp")
	for _, prop := range r.proposed {
		f, err := CompareFigure(svc, r.plan.Scenario(prop.Scenario), r.proposedHPA, r.service(r.result(prop.Scenario), "noa-mcp"), r.service(prop, "noa-mcp"))
		if err != nil {
			return nil, err
		}
		figs = append(figs, f)
	}
	return figs, nil
}

func loadNOA(t testing.TB) *noaRuns {
	t.Helper()
	r, err := noaSims()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestFigures_NOA(t *testing.T) {
	r := loadNOA(t)
	figs, err := r.all()
	if err != nil {
		t.Fatal(err)
	}
	// Per scenario: 3 figures for each service it covers (latency always
	// drawn: every NOA service has an SLO) and one cluster figure; one
	// capacity curve per scalable service; two comparisons.
	want := 0
	for _, res := range r.results {
		want += 3*len(res.Services) + 1
	}
	want += 4 + 2
	if len(figs) != want {
		t.Errorf("%d figures, want %d", len(figs), want)
	}
	seen := map[string]bool{}
	kinds := map[string]int{}
	for _, f := range figs {
		if seen[f.Name] {
			t.Errorf("two figures named %s", f.Name)
		}
		seen[f.Name] = true
		kinds[f.Kind]++
		checkFigure(t, f)
		writeFigure(t, f)
	}
	for _, k := range []string{FigureTraffic, FigureUtilisation, FigureLatency, FigureCluster, FigureCapacity, FigureCompare} {
		if kinds[k] == 0 {
			t.Errorf("no %s figure", k)
		}
	}
}

// writeFigure writes a figure to -plots.dir, if given.
func writeFigure(t *testing.T, f Figure) {
	t.Helper()
	if *plotsDir == "" {
		return
	}
	if err := os.MkdirAll(*plotsDir, 0o755); err != nil {
		t.Fatal(err)
	}
	for ext, b := range map[string][]byte{".png": f.PNG, ".svg": f.SVG} {
		if err := os.WriteFile(filepath.Join(*plotsDir, f.Name+ext), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// checkFigure decodes both renderings and checks their size and title.
func checkFigure(t *testing.T, f Figure) {
	t.Helper()
	if f.Name == "" || f.Title == "" || f.Caption == "" || f.Kind == "" {
		t.Errorf("figure %+q: empty name, title, caption or kind", f.Name)
	}
	if strings.ContainsAny(f.Name, " /\\:") {
		t.Errorf("figure name %q is not file-safe", f.Name)
	}
	img, err := png.Decode(bytes.NewReader(f.PNG))
	if err != nil {
		t.Fatalf("%s: PNG: %v", f.Name, err)
	}
	wantH := 384
	if f.Kind == FigureTraffic || f.Kind == FigureCluster || f.Kind == FigureCompare {
		wantH = 576
	}
	if b := img.Bounds(); b.Dx() != 864 || b.Dy() != wantH {
		t.Errorf("%s: PNG is %d×%d, want 864×%d", f.Name, b.Dx(), b.Dy(), wantH)
	}
	dec := xml.NewDecoder(bytes.NewReader(f.SVG))
	for {
		_, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s: SVG does not parse as XML: %v", f.Name, err)
		}
	}
	if !bytes.Contains(f.SVG, []byte(">"+html.EscapeString(f.Title)+"</text>")) {
		t.Errorf("%s: SVG does not contain the title %q", f.Name, f.Title)
	}
	if n, fitted := bytes.Count(f.SVG, []byte("<text ")), bytes.Count(f.SVG, []byte(`lengthAdjust="spacingAndGlyphs"`+"\n\tstyle=\"font-family:'Liberation Sans',Arial,Helvetica,sans-serif;")); n == 0 || fitted != n {
		t.Errorf("%s: %d of %d SVG text elements have a textLength and a font fallback", f.Name, fitted, n)
	}
	if !bytes.Contains(f.SVG, []byte(`width="648pt"`)) {
		t.Errorf("%s: SVG is not 9 in (648 pt) wide", f.Name)
	}
}

func TestFigures_Deterministic(t *testing.T) {
	r := loadNOA(t)
	a, err := r.all()
	if err != nil {
		t.Fatal(err)
	}
	b, err := r.all()
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != len(b) {
		t.Fatalf("%d figures, then %d", len(a), len(b))
	}
	for i := range a {
		if a[i].Name != b[i].Name {
			t.Errorf("figure %d: %s, then %s", i, a[i].Name, b[i].Name)
		}
		if !bytes.Equal(a[i].SVG, b[i].SVG) {
			t.Errorf("%s: SVG differs between runs", a[i].Name)
		}
		if !bytes.Equal(a[i].PNG, b[i].PNG) {
			t.Errorf("%s: PNG differs between runs", a[i].Name)
		}
	}
}

func TestFigures_Errors(t *testing.T) {
	r := loadNOA(t)
	plan := r.plan
	daily := plan.Scenario("daily")
	mcp := plan.Service("noa-mcp")
	good := r.service(r.result("daily"), "noa-mcp")
	swapped := *good
	swapped.Series = append([]record.Sample(nil), good.Series...)
	swapped.Series[1].T = swapped.Series[0].T
	empty := *good
	empty.Series = nil
	tests := []struct {
		name string
		run  func() error
		want string
	}{
		{"nil result", func() error { _, err := ServiceFigures(mcp, daily, nil); return err }, "required"},
		{"wrong service", func() error { _, err := ServiceFigures(plan.Service("noa-ui"), daily, good); return err }, `result is for service "noa-mcp"`},
		{"no series", func() error { _, err := ServiceFigures(mcp, daily, &empty); return err }, "no series"},
		{"time going back", func() error { _, err := ServiceFigures(mcp, daily, &swapped); return err }, "series[1].tSeconds"},
		{"cluster without series", func() error { _, err := ClusterFigure(daily, &record.ClusterSeries{}); return err }, "no series"},
		{"compare, bad proposal", func() error { _, err := CompareFigure(mcp, daily, nil, good, &empty); return err }, "proposed: plot: service noa-mcp"},
		{"unknown scenario", func() error {
			_, err := PlanFigures(plan, []*record.Run{{Scenario: "nope"}}, nil)
			return err
		}, `scenario "nope"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.run()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got error %v, want one containing %q", err, tt.want)
			}
		})
	}
	if _, err := CapacityCurveFigure(plan.Service("noa-redis"), nil); !errors.Is(err, ErrFixedService) {
		t.Errorf("capacity curve of a fixed service: got %v, want ErrFixedService", err)
	}
}

// A long run (90 days at 1-minute samples) is drawn from at most four
// points per pixel column, and still shows its extremes.
func TestFigures_LongSeries(t *testing.T) {
	r := loadNOA(t)
	svc := r.plan.Service("noa-mcp")
	sc := *r.plan.Scenario("daily")
	sc.Duration = scenarios.Duration(90 * day)
	n := int(90 * day / time.Minute)
	res := &record.ServiceRun{Service: svc.Name, Series: make([]record.Sample, n)}
	for i := range res.Series {
		s := &res.Series[i]
		s.T = scenarios.Seconds(time.Duration(i+1) * time.Minute)
		s.Lambda = 16 + 8*math.Sin(float64(i)/300)
		s.Desired, s.Ready = int32(3+i%7), 3+i%5
		s.CPUUtilisation, s.P95 = 0.5, 0.3
	}
	res.Series[n/2].Lambda = 500 // a one-minute spike must survive the reduction
	f := trafficFigure(svc, &sc, res)
	if ymax := f.panels[0].plot.Y.Max; ymax < 500 {
		t.Errorf("rate axis tops at %g, the spike of 500 was lost", ymax)
	}
	fig, err := f.render()
	if err != nil {
		t.Fatal(err)
	}
	checkFigure(t, fig)
	fig.Name = "long-series-traffic"
	writeFigure(t, fig)
	if !bytes.Contains(fig.SVG, []byte(">day 1</text>")) || !bytes.Contains(fig.SVG, []byte(">day 85</text>")) {
		t.Errorf("90-day axis lacks day labels")
	}
}

func TestWriteFigures(t *testing.T) {
	dir := t.TempDir()
	figs := []Figure{{Name: "a-b", PNG: []byte("png"), SVG: []byte("svg")}}
	if err := WriteFigures(dir, figs); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"a-b.png", "a-b.svg"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Error(err)
		}
	}
	for _, bad := range []string{"", "../x", "a b"} {
		if err := WriteFigures(dir, []Figure{{Name: bad}}); err == nil || !strings.Contains(err.Error(), "file-safe") {
			t.Errorf("name %q: got %v, want a file-safe error", bad, err)
		}
	}
}

func TestDownsample(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name    string
		xs, ys  []float64
		columns int
		want    [][2]float64
	}{
		{"short series unchanged", []float64{0, 1, 2}, []float64{5, 6, 7}, 1, [][2]float64{{0, 5}, {1, 6}, {2, 7}}},
		{"one bucket keeps first, min, max, last", []float64{0, 1, 2, 3, 4, 5}, []float64{5, 9, 1, 4, 3, 6}, 1,
			[][2]float64{{0, 5}, {1, 9}, {2, 1}, {5, 6}}},
		{"min before max", []float64{0, 1, 2, 3, 4, 5}, []float64{5, 1, 9, 4, 3, 6}, 1,
			[][2]float64{{0, 5}, {1, 1}, {2, 9}, {5, 6}}},
		{"gap kept", []float64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, []float64{1, 2, 3, nan, nan, 4, 5, 6, 7, 8}, 1,
			[][2]float64{{0, 1}, {2, 3}, {3, nan}, {5, 4}, {9, 8}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			xs, ys := downsample(tt.xs, tt.ys, tt.columns)
			var got [][2]float64
			for i := range xs {
				got = append(got, [2]float64{xs[i], ys[i]})
			}
			if diff := cmp.Diff(tt.want, got, cmp.Comparer(func(a, b float64) bool { return a == b || math.IsNaN(a) && math.IsNaN(b) })); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}
	// A large series: each bucket's extremes survive, and the output is
	// bounded by four points a bucket.
	const n, cols = 100000, 100
	xs, ys := make([]float64, n), make([]float64, n)
	for i := range xs {
		xs[i] = float64(i)
		ys[i] = math.Sin(float64(i)*0.37) * float64(i%1000)
	}
	ox, oy := downsample(xs, ys, cols)
	if len(ox) > 4*cols {
		t.Errorf("%d points from %d buckets", len(ox), cols)
	}
	for b := range cols {
		lo, hi := math.Inf(1), math.Inf(-1)
		for i := b * n / cols; i < (b+1)*n/cols; i++ {
			lo, hi = math.Min(lo, ys[i]), math.Max(hi, ys[i])
		}
		olo, ohi := math.Inf(1), math.Inf(-1)
		for i, x := range ox {
			if bucket(x, 0, float64(n-1)/cols, cols) == b {
				olo, ohi = math.Min(olo, oy[i]), math.Max(ohi, oy[i])
			}
		}
		if b == cols-1 {
			continue // the last bucket also holds x = n-1 exactly
		}
		if olo != lo || ohi != hi {
			t.Errorf("bucket %d: kept [%g, %g], data spans [%g, %g]", b, olo, ohi, lo, hi)
			break
		}
	}
}

func TestTimeAxisTicks(t *testing.T) {
	tests := []struct {
		name        string
		start, span time.Duration
		want        []string // the labelled ticks
	}{
		{"a day from midnight", 0, day, []string{"00:00", "03:00", "06:00", "09:00", "12:00", "15:00", "18:00", "21:00", "24:00"}},
		{"six hours from noon", 12 * time.Hour, 6 * time.Hour, []string{"12:00", "13:00", "14:00", "15:00", "16:00", "17:00", "18:00"}},
		{"an hour", 0, time.Hour, []string{"00:00", "00:10", "00:20", "00:30", "00:40", "00:50", "01:00"}},
		{"over midnight", 20 * time.Hour, 8 * time.Hour, []string{"20:00", "21:00", "22:00", "23:00", "00:00", "01:00", "02:00", "03:00", "04:00"}},
		{"two days", 0, 2 * day, []string{"day 1", "06:00", "12:00", "18:00", "day 2", "06:00", "12:00", "18:00", "day 3"}},
		{"a week", 0, 7 * day, []string{"day 1", "day 2", "day 3", "day 4", "day 5", "day 6", "day 7", "day 8"}},
		{"ninety days from 06:00", 6 * time.Hour, 90 * day, []string{"day 15", "day 29", "day 43", "day 57", "day 71", "day 85"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newTimeAxis(tt.start, tt.span)
			var got []string
			for _, tk := range a.Ticks(0, a.x(tt.span)) {
				if tk.Label != "" {
					got = append(got, tk.Label)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}
}

func TestNiceTicks(t *testing.T) {
	tests := []struct {
		min, max float64
		want     []string
	}{
		{0, 10, []string{"0", "2", "4", "6", "8", "10"}},
		{0, 33.3, []string{"0", "5", "10", "15", "20", "25", "30"}},
		{0, 0.7, []string{"0.0", "0.1", "0.2", "0.3", "0.4", "0.5", "0.6", "0.7"}},
		{0, 1200, []string{"0", "200", "400", "600", "800", "1000", "1200"}},
	}
	for _, tt := range tests {
		var got []string
		for _, tk := range (niceTicks{}).Ticks(tt.min, tt.max) {
			if tk.Label != "" {
				got = append(got, tk.Label)
			}
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("[%g, %g] (-want +got)\n%s", tt.min, tt.max, diff)
		}
	}
}

// BenchmarkNOAFigures renders every figure of the NOA example (PlanFigures
// and two comparisons), PNG and SVG.
//
// It also reports the process's CPU time per run (cpu-s/op), which, unlike
// the wall time, does not depend on what else the machine is doing.
func BenchmarkNOAFigures(b *testing.B) {
	r := loadNOA(b)
	var n int
	before := cpuTime()
	for b.Loop() {
		figs, err := r.all()
		if err != nil {
			b.Fatal(err)
		}
		n = len(figs)
	}
	b.ReportMetric((cpuTime()-before).Seconds()/float64(b.N), "cpu-s/op")
	b.ReportMetric(float64(n), "figures")
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func BenchmarkDownsample1M(b *testing.B) {
	const n = 1 << 20
	xs, ys := make([]float64, n), make([]float64, n)
	for i := range xs {
		xs[i] = float64(i)
		ys[i] = math.Sin(float64(i) * 0.01)
	}
	for b.Loop() {
		downsample(xs, ys, drawColumns)
	}
}

// BenchmarkSeries90Days1s reduces a 90-day series of 1-second samples for
// drawing.
func BenchmarkSeries90Days1s(b *testing.B) {
	n := int(90 * day / time.Second)
	xs, ys := make([]float64, n), make([]float64, n)
	for i := range xs {
		xs[i] = float64(i) / 86400
		ys[i] = 20 + 10*math.Sin(float64(i)/5000) + float64(i%7)
	}
	for b.Loop() {
		newSeries(xs, ys, lineStyle(colBlue, 1, nil), true)
	}
}
