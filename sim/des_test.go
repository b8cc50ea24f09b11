package sim

import (
	"math"
	"math/rand/v2"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/headroom-dev/headroom/model"
	"github.com/headroom-dev/headroom/scenarios"
)

// mmcRun is one replication of an M/M/c queue in the DES kernel: n requests
// after warm requests of warm-up, time in units of the mean service time.
type mmcRun struct {
	meanWait, delayProb, p95 float64
}

func runMMc(seed uint64, c int, rho float64, warm, n int) mmcRun {
	lam := rho * float64(c)
	req := desRequests{
		rng:       rand.New(rand.NewPCG(seed, 7)),
		service:   expSampler{1},
		timeout:   math.Inf(1),
		sloTarget: math.Inf(1),
		histMax:   1e9,
	}
	q := newDESQueue(c, math.Inf(1))
	t := 0.0
	for range warm {
		t += req.rng.ExpFloat64() / lam
		q.advance(t, &req)
		q.arrive(t, &req)
	}
	req.hist = hdrhistogram.New(1, req.histMax, 3)
	q.queueArea = 0
	t0 := t
	delayed := 0
	for range n {
		t += req.rng.ExpFloat64() / lam
		q.advance(t, &req)
		if len(q.busy) == c {
			delayed++
		}
		q.arrive(t, &req)
	}
	// Little: E[W] = L_q / λ over the measured stretch.
	lq := q.queueArea / (t - t0)
	return mmcRun{
		meanWait:  lq / lam,
		delayProb: float64(delayed) / float64(n),
		p95:       float64(req.hist.ValueAtQuantile(95)) / 1e6,
	}
}

// TestReferee_DESAgainstMMc: independent seeded replications of the DES
// kernel on M/M/c queues; the closed forms of model.MMc (mean wait, delay
// probability by PASTA, p95 response) must lie inside the replications'
// 99.9 % confidence intervals (Student t, R−1 degrees of freedom).
func TestReferee_DESAgainstMMc(t *testing.T) {
	reps, n := 10, 100_000
	if *refereeLong {
		reps, n = 30, 2_000_000
	}
	// Student t quantile 0.9995 for 9 and 29 degrees of freedom.
	tq := map[int]float64{10: 4.781, 30: 3.659}[reps]
	for _, tt := range []struct {
		name string
		c    int
		rho  float64
	}{
		{"M/M/1 ρ=0.5", 1, 0.5},
		{"M/M/4 ρ=0.8", 4, 0.8},
		{"M/M/10 ρ=0.9", 10, 0.9},
		{"M/M/32 ρ=0.7", 32, 0.7},
	} {
		t.Run(tt.name, func(t *testing.T) {
			q := model.MMc{Lambda: tt.rho * float64(tt.c), Mu: 1, C: tt.c}
			want := mmcRun{meanWait: q.MeanWait(), delayProb: q.DelayProb(), p95: q.ResponseQuantile(0.95)}
			runs := make([]mmcRun, reps)
			for r := range runs {
				runs[r] = runMMc(uint64(r+1), tt.c, tt.rho, n/10, n)
			}
			for _, m := range []struct {
				name string
				get  func(mmcRun) float64
			}{
				{"mean wait", func(r mmcRun) float64 { return r.meanWait }},
				{"delay probability", func(r mmcRun) float64 { return r.delayProb }},
				{"p95 response", func(r mmcRun) float64 { return r.p95 }},
			} {
				var sum, sum2 float64
				for _, r := range runs {
					x := m.get(r)
					sum += x
					sum2 += x * x
				}
				mean := sum / float64(reps)
				sd := math.Sqrt((sum2 - sum*mean) / float64(reps-1))
				half := tq * sd / math.Sqrt(float64(reps))
				w := m.get(want)
				// The HDR histogram rounds a p95 up by at most 0.1 %.
				if m.name == "p95 response" {
					half += 1e-3 * w
				}
				t.Logf("%s: DES %.5g ± %.2g, closed form %.5g", m.name, mean, half, w)
				if math.Abs(mean-w) > half {
					t.Errorf("%s: DES %.5g ± %.2g (99.9%% CI over %d replications) excludes the closed form %.5g", m.name, mean, half, reps, w)
				}
			}
		})
	}
}

// BenchmarkDESMMc10 is the kernel alone on an M/M/10 queue at ρ = 0.9: one
// op is one request (arrival, service, departure, histogram record).
func BenchmarkDESMMc10(b *testing.B) {
	req := desRequests{
		rng:       rand.New(rand.NewPCG(1, 2)),
		service:   expSampler{1},
		timeout:   math.Inf(1),
		sloTarget: math.Inf(1),
		histMax:   1e9,
	}
	req.hist = hdrhistogram.New(1, req.histMax, 3)
	q := newDESQueue(10, math.Inf(1))
	const lam = 9.0
	t := 0.0
	// Warm the queue's ring to its working size so that the measured
	// requests allocate nothing.
	for range 100_000 {
		t += req.rng.ExpFloat64() / lam
		q.advance(t, &req)
		q.arrive(t, &req)
	}
	b.ReportAllocs()
	cpu0 := cpuSeconds()
	b.ResetTimer()
	for range b.N {
		t += req.rng.ExpFloat64() / lam
		q.advance(t, &req)
		q.arrive(t, &req)
	}
	b.StopTimer()
	// On a shared machine wall time overstates the cost; the process's CPU
	// time is what a core spent.
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds()/1e6, "Mreq/s")
	b.ReportMetric(float64(b.N)/(cpuSeconds()-cpu0)/1e6, "Mreq/s-cpu")
}

// BenchmarkHeapFloorMMc10 is the floor the DES benchmarks are measured
// against: the same M/M/10 queue at ρ = 0.9 with the same generator, run
// as the textbook event-scheduling simulation does it (Law, "Simulation
// Modeling and Analysis", §1.4: a future-event list, here a binary
// min-heap of events by time) and nothing else: each request is an
// arrival event and a departure event pushed and popped, the servers a
// count, the queue a count — no response times, histogram, counters,
// time integrals or timeouts. The kernel (BenchmarkDESMMc10) keeps only
// departures in its heap and does all of that; the whole simulator
// (BenchmarkDESRunNOA) adds pods, metrics, HPAs, nodes and its service-time
// distributions.
func BenchmarkHeapFloorMMc10(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	const c, lam = 10, 9.0
	type event struct {
		t      float64
		arrive bool
	}
	h := make([]event, 0, 2*c)
	push := func(e event) {
		h = append(h, e)
		i := len(h) - 1
		for i > 0 {
			p := (i - 1) / 2
			if h[p].t <= e.t {
				break
			}
			h[i] = h[p]
			i = p
		}
		h[i] = e
	}
	pop := func() event {
		top := h[0]
		n := len(h) - 1
		x := h[n]
		h = h[:n]
		i := 0
		for {
			l := 2*i + 1
			if l >= n {
				break
			}
			m := l
			if r := l + 1; r < n && h[r].t < h[l].t {
				m = r
			}
			if h[m].t >= x.t {
				break
			}
			h[i] = h[m]
			i = m
		}
		if n > 0 {
			h[i] = x
		}
		return top
	}
	free, queued, done := c, 0, 0
	push(event{rng.ExpFloat64() / lam, true})
	b.ReportAllocs()
	cpu0 := cpuSeconds()
	b.ResetTimer()
	for done < b.N {
		e := pop()
		if e.arrive {
			push(event{e.t + rng.ExpFloat64()/lam, true})
			if free > 0 {
				free--
				push(event{e.t + rng.ExpFloat64(), false})
			} else {
				queued++
			}
			continue
		}
		done++
		if queued > 0 {
			queued--
			push(event{e.t + rng.ExpFloat64(), false})
		} else {
			free++
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds()/1e6, "Mreq/s")
	b.ReportMetric(float64(b.N)/(cpuSeconds()-cpu0)/1e6, "Mreq/s-cpu")
}

// BenchmarkKieferWolfowitzMMc10 is below any event-scheduling simulation:
// the same M/M/10 by the Kiefer–Wolfowitz recursion for FCFS c-server
// queues (a request starts when it arrives or when the earliest of the c
// servers frees; Ann. Math. Statist. 26(1), 1955) over a heap of the
// servers' free times — two draws and one sift per request. It holds
// only for FCFS without timeouts or speed changes; it shows what the
// calendar itself costs.
func BenchmarkKieferWolfowitzMMc10(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	const c, lam = 10, 9.0
	free := make([]float64, c)
	t, wait := 0.0, 0.0
	b.ReportAllocs()
	cpu0 := cpuSeconds()
	b.ResetTimer()
	for range b.N {
		t += rng.ExpFloat64() / lam
		start := max(t, free[0])
		wait += start - t
		// Replace the root by its new free time and sift it down.
		x := start + rng.ExpFloat64()
		i := 0
		for {
			l := 2*i + 1
			if l >= c {
				break
			}
			m := l
			if r := l + 1; r < c && free[r] < free[l] {
				m = r
			}
			if free[m] >= x {
				break
			}
			free[i] = free[m]
			i = m
		}
		free[i] = x
	}
	b.StopTimer()
	if !(wait >= 0) {
		b.Fatal(wait)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds()/1e6, "Mreq/s")
	b.ReportMetric(float64(b.N)/(cpuSeconds()-cpu0)/1e6, "Mreq/s-cpu")
}

// cpuSeconds is the process's user and system CPU time.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return math.NaN()
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// BenchmarkSimPyMMc10 runs hack/simpy/mmc.py (Debian's python3-simpy) on
// the same M/M/10 queue at ρ = 0.9, 200 000 requests per op, and reports
// its rate for the ratio against BenchmarkDESMMc10. It skips without
// SimPy.
func BenchmarkSimPyMMc10(b *testing.B) {
	const py = "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import SimPy.Simulation").Run(); err != nil {
		b.Skip("needs Debian's python3-simpy: apt-get install -y python3-simpy")
	}
	var rate float64
	for range b.N {
		out, err := exec.Command(py, "../hack/simpy/mmc.py", "--requests", "200000").CombinedOutput()
		if err != nil {
			b.Fatalf("%v: %s", err, out)
		}
		f := strings.Fields(string(out))
		for i, w := range f {
			if w == "Mreq/s-cpu;" && i > 0 {
				if rate, err = strconv.ParseFloat(f[i-1], 64); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	b.ReportMetric(rate, "Mreq/s-cpu")
}

// BenchmarkDESRunNOA is the whole simulator in DES mode on the NOA plan's
// growth-2x scenario (1 h, six services, about 7.3 M requests): the cost
// per simulated request including pods, metrics, HPAs and nodes.
func BenchmarkDESRunNOA(b *testing.B) {
	p := noa(b)
	var requests float64
	b.ReportAllocs()
	cpu0 := cpuSeconds()
	for b.Loop() {
		res, err := Run(p, Options{Scenario: "growth-2x", Mode: ModeDES})
		if err != nil {
			b.Fatal(err)
		}
		for _, s := range res.Services {
			requests += s.Summary.Requests
		}
	}
	b.ReportMetric(requests/(cpuSeconds()-cpu0)/1e6, "Mreq/s-cpu")
	b.ReportMetric(requests/float64(b.N), "req/op")
}

// BenchmarkDESRunSteady shows memory flat in the number of requests: one
// hour of the same service at 18, 72 and 288 req/s (the HPA scaling it)
// makes about the same number of allocations per run — setup, series
// samples, scale events — whatever the requests simulated.
func BenchmarkDESRunSteady(b *testing.B) {
	for _, rate := range []string{"18/s", "72/s", "288/s"} {
		b.Run("rate="+strings.TrimSuffix(rate, "/s"), func(b *testing.B) {
			p := steadyPlan(b, rate, "", cpuHPA)
			p.Scenarios[0].Duration = scenarios.Duration(time.Hour)
			var requests float64
			b.ReportAllocs()
			for b.Loop() {
				res, err := Run(p, Options{Scenario: "flat", Mode: ModeDES})
				if err != nil {
					b.Fatal(err)
				}
				requests += res.Services[0].Summary.Requests
			}
			b.ReportMetric(requests/float64(b.N), "req/op")
		})
	}
}
