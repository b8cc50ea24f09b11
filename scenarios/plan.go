package scenarios

import (
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
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Metadata   Metadata `json:"metadata"`
	// Seed seeds every random element (noise profiles, simulation). The same
	// plan and seed give byte-identical output. Default 1.
	Seed      int64      `json:"seed,omitempty"`
	Services  []Service  `json:"services"`
	Scenarios []Scenario `json:"scenarios"`
	Cluster   Cluster    `json:"cluster"`
	// Simulation tunes the simulator; every field has a default.
	Simulation Simulation `json:"simulation,omitempty"`
	// Observe overrides the PromQL that `headroom observe` runs; nil uses
	// the defaults for the common exporters.
	Observe *Observe `json:"observe,omitempty"`

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

// Metadata names the plan.
type Metadata struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

// Service is one workload to size: what it runs as, how each request loads a
// pod, how it scales and what it must deliver.
type Service struct {
	// Name identifies the service in the plan and in reports.
	Name      string `json:"name"`
	Namespace string `json:"namespace,omitempty"`
	// WorkloadRef is the Deployment or StatefulSet that runs the service.
	// Default: a Deployment named after the service.
	WorkloadRef WorkloadRef `json:"workloadRef,omitempty"`
	// Container is the name of the serving container; default the service name.
	Container string `json:"container,omitempty"`
	// Replicas is the current replica count (spec.replicas).
	Replicas int32 `json:"replicas"`
	// Fixed marks a service whose capacity does not grow with replicas (a
	// single-primary database, a cache): sizing reports its utilisation and
	// latency at Replicas instead of a replica count.
	Fixed bool `json:"fixed,omitempty"`
	// Resources are the serving container's requests and limits (cpu, memory).
	Resources corev1.ResourceRequirements `json:"resources"`

	// RequestRate is the observed request rate over all replicas, e.g.
	// "1000/min" or "16.7/s". Scenarios multiply it.
	RequestRate Rate `json:"requestRate"`
	// ServiceTime is the time one request holds a worker slot, excluding
	// queueing.
	ServiceTime ServiceTime `json:"serviceTime"`
	// Concurrency is the number of requests one pod serves at once (worker
	// slots); further requests queue in the pod.
	Concurrency int `json:"concurrency"`
	// CPU says how much CPU a request costs.
	CPU CPUModel `json:"cpu"`
	// Memory says how much memory a pod uses.
	Memory MemoryModel `json:"memory"`
	// Startup says how long a new pod takes to serve.
	Startup Startup `json:"startup,omitempty"`

	// HPA is the autoscaler as it runs today, pasted from the cluster's
	// HorizontalPodAutoscaler spec. Nil for a service without one.
	HPA *autoscalingv2.HorizontalPodAutoscalerSpec `json:"hpa,omitempty"`
	// HPAName is the HPA object's name, for patches; default
	// "<workload name>-hpa".
	HPAName string `json:"hpaName,omitempty"`
	// SLO is what the service must deliver.
	SLO SLO `json:"slo,omitempty"`
	// Redundancy is the spare capacity the service must keep.
	Redundancy Redundancy `json:"redundancy,omitempty"`

	// Timeout is how long a request may wait and run before the client
	// gives up and counts an error. Default 30s.
	Timeout Duration `json:"timeout,omitempty"`
	// MetricSources says what each custom (Pods, Object, External) metric
	// of the HPA measures, so the simulator can produce it.
	MetricSources []MetricSource `json:"metricSources,omitempty"`
	// ScheduledScaling are changes made at fixed times of day, like the
	// runbook's CronJobs running `kubectl scale` or patching the HPA.
	ScheduledScaling []ScheduledAction `json:"scheduledScaling,omitempty"`
}

// MetricSource maps a custom metric name to a simulated quantity.
type MetricSource struct {
	// Name is the metric name as the HPA spec writes it.
	Name string `json:"name"`
	// Source is what the metric measures, per pod: requestRate (requests
	// per second), inFlight (requests in the pod, served or queued),
	// queueDepth (requests waiting, for the whole service), cpu (cores) or
	// memory (bytes).
	Source string `json:"source"`
	// Factor multiplies the source (e.g. open connections per request per
	// second). Default 1.
	Factor *float64 `json:"factor,omitempty"`
	// Lag is the delay from the quantity to the value the HPA reads (scrape
	// interval plus adapter and rate windows). Default 30s.
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
type ScheduledAction struct {
	Name string    `json:"name,omitempty"`
	At   TimeOfDay `json:"at"`
	// Replicas sets the workload's spec.replicas (`kubectl scale`); with an
	// HPA the controller takes it from there on its next sync.
	Replicas *int32 `json:"replicas,omitempty"`
	// MinReplicas and MaxReplicas patch the HPA.
	MinReplicas *int32 `json:"minReplicas,omitempty"`
	MaxReplicas *int32 `json:"maxReplicas,omitempty"`
}

// WorkloadRef names the workload that runs a service.
type WorkloadRef struct {
	// Kind is Deployment or StatefulSet.
	Kind string `json:"kind,omitempty"`
	Name string `json:"name,omitempty"`
}

// ServiceTime is the per-request service-time distribution, given by its
// mean and either a high percentile or its coefficient of variation. With
// neither, service times are taken as exponential (CV 1).
type ServiceTime struct {
	Mean Duration `json:"mean"`
	// P95 is the observed 95th percentile of the service time alone.
	P95 *Duration `json:"p95,omitempty"`
	// CV is the coefficient of variation (standard deviation / mean).
	CV *float64 `json:"cv,omitempty"`
}

// CPUModel gives the CPU cost of requests, either directly or from an
// observation at the observed request rate.
type CPUModel struct {
	// PerRequest is the CPU time one request uses, as a duration ("60ms" is
	// 0.06 core-seconds).
	PerRequest *Duration `json:"perRequest,omitempty"`
	// ObservedPerPod is the average CPU usage of one pod at RequestRate with
	// Replicas pods, as a quantity ("350m"); CPU per request is derived from it.
	ObservedPerPod *Quantity `json:"observedPerPod,omitempty"`
	// Idle is the CPU a pod uses with no traffic. Default 0.
	Idle *Quantity `json:"idle,omitempty"`
}

// MemoryModel is a pod's memory: a base plus a slope per in-flight request.
type MemoryModel struct {
	Base        Quantity  `json:"base"`
	PerInFlight *Quantity `json:"perInFlight,omitempty"`
}

// Startup is the delay between a pod being scheduled and it serving.
type Startup struct {
	// ImagePull is the time to pull the image on a new node. Default 0.
	ImagePull Duration `json:"imagePull,omitempty"`
	// ContainerStart is the time from container start to the process
	// listening. Default 0.
	ContainerStart Duration `json:"containerStart,omitempty"`
	// Readiness is the time from listening to passing the readiness probe.
	// Default 0.
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
	// ErrorRate is the largest tolerated fraction of failed requests, in
	// (0, 1): "1%" (canonical) or 0.01.
	ErrorRate *Ratio `json:"errorRate,omitempty"`
	// MaxUtilization is the utilisation ceiling, in (0%, 100%): of CPU
	// against its request and of worker slots. Written "80%" (canonical),
	// 0.8, or 80 (a bare number of 1 or more is percent). Default: the
	// HPA's CPU utilisation target, else 80%.
	MaxUtilization *Percent `json:"maxUtilization,omitempty"`
}

// LatencySLO is "the Quantile of response time stays below Target".
type LatencySLO struct {
	// Quantile in (0, 1), e.g. 0.95.
	Quantile float64  `json:"quantile"`
	Target   Duration `json:"target"`
}

// Redundancy is the spare capacity a service must keep beyond its load.
type Redundancy struct {
	// Zones the replicas are spread over (evenly). Default 1.
	Zones int `json:"zones,omitempty"`
	// ZoneLosses is how many zones the service must survive losing with its
	// SLO intact. Must be below Zones.
	ZoneLosses int `json:"zoneLosses,omitempty"`
	// Spare is k in N+k: replicas kept beyond the need. Default 0.
	Spare int `json:"spare,omitempty"`
	// MinReplicas is a floor on the replica count. Default 1.
	MinReplicas int `json:"minReplicas,omitempty"`
}

// Cluster is where the services run.
type Cluster struct {
	NodeTypes []NodeType `json:"nodeTypes"`
	// Autoscaler is the cluster-autoscaler's timing.
	Autoscaler AutoscalerTiming `json:"autoscaler,omitempty"`
}

// NodeType is one kind of node the cluster can add.
type NodeType struct {
	Name string `json:"name"`
	// Allocatable is what pods can request on one node (cpu, memory), after
	// system reservations and daemonsets.
	Allocatable corev1.ResourceList `json:"allocatable"`
	// PricePerHour is the on-demand price of one node, in the plan's currency.
	PricePerHour float64 `json:"pricePerHour"`
	// MaxNodes caps the node group; 0 means no cap.
	MaxNodes int `json:"maxNodes,omitempty"`
}

// AutoscalerTiming is the cluster-autoscaler's reaction times.
type AutoscalerTiming struct {
	// ProvisioningDelay is from a pod going Pending for lack of room to the
	// new node being Ready. Default 3m.
	ProvisioningDelay Duration `json:"provisioningDelay,omitempty"`
	// ScaleDownUnneeded is how long a node must be unneeded before removal.
	// Default 10m (cluster-autoscaler's --scale-down-unneeded-time).
	ScaleDownUnneeded Duration `json:"scaleDownUnneeded,omitempty"`
}

// Simulation holds the simulator's clocks and the HPA controller's flags.
type Simulation struct {
	// Tick is the virtual-clock step. Default 1s.
	Tick Duration `json:"tick,omitempty"`
	// MetricsResolution is metrics-server's scrape interval
	// (--metric-resolution). Default 15s.
	MetricsResolution Duration `json:"metricsResolution,omitempty"`
	// MetricsWindow is the averaging window of a CPU/memory sample. Default 30s.
	MetricsWindow Duration `json:"metricsWindow,omitempty"`
	// Controller are kube-controller-manager's HPA flags.
	Controller ControllerFlags `json:"controller,omitempty"`
}

// ControllerFlags are the kube-controller-manager HPA flags; zero means the
// upstream default.
type ControllerFlags struct {
	// SyncPeriod: --horizontal-pod-autoscaler-sync-period, default 15s.
	SyncPeriod Duration `json:"syncPeriod,omitempty"`
	// Tolerance: --horizontal-pod-autoscaler-tolerance, default 0.1.
	Tolerance *float64 `json:"tolerance,omitempty"`
	// CPUInitializationPeriod: default 5m.
	CPUInitializationPeriod Duration `json:"cpuInitializationPeriod,omitempty"`
	// InitialReadinessDelay: default 30s.
	InitialReadinessDelay Duration `json:"initialReadinessDelay,omitempty"`
	// DownscaleStabilization: default 5m.
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
