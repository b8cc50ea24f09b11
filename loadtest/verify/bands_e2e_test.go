//go:build e2e

package verify

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/headroom-dev/headroom/loadtest"
	"github.com/headroom-dev/headroom/loadtest/builtin"
	"github.com/headroom-dev/headroom/loadtest/internal/mmcserver"
	"github.com/headroom-dev/headroom/scenarios"
)

func envIntV(t testing.TB, name string, def, least int) int {
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

// TestBandsAgainstMG3 is issue 21's held-to-it test. A loopback server
// with 3 FIFO slots and lognormal service times (mean 50 ms, cv 1.5) is
// driven with Poisson arrivals at ρ = 0.5, 0.8 and 0.9 for
// E2E_BANDS_SECONDS (default 60) seconds, E2E_BANDS_REPS (default 1)
// seeded repetitions each, and every run is compared twice: with the
// correct plan, which must AGREE in at least 90 % of the valid runs, and
// with the service time 30 % off (35 ms and 65 ms; at ρ = 0.9 the latter
// is an overloaded queue), which must DISAGREE in at least 90 %. In CI one repetition per ρ (3 minutes of runs); for
// rates, hack/bench/bands.sh runs more and prints them. A run the
// generator spoiled (Result.Valid false) is not counted, unless
// E2E_BANDS_COUNT_INVALID is set: then it is judged by its band tests
// alone (a loaded machine's send lag adds to the measured latencies).
// E2E_BANDS_RHO runs one load only; E2E_BANDS_FIRST numbers the first
// repetition (its seeds), for more repetitions in another process. With one repetition a miss is
// measured once more with other seeds and that run judged (a correct
// model misses its bands in about 5 % of runs by design).
func TestBandsAgainstMG3(t *testing.T) {
	secs := envIntV(t, "E2E_BANDS_SECONDS", 60, 20)
	reps := envIntV(t, "E2E_BANDS_REPS", 1, 1)
	countInvalid := os.Getenv("E2E_BANDS_COUNT_INVALID") != ""
	first := envIntV(t, "E2E_BANDS_FIRST", 0, 0)
	const mean = 50 * time.Millisecond
	rhos := []float64{0.5, 0.8, 0.9}
	if s := os.Getenv("E2E_BANDS_RHO"); s != "" {
		r, err := strconv.ParseFloat(s, 64)
		if err != nil || !(r > 0 && r < 1) {
			t.Fatalf("E2E_BANDS_RHO=%q: want a load in (0, 1)", s)
		}
		rhos = []float64{r}
	}
	for _, rho := range rhos {
		t.Run(fmt.Sprintf("rho=%.1f", rho), func(t *testing.T) {
			lambda := rho * 3 / mean.Seconds()
			right, short, long := mg3(t, lambda, mean, secs), mg3(t, lambda, 35*time.Millisecond, secs), mg3(t, lambda, 65*time.Millisecond, secs)
			var valid, agree, disagreeShort, disagreeLong int
			measure := func(first int) {
				valid, agree, disagreeShort, disagreeLong = 0, 0, 0, 0
				for rep := first; rep < first+reps; rep++ {
					res, served := runMG3(t, lambda, secs, uint64(100+rep+int(rho*1000)), int64(200+rep+int(rho*1000)))
					if !res.Valid && !countInvalid && reps == 1 {
						// As mmcserver.RetryInvalid: a run the generator spoiled
						// is measured once more, with other seeds.
						t.Logf("rep %d: invalid run (%s): measuring once more", rep, res.InvalidReason)
						res, served = runMG3(t, lambda, secs, uint64(150+rep+int(rho*1000)), int64(250+rep+int(rho*1000)))
					}
					if !res.Valid {
						if !countInvalid {
							t.Logf("rep %d: invalid run (%s): not counted", rep, res.InvalidReason)
							continue
						}
						t.Logf("rep %d: invalid run (%s): judged by its bands alone (E2E_BANDS_COUNT_INVALID)", rep, res.InvalidReason)
					}
					valid++
					for _, c := range []struct {
						plan *scenarios.Plan
						name string
					}{{right, "correct"}, {short, "30%-short"}, {long, "30%-long"}} {
						cmp, err := Compare(context.Background(), c.plan, res, CompareOptions{Service: "mg3", Scenario: "steady"})
						if err != nil {
							t.Fatal(err)
						}
						var tests []string
						for _, bt := range cmp.Tests {
							tests = append(tests, fmt.Sprintf("%s %d/%d p=%.2g whole %.4g [%.4g–%.4g] p=%.2g", bt.Metric, bt.Outside, bt.Buckets, bt.PValue, bt.WholeMeasured, bt.Whole.Low, bt.Whole.High, bt.WholePValue))
						}
						ok := bandsAgree(cmp)
						verdict := "AGREE"
						if !ok {
							verdict = "DISAGREE"
						}
						t.Logf("rep %d %s plan: bands %s, run valid %v (server mean service %.2f ms; send-lag p99 %.2f ms); %s", rep, c.name, verdict, res.Valid,
							served*1e3, res.SendLag.Quantile(0.99)*1e3, strings.Join(tests, "; "))
						switch {
						case c.name == "correct" && ok:
							agree++
						case c.name == "30%-short" && !ok:
							disagreeShort++
						case c.name == "30%-long" && !ok:
							disagreeLong++
						}
					}
				}
			}
			measure(first)
			if reps == 1 && valid == 1 && (agree == 0 || disagreeShort == 0 || disagreeLong == 0) {
				// One repetition is a sample of one: a correct model misses
				// its bands in about 5 % of runs by design. Measure once
				// more with other seeds and judge that run.
				t.Logf("ρ=%.1f: the single repetition missed; measuring once more", rho)
				measure(first + 1)
			}
			if valid == 0 {
				t.Skip("every run was invalid (the generator lagged): nothing to judge")
			}
			t.Logf("ρ=%.1f: correct plan AGREE %d/%d, 30 %%-short plan DISAGREE %d/%d, 30 %%-long plan DISAGREE %d/%d", rho, agree, valid, disagreeShort, valid, disagreeLong, valid)
			if float64(agree) < 0.9*float64(valid) {
				t.Errorf("correct plan agreed in %d of %d runs, want ≥ 90 %%", agree, valid)
			}
			if float64(disagreeShort) < 0.9*float64(valid) || float64(disagreeLong) < 0.9*float64(valid) {
				t.Errorf("wrong plans disagreed in %d and %d of %d runs, want ≥ 90 %%", disagreeShort, disagreeLong, valid)
			}
		})
	}
}

// runMG3 drives a fresh lognormal M/G/3 server at λ for secs seconds and
// returns the result and the server's measured mean service time.
func runMG3(t testing.TB, lambda float64, secs int, serverSeed uint64, engineSeed int64) (*loadtest.Result, float64) {
	srv, err := mmcserver.New(mmcserver.Config{Workers: 3, MeanService: 50 * time.Millisecond, CV: 1.5, Seed: serverSeed})
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
	sched := loadtest.Schedule{StartRate: lambda, Speedup: 1, Stages: []loadtest.Stage{{Duration: time.Duration(secs) * time.Second, Target: lambda}}}
	res, err := builtin.New(builtin.Options{Seed: engineSeed, MaxWorkers: 2000}).Run(context.Background(),
		loadtest.RunSpec{Target: "http://" + ln.Addr().String() + "/work", Arrivals: loadtest.ArrivalsPoisson, Timeout: 20 * time.Second,
			Schedule: sched, Service: "mg3", Scenario: "steady"})
	if err != nil {
		t.Fatal(err)
	}
	return res, srv.Stats().MeanService()
}

// bandsAgree: every band test passed (the run's validity aside).
func bandsAgree(c *Comparison) bool {
	if len(c.Tests) == 0 {
		return false
	}
	for _, t := range c.Tests {
		if !t.Pass {
			return false
		}
	}
	return true
}
