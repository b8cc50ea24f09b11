// Package prom reads what services really do from Prometheus (the HTTP API,
// through client_golang's api/prometheus/v1) and turns it into plan inputs:
// request rates, service times, CPU per request, memory per in-flight
// request, a replay of the observed traffic and a forecast of next
// quarter's peak. It is one of headroom's adapters to the outside world
// (with cluster for the Kubernetes API server and loadtest for the services
// themselves); everything it computes is then plain plan data.
//
// # What is fitted
//
// For each service, over a window (default 14 days) at a step (default
// 1m), with rate() over $rate (default 5m):
//
//   - the request rate λ(t) of all pods: its peak, p50/p95/p99 and mean;
//   - the mean latency, request-weighted from _sum/_count, and its p95
//     interpolated in the window's bucket counts (HistogramQuantile, the
//     rule of PromQL's histogram_quantile);
//   - CPU: a least-squares line (gonum stat.LinearRegression) of a pod's
//     average CPU on its request rate λ/replicas. The slope is the CPU
//     time per request, the intercept the idle CPU;
//   - memory: a line of a pod's average working set on its requests in
//     flight, λ/replicas × mean latency (Little's law), matching the
//     plan's memory model base + perInFlight × in-flight;
//   - the trend of the daily peaks (complete UTC days only), projected a
//     horizon ahead with the prediction interval of a new observation.
//
// Every fit carries R², the residual standard deviation, the number of
// points and the hours they span, and is graded against a Gate (minimum
// points, hours and R², as krr gates on history): below it the result is
// kept but marked LowConfidence with the reasons. Too few points to fit at
// all (fewer than 3), a constant explanatory series, an empty result or one
// made only of NaN samples are errors (ErrNoData, ErrTooFewPoints) naming
// the query. NaN and infinite samples are dropped and counted; steps with a
// missing sample in any series (gaps) are left out of the joins and
// counted. Counter resets are left to PromQL's rate() and increase(),
// which handle them; this package never differentiates raw counters.
//
// # The assumption to know
//
// The latency histogram measures time inside the pod, queueing included.
// It equals the service time the plan wants only while the pods are not
// saturated; observe a window without saturation, or override the latency
// queries with a service-time metric.
//
// # Label conventions
//
// The default queries (DefaultQueries) assume kube-prometheus labels:
// application and cAdvisor metrics carry namespace and pod (cAdvisor also
// container); kube-state-metrics carries namespace and the object's name
// under deployment, statefulset or horizontalpodautoscaler. Pods are matched
// by name with PodRegexp. A plan overrides any query in its observe:
// section (scenarios.ObserveQueries documents the placeholders).
//
// # Usage
//
//	c, err := prom.NewClient("http://prometheus.monitoring:9090", nil)
//	obs, err := c.Observe(ctx, plan, prom.Options{Window: 14 * 24 * time.Hour})
//	out, err := prom.UpdatePlan(plan.File(), src, obs, prom.WriteOptions{})
//
// UpdatePlan decides what to write and leaves the writing to
// scenarios/planfile: it keeps the plan's comments, writes each value with
// a comment on its fit, adds the replay scenario observed-<service> and the
// forecast scenario forecast-<service>, and validates the result.
// ContainerUsage gives the right-sizing recommenders per-pod CPU and memory
// histories.
package prom
