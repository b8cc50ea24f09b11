package loadtest

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestBuiltin_SendsEveryArrival(t *testing.T) {
	var mu sync.Mutex
	got := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got++
		mu.Unlock()
		if r.URL.Query().Get("fail") != "" {
			http.Error(w, "no", http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	tests := []struct {
		name     string
		url      string
		arrivals string
		errors   bool
		raw      bool
	}{
		{"constant", srv.URL + "/", ArrivalsConstant, false, false},
		{"poisson", srv.URL + "/", ArrivalsPoisson, false, false},
		{"5xx are errors", srv.URL + "/?fail=1", ArrivalsConstant, true, false},
		{"raw sender", srv.URL + "/", ArrivalsPoisson, false, true},
		{"raw sender, 5xx", srv.URL + "/?fail=1", ArrivalsConstant, true, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mu.Lock()
			got = 0
			mu.Unlock()
			sched := constantSchedule(40, 1500*time.Millisecond)
			p, _ := NewSchedulePacer(sched, tc.arrivals, 3)
			want := int64(len(hits(t, p)))
			sender := SenderNetHTTP
			if tc.raw {
				sender = SenderRaw
			}
			res, err := NewBuiltin(BuiltinOptions{Seed: 3, MaxWorkers: 50, Sender: sender}).Run(context.Background(),
				RunSpec{Target: tc.url, Arrivals: tc.arrivals, Schedule: sched})
			if err != nil {
				t.Fatal(err)
			}
			tot := res.Totals
			if tot.Sent+tot.Dropped != want {
				t.Errorf("sent %d + dropped %d, want the pacer's %d arrivals", tot.Sent, tot.Dropped, want)
			}
			if tot.Completed != tot.Sent || int64(got) != tot.Sent {
				t.Errorf("sent %d, completed %d, server saw %d", tot.Sent, tot.Completed, got)
			}
			if (tot.Errors == tot.Completed) != tc.errors {
				t.Errorf("errors %d of %d", tot.Errors, tot.Completed)
			}
			if len(res.Windows) != 2 || res.Windows[1].Offset != 1 || res.Interrupted {
				t.Errorf("windows %d, interrupted %v", len(res.Windows), res.Interrupted)
			}
			if tot.Latency.Count() != tot.Completed || res.SendLag.Count() != tot.Completed {
				t.Errorf("histograms hold %d latencies and %d lags for %d requests", tot.Latency.Count(), res.SendLag.Count(), tot.Completed)
			}
			if w := res.Windows[0]; w.Latency.h != nil {
				t.Error("the first window is complete but its histogram was not frozen")
			}
			if res.SchemaVersion != ResultSchemaVersion || res.Engine != "builtin" {
				t.Errorf("schema %q engine %q", res.SchemaVersion, res.Engine)
			}
		})
	}
}

// TestBuiltin_DropsWhenEveryWorkerIsBusy: a target that never answers
// holds the two workers; every later arrival is dropped, not queued.
func TestBuiltin_DropsWhenEveryWorkerIsBusy(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	sched := constantSchedule(50, time.Second)
	res, err := NewBuiltin(BuiltinOptions{MaxWorkers: 2}).Run(context.Background(),
		RunSpec{Target: srv.URL, Arrivals: ArrivalsConstant, Schedule: sched, Timeout: 1500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	tot := res.Totals
	if tot.Sent != 2 || tot.Dropped != 48 {
		t.Errorf("sent %d dropped %d, want 2 and 48", tot.Sent, tot.Dropped)
	}
	if tot.Errors != 2 {
		t.Errorf("the two timed-out requests: %d errors", tot.Errors)
	}
	if res.Valid || !strings.Contains(res.InvalidReason, "dropped") {
		t.Errorf("valid %v, reason %q", res.Valid, res.InvalidReason)
	}
}

func TestBuiltin_InterruptKeepsWhatWasMeasured(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	sched := constantSchedule(20, 60*time.Second)
	var res *Result
	done := make(chan error)
	go func() {
		var err error
		res, err = NewBuiltin(BuiltinOptions{}).Run(ctx, RunSpec{Target: srv.URL, Arrivals: ArrivalsConstant, Schedule: sched})
		done <- err
	}()
	time.Sleep(300 * time.Millisecond)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !res.Interrupted || res.Planned.Duration != 60*time.Second {
		t.Errorf("interrupted %v planned %v", res.Interrupted, res.Planned)
	}
	if len(res.Windows) == 0 || len(res.Windows) == 60 || res.Totals.Sent == 0 {
		t.Errorf("%d windows, %d sent: want the part before the interrupt", len(res.Windows), res.Totals.Sent)
	}
}

// TestRecorder_LatencyFromIntendedTime: a request meant for t = 0 that the
// generator only began at 100 ms and that took 10 ms counts 110 ms of
// latency and 100 ms of send lag, and the run is invalid.
func TestRecorder_LatencyFromIntendedTime(t *testing.T) {
	sched := constantSchedule(1, 2*time.Second)
	p, _ := NewSchedulePacer(sched, ArrivalsConstant, 1)
	rec := newRecorder(sched, p)
	rec.sent(0)
	rec.finished(0, 100*time.Millisecond, 110*time.Millisecond, outcomeOK)
	rec.sent(time.Second)
	rec.finished(time.Second, time.Second, time.Second+10*time.Millisecond, outcomeError)
	res := NewBuiltin(BuiltinOptions{}).result(RunSpec{Target: "http://x", Schedule: sched, P95Target: 0.05}, rec, time.Unix(0, 0), sched.Duration(), false)
	if got := res.Windows[0].Latency.Max(); got < 0.1099 || got > 0.1101 {
		t.Errorf("latency %v s, want 0.110 from the intended time", got)
	}
	if got := res.SendLag.Max(); got < 0.0999 || got > 0.1001 {
		t.Errorf("send lag %v s, want 0.100", got)
	}
	if res.Valid || !strings.Contains(res.InvalidReason, "send-lag p99") {
		t.Errorf("valid %v %q", res.Valid, res.InvalidReason)
	}
	if res.Windows[1].Errors != 1 || res.Totals.Completed != 2 || res.Windows[0].TargetRate != 1 {
		t.Errorf("windows %+v", res.Windows)
	}
	if len(res.Thresholds) != 1 || res.Thresholds[0].Passed {
		t.Errorf("p95 0.11 s against a 0.05 s target: %+v", res.Thresholds)
	}
}

func TestBuiltin_RefusesBadSpecs(t *testing.T) {
	tests := []struct {
		name string
		spec RunSpec
		want string
	}{
		{"no target", RunSpec{Schedule: constantSchedule(1, time.Second)}, "target URL is required"},
		{"ftp", RunSpec{Target: "ftp://x/", Schedule: constantSchedule(1, time.Second)}, "scheme"},
		{"no host", RunSpec{Target: "http:///path", Schedule: constantSchedule(1, time.Second)}, "no host"},
		{"over the rate cap", RunSpec{Target: "http://x/", MaxRate: 5, Schedule: constantSchedule(10, time.Second)}, "--max-rate"},
		{"bad arrivals", RunSpec{Target: "http://x/", Arrivals: "bursty", Schedule: constantSchedule(1, time.Second)}, "arrivals"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewBuiltin(BuiltinOptions{}).Run(context.Background(), tc.spec)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

// BenchmarkBuiltin_Loopback is the engine's throughput against a trivial
// handler: b.N requests at an unreachable rate, all workers busy.
func BenchmarkBuiltin_Loopback(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	rate := 20000.0
	d := time.Duration(float64(b.N) / rate * float64(time.Second))
	if d < time.Second {
		d = time.Second
	}
	b.ResetTimer()
	res, err := NewBuiltin(BuiltinOptions{MaxWorkers: 64}).Run(context.Background(),
		RunSpec{Target: srv.URL, Arrivals: ArrivalsConstant, Schedule: constantSchedule(rate, d)})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(res.Totals.Rate, "req/s")
	b.ReportMetric(res.SendLag.Quantile(0.99)*1e3, "lag-p99-ms")
}

// TestBuiltin_ReusesWarmConnections: with the raw sender at a low rate a
// thousand idle workers still share a few keep-alive connections; they do
// not dial per request.
func TestBuiltin_ReusesWarmConnections(t *testing.T) {
	var mu sync.Mutex
	conns := 0
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			mu.Lock()
			conns++
			mu.Unlock()
		}
	}
	srv.Start()
	defer srv.Close()
	res, err := NewBuiltin(BuiltinOptions{MaxWorkers: 1000, Sender: SenderRaw}).Run(context.Background(),
		RunSpec{Target: srv.URL, Arrivals: ArrivalsConstant, Schedule: constantSchedule(20, 2*time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if res.Totals.Completed != 40 || conns > 5 {
		t.Errorf("%d requests over %d connections, want 40 over a few", res.Totals.Completed, conns)
	}
}
