package reports

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// syntheticPareto is a tune's settings built here, not searched, so that
// the golden file changes only when the drawing does.
func syntheticPareto() *ParetoPlot {
	pp := &ParetoPlot{Service: "noa-mcp", Current: ParetoPoint{Label: "70 %, min 3, max 10", Cost: 7.2, WorstBurn: 9.1}}
	for i := range 12 {
		c := 7.5 + 0.6*float64(i)
		b := 9 * math.Exp(-0.45*float64(i))
		pp.Evaluated = append(pp.Evaluated, ParetoPoint{Label: "x", Cost: c, WorstBurn: b, Holds: b <= 1})
		pp.Evaluated = append(pp.Evaluated, ParetoPoint{Label: "y", Cost: c + 0.2, WorstBurn: 1.4 * b, Holds: false})
	}
	pp.Evaluated = append(pp.Evaluated, ParetoPoint{Label: "z", Cost: 15, WorstBurn: 0}) // drawn at the floor
	for _, q := range pp.Evaluated {
		if len(pp.Front) == 0 || q.WorstBurn < pp.Front[len(pp.Front)-1].WorstBurn {
			pp.Front = append(pp.Front, q)
		}
	}
	chosen := pp.Front[6]
	chosen.Label = "41 %, min 3, max 14"
	pp.Chosen = &chosen
	return pp
}

// TestParetoFigure_Golden: the figure decodes, is the one-panel size,
// names the chosen and today's settings in its legend and caption,
// renders byte-identically twice, and matches its golden SVG.
func TestParetoFigure_Golden(t *testing.T) {
	pp := syntheticPareto()
	f, err := ParetoFigure(pp)
	if err != nil {
		t.Fatal(err)
	}
	checkFigure(t, f)
	writeFigure(t, f)
	if f.Kind != FigurePareto || f.Name != "noa-mcp-pareto" {
		t.Errorf("kind %q, name %q", f.Kind, f.Name)
	}
	for _, want := range []string{"chosen: 41 %, min 3, max 14", "today: 70 %, min 3, max 10", "Pareto front", "budget (burn 1)"} {
		if !bytes.Contains(f.SVG, []byte(want)) {
			t.Errorf("the SVG does not say %q", want)
		}
	}
	if !strings.Contains(f.Caption, "41 %, min 3, max 14") {
		t.Errorf("caption %q does not name the chosen setting", f.Caption)
	}
	again, err := ParetoFigure(syntheticPareto())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(f.SVG, again.SVG) || !bytes.Equal(f.PNG, again.PNG) {
		t.Error("two renderings of the same settings differ")
	}
	path := filepath.Join("testdata", "plots", f.Name+".svg")
	if *update {
		if err := os.WriteFile(path, f.SVG, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(f.SVG, want) {
		t.Errorf("%s differs from %s; look at both, and rerun with -update only if the change is meant", f.Name, path)
	}
}

// TestParetoFigure_Moves: the figure follows its input — another chosen
// point draws another figure — so the golden cannot pass by accident.
func TestParetoFigure_Moves(t *testing.T) {
	a, err := ParetoFigure(syntheticPareto())
	if err != nil {
		t.Fatal(err)
	}
	pp := syntheticPareto()
	c := pp.Front[2]
	pp.Chosen = &c
	b, err := ParetoFigure(pp)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(a.SVG, b.SVG) {
		t.Error("moving the chosen point did not change the figure")
	}
}

func TestParetoFigure_Errors(t *testing.T) {
	bad := syntheticPareto()
	bad.Evaluated[3].WorstBurn = math.NaN()
	neg := syntheticPareto()
	neg.Current.Cost = math.Inf(1)
	for _, tt := range []struct {
		name string
		pp   *ParetoPlot
		want string
	}{
		{"nil", nil, "a service is required"},
		{"no front", &ParetoPlot{Service: "a"}, "an empty front"},
		{"NaN burn", bad, "worst burn NaN"},
		{"infinite cost", neg, "cost +Inf"},
	} {
		if _, err := ParetoFigure(tt.pp); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want %q", tt.name, err, tt.want)
		}
	}
}
