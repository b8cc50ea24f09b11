package prom

import (
	"context"
	"errors"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/headroom-dev/headroom/scenarios"
)

var testEnd = time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)

// world is a service with exactly known behaviour: a diurnal rate whose
// daily peak grows by 1 req/s per day, 3 replicas, 20 ms of CPU per
// request plus 50m idle, 100 ms latency, 100Mi + 4Mi per request in flight.
type world struct {
	start time.Time
}

func (w world) rate(t time.Time) float64 {
	days := t.Sub(w.start).Hours() / 24
	h := float64(t.Sub(t.Truncate(24*time.Hour))) / float64(time.Hour)
	return (30 + days) * (0.6 + 0.4*math.Cos(2*math.Pi*(h-14)/24))
}

func (w world) rules() []fakeRule {
	return []fakeRule{
		{key: "http_requests_total", series: one(w.rate)},
		{key: "http_request_duration_seconds_sum", series: one(func(time.Time) float64 { return 0.1 })},
		{key: "kube_deployment_status_replicas", series: one(func(time.Time) float64 { return 3 })},
		{key: "current_replicas", series: one(func(time.Time) float64 { return 3 })},
		{key: "desired_replicas", series: one(func(time.Time) float64 { return 3 })},
		{key: "container_cpu_usage_seconds_total", series: one(func(t time.Time) float64 { return 0.05 + 0.02*w.rate(t)/3 })},
		{key: "container_memory_working_set_bytes", series: one(func(t time.Time) float64 { return 100<<20 + 4<<20*w.rate(t)/3*0.1 })},
	}
}

// testBuckets hold 1000 observations: 500 ≤ 0.1 s, 900 ≤ 0.2 s, all ≤ 0.4 s.
var testBuckets = map[string]float64{"0.1": 500, "0.2": 900, "0.4": 1000, "+Inf": 1000}

func testPlan(t testing.TB) (*scenarios.Plan, []byte) {
	t.Helper()
	src, err := os.ReadFile("testdata/shop.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p, err := scenarios.Parse("testdata/shop.yaml", src)
	if err != nil {
		t.Fatal(err)
	}
	return p, src
}

func observeFake(t *testing.T, f *fakeProm, opts Options) ([]*Observation, error) {
	t.Helper()
	f.t = t
	url := f.start()
	c, err := NewClient(url, nil)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := testPlan(t)
	if opts.End.IsZero() {
		opts.End = testEnd
	}
	return c.Observe(context.Background(), p, opts)
}

func near(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if !(math.Abs(got-want) <= tol*math.Abs(want)) {
		t.Errorf("%s = %.10g, want %.10g (rel tol %g)", what, got, want, tol)
	}
}

func TestObserve_ExactWorld(t *testing.T) {
	w := world{start: testEnd.Add(-14 * 24 * time.Hour)}
	f := &fakeProm{rules: w.rules(), buckets: testBuckets}
	obs, err := observeFake(t, f, Options{})
	if err != nil {
		t.Fatal(err)
	}
	o := obs[0]
	if len(o.Problems) != 0 {
		t.Errorf("problems: %q", o.Problems)
	}
	// 14 days at 1m is 20161 steps: three requests of at most 10000.
	if got := f.count("http_requests_total"); got != 3 {
		t.Errorf("range requests for the rate = %d, want 3 (chunks of %d steps)", got, MaxPointsPerQuery)
	}
	if o.Rate.Points != 20161 || o.Rate.Gaps != 0 {
		t.Errorf("rate points %d gaps %d, want 20161 and 0", o.Rate.Points, o.Rate.Gaps)
	}
	var peak float64
	for ts := w.start; !ts.After(testEnd); ts = ts.Add(time.Minute) {
		peak = math.Max(peak, w.rate(ts))
	}
	near(t, "peak", o.Rate.Peak, peak, 1e-12)
	near(t, "cpu slope", o.CPU.Slope, 0.02, 1e-9)
	near(t, "cpu intercept", o.CPU.Intercept, 0.05, 1e-9)
	near(t, "cpu R²", o.CPU.R2, 1, 1e-9)
	near(t, "memory slope", o.Memory.Slope, 4<<20, 1e-9)
	near(t, "memory intercept", o.Memory.Intercept, 100<<20, 1e-9)
	near(t, "mean service time", o.ServiceTime.MeanSeconds, 0.1, 1e-12)
	// rank 950 of 1000 lies 450/400 ... in (0.2, 0.4]: 0.2 + 0.2·(950−900)/100.
	near(t, "p95", o.ServiceTime.P95Seconds, 0.3, 1e-12)
	if o.Forecast == nil {
		t.Fatal("no forecast")
	}
	// The peak moves a little later each day as the level grows, so the
	// fitted slope is within 1e-4 of 1, not exact.
	near(t, "trend slope (req/s per day)", o.Forecast.Slope, 1, 1e-4)
	if o.CPU.LowConfidence || o.Rate.LowConfidence || o.Forecast.LowConfidence {
		t.Errorf("low confidence on exact data: %v %v %v", o.CPU.Reasons, o.Rate.Reasons, o.Forecast.Reasons)
	}
	if o.HPACurrent == nil || o.HPACurrent.Max != 3 {
		t.Errorf("HPA status = %+v", o.HPACurrent)
	}
}

func TestObserve_ErrorPaths(t *testing.T) {
	w := world{start: testEnd.Add(-14 * 24 * time.Hour)}
	replace := func(key string, r fakeRule) []fakeRule {
		rules := w.rules()
		for i := range rules {
			if rules[i].key == key {
				r.key = key
				rules[i] = r
			}
		}
		return rules
	}
	nan := func(time.Time) float64 { return math.NaN() }
	tests := []struct {
		name    string
		rules   []fakeRule
		buckets map[string]float64
		opts    Options
		err     string // the whole service fails with this
		problem string // or this part is missing
		check   func(t *testing.T, o *Observation)
	}{
		{name: "empty request rate", rules: replace("http_requests_total", fakeRule{}),
			err: "request rate: query sum(rate(http_requests_total{namespace=\"shop\",pod=~\"api-[a-z0-9]+-[a-z0-9]+\"}[5m])) matched no series from 2026-11-13T00:00:00Z to 2026-11-27T00:00:00Z: no data"},
		{name: "request rate all NaN", rules: replace("http_requests_total", fakeRule{series: one(nan)}),
			err: "returned only NaN or infinite samples (20161)"},
		{name: "request rate all zero", rules: replace("http_requests_total", fakeRule{series: one(func(time.Time) float64 { return 0 })}),
			err: "every sample is 0 over the window"},
		{name: "two series where one is needed", rules: replace("http_requests_total", fakeRule{series: func(t time.Time) ([]float64, bool) { return []float64{1, 2}, true }}),
			err: "returned 2 series ({series=\"0\"}, {series=\"1\"}, …); aggregate it to one with sum() or avg()"},
		{name: "server error", rules: replace("http_requests_total", fakeRule{status: 400, errType: "bad_data"}),
			err: "prometheus bad_data: parse error: unexpected character"},
		{name: "latency NaN when idle is dropped", rules: replace("http_request_duration_seconds_sum", fakeRule{series: one(func(t time.Time) float64 {
			if w.rate(t) < 15 {
				return math.NaN() // 0/0 with no requests
			}
			return 0.1
		})}), check: func(t *testing.T, o *Observation) {
			if len(o.Warnings) == 0 || !strings.Contains(strings.Join(o.Warnings, "\n"), "latencyMean: dropped") {
				t.Errorf("no warning about dropped NaN latency samples: %q", o.Warnings)
			}
			near(t, "mean service time", o.ServiceTime.MeanSeconds, 0.1, 1e-12)
			if o.Memory == nil || o.Memory.Points >= o.CPU.Points {
				t.Errorf("memory fit should skip the NaN-latency steps: %+v vs cpu %d", o.Memory, o.CPU.Points)
			}
		}},
		{name: "latency all NaN", rules: replace("http_request_duration_seconds_sum", fakeRule{series: one(nan)}),
			problem: "mean latency: query"},
		{name: "gap in the rate", rules: replace("http_requests_total", fakeRule{series: func(t time.Time) ([]float64, bool) {
			if t.After(testEnd.Add(-50*time.Hour)) && t.Before(testEnd.Add(-48*time.Hour)) {
				return nil, false
			}
			return []float64{w.rate(t)}, true
		}}), check: func(t *testing.T, o *Observation) {
			if o.Rate.Gaps != 119 {
				t.Errorf("gaps = %d, want 119 (2 h at 1m, open interval)", o.Rate.Gaps)
			}
			near(t, "cpu slope across the gap", o.CPU.Slope, 0.02, 1e-9)
			if o.CPU.Points != 20161-119 {
				t.Errorf("cpu fit points = %d, want %d", o.CPU.Points, 20161-119)
			}
		}},
		{name: "no replicas", rules: replace("kube_deployment_status_replicas", fakeRule{}),
			problem: "replicas (needed for the per-pod rate of the CPU and memory fits): query sum(kube_deployment_status_replicas{namespace=\"shop\",deployment=\"api\"}) matched no series"},
		{name: "constant rate", rules: replace("http_requests_total", fakeRule{series: one(func(time.Time) float64 { return 10 })}),
			problem: "cpu per request: fit: the explanatory series is constant (3.33333)"},
		{name: "histogram without observations", buckets: map[string]float64{"0.1": 0, "+Inf": 0},
			problem: "latency p95: histogram holds no observations: no data"},
		{name: "p95 beyond the last bucket", buckets: map[string]float64{"0.1": 10, "+Inf": 1000},
			problem: "latency p95 lies beyond the largest finite bucket 0.1s; add larger buckets"},
		{name: "too little history", rules: replace("http_requests_total", fakeRule{series: func(t time.Time) ([]float64, bool) {
			if t.Before(testEnd.Add(-10 * time.Hour)) {
				return nil, false
			}
			return []float64{w.rate(t)}, true
		}}), problem: "forecast: 0 complete days in the window, need at least 3 (7 for confidence)",
			check: func(t *testing.T, o *Observation) {
				if !o.Rate.LowConfidence || !strings.Contains(strings.Join(o.Rate.Reasons, ";"), "h of history, below the 24 h required") {
					t.Errorf("rate not marked low-confidence: %+v", o.Rate)
				}
				if o.CPU == nil || !o.CPU.LowConfidence {
					t.Errorf("cpu fit on 10 h not marked low-confidence: %+v", o.CPU)
				}
			}},
		{name: "too few points", opts: Options{Window: 2 * time.Hour, Step: 5 * time.Minute, RateWindow: 5 * time.Minute, ReplayStep: 5 * time.Minute},
			check: func(t *testing.T, o *Observation) {
				if o.CPU == nil || !o.CPU.LowConfidence || !strings.Contains(o.CPU.Reasons[0], "25 points, below the 100 required") {
					t.Errorf("cpu fit on 25 points: %+v", o.CPU)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rules := tt.rules
			if rules == nil {
				rules = w.rules()
			}
			b := tt.buckets
			if b == nil {
				b = testBuckets
			}
			obs, err := observeFake(t, &fakeProm{rules: rules, buckets: b}, tt.opts)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error = %v\nwant it to contain %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			o := obs[0]
			if tt.problem != "" && !strings.Contains(strings.Join(o.Problems, "\n"), tt.problem) {
				t.Errorf("problems:\n%s\nwant one containing %q", strings.Join(o.Problems, "\n"), tt.problem)
			}
			if tt.check != nil {
				tt.check(t, o)
			}
		})
	}
}

func TestObserve_EmptyResultIsErrNoData(t *testing.T) {
	w := world{start: testEnd.Add(-14 * 24 * time.Hour)}
	rules := w.rules()
	rules[0] = fakeRule{key: "http_requests_total"}
	_, err := observeFake(t, &fakeProm{rules: rules, buckets: testBuckets}, Options{})
	if !errors.Is(err, ErrNoData) {
		t.Errorf("error %v does not wrap ErrNoData", err)
	}
}

func TestContainerUsage(t *testing.T) {
	f := &fakeProm{t: t, rules: []fakeRule{
		{key: "container_cpu_usage_seconds_total", series: func(t time.Time) ([]float64, bool) { return []float64{0.5, 0.25}, true }},
		{key: "container_memory_working_set_bytes", series: func(t time.Time) ([]float64, bool) { return []float64{1e8, 2e8}, true }},
	}}
	c, err := NewClient(f.start(), nil)
	if err != nil {
		t.Fatal(err)
	}
	cpu, mem, err := c.containerUsage(context.Background(), "shop", "api", "api", testEnd, time.Hour, 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if len(cpu) != 14 || len(mem) != 14 {
		t.Fatalf("got %d cpu and %d memory samples, want 2 pods × 7 steps", len(cpu), len(mem))
	}
	if cpu[0].Value != 0.5 || cpu[1].Value != 0.25 || !cpu[0].Time.Equal(cpu[1].Time) || !cpu[13].Time.Equal(testEnd) {
		t.Errorf("samples not in time then pod order: %+v", cpu[:3])
	}
	if _, _, err := c.containerUsage(context.Background(), "shop", "api", "api", testEnd, time.Hour, 2*time.Hour); err == nil {
		t.Error("step longer than the window accepted")
	}
}
