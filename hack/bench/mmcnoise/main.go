// Command mmcnoise estimates how far one short M/M/c run's mean wait and
// p95 response stray from their means: it simulates ideal FCFS c-server
// queues with Poisson arrivals and exponential service (mean 20 ms) for the
// length of an e2e run, discards the warm-up, and prints the relative
// standard deviation over many seeds. It is why the load-test e2e suite
// compares against the run's own sample path (docs-pending/engine.md).
//
//	go run ./hack/bench/mmcnoise -runs 200 -seconds 30
package main

import (
	"container/heap"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

func main() {
	runs := flag.Int("runs", 200, "independent runs per configuration")
	seconds := flag.Float64("seconds", 30, "length of a run")
	warmup := flag.Float64("warmup", 5, "seconds discarded at the start")
	flag.Parse()
	const service = 0.020
	for _, c := range []int{1, 2, 4, 8, 16} {
		for _, rho := range []float64{0.5, 0.8, 0.9} {
			var waits, p95s []float64
			for seed := range *runs {
				w, p := run(c, rho, service, *seconds, *warmup, uint64(seed))
				waits = append(waits, w)
				p95s = append(p95s, p)
			}
			mw, sw := meanSD(waits)
			mp, sp := meanSD(p95s)
			fmt.Printf("c=%2d ρ=%.1f %2.0fs: mean wait %7.2f ms (rel. sd %.2f)  p95 %7.1f ms (rel. sd %.3f)\n",
				c, rho, *seconds, mw*1e3, sw/mw, mp*1e3, sp/mp)
		}
	}
}

// run simulates one queue and returns its mean wait and p95 response time
// after the warm-up.
func run(c int, rho, service, seconds, warmup float64, seed uint64) (float64, float64) {
	rng := rand.New(rand.NewPCG(seed, 3))
	lambda := rho * float64(c) / service
	free := make(floatHeap, c)
	var sum float64
	var resp []float64
	for t := rng.ExpFloat64() / lambda; t < seconds; t += rng.ExpFloat64() / lambda {
		start := math.Max(t, free[0])
		s := rng.ExpFloat64() * service
		free[0] = start + s
		heap.Fix(&free, 0)
		if t >= warmup {
			sum += start - t
			resp = append(resp, start+s-t)
		}
	}
	slices.Sort(resp)
	return sum / float64(len(resp)), resp[int(math.Ceil(0.95*float64(len(resp))))-1]
}

func meanSD(xs []float64) (float64, float64) {
	var s, ss float64
	for _, x := range xs {
		s += x
	}
	m := s / float64(len(xs))
	for _, x := range xs {
		ss += (x - m) * (x - m)
	}
	return m, math.Sqrt(ss / float64(len(xs)-1))
}

type floatHeap []float64

func (h floatHeap) Len() int           { return len(h) }
func (h floatHeap) Less(i, j int) bool { return h[i] < h[j] }
func (h floatHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *floatHeap) Push(x any)        { *h = append(*h, x.(float64)) }
func (h *floatHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
