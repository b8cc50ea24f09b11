package sim

import (
	"slices"
	"sync"
)

// This file runs the services of one DES world on several cores. In DES
// mode a service's tick (desModel.serve) reads only the world's clock and
// writes only its own state — its requests' random stream, queues,
// histogram, pods' metric rings and tick figures — so the services of one
// tick can be served at once; everything that couples them (scrapes, HPA
// syncs, the ReplicaSet, nodes, recording) runs after, in service order,
// on the run's own goroutine. Which core serves which service never
// changes a number: the output is the same with one worker or many.

// Pool bounds the goroutines that DES runs sharing it keep busy: a run
// holds one slot while it runs (RunContext takes it), and a run whose
// tick finds slots free borrows them to serve some of its services beside
// its own goroutine, returning them at the end of the tick. So runs
// started together use every slot, and the last long run left uses the
// slots the others gave back. The zero Options.Pool serves every service
// on the run's goroutine. A Pool is safe for concurrent use.
type Pool struct{ slots chan struct{} }

// NewPool returns a pool of n slots (at least 1), typically GOMAXPROCS.
func NewPool(n int) *Pool { return &Pool{slots: make(chan struct{}, max(1, n))} }

// acquire waits for a slot.
func (p *Pool) acquire() { p.slots <- struct{}{} }

// tryAcquire takes a slot if one is free.
func (p *Pool) tryAcquire() bool {
	select {
	case p.slots <- struct{}{}:
		return true
	default:
		return false
	}
}

// release returns a slot.
func (p *Pool) release() { <-p.slots }

// parallelServe is a DES world's state for serving its services on
// borrowed slots: the bins of services of this tick and their loads.
type parallelServe struct {
	pool  *Pool
	order []int   // service indices, heaviest first
	load  []int64 // per service: last tick's arrivals, the weight
	bins  [][]*service
	sum   []int64
	wg    sync.WaitGroup
}

// serveParallel serves every service of this tick on the run's goroutine
// and the pool's free slots, when there are free slots, and reports
// whether it did; otherwise Tick serves the services itself, one by one.
func (w *World) serveParallel() bool {
	ps := w.par
	if ps == nil || len(w.services) < 2 || w.coupled {
		return false
	}
	k := 1
	for k < len(w.services) && k < cap(ps.pool.slots) && ps.pool.tryAcquire() {
		k++
	}
	if k == 1 {
		return false
	}
	ps.split(w.services, k)
	ps.wg.Add(k - 1)
	for _, bin := range ps.bins[1:k] {
		go func() {
			defer ps.wg.Done()
			defer ps.pool.release()
			for _, s := range bin {
				s.model.serve(w, s, &s.tickStats)
			}
		}()
	}
	for _, s := range ps.bins[0] {
		s.model.serve(w, s, &s.tickStats)
	}
	ps.wg.Wait()
	return true
}

// split deals the services into k bins of about equal load, the heaviest
// first into the lightest bin (Graham's LPT rule); the load of a service
// is its arrivals of the previous tick, a good guess of this one's.
func (ps *parallelServe) split(services []*service, k int) {
	ps.order = ps.order[:0]
	ps.load = ps.load[:0]
	for i, s := range services {
		ps.order = append(ps.order, i)
		ps.load = append(ps.load, int64(s.tickStats.arrivals)+1)
	}
	slices.SortStableFunc(ps.order, func(a, b int) int {
		switch {
		case ps.load[a] > ps.load[b]:
			return -1
		case ps.load[a] < ps.load[b]:
			return 1
		}
		return 0
	})
	for len(ps.bins) < k {
		ps.bins = append(ps.bins, nil)
		ps.sum = append(ps.sum, 0)
	}
	for b := range k {
		ps.bins[b] = ps.bins[b][:0]
		ps.sum[b] = 0
	}
	for _, i := range ps.order {
		b := 0
		for j := 1; j < k; j++ {
			if ps.sum[j] < ps.sum[b] {
				b = j
			}
		}
		ps.bins[b] = append(ps.bins[b], services[i])
		ps.sum[b] += ps.load[i]
	}
}
