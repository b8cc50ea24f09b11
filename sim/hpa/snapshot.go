package hpa

import (
	"time"

	corev1 "k8s.io/api/core/v1"
)

// Snapshot is what one reconcile reads: the target's scale subresource, the
// pods its selector matches, and the values the metrics APIs return. The
// Controller never retains it or its slices.
type Snapshot struct {
	// ScaleUnavailable makes the GET of the scale subresource fail
	// (AbleToScale=False/FailedGetScale); nothing else is read.
	ScaleUnavailable bool

	// SpecReplicas is scale.spec.replicas (currentReplicas upstream).
	SpecReplicas int32
	// StatusReplicas is scale.status.replicas; Object and External
	// AverageValue targets divide by it.
	StatusReplicas int32

	// Selector reports a problem with scale.status.selector; the zero value
	// means the selector is valid and owned by this HPA alone.
	Selector SelectorState

	// Pods are the pods the selector matches, in any order.
	Pods []Pod

	// Metrics holds what the metrics APIs return for each metric of the
	// spec, in the same order (for a spec without metrics, the default CPU
	// metric is entry 0). A metric without an entry behaves as if its
	// metrics API had failed.
	Metrics []MetricValues

	// RejectUpdate makes the update of the scale subresource fail
	// (AbleToScale=False/FailedUpdateScale), as on a write conflict.
	RejectUpdate bool
}

// SelectorState is the outcome of validating the scale's selector
// (validateAndParseSelector in horizontal.go).
type SelectorState uint8

const (
	// SelectorValid means the selector parses and no other HPA selects the
	// same pods.
	SelectorValid SelectorState = iota
	// SelectorInvalid means scale.status.selector is empty or does not
	// parse (ScalingActive=False/InvalidSelector).
	SelectorInvalid
	// SelectorAmbiguous means the pods are also selected by another HPA
	// (ScalingActive=False/AmbiguousSelector).
	SelectorAmbiguous
)

// String returns the state's name.
func (s SelectorState) String() string {
	switch s {
	case SelectorValid:
		return "Valid"
	case SelectorInvalid:
		return "Invalid"
	case SelectorAmbiguous:
		return "Ambiguous"
	}
	return "SelectorState(?)"
}

// PodPhase is a pod's status.phase.
type PodPhase uint8

const (
	// PodPending has been accepted but not all containers are running;
	// counted as unready for every per-pod metric.
	PodPending PodPhase = iota
	// PodRunning is bound to a node with all containers started.
	PodRunning
	// PodSucceeded has terminated successfully; treated like a running pod.
	PodSucceeded
	// PodFailed has terminated in failure; ignored.
	PodFailed
	// PodUnknown could not be observed; treated like a running pod.
	PodUnknown
)

// String returns the phase as Kubernetes spells it.
func (p PodPhase) String() string {
	switch p {
	case PodPending:
		return string(corev1.PodPending)
	case PodRunning:
		return string(corev1.PodRunning)
	case PodSucceeded:
		return string(corev1.PodSucceeded)
	case PodFailed:
		return string(corev1.PodFailed)
	case PodUnknown:
		return string(corev1.PodUnknown)
	}
	return "PodPhase(?)"
}

// Readiness is the state of a pod's Ready condition.
type Readiness uint8

const (
	// NotReady is a Ready condition with status False.
	NotReady Readiness = iota
	// Ready is a Ready condition with status True.
	Ready
	// ReadyUnknown is a Ready condition with status Unknown. The CPU rules
	// of groupPods test for False, so Unknown is not "unready" there; Object
	// and External Value targets count only True.
	ReadyUnknown
	// NoReadyCondition means the pod has no Ready condition at all.
	NoReadyCondition
)

// String returns the Ready condition's status, or None.
func (r Readiness) String() string {
	switch r {
	case NotReady:
		return "False"
	case Ready:
		return "True"
	case ReadyUnknown:
		return "Unknown"
	case NoReadyCondition:
		return "None"
	}
	return "Readiness(?)"
}

// Pod is the part of a pod the controller reads.
type Pod struct {
	// Name identifies the pod in traces; matching samples to pods is by
	// index (see MetricValues.Samples), not by name.
	Name string
	// Phase is status.phase.
	Phase PodPhase
	// Deleting is true once metadata.deletionTimestamp is set; the pod is
	// then ignored.
	Deleting bool
	// Ready is the Ready condition; ReadyTransitionTime is its
	// lastTransitionTime (ignored for NoReadyCondition).
	Ready               Readiness
	ReadyTransitionTime time.Duration
	// StartTime is status.startTime. NoStartTime means status.startTime is
	// unset (CPU samples of such a pod are never used).
	StartTime   time.Duration
	NoStartTime bool

	// Containers are the pod's containers and its restartable (sidecar)
	// init containers; the requests of Resource metrics are summed over
	// them, and a container without a request for the resource makes the
	// metric fail.
	Containers []Container
	// Requests are the pod-level requests (spec.resources.requests); when
	// non-nil and Config.PodLevelResources is on, Resource (not
	// ContainerResource) metrics use them instead of the containers'.
	Requests []ResourceAmount

	// Count is how many pods the entry stands for; 0 (or less) means one. A
	// simulator with many pods the controller cannot tell apart (the
	// same phase and readiness, the same requests, the same sample in
	// every metric, and the same CPU grouping at this sync whatever
	// their start and transition times) may give them one entry and one
	// sample per metric: every count and sum is then as if the pods were
	// listed one by one, bit for bit (the sums are of integers).
	Count int32
}

// n is the number of pods the entry stands for.
func (p *Pod) n() int32 {
	if p.Count > 0 {
		return p.Count
	}
	return 1
}

// Container is a container's name and resource requests.
type Container struct {
	Name string
	// Requests lists the container's resource requests; a resource not
	// listed has no request.
	Requests []ResourceAmount
}

// ResourceAmount is an amount of a named resource in milli-units
// (Quantity.MilliValue(): 1 CPU = 1000, 1 byte = 1000).
type ResourceAmount struct {
	Name  corev1.ResourceName
	Milli int64
}

// MetricValues is what the metrics APIs returned for one metric of the spec.
type MetricValues struct {
	// Unavailable makes the metrics API call fail (ScalingActive=False with
	// the metric type's FailedGet…Metric reason if no metric succeeds).
	Unavailable bool

	// Samples holds, for Resource, ContainerResource and Pods metrics, the
	// sample of Snapshot.Pods[i] at index i; a pod whose index is beyond the
	// slice, or whose sample is not Present, has no sample ("missing").
	Samples []Sample
	// UnmatchedSamples are samples for pods the selector no longer matches.
	// Upstream keeps them in the metrics map: they count in averages of
	// AverageValue targets and in the rebalanced replica count, but not in
	// utilization (they have no request).
	UnmatchedSamples []Sample

	// Value is an Object metric's value in milli-units.
	Value int64

	// Series are the values of the External metric's series in milli-units;
	// the controller sums them (capped at MaxInt64). No series is an error,
	// as with the external metrics API.
	Series []int64
}

// Sample is one per-pod metric point as returned by metrics-server or a
// custom metrics adapter.
type Sample struct {
	// Present is false when the API returned no sample for the pod.
	Present bool
	// Milli is the value in milli-units (for CPU: millicores).
	Milli int64
	// Timestamp and Window: the sample averages [Timestamp-Window,
	// Timestamp]. Only CPU readiness rules read them.
	Timestamp time.Duration
	Window    time.Duration
}
