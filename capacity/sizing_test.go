package capacity

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/headroom-dev/headroom/model"
	"github.com/headroom-dev/headroom/scenarios"
)

// readTestdata reads one of the scenarios package's test plans.
func readTestdata(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile("../scenarios/testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestSize_Gates(t *testing.T) {
	base := readTestdata(t, "minimal.yaml")
	tests := []struct {
		name     string
		old, new string
		check    func(t *testing.T, s ServiceSizing, sc ScenarioSizing)
	}{
		{"light peak is costed at the HPA minimum", "      - spike: {at: 1h, hold: 30m, multiplier: 3}", "      - step: {at: 0s, multiplier: 0.05}",
			func(t *testing.T, s ServiceSizing, sc ScenarioSizing) {
				if s.Required != 1 || s.At != 3 || s.CPUCores != 1.5 {
					t.Errorf("required %d, costed at %d pods (%g cores); want 1 needed, 3 costed (the HPA minimum)", s.Required, s.At, s.CPUCores)
				}
			}},
		{"infeasible SLO reports no count", "latency: {quantile: 0.95, target: 1s}", "latency: {quantile: 0.95, target: 300ms}",
			func(t *testing.T, s ServiceSizing, sc ScenarioSizing) {
				if s.Status != StatusInfeasible || s.Required != 0 || s.Binding != StatusInfeasible || !strings.Contains(s.Problem, "no replica count can meet this SLO") {
					t.Errorf("got %+v", s)
				}
			}},
		{"zones need a node each", "    slo:", "    redundancy: {zones: 3, zoneLosses: 1}\n    slo:",
			func(t *testing.T, s ServiceSizing, sc ScenarioSizing) {
				if sc.Nodes.Nodes < 3 {
					t.Errorf("%d nodes for pods spread over 3 zones", sc.Nodes.Nodes)
				}
			}},
		{"zero load still suggests a request", "      - spike: {at: 1h, hold: 30m, multiplier: 3}", "      - step: {at: 0s, multiplier: 0}",
			func(t *testing.T, s ServiceSizing, sc ScenarioSizing) {
				if s.RecommendedCPU != "10m" {
					t.Errorf("recommended CPU %q at zero load, want the 10m floor", s.RecommendedCPU)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := scenarios.Parse("p.yaml", []byte(strings.Replace(base, tt.old, tt.new, 1)))
			if err != nil {
				t.Fatal(err)
			}
			rep, err := Size(p, model.Queueing, "peak")
			if err != nil {
				t.Fatal(err)
			}
			sc := rep.Scenarios[0]
			tt.check(t, sc.Services[0], sc)
		})
	}
}

// TestSize_AgreesWithSizeAt: the sizing of each service at each peak is
// the service's SizeAt at the peak rate. A caller's sizing holds its
// worker slots through its calls too, which SizeAt does not know of
// (TestSize_CallOrder checks those).
func TestSize_AgreesWithSizeAt(t *testing.T) {
	p, err := scenarios.Example("noa.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, mode := range []model.Mode{model.Utilization, model.Queueing} {
		rep, err := Size(p, mode, "")
		if err != nil {
			t.Fatal(err)
		}
		for _, sc := range rep.Scenarios {
			for _, ss := range sc.Services {
				if ss.Status == StatusInfeasible || len(p.Service(ss.Service).Calls) > 0 {
					continue
				}
				got, err := p.Service(ss.Service).SizeAt(ss.PeakRate, mode)
				if err != nil {
					t.Fatalf("%s %s %s: %v", mode, sc.Scenario, ss.Service, err)
				}
				if got.Replicas != ss.Required || string(got.Binding) != ss.Binding {
					t.Errorf("%s %s %s at %g/s: SizeAt %d (%s), Size %d (%s)", mode, sc.Scenario, ss.Service, ss.PeakRate,
						got.Replicas, got.Binding, ss.Required, ss.Binding)
				}
			}
		}
	}
}

// FuzzSize: a plan that validates must size without panicking, and its
// report must hold no NaN or infinity (json.Marshal refuses both).
func FuzzSize(f *testing.F) {
	f.Add([]byte(readTestdata(f, "minimal.yaml")))
	noa, err := os.ReadFile("../scenarios/examples/noa.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(noa)
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := scenarios.Parse("fuzz.yaml", data)
		if err != nil {
			return
		}
		for _, mode := range []model.Mode{model.Queueing, model.Utilization} {
			rep, err := Size(p, mode, "")
			if err != nil {
				continue
			}
			if _, err := json.Marshal(rep); err != nil {
				t.Fatalf("sizing report does not marshal: %v", err)
			}
		}
	})
}
