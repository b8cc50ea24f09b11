package verify

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/headroom-dev/headroom/loadtest"
	"github.com/headroom-dev/headroom/model"
)

// TestFitFamilies: each family's own quantiles pick it (error 0), against
// the others.
func TestFitFamilies(t *testing.T) {
	for _, tc := range []struct {
		fam string
		cs2 float64
	}{
		{model.FamilyLognormal, 2.25},
		{model.FamilyGamma, 0.25},
		{model.FamilyWeibull, 2},
		{model.FamilyExponential, 1},
	} {
		q := func(p float64) float64 { return model.FamilyQuantile(tc.fam, 0.05, tc.cs2, p) }
		fits := FitFamilies(0.05, q(0.95), q)
		if len(fits) == 0 || fits[0].Family != tc.fam || fits[0].Error > 1e-6 || math.Abs(fits[0].CV-math.Sqrt(tc.cs2)) > 1e-6 {
			t.Errorf("%s cs2 %g: fits %+v", tc.fam, tc.cs2, fits)
		}
	}
}

// lowLoadRun is 60 one-second windows of 8 requests each at scenario
// steady whose response times are lognormal, mean 50 ms, cv 1.5: the
// service at ρ = 0.13 on 3 slots, where waiting is rare.
func lowLoadRun(seed uint64) *loadtest.Result {
	rng := rand.New(rand.NewPCG(seed, 3))
	s2 := math.Log1p(2.25)
	res := &loadtest.Result{SchemaVersion: loadtest.ResultSchemaVersion, Speedup: 1, Window: loadtest.Duration{Duration: time.Second},
		Service: "mg3", Scenario: "steady", Valid: true, Planned: loadtest.Duration{Duration: 60 * time.Second}}
	for i := range 60 {
		w := loadtest.Window{Offset: float64(i), ScenarioTime: float64(i), Sent: 8, Completed: 8, Latency: loadtest.NewHistogram()}
		for range 8 {
			w.Latency.Record(0.05 * math.Exp(math.Sqrt(s2)*rng.NormFloat64()-s2/2))
		}
		w.Summarise(1)
		res.Windows = append(res.Windows, w)
	}
	return res
}

// TestExplain: a plan whose service time is 30 % short predicts a mean
// far below the measured one; the calibration finds about 50 ms and a
// heavy tail, and the calibrated plan removes most of the deviation.
func TestExplain(t *testing.T) {
	plan := mg3(t, 8, 35*time.Millisecond, 60)
	res := lowLoadRun(9)
	cal, err := Calibrate(context.Background(), plan, res, "mg3")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("calibrated mean %.1f ms p95 %.1f ms cv %.2f, families %+v", cal.MeanService*1e3, cal.P95Service*1e3, cal.CV, cal.Families)
	if math.Abs(cal.MeanService/0.05-1) > 0.15 || cal.Distribution == "" || cal.Distribution == model.FamilyExponential {
		t.Errorf("calibration %+v: want about 50 ms and a heavy-tailed family", cal)
	}
	ex, err := Explain(context.Background(), plan, res, cal, CompareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("removed: mean %.0f %%, p95 %.0f %%; before %s, after %s", ex.MeanRemoved*100, ex.P95Removed*100, ex.Before.Verdict, ex.After.Verdict)
	if len(ex.Rows) != 10 || !(ex.MeanRemoved > 0.5) {
		t.Errorf("%d rows, mean deviation removed %.2f: want 10 rows and more than half", len(ex.Rows), ex.MeanRemoved)
	}
	if ex.Input.Mean.Seconds() != durationOf(cal.MeanService).Seconds() || ex.Input.Distribution != cal.Distribution {
		t.Errorf("calibrated input %+v", ex.Input)
	}
}

// BenchmarkCompareBands: the cost of a comparison with bands, 39 DES
// replications of a 60 s M/G/3 scenario at ρ = 0.8 (2 900 requests each).
func BenchmarkCompareBands(b *testing.B) {
	plan := mg3(b, 48, 50*time.Millisecond, 60)
	res := lowLoadRun(9)
	for b.Loop() {
		if _, err := Compare(context.Background(), plan, res, CompareOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
