package sim

import (
	"fmt"

	"github.com/headroom-dev/headroom/scenarios"
)

// initialReplicas is the replica count a service starts the run with: the
// plan's replicas, or Options.InitialReplicas[service] when set (a
// backtest starts where production was at the window's first sample). An
// HPA still bounds what follows by its minReplicas and maxReplicas, as the
// upstream controller does at its first reconcile
// (pkg/controller/podautoscaler/horizontal.go, normalizeDesiredReplicas).
//
// A service started this way keeps that count under a warm start too:
// the warm start fills its queues and metric windows for the given count
// instead of settling the HPA (pinned reports whether it was given).
func initialReplicas(spec *scenarios.Service, opts Options) (n int32, pinned bool, err error) {
	n, ok := opts.InitialReplicas[spec.Name]
	if !ok {
		return spec.Replicas, false, nil
	}
	if n < 1 || n > maxInitialReplicas {
		return 0, false, fmt.Errorf("service %s: initial replicas %d is outside [1, %d]", spec.Name, n, maxInitialReplicas)
	}
	return n, true, nil
}

// maxInitialReplicas bounds Options.InitialReplicas (the HPA's own maxReplicas
// bound in the API is an int32; a run starting with more pods than this is a
// mistake in the caller, not a cluster).
const maxInitialReplicas = 100_000
