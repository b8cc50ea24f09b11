package reports

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/headroom-dev/headroom/model"
	"github.com/headroom-dev/headroom/review/record"
)

// TestServiceFigures_Bands: with an ensemble's bands the latency and
// traffic figures shade them (a legend entry and a caption sentence); a
// band that does not match the series, or has gaps, draws nothing wrong.
func TestServiceFigures_Bands(t *testing.T) {
	r, err := noaSims()
	if err != nil {
		t.Fatal(err)
	}
	base := r.service(r.result("daily"), "noa-mcp")
	svc, sc := r.plan.Service("noa-mcp"), r.plan.Scenario("daily")
	run := *base
	n := len(run.Series)
	b := &record.SeriesBands{P50: make([]model.Interval, n), P95: make([]model.Interval, n), P99: make([]model.Interval, n), Ready: make([]model.Interval, n)}
	for i, s := range run.Series {
		b.P95[i] = model.Interval{P10: 0.8 * s.P95, P50: s.P95, P90: 1.5 * s.P95}
		if i%7 == 0 {
			b.P95[i] = model.Interval{P10: math.NaN(), P50: math.NaN(), P90: math.NaN()}
		}
		b.Ready[i] = model.Interval{P10: float64(s.Ready) - 1, P50: float64(s.Ready), P90: float64(s.Ready) + 1}
	}
	run.Bands = b
	figs, err := ServiceFigures(svc, sc, &run)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := ServiceFigures(svc, sc, base)
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range figs {
		shaded := f.Kind == FigureLatency || f.Kind == FigureTraffic
		if got := bytes.Contains(f.SVG, []byte("p10–p90 over the inputs")); got != shaded {
			t.Errorf("%s: band legend drawn %v, want %v", f.Name, got, shaded)
		}
		if f.Kind == FigureLatency && !strings.Contains(f.Caption, "p10–p90 of the p95") {
			t.Errorf("%s: caption does not explain the band: %s", f.Name, f.Caption)
		}
		if !shaded && !bytes.Equal(f.SVG, plain[i].SVG) {
			t.Errorf("%s: a band changed a figure that does not draw one", f.Name)
		}
	}
	short := *base
	short.Bands = &record.SeriesBands{P95: b.P95[:n/2], Ready: b.Ready[:n/2]}
	figs, err = ServiceFigures(svc, sc, &short)
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range figs {
		if !bytes.Equal(f.SVG, plain[i].SVG) {
			t.Errorf("%s: a band of the wrong length was drawn", f.Name)
		}
	}
}
