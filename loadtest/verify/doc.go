// Package verify holds a measured load test against the model. Compare
// simulates the result's scenario with package sim and compares
// throughput, p95, error rate and ready replicas bucket by bucket in
// scenario time (mean absolute percentage errors, judged against the
// Agree* bounds). Calibrate goes the other way: it estimates a plan
// service's service time (mean, spread, p95) by inverting M/M/c on the
// low-load windows of a run, and CPU per request when CPU was watched;
// ApplyCalibration writes the estimate into the plan file, keeping its
// comments and layout.
//
// The one thing to know: a result played faster than real time
// (Result.Speedup > 1) compressed the traffic while the cluster's pods
// started and its HPA synced in real time, which the simulation does not
// reproduce; Compare says so in Comparison.Caveats rather than adjusting
// either side.
package verify
