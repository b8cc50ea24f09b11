//go:build e2e

package loadtest

import (
	"context"
	"fmt"
	"math"
	"net"
	"net/http"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/headroom-dev/headroom/loadtest/internal/mmcserver"
	"github.com/headroom-dev/headroom/model"
)

// e2eSeconds is each run's length; E2E_LOADTEST_SECONDS overrides it.
func e2eSeconds(t *testing.T) int {
	if s := os.Getenv("E2E_LOADTEST_SECONDS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 5 {
			t.Fatalf("E2E_LOADTEST_SECONDS=%q: want an integer ≥ 5", s)
		}
		return n
	}
	return 30
}

// TestBuiltinAgainstMMc drives a real M/M/c server on loopback with Poisson
// arrivals and holds the measured mean wait and p95 response time against
// model.MMc at the server's measured mean service time.
func TestBuiltinAgainstMMc(t *testing.T) {
	const (
		workers = 8
		mean    = 20 * time.Millisecond
		warmup  = 5 // seconds discarded
		tol     = 0.15
	)
	secs := e2eSeconds(t)
	for _, rho := range []float64{0.5, 0.8, 0.9} {
		t.Run(fmt.Sprintf("rho=%.1f", rho), func(t *testing.T) {
			srv, err := mmcserver.New(mmcserver.Config{Workers: workers, MeanService: mean, Seed: 7})
			if err != nil {
				t.Fatal(err)
			}
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			hs := &http.Server{Handler: srv}
			go hs.Serve(ln)
			defer hs.Close()

			lambda := rho * workers / mean.Seconds()
			spec := RunSpec{
				Target:   "http://" + ln.Addr().String() + "/work",
				Arrivals: ArrivalsPoisson,
				Timeout:  10 * time.Second,
				Schedule: Schedule{StartRate: lambda, Speedup: 1, Stages: []Stage{{Duration: time.Duration(secs) * time.Second, Target: lambda}}},
			}
			res, err := NewBuiltin(BuiltinOptions{Seed: 11, MaxWorkers: 2000}).Run(context.Background(), spec)
			if err != nil {
				t.Fatal(err)
			}
			st := srv.Stats()
			steady := NewHistogram()
			var completed, sent int64
			for _, w := range res.Windows[warmup:] {
				steady.Merge(w.Latency)
				completed += w.Completed
				sent += w.Sent
			}
			svc := st.MeanService()
			q := model.MMc{Lambda: lambda, Mu: 1 / svc, C: workers}
			if err := q.Validate(); err != nil {
				t.Fatalf("measured queue: %v", err)
			}
			wantWait, wantP95 := q.MeanWait(), q.ResponseQuantile(0.95)
			gotWait := steady.Mean() - svc
			gotP95 := steady.Quantile(0.95)
			t.Logf("ρ=%.2f λ=%.0f/s: served %d, service mean %.2f ms (overshoot %.3f ms); send-lag p99 %.2f ms; valid=%v %s",
				q.Utilisation(), lambda, st.Served, svc*1e3, st.OvershootSeconds*1e3, res.SendLag.Quantile(0.99)*1e3, res.Valid, res.InvalidReason)
			t.Logf("mean wait: measured %.2f ms (server-side %.2f ms), M/M/c %.2f ms; p95 response: measured %.2f ms, M/M/c %.2f ms",
				gotWait*1e3, st.MeanWait()*1e3, wantWait*1e3, gotP95*1e3, wantP95*1e3)
			if !res.Valid {
				t.Errorf("run invalid: %s", res.InvalidReason)
			}
			if rel := math.Abs(gotWait-wantWait) / wantWait; rel > tol {
				t.Errorf("mean wait %.2f ms vs M/M/c %.2f ms: off by %.0f %% > %.0f %%", gotWait*1e3, wantWait*1e3, rel*100, tol*100)
			}
			if rel := math.Abs(gotP95-wantP95) / wantP95; rel > tol {
				t.Errorf("p95 %.2f ms vs M/M/c %.2f ms: off by %.0f %% > %.0f %%", gotP95*1e3, wantP95*1e3, rel*100, tol*100)
			}
			if completed != sent {
				t.Errorf("steady state: %d sent, %d completed", sent, completed)
			}
		})
	}
}
