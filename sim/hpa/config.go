package hpa

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// Config holds the kube-controller-manager settings that shape HPA decisions.
// DefaultConfig returns the production defaults; the zero Config is not
// useful (a zero scale-up limit would forbid every legacy scale-up).
type Config struct {
	// Tolerance is --horizontal-pod-autoscaler-tolerance: no scaling happens
	// while the usage ratio stays within [1-Tolerance, 1+Tolerance]. Per-HPA
	// behavior.scaleUp/scaleDown.tolerance override it per direction when
	// ConfigurableTolerance is on. Default 0.1; must be >= 0.
	Tolerance float64

	// CPUInitializationPeriod is
	// --horizontal-pod-autoscaler-cpu-initialization-period: during this
	// time after a pod starts, its CPU sample is used only if the pod is
	// Ready and the sample was taken entirely after the pod became Ready.
	// Default 5m; must be >= 0.
	CPUInitializationPeriod time.Duration

	// InitialReadinessDelay is
	// --horizontal-pod-autoscaler-initial-readiness-delay: after the CPU
	// initialisation period, an unready pod is treated as "never ready" (its
	// CPU sample is ignored) if its last readiness transition came less than
	// this long after it started. Default 30s; must be >= 0.
	InitialReadinessDelay time.Duration

	// DownscaleStabilizationWindow is
	// --horizontal-pod-autoscaler-downscale-stabilization: the legacy
	// (no behavior) scale-down window, and the scale-down window of an HPA
	// whose behavior.scaleDown.stabilizationWindowSeconds is unset. Upstream
	// truncates it to whole seconds for the behavior path; so does this
	// package. Default 5m; must be >= 0.
	DownscaleStabilizationWindow time.Duration

	// ScaleUpLimitFactor and ScaleUpLimitMinimum bound a legacy scale-up to
	// max(ScaleUpLimitFactor*current, ScaleUpLimitMinimum) replicas per sync
	// (scaleUpLimitFactor / scaleUpLimitMinimum in horizontal.go; not flags).
	// Defaults 2.0 and 4.0. The upstream unit tests run with factor 8.
	ScaleUpLimitFactor  float64
	ScaleUpLimitMinimum float64

	// SyncPeriod is --horizontal-pod-autoscaler-sync-period, how often the
	// caller should call Reconcile. The controller itself does not read it.
	// Default 15s.
	SyncPeriod time.Duration

	// ConfigurableTolerance is the HPAConfigurableTolerance feature gate
	// (KEP-4951; alpha 1.33, beta and on by default from 1.35). When false,
	// behavior.*.tolerance is ignored. Default true.
	ConfigurableTolerance bool

	// PodLevelResources is the PodLevelResources feature gate (beta and on
	// by default from 1.34): when on, a Resource metric's requests come from
	// Pod.Requests when the pod sets pod-level requests. Default true.
	PodLevelResources bool

	// ZeroReplicas is how a target at spec.replicas 0 is handled: the
	// HPAScaleToZero feature gate of v1.37 (beta, on by default) or the rule
	// before v1.37. Default ZeroReplicasScaleToZero.
	ZeroReplicas ZeroReplicaRule
}

// ZeroReplicaRule selects the handling of a target scaled to zero
// (reconcileAutoscaler in pkg/controller/podautoscaler/horizontal.go).
type ZeroReplicaRule uint8

const (
	// ZeroReplicasScaleToZero is v1.37 with the HPAScaleToZero gate on (its
	// default): at spec.replicas 0 metrics are computed only when the HPA's
	// ScaledToZero condition is True and (minReplicas is not 0 or the spec
	// has an Object or External metric); otherwise scaling is disabled. A
	// scale-up from zero with minReplicas > 0 goes to at least minReplicas.
	// Every successful rescale sets ScaledToZero: True/ScaledToZero when it
	// went to zero with minReplicas 0 and an Object or External metric,
	// False/NotScaledToZero otherwise.
	ZeroReplicasScaleToZero ZeroReplicaRule = iota
	// ZeroReplicasGateOff is v1.37 with the HPAScaleToZero gate off: at
	// spec.replicas 0 scaling is always disabled, and there is no
	// ScaledToZero condition.
	ZeroReplicasGateOff
	// ZeroReplicasPre137 is the rule before v1.37 (the upstream commit the
	// unit-test conformance cases cite): scaling is disabled at
	// spec.replicas 0 only when minReplicas is not 0; with minReplicas 0
	// the metrics are computed. No ScaledToZero condition.
	ZeroReplicasPre137
)

// DefaultConfig returns the kube-controller-manager defaults
// (pkg/controller/podautoscaler/config/v1alpha1/defaults.go plus the
// scale-up limit constants of horizontal.go).
func DefaultConfig() Config {
	return Config{
		Tolerance:                    0.1,
		CPUInitializationPeriod:      5 * time.Minute,
		InitialReadinessDelay:        30 * time.Second,
		DownscaleStabilizationWindow: 5 * time.Minute,
		ScaleUpLimitFactor:           2.0,
		ScaleUpLimitMinimum:          4.0,
		SyncPeriod:                   15 * time.Second,
		ConfigurableTolerance:        true,
		PodLevelResources:            true,
		ZeroReplicas:                 ZeroReplicasScaleToZero,
	}
}

// Validate reports the first setting that is out of range.
func (c Config) Validate() error {
	switch {
	case !(c.Tolerance >= 0) || math.IsInf(c.Tolerance, 0):
		return fmt.Errorf("tolerance must be a finite number >= 0, got %v", c.Tolerance)
	case c.CPUInitializationPeriod < 0:
		return fmt.Errorf("cpu initialization period must be >= 0, got %v", c.CPUInitializationPeriod)
	case c.InitialReadinessDelay < 0:
		return fmt.Errorf("initial readiness delay must be >= 0, got %v", c.InitialReadinessDelay)
	case c.DownscaleStabilizationWindow < 0:
		return fmt.Errorf("downscale stabilization window must be >= 0, got %v", c.DownscaleStabilizationWindow)
	case !(c.ScaleUpLimitFactor >= 0) || math.IsInf(c.ScaleUpLimitFactor, 0):
		return fmt.Errorf("scale-up limit factor must be a finite number >= 0, got %v", c.ScaleUpLimitFactor)
	case !(c.ScaleUpLimitMinimum >= 0) || math.IsInf(c.ScaleUpLimitMinimum, 0):
		return fmt.Errorf("scale-up limit minimum must be a finite number >= 0, got %v", c.ScaleUpLimitMinimum)
	case c.SyncPeriod < 0:
		return errors.New("sync period must be >= 0")
	case c.ZeroReplicas > ZeroReplicasPre137:
		return fmt.Errorf("unknown zero-replica rule %d", c.ZeroReplicas)
	}
	return nil
}
