package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/headroom-dev/headroom/model"
	"github.com/headroom-dev/headroom/scenarios"
)

// balancedRun is one replication of N pods of k slots behind a policy in
// the DES routing code (desModel.arrive, pick, arriveShared): Poisson
// arrivals at ρ·N·k per mean service time (1 s), the response times of
// the requests after the warm-up.
type balancedRun struct{ mean, p95 float64 }

func runBalanced(seed uint64, b model.Balancing, smp sampler, n, k int, rho float64, warm, reqs int) balancedRun {
	m := &desModel{workers: k, fullSpeed: math.Inf(1), arrivals: ArrivalsPoisson}
	m.req = desRequests{
		rng:       rand.New(rand.NewPCG(seed, 11)),
		service:   smp,
		timeout:   math.Inf(1),
		sloTarget: math.Inf(1),
		histMax:   1e10,
	}
	m.setBalancing(b)
	for range n {
		m.ready = append(m.ready, m.queue(0))
	}
	lam := rho * float64(n*k)
	// Chunks of about 100 arrivals, as the World's ticks would hand them.
	dt := 100 / lam
	t := 0.0
	step := func(until int) {
		for m.req.counts.done < int64(until) {
			m.arrive(t, t+dt, lam, lam)
			t += dt
			m.advanceAll(t)
		}
	}
	step(warm)
	m.req.hist = hdrhistogram.New(1, m.req.histMax, 3)
	m.req.counts = desCounters{}
	step(reqs)
	return balancedRun{mean: m.req.hist.Mean() / 1e6, p95: float64(m.req.hist.ValueAtQuantile(95)) / 1e6}
}

// balanceCase is one row of the approximation-vs-DES table.
type balanceCase struct {
	policy  model.BalancingPolicy
	family  string // "exponential" or "lognormal"
	n       int
	rho     float64
	des     balancedRun
	approx  balancedRun
	relMean float64
	relP95  float64
}

// The service families of the table: exponential, and lognormal with
// c_s² = 2 (mean 1 s in both).
const balanceLognormalCS2 = 2.0

func balanceWorkload(family string, b model.Balancing, n, k int) (model.Workload, sampler) {
	w := model.Workload{ServiceMean: 1, ServiceCS2: 1, Concurrency: k, CPURequest: 1, Balancing: b, Pods: n}
	if family == model.FamilyLognormal {
		w.ServiceCS2, w.ServiceFamily = balanceLognormalCS2, model.FamilyLognormal
		return w, newLognormal(1, balanceLognormalCS2)
	}
	return w, expSampler{1}
}

func balanceTable(t testing.TB, k, warm, reqs, reps int, ns []int, families []string) []balanceCase {
	var out []balanceCase
	for _, family := range families {
		for _, p := range model.BalancingPolicies {
			for _, n := range ns {
				for _, rho := range []float64{0.5, 0.8, 0.9} {
					b := model.Balancing{Policy: p}
					w, smp := balanceWorkload(family, b, n, k)
					lam := rho * float64(k) // per pod, μ = 1
					am, err := w.PodMeanResponse(lam)
					if err != nil {
						t.Fatal(err)
					}
					aq, err := w.PodResponseQuantile(lam, 0.95)
					if err != nil {
						t.Fatal(err)
					}
					var d balancedRun
					for r := range reps {
						x := runBalanced(uint64(1000*r+n), b, smp, n, k, rho, warm, reqs)
						d.mean += x.mean / float64(reps)
						d.p95 += x.p95 / float64(reps)
					}
					c := balanceCase{policy: p, family: family, n: n, rho: rho, des: d, approx: balancedRun{am, aq}}
					c.relMean = (am - d.mean) / d.mean
					c.relP95 = (aq - d.p95) / d.p95
					out = append(out, c)
				}
			}
		}
	}
	return out
}

func formatBalanceTable(cs []balanceCase) string {
	var b strings.Builder
	b.WriteString("| policy | service | N | ρ | DES mean | approx mean | Δ mean | DES p95 | approx p95 | Δ p95 |\n|---|---|---|---|---|---|---|---|---|---|\n")
	for _, c := range cs {
		fmt.Fprintf(&b, "| %s | %s | %d | %.1f | %.3f | %.3f | %+.1f%% | %.3f | %.3f | %+.1f%% |\n",
			c.policy, c.family, c.n, c.rho, c.des.mean, c.approx.mean, 100*c.relMean, c.des.p95, c.approx.p95, 100*c.relP95)
	}
	return b.String()
}

// TestReferee_Balancing holds each policy's approximation (package
// model, balancing.go) to the DES routing at ρ = 0.5, 0.8, 0.9 and N = 2,
// 6, 20 pods of one slot, for exponential and lognormal (c_s² = 2)
// service: the mean and p95 response time within balanceBound of the
// DES. The short run (200 000 requests, exponential service only: one
// lognormal replication at ρ = 0.9 is too noisy for a bound) allows ±30 %;
// with -referee-long (3 × 1 000 000 requests per row, both families) the
// bound is the one docs/load-balancing.md states, and the table is logged.
func TestReferee_Balancing(t *testing.T) {
	warm, reqs, reps, bound := 20_000, 200_000, 1, 0.30
	families := []string{"exponential"}
	if *refereeLong {
		warm, reqs, reps, bound = 50_000, 1_000_000, 3, balanceBound
		families = append(families, model.FamilyLognormal)
	}
	cs := balanceTable(t, 1, warm, reqs, reps, []int{2, 6, 20}, families)
	t.Log("\n" + formatBalanceTable(cs))
	for _, c := range cs {
		if math.Abs(c.relMean) > bound || math.Abs(c.relP95) > bound {
			t.Errorf("%s %s N=%d ρ=%.1f: mean %.3f vs DES %.3f (%+.1f%%), p95 %.3f vs DES %.3f (%+.1f%%): beyond ±%.0f%%",
				c.policy, c.family, c.n, c.rho, c.approx.mean, c.des.mean, 100*c.relMean, c.approx.p95, c.des.p95, 100*c.relP95, 100*bound)
		}
	}
}

// balanceBound is the bound docs/load-balancing.md states for every row of
// its table (mean and p95, relative to the DES).
const balanceBound = 0.20

// BenchmarkDESRunBalanced is BenchmarkDESRunSteady's service on 20 fixed
// pods at ρ = 0.8 (320 req/s for an hour) under each load-balancing
// policy: the simulated requests per second of CPU, which issue 19 holds
// least-request to (at least 70 % of random splitting's).
func BenchmarkDESRunBalanced(b *testing.B) {
	for _, policy := range model.BalancingPolicies {
		b.Run("policy="+string(policy), func(b *testing.B) {
			p := steadyPlan(b, "320/s", "", "")
			p.Scenarios[0].Duration = scenarios.Duration(time.Hour)
			p.Services[0].LoadBalancing = &scenarios.LoadBalancing{Policy: string(policy)}
			var requests float64
			b.ReportAllocs()
			cpu0 := cpuSeconds()
			for b.Loop() {
				res, err := Run(p, Options{Scenario: "flat", Mode: ModeDES, FixedReplicas: map[string]int32{"api": 20}})
				if err != nil {
					b.Fatal(err)
				}
				requests += res.Services[0].Summary.Requests
			}
			b.ReportMetric(requests/(cpuSeconds()-cpu0)/1e6, "Mreq/s-cpu")
			b.ReportMetric(requests/b.Elapsed().Seconds()/1e6, "Mreq/s")
			b.ReportMetric(requests/float64(b.N), "req/op")
		})
	}
}
