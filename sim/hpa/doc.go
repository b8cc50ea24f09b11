// Package hpa is a replica of the Kubernetes HorizontalPodAutoscaler
// controller (autoscaling/v2), decision for decision, as a pure function of
// its inputs: no clocks, no goroutines, no I/O.
//
// The upstream controller lives in pkg/controller/podautoscaler
// (horizontal.go, replica_calculator.go) of kubernetes/kubernetes; the API
// defaults in pkg/apis/autoscaling/v2/defaults.go. This package re-implements
// their behaviour from the description in reference/hpa.md; every piece cites
// the upstream function it mirrors. The conformance cases in
// testdata/conformance/hpa_cases.json (taken from the upstream unit tests)
// run against it in TestHPAConformance.
//
// # Time
//
// Time is a time.Duration on the caller's virtual clock (the offset from the
// simulation epoch). Every timestamp in a Snapshot, and the now passed to
// Reconcile, is on that clock. Windows and periods compare timestamps exactly
// as upstream compares time.Time values (strict After/Before), so a
// recommendation that is exactly one window old is neither counted nor reused.
//
// # Usage
//
// One Controller holds the in-memory state upstream keeps per HPA (the
// timestamped recommendations, the scale-up and scale-down events, the status
// conditions). A simulator creates it once per HPA and calls Reconcile every
// Config.SyncPeriod of virtual time with a Snapshot of what the controller
// would read from the API server and the metrics APIs:
//
//	c, err := hpa.NewController(hpa.DefaultConfig(), &spec)
//	...
//	for now := time.Duration(0); now < end; now += 15 * time.Second {
//		snap := world.Snapshot(now) // scale, pods, metric samples
//		d := c.Reconcile(now, &snap)
//		if d.Rescale {
//			world.SetReplicas(d.Replicas)
//		}
//	}
//
// The Decision says what the controller wrote to the scale subresource, the
// proposal of every metric, the raw (max over metrics) and stabilised
// recommendations, the conditions with their upstream reasons, and the error
// the upstream reconcile would have returned.
//
// # The one assumption to know
//
// The controller sees only what the Snapshot says: metric samples are taken
// as given (with their timestamp and window), so the metrics pipeline lag
// (metrics-server resolution and window) must be modelled by the caller.
// Reconcile is allocation-free on the steady-state path once the controller
// has seen the largest pod count; slices in a Decision are owned by the
// Controller and valid until the next call.
package hpa
