package review

import "github.com/headroom-dev/headroom/review/record"

// modelNotes are the assumptions every headroom number rests on, stated
// once for the report's "Assumptions" section.
var modelNotes = []string{
	"Arrivals are Poisson at the scenario's rate λ(t); the rate changes slowly compared with a request's response time.",
	"Requests are spread evenly over Ready pods and each pod is its own queue (M/M/k or G/G/k per pod at λ/N); one shared queue would need fewer replicas.",
	"Service times follow the plan's mean and p95 (or CV): exponential when neither is given, otherwise a gamma distribution with that mean and CV; non-exponential latency is a two-moment approximation (marked ~).",
	"CPU grows linearly with the request rate (CPU per request × rate + idle); a pod whose CPU demand reaches its limit is throttled and counted unstable.",
	"Memory is a base plus a cost per in-flight request; in-flight requests at the SLO quantile come from Little's law.",
	"The HPA is an exact replica of the upstream controller (autoscaling/v2), fed metrics that lag as metrics-server's resolution and window make them.",
	"New pods wait for room on a node (the cluster-autoscaler adds nodes after its provisioning delay), then pull, start and pass readiness before serving.",
	"Costs are node-hours of the cheapest fitting node type at its list price; a pod's share is its larger share of a node's CPU or memory.",
}

// dependencies say what each reported number depends on.
var dependencies = []record.Dependency{
	{Output: "peak request rate", Inputs: []string{"requestRate (or the scenario's absolute rate)", "the scenario's profile (schedule, growth, spike…)"}},
	{Output: "required replicas (queueing)", Inputs: []string{"peak request rate", "serviceTime mean and p95/CV", "concurrency", "slo.latency", "cpu per request and the CPU request (utilisation ceiling = the HPA's CPU target or slo.maxUtilization)", "redundancy (zones, zone losses, spare, minReplicas)"}},
	{Output: "required replicas (utilisation only)", Inputs: []string{"peak request rate", "cpu per request", "the CPU request", "the HPA's CPU target"}},
	{Output: "p95 latency", Inputs: []string{"replicas", "peak request rate", "serviceTime", "concurrency", "the routing assumption (a queue per pod)"}},
	{Output: "memory per pod", Inputs: []string{"memory.base", "memory.perInFlight", "in-flight requests at the SLO quantile (Little's law)"}},
	{Output: "SLO-violation minutes", Inputs: []string{"the traffic scenario over time", "the HPA spec and controller flags", "startup (image pull, start, readiness)", "node provisioning delay", "metrics resolution and window"}},
	{Output: "cost", Inputs: []string{"node types (allocatable, price)", "pod requests", "replicas over time"}},
	{Output: "pre-scale lead time", Inputs: []string{"startup", "cluster.autoscaler.provisioningDelay (when the event needs new nodes)", "the HPA sync period"}},
}
