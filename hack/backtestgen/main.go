// Command backtestgen writes the "production" history the backtest e2e
// suite (hack/e2e/suites/25-backtest.sh) backfills into Prometheus, as
// OpenMetrics text for `promtool tsdb create-blocks-from openmetrics`.
//
// It must not come from the fluid model that `headroom backtest` replays,
// so it is made by other means:
//
//   - the request-level discrete-event simulator (sim's DES mode) runs the
//     plan's "production" scenario with its own seed: its queues give the
//     per-minute request, error, CPU and latency figures, and its HPA (the
//     conformance-checked sim/hpa) the replica decisions;
//   - requests are spread over the Ready pods with random per-pod weights
//     every minute (load-balancing noise), and each pod's CPU follows its
//     share;
//   - the latency histogram of a minute has the DES minute's exact count
//     of requests slower than the SLO target at the target's bucket, and
//     the shape of a log-normal through the DES minute's p50 and p95 on
//     either side of it (the DES reports that count and quantiles, not
//     every request's time);
//   - pods are created when the DES's pod count rises and removed, newest
//     first, when it falls; each gets a creation time and a Ready time its
//     start-up delay later (with ±5 % jitter), as kube-state-metrics'
//     kube_pod_created and kube_pod_status_ready_time;
//   - scrapes are jittered by up to ±3 s, 1 % of pod scrapes are missing,
//     kube-state-metrics is not scraped for 20 minutes (a gap in the
//     replica series), and one pod restarts (its counters reset).
//
// Usage:
//
//	go run ./hack/backtestgen -plan hack/backtestgen/testdata/truth.yaml -end 2026-12-07T08:00:00Z -out DIR
package main

import (
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"time"

	"github.com/headroom-dev/headroom/scenarios"
	"github.com/headroom-dev/headroom/sim"
)

func main() {
	planFile := flag.String("plan", "hack/backtestgen/testdata/truth.yaml", "the generating plan")
	scenario := flag.String("scenario", "production", "its scenario to run")
	endFlag := flag.String("end", "", "the last sample's time, RFC 3339 (required)")
	out := flag.String("out", "", "directory for the OpenMetrics files (required)")
	seed := flag.Int64("seed", 20261207, "the DES seed (not the plan's)")
	noise := flag.Uint64("noise-seed", 7, "seed of the load-balancing, scrape and start-up noise")
	flag.Parse()
	if *endFlag == "" || *out == "" {
		fmt.Fprintln(os.Stderr, "backtestgen: -end and -out are required")
		os.Exit(2)
	}
	end, err := time.Parse(time.RFC3339, *endFlag)
	if err != nil {
		fmt.Fprintln(os.Stderr, "backtestgen: -end:", err)
		os.Exit(2)
	}
	if err := generate(*planFile, *scenario, end.UTC(), *out, *seed, *noise); err != nil {
		fmt.Fprintln(os.Stderr, "backtestgen:", err)
		os.Exit(1)
	}
}

func generate(planFile, scenario string, end time.Time, dir string, seed int64, noise uint64) error {
	p, err := scenarios.LoadFile(planFile, nil)
	if err != nil {
		return err
	}
	var sc *scenarios.Scenario
	for i := range p.Scenarios {
		if p.Scenarios[i].Name == scenario {
			sc = &p.Scenarios[i]
		}
	}
	if sc == nil {
		return fmt.Errorf("%s has no scenario %q", planFile, scenario)
	}
	if len(p.Services) != 1 {
		return fmt.Errorf("%s must have one service, has %d", planFile, len(p.Services))
	}
	start := end.Add(-sc.Duration.D())
	sc.Start = scenarios.TimeOfDay(start.Sub(start.Truncate(24 * time.Hour)))
	res, err := sim.Run(p, sim.Options{Scenario: scenario, Mode: sim.ModeDES, Seed: seed, SampleEvery: time.Minute})
	if err != nil {
		return err
	}
	w := newWorld(&p.Services[0], start, noise)
	w.run(res.Services[0].Series)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return w.write(dir)
}

// buckets are the latency histogram's finite bounds; the SLO target
// (250ms) is one of them.
var buckets = []float64{0.005, 0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.08, 0.1, 0.125, 0.15, 0.175, 0.2, 0.25, 0.3, 0.4, 0.5, 0.75, 1, 2.5, 5}

// pod is one pod's identity and counters.
type pod struct {
	name           string
	created, ready time.Time
	gone           bool
	reqs, errs     float64
	cpu, sum       float64
	bucket         []float64
}

type world struct {
	svc     *scenarios.Service
	start   time.Time
	rng     *rand.Rand
	pods    []*pod
	live    []*pod
	startup float64
	request float64
	// target is the latency SLO's target, seconds (+Inf without one).
	target float64
	idle   float64
	series map[string]*family
	// restartAt is when the oldest pod restarts; gapFrom..gapTo the
	// kube-state-metrics outage.
	restartAt, gapFrom, gapTo time.Time
	restarted                 bool
}

func newWorld(svc *scenarios.Service, start time.Time, seed uint64) *world {
	w := &world{svc: svc, start: start, rng: rand.New(rand.NewPCG(seed, 1)), series: map[string]*family{}}
	w.startup = svc.Startup.Total().Seconds()
	w.target = math.Inf(1)
	if l := svc.SLO.Latency; l != nil {
		w.target = l.Target.Seconds()
	}
	w.request = float64(svc.Resources.Requests.Cpu().MilliValue()) / 1000
	if svc.CPU.Idle != nil {
		w.idle = scenarios.Cores(*svc.CPU.Idle)
	}
	w.restartAt = start.Add(7*time.Hour + 23*time.Minute)
	w.gapFrom = start.Add(16 * time.Hour)
	w.gapTo = w.gapFrom.Add(20 * time.Minute)
	return w
}

// newPod creates a pod at t.
func (w *world) newPod(t time.Time) *pod {
	const alnum = "bcdfghjklmnpqrstvwxz2456789"
	b := make([]byte, 5)
	for i := range b {
		b[i] = alnum[w.rng.IntN(len(alnum))]
	}
	d := w.startup * (1 + 0.05*clamp(w.rng.NormFloat64(), 3))
	p := &pod{name: fmt.Sprintf("%s-5c8d7f9b6d-%s", w.svc.WorkloadRef.Name, b), created: t,
		ready: t.Add(time.Duration(d * float64(time.Second))), bucket: make([]float64, len(buckets)+1)}
	w.pods = append(w.pods, p)
	w.live = append(w.live, p)
	return p
}

// run turns the DES's minutes into pods and counters.
func (w *world) run(ss []sim.Sample) {
	first := ss[0]
	for range first.Ready + first.Pending {
		// Pods that already ran: created hours before the window.
		w.newPod(w.start.Add(-time.Duration(2+w.rng.IntN(20)) * time.Hour))
	}
	w.scrape(w.start, first, w.live[:min(first.Ready, len(w.live))])
	for i, s := range ss {
		t := w.start.Add(s.T.D())
		want := s.Ready + s.Pending
		for len(w.live) < want {
			w.newPod(t.Add(-time.Duration(w.rng.IntN(60)) * time.Second))
		}
		for len(w.live) > want {
			w.live[len(w.live)-1].gone = true
			w.live = w.live[:len(w.live)-1]
		}
		ready := min(s.Ready, len(w.live))
		serving := w.live[:ready]
		if !w.restarted && !t.Before(w.restartAt) && len(serving) > 0 {
			p := serving[0]
			p.reqs, p.errs, p.cpu, p.sum = 0, 0, 0, 0
			clear(p.bucket)
			w.restarted = true
		}
		prev := first
		if i > 0 {
			prev = ss[i-1]
		}
		w.account(s, prev, serving)
		w.scrape(t, s, serving)
	}
}

// account adds one minute of the DES's service to the serving pods, spread
// by random per-pod weights.
func (w *world) account(s, prev sim.Sample, serving []*pod) {
	if len(serving) == 0 {
		return
	}
	arrivals := s.Lambda * 60
	served := math.Max(arrivals-s.Errors, 0)
	// The minute's latency: a log-normal through the DES's p50 and p95.
	p50, p95 := s.P50, s.P95
	if p50 <= 0 || p95 <= p50 {
		p50, p95 = prev.P50, prev.P95
	}
	if p50 <= 0 || p95 <= p50 {
		p50, p95 = w.svc.ServiceMean(), 3*w.svc.ServiceMean()
	}
	mu, sigma := math.Log(p50), (math.Log(p95)-math.Log(p50))/1.6448536269514722
	mean := math.Exp(mu + sigma*sigma/2)
	logn := func(x float64) float64 { return 0.5 * math.Erfc(-(math.Log(x)-mu)/(sigma*math.Sqrt2)) }
	// The log-normal's mass below and above the target, rescaled so the
	// target's bucket holds exactly the DES's share of fast requests.
	fast := 1.0
	if served > 0 {
		fast = math.Max(0, math.Min(1, 1-s.Slow/served))
	}
	at := logn(w.target)
	cdf := func(x float64) float64 {
		switch {
		case x <= w.target && at > 0:
			return fast * logn(x) / at
		case x <= w.target:
			return fast
		case at < 1:
			return fast + (1-fast)*(logn(x)-at)/(1-at)
		}
		return 1
	}
	// CPU of all Ready pods over the minute, from the DES's utilisation.
	cores := s.CPUUtilisation * w.request * float64(s.Ready)
	weights := make([]float64, len(serving))
	var tw float64
	for i := range weights {
		weights[i] = math.Max(0.05, 1+0.15*w.rng.NormFloat64())
		tw += weights[i]
	}
	idle := w.idle
	busy := math.Max(cores-idle*float64(len(serving)), 0)
	for i, p := range serving {
		f := weights[i] / tw
		n := served * f
		p.reqs += n
		p.errs += s.Errors * f
		p.sum += n * mean
		for b, le := range buckets {
			p.bucket[b] += n * cdf(le)
		}
		p.bucket[len(buckets)] += n
		p.cpu += 60 * (idle + busy*f) * (1 + 0.03*clamp(w.rng.NormFloat64(), 3))
	}
}

func clamp(z, lim float64) float64 { return math.Max(-lim, math.Min(lim, z)) }
