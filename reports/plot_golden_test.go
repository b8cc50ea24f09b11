package reports

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/headroom-dev/headroom/review/record"
	"github.com/headroom-dev/headroom/scenarios"
)

// synthetic is a two-hour run with a spike, built here rather than
// simulated so that the golden files change only when the drawing does.
func synthetic(t *testing.T) (*scenarios.Service, *scenarios.Scenario, *record.ServiceRun) {
	t.Helper()
	plan, err := scenarios.Example("noa.yaml")
	if err != nil {
		t.Fatal(err)
	}
	svc := plan.Service("noa-mcp")
	sc := &scenarios.Scenario{Name: "spike", Start: scenarios.TimeOfDay(9 * time.Hour), Duration: scenarios.Duration(2 * time.Hour)}
	res := &record.ServiceRun{Service: svc.Name}
	res.Summary.SLOViolationMinutes = 12
	res.Summary.LongestViolation = scenarios.Seconds(12 * time.Minute)
	res.Summary.MeanCPUUtilisation = 0.55
	for i := range 120 {
		s := record.Sample{T: scenarios.Seconds(time.Duration(i+1) * time.Minute), Lambda: 16.7, Desired: 3, Ready: 3, CPUUtilisation: 0.6, P95: 0.7}
		if i >= 40 && i < 70 {
			s.Lambda = 50
			s.Desired, s.Ready = int32(min(3+(i-40), 10)), min(3+max(i-42, 0), 10)
			s.CPUUtilisation = math.Min(1, 1.8*3/float64(s.Ready))
			s.P95 = 0.7 + 3*math.Exp(-float64(i-40)/4)
			s.SLOViolated = s.P95 > 1
		}
		if i == 45 {
			s.P95 = -1 // nothing served: a gap
		}
		res.Series = append(res.Series, s)
	}
	return svc, sc, res
}

func TestFigures_Golden(t *testing.T) {
	svc, sc, res := synthetic(t)
	figs, err := ServiceFigures(svc, sc, res)
	if err != nil {
		t.Fatal(err)
	}
	prop := *res
	prop.Series = append([]record.Sample(nil), res.Series...)
	for i := range prop.Series {
		prop.Series[i].Desired = min(prop.Series[i].Desired+2, 14)
		prop.Series[i].P95 *= 0.8
		prop.Series[i].SLOViolated = false
	}
	cmp, err := CompareFigure(svc, sc, nil, res, &prop)
	if err != nil {
		t.Fatal(err)
	}
	figs = append(figs, cmp)
	if len(figs) != 4 {
		t.Fatalf("%d figures, want 4", len(figs))
	}
	for _, f := range figs {
		checkFigure(t, f)
		writeFigure(t, f)
		path := filepath.Join("testdata", "plots", f.Name+".svg")
		if *update {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, f.SVG, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run with -update to create it)", err)
		}
		if !bytes.Equal(f.SVG, want) {
			t.Errorf("%s differs from %s; look at both, and rerun with -update only if the change is meant", f.Name, path)
		}
	}
}

func TestServiceFigures_NoSLO(t *testing.T) {
	svc, sc, res := synthetic(t)
	noSLO := *svc
	noSLO.SLO.Latency = nil
	figs, err := ServiceFigures(&noSLO, sc, res)
	if err != nil {
		t.Fatal(err)
	}
	if len(figs) != 3 || figs[2].Kind != FigureLatency || bytes.Contains(figs[2].SVG, []byte("SLO:")) {
		t.Errorf("without a latency SLO: want the p95 drawn with no SLO line")
	}
	// Nothing served and no SLO: no latency figure at all.
	idle := *res
	idle.Series = append([]record.Sample(nil), res.Series...)
	for i := range idle.Series {
		idle.Series[i].P95 = -1
	}
	figs, err = ServiceFigures(&noSLO, sc, &idle)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range figs {
		if f.Kind == FigureLatency {
			t.Errorf("a latency figure with nothing to show: %s", f.Caption)
		}
	}
	if len(figs) != 2 {
		t.Errorf("%d figures, want traffic and utilisation", len(figs))
	}
}

// Values a simulator should never produce still give a figure or an error,
// never a panic.
func TestServiceFigures_BadValues(t *testing.T) {
	for _, v := range []float64{math.Inf(1), math.Inf(-1), math.NaN(), -1e308, 1e308} {
		svc, sc, res := synthetic(t)
		res.Series[10].Lambda = v
		res.Series[11].CPUUtilisation = v
		res.Series[12].P95 = v
		figs, err := ServiceFigures(svc, sc, res)
		switch {
		case math.IsNaN(v) || math.IsInf(v, 0):
			if err == nil || !strings.Contains(err.Error(), "series[10].lambda") {
				t.Errorf("value %g: got error %v, want one naming series[10].lambda", v, err)
			}
		case err != nil || len(figs) != 3:
			t.Errorf("value %g: %d figures, error %v", v, len(figs), err)
		}
	}
}
