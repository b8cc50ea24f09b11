package scenarios

import (
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
)

// APIVersion and Kind identify a capacity plan document.
const (
	APIVersion = "headroom.dev/v1alpha1"
	Kind       = "CapacityPlan"
)

// Plan is a capacity plan: the services to size, the traffic scenarios to
// size and simulate them for, and the cluster they run on.
type Plan struct {
	// APIVersion is the schema's version. Required. One of:
	// `headroom.dev/v1alpha1`.
	APIVersion string `json:"apiVersion"`
	// Kind is the document's kind. Required. One of: `CapacityPlan`.
	Kind string `json:"kind"`
	// Metadata names the plan.
	Metadata Metadata `json:"metadata"`
	// Seed seeds every random element (noise profiles, simulation). The same
	// plan and seed give byte-identical output. Default: 1. Range: at least 0.
	Seed int64 `json:"seed,omitempty"`
	// Services are the workloads to size, at least one. Required.
	Services []Service `json:"services"`
	// Scenarios are the traffic patterns to size and simulate for, at least
	// one. Required.
	Scenarios []Scenario `json:"scenarios"`
	// Cluster is the node types the services run on. Required.
	Cluster Cluster `json:"cluster"`
	// Simulation tunes the simulator; every field has a default.
	Simulation Simulation `json:"simulation,omitempty"`
	// Observe overrides the PromQL that `headroom observe` runs; nil uses
	// the defaults for the common exporters.
	Observe *Observe `json:"observe,omitempty"`
	// Uncertainty gives relative ranges for the estimated inputs; with it,
	// every simulated verdict carries a p10 / p50 / p90 interval from a
	// seeded ensemble. Nil runs each scenario once.
	Uncertainty *Uncertainty `json:"uncertainty,omitempty"`

	// file is the path the plan was read from, for messages; source its bytes.
	file   string
	source []byte
	// present says whether a field path was given in the source; nil for
	// a plan built in code.
	present func(path string) bool
}

// File returns the path the plan was read from, or "" for a plan built in code.
func (p *Plan) File() string { return p.file }

// Source returns the YAML the plan was parsed from, or nil for a plan built
// in code.
func (p *Plan) Source() []byte { return p.source }

// LoadBalancing is how a service's requests are spread over its Ready pods.
// The DES simulates each policy exactly; the fluid mode and sizing use the
// approximations of docs/load-balancing.md.
type LoadBalancing struct {
	// Policy is one of: `random` (each request to a Ready pod chosen at
	// random: kube-proxy in iptables mode; the default), `round-robin`
	// (IPVS rr, many ingress controllers), `least-request` (the pod with
	// the fewest requests in flight among `choices` sampled at random:
	// Envoy's, Istio's and Linkerd's default), `least-connection` (the pod
	// with the fewest requests in flight: IPVS lc) or `shared-queue` (one
	// queue in front of every pod's worker slots: a message queue with
	// competing consumers). Default: random.
	Policy string `json:"policy,omitempty"`
	// Choices is how many pods least-request samples, with replacement
	// (Envoy's choice_count), and at most the most pods the service runs
	// (the HPA's maxReplicas, or replicas without an HPA). Only for
	// least-request. Default: 2. Range: at least 2.
	Choices *int `json:"choices,omitempty"`
}

// Metadata names the plan.
type Metadata struct {
	// Name names the plan in reports: a DNS-1123 subdomain (lowercase
	// letters, digits, '-' and '.'). Example: `noa-server`.
	Name string `json:"name"`
	// Description is free text shown in reports.
	Description string `json:"description,omitempty"`
}

// Service is one workload to size: what it runs as, how each request loads a
// pod, how it scales and what it must deliver.
type Service struct {
	// Name identifies the service in the plan and in reports: a DNS-1123
	// label (lowercase letters, digits and '-', at most 63 characters),
	// unique in the plan. Required. Example: `checkout-api`.
	Name string `json:"name"`
	// Namespace is the service's Kubernetes namespace, a DNS-1123 label.
	// Example: `shop`.
	Namespace string `json:"namespace,omitempty"`
	// WorkloadRef is the Deployment or StatefulSet that runs the service.
	// Default: a Deployment named after the service.
	WorkloadRef WorkloadRef `json:"workloadRef,omitempty"`
	// Container is the name of the serving container. Default: the service
	// name.
	Container string `json:"container,omitempty"`
	// Replicas is the current replica count (spec.replicas). Required.
	// Range: at least 1. Example: `3`.
	Replicas int32 `json:"replicas"`
	// Fixed marks a service whose capacity does not grow with replicas (a
	// single-primary database, a cache): sizing reports its utilisation and
	// latency at Replicas instead of a replica count.
	Fixed bool `json:"fixed,omitempty"`
	// Resources are the serving container's requests and limits, as in a
	// pod spec. Requests of cpu and memory are required (the model sizes
	// against them); a limit must be at least its request; other resources
	// and claims are refused. Required.
	Resources corev1.ResourceRequirements `json:"resources"`

	// RequestRate is the observed request rate over all replicas from
	// outside the plan's call graph, e.g. "1000/min" or "16.7/s";
	// the calls of the plan's other services add to it (see calls).
	// Scenarios multiply it. Required for a service no other service
	// calls; one that others call may leave it out or give 0 (a pure
	// callee, its rate all from its callers). The JSON Schema cannot see
	// the calls, so it leaves the field optional; the decoder checks.
	// Range: greater than 0 (at least 0 for a called service), at most
	// 1e9/s.
	RequestRate Rate `json:"requestRate"`
	// ServiceTime is the time one request holds a worker slot, excluding
	// queueing. Required, except when every endpoint gives its own; with
	// endpoints, the default of those that do not.
	ServiceTime ServiceTime `json:"serviceTime"`
	// Endpoints is the service's request mix: the kinds of request a load
	// test sends and, where known, each one's service time and CPU. A
	// request is of endpoint i with probability weight_i / Σ weight; its
	// service time is the endpoint's serviceTime, else the service's, and
	// its CPU the endpoint's cpuPerRequest, else the service's. The service
	// is sized and simulated on the mixture: the model takes its exact mean
	// and cs² (with a gamma tail, as for any service), the DES samples it
	// (an endpoint by weight, then its time). The service's serviceTime
	// (cpu) is optional when every endpoint gives its own, and refused as
	// unused then. Default: none (one kind of request).
	Endpoints []Endpoint `json:"endpoints,omitempty"`
	// Concurrency is the number of requests one pod serves at once (worker
	// slots); further requests queue in the pod. Required. Range: [1, 100000].
	// Example: `8`.
	Concurrency int `json:"concurrency"`
	// LoadBalancing is how requests reach the service's pods. Default:
	// random (kube-proxy in iptables mode).
	LoadBalancing *LoadBalancing `json:"loadBalancing,omitempty"`
	// CPU says how much CPU a request costs: perRequest or observedPerPod.
	// Required, except when every endpoint gives its cpuPerRequest.
	CPU CPUModel `json:"cpu"`
	// Memory says how much memory a pod uses. Required.
	Memory MemoryModel `json:"memory"`
	// Startup says how long a new pod takes to serve.
	Startup Startup `json:"startup,omitempty"`

	// HPA is the autoscaler as it runs today, pasted from the cluster's
	// HorizontalPodAutoscaler spec. Nil for a service without one.
	HPA *autoscalingv2.HorizontalPodAutoscalerSpec `json:"hpa,omitempty"`
	// HPAName is the HPA object's name, for patches, a DNS-1123 subdomain.
	// Default: the workload's name followed by -hpa.
	HPAName string `json:"hpaName,omitempty"`
	// SLO is what the service must deliver.
	SLO SLO `json:"slo,omitempty"`
	// Redundancy is the spare capacity the service must keep.
	Redundancy Redundancy `json:"redundancy,omitempty"`

	// Timeout is how long a request may wait and run before the client
	// gives up and counts an error. Default: 30s. Range: greater than 0.
	Timeout Duration `json:"timeout,omitempty"`
	// MetricSources says what each custom (Pods, Object, External) metric
	// of the HPA measures, so the simulator can produce it.
	MetricSources []MetricSource `json:"metricSources,omitempty"`
	// ScheduledScaling are changes made at fixed times of day, like the
	// runbook's CronJobs running `kubectl scale` or patching the HPA.
	ScheduledScaling []ScheduledAction `json:"scheduledScaling,omitempty"`
	// Calls are the plan's services this one calls while serving a
	// request: each adds perRequest times this service's rate to the
	// callee's, and a synchronous call holds this service's worker slot
	// for the callee's response time. The calls of all services form a
	// graph without cycles. Default: none.
	Calls []Call `json:"calls,omitempty"`

	// inRate is the rate the callers' calls add at today's traffic,
	// requests per second, set by Plan.SetDefaults.
	inRate float64
}

// MetricSource maps a custom metric name to a simulated quantity.
type MetricSource struct {
	// Name is the metric name as the HPA spec writes it, unique among the
	// service's metric sources. Required. Example: `http_requests_per_second`.
	Name string `json:"name"`
	// Source is what the metric measures, per pod: requestRate (requests
	// per second), inFlight (requests in the pod, served or queued),
	// queueDepth (requests waiting, for the whole service), cpu (cores) or
	// memory (bytes). Required. One of: `requestRate`, `inFlight`,
	// `queueDepth`, `cpu` or `memory`.
	Source string `json:"source"`
	// Factor multiplies the source (e.g. open connections per request per
	// second). Default: 1. Range: greater than 0.
	Factor *float64 `json:"factor,omitempty"`
	// Lag is the delay from the quantity to the value the HPA reads (scrape
	// interval plus adapter and rate windows), a whole number of ticks.
	// Default: 30s. Range: 0 to 1h.
	Lag *Duration `json:"lag,omitempty"`
}

// Metric sources.
const (
	SourceRequestRate = "requestRate"
	SourceInFlight    = "inFlight"
	SourceQueueDepth  = "queueDepth"
	SourceCPU         = "cpu"
	SourceMemory      = "memory"
)

// ScheduledAction changes the workload or its HPA every day at At (UTC).
// At least one of Replicas, MinReplicas and MaxReplicas is set.
type ScheduledAction struct {
	// Name labels the action in reports. Example: `morning-scale-up`.
	Name string `json:"name,omitempty"`
	// At is when the action runs every day, UTC. Default: 00:00.
	At TimeOfDay `json:"at"`
	// Replicas sets the workload's spec.replicas (`kubectl scale`); with an
	// HPA the controller takes it from there on its next sync. Range: at
	// least 0.
	Replicas *int32 `json:"replicas,omitempty"`
	// MinReplicas patches the HPA's minReplicas; the service needs an HPA.
	// Range: at least 1.
	MinReplicas *int32 `json:"minReplicas,omitempty"`
	// MaxReplicas patches the HPA's maxReplicas; the service needs an HPA.
	// Range: at least 1.
	MaxReplicas *int32 `json:"maxReplicas,omitempty"`
}

// WorkloadRef names the workload that runs a service.
type WorkloadRef struct {
	// Kind is the workload's kind. Default: Deployment. One of:
	// `Deployment` or `StatefulSet`.
	Kind string `json:"kind,omitempty"`
	// Name is the workload's name, a DNS-1123 subdomain. Default: the
	// service's name.
	Name string `json:"name,omitempty"`
}

// ServiceTime is the per-request service-time distribution, given by its
// mean and either a high percentile or its coefficient of variation. With
// neither, service times are taken as exponential (CV 1).
// Give at most one of P95 and CV.
type ServiceTime struct {
	// Mean is the mean service time. Required, except with distribution
	// `empirical`, where it defaults to the histogram's mean and, when
	// given, must agree with it within 2 %. Range: greater than 0.
	// Example: `120ms`.
	Mean Duration `json:"mean"`
	// P95 is the observed 95th percentile of the service time alone.
	// Range: above mean. Example: `400ms`.
	P95 *Duration `json:"p95,omitempty"`
	// CV is the coefficient of variation (standard deviation / mean).
	// Default: 1 (exponential). Range: (0, 10]. Example: `0.8`.
	CV *float64 `json:"cv,omitempty"`
	// Distribution names the service time's family: `exponential`, `gamma`,
	// `lognormal`, `weibull` or `empirical`. With p95 (or cv) it is fitted
	// exactly to the mean; the model uses its variance and the DES samples
	// it. `empirical` takes the histogram instead of p95 and cv. A mean
	// and a p95 alone do not pin down a heavy tail: without a family a
	// gamma is fitted, and `headroom loadtest plan` warns when the tail is
	// heavy (cv above 1). Default: none (gamma, or exponential without p95
	// and cv). Example: `lognormal`.
	Distribution string `json:"distribution,omitempty"`
	// Histogram is the measured service time with distribution `empirical`:
	// buckets with strictly increasing upper bounds. A request falls in a
	// bucket with probability proportional to its count, uniformly between
	// the previous bound (0 for the first) and its own; the model uses
	// that distribution's exact mean, variance and tail, and the DES
	// samples it. Only with distribution `empirical`, where it is required.
	// Example: `[{le: 10ms, count: 40}, {le: 25ms, count: 50}]`.
	Histogram []HistogramBucket `json:"histogram,omitempty"`
}

// HistogramBucket is one bucket of a service-time histogram.
type HistogramBucket struct {
	// Le is the bucket's upper bound: every request counted in it took at
	// most this long, and longer than the previous bucket's bound. Required.
	// Range: greater than the previous bucket's. Example: `25ms`.
	Le Duration `json:"le"`
	// Count is how many requests fell in this bucket alone (not
	// cumulative); the counts must have a positive total. Range: [0, 1e15].
	// Example: `50`.
	Count float64 `json:"count"`
}

// CPUModel gives the CPU cost of requests, either directly or from an
// observation at the observed request rate: exactly one of PerRequest and
// ObservedPerPod.
type CPUModel struct {
	// PerRequest is the CPU time one request uses, as a duration ("60ms" is
	// 0.06 core-seconds). Range: greater than 0. Example: `20ms`.
	PerRequest *Duration `json:"perRequest,omitempty"`
	// ObservedPerPod is the average CPU usage of one pod at the service's
	// rate (RequestRate plus its callers' calls) with Replicas pods, as a quantity ("350m"); CPU per request is derived from it.
	// Range: greater than 0. Example: `350m`.
	ObservedPerPod *Quantity `json:"observedPerPod,omitempty"`
	// Idle is the CPU a pod uses with no traffic. Default: 0. Range: at
	// least 0, below observedPerPod. Example: `20m`.
	Idle *Quantity `json:"idle,omitempty"`
}

// MemoryModel is a pod's memory: a base plus a slope per in-flight request.
type MemoryModel struct {
	// Base is a pod's memory with no request in flight. Required. Range:
	// greater than 0. Example: `256Mi`.
	Base Quantity `json:"base"`
	// PerInFlight is the memory each request in the pod adds. Default: 0.
	// Range: at least 0. Example: `2Mi`.
	PerInFlight *Quantity `json:"perInFlight,omitempty"`
}

// Startup is the delay between a pod being scheduled and it serving.
type Startup struct {
	// ImagePull is the time to pull the image on a new node. Default: 0s.
	// Range: at least 0.
	ImagePull Duration `json:"imagePull,omitempty"`
	// ContainerStart is the time from container start to the process
	// listening. Default: 0s. Range: at least 0.
	ContainerStart Duration `json:"containerStart,omitempty"`
	// Readiness is the time from listening to passing the readiness probe.
	// Default: 0s. Range: at least 0.
	Readiness Duration `json:"readiness,omitempty"`
}

// Total is the whole start-up delay.
func (s Startup) Total() Duration {
	return s.ImagePull + s.ContainerStart + s.Readiness
}

// SLO is a service's objective.
type SLO struct {
	// Latency bounds a quantile of the response time (queueing + service).
	Latency *LatencySLO `json:"latency,omitempty"`
	// ErrorRate is the largest tolerated fraction of failed requests:
	// "1%" (canonical) or 0.01. Range: (0, 1). Example: `1%`.
	ErrorRate *Ratio `json:"errorRate,omitempty"`
	// MaxUtilization is the utilisation ceiling: of CPU against its request
	// and of worker slots. Written "80%" (canonical), 0.8, or 80 (a bare
	// number of 1 or more is percent). Default: the HPA's CPU utilisation
	// target, else 80%. Range: [1, 99] percent. Example: `70%`.
	MaxUtilization *Percent `json:"maxUtilization,omitempty"`
	// Window is the error-budget window: a simulation reports, beside the
	// burn over the whole scenario, the worst burn over any window of this
	// length (a scenario shorter than the window is judged over what there
	// is). Default: 1h. Range: 1m to 24h. Example: `1h`.
	Window *Duration `json:"window,omitempty"`
}

// DefaultSLOWindow is the error-budget window of a service whose SLO gives
// none.
const DefaultSLOWindow = time.Hour

// Bounds of slo.window.
const (
	MinSLOWindow = time.Minute
	MaxSLOWindow = 24 * time.Hour
)

// BudgetWindow is the SLO's error-budget window, DefaultSLOWindow unless
// the plan gives one.
func (s SLO) BudgetWindow() time.Duration {
	if s.Window != nil {
		return s.Window.D()
	}
	return DefaultSLOWindow
}

// LatencySLO is "the Quantile of response time stays below Target".
type LatencySLO struct {
	// Quantile is the fraction of requests that must be within Target:
	// 0.95 (canonical) or "95%" for p95. Required. Range: (0, 1).
	// Example: `0.95`.
	Quantile Ratio `json:"quantile"`
	// Target is the response-time bound. Required. Range: greater than 0.
	// Example: `500ms`.
	Target Duration `json:"target"`
}

// Redundancy is the spare capacity a service must keep beyond its load.
type Redundancy struct {
	// Zones the replicas are spread over (evenly); 0 is taken as 1.
	// Default: 1. Range: at least 0. Example: `3`.
	Zones int `json:"zones,omitempty"`
	// ZoneLosses is how many zones the service must survive losing with its
	// SLO intact. Default: 0. Range: at least 0, below zones. Example: `1`.
	ZoneLosses int `json:"zoneLosses,omitempty"`
	// Spare is k in N+k: replicas kept beyond the need. Default: 0. Range:
	// at least 0.
	Spare int `json:"spare,omitempty"`
	// MinReplicas is a floor on the replica count. Default: 1. Range: at
	// least 0.
	MinReplicas int `json:"minReplicas,omitempty"`
}

// Cluster is where the services run.
type Cluster struct {
	// NodeTypes are the kinds of node pods are packed onto, at least one.
	// Required.
	NodeTypes []NodeType `json:"nodeTypes"`
	// Autoscaler is the cluster-autoscaler's timing.
	Autoscaler AutoscalerTiming `json:"autoscaler,omitempty"`
}

// NodeType is one kind of node the cluster can add.
type NodeType struct {
	// Name names the node type, unique in the plan. Required. Example:
	// `m5.xlarge`.
	Name string `json:"name"`
	// Allocatable is what pods can request on one node (cpu, memory), after
	// system reservations and daemonsets; both are required. Required.
	Allocatable corev1.ResourceList `json:"allocatable"`
	// PricePerHour is the on-demand price of one node, in the plan's currency.
	// Range: at least 0. Example: `0.192`.
	PricePerHour float64 `json:"pricePerHour"`
	// MaxNodes caps the node group; 0 means no cap. Default: 0. Range: at
	// least 0.
	MaxNodes int `json:"maxNodes,omitempty"`
}

// AutoscalerTiming is the cluster-autoscaler's reaction times.
type AutoscalerTiming struct {
	// ProvisioningDelay is from a pod going Pending for lack of room to the
	// new node being Ready. Default: 3m. Range: at least 0.
	ProvisioningDelay Duration `json:"provisioningDelay,omitempty"`
	// ScaleDownUnneeded is how long a node must be unneeded before removal.
	// Default: 10m (cluster-autoscaler's --scale-down-unneeded-time). Range:
	// at least 0.
	ScaleDownUnneeded Duration `json:"scaleDownUnneeded,omitempty"`
}

// Simulation holds the simulator's clocks and the HPA controller's flags.
type Simulation struct {
	// Tick is the virtual-clock step; it must divide 10s and the HPA's sync
	// period. Default: 1s. Range: 10ms to 1m.
	Tick Duration `json:"tick,omitempty"`
	// MetricsResolution is metrics-server's scrape interval
	// (--metric-resolution), a whole number of ticks. Default: 15s. Range:
	// at least the tick.
	MetricsResolution Duration `json:"metricsResolution,omitempty"`
	// MetricsWindow is the averaging window of a CPU/memory sample, a whole
	// number of ticks. Default: 30s. Range: the tick to 10m.
	MetricsWindow Duration `json:"metricsWindow,omitempty"`
	// Controller are kube-controller-manager's HPA flags.
	Controller ControllerFlags `json:"controller,omitempty"`
	// ColdStart starts every scenario at the services' replica counts with
	// empty queues and metric windows and an HPA without history, as
	// --cold-start does. Default: false, a warm start in the steady state
	// of the scenario's first instant (replicas where the HPA settles at
	// the opening rate, nodes for them, queues and metric windows
	// stationary).
	ColdStart bool `json:"coldStart,omitempty"`
}

// ControllerFlags are the kube-controller-manager HPA flags; zero means the
// upstream default.
type ControllerFlags struct {
	// SyncPeriod is --horizontal-pod-autoscaler-sync-period, a whole number
	// of ticks. Default: 15s. Range: at least the tick.
	SyncPeriod Duration `json:"syncPeriod,omitempty"`
	// Tolerance is --horizontal-pod-autoscaler-tolerance, a fraction of the
	// target. Default: 0.1. Range: [0, 1).
	Tolerance *float64 `json:"tolerance,omitempty"`
	// CPUInitializationPeriod is
	// --horizontal-pod-autoscaler-cpu-initialization-period. Default: 5m.
	// Range: at least 0.
	CPUInitializationPeriod Duration `json:"cpuInitializationPeriod,omitempty"`
	// InitialReadinessDelay is
	// --horizontal-pod-autoscaler-initial-readiness-delay. Default: 30s.
	// Range: at least 0.
	InitialReadinessDelay Duration `json:"initialReadinessDelay,omitempty"`
	// DownscaleStabilization is
	// --horizontal-pod-autoscaler-downscale-stabilization, used when the HPA
	// has no behavior. Default: 5m. Range: at least 0.
	DownscaleStabilization Duration `json:"downscaleStabilization,omitempty"`
}

// Service returns the named service, or nil.
func (p *Plan) Service(name string) *Service {
	for i := range p.Services {
		if p.Services[i].Name == name {
			return &p.Services[i]
		}
	}
	return nil
}

// Scenario returns the named scenario, or nil.
func (p *Plan) Scenario(name string) *Scenario {
	for i := range p.Scenarios {
		if p.Scenarios[i].Name == name {
			return &p.Scenarios[i]
		}
	}
	return nil
}
