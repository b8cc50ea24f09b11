package sim

import (
	"strings"
	"testing"
)

// TestInitialReplicas: a run started at 7 pods has 7 Ready at its first
// sample under the default warm start (which would otherwise settle at 4)
// and the HPA still on (it settles at the 4 pods 40 req/s need);
// a count outside [1, 100000] is refused, naming the service.
func TestInitialReplicas(t *testing.T) {
	p := steadyPlan(t, "40/s", "", cpuHPA)
	name := p.Services[0].Name
	res, err := Run(p, Options{Scenario: "flat", InitialReplicas: map[string]int32{name: 7}})
	if err != nil {
		t.Fatal(err)
	}
	s := res.Services[0].Series
	if s[0].Ready != 7 {
		t.Errorf("ready pods at the first sample = %d, want 7", s[0].Ready)
	}
	if last := s[len(s)-1].Desired; last != 4 {
		t.Errorf("replicas at the end = %d, want the HPA's 4", last)
	}
	if _, err := Run(p, Options{Scenario: "flat", InitialReplicas: map[string]int32{name: 0}}); err == nil || !strings.Contains(err.Error(), "initial replicas 0") || !strings.Contains(err.Error(), name) {
		t.Errorf("0 initial replicas: err = %v, want a refusal naming the service and the count", err)
	}
}

// TestRun_InitialReplicasKeptOverScheduledAction: Options.InitialReplicas
// (a backtest's first observed count) is kept under a warm start even when
// the plan has a scheduled replicas action that ran before t = 0: the
// pinned count is the one observed after it.
func TestRun_InitialReplicasKeptOverScheduledAction(t *testing.T) {
	p := steadyPlan(t, "40/s", "", `    scheduledScaling:
      - {name: night, at: "22:00", replicas: 2}`)
	name := p.Services[0].Name
	res, err := Run(p, Options{Scenario: "flat", InitialReplicas: map[string]int32{name: 7}})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Services[0].Series[0].Ready; got != 7 {
		t.Errorf("ready pods at the first sample = %d, want the pinned 7", got)
	}
}
