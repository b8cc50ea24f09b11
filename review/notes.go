package review

import (
	"fmt"
	"strings"

	"github.com/headroom-dev/headroom/model"
	"github.com/headroom-dev/headroom/review/record"
	"github.com/headroom-dev/headroom/scenarios"
)

// routingRandom is the routing note of a plan whose services all split
// their requests at random (kube-proxy's iptables mode, the default).
const routingRandom = "Requests are spread evenly over Ready pods and each pod is its own queue (M/M/k or G/G/k per pod at λ/N); one shared queue would need fewer replicas."

// routingQueue says what each load-balancing policy makes of a service's
// pods (model/balancing.go has the approximations and their sources).
var routingQueue = map[model.BalancingPolicy]string{
	model.BalanceRandom:          "each pod its own queue at λ/N (G/G/k per pod, Poisson splitting)",
	model.BalanceRoundRobin:      "each pod its own queue at λ/N with every N-th request (Erlang-N arrivals, c_a² = 1/N, Allen–Cunneen)",
	model.BalanceLeastRequest:    "between one shared queue and a queue per pod, by the power-of-d-choices fixed point (Mitzenmacher 2001)",
	model.BalanceLeastConnection: "between one shared queue and a queue per pod, by the join-the-shortest-queue fixed point",
	model.BalanceSharedQueue:     "one queue in front of every pod's worker slots (G/G/(N·k) at λ)",
}

// modelNotes are the assumptions every headroom number rests on, stated
// once for the report's "Assumptions" section: the fixed ones, the routing
// the plan's loadBalancing policies give, and its calls when it has any.
func modelNotes(plan *scenarios.Plan) []string {
	notes := make([]string, 0, len(baseNotes)+2)
	notes = append(notes, baseNotes[0], routingNote(plan))
	notes = append(notes, baseNotes[1:]...)
	if plan.HasCalls() {
		notes = append(notes, "A service's rate is its own plus, for each service calling it, the caller's rate × perRequest; a synchronous call holds the caller's worker slot for the callee's response (fluid: its mean response this tick; DES: one of its recent responses), and a request's CPU stays its CPU per request however long it waits.")
	}
	return notes
}

// routingNote is the note on how requests reach pods: the random-splitting
// sentence when every service splits at random, otherwise each policy in
// use with its services.
func routingNote(plan *scenarios.Plan) string {
	by := map[model.BalancingPolicy][]string{}
	for i := range plan.Services {
		s := &plan.Services[i]
		pol := s.Balancing().Policy
		if pol == "" {
			pol = model.BalanceRandom
		}
		by[pol] = append(by[pol], s.Name)
	}
	if len(by) == 1 && by[model.BalanceRandom] != nil {
		return routingRandom
	}
	var parts []string
	for _, pol := range model.BalancingPolicies {
		if names := by[pol]; names != nil {
			parts = append(parts, fmt.Sprintf("%s (%s): %s", pol, strings.Join(names, ", "), routingQueue[pol]))
		}
	}
	return "Requests reach Ready pods as each service's loadBalancing says; " + strings.Join(parts, "; ") + "."
}

// baseNotes are the notes that do not depend on the plan.
var baseNotes = []string{
	"Arrivals are Poisson at the scenario's rate λ(t); the rate changes slowly compared with a request's response time.",
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
	{Output: "p95 latency", Inputs: []string{"replicas", "peak request rate", "serviceTime", "concurrency", "the routing (each service's loadBalancing policy)"}},
	{Output: "memory per pod", Inputs: []string{"memory.base", "memory.perInFlight", "in-flight requests at the SLO quantile (Little's law)"}},
	{Output: "SLO-violation minutes", Inputs: []string{"the traffic scenario over time", "the HPA spec and controller flags", "startup (image pull, start, readiness)", "node provisioning delay", "metrics resolution and window"}},
	{Output: "cost", Inputs: []string{"node types (allocatable, price)", "pod requests", "replicas over time"}},
	{Output: "pre-scale lead time", Inputs: []string{"startup", "cluster.autoscaler.provisioningDelay (when the event needs new nodes)", "the HPA sync period"}},
}
