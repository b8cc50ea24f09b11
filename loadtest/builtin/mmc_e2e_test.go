//go:build e2e

package builtin

import (
	"context"
	"fmt"
	"math"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/headroom-dev/headroom/loadtest"
	"github.com/headroom-dev/headroom/loadtest/internal/mmcserver"
	"github.com/headroom-dev/headroom/model"
)

func envInt(t *testing.T, name string, def, least int) int {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < least {
		t.Fatalf("%s=%q: want an integer ≥ %d", name, s, least)
	}
	return n
}

// TestBuiltinAgainstMMc drives a real M/M/c server (mmcserver: c slots, a
// FCFS queue, seeded exponential sleeps of mean 20 ms) on loopback with the
// built-in engine's Poisson arrivals at ρ = 0.5, 0.8 and 0.9, discards a
// 5 s warm-up, and holds the measured mean wait and p95 response time
// against model.MMc at the server's measured mean service time.
//
// c defaults to 1 (E2E_LOADTEST_WORKERS sets it): the mean wait at ρ = 0.5
// is then 20 ms, so 15 % is 3 ms, more than the few milliseconds of send lag
// and loopback HTTP a busy machine adds; at c = 2 it is 1.1 ms.
//
// A 30 s run cannot pin an M/M/c mean wait to 15 % by itself: the sampling
// error of the mean wait is 22–60 % (one standard deviation) at c = 1 or 2
// over 30 s (a Monte Carlo of 200 runs: go run ./hack/bench/mmcnoise). So the test
// uses the run's own sample path as a control variate: the arrivals (the
// engine's seeded intended times) and the service times the server measured
// go through an ideal FCFS c-server queue (mmcserver.SamplePath), and
//
//	estimate = measured − (sample path − M/M/c)
//
// which has the M/M/c mean if the engine measures the queue faithfully, and
// little variance. The estimate must be within 15 % of model.MMc, for the
// mean wait and for the p95; the raw measured values are logged.
func TestBuiltinAgainstMMc(t *testing.T) {
	secs := envInt(t, "E2E_LOADTEST_SECONDS", 30, 10)
	workers := envInt(t, "E2E_LOADTEST_WORKERS", 1, 1)
	for _, rho := range []float64{0.5, 0.8, 0.9} {
		t.Run(fmt.Sprintf("rho=%.1f", rho), func(t *testing.T) {
			mmcserver.RetryInvalid(t, func() ([]string, bool) { return measureMMc(t, workers, secs, rho) })
		})
	}
}

// measureMMc runs the engine against a fresh M/M/c server at ρ and returns
// the comparisons that failed and whether the run was valid.
func measureMMc(t *testing.T, workers, secs int, rho float64) (fails []string, valid bool) {
	const (
		mean   = 20 * time.Millisecond
		warmup = 5 * time.Second
		tol    = 0.15
	)
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

	lambda := rho * float64(workers) / mean.Seconds()
	sched := loadtest.Schedule{StartRate: lambda, Speedup: 1, Stages: []loadtest.Stage{{Duration: time.Duration(secs) * time.Second, Target: lambda}}}
	spec := loadtest.RunSpec{Target: "http://" + ln.Addr().String() + "/work", Arrivals: loadtest.ArrivalsPoisson, Timeout: 20 * time.Second, Schedule: sched}
	const seed = 11
	res, err := New(Options{Seed: seed, MaxWorkers: 2000}).Run(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	if res.Totals.Dropped > 0 || res.Totals.Errors > 0 {
		t.Fatalf("dropped %d, errors %d: the queue was not served whole", res.Totals.Dropped, res.Totals.Errors)
	}

	// The sample path of this run's arrivals and service times.
	pacer, _ := NewSchedulePacer(sched, loadtest.ArrivalsPoisson, seed)
	var arrivals []time.Duration
	for n := uint64(0); ; n++ {
		at, ok := pacer.At(n)
		if !ok {
			break
		}
		arrivals = append(arrivals, at)
	}
	services := srv.ServiceTimes()
	if len(services) != len(arrivals) {
		t.Fatalf("server served %d, the pacer sent %d", len(services), len(arrivals))
	}
	waits := mmcserver.SamplePath(arrivals, services, workers)
	var spWait, spService float64
	var spResp []float64
	var allService float64
	for i, a := range arrivals {
		allService += services[i].Seconds()
		if a < warmup {
			continue
		}
		spWait += waits[i].Seconds()
		spService += services[i].Seconds()
		spResp = append(spResp, (waits[i] + services[i]).Seconds())
	}
	n := float64(len(spResp))
	spWait /= n
	spService /= n
	slices.Sort(spResp)
	spP95 := spResp[int(math.Ceil(0.95*n))-1]

	// What the engine measured, after the warm-up.
	steady := loadtest.NewHistogram()
	for _, w := range res.Windows[int(warmup/time.Second):] {
		steady.Merge(w.Latency)
	}
	if float64(steady.Count()) != n {
		t.Fatalf("engine measured %d requests after the warm-up, the pacer sent %.0f", steady.Count(), n)
	}
	gotWait := steady.Mean() - spService
	gotP95 := steady.Quantile(0.95)

	q := model.MMc{Lambda: lambda, Mu: float64(len(services)) / allService, C: workers}
	if err := q.Validate(); err != nil {
		t.Fatalf("the measured service times make the queue unstable: %v", err)
	}
	wantWait, wantP95 := q.MeanWait(), q.ResponseQuantile(0.95)
	estWait := gotWait - (spWait - wantWait)
	estP95 := gotP95 - (spP95 - wantP95)

	st := srv.Stats()
	t.Logf("c=%d ρ=%.3f λ=%.1f/s, %d requests after warm-up; service mean %.2f ms (sleep overshoot now %.3f ms); send-lag p99 %.2f ms; valid=%v %s",
		workers, q.Utilisation(), lambda, int(n), 1e3/q.Mu, st.OvershootSeconds*1e3, res.SendLag.Quantile(0.99)*1e3, res.Valid, res.InvalidReason)
	t.Logf("mean wait: measured %.2f ms, sample path %.2f ms, M/M/c %.2f ms → estimate %.2f ms (%+.1f %%); server-side (whole run, warm-up included) %.2f ms",
		gotWait*1e3, spWait*1e3, wantWait*1e3, estWait*1e3, (estWait/wantWait-1)*100, st.MeanWait()*1e3)
	t.Logf("p95 response: measured %.2f ms, sample path %.2f ms, M/M/c %.2f ms → estimate %.2f ms (%+.1f %%)",
		gotP95*1e3, spP95*1e3, wantP95*1e3, estP95*1e3, (estP95/wantP95-1)*100)
	if rel := math.Abs(estWait-wantWait) / wantWait; rel > tol {
		fails = append(fails, fmt.Sprintf("mean wait estimate %.2f ms vs M/M/c %.2f ms: off by %.0f %% > %.0f %%", estWait*1e3, wantWait*1e3, rel*100, tol*100))
	}
	if rel := math.Abs(estP95-wantP95) / wantP95; rel > tol {
		fails = append(fails, fmt.Sprintf("p95 estimate %.2f ms vs M/M/c %.2f ms: off by %.0f %% > %.0f %%", estP95*1e3, wantP95*1e3, rel*100, tol*100))
	}
	if !res.Valid {
		t.Logf("note: the run is marked invalid: %s", res.InvalidReason)
	}
	return fails, res.Valid
}
