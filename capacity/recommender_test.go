package capacity

import (
	"context"
	"encoding/json"
	"os"
	"testing"

	"github.com/headroom-dev/headroom/model"
	"github.com/headroom-dev/headroom/scenarios"
)

// noaPlan parses the bundled example.
func noaPlan(t testing.TB) *scenarios.Plan {
	t.Helper()
	b, err := os.ReadFile("../scenarios/examples/noa.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p, err := scenarios.Parse("noa.yaml", b)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func proposeNOA(t testing.TB, services ...string) Proposals {
	t.Helper()
	p := noaPlan(t)
	sz, err := Size(p, model.Queueing, "")
	if err != nil {
		t.Fatal(err)
	}
	ps, err := Propose(context.Background(), p, sz, ProposeOptions{Services: services})
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

func TestProposeNOADump(t *testing.T) {
	ps := proposeNOA(t)
	for _, p := range ps {
		b, _ := json.MarshalIndent(p.Recommendation, "", " ")
		t.Logf("%s met=%v binding=%q evaluated=%d cur=%+v chosen=(t%d m%d M%d cost %.2f worst %.2f) \n%s", p.Service, p.Met, p.Binding, len(p.Evaluated),
			[]any{p.Current.CPUTarget, p.Current.MinReplicas, p.Current.MaxReplicas, p.Current.Cost, p.Current.WorstBurn},
			p.Chosen.CPUTarget, p.Chosen.MinReplicas, p.Chosen.MaxReplicas, p.Chosen.Cost, p.Chosen.WorstBurn, b)
	}
}
