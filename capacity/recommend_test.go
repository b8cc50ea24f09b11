package capacity

import (
	"strings"
	"testing"

	"github.com/headroom-dev/headroom/model"
	"github.com/headroom-dev/headroom/scenarios"
	"github.com/headroom-dev/headroom/sim"
	"github.com/headroom-dev/headroom/sim/ensemble"
)

// sizeFixedCallees gives p's fixed-size services the requests and limits
// the recommender proposes for them (verticalProposal, read from its
// output). In the bundled
// example noa-postgres and noa-redis are beyond their capacity at
// daily-growth-2x's peak, and noa-mcp's calls to them wait for their
// timeout: no noa-mcp setting holds its SLO until they are sized.
func sizeFixedCallees(t testing.TB, p *scenarios.Plan) {
	t.Helper()
	rep, err := Size(p, model.Queueing, "")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for i := range p.Services {
		svc := &p.Services[i]
		if !svc.Fixed {
			continue
		}
		var pr Proposal
		if err := verticalProposal(p, svc, rep, ensemble.Design(p.Uncertainty, p.Seed, sim.ModeFluid), &pr); err != nil {
			t.Fatal(err)
		}
		r := pr.Recommendation
		for k, v := range r.Requests {
			svc.Resources.Requests[k] = v
			n++
		}
		for k, v := range r.Limits {
			svc.Resources.Limits[k] = v
		}
	}
	if n == 0 {
		t.Fatal("the recommender sizes no fixed-size service of the plan")
	}
}

func TestRecommendNOA(t *testing.T) {
	p, err := scenarios.Example("noa.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// noa-mcp's own need shows once its callees carry the peaks.
	sizeFixedCallees(t, p)
	rep, err := Size(p, model.Queueing, "")
	if err != nil {
		t.Fatal(err)
	}
	recs := Recommend(p, rep)
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
		if scenarios.EventFromScenario(p.Scenario(sc.Scenario)) != nil {
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
	target := float64(*mcp.HPA.Metrics[0].Resource.Target.AverageUtilization) / 100
	wantMax := want
	if target < 0.70 {
		wantMax += (want + 9) / 10
	}
	if int(mcp.HPA.MaxReplicas) != wantMax || want <= 10 {
		t.Errorf("maxReplicas = %d, want the largest need %d (plus 10 %% with the target lowered) = %d", mcp.HPA.MaxReplicas, want, wantMax)
	}
	// Where the need is not CPU's own (latency, slots), the target makes
	// one replica short of the need read above the band: at N−1 replicas
	// usage/target > 1.1, so the HPA scales to N; at N it stays inside the
	// band. (Where CPU binds, Recommend keeps the target.)
	for _, sc := range rep.Scenarios {
		if scenarios.EventFromScenario(p.Scenario(sc.Scenario)) != nil {
			continue
		}
		for _, s := range sc.Services {
			if s.Service != "noa-mcp" || s.ByConstraint[string(model.ConstraintCPU)] >= s.Required {
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
	p, err := scenarios.Example("noa.yaml")
	if err != nil {
		t.Fatal(err)
	}
	sc := p.Scenario("event-spike")
	ev := scenarios.EventFromScenario(sc)
	if ev == nil || ev.Peak != 3 {
		t.Fatalf("event-spike read as %+v", ev)
	}
	peak, err := Size(p, model.Queueing, "event-spike")
	if err != nil {
		t.Fatal(err)
	}
	qp, err := p.WithScenario(scenarios.QuietScenario(sc))
	if err != nil {
		t.Fatal(err)
	}
	today, err := Size(qp, model.Queueing, sc.Name+"-baseline")
	if err != nil {
		t.Fatal(err)
	}
	pss := PreScales(p, ev, peak.Scenarios[0], today.Scenarios[0])
	if len(pss) == 0 {
		t.Fatal("no pre-scale for a 3x event")
	}
	for _, ps := range pss {
		svc := p.Service(ps.Service)
		if ps.To <= ps.From {
			t.Errorf("%s: raise %d → %d", ps.Service, ps.From, ps.To)
		}
		if ps.Lead.D() < svc.Startup.Total().D() {
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
