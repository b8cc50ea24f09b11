package prom

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"
)

// historyRules serve world's service with Ready replicas, an error rate and
// per-step bucket rates: of the rate, 50 % ≤ 0.1 s, 90 % ≤ 0.2 s, 97 %
// ≤ 0.5 s (the SLO target), all ≤ 1 s.
func (w world) historyRules(gapFrom, gapTo time.Time) []fakeRule {
	frac := []float64{0.5, 0.9, 0.97, 1, 1}
	les := []string{"0.1", "0.2", "0.5", "1", "+Inf"}
	var labels []map[string]string
	for _, le := range les {
		labels = append(labels, map[string]string{"le": le})
	}
	return append([]fakeRule{
		{key: `code=~"5.."`, series: one(func(t time.Time) float64 { return 0.01 * w.rate(t) })},
		{key: "status_replicas_ready", series: func(t time.Time) ([]float64, bool) {
			return []float64{3}, t.Before(gapFrom) || !t.Before(gapTo)
		}},
		{key: "rate(http_request_duration_seconds_bucket", labels: labels, series: func(t time.Time) ([]float64, bool) {
			out := make([]float64, len(frac))
			for i, f := range frac {
				out[i] = f * w.rate(t)
			}
			return out, true
		}},
	}, w.rules()...)
}

func TestHistory(t *testing.T) {
	p, _ := testPlan(t)
	start := testEnd.Add(-3 * 24 * time.Hour)
	w := world{start: start}
	gapFrom := start.Add(10 * time.Hour)
	f := &fakeProm{t: t, rules: w.historyRules(gapFrom, gapFrom.Add(30*time.Minute)), buckets: testBuckets,
		instant: map[string][]float64{"kube_pod_created": {40, 50, 45}}}
	c, err := NewClient(f.start(), nil)
	if err != nil {
		t.Fatal(err)
	}
	hs, fails, err := c.History(context.Background(), p, Options{End: testEnd, Window: 3 * 24 * time.Hour})
	if err != nil || len(fails) > 0 {
		t.Fatal(err, fails)
	}
	h := hs[0]
	n := 3*24*60 + 1
	if len(h.Rate) != n || len(h.Ready) != n || len(h.CPU) != n || len(h.P95) != n || len(h.SlowRate) != n {
		t.Fatalf("lengths %d %d %d %d %d, want %d", len(h.Rate), len(h.Ready), len(h.CPU), len(h.P95), len(h.SlowRate), n)
	}
	k := 600 // 10:00 on the first day: the gap's first step
	if !math.IsNaN(h.Ready[k]) || !math.IsNaN(h.Ready[k+29]) || h.Ready[k+30] != 3 || h.Ready[k-1] != 3 {
		t.Errorf("ready around the gap: %v", h.Ready[k-1:k+31])
	}
	at := start.Add(5 * time.Hour)
	r := w.rate(at)
	if got := h.Rate[300]; math.Abs(got-r) > 1e-9 {
		t.Errorf("rate at 05:00 = %g, want %g", got, r)
	}
	// CPU utilisation: (0.05 + 0.02·λ/3) cores over a 1-core request.
	if got, want := h.CPU[300], 0.05+0.02*r/3; math.Abs(got-want) > 1e-9 {
		t.Errorf("cpu utilisation %g, want %g", got, want)
	}
	// p95 lies in (0.2, 0.5]: 0.2 + 0.3·(0.95 − 0.9)/(0.97 − 0.9).
	if got, want := h.P95[300], 0.2+0.3*0.05/0.07; math.Abs(got-want) > 1e-9 {
		t.Errorf("p95 %g, want %g", got, want)
	}
	if got := h.SlowRate[300]; math.Abs(got-0.03*r) > 1e-9 {
		t.Errorf("slow rate %g, want %g", got, 0.03*r)
	}
	if got := h.ErrorRate[300]; math.Abs(got-0.01*r) > 1e-9 {
		t.Errorf("error rate %g", got)
	}
	if len(h.StartupSeconds) != 3 || h.StartupSeconds[1] != 45 {
		t.Errorf("startups %v", h.StartupSeconds)
	}
	if h.CPUPerRequest == nil || math.Abs(*h.CPUPerRequest-0.02) > 1e-6 || h.ServiceTimeSeconds == nil || math.Abs(*h.ServiceTimeSeconds-0.1) > 1e-9 {
		t.Errorf("observe's fits: cpu %v service time %v", h.CPUPerRequest, h.ServiceTimeSeconds)
	}
}

// TestHistory_Errors: a Prometheus error on the request rate and no Ready
// series each fail the service with its query and range.
func TestHistory_Errors(t *testing.T) {
	p, _ := testPlan(t)
	start := testEnd.Add(-2 * 24 * time.Hour)
	w := world{start: start}
	for _, tc := range []struct {
		name  string
		rules []fakeRule
		query string
		want  string
	}{
		{"server error", append([]fakeRule{{key: "http_requests_total{namespace=\"shop\",pod=~\"api-[a-z0-9]+-[a-z0-9]+\"}[5m]))", status: 422, errType: "execution"}}, w.historyRules(start, start)...),
			`sum(rate(http_requests_total{namespace="shop",pod=~"api-[a-z0-9]+-[a-z0-9]+"}[5m]))`, "prometheus execution"},
		{"no ready series", append([]fakeRule{{key: "status_replicas_ready"}}, w.historyRules(start, start)...),
			`sum(kube_deployment_status_replicas_ready{namespace="shop",deployment="api"})`, "matched no series"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeProm{t: t, rules: tc.rules, buckets: testBuckets, instant: map[string][]float64{"kube_pod_created": {40}}}
			c, _ := NewClient(f.start(), nil)
			_, fails, err := c.History(context.Background(), p, Options{End: testEnd, Window: 2 * 24 * time.Hour})
			if err != nil || len(fails) != 1 {
				t.Fatalf("err %v fails %v", err, fails)
			}
			fe := fails[0]
			if fe.Service != "api" || fe.Query != tc.query || !fe.From.Equal(start) || !fe.To.Equal(testEnd) || !strings.Contains(fe.Error(), tc.want) {
				t.Errorf("failure %v (query %q); want query %q and %q", fe, fe.Query, tc.query, tc.want)
			}
			if errors.Unwrap(fe) == nil {
				t.Error("no wrapped cause")
			}
		})
	}
}

// TestHistory_UnaggregatedBucketsSummedByLe: a latencyBucketRates query (an
// override) that is not aggregated by le returns one series per le and pod;
// the series sharing a bound are summed per step, as sum by (le) would, so
// the slow rate is the service's, not one pod's share of it.
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
