package hpa

import (
	"errors"
	"fmt"
	"strings"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
)

// Decision is the outcome of one reconcile.
type Decision struct {
	// Branch says which way reconcileAutoscaler went.
	Branch Branch

	// Rescale is true when the controller updated the scale subresource;
	// Replicas is then the new spec.replicas. Otherwise Replicas is the
	// unchanged Snapshot.SpecReplicas.
	Rescale  bool
	Replicas int32

	// CurrentReplicas and DesiredReplicas are status.currentReplicas and
	// status.desiredReplicas after the reconcile. When the reconcile fails
	// before a decision (scale or metrics unavailable) DesiredReplicas keeps
	// its previous value, as upstream.
	CurrentReplicas int32
	DesiredReplicas int32

	// MetricReplicas is the proposal from metrics (max over the metrics that
	// could be computed), before stabilisation and limits; -1 when metrics
	// were not computed or the proposal was discarded.
	MetricReplicas int32
	// Metric names the metric that gave MetricReplicas (upstream's metric
	// name string, e.g. "cpu resource utilization (percentage of request)").
	Metric string
	// StabilizedReplicas is the recommendation after the stabilisation
	// window, before rate limits and min/max; -1 when not reached.
	StabilizedReplicas int32

	// Metrics holds one proposal per metric of the spec (status.currentMetrics
	// plus what the controller concluded); owned by the Controller and valid
	// until the next Reconcile.
	Metrics []MetricProposal

	// Conditions are the HPA's status conditions after the reconcile. Like
	// upstream they persist across reconciles: a branch that does not touch
	// a condition leaves it as it was.
	Conditions Conditions

	// LastScaleTime is status.lastScaleTime; HasLastScaleTime is false until
	// the first rescale.
	LastScaleTime    time.Duration
	HasLastScaleTime bool

	// Err is the error reconcileAutoscaler would return (nil on success).
	// With some metrics invalid and a scale-up from the others, the controller
	// both rescales and returns an error.
	Err error
}

// RescaleReason is the reason upstream logs and puts in the
// SuccessfulRescale event ("cpu resource utilization (percentage of
// request) above target", "All metrics below target", …); empty when the
// decision is not a rescale. It allocates; call it only when needed.
func (d *Decision) RescaleReason() string {
	if !d.Rescale {
		return ""
	}
	switch d.Branch {
	case BranchAboveMax:
		return "Current number of replicas above Spec.MaxReplicas"
	case BranchBelowMin:
		return "Current number of replicas below Spec.MinReplicas"
	}
	if d.MetricReplicas > d.CurrentReplicas {
		return d.Metric + " above target"
	}
	if d.MetricReplicas < d.CurrentReplicas {
		return "All metrics below target"
	}
	return ""
}

// String renders the decision as one trace line, for example
// "Normalized 3->6 metrics=6 stabilized=6 AbleToScale=True/SucceededRescale
// ScalingActive=True/ValidMetricFound ScalingLimited=False/DesiredWithinRange".
func (d *Decision) String() string {
	var b strings.Builder
	b.WriteString(d.Branch.String())
	if d.Rescale {
		fmt.Fprintf(&b, " %d->%d", d.CurrentReplicas, d.Replicas)
	} else {
		fmt.Fprintf(&b, " %d", d.Replicas)
	}
	if d.MetricReplicas >= 0 {
		fmt.Fprintf(&b, " metrics=%d", d.MetricReplicas)
	}
	if d.StabilizedReplicas >= 0 {
		fmt.Fprintf(&b, " stabilized=%d", d.StabilizedReplicas)
	}
	for _, c := range []struct {
		name string
		c    Condition
	}{{"AbleToScale", d.Conditions.AbleToScale}, {"ScalingActive", d.Conditions.ScalingActive}, {"ScalingLimited", d.Conditions.ScalingLimited}, {"ScaledToZero", d.Conditions.ScaledToZero}} {
		if c.c.Status != "" {
			fmt.Fprintf(&b, " %s=%s/%s", c.name, c.c.Status, c.c.Reason)
		}
	}
	if d.Err != nil {
		fmt.Fprintf(&b, " err=%q", d.Err.Error())
	}
	return b.String()
}

// Branch is the path reconcileAutoscaler took.
type Branch uint8

const (
	// BranchFailedGetScale: the scale subresource could not be read.
	BranchFailedGetScale Branch = iota
	// BranchScalingDisabled: spec.replicas is 0 and minReplicas is not
	// (a manual scale to zero turns the HPA off).
	BranchScalingDisabled
	// BranchAboveMax: spec.replicas > maxReplicas; set to maxReplicas
	// without reading metrics.
	BranchAboveMax
	// BranchBelowMin: spec.replicas < minReplicas; set to minReplicas
	// without reading metrics.
	BranchBelowMin
	// BranchMetricsFailed: no usable proposal (all metrics failed, some
	// failed and the rest would scale down, or the selector is invalid).
	BranchMetricsFailed
	// BranchNormalized: a proposal from metrics went through stabilisation
	// and limits (behavior or legacy path).
	BranchNormalized
)

// String returns the branch name used in traces.
func (b Branch) String() string {
	switch b {
	case BranchFailedGetScale:
		return "FailedGetScale"
	case BranchScalingDisabled:
		return "ScalingDisabled"
	case BranchAboveMax:
		return "AboveMaxReplicas"
	case BranchBelowMin:
		return "BelowMinReplicas"
	case BranchMetricsFailed:
		return "MetricsFailed"
	case BranchNormalized:
		return "Normalized"
	}
	return "Branch(?)"
}

// MetricProposal is what the controller made of one metric.
type MetricProposal struct {
	// Type is the metric's source type as written in the spec.
	Type autoscalingv2.MetricSourceType
	// Name is upstream's name for the metric ("pods metric qps", …).
	Name string

	// Replicas is the metric's replica proposal; meaningful when Err is nil.
	Replicas int32
	// Err says why the metric gave no proposal; Reason is then the
	// ScalingActive reason upstream would use (FailedGetResourceMetric, …).
	Err    error
	Reason string

	// Utilization is the average utilization in integer percent of request
	// (Utilization targets; HasUtilization is then true), computed before
	// missing and unready pods are filled in.
	Utilization    int32
	HasUtilization bool
	// AverageMilli is the average per pod in milli-units: the raw average
	// usage of Resource metrics, the average of Pods metrics, and the
	// per-pod value of Object/External AverageValue targets.
	AverageMilli int64
	// ValueMilli is the Object value or the External sum, in milli-units.
	ValueMilli int64

	// ReadyPods, UnreadyPods, MissingPods and IgnoredPods are the groupPods
	// counts for per-pod metrics; for Object/External Value targets
	// ReadyPods is the number of Running and Ready pods.
	ReadyPods, UnreadyPods, MissingPods, IgnoredPods int32
}

// Condition is one HPA status condition.
type Condition struct {
	// Status is True or False; empty until the condition is first set.
	Status corev1.ConditionStatus
	// Reason is the upstream reason (one of the Reason* constants).
	Reason string
	// Message is upstream's human-readable message.
	Message string
	// LastTransitionTime is when Status last changed.
	LastTransitionTime time.Duration
}

// Conditions are the HPA status conditions the controller maintains.
type Conditions struct {
	AbleToScale    Condition
	ScalingActive  Condition
	ScalingLimited Condition
	// ScaledToZero is set on every successful rescale under the v1.37
	// HPAScaleToZero gate (Config.ZeroReplicas).
	ScaledToZero Condition
}

// AbleToScale reasons, as upstream writes them.
const (
	ReasonSucceededGetScale   = "SucceededGetScale"
	ReasonFailedGetScale      = "FailedGetScale"
	ReasonSucceededRescale    = "SucceededRescale"
	ReasonFailedUpdateScale   = "FailedUpdateScale"
	ReasonReadyForNewScale    = "ReadyForNewScale"
	ReasonScaleUpStabilized   = "ScaleUpStabilized"
	ReasonScaleDownStabilized = "ScaleDownStabilized"
)

// ScalingActive reasons, as upstream writes them.
const (
	ReasonValidMetricFound                 = "ValidMetricFound"
	ReasonScalingDisabled                  = "ScalingDisabled"
	ReasonInvalidSelector                  = "InvalidSelector"
	ReasonAmbiguousSelector                = "AmbiguousSelector"
	ReasonInvalidMetricSourceType          = "InvalidMetricSourceType"
	ReasonFailedGetResourceMetric          = "FailedGetResourceMetric"
	ReasonFailedGetContainerResourceMetric = "FailedGetContainerResourceMetric"
	ReasonFailedGetPodsMetric              = "FailedGetPodsMetric"
	ReasonFailedGetObjectMetric            = "FailedGetObjectMetric"
	ReasonFailedGetExternalMetric          = "FailedGetExternalMetric"
)

// ScalingLimited reasons, as upstream writes them.
const (
	ReasonDesiredWithinRange = "DesiredWithinRange"
	ReasonTooManyReplicas    = "TooManyReplicas"
	ReasonTooFewReplicas     = "TooFewReplicas"
	ReasonScaleUpLimit       = "ScaleUpLimit"
	ReasonScaleDownLimit     = "ScaleDownLimit"
)

// ScaledToZero reasons, as upstream writes them.
const (
	ReasonScaledToZero    = "ScaledToZero"
	ReasonNotScaledToZero = "NotScaledToZero"
)

// Errors a metric or a reconcile can fail with. Texts follow upstream.
var (
	// ErrFailedGetScale is returned when Snapshot.ScaleUnavailable is set.
	ErrFailedGetScale = errors.New("failed to query scale subresource")
	// ErrFailedUpdateScale is returned when Snapshot.RejectUpdate is set.
	ErrFailedUpdateScale = errors.New("failed to rescale")
	// ErrInvalidSelector: scale.status.selector is missing or invalid.
	ErrInvalidSelector = errors.New("selector is required")
	// ErrAmbiguousSelector: the pods are controlled by more than one HPA.
	ErrAmbiguousSelector = errors.New("pods by selector are controlled by multiple HPAs")
	// ErrMetricsAPI: the metrics API returned an error
	// (MetricValues.Unavailable).
	ErrMetricsAPI = errors.New("unable to get metric: the metrics API returned an error")
	// ErrNoMetrics: the metrics API returned no samples or series.
	ErrNoMetrics = errors.New("no metrics returned from the metrics API")
	// ErrNoPods: the selector matched no pods.
	ErrNoPods = errors.New("no pods returned by selector while calculating replica count")
	// ErrNoPodMetrics: every sample belonged to an ignored or unready pod.
	ErrNoPodMetrics = errors.New("did not receive metrics for targeted pods (pods might be unready)")
	// ErrNoMatchingMetrics: no sample matched a pod with a request.
	ErrNoMatchingMetrics = errors.New("no metrics returned matched known pods")
)

// MissingRequestError is the error of a Resource or ContainerResource
// utilization metric when a container has no request for the resource
// (calculatePodRequests upstream).
type MissingRequestError struct {
	Resource  corev1.ResourceName
	Container string
	Pod       string
}

// Error returns upstream's message for a missing request.
func (e *MissingRequestError) Error() string {
	return fmt.Sprintf("missing request for %s in container %s of Pod %s", e.Resource, e.Container, e.Pod)
}

// MetricsError is returned by a reconcile in which some metrics failed
// (computeReplicasForMetrics upstream).
type MetricsError struct {
	Invalid, Total int
	// First is the error of the first metric that failed.
	First error
}

// Error returns upstream's message for invalid metrics.
func (e *MetricsError) Error() string {
	return fmt.Sprintf("invalid metrics (%d invalid out of %d), first error is: %v", e.Invalid, e.Total, e.First)
}

// Unwrap returns the first metric's error.
func (e *MetricsError) Unwrap() error { return e.First }
