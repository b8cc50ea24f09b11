package capacity

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"

	"github.com/headroom-dev/headroom/model"
	"github.com/headroom-dev/headroom/scenarios"
)

// eventPlan is the bundled example with scenario sc added, its first
// spike read as the event, sized at the peak and at today's traffic.
func eventPlan(t testing.TB, sc scenarios.Scenario) (*scenarios.Plan, *scenarios.Event, ScenarioSizing, ScenarioSizing) {
	t.Helper()
	p, err := scenarios.Example("noa.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if p, err = p.WithScenario(sc); err != nil {
		t.Fatal(err)
	}
	ev := scenarios.EventFromScenario(p.Scenario(sc.Name))
	if ev == nil {
		t.Fatalf("scenario %s has no event", sc.Name)
	}
	peak, err := Size(p, model.Queueing, sc.Name)
	if err != nil {
		t.Fatal(err)
	}
	quiet := scenarios.QuietScenario(p.Scenario(sc.Name))
	qp, err := p.WithScenario(quiet)
	if err != nil {
		t.Fatal(err)
	}
	today, err := Size(qp, model.Queueing, quiet.Name)
	if err != nil {
		t.Fatal(err)
	}
	return p, ev, peak.Scenarios[0], today.Scenarios[0]
}

func dur(s string) scenarios.Duration {
	d, err := time.ParseDuration(s)
	if err != nil {
		panic(err)
	}
	return scenarios.Duration(d)
}

// promo is a 6 h window from 12:00 with a spike of peak× at 2 h (10 m
// rise, 1 h hold, 10 m fall) on noa-mcp, and from the fall's end a
// lasting step to after× today's traffic (1 for none).
func promo(peak, after float64) scenarios.Scenario {
	sc := scenarios.Scenario{
		Name: "promo", Start: scenarios.TimeOfDay(12 * time.Hour), Duration: dur("6h"), Services: []string{"noa-mcp"},
		Profile: []scenarios.Component{{Spike: &scenarios.Spike{At: dur("2h"), Rise: dur("10m"), Hold: dur("1h"), Fall: dur("10m"), Multiplier: scenarios.Multiplier(peak)}}},
	}
	if after != 1 {
		sc.Profile = append(sc.Profile, scenarios.Component{Step: &scenarios.Step{At: dur("3h20m"), Multiplier: scenarios.Multiplier(after)}})
	}
	return sc
}

// TestPlanPreScales_RestoreWhenLoadAllows: the restore waits for the
// simulated load. After an event whose traffic falls back, the floor and
// the event's maxReplicas go back RestoreDelay after the fall; when the
// traffic stays at twice today's after it, restoring then breaks the SLO
// the kept floor holds, so the restore moves later, to an instant the
// simulation shows holding; when it stays at four times today's (above
// what maxReplicas carries), to the end of the simulated window.
func TestPlanPreScales_RestoreWhenLoadAllows(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		after float64
		want  string // "fixed", "later", "end"
	}{{1, "fixed"}, {2, "later"}, {4, "end"}} {
		p, ev, peak, today := eventPlan(t, promo(5, tc.after))
		pss, err := PlanPreScales(ctx, p, ev, peak, today, PreScaleOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(pss) != 1 || pss[0].Service != "noa-mcp" {
			t.Fatalf("after %g: pre-scales %+v, want noa-mcp's", tc.after, pss)
		}
		ps := pss[0]
		fixed := ev.EndAt.D() + ev.Ramp.D() + scenarios.RestoreDelay
		end := p.Scenario("promo").Duration.D()
		got := ps.RestoreAt.D()
		if got < fixed || (got-fixed)%RestoreStep != 0 && got != end {
			t.Errorf("after %g: restore at %s, not on the %s grid from %s", tc.after, got, RestoreStep, fixed)
		}
		if ps.RestoreClock != scenarios.TimeOfDay((12*time.Hour+got)%(24*time.Hour)) {
			t.Errorf("after %g: restore clock %s for offset %s", tc.after, ps.RestoreClock, got)
		}
		last := ps.Rationale[len(ps.Rationale)-1]
		if !slices.ContainsFunc(ps.Rationale, func(l string) bool { return strings.HasPrefix(l, "restore ") }) {
			t.Errorf("after %g: no restore line in %q", tc.after, ps.Rationale)
		}
		r := &restorer{ctx: ctx, plan: p, ev: ev, opts: PreScaleOptions{SimPlan: p, Seed: p.Seed}, duration: end}
		keep, err := r.run(&ps, end)
		if err != nil {
			t.Fatal(err)
		}
		atFixed, err := r.run(&ps, fixed)
		if err != nil {
			t.Fatal(err)
		}
		chosen, err := r.run(&ps, got)
		if err != nil {
			t.Fatal(err)
		}
		if !restoreHolds(chosen, keep) {
			t.Errorf("after %g: the chosen restore (%s) does not hold the budget as the kept floor does: %s vs %s", tc.after, got, describeRestoreRun(chosen), describeRestoreRun(keep))
		}
		switch tc.want {
		case "fixed":
			if got != fixed {
				t.Errorf("after %g: restore at %s, want %s after the fall: the traffic is back to today's (%s)", tc.after, got, scenarios.RestoreDelay, last)
			}
		case "later", "end":
			if got == fixed {
				t.Errorf("after %g: restore at the fixed %s after the fall while the load stays high", tc.after, scenarios.RestoreDelay)
			}
			// The test means something: restoring at the fixed delay is
			// worse than keeping the floor.
			if restoreHolds(atFixed, keep) {
				t.Errorf("after %g: restoring at the fixed delay holds (%s vs kept %s): the scenario does not test the rule", tc.after, describeRestoreRun(atFixed), describeRestoreRun(keep))
			}
			if tc.want == "end" && got != end {
				t.Errorf("after %g: restore at %s, want the window's end %s", tc.after, got, end)
			}
			if tc.want == "later" && got == end {
				t.Errorf("after %g: restore at the window's end, want earlier", tc.after)
			}
		}
		if tc.want == "later" {
			// The grid instant before the chosen one does not hold (the
			// earliest the bisection found).
			prev, err := r.run(&ps, got-RestoreStep)
			if err != nil {
				t.Fatal(err)
			}
			if got-RestoreStep >= fixed && restoreHolds(prev, keep) {
				t.Errorf("after %g: restore at %s holds too; %s is not the earliest", tc.after, got-RestoreStep, got)
			}
		}
	}
}

// TestPreScaleFloors_PermanentMax: the event's schedule starts from the
// recommender's permanent HPA. A permanent maxReplicas at or above the
// peak's need raises no maximum for the event; one below it is raised
// for the event and restored to the permanent one, never to today's; the
// floor restored is the proposal's minReplicas.
func TestPreScaleFloors_PermanentMax(t *testing.T) {
	p, ev, peak, today := eventPlan(t, promo(5, 1))
	svc := p.Service("noa-mcp")
	base := preScaleFloors(p, ev, peak, today, nil)
	if len(base) != 1 {
		t.Fatalf("pre-scales %+v, want noa-mcp's", base)
	}
	need := base[0].To
	if need <= svc.HPA.MaxReplicas {
		t.Fatalf("the event needs %d replicas, within today's maxReplicas %d: the test needs a peak above it", need, svc.HPA.MaxReplicas)
	}
	if base[0].MaxFrom != svc.HPA.MaxReplicas || base[0].MaxTo != need {
		t.Errorf("without a proposal: maxReplicas %d → %d, want %d → %d", base[0].MaxFrom, base[0].MaxTo, svc.HPA.MaxReplicas, need)
	}
	proposed := func(maxR, minR int32) map[string]*autoscalingv2.HorizontalPodAutoscalerSpec {
		h := svc.HPA.DeepCopy()
		h.MaxReplicas, h.MinReplicas = maxR, &minR
		return map[string]*autoscalingv2.HorizontalPodAutoscalerSpec{"noa-mcp": h}
	}
	for _, tc := range []struct {
		name             string
		maxR, minR       int32
		maxFrom, maxTo   int32
		from             int32
		permanent, event bool // rationale says so
	}{
		{"covers the peak", need + 2, 4, need + 2, need + 2, 4, true, false},
		{"exactly the peak", need, 4, need, need, 4, true, false},
		{"below the peak", need - 1, 4, need - 1, need, 4, true, true},
		{"today's maximum", svc.HPA.MaxReplicas, *svc.HPA.MinReplicas, svc.HPA.MaxReplicas, need, *svc.HPA.MinReplicas, false, true},
	} {
		pss := preScaleFloors(p, ev, peak, today, proposed(tc.maxR, tc.minR))
		if len(pss) != 1 {
			t.Fatalf("%s: pre-scales %+v", tc.name, pss)
		}
		ps := pss[0]
		if ps.To != need || ps.From != tc.from || ps.MaxFrom != tc.maxFrom || ps.MaxTo != tc.maxTo {
			t.Errorf("%s: floor %d → %d, maxReplicas %d → %d; want %d → %d, %d → %d", tc.name, ps.From, ps.To, ps.MaxFrom, ps.MaxTo, tc.from, need, tc.maxFrom, tc.maxTo)
		}
		all := strings.Join(ps.Rationale, "\n")
		if got := strings.Contains(all, "permanent change"); got != tc.permanent {
			t.Errorf("%s: rationale names the permanent change: %v, want %v:\n%s", tc.name, got, tc.permanent, all)
		}
		if got := strings.Contains(all, "for the event"); got != tc.event {
			t.Errorf("%s: rationale names an event-only raise: %v, want %v:\n%s", tc.name, got, tc.event, all)
		}
		// The simulated schedule patches maxReplicas only for an
		// event-only raise.
		q := p.WithPreScales(pss)
		acts := q.Service("noa-mcp").ScheduledScaling
		raise := acts[len(acts)-2]
		if (raise.MaxReplicas != nil) != tc.event {
			t.Errorf("%s: the raise patches maxReplicas: %v, want %v", tc.name, raise.MaxReplicas != nil, tc.event)
		}
	}
	// A proposed floor at or above the peak's need leaves no pre-scale.
	if pss := preScaleFloors(p, ev, peak, today, proposed(need+2, need)); len(pss) != 0 {
		t.Errorf("a permanent minReplicas %d covers the event, yet pre-scales %+v", need, pss)
	}
}

// TestMergePreScales: pre-scales of one HPA that overlap or touch merge
// into one schedule (earliest raise, latest restore, highest floor and
// maxReplicas) on every event that has them; disjoint ones, other
// targets, and dated with time-of-day events do not.
func TestMergePreScales(t *testing.T) {
	day := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	ps := func(target string, raise, restore time.Duration, to, maxTo int32, dated bool) scenarios.PreScale {
		p := scenarios.PreScale{
			Service: target, Namespace: "shop", TargetKind: "HorizontalPodAutoscaler", TargetName: target + "-hpa",
			From: 3, To: to, MaxFrom: 10, MaxTo: maxTo, Lead: scenarios.Seconds(10 * time.Minute),
			RaiseAt: scenarios.Seconds(raise - 10*time.Hour), RestoreAt: scenarios.Seconds(restore - 10*time.Hour),
			RaiseClock: scenarios.TimeOfDay(raise % (24 * time.Hour)), RestoreClock: scenarios.TimeOfDay(restore % (24 * time.Hour)),
			Rationale: []string{"raise " + target},
		}
		if dated {
			p.Raise, p.Restore = day.Add(raise), day.Add(restore)
		}
		return p
	}
	ev := func(name string, dated bool, pss ...scenarios.PreScale) EventPreScales {
		return EventPreScales{Event: &scenarios.Event{Name: name, Dated: dated, Scenario: name}, PreScales: pss}
	}
	h := time.Hour
	for _, dated := range []bool{false, true} {
		in := []EventPreScales{
			ev("launch", dated, ps("api", 13*h, 16*h, 10, 10, dated), ps("web", 13*h, 14*h, 4, 10, dated)),
			ev("promo", dated, ps("api", 15*h, 18*h, 14, 14, dated)),
			ev("flash", dated, ps("api", 18*h, 19*h, 6, 12, dated)),      // touches promo's restore
			ev("late", dated, ps("api", 21*h, 22*h, 5, 10, dated)),       // disjoint
			ev("other", dated, ps("web", 15*h, 16*h, 8, 10, dated)),      // web: disjoint from launch's
			ev("undated", !dated, ps("api", 14*h, 15*h, 20, 20, !dated)), // the other kind: alone
		}
		orig := slices.Clone(in[0].PreScales)
		out := MergePreScales(in)
		if !slices.EqualFunc(orig, in[0].PreScales, func(a, b scenarios.PreScale) bool { return a.To == b.To && a.RestoreClock == b.RestoreClock }) {
			t.Error("MergePreScales modified its input")
		}
		api := []*scenarios.PreScale{&out[0].PreScales[0], &out[1].PreScales[0], &out[2].PreScales[0]}
		for i, p := range api {
			name := []string{"launch", "promo", "flash"}[i]
			if p.RaiseClock != scenarios.TimeOfDay(13*h) || p.RestoreClock != scenarios.TimeOfDay(19*h) || p.To != 14 || p.MaxTo != 14 || p.From != 3 || p.MaxFrom != 10 {
				t.Errorf("dated %v: %s's api schedule %s → %s floor %d max %d, want 13:00 → 19:00 floor 14 max 14", dated, name, p.RaiseClock, p.RestoreClock, p.To, p.MaxTo)
			}
			if dated && (!p.Raise.Equal(day.Add(13*h)) || !p.Restore.Equal(day.Add(19*h))) {
				t.Errorf("dated: %s's api schedule %s → %s", name, p.Raise, p.Restore)
			}
			if !slices.Equal(p.Events, []string{"launch", "promo", "flash"}) {
				t.Errorf("dated %v: %s's api schedule names events %v", dated, name, p.Events)
			}
			if len(p.Rationale) == 0 || !strings.HasPrefix(p.Rationale[0], "events launch, promo, flash overlap on api-hpa") {
				t.Errorf("dated %v: %s's rationale %q", dated, name, p.Rationale)
			}
		}
		// Offsets move with the instants: promo's raise 2 h earlier.
		if got := out[1].PreScales[0].RaiseAt.D(); got != 3*h {
			t.Errorf("dated %v: promo's raise offset %s, want 3h", dated, got)
		}
		if got := out[1].PreScales[0].RestoreAt.D(); got != 9*h {
			t.Errorf("dated %v: promo's restore offset %s, want 9h", dated, got)
		}
		for _, lone := range []*scenarios.PreScale{&out[3].PreScales[0], &out[0].PreScales[1], &out[4].PreScales[0], &out[5].PreScales[0]} {
			if lone.Events != nil || len(lone.Rationale) != 1 {
				t.Errorf("dated %v: %s %s → %s merged: events %v", dated, lone.TargetName, lone.RaiseClock, lone.RestoreClock, lone.Events)
			}
		}
		if p := out[3].PreScales[0]; p.To != 5 || p.RaiseClock != scenarios.TimeOfDay(21*h) {
			t.Errorf("dated %v: late's schedule changed: %+v", dated, p)
		}
	}
	// A time-of-day window past midnight merges with one that starts
	// before it ends.
	out := MergePreScales([]EventPreScales{
		ev("night", false, ps("api", 23*h, 25*h, 8, 10, false)),
		ev("eve", false, ps("api", 22*h, 23*h+30*time.Minute, 6, 10, false)),
	})
	for _, e := range out {
		if p := e.PreScales[0]; p.RaiseClock != scenarios.TimeOfDay(22*h) || p.RestoreClock != scenarios.TimeOfDay(h) || p.To != 8 {
			t.Errorf("%s: %s → %s floor %d, want 22:00 → 01:00 floor 8", e.Event.Name, p.RaiseClock, p.RestoreClock, p.To)
		}
	}
}

// BenchmarkPlanPreScalesNOA: the bundled example's event, its restore
// searched by simulation (today's HPAs).
func BenchmarkPlanPreScalesNOA(b *testing.B) {
	p, err := scenarios.Example("noa.yaml")
	if err != nil {
		b.Fatal(err)
	}
	sc := p.Scenario("event-spike")
	ev := scenarios.EventFromScenario(sc)
	peak, err := Size(p, model.Queueing, sc.Name)
	if err != nil {
		b.Fatal(err)
	}
	qp, err := p.WithScenario(scenarios.QuietScenario(sc))
	if err != nil {
		b.Fatal(err)
	}
	today, err := Size(qp, model.Queueing, sc.Name+"-baseline")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := PlanPreScales(context.Background(), p, ev, peak.Scenarios[0], today.Scenarios[0], PreScaleOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPreScalesNOA is the fixed-delay plan of the same event, for
// comparison.
func BenchmarkPreScalesNOA(b *testing.B) {
	p, err := scenarios.Example("noa.yaml")
	if err != nil {
		b.Fatal(err)
	}
	sc := p.Scenario("event-spike")
	ev := scenarios.EventFromScenario(sc)
	peak, err := Size(p, model.Queueing, sc.Name)
	if err != nil {
		b.Fatal(err)
	}
	qp, err := p.WithScenario(scenarios.QuietScenario(sc))
	if err != nil {
		b.Fatal(err)
	}
	today, err := Size(qp, model.Queueing, sc.Name+"-baseline")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		PreScales(p, ev, peak.Scenarios[0], today.Scenarios[0])
	}
}

// TestPlanPreScales_ShortWindow: a scenario that ends before the minimum
// restore keeps the minimum and says the simulation could not check it.
func TestPlanPreScales_ShortWindow(t *testing.T) {
	sc := promo(5, 1)
	sc.Duration = dur("3h30m")
	p, ev, peak, today := eventPlan(t, sc)
	pss, err := PlanPreScales(context.Background(), p, ev, peak, today, PreScaleOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(pss) != 1 {
		t.Fatalf("pre-scales %+v", pss)
	}
	if want := ev.EndAt.D() + ev.Ramp.D() + scenarios.RestoreDelay; pss[0].RestoreAt.D() != want {
		t.Errorf("restore at %s, want the minimum %s", pss[0].RestoreAt, want)
	}
	if !slices.ContainsFunc(pss[0].Rationale, func(l string) bool { return strings.Contains(l, "no simulation checks") }) {
		t.Errorf("rationale %q does not say the restore went unchecked", pss[0].Rationale)
	}
}
