package prom

import (
	"context"
	"math"
	"testing"
	"time"
)

// TestHistory_UnaggregatedBucketsSummedByLe: a latencyBucketRates query (an
// override) that is not aggregated by le returns one series per le and
// pod. History.latency only refuses series without an le label; with two
// series per bound it builds a histogram from the interleaved series and
// reads the +Inf count of one pod as the total, so the slow rate (and so
// the observed error-budget burn) is silently halved.
func TestHistory_UnaggregatedBucketsSummedByLe(t *testing.T) {
	p, _ := testPlan(t)
	start := testEnd.Add(-2 * 24 * time.Hour)
	w := world{start: start}
	rules := w.historyRules(start, start)
	frac := []float64{0.5, 0.9, 0.97, 1, 1}
	les := []string{"0.1", "0.2", "0.5", "1", "+Inf"}
	var labels []map[string]string
	for _, pod := range []string{"a", "b"} {
		for _, le := range les {
			labels = append(labels, map[string]string{"le": le, "pod": pod})
		}
	}
	dup := fakeRule{key: "rate(http_request_duration_seconds_bucket", labels: labels, series: func(t time.Time) ([]float64, bool) {
		out := make([]float64, 0, 2*len(frac))
		for range 2 {
			for _, f := range frac {
				out = append(out, f*w.rate(t)/2)
			}
		}
		return out, true
	}}
	f := &fakeProm{t: t, rules: append([]fakeRule{dup}, rules...), buckets: testBuckets,
		instant: map[string][]float64{"kube_pod_created": {40, 50, 45}}}
	c, err := NewClient(f.start(), nil)
	if err != nil {
		t.Fatal(err)
	}
	hs, fails, err := c.History(context.Background(), p, Options{End: testEnd, Window: 2 * 24 * time.Hour})
	if err != nil || len(fails) > 0 {
		t.Fatal(err, fails)
	}
	h := hs[0]
	if h.SlowRate == nil {
		t.Logf("notes: %v", h.Notes)
		return // refused: fine
	}
	r := w.rate(start.Add(5 * time.Hour))
	if got := h.SlowRate[300]; math.Abs(got-0.03*r) > 1e-9 {
		t.Errorf("slow rate %g from un-aggregated buckets, want %g (or a refusal naming the query)", got, 0.03*r)
	}
}
