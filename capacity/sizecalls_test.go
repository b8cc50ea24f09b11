package capacity

import (
	"math"
	"os"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/headroom-dev/headroom/model"
	"github.com/headroom-dev/headroom/scenarios"
	"github.com/headroom-dev/headroom/sim"
	"github.com/headroom-dev/headroom/sim/ensemble"
)

// TestSize_CallOrder: size sizes callees first and a caller with their
// mean response at their sized count in its time in service; the rates
// add along the calls.
func TestSize_CallOrder(t *testing.T) {
	b, err := os.ReadFile("testdata/threetier.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p, err := scenarios.Parse("threetier.yaml", b)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Size(p, model.Queueing, "growth")
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]ServiceSizing{}
	for _, s := range rep.Scenarios[0].Services {
		by[s.Service] = s
	}
	for name, rate := range map[string]float64{"web": 75, "api": 105, "db": 210} {
		if got := by[name].PeakRate; math.Abs(got-rate) > 1e-9 {
			t.Errorf("%s: peak rate %g, want %g", name, got, rate)
		}
	}
	if by["db"].CallSeconds != 0 || by["db"].MeanSeconds == nil || by["api"].MeanSeconds == nil {
		t.Fatalf("db %+v api %+v", by["db"], by["api"])
	}
	if got, want := by["api"].CallSeconds, 2**by["db"].MeanSeconds; math.Abs(got-want) > 1e-12 {
		t.Errorf("api waits %g s on its calls, want 2 × db's mean response %g", got, want)
	}
	if got, want := by["web"].CallSeconds, *by["api"].MeanSeconds; math.Abs(got-want) > 1e-12 {
		t.Errorf("web waits %g s on its calls, want api's mean response %g", got, want)
	}
	// api's own 30 ms meets its 150 ms p95 on a few replicas; holding its
	// slot through two db calls at db's sized latency does not at any
	// count: the trouble is db's.
	alone, err := sizeService(p.Service("api"), 105, model.Queueing, callDelay{})
	if err != nil {
		t.Fatal(err)
	}
	if alone.Status != StatusOK || by["api"].Status != StatusInfeasible || !(*alone.MeanSeconds < *by["api"].MeanSeconds) {
		t.Errorf("api alone: %s, %d replicas, mean %g; with its calls %s, mean %g", alone.Status, alone.Required, *alone.MeanSeconds, by["api"].Status, *by["api"].MeanSeconds)
	}
}

// TestSize_CalleeBeyondCapacity: in the bundled example's daily-growth-2x
// peak noa-postgres and noa-redis are beyond their capacity, so noa-mcp's
// calls wait for their timeout and no count of noa-mcp meets its SLO. Its
// problem names the callees, and Recommend does not read the CPU of that
// unsettled queue at today's replicas as a need for a larger CPU limit.
func TestSize_CalleeBeyondCapacity(t *testing.T) {
	p, err := scenarios.Example("noa.yaml")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Size(p, model.Queueing, "daily-growth-2x")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range rep.Scenarios[0].Services {
		if s.Service == "noa-mcp" {
			if s.Status != StatusInfeasible || !strings.Contains(s.Problem, "its calls to noa-postgres, noa-redis wait for their timeout") {
				t.Errorf("noa-mcp: %s, %q", s.Status, s.Problem)
			}
		}
	}
	for _, r := range Recommend(p, rep) {
		if r.Service != "noa-mcp" {
			continue
		}
		if _, ok := r.Limits[corev1.ResourceCPU]; ok {
			t.Errorf("noa-mcp: a CPU limit from an infeasible peak: %v", r.ResourceRationale)
		}
	}
}

// TestVerticalProposal_Ensemble: with the plan's uncertainty ensemble a
// fixed-size service is sized for the ensemble's p90, not the point
// estimate alone. noa-postgres behind noa-mcp and the workers: at the size
// the point estimate asks for, more members than the p90 allows burn
// noa-postgres's budget in daily-growth-2x (and their callers' calls wait
// for its timeout); at the ensemble's size, few enough do.
func TestVerticalProposal_Ensemble(t *testing.T) {
	p, err := scenarios.Example("noa.yaml")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Size(p, model.Queueing, "")
	if err != nil {
		t.Fatal(err)
	}
	members := ensemble.Design(p.Uncertainty, p.Seed, sim.ModeFluid)
	svc := p.Service("noa-postgres")
	var point, robust Proposal
	if err := verticalProposal(p, svc, rep, nil, &point); err != nil {
		t.Fatal(err)
	}
	if err := verticalProposal(p, svc, rep, members, &robust); err != nil {
		t.Fatal(err)
	}
	pc, rc := point.Recommendation.Requests[corev1.ResourceCPU], robust.Recommendation.Requests[corev1.ResourceCPU]
	if rc.Cmp(pc) <= 0 {
		t.Fatalf("noa-postgres: CPU %s with the ensemble, %s without; want more with it", rc.String(), pc.String())
	}
	allowed := quantileBreakers(len(members), 0.9) - 1
	broken := func(pr Proposal) int {
		q := WithResources(p, []Recommendation{{Service: svc.Name, Requests: pr.Recommendation.Requests, Limits: pr.Recommendation.Limits}})
		n := 0
		for _, m := range members {
			r, err := sim.Run(q, sim.Options{Scenario: "daily-growth-2x", Services: []string{svc.Name}, Factors: m.Factors, Seed: m.Seed})
			if err != nil {
				t.Fatal(err)
			}
			if s := r.Services[0].Summary; s.SLOBudgetBurn > 1 || s.WorstWindowBurn > 1 {
				n++
			}
		}
		return n
	}
	if n := broken(point); n <= allowed {
		t.Errorf("at the point estimate's %s only %d of %d members break noa-postgres's budget (the p90 allows %d): the test shows nothing", pc.String(), n, len(members), allowed)
	}
	if n := broken(robust); n > allowed {
		t.Errorf("at the ensemble's %s %d of %d members break noa-postgres's budget; the p90 allows %d", rc.String(), n, len(members), allowed)
	}
}

// TestSize_CalleeThrottled: a callee whose CPU limit binds before its
// worker slots answers its callers at the throttled pod's mean response
// (model.Workload.CPUThrottled, as simulate reads it), above its own
// sizing's mean, which leaves the throttling out. In the bundled example's
// daily peak noa-postgres runs at 80 % of its 500m limit and noa-redis's
// one command at a time needs more CPU than its 250m: noa-mcp's calls
// take six and ten of those throttled responses.
func TestSize_CalleeThrottled(t *testing.T) {
	p, err := scenarios.Example("noa.yaml")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Size(p, model.Queueing, "daily")
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]ServiceSizing{}
	for _, s := range rep.Scenarios[0].Services {
		by[s.Service] = s
	}
	var want, unthrottled float64
	for _, c := range p.Service("noa-mcp").Calls {
		sz := by[c.Service]
		w, err := p.Service(c.Service).Workload(sz.PeakRate)
		if err != nil {
			t.Fatal(err)
		}
		thr, err := w.CPUThrottled().PodMeanResponse(sz.PeakRate / float64(sz.At))
		if err != nil {
			t.Fatal(err)
		}
		if !(thr > *sz.MeanSeconds) {
			t.Errorf("%s at its daily peak: throttled mean %g, sized mean %g; want the limit to bind", c.Service, thr, *sz.MeanSeconds)
		}
		want += c.PerRequest * thr
		unthrottled += c.PerRequest * *sz.MeanSeconds
	}
	if got := by["noa-mcp"].CallSeconds; math.Abs(got-want) > 1e-9*want {
		t.Errorf("noa-mcp's calls: %g s; its callees' throttled responses make %g s (unthrottled %g s)", got, want, unthrottled)
	}
}
