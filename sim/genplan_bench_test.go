package sim

import (
	"testing"

	"github.com/headroom-dev/headroom/internal/genplan"
	"github.com/headroom-dev/headroom/scenarios"
)

// BenchmarkRunGenplanServices is the recommender's kind of run on a
// generated plan: each of 10 services alone (with its callees) in each of
// 2 scenarios, today's settings, fluid mode.
func BenchmarkRunGenplanServices(b *testing.B) {
	p, err := scenarios.Parse("genplan.yaml", []byte(genplan.Generate(10, 2, 1)))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		for _, sc := range p.Scenarios {
			for _, svc := range p.Services {
				if _, err := Run(p, Options{Scenario: sc.Name, Services: []string{svc.Name}}); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
}
