package sim

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/headroom-dev/headroom/model"
	"github.com/headroom-dev/headroom/scenarios"
)

// TestPlanServiceTime_Empirical: the plan's histogram becomes the DES's
// empirical service time when no --service-time is given, its 1e5 draws
// have the histogram's mean within 1 %, and --service-time still wins.
func TestPlanServiceTime_Empirical(t *testing.T) {
	ms := func(x float64) scenarios.Duration { return scenarios.Duration(x * float64(time.Millisecond)) }
	plan := scenarios.ServiceTime{Distribution: "empirical", Histogram: []scenarios.HistogramBucket{
		{Le: ms(10), Count: 40}, {Le: ms(25), Count: 50}, {Le: ms(100), Count: 8}, {Le: ms(400), Count: 2},
	}}
	st := planServiceTime(ServiceTime{}, plan)
	if st.Kind != ServiceEmpirical || len(st.Buckets) != 4 || st.Buckets[3].UpperSeconds != 0.4 {
		t.Fatalf("service time %+v", st)
	}
	want, _, err := model.HistogramMoments(plan.ModelHistogram())
	if err != nil {
		t.Fatal(err)
	}
	s, err := newSampler(st, want, 1)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 100_000
	sum := 0.0
	for range n {
		sum += s.sample(rng)
	}
	if got := sum / n; math.Abs(got/want-1) > 0.01 {
		t.Errorf("mean of %d draws %.4g s, histogram's %.4g s", n, got, want)
	}
	if s.mean() != want {
		t.Errorf("sampler mean %g, histogram's %g", s.mean(), want)
	}
	if o := planServiceTime(ServiceTime{Kind: ServiceLognormal}, plan); o.Kind != ServiceLognormal || o.Buckets != nil {
		t.Errorf("an explicit --service-time was replaced: %+v", o)
	}
}
