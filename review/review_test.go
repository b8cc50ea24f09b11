package review

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/headroom-dev/headroom/capacity"
	"github.com/headroom-dev/headroom/model"
	"github.com/headroom-dev/headroom/review/record"
	"github.com/headroom-dev/headroom/scenarios"
	"github.com/headroom-dev/headroom/sim"
)

// The record's sizing statuses are capacity's.
func TestStatusesMatchCapacity(t *testing.T) {
	for _, p := range [][2]string{
		{record.StatusOK, capacity.StatusOK}, {record.StatusOverMax, capacity.StatusOverMax},
		{record.StatusBreach, capacity.StatusBreach}, {record.StatusInfeasible, capacity.StatusInfeasible},
	} {
		if p[0] != p[1] {
			t.Errorf("record status %q, capacity status %q", p[0], p[1])
		}
	}
}

// TestBuild_NOA builds the bundled example's review with a command-line
// event twice, showing every figure and only those at risk: the JSON is
// the same, the runs, rows and curves are what the CLI and the figures
// read.
func TestBuild_NOA(t *testing.T) {
	plan, err := scenarios.Example("noa.yaml")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 12, 1, 18, 0, 0, 0, time.UTC)
	ev, err := scenarios.NewEvent("launch", start, start.Add(2*time.Hour), 5, 10*time.Minute, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The example's ranges with 8 members instead of 32: the same code,
	// a quarter of the simulations, twice over.
	u := *plan.Uncertainty
	u.Samples = 8
	plan.Uncertainty = &u
	all, err := Build(context.Background(), plan, Options{Mode: model.Queueing, Version: "test", Event: ev})
	if err != nil {
		t.Fatal(err)
	}
	risky, err := Build(context.Background(), plan, Options{Mode: model.Queueing, Version: "test", Event: ev, Plots: record.PlotsAtRisk})
	if err != nil {
		t.Fatal(err)
	}
	a, err := json.Marshal(all)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(risky)
	if err != nil {
		t.Fatal(err)
	}
	if string(a) != string(b) {
		t.Error("two builds of the same plan differ in their JSON")
	}

	if all.Input == plan || all.Input.Scenario(ev.Scenario) == nil || plan.Scenario(ev.Scenario) != nil {
		t.Fatalf("the review's plan should be a copy with the event's scenario %s", ev.Scenario)
	}
	for _, sc := range all.Input.Scenarios {
		for _, v := range []record.Variant{record.Current, record.Proposed} {
			if r := all.Run(sc.Name, v); r == nil || len(r.Services) == 0 || len(r.Cluster.Series) == 0 {
				t.Errorf("scenario %s: no %s run", sc.Name, v)
			}
		}
	}
	for _, e := range all.Events {
		if all.Run(e.Event.Scenario, record.PreScaled) == nil {
			t.Errorf("event %s: no pre-scaled run", e.Event.Name)
		}
	}
	if len(all.Events) < 2 {
		t.Errorf("%d events, want the plan's event-spike and the launch", len(all.Events))
	}

	if len(all.Rows) != len(all.Services) {
		t.Fatalf("%d rows for %d services", len(all.Rows), len(all.Services))
	}
	for i, s := range all.Services {
		row := all.Rows[i]
		var today float64
		var atRisk []string
		for _, x := range s.Scenarios {
			today += x.Current.SLOViolationMinutes
			r := x.Current.WorstWindowBurnRange
			if r == nil || x.Current.SLOViolationMinutesRange == nil || x.Current.SLOBudgetBurnRange == nil {
				t.Fatalf("%s in %s: no interval from the plan's uncertainty ensemble", s.Name, x.Scenario)
			}
			if x.Current.OverBudget() || x.Sizing.Status != record.StatusOK || r.P90 > 1 {
				atRisk = append(atRisk, x.Scenario)
			}
		}
		if row.Service != s.Name || row.Today != today || !cmp.Equal(row.AtRisk, atRisk) || s.Safe != (len(atRisk) == 0) {
			t.Errorf("row %+v for service %s (today %g, at risk %v, safe %v)", row, s.Name, today, atRisk, s.Safe)
		}
	}

	var scalable []string
	for _, s := range plan.Services {
		if !s.Fixed {
			scalable = append(scalable, s.Name)
		}
	}
	var drawn []string
	for _, c := range all.Curves {
		drawn = append(drawn, c.Service)
		if c.Err != nil || len(c.Rates) != capacityPoints+1 || len(c.Queueing) != len(c.Rates) || c.Marks[0].Name != "today" {
			t.Errorf("curve of %s: %d rates, error %v, marks %+v", c.Service, len(c.Rates), c.Err, c.Marks)
		}
	}
	if !cmp.Equal(drawn, scalable) {
		t.Errorf("curves of %v, want every scalable service %v", drawn, scalable)
	}
	for _, c := range risky.Curves {
		if !risky.WorstOnly(c.Service, "") {
			t.Errorf("at-risk figures: a curve of %s, which is not at risk", c.Service)
		}
	}
	if len(risky.Curves) == 0 || len(risky.Curves) >= len(all.Curves) {
		t.Errorf("at-risk figures: %d curves of %d", len(risky.Curves), len(all.Curves))
	}
}

func TestBuild_NoPlots(t *testing.T) {
	plan, err := scenarios.Example("noa.yaml")
	if err != nil {
		t.Fatal(err)
	}
	plan.Uncertainty = nil
	rev, err := Build(context.Background(), plan, Options{Mode: model.Utilization, Plots: record.PlotsNone})
	if err != nil {
		t.Fatal(err)
	}
	// Without an uncertainty section: one run each, no interval, and the
	// summary recommends adding one.
	for _, s := range rev.Services {
		for _, x := range s.Scenarios {
			if x.Current.SLOViolationMinutesRange != nil || x.Proposed != nil && x.Proposed.SLOViolationMinutesRange != nil {
				t.Fatalf("%s in %s: an interval without an uncertainty section", s.Name, x.Scenario)
			}
		}
	}
	if !strings.Contains(rev.Summary.Intervals, "add an uncertainty: section") {
		t.Errorf("Summary.Intervals = %q, want the recommendation to add an uncertainty section", rev.Summary.Intervals)
	}
	if len(rev.Curves) != 0 || rev.Shows("noa-mcp", "daily") {
		t.Errorf("no figures asked for: %d curves, shows noa-mcp: %v", len(rev.Curves), rev.Shows("noa-mcp", "daily"))
	}
}

func TestSampleEvery(t *testing.T) {
	for _, tt := range []struct {
		d, tick, want time.Duration
	}{
		{2 * time.Hour, time.Second, time.Minute},
		{24 * time.Hour, time.Second, 5 * time.Minute},
		{7 * 24 * time.Hour, time.Second, 34 * time.Minute},
		{time.Hour, 7 * time.Second, 63 * time.Second},
	} {
		if got := sampleEvery(tt.d, tt.tick); got != tt.want {
			t.Errorf("sampleEvery(%s, %s) = %s, want %s", tt.d, tt.tick, got, tt.want)
		}
	}
}

// TestEstimateWork: the estimate counts the runs Build makes, and a
// 400-day scenario is not refused for samples Build would never keep (it
// samples about 300 points a run).
func TestEstimateWork(t *testing.T) {
	plan, err := scenarios.Example("noa.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ens, err := EstimateWork(plan, Options{})
	if err != nil {
		t.Fatal(err)
	}
	u := plan.Uncertainty
	plan.Uncertainty = nil
	w, err := EstimateWork(plan, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// 4 scenarios × 2 runs, and event-spike's two event runs: 10 runs of
	// about 300 samples for each service a scenario covers.
	if w.Samples < 10*300 || w.Samples > 10*6*301 {
		t.Errorf("estimated %g samples for 10 runs of at most 6 services × ~300 samples", w.Samples)
	}
	// With the example's ensemble, each of the 8 scenario runs is 33 runs;
	// the 2 event runs are not ensembles.
	if r := ens.PodTicks / w.PodTicks; r < 20 || r > 33 {
		t.Errorf("an ensemble of %d members multiplies the estimate by %.1f, want 8×33+2 runs of 10", u.Samples, r)
	}
	long := *plan
	long.Scenarios = append([]scenarios.Scenario(nil), plan.Scenarios...)
	long.Scenarios[0].Duration = scenarios.Duration(400 * 24 * time.Hour)
	w, err = EstimateWork(&long, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.DefaultBudget.Check(w); err != nil {
		t.Errorf("a 400-day scenario is over the default budget: %v", err)
	}
}

// TestWindowBurn_CountsErrorRateObjective: the event table's burn is the
// larger of the latency and error-rate objectives' (sim.Burn, the run's own
// rule): a service with only an error-rate SLO burns 50 for a window in
// which half its requests failed against a 1 % objective.
func TestWindowBurn_CountsErrorRateObjective(t *testing.T) {
	e := scenarios.Ratio(0.01)
	plan := &scenarios.Plan{Services: []scenarios.Service{{Name: "api", SLO: scenarios.SLO{ErrorRate: &e}}}}
	every := time.Minute
	var series []sim.Sample
	for k := 1; k <= 10; k++ {
		series = append(series, sim.Sample{T: scenarios.Seconds(time.Duration(k) * every), Lambda: 10, Errors: 300})
	}
	b := windowBurn(series, 0, 10*every, every, budgetOf(plan, "api"))
	if b < 1 {
		t.Errorf("pre-scale window burn %g for a window where 50 %% of requests failed against a 1 %% error objective (burn 50)", b)
	}
}
