// Package hpa is a replica of the Kubernetes HorizontalPodAutoscaler
// controller (autoscaling/v2), decision for decision, as a pure function of
// its inputs: no clocks, no goroutines, no I/O.
//
// It re-implements the upstream controller of kubernetes/kubernetes (most
// conformance cases cite commit 003e86297d18), and each piece names the
// upstream function it mirrors. The files, by upstream source:
//
//   - pkg/controller/podautoscaler/horizontal.go: reconcileAutoscaler
//     (Controller.Reconcile), computeReplicasForMetrics, the
//     computeStatusFor…Metric functions and setCondition (controller.go);
//     the legacy path normalizeDesiredReplicas, stabilizeRecommendation,
//     convertDesiredReplicasWithRules and calculateScaleUpLimit (legacy.go);
//     the behavior path normalizeDesiredReplicasWithBehaviors,
//     stabilizeRecommendationWithBehaviors,
//     convertDesiredReplicasWithBehaviorRate,
//     calculateScaleUpLimitWithScalingRules,
//     calculateScaleDownLimitWithBehaviors and the scale-event bookkeeping
//     (behavior.go); the condition reasons and error texts (decision.go).
//   - pkg/controller/podautoscaler/replica_calculator.go: ReplicaCalculator,
//     Tolerances, groupPods, calculatePodRequests, GetResourceReplicas,
//     calcPlainMetricReplicas, getUsageRatioReplicaCount and the Object and
//     External metric functions (replica_calculator.go).
//   - pkg/apis/autoscaling/v2/defaults.go: SetDefaults_HorizontalPodAutoscaler
//     and SetDefaults_HorizontalPodAutoscalerBehavior (behavior.go:
//     DefaultSpec, DefaultScaleUpRules, DefaultScaleDownRules);
//     pkg/controller/podautoscaler/config/v1alpha1/defaults.go, the
//     kube-controller-manager flag defaults (config.go: DefaultConfig).
//
// snapshot.go holds the inputs (Snapshot: the scale, the pods, the metric
// samples), decision.go the output (Decision, conditions, errors).
// sequence.go replays recordings of the real controller (SequenceFile,
// ReplaySequence): testdata/conformance/hpa_sequences.json holds every sync
// of the traces hack/e2e/suites/60-hparef.sh drove through
// kube-controller-manager v1.37.2, and TestHPASequences replays them.
// TestHPAConformance runs the cases of testdata/conformance/hpa_cases.json
// at the repository root, taken from the upstream unit tests
// (horizontal_test.go, replica_calculator_test.go, defaults_test.go), each
// naming its source test.
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
