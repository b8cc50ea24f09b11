package mmcserver

import (
	"container/heap"
	"time"
)

// SamplePath returns the waits an ideal FCFS queue with c servers gives
// customers arriving at the given offsets (ascending) with the given
// service times, in order: customer i starts at the later of its arrival
// and the earliest time a server frees up (Kiefer–Wolfowitz's recursion
// for G/G/c). Holding a measured run against the sample path of its own
// arrivals and service draws removes the sampling noise that comparing it
// with the M/M/c means alone would carry.
func SamplePath(arrivals, services []time.Duration, c int) []time.Duration {
	n := min(len(arrivals), len(services))
	free := make(durationHeap, c)
	waits := make([]time.Duration, n)
	for i := range n {
		start := max(arrivals[i], free[0])
		waits[i] = start - arrivals[i]
		free[0] = start + services[i]
		heap.Fix(&free, 0)
	}
	return waits
}

type durationHeap []time.Duration

func (h durationHeap) Len() int           { return len(h) }
func (h durationHeap) Less(i, j int) bool { return h[i] < h[j] }
func (h durationHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *durationHeap) Push(x any)        { *h = append(*h, x.(time.Duration)) }
func (h *durationHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
