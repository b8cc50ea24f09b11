package builtin

import (
	"bufio"
	"context"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/headroom-dev/headroom/loadtest"
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
		sender   string
	}{
		{"constant", srv.URL + "/", loadtest.ArrivalsConstant, false, SenderNetHTTP},
		{"poisson", srv.URL + "/", loadtest.ArrivalsPoisson, false, SenderNetHTTP},
		{"5xx are errors", srv.URL + "/?fail=1", loadtest.ArrivalsConstant, true, SenderNetHTTP},
		{"raw sender", srv.URL + "/", loadtest.ArrivalsPoisson, false, SenderRaw},
		{"raw sender, 5xx", srv.URL + "/?fail=1", loadtest.ArrivalsConstant, true, SenderRaw},
		{"default sender", srv.URL + "/", loadtest.ArrivalsPoisson, false, ""},
		{"default sender, 5xx", srv.URL + "/?fail=1", loadtest.ArrivalsConstant, true, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mu.Lock()
			got = 0
			mu.Unlock()
			sched := constantSchedule(40, 1500*time.Millisecond)
			p, _ := NewSchedulePacer(sched, tc.arrivals, 3)
			want := int64(len(hits(t, p)))
			res, err := New(Options{Seed: 3, MaxWorkers: 50, Sender: tc.sender}).Run(context.Background(),
				loadtest.RunSpec{Target: tc.url, Arrivals: tc.arrivals, Schedule: sched})
			if err != nil {
				t.Fatal(err)
			}
			tot := res.Totals
			mu.Lock()
			seen := got
			mu.Unlock()
			if tot.Sent+tot.Dropped != want {
				t.Errorf("sent %d + dropped %d, want the pacer's %d arrivals", tot.Sent, tot.Dropped, want)
			}
			if tot.Completed != tot.Sent || int64(seen) != tot.Sent {
				t.Errorf("sent %d, completed %d, server saw %d", tot.Sent, tot.Completed, seen)
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
			if w := res.Windows[0]; !w.Latency.Frozen() {
				t.Error("the first window is complete but its histogram was not frozen")
			}
			if res.SchemaVersion != loadtest.ResultSchemaVersion || res.Engine != "builtin" {
				t.Errorf("schema %q engine %q", res.SchemaVersion, res.Engine)
			}
		})
	}
}

// TestBuiltin_DropsWhenEveryWorkerIsBusy: a target that never answers
// holds the two workers; every later arrival is dropped, not queued.
func TestBuiltin_DropsWhenEveryWorkerIsBusy(t *testing.T) {
	for _, sender := range testSenders() {
		t.Run(sender, func(t *testing.T) { testDrops(t, sender) })
	}
}

// testSenders are the senders this platform has.
func testSenders() []string {
	if loopSupported {
		return []string{SenderLoop, SenderRaw, SenderNetHTTP}
	}
	return []string{SenderRaw, SenderNetHTTP}
}

func testDrops(t *testing.T, sender string) {
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
	res, err := New(Options{MaxWorkers: 2, Sender: sender}).Run(context.Background(),
		loadtest.RunSpec{Target: srv.URL, Arrivals: loadtest.ArrivalsConstant, Schedule: sched, Timeout: 1500 * time.Millisecond})
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
	for _, sender := range testSenders() {
		t.Run(sender, func(t *testing.T) { testInterrupt(t, sender) })
	}
}

func testInterrupt(t *testing.T, sender string) {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	sched := constantSchedule(20, 60*time.Second)
	var res *loadtest.Result
	done := make(chan error)
	go func() {
		var err error
		res, err = New(Options{Sender: sender}).Run(ctx, loadtest.RunSpec{Target: srv.URL, Arrivals: loadtest.ArrivalsConstant, Schedule: sched})
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
// generator only began at 300 ms and that took 10 ms counts 310 ms of
// latency and 300 ms of send lag, and the run is invalid (at 1 req/s the
// lag bound is a quarter of the 1 s gap between arrivals).
func TestRecorder_LatencyFromIntendedTime(t *testing.T) {
	sched := constantSchedule(1, 2*time.Second)
	p, _ := NewSchedulePacer(sched, loadtest.ArrivalsConstant, 1)
	rec := newRecorder(sched, p, nil)
	rec.sent(0, 0)
	rec.finished(0, 300*time.Millisecond, 310*time.Millisecond, 0, outcomeOK)
	rec.sent(time.Second, 0)
	rec.finished(time.Second, time.Second, time.Second+10*time.Millisecond, 0, "http_500")
	res := New(Options{}).result(loadtest.RunSpec{Target: "http://x", Schedule: sched, P95Target: 0.05}, rec, time.Unix(0, 0), sched.Duration(), false)
	if got := res.Windows[0].Latency.Max(); got < 0.3099 || got > 0.3101 {
		t.Errorf("latency %v s, want 0.310 from the intended time", got)
	}
	if got := res.SendLag.Max(); got < 0.2999 || got > 0.3001 {
		t.Errorf("send lag %v s, want 0.300", got)
	}
	if res.Valid || !strings.Contains(res.InvalidReason, "send-lag p99") {
		t.Errorf("valid %v %q", res.Valid, res.InvalidReason)
	}
	if res.Windows[1].Errors != 1 || res.Totals.Completed != 2 || res.Windows[0].TargetRate != 1 ||
		res.Windows[1].ErrorClasses["http_500"] != 1 || res.Totals.ErrorClasses["http_500"] != 1 || res.Endpoints != nil {
		t.Errorf("windows %+v", res.Windows)
	}
	if len(res.Thresholds) != 1 || res.Thresholds[0].Passed {
		t.Errorf("p95 0.11 s against a 0.05 s target: %+v", res.Thresholds)
	}
}

func TestBuiltin_RefusesBadSpecs(t *testing.T) {
	tests := []struct {
		name string
		spec loadtest.RunSpec
		want string
	}{
		{"no target", loadtest.RunSpec{Schedule: constantSchedule(1, time.Second)}, "target URL is required"},
		{"ftp", loadtest.RunSpec{Target: "ftp://x/", Schedule: constantSchedule(1, time.Second)}, "scheme"},
		{"no host", loadtest.RunSpec{Target: "http:///path", Schedule: constantSchedule(1, time.Second)}, "no host"},
		{"over the rate cap", loadtest.RunSpec{Target: "http://x/", MaxRate: 5, Schedule: constantSchedule(10, time.Second)}, "--max-rate"},
		{"bad arrivals", loadtest.RunSpec{Target: "http://x/", Arrivals: "bursty", Schedule: constantSchedule(1, time.Second)}, "arrivals"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(Options{}).Run(context.Background(), tc.spec)
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
	res, err := New(Options{MaxWorkers: 64}).Run(context.Background(),
		loadtest.RunSpec{Target: srv.URL, Arrivals: loadtest.ArrivalsConstant, Schedule: constantSchedule(rate, d)})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(res.Totals.Rate, "req/s")
	b.ReportMetric(res.SendLag.Quantile(0.99)*1e3, "lag-p99-ms")
}

// TestBuiltin_ReusesWarmConnections: at a low rate a thousand idle workers
// share keep-alive connections; they do not dial per request. (On an idle
// machine 40 requests use one or two connections; a loaded one stretches
// responses past the 50 ms between sends and opens a few more, so the bound
// is "far fewer than one per request", not an exact count.)
func TestBuiltin_ReusesWarmConnections(t *testing.T) {
	for _, sender := range []string{SenderLoop, SenderRaw} {
		if sender == SenderLoop && !loopSupported {
			continue
		}
		t.Run(sender, func(t *testing.T) {
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
			res, err := New(Options{MaxWorkers: 1000, Sender: sender}).Run(context.Background(),
				loadtest.RunSpec{Target: srv.URL, Arrivals: loadtest.ArrivalsConstant, Schedule: constantSchedule(20, 2*time.Second)})
			if err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			defer mu.Unlock()
			if res.Totals.Completed != 40 || conns > 15 {
				t.Errorf("%d requests over %d connections, want 40 over at most 15", res.Totals.Completed, conns)
			}
		})
	}
}

// TestLoopSender plays a few requests at each kind of answer through the
// event loop: how many complete, how many are errors, and whether the
// connection was kept (counted by the server).
func TestLoopSender(t *testing.T) {
	if !loopSupported {
		t.Skip("the loop sender is Linux only")
	}
	var mu sync.Mutex
	conns := 0
	var methods []string
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		methods = append(methods, r.Method)
		mu.Unlock()
		if r.Header.Get("User-Agent") != "headroom-loadtest" {
			http.Error(w, "unexpected request", http.StatusBadRequest)
			return
		}
		switch r.URL.Path {
		case "/close":
			w.Header().Set("Connection", "close")
		case "/chunked":
			w.Write([]byte(strings.Repeat("x", 100000)))
			w.(http.Flusher).Flush()
			w.Write([]byte("end"))
		case "/big":
			w.Header().Set("Content-Length", "300000")
			w.Write([]byte(strings.Repeat("y", 300000)))
		case "/slow":
			time.Sleep(300 * time.Millisecond)
		case "/missing":
			http.NotFound(w, r)
		case "/early-hints":
			w.Header().Set("Link", "</style.css>; rel=preload")
			w.WriteHeader(http.StatusEarlyHints)
			w.Write([]byte("ok"))
		}
	})
	srv := httptest.NewUnstartedServer(handler)
	srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			mu.Lock()
			conns++
			mu.Unlock()
		}
	}
	srv.Start()
	defer srv.Close()
	tests := []struct {
		path     string
		method   string
		timeout  time.Duration
		errors   int64
		maxConns int // at most this many connections for 10 requests (one is the loop's address probe)
		minConns int
	}{
		// Kept-alive answers share connections: on an idle machine one or
		// two, on a loaded one (a response slower than the 50 ms between
		// sends) a few more, far from /close's one per request.
		{"/", "", time.Second, 0, 5, 1},
		{"/", http.MethodHead, time.Second, 0, 5, 1},
		{"/close", "", time.Second, 0, 11, 10},
		{"/chunked", "", time.Second, 0, 5, 1},
		{"/big", "", time.Second, 0, 5, 1},
		{"/missing", "", time.Second, 10, 5, 1},
		{"/early-hints", "", time.Second, 0, 5, 1},
		{"/slow", "", 50 * time.Millisecond, 10, 11, 10},
	}
	for _, tc := range tests {
		t.Run(tc.method+tc.path, func(t *testing.T) {
			mu.Lock()
			conns, methods = 0, nil
			mu.Unlock()
			res, err := New(Options{Sender: SenderLoop}).Run(context.Background(), loadtest.RunSpec{
				Target: srv.URL + tc.path, Method: tc.method, Arrivals: loadtest.ArrivalsConstant,
				Schedule: constantSchedule(20, 500*time.Millisecond), Timeout: tc.timeout})
			if err != nil {
				t.Fatal(err)
			}
			tot := res.Totals
			if tot.Sent != 10 || tot.Completed != 10 || tot.Errors != tc.errors {
				t.Errorf("sent %d, completed %d, errors %d; want 10, 10, %d", tot.Sent, tot.Completed, tot.Errors, tc.errors)
			}
			mu.Lock()
			defer mu.Unlock()
			if conns < tc.minConns || conns > tc.maxConns {
				t.Errorf("%d connections, want %d to %d", conns, tc.minConns, tc.maxConns)
			}
			want := tc.method
			if want == "" {
				want = http.MethodGet
			}
			for _, m := range methods {
				if m != want {
					t.Fatalf("the server saw %s, want %s", m, want)
				}
			}
			if tc.path == "/slow" {
				if p50 := tot.Latency.Quantile(0.5); p50 < 0.05 || p50 > 0.08 {
					t.Errorf("timed-out requests recorded at %v s, want their 50 ms timeout", p50)
				}
			}
		})
	}
}

// TestLoopSender_ReplaysOnDeadKeepAlive: a server that answers one request
// per connection and drops the next unanswered. A GET on a kept-alive
// connection that dies before any answer is sent again once on a new
// connection (as net/http does), so no request fails.
func TestLoopSender_ReplaysOnDeadKeepAlive(t *testing.T) {
	for _, sender := range []string{SenderLoop, SenderRaw} {
		if sender == SenderLoop && !loopSupported {
			continue
		}
		t.Run(sender, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			var accepted atomic.Int64
			go func() {
				for {
					c, err := ln.Accept()
					if err != nil {
						return
					}
					accepted.Add(1)
					go func() {
						defer c.Close()
						br := bufio.NewReader(c)
						for i := 0; ; i++ {
							req, err := http.ReadRequest(br)
							if err != nil {
								return
							}
							req.Body.Close()
							if i == 1 {
								return // the second request: hang up without an answer
							}
							c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"))
						}
					}()
				}
			}()
			res, err := New(Options{Sender: sender}).Run(context.Background(), loadtest.RunSpec{
				Target: "http://" + ln.Addr().String() + "/", Arrivals: loadtest.ArrivalsConstant, Schedule: constantSchedule(10, 500*time.Millisecond)})
			if err != nil {
				t.Fatal(err)
			}
			if tot := res.Totals; tot.Completed != 5 || tot.Errors != 0 {
				t.Errorf("completed %d, errors %d; want 5 and 0", tot.Completed, tot.Errors)
			}
			// One per request, and for the loop one more: the probe that
			// picks which of the target's addresses answers.
			want := int64(5)
			if sender == SenderLoop {
				want = 6
			}
			if n := accepted.Load(); n != want {
				t.Errorf("%d connections, want %d", n, want)
			}
		})
	}
}

// TestLoopSender_RefusedAndMalformed: a port nobody listens on, and a
// server that does not speak HTTP, give errors, not a stuck run.
func TestLoopSender_RefusedAndMalformed(t *testing.T) {
	if !loopSupported {
		t.Skip("the loop sender is Linux only")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	junk, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer junk.Close()
	go func() {
		for {
			c, err := junk.Accept()
			if err != nil {
				return
			}
			go func() {
				c.Write([]byte("SSH-2.0-OpenSSH_9.6\r\n"))
				time.Sleep(100 * time.Millisecond)
				c.Close()
			}()
		}
	}()
	for _, target := range []string{"http://" + closed + "/", "http://" + junk.Addr().String() + "/"} {
		res, err := New(Options{Sender: SenderLoop}).Run(context.Background(), loadtest.RunSpec{
			Target: target, Arrivals: loadtest.ArrivalsConstant, Schedule: constantSchedule(10, 500*time.Millisecond), Timeout: 2 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		if tot := res.Totals; tot.Completed != 5 || tot.Errors != 5 {
			t.Errorf("%s: completed %d, errors %d; want 5 failed requests", target, tot.Completed, tot.Errors)
		}
	}
}

// TestLagBoundFor: the bound is a quarter of the mean gap between arrivals,
// never below the floor.
func TestLagBoundFor(t *testing.T) {
	for _, tc := range []struct {
		floor time.Duration
		rate  float64
		want  time.Duration
	}{
		{DefaultLagBound, 1000, DefaultLagBound},
		{DefaultLagBound, 50, DefaultLagBound}, // 20 ms gap: 5 ms
		{DefaultLagBound, 20, 12500 * time.Microsecond},
		{DefaultLagBound, 1, 250 * time.Millisecond},
		{DefaultLagBound, 0, DefaultLagBound},
		{DefaultLagBound, math.NaN(), DefaultLagBound},
		{20 * time.Millisecond, 20, 20 * time.Millisecond},
	} {
		if got := LagBoundFor(tc.floor, tc.rate); got != tc.want {
			t.Errorf("LagBoundFor(%s, %g) = %s, want %s", tc.floor, tc.rate, got, tc.want)
		}
	}
}
