package record

import (
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
)

// The decisions a review reports, as package capacity makes them. The types
// repeat capacity's field for field, so the review converts them with a
// plain type conversion and report.json keeps the same bytes; a field added
// on one side and not the other fails to compile there.

// Service sizing statuses.
const (
	// StatusOK: the service covers the scenario peak.
	StatusOK = "ok"
	// StatusOverMax: the peak needs more replicas than the HPA's maxReplicas
	// (or, without an HPA, than the current replicas).
	StatusOverMax = "over-max"
	// StatusBreach: a fixed-size service misses its objectives at the peak.
	StatusBreach = "breach"
	// StatusInfeasible: no replica count meets the objectives.
	StatusInfeasible = "infeasible"
)

// ServiceSizing is one service at one scenario's peak (capacity.Size's
// ServiceSizing, field for field: the review converts one into the other).
type ServiceSizing struct {
	Service string `json:"service"`
	// PeakRate is the request rate at the scenario peak, per second.
	PeakRate float64 `json:"peakRatePerSecond"`
	// Current is today's replicas; Max the HPA's maxReplicas (or Current
	// without an HPA); Required what the peak needs.
	Current  int `json:"current"`
	Max      int `json:"max"`
	Required int `json:"required"`
	// Binding names the constraint that set Required; ByConstraint what each
	// constraint alone needs.
	Binding      string         `json:"binding"`
	ByConstraint map[string]int `json:"byConstraint"`
	// Fixed services are evaluated at Current rather than scaled.
	Fixed bool `json:"fixed,omitempty"`
	// At is the replica count the prediction is for: Required, or Current
	// for a fixed service.
	At int `json:"predictedAt"`
	// SlotUtilisation and CPUUtilisation are fractions at At replicas.
	SlotUtilisation float64 `json:"slotUtilization"`
	CPUUtilisation  float64 `json:"cpuUtilization"`
	// P95Seconds and MeanSeconds are response times at At replicas; nil
	// when the pods are unstable (load beyond their worker slots).
	P95Seconds  *float64 `json:"p95Seconds"`
	MeanSeconds *float64 `json:"meanSeconds"`
	// Approximate marks latency from the G/G/k two-moment approximation.
	Approximate bool `json:"approximate,omitempty"`
	// CallSeconds is the time a request waits on its synchronous calls at
	// the sized point, part of its time in service; absent without calls.
	CallSeconds float64 `json:"callSeconds,omitempty"`
	// CPUCores and MemoryBytes are the requests of At replicas.
	CPUCores    float64 `json:"cpuCores"`
	MemoryBytes float64 `json:"memoryBytes"`
	// CPUPerPodCores and MemoryPerPodBytes are the predicted use of one pod.
	CPUPerPodCores    float64  `json:"cpuPerPodCores"`
	MemoryPerPodBytes *float64 `json:"memoryPerPodBytes"`
	// RecommendedCPU is the per-pod CPU request that puts the predicted use
	// at the utilisation ceiling (rounded up to 10m); RecommendedMemory the
	// predicted memory with the in-flight count at the SLO quantile by
	// Little's law (rounded up to 1Mi). Empty when the pods are unstable.
	RecommendedCPU    string `json:"recommendedCpuRequest,omitempty"`
	RecommendedMemory string `json:"recommendedMemoryRequest,omitempty"`
	Status            string `json:"status"`
	// Problem says what is wrong when Status is not ok.
	Problem string `json:"problem,omitempty"`
}

// Recommendation is what a capacity review proposes to change for one
// service, each change with its reason. Only changed fields are set.
// It is capacity.Recommendation, field for field.
type Recommendation struct {
	Service string `json:"service"`
	// HPA is the proposed HPA spec when it differs from the plan's.
	HPA          *autoscalingv2.HorizontalPodAutoscalerSpec `json:"hpa,omitempty"`
	HPARationale []string                                   `json:"hpaRationale,omitempty"`
	// Replicas is a new spec.replicas for a service without an HPA.
	Replicas int32 `json:"replicas,omitempty"`
	// Requests and Limits hold only the resources that change.
	Requests          corev1.ResourceList `json:"requests,omitempty"`
	Limits            corev1.ResourceList `json:"limits,omitempty"`
	ResourceRationale []string            `json:"resourceRationale,omitempty"`
	// Notes are findings no patch fixes (a fixed-size service in breach).
	Notes []string `json:"notes,omitempty"`
}

// Changed reports whether the recommendation patches anything.
func (r *Recommendation) Changed() bool {
	return r.HPA != nil || r.Replicas > 0 || len(r.Requests) > 0 || len(r.Limits) > 0
}
