package review

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/headroom-dev/headroom/model"
	"github.com/headroom-dev/headroom/reports"
	"github.com/headroom-dev/headroom/scenarios"
)

// TestBuild_OverlappingEventsOneSchedule: two plan events on noa-mcp an
// hour apart (launch at 14:00, promo at 15:00) overlap; the review gives
// both one schedule (the first raise, the last restore, the higher floor),
// simulates each with it, and the rendered CronJobs, KEDA ScaledObject and
// Git schedule carry that one raise and one restore for noa-mcp-hpa.
func TestBuild_OverlappingEventsOneSchedule(t *testing.T) {
	plan, err := scenarios.Example("noa.yaml")
	if err != nil {
		t.Fatal(err)
	}
	plan.Uncertainty = nil
	d := func(s string) scenarios.Duration {
		v, err := time.ParseDuration(s)
		if err != nil {
			t.Fatal(err)
		}
		return scenarios.Duration(v)
	}
	event := func(name, at string, peak float64) scenarios.Scenario {
		return scenarios.Scenario{
			Name: name, Start: scenarios.TimeOfDay(12 * time.Hour), Duration: d("6h"), Services: []string{"noa-mcp"}, Mode: scenarios.ModeMultiplier,
			Profile: []scenarios.Component{{Spike: &scenarios.Spike{At: d(at), Rise: d("10m"), Hold: d("1h"), Fall: d("10m"), Multiplier: scenarios.Multiplier(peak)}}},
		}
	}
	plan.Scenarios = []scenarios.Scenario{event("launch", "2h", 3), event("promo", "3h", 4)}
	if err := plan.Validate(); err != nil {
		t.Fatal(err)
	}
	rev, err := Build(context.Background(), plan, Options{Mode: model.Queueing, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if len(rev.Events) != 2 {
		t.Fatalf("%d events, want launch and promo", len(rev.Events))
	}
	var got []scenarios.PreScale
	for _, ev := range rev.Events {
		for _, ps := range ev.PreScales {
			if ps.Service == "noa-mcp" {
				got = append(got, ps)
			}
		}
	}
	if len(got) != 2 {
		t.Fatalf("noa-mcp pre-scales %+v, want one per event", got)
	}
	a, b := got[0], got[1]
	if a.RaiseClock != b.RaiseClock || a.RestoreClock != b.RestoreClock || a.To != b.To || a.MaxTo != b.MaxTo {
		t.Errorf("the events' schedules differ: %s–%s floor %d and %s–%s floor %d", a.RaiseClock, a.RestoreClock, a.To, b.RaiseClock, b.RestoreClock, b.To)
	}
	if !slices.Equal(a.Events, []string{"launch", "promo"}) {
		t.Errorf("the schedule names events %v", a.Events)
	}
	if a.RaiseClock != scenarios.TimeOfDay(14*time.Hour)-scenarios.TimeOfDay(a.Lead) {
		t.Errorf("raise at %s, want launch's rise 14:00 minus the lead %s", a.RaiseClock, a.Lead)
	}
	// promo falls back at 16:20: the restore is at least 15 minutes later.
	if a.RestoreClock < scenarios.TimeOfDay(16*time.Hour+35*time.Minute) {
		t.Errorf("restore at %s, before promo's fall + %s", a.RestoreClock, scenarios.RestoreDelay)
	}
	if !strings.HasPrefix(a.Rationale[0], "events launch, promo overlap on noa-mcp-hpa") {
		t.Errorf("rationale %q does not say why the schedules merged", a.Rationale)
	}
	// The summary lists the one schedule once.
	var changes int
	for _, c := range rev.Summary.Changes {
		if strings.HasPrefix(c, "noa-mcp: for event") {
			changes++
			if !strings.Contains(c, "events launch, promo (one schedule)") {
				t.Errorf("summary change %q does not name both events", c)
			}
		}
	}
	if changes != 1 {
		t.Errorf("%d pre-scale changes for noa-mcp in the summary, want the one schedule", changes)
	}

	for _, with := range reports.PrescaleWithValues {
		files, _, err := reports.RenderPatches(rev.Input, rev, reports.PatchOptions{PrescaleWith: with})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, f := range files {
			if strings.HasPrefix(f.Path, "prescale/") && strings.Contains(f.Path, "noa-mcp") {
				names = append(names, f.Path)
			}
			if strings.HasPrefix(f.Path, "prescale/scaledobject-") {
				var so struct {
					Spec struct {
						Triggers []struct {
							Type     string            `json:"type"`
							Metadata map[string]string `json:"metadata"`
						} `json:"triggers"`
					} `json:"spec"`
				}
				if err := yaml.Unmarshal(f.Data, &so); err != nil {
					t.Fatal(err)
				}
				var crons int
				for _, tr := range so.Spec.Triggers {
					if tr.Type == "cron" {
						crons++
					}
				}
				if crons != 1 {
					t.Errorf("%s: %d cron triggers, want the one merged window", f.Path, crons)
				}
			}
		}
		want := map[string][]string{
			reports.PrescaleCronJob: {"prescale/cronjob-prescale-launch-promo-noa-mcp-raise.yaml", "prescale/cronjob-prescale-launch-promo-noa-mcp-restore.yaml"},
			reports.PrescaleKEDA:    {"prescale/scaledobject-noa-mcp.yaml"},
			reports.PrescaleGit: {"prescale/launch-promo-noa-mcp/raise/horizontalpodautoscaler-noa-mcp-hpa.yaml", "prescale/launch-promo-noa-mcp/raise/kustomization.yaml",
				"prescale/launch-promo-noa-mcp/restore/horizontalpodautoscaler-noa-mcp-hpa.yaml", "prescale/launch-promo-noa-mcp/restore/kustomization.yaml"},
		}[with]
		slices.Sort(names)
		if !slices.Equal(names, want) {
			t.Errorf("--prescale-with %s: noa-mcp's files %v, want %v", with, names, want)
		}
	}
}
