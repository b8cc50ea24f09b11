package builtin

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"io"
	"log"
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

const testSecret = "s3cr3t-token-value-7f1d"

// mixServer answers GET /a (200), POST /b (200 when the body is the one
// expected, else 400) and GET /c (503), each only with the right bearer
// token (401 without), and counts what it saw per path.
type mixServer struct {
	mu   sync.Mutex
	seen map[string]int
	bad  atomic.Int64 // requests whose method, header or body were wrong
}

func (m *mixServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	m.mu.Lock()
	m.seen[r.URL.Path]++
	m.mu.Unlock()
	if r.Header.Get("Authorization") != "Bearer "+testSecret || r.Header.Get("User-Agent") != "headroom-loadtest" {
		m.bad.Add(1)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	switch {
	case r.URL.Path == "/a" && r.Method == http.MethodGet && len(body) == 0:
	case r.URL.Path == "/b" && r.Method == http.MethodPost && string(body) == `{"item":42}` && r.Header.Get("Content-Type") == "application/json":
	case r.URL.Path == "/c" && r.Method == http.MethodGet:
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	default:
		m.bad.Add(1)
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	w.Write([]byte("ok"))
}

func testMix(base string) []loadtest.Endpoint {
	auth := loadtest.Header{Name: "Authorization", Value: "Bearer " + testSecret, Secret: true, SecretSource: "env:TOKEN"}
	return []loadtest.Endpoint{
		{Name: "read", URL: base + "/a", Header: []loadtest.Header{auth}, Weight: 3},
		{Name: "write", Method: http.MethodPost, URL: base + "/b", Body: []byte(`{"item":42}`),
			Header: []loadtest.Header{auth, {Name: "Content-Type", Value: "application/json"}}, Weight: 2},
		{Name: "broken", URL: base + "/c", Header: []loadtest.Header{auth}, Weight: 1},
	}
}

// TestMix_EverySender: each sender plays the same seeded sequence of
// endpoints (the per-endpoint counts agree across senders), sends each
// endpoint's method, headers and body, and keeps per-endpoint windows
// whose sums are the totals; the 503s of one endpoint are classed
// http_503 in its windows and in the totals. No file or line the engine
// writes holds the secret header's value.
func TestMix_EverySender(t *testing.T) {
	var first []int64
	for _, sender := range testSenders() {
		t.Run(sender, func(t *testing.T) {
			ms := &mixServer{seen: map[string]int{}}
			srv := httptest.NewServer(ms)
			defer srv.Close()
			var progress bytes.Buffer
			sched := constantSchedule(300, time.Second)
			spec := loadtest.RunSpec{Target: srv.URL + "/", Endpoints: testMix(srv.URL), Arrivals: loadtest.ArrivalsPoisson,
				Schedule: sched, Progress: &progress}
			res, err := New(Options{Seed: 5, Sender: sender, MaxWorkers: 200}).Run(context.Background(), spec)
			if err != nil {
				t.Fatal(err)
			}
			if ms.bad.Load() != 0 {
				t.Fatalf("%d requests had the wrong method, headers or body", ms.bad.Load())
			}
			if len(res.Endpoints) != 3 {
				t.Fatalf("%d endpoint results, want 3", len(res.Endpoints))
			}
			var sent []int64
			var sum loadtest.Window
			for i, e := range res.Endpoints {
				sent = append(sent, e.Totals.Sent+e.Totals.Dropped) // the arrivals that picked it
				sum.Add(e.Totals)
				path := []string{"/a", "/b", "/c"}[i]
				ms.mu.Lock()
				seen := ms.seen[path]
				ms.mu.Unlock()
				if int64(seen) != e.Totals.Completed || e.Path != path {
					t.Errorf("%s: the server saw %d on %s, the engine completed %d (path %q)", e.Name, seen, path, e.Totals.Completed, e.Path)
				}
				if len(e.Windows) != len(res.Windows) {
					t.Errorf("%s: %d windows, want %d", e.Name, len(e.Windows), len(res.Windows))
				}
			}
			if sum.Sent != res.Totals.Sent || sum.Completed != res.Totals.Completed || sum.Errors != res.Totals.Errors ||
				sum.Latency.Count() != res.Totals.Latency.Count() {
				t.Errorf("the endpoints add to sent %d completed %d errors %d, the totals are %d %d %d",
					sum.Sent, sum.Completed, sum.Errors, res.Totals.Sent, res.Totals.Completed, res.Totals.Errors)
			}
			broken := res.Endpoints[2].Totals
			if broken.Errors == 0 || broken.ErrorClasses["http_503"] != broken.Errors || res.Totals.ErrorClasses["http_503"] != res.Totals.Errors ||
				res.Endpoints[0].Totals.Errors != 0 {
				t.Errorf("503s: endpoint %+v, totals %v", broken.ErrorClasses, res.Totals.ErrorClasses)
			}
			if first == nil {
				first = sent
			} else if !equalInts(first, sent) {
				t.Errorf("arrivals per endpoint %v, the first sender's %v: the mix depends on the sender", sent, first)
			}
			js, _ := json.Marshal(res)
			if bytes.Contains(js, []byte(testSecret)) || bytes.Contains(progress.Bytes(), []byte(testSecret)) {
				t.Error("the secret header value is in the result or the progress output")
			}
		})
	}
}

func equalInts(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestMix_ArrivalsIndependentOfTheMix: the mix draws from a stream of its
// own, so the arrivals of a seed are those of a run without a mix, and a
// run without endpoints writes no per-endpoint results; the picks follow
// the weights.
func TestMix_ArrivalsIndependentOfTheMix(t *testing.T) {
	srv := httptest.NewServer(&mixServer{seen: map[string]int{}})
	defer srv.Close()
	sched := constantSchedule(200, 2*time.Second)
	plain := loadtest.RunSpec{Target: srv.URL + "/a", Arrivals: loadtest.ArrivalsPoisson, Schedule: sched}
	mix := plain
	mix.Endpoints = testMix(srv.URL)
	a, err := New(Options{Seed: 9, Sender: SenderRaw}).Run(context.Background(), plain)
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(Options{Seed: 9, Sender: SenderRaw}).Run(context.Background(), mix)
	if err != nil {
		t.Fatal(err)
	}
	if a.Endpoints != nil {
		t.Errorf("a run without endpoints has endpoint results")
	}
	for i := range a.Windows {
		if a.Windows[i].Sent+a.Windows[i].Dropped != b.Windows[i].Sent+b.Windows[i].Dropped {
			t.Errorf("window %d: %d arrivals without the mix, %d with", i, a.Windows[i].Sent, b.Windows[i].Sent)
		}
	}

	p := newPicker(testMix("http://x"), 3)
	counts := make([]int, 3)
	const n = 60000
	for range n {
		counts[p.pick()]++
	}
	for i, w := range []float64{0.5, 1.0 / 3, 1.0 / 6} {
		if got := float64(counts[i]) / n; got < w-0.01 || got > w+0.01 {
			t.Errorf("endpoint %d picked %.3f of the time, want %.3f", i, got, w)
		}
	}
	if newPicker(testMix("http://x")[:1], 3) != nil {
		t.Error("a one-endpoint mix draws")
	}
}

// TestMix_Refuses: an endpoint off the target host, a bad weight, a
// duplicate name and a header with a newline are refused before any
// request, and the error never shows a header's value.
func TestMix_Refuses(t *testing.T) {
	base := "http://127.0.0.1:1"
	tests := []struct {
		name string
		eps  []loadtest.Endpoint
		want string
	}{
		{"other host", []loadtest.Endpoint{{Name: "x", URL: "http://example.com/", Weight: 1}}, "not on the target"},
		{"other port", []loadtest.Endpoint{{Name: "x", URL: "http://127.0.0.1:2/", Weight: 1}}, "not on the target"},
		{"other scheme", []loadtest.Endpoint{{Name: "x", URL: "https://127.0.0.1:1/", Weight: 1}}, "not on the target"},
		{"weight", []loadtest.Endpoint{{Name: "x", URL: base + "/", Weight: 0}}, "weight"},
		{"duplicate", []loadtest.Endpoint{{Name: "x", URL: base + "/", Weight: 1}, {Name: "x", URL: base + "/", Weight: 1}}, "used twice"},
		{"newline", []loadtest.Endpoint{{Name: "x", URL: base + "/", Weight: 1,
			Header: []loadtest.Header{{Name: "X-Token", Value: testSecret + "\r\nEvil: 1", Secret: true}}}}, "control character"},
		{"framing", []loadtest.Endpoint{{Name: "x", URL: base + "/", Weight: 1,
			Header: []loadtest.Header{{Name: "Content-Length", Value: "5"}}}}, "framing"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			spec := loadtest.RunSpec{Target: base + "/", Endpoints: tc.eps, Schedule: constantSchedule(1, time.Second)}
			_, err := New(Options{}).Run(context.Background(), spec)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
			if strings.Contains(err.Error(), testSecret) {
				t.Errorf("the error shows the secret: %v", err)
			}
		})
	}
}

// TestErrorClasses_EverySender: a refused connection, a timeout and a
// connection reset before the answer are classed by cause, per endpoint
// and in total, by every sender.
func TestErrorClasses_EverySender(t *testing.T) {
	// A port nothing listens on.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	refused := "http://" + ln.Addr().String()
	ln.Close()
	// A server that resets every POST /reset and never answers /slow.
	addr := serveConns(t, func(c net.Conn) {
		defer c.Close()
		buf := make([]byte, 4096)
		n, _ := c.Read(buf)
		switch {
		case bytes.HasPrefix(buf[:n], []byte("POST /reset ")):
			c.(*net.TCPConn).SetLinger(0)
		case bytes.HasPrefix(buf[:n], []byte("GET /slow ")):
			time.Sleep(700 * time.Millisecond)
		}
	})
	for _, sender := range testSenders() {
		t.Run(sender, func(t *testing.T) {
			sched := constantSchedule(10, time.Second)
			spec := loadtest.RunSpec{Target: refused + "/", Schedule: sched, Arrivals: loadtest.ArrivalsConstant}
			res, err := New(Options{Sender: sender}).Run(context.Background(), spec)
			if err != nil {
				t.Fatal(err)
			}
			if got := res.Totals.ErrorClasses[loadtest.ErrorConnectionRefused]; got != 10 || res.Totals.Errors != 10 {
				t.Errorf("refused: classes %v, errors %d", res.Totals.ErrorClasses, res.Totals.Errors)
			}
			base := "http://" + addr
			spec = loadtest.RunSpec{Target: base + "/", Schedule: sched, Arrivals: loadtest.ArrivalsConstant, Timeout: 200 * time.Millisecond,
				Endpoints: []loadtest.Endpoint{
					{Name: "reset", Method: http.MethodPost, URL: base + "/reset", Body: []byte("x"), Weight: 1},
					{Name: "slow", URL: base + "/slow", Weight: 1},
				}}
			res, err = New(Options{Sender: sender, Seed: 2}).Run(context.Background(), spec)
			if err != nil {
				t.Fatal(err)
			}
			r, s := res.Endpoints[0].Totals, res.Endpoints[1].Totals
			if r.Sent == 0 || s.Sent == 0 || r.ErrorClasses[loadtest.ErrorConnectionReset] != r.Sent || s.ErrorClasses[loadtest.ErrorTimeout] != s.Sent {
				t.Errorf("reset endpoint sent %d classes %v; slow endpoint sent %d classes %v", r.Sent, r.ErrorClasses, s.Sent, s.ErrorClasses)
			}
			if res.Totals.ErrorClasses[loadtest.ErrorConnectionReset]+res.Totals.ErrorClasses[loadtest.ErrorTimeout] != 10 {
				t.Errorf("totals %v", res.Totals.ErrorClasses)
			}
		})
	}
}

// TestTLS_EverySender: an https target with a private CA works with
// RootCAs or InsecureSkipVerify, fails with class "tls" without them, and
// the loop sender hands it to the raw sender, saying so once.
func TestTLS_EverySender(t *testing.T) {
	srv := httptest.NewUnstartedServer(&mixServer{seen: map[string]int{}})
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes are the test
	srv.StartTLS()
	defer srv.Close()
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	spec := loadtest.RunSpec{Target: srv.URL + "/", Endpoints: testMix(srv.URL), Schedule: constantSchedule(20, time.Second),
		Arrivals: loadtest.ArrivalsConstant}
	for _, sender := range testSenders() {
		t.Run(sender, func(t *testing.T) {
			var notes bytes.Buffer
			res, err := New(Options{Sender: sender, RootCAs: pool, Notes: &notes}).Run(context.Background(), spec)
			if err != nil {
				t.Fatal(err)
			}
			if res.Totals.Completed != 20 || res.Totals.Errors != res.Endpoints[2].Totals.Errors {
				t.Errorf("completed %d errors %v", res.Totals.Completed, res.Totals.ErrorClasses)
			}
			if (sender == SenderLoop) != strings.Contains(notes.String(), "raw sender sends this run") || strings.Count(notes.String(), "\n") > 1 {
				t.Errorf("notes %q", notes.String())
			}
			res, err = New(Options{Sender: sender, InsecureSkipVerify: true}).Run(context.Background(), spec)
			if err != nil || res.Totals.Errors != res.Endpoints[2].Totals.Errors {
				t.Errorf("insecure: %v %v", err, res.Totals.ErrorClasses)
			}
			res, err = New(Options{Sender: sender}).Run(context.Background(), spec)
			if err != nil || res.Totals.ErrorClasses[loadtest.ErrorTLS] != 20 {
				t.Errorf("untrusted: %v %v", err, res.Totals.ErrorClasses)
			}
		})
	}
}

func TestClassify(t *testing.T) {
	if got := classify(&net.DNSError{Err: "no such host", Name: "x"}); got != loadtest.ErrorDNS {
		t.Errorf("DNS: %s", got)
	}
	if got := httpClass(404); got != "http_404" {
		t.Errorf("404: %s", got)
	}
	if got := classify(io.ErrClosedPipe); got != loadtest.ErrorOther {
		t.Errorf("other: %s", got)
	}
}

// BenchmarkMixAccounting is what the mix adds per request on the engine's
// hot path: the endpoint pick and the recorder's sent + finished, without
// a mix (one request, no draw, no per-endpoint windows) and with three
// weighted endpoints.
func BenchmarkMixAccounting(b *testing.B) {
	for _, tc := range []struct {
		name string
		eps  []loadtest.Endpoint
	}{{"none", nil}, {"mix3", testMix("http://x")}} {
		b.Run(tc.name, func(b *testing.B) {
			sched := constantSchedule(1e6, time.Hour)
			p, _ := NewSchedulePacer(sched, loadtest.ArrivalsConstant, 1)
			rec := newRecorder(sched, p, tc.eps)
			pick := newPicker(tc.eps, 1)
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				at := time.Duration(i) * time.Microsecond // a million requests a second, in order
				ep := pick.pick()
				rec.sent(at, ep)
				rec.finished(at, at, at+300*time.Microsecond, ep, outcomeOK)
			}
		})
	}
}
