package sim

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/headroom-dev/headroom/model"
	"github.com/headroom-dev/headroom/scenarios"
)

// TestDESServiceTime_Mixture: a service with endpoints samples the
// mixture of their service times (one lognormal, one empirical, one taking
// the service's gamma), whose sample mean and cs² match model.Mixture, and
// the service-time factor scales every component.
func TestDESServiceTime_Mixture(t *testing.T) {
	ms := func(x float64) scenarios.Duration { return scenarios.Duration(x * float64(time.Millisecond)) }
	cv := 0.8
	p95 := ms(300)
	svc := &scenarios.Service{
		Name:        "api",
		ServiceTime: scenarios.ServiceTime{Mean: ms(100), P95: &p95},
		Endpoints: []scenarios.Endpoint{
			{Name: "read", Weight: 6},
			{Name: "search", Weight: 3, ServiceTime: &scenarios.ServiceTime{Mean: ms(40), CV: &cv, Distribution: "lognormal"}},
			{Name: "write", Weight: 1, ServiceTime: &scenarios.ServiceTime{Distribution: "empirical", Mean: ms(225),
				Histogram: []scenarios.HistogramBucket{{Le: ms(200), Count: 1}, {Le: ms(500), Count: 1}, {Le: ms(700), Count: 0}}}},
		},
	}
	st, err := desServiceTime(ServiceTime{}, svc)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Components) != 3 || st.Components[1].Kind != ServiceLognormal || st.Components[2].Kind != ServiceEmpirical || st.Components[0].Kind != "" {
		t.Fatalf("components %+v", st.Components)
	}
	parts, err := svc.ServiceMixture()
	if err != nil {
		t.Fatal(err)
	}
	mean, cs2, err := model.Mixture(parts)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []float64{1, 1.5} {
		smp, err := newSampler(Factors{ServiceTime: k}.scaleServiceTime(st), 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(smp.mean()/(k*mean)-1) > 1e-9 {
			t.Errorf("factor %g: sampler mean %g, want %g", k, smp.mean(), k*mean)
		}
		rng := rand.New(rand.NewPCG(3, 4))
		const n = 400_000
		var s1, s2 float64
		for range n {
			x := smp.sample(rng)
			s1 += x
			s2 += x * x
		}
		m := s1 / n
		c := s2/n/(m*m) - 1
		if math.Abs(m/(k*mean)-1) > 0.01 || math.Abs(c/cs2-1) > 0.04 {
			t.Errorf("factor %g: sampled mean %g cs2 %g; mixture %g %g", k, m, c, k*mean, cs2)
		}
	}
	// --service-time still wins over the plan's endpoints.
	if o, _ := desServiceTime(ServiceTime{Kind: ServiceDeterministic}, svc); o.Kind != ServiceDeterministic || o.Components != nil {
		t.Errorf("an explicit --service-time was replaced: %+v", o)
	}
}

// BenchmarkServiceSampler: the per-request cost of drawing from a
// two-endpoint mixture against a single gamma of the same moments:
// go test ./sim -run - -bench ServiceSampler
func BenchmarkServiceSampler(b *testing.B) {
	mix, err := newSampler(ServiceTime{Components: []ServiceComponent{{Weight: 0.8, Mean: 0.025, CS2: 0.49}, {Weight: 0.2, Mean: 0.1, CS2: 0.2304}}}, 0, 0)
	if err != nil {
		b.Fatal(err)
	}
	one, err := newSampler(ServiceTime{}, 0.04, 1.0036)
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		s    sampler
	}{{"gamma", one}, {"mixture", mix}} {
		b.Run(c.name, func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 2))
			x := 0.0
			for range b.N {
				x += c.s.sample(rng)
			}
			_ = x
		})
	}
}
