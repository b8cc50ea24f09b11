package sim

import (
	"fmt"
	"math"
)

// Mode selects the per-pod model: how a service's Ready pods turn the
// tick's traffic into latency, errors, CPU and memory. Everything else —
// pods and their start-up, nodes, the metrics pipeline, the HPA — is the
// same code in both modes.
type Mode string

const (
	// ModeFluid keeps one backlog per pod and reads latency from the
	// stationary queueing model (the default; see the package doc).
	ModeFluid Mode = "fluid"
	// ModeDES simulates every request: arrivals, FCFS queues per pod,
	// service times drawn from a distribution, latency in HDR histograms.
	ModeDES Mode = "des"
)

// ParseMode reads a mode name; "" is fluid.
func ParseMode(s string) (Mode, error) {
	switch Mode(s) {
	case "", ModeFluid:
		return ModeFluid, nil
	case ModeDES:
		return ModeDES, nil
	}
	return "", fmt.Errorf("unknown mode %q; use fluid or des", s)
}

// podModel is one of the two per-pod models. A service holds one; World
// calls it once per tick and when the ReplicaSet deletes a Ready pod.
type podModel interface {
	// serve spreads the tick's traffic over the Ready pods, advances every
	// running pod by one tick (recording its CPU and memory with pod.use),
	// fills st and ends with service.finishTick.
	serve(w *World, s *service, st *tickStats)
	// remove is called as a Ready pod leaves the load balancer for good:
	// what it cannot finish within the grace period goes to
	// s.lostOnDelete.
	remove(w *World, s *service, p *pod)
}

// fluidModel is the fluid per-pod model (tick.go, serve).
type fluidModel struct{}

var (
	_ podModel = fluidModel{}
	_ podModel = (*desModel)(nil)
)

func (fluidModel) remove(_ *World, s *service, p *pod) {
	s.lostOnDelete += math.Max(0, p.backlog-s.capacity*gracePeriod.Seconds())
}
