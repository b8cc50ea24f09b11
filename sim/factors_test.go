package sim

import (
	"testing"

	"github.com/headroom-dev/headroom/scenarios"
)

// TestFactors_AsPlanEdits runs services whose CPU is given per request
// with Factors and, as a dumb twin, with the plan's inputs edited by the
// same factors: the summaries agree.
func TestFactors_AsPlanEdits(t *testing.T) {
	f := Factors{RequestRate: 1.3, ServiceTime: 0.8, CPU: 1.25, Memory: 1.5}
	p, err := scenarios.Example("noa.yaml")
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{Scenario: "growth-2x", Services: []string{"noa-ui", "noa-workers"}}
	opts.Factors = f
	got, err := Run(p, opts)
	if err != nil {
		t.Fatal(err)
	}
	q, err := scenarios.Example("noa.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range opts.Services {
		s := q.Service(name)
		s.RequestRate = scenarios.NewRate(s.RequestRate.PerSecond * f.RequestRate)
		// A request mix (noa-ui) scales each endpoint's service time.
		sts := []*scenarios.ServiceTime{&s.ServiceTime}
		for j := range s.Endpoints {
			if st := s.Endpoints[j].ServiceTime; st != nil {
				sts = append(sts, st)
			}
		}
		for _, st := range sts {
			st.Mean = scenarios.Duration(float64(st.Mean) * f.ServiceTime)
			if st.P95 != nil {
				p95 := scenarios.Duration(float64(*st.P95) * f.ServiceTime)
				st.P95 = &p95
			}
		}
		cpu := scenarios.Duration(float64(*s.CPU.PerRequest) * f.CPU)
		s.CPU.PerRequest = &cpu
		s.Memory.Base.Set(int64(float64(s.Memory.Base.Value()) * f.Memory))
		if m := s.Memory.PerInFlight; m != nil {
			m.Set(int64(float64(m.Value()) * f.Memory))
		}
	}
	opts.Factors = Factors{}
	want, err := Run(q, opts)
	if err != nil {
		t.Fatal(err)
	}
	for i := range want.Services {
		g, w := got.Services[i].Summary, want.Services[i].Summary
		for _, c := range []struct {
			name string
			a, b float64
		}{{"SLO minutes", g.SLOViolationMinutes, w.SLOViolationMinutes}, {"requests", g.Requests, w.Requests},
			{"worst p95", g.WorstP95, w.WorstP95}, {"pod-hours", g.PodHours, w.PodHours},
			{"mean CPU", g.MeanCPUUtilisation, w.MeanCPUUtilisation}} {
			if d := c.a - c.b; d > 1e-6*max(1, c.b) || -d > 1e-6*max(1, c.b) {
				t.Errorf("%s %s: with factors %g, with the plan edited %g", want.Services[i].Service, c.name, c.a, c.b)
			}
		}
	}
	if !(Factors{}).IsZero() || !(Factors{RequestRate: 1}).IsZero() || f.IsZero() {
		t.Error("IsZero is wrong")
	}
}
