package sim

import "fmt"

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

// podModel is one of the two per-pod models: fluidModel (fluidmodel.go)
// or desModel (desmodel.go). A service holds one, which owns its per-pod
// state (a podState, index for index with service.pods); World calls it
// once per tick and as the ReplicaSet creates and deletes pods.
type podModel interface {
	// serve spreads the tick's traffic over the Ready pods, advances every
	// running pod by one tick (recording its CPU and memory with pod.use),
	// fills st and ends with service.finishTick.
	serve(w *World, s *service, st *tickStats)
	// add is called after the ReplicaSet appends a pod to s.pods.
	add()
	// remove is called as the ReplicaSet deletes s.pods[i], before the pod
	// leaves s.pods. A Ready pod leaves the load balancer for good: what it
	// cannot finish within the grace period goes to s.lostOnDelete.
	remove(w *World, s *service, i int)
}

var (
	_ podModel = (*fluidModel)(nil)
	_ podModel = (*desModel)(nil)
)

// podState is a per-pod model's state of each pod of a service, index for
// index with service.pods: the model's add and remove keep the two in step.
type podState[T any] []T

// add appends the zero state, for a new pod.
func (ps *podState[T]) add() {
	var zero T
	*ps = append(*ps, zero)
}

// remove deletes the state of pod i, shifting the later pods' down as
// service.pods does, and returns it.
func (ps *podState[T]) remove(i int) T {
	s := *ps
	v := s[i]
	copy(s[i:], s[i+1:])
	var zero T
	s[len(s)-1] = zero
	*ps = s[:len(s)-1]
	return v
}
