package reports

import (
	"strings"
	"testing"
	"time"

	"github.com/headroom-dev/headroom/review/record"
)

func backtestRecord(verdict string) *record.Backtest {
	start := time.Date(2026, 12, 6, 7, 0, 0, 0, time.UTC)
	s := record.BacktestService{Service: "api", Verdict: verdict, InitialReplicas: 6, HPA: true,
		Checks: []record.BacktestCheck{
			{Measure: "replicas", Value: "97.0 % within the HPA band", Tolerance: "≥ 90 %", OK: true},
			{Measure: "cpuCores", Value: "median ratio 0.75", Tolerance: "0.90–1.11", OK: verdict == record.BacktestAgrees},
			{Measure: "budgetBurn", Value: "0.26 observed", Tolerance: "±0.10", Skipped: true},
		}}
	for k := range 120 {
		s.Series = append(s.Series, record.BacktestPoint{TSeconds: float64(60 * k), Rate: 50, ObservedReplicas: 6, SimulatedReplicas: 5,
			ObservedCPU: 0.6, SimulatedCPU: 0.55, ObservedP95Seconds: 0.15, SimulatedP95Secs: -1})
	}
	if verdict == record.BacktestDisagrees {
		planned, fitted := 0.015, 0.0186
		s.Cause = &record.BacktestCause{Cause: record.BacktestCauseCPU, Field: "services[api].cpu.perRequest", Planned: &planned, Fitted: &fitted, Unit: "seconds",
			Evidence: "the simulated CPU of all Ready pods is 0.75× the observed (median)"}
	}
	return &record.Backtest{Plan: "shop.yaml", Start: start, End: start.Add(2 * time.Hour), StepSeconds: 60, Verdict: verdict,
		Services: []record.BacktestService{s},
		Failures: []record.BacktestFailure{{Service: "db", Query: "sum(rate(x[5m]))", From: start, To: start.Add(2 * time.Hour), Error: "no request-rate samples"}}}
}

func TestBacktestSection(t *testing.T) {
	for _, tc := range []struct {
		verdict string
		want    []string
		not     []string
	}{
		{record.BacktestDisagrees, []string{
			"**The recommendations for api rest on a model that disagrees with production",
			"## Does the model match production?",
			"**The model disagrees with production for api.",
			"| api | disagrees | 97.0 % within the HPA band | — | median ratio 0.75 — outside 0.90–1.11 | — | 0.26 observed (not judged) | — | — |",
			"services[api].cpu.perRequest would fit 18.6 ms (the plan has 15 ms)",
			"db was not backtested: no request-rate samples",
		}, nil},
		{record.BacktestAgrees, []string{"## Does the model match production?", "The model agrees with production for every backtested service."},
			[]string{"rest on a model that disagrees", "likely"}},
	} {
		md := string(Markdown(&record.Review{Plan: "shop", Backtest: backtestRecord(tc.verdict)}))
		for _, w := range tc.want {
			if !strings.Contains(md, w) {
				t.Errorf("%s: the report lacks %q:\n%s", tc.verdict, w, md)
			}
		}
		for _, w := range tc.not {
			if strings.Contains(md, w) {
				t.Errorf("%s: the report says %q", tc.verdict, w)
			}
		}
		if i, j := strings.Index(md, "Does the model match"), strings.Index(md, "## Services"); i < 0 || j < i {
			t.Errorf("%s: the backtest section is not above the services", tc.verdict)
		}
	}
	if md := string(Markdown(&record.Review{Plan: "shop"})); strings.Contains(md, "Does the model match") {
		t.Error("a review without a backtest shows the section")
	}
}

func TestBacktestFigure(t *testing.T) {
	bt := backtestRecord(record.BacktestDisagrees)
	f, err := BacktestFigure(bt, &bt.Services[0])
	if err != nil {
		t.Fatal(err)
	}
	if f.Name != "api-backtest" || f.Kind != FigureBacktest || len(f.PNG) == 0 || len(f.SVG) == 0 || !strings.Contains(f.Caption, "Likely cause") {
		t.Errorf("figure %s %s caption %q, %d PNG bytes", f.Name, f.Kind, f.Caption, len(f.PNG))
	}
	short := *bt
	short.Services = []record.BacktestService{{Service: "x", Series: bt.Services[0].Series[:1]}}
	if _, err := BacktestFigure(&short, &short.Services[0]); err == nil || !strings.Contains(err.Error(), "need at least 2") {
		t.Errorf("one point: err %v", err)
	}
}
