package scenarios

import (
	"strings"
	"testing"
	"time"

	"github.com/headroom-dev/headroom/model"
)

func TestRecommendNOA(t *testing.T) {
	p, err := Example("noa.yaml")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := p.Size(model.Queueing, "")
	if err != nil {
		t.Fatal(err)
	}
	recs := p.Recommend(rep)
	byName := map[string]Recommendation{}
	for _, r := range recs {
		byName[r.Service] = r
	}
	mcp, ok := byName["noa-mcp"]
	if !ok || mcp.HPA == nil {
		t.Fatalf("noa-mcp: want an HPA change, got %+v", mcp)
	}
	// The largest non-event need of noa-mcp decides its maximum.
	want := 0
	for _, sc := range rep.Scenarios {
		if EventFromScenario(p.Scenario(sc.Scenario)) != nil {
			continue
		}
		for _, s := range sc.Services {
			if s.Service == "noa-mcp" && s.Required > want {
				want = s.Required
			}
		}
	}
	// With the CPU target lowered, the maximum leaves room for the 10 %
	// tolerance band above the need.
	if wantMax := want + (want+9)/10; int(mcp.HPA.MaxReplicas) != wantMax || want <= 10 {
		t.Errorf("maxReplicas = %d, want the largest need %d plus 10 %% = %d", mcp.HPA.MaxReplicas, want, wantMax)
	}
	// The target makes one replica short of the need read above the band:
	// at N−1 replicas usage/target > 1.1, so the HPA scales to N; at N it
	// stays inside the band.
	target := float64(*mcp.HPA.Metrics[0].Resource.Target.AverageUtilization) / 100
	for _, sc := range rep.Scenarios {
		if EventFromScenario(p.Scenario(sc.Scenario)) != nil {
			continue
		}
		for _, s := range sc.Services {
			if s.Service != "noa-mcp" {
				continue
			}
			n := float64(s.Required)
			short := s.CPUUtilisation * n / (n - 1)
			if short/target <= 1.1 {
				t.Errorf("%s: at %d replicas usage/target = %.3f, inside the tolerance band: the HPA would stop short", sc.Scenario, s.Required-1, short/target)
			}
			if ratio := s.CPUUtilisation / target; ratio > 1.1 {
				t.Errorf("%s: at the need usage/target = %.3f: the HPA would not settle there", sc.Scenario, ratio)
			}
		}
	}
	if !strings.Contains(strings.Join(mcp.HPARationale, "\n"), "maxReplicas 10 → ") {
		t.Errorf("rationale %q", mcp.HPARationale)
	}
	// The plan's own spec is untouched.
	if p.Service("noa-mcp").HPA.MaxReplicas != 10 {
		t.Error("Recommend modified the plan")
	}
	for _, r := range recs {
		if p.Service(r.Service).Fixed && r.Changed() {
			t.Errorf("%s is fixed-size but got a patch", r.Service)
		}
	}
}

func TestPreScalesForEvent(t *testing.T) {
	p, err := Example("noa.yaml")
	if err != nil {
		t.Fatal(err)
	}
	sc := p.Scenario("event-spike")
	ev := EventFromScenario(sc)
	if ev == nil || ev.Peak != 3 {
		t.Fatalf("event-spike read as %+v", ev)
	}
	peak, err := p.Size(model.Queueing, "event-spike")
	if err != nil {
		t.Fatal(err)
	}
	qp, err := p.WithScenario(QuietScenario(sc))
	if err != nil {
		t.Fatal(err)
	}
	today, err := qp.Size(model.Queueing, sc.Name+"-baseline")
	if err != nil {
		t.Fatal(err)
	}
	pss := p.PreScales(ev, peak.Scenarios[0], today.Scenarios[0])
	if len(pss) == 0 {
		t.Fatal("no pre-scale for a 3x event")
	}
	for _, ps := range pss {
		svc := p.Service(ps.Service)
		if ps.To <= ps.From {
			t.Errorf("%s: raise %d → %d", ps.Service, ps.From, ps.To)
		}
		if ps.Lead < svc.Startup.Total().D() {
			t.Errorf("%s: lead %s shorter than start-up %s", ps.Service, ps.Lead, svc.Startup.Total())
		}
		if ps.RaiseAt+ps.Lead != ev.RiseAt && ps.RaiseAt != 0 {
			t.Errorf("%s: raise at %s, lead %s, rise at %s", ps.Service, ps.RaiseAt, ps.Lead, ev.RiseAt)
		}
		if ps.RestoreAt <= ev.EndAt {
			t.Errorf("%s: restore %s before the event ends %s", ps.Service, ps.RestoreAt, ev.EndAt)
		}
	}
	// Simulating the pre-scale needs the actions on a copy of the plan.
	q := p.WithPreScales(pss)
	if len(q.Service(pss[0].Service).ScheduledScaling) != len(p.Service(pss[0].Service).ScheduledScaling)+2 {
		t.Error("WithPreScales did not add raise and restore")
	}
	if err := q.Validate(); err != nil {
		t.Errorf("plan with pre-scales: %v", err)
	}
}

func TestCronSchedule(t *testing.T) {
	ev, err := NewEvent("black-friday", mustTime(t, "2026-11-27T14:00:00Z"), mustTime(t, "2026-11-27T18:00:00Z"), 5, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := CronSchedule(ev.Start.Add(-25*60e9), 0); got != "35 13 27 11 *" {
		t.Errorf("dated cron = %q", got)
	}
	if got := CronSchedule(time.Time{}, TimeOfDay(13*time.Hour+35*time.Minute)); got != "35 13 * * *" {
		t.Errorf("undated cron = %q", got)
	}
	if _, err := NewEvent("Bad Name", ev.Start, ev.End, 5, 0, nil); err == nil {
		t.Error("bad name accepted")
	}
	if _, err := NewEvent("x", ev.End, ev.Start, 5, 0, nil); err == nil {
		t.Error("end before start accepted")
	}
	if _, err := NewEvent("x", ev.Start, ev.End, 0, 0, nil); err == nil {
		t.Error("zero peak accepted")
	}
	sc := ev.ScenarioFor()
	if time.Duration(sc.Start) != 11*time.Hour {
		t.Errorf("scenario starts %s, want 11:00 (3 h lead-in)", sc.Start)
	}
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
