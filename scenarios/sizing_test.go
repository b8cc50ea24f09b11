package scenarios

import (
	"strings"
	"testing"

	"github.com/headroom-dev/headroom/model"
)

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
			p, err := Parse("p.yaml", []byte(strings.Replace(base, tt.old, tt.new, 1)))
			if err != nil {
				t.Fatal(err)
			}
			rep, err := p.Size(model.Queueing, "peak")
			if err != nil {
				t.Fatal(err)
			}
			sc := rep.Scenarios[0]
			tt.check(t, sc.Services[0], sc)
		})
	}
}
