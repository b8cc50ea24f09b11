//go:build e2e

package builtin

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/headroom-dev/headroom/loadtest"
	"github.com/headroom-dev/headroom/loadtest/internal/mmcserver"
)

// TestSendLagLowRates plays 20, 50 and 200 req/s of Poisson arrivals
// against a loopback M/M/c server (4 slots, 5 ms mean: the queue stays
// short) with the default sender and requires a valid run: a steady
// generator at tens of requests per second is the norm, not the exception
// (LagBoundFor: 12.5 ms at 20 req/s, a quarter of the 50 ms mean gap
// between arrivals; 5 ms at 50 and 200 req/s). The send-lag percentiles are
// logged. On a machine whose load average is above its CPU count the
// test measures and logs, then skips: the requirement is for a quiet
// machine (E2E_SENDLAG_FORCE=1 requires it anyway). E2E_SENDLAG_SECONDS (default 15) sets each run's length and
// E2E_SENDLAG_SENDER the sender (loop, raw, nethttp) for comparisons.
func TestSendLagLowRates(t *testing.T) {
	secs := envInt(t, "E2E_SENDLAG_SECONDS", 15, 2)
	sender := SenderAuto
	if s := envString("E2E_SENDLAG_SENDER"); s != "" {
		sender = s
	}
	for _, rate := range []float64{20, 50, 200} {
		t.Run(fmt.Sprintf("rate=%g", rate), func(t *testing.T) {
			if load, busy := machineBusy(); busy && os.Getenv("E2E_SENDLAG_FORCE") == "" {
				// A run is valid only on a quiet machine: with more runnable
				// threads than cores the kernel wakes the generator late
				// whatever it does, and the test would measure the machine.
				res := playSteady(t, sender, rate, secs)
				t.Skipf("load average %.1f on %d CPUs: not a quiet machine; measured send lag p50 %.3f ms, p99 %.3f ms, valid=%v",
					load, runtime.NumCPU(), res.SendLag.Quantile(0.5)*1e3, res.SendLag.Quantile(0.99)*1e3, res.Valid)
			}
			mmcserver.RetryInvalid(t, func() ([]string, bool) {
				res := playSteady(t, sender, rate, secs)
				lag := res.SendLag
				t.Logf("%s %g req/s for %d s: send lag p50 %.3f ms, p99 %.3f ms, max %.3f ms (bound %.1f ms); valid=%v %s",
					sender, rate, secs, lag.Quantile(0.5)*1e3, lag.Quantile(0.99)*1e3, lag.Max()*1e3,
					LagBoundFor(DefaultLagBound, rate).Seconds()*1e3, res.Valid, res.InvalidReason)
				if !res.Valid {
					return []string{"the run is invalid: " + res.InvalidReason}, false
				}
				return nil, true
			})
		})
	}
}

func envString(name string) string { return os.Getenv(name) }

// machineBusy reports the one-minute load average and whether it is above
// the number of CPUs (Linux /proc/loadavg; elsewhere the machine counts as
// quiet).
func machineBusy() (float64, bool) {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0, false
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0, false
	}
	load, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return 0, false
	}
	return load, load > float64(runtime.NumCPU())
}

// playSteady runs the engine at a constant Poisson rate against a fresh
// loopback server and returns the result.
func playSteady(t *testing.T, sender string, rate float64, secs int) *loadtest.Result {
	t.Helper()
	srv, err := mmcserver.New(mmcserver.Config{Workers: 4, MeanService: 5 * time.Millisecond, Seed: 3})
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
	sched := loadtest.Schedule{StartRate: rate, Speedup: 1, Stages: []loadtest.Stage{{Duration: time.Duration(secs) * time.Second, Target: rate}}}
	spec := loadtest.RunSpec{Target: "http://" + ln.Addr().String() + "/work", Arrivals: loadtest.ArrivalsPoisson, Timeout: 10 * time.Second, Schedule: sched}
	res, err := New(Options{Seed: 5, Sender: sender}).Run(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	return res
}
