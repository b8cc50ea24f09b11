package capacity

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/headroom-dev/headroom/model"
	"github.com/headroom-dev/headroom/scenarios"
)

// ServiceRecommendation is a right-sizing recommendation for a service's
// container, with what names the workload it runs as.
type ServiceRecommendation struct {
	Service   string                `json:"service"`
	Namespace string                `json:"namespace,omitempty"`
	Workload  scenarios.WorkloadRef `json:"workload"`
	model.Recommendation
}

// ResourceChange is one reviewable change to a workload: the container's
// requests and limits that move, and the HPA change that goes with them.
// The report package turns it into kubectl JSON patches and strategic-merge
// patches.
type ResourceChange struct {
	Service      string `json:"service"`
	Namespace    string `json:"namespace,omitempty"`
	WorkloadKind string `json:"workloadKind"`
	WorkloadName string `json:"workloadName"`
	Container    string `json:"container"`
	// Requests and Limits hold only the resources that change, at their
	// new values.
	Requests corev1.ResourceList `json:"requests,omitempty"`
	Limits   corev1.ResourceList `json:"limits,omitempty"`
	// HPA is the change to the service's HorizontalPodAutoscaler (its
	// spec.metrics[i] averageUtilization, and min/max replicas), if any.
	HPA *model.HPAAdjustment `json:"hpa,omitempty"`
	// Rationale explains every number.
	Rationale []string `json:"rationale"`
}

// UsageSource returns a container's CPU (cores) and memory (working-set
// bytes) usage over the last window, at the given step. Package prom's
// *Client implements it over cAdvisor's series; the CLI's usage-file
// reader over a CSV file.
type UsageSource interface {
	ContainerUsage(ctx context.Context, namespace, workload, container string, window, step time.Duration) (cpu, mem []model.UsageSample, err error)
}

// RightsizeReport is a plan's right-sizing: what `headroom rightsize`
// prints.
type RightsizeReport struct {
	Plan     string         `json:"plan"`
	Strategy model.Strategy `json:"strategy"`
	// Source names where the usage came from; Window how much of it was
	// used, as given.
	Source string `json:"source"`
	Window string `json:"window"`
	// Recommendations has one entry per service with usage, in plan order.
	Recommendations []ServiceRecommendation `json:"recommendations"`
	// Skipped names the services without usage data.
	Skipped []string `json:"skipped,omitempty"`
	// Changes is the change list for patches: confident recommendations
	// that change something.
	Changes []ResourceChange `json:"changes"`
	// Proposal is, with --out-dir, the recommender's proposal per service:
	// what the patches carry (the estimators above are its usage input).
	Proposal []RightsizeProposal `json:"proposal,omitempty"`
}

// RightsizeOptions select the services and the history a plan's
// right-sizing reads.
type RightsizeOptions struct {
	// Services limits it to these services (default: all of the plan's).
	Services []string
	Config   model.RightsizeConfig
	// Window is how much history to read, Step its resolution (a usage
	// file has its own).
	Window, Step time.Duration
	// SourceName and WindowName label the report.
	SourceName, WindowName string
}

// RightsizePlan right-sizes each service of the plan (or those named) from
// its container's usage history, in plan order. A service without usage
// data is skipped and named in the report.
func RightsizePlan(ctx context.Context, p *scenarios.Plan, src UsageSource, o RightsizeOptions) (*RightsizeReport, error) {
	rep := &RightsizeReport{Plan: p.Metadata.Name, Strategy: o.Config.Strategy, Source: o.SourceName, Window: o.WindowName}
	for i := range p.Services {
		s := &p.Services[i]
		if len(o.Services) > 0 && !slices.Contains(o.Services, s.Name) {
			continue
		}
		cpu, mem, err := src.ContainerUsage(ctx, s.Namespace, s.WorkloadRef.Name, s.Container, o.Window, o.Step)
		if err != nil {
			return nil, fmt.Errorf("usage of %s/%s: %w", s.Name, s.Container, err)
		}
		if len(cpu) == 0 && len(mem) == 0 {
			rep.Skipped = append(rep.Skipped, s.Name)
			continue
		}
		rec, err := Rightsize(p, s, o.Config, cpu, mem)
		if err != nil {
			return nil, fmt.Errorf("right-size %s: %w", s.Name, err)
		}
		rep.Recommendations = append(rep.Recommendations, rec)
	}
	rep.Changes = ResourceChanges(rep.Recommendations)
	if rep.Changes == nil {
		rep.Changes = []ResourceChange{}
	}
	return rep, nil
}

// Recommendations turns right-sizing changes into the form the patch
// writer takes (ResourceChange.Recommendation for each).
func Recommendations(p *scenarios.Plan, changes []ResourceChange) ([]Recommendation, error) {
	var recs []Recommendation
	for _, c := range changes {
		r, err := c.Recommendation(p)
		if err != nil {
			return nil, err
		}
		recs = append(recs, r)
	}
	return recs, nil
}

// HPAScaling is the service's HPA as the right-sizer reads it: its replica
// range, its tolerances (per-direction behavior tolerances, else the plan's
// controller tolerance, else 0.1), its Utilization targets on CPU and
// memory (Resource metrics, and ContainerResource metrics of the service's
// container), and today's replicas as the count at the observed peak. Nil
// when the service has no HPA.
func HPAScaling(p *scenarios.Plan, s *scenarios.Service) *model.HPAScaling {
	if s.HPA == nil {
		return nil
	}
	tol := 0.1
	if t := p.Simulation.Controller.Tolerance; t != nil {
		tol = *t
	}
	h := &model.HPAScaling{
		MinReplicas: 1, MaxReplicas: s.HPA.MaxReplicas, PeakReplicas: s.Replicas,
		ScaleUpTolerance: tol, ScaleDownTolerance: tol,
	}
	if m := s.HPA.MinReplicas; m != nil && *m > 1 {
		// minReplicas 0 (scale to zero) still proposes from one pod up.
		h.MinReplicas = *m
	}
	if b := s.HPA.Behavior; b != nil {
		if b.ScaleUp != nil && b.ScaleUp.Tolerance != nil {
			h.ScaleUpTolerance = b.ScaleUp.Tolerance.AsApproximateFloat64()
		}
		if b.ScaleDown != nil && b.ScaleDown.Tolerance != nil {
			h.ScaleDownTolerance = b.ScaleDown.Tolerance.AsApproximateFloat64()
		}
	}
	for i, m := range s.HPA.Metrics {
		var name corev1.ResourceName
		var target autoscalingv2.MetricTarget
		switch {
		case m.Type == autoscalingv2.ResourceMetricSourceType && m.Resource != nil:
			name, target = m.Resource.Name, m.Resource.Target
		case m.Type == autoscalingv2.ContainerResourceMetricSourceType && m.ContainerResource != nil && m.ContainerResource.Container == s.Container:
			name, target = m.ContainerResource.Name, m.ContainerResource.Target
		default:
			continue
		}
		if (name != corev1.ResourceCPU && name != corev1.ResourceMemory) ||
			target.Type != autoscalingv2.UtilizationMetricType || target.AverageUtilization == nil {
			continue
		}
		h.Targets = append(h.Targets, model.HPAUtilizationTarget{
			MetricIndex: i, MetricType: string(m.Type), Resource: string(name), TargetUtilization: *target.AverageUtilization,
		})
	}
	return h
}

// Rightsize recommends requests and limits for the service's container
// from its CPU (cores) and memory (bytes) usage history, with the HPA
// adjustment when the service has a Utilization HPA.
func Rightsize(p *scenarios.Plan, s *scenarios.Service, cfg model.RightsizeConfig, cpu, mem []model.UsageSample) (ServiceRecommendation, error) {
	in := model.ContainerUsage{Container: s.Container, CPU: cpu, Memory: mem}
	if q, ok := s.Resources.Requests[corev1.ResourceCPU]; ok {
		in.CPURequest = scenarios.Cores(q)
	}
	if q, ok := s.Resources.Limits[corev1.ResourceCPU]; ok {
		in.CPULimit = scenarios.Cores(q)
	}
	if q, ok := s.Resources.Requests[corev1.ResourceMemory]; ok {
		in.MemoryRequest = scenarios.Bytes(q)
	}
	if q, ok := s.Resources.Limits[corev1.ResourceMemory]; ok {
		in.MemoryLimit = scenarios.Bytes(q)
	}
	rec, err := model.Rightsize(cfg, in, HPAScaling(p, s))
	if err != nil {
		return ServiceRecommendation{}, err
	}
	return ServiceRecommendation{Service: s.Name, Namespace: s.Namespace, Workload: s.WorkloadRef, Recommendation: rec}, nil
}

// ResourceChange is the change the recommendation asks for, or nil when it
// changes nothing or its confidence is low (krr's history gates failed; the
// numbers are shown but not proposed as a patch).
func (r *ServiceRecommendation) ResourceChange() *ResourceChange {
	if r.Confidence.Level == model.ConfidenceLow {
		return nil
	}
	c := &ResourceChange{
		Service: r.Service, Namespace: r.Namespace,
		WorkloadKind: r.Workload.Kind, WorkloadName: r.Workload.Name, Container: r.Container,
		Requests: corev1.ResourceList{}, Limits: corev1.ResourceList{},
		HPA: r.HPA,
	}
	if r.CPU.Target != r.CPU.Request {
		c.Requests[corev1.ResourceCPU] = milliQuantity(r.CPU.Target)
	}
	if r.CPU.RecommendedLimit != r.CPU.Limit && r.CPU.RecommendedLimit > 0 {
		c.Limits[corev1.ResourceCPU] = milliQuantity(r.CPU.RecommendedLimit)
	}
	if r.Memory.Target != r.Memory.Request {
		c.Requests[corev1.ResourceMemory] = byteQuantity(r.Memory.Target)
	}
	if r.Memory.RecommendedLimit != r.Memory.Limit && r.Memory.RecommendedLimit > 0 {
		c.Limits[corev1.ResourceMemory] = byteQuantity(r.Memory.RecommendedLimit)
	}
	if len(c.Requests) == 0 && len(c.Limits) == 0 && c.HPA == nil {
		return nil
	}
	if len(c.Requests) == 0 {
		c.Requests = nil
	}
	if len(c.Limits) == 0 {
		c.Limits = nil
	}
	c.Rationale = append(c.Rationale, r.Rationale...)
	return c
}

// ResourceChanges is the change list for a set of recommendations, in their
// order, leaving out those that change nothing or have low confidence.
func ResourceChanges(recs []ServiceRecommendation) []ResourceChange {
	var out []ResourceChange
	for i := range recs {
		if c := recs[i].ResourceChange(); c != nil {
			out = append(out, *c)
		}
	}
	return out
}

// milliQuantity is cores as a Quantity in whole millicores, rounded up.
func milliQuantity(cores float64) resource.Quantity {
	return *resource.NewMilliQuantity(int64(math.Ceil(cores*1000-1e-9)), resource.DecimalSI)
}

// byteQuantity is bytes as a binary-SI Quantity ("489Mi" for whole MiB).
func byteQuantity(bytes float64) resource.Quantity {
	return *resource.NewQuantity(int64(math.Ceil(bytes)), resource.BinarySI)
}

// Recommendation turns a right-sizing change into the form the patch writer
// takes: the changed requests and limits, and the service's HPA spec with
// the adjustment applied (its utilisation targets, min and max replicas).
func (c ResourceChange) Recommendation(p *scenarios.Plan) (Recommendation, error) {
	rec := Recommendation{Service: c.Service, Requests: c.Requests, Limits: c.Limits, ResourceRationale: c.Rationale}
	if c.HPA == nil {
		return rec, nil
	}
	svc := p.Service(c.Service)
	if svc == nil || svc.HPA == nil {
		return rec, fmt.Errorf("service %s: a change to its HPA, but the plan gives it none", c.Service)
	}
	h := svc.HPA.DeepCopy()
	for _, t := range c.HPA.Targets {
		if t.MetricIndex < 0 || t.MetricIndex >= len(h.Metrics) {
			return rec, fmt.Errorf("service %s: HPA metric %d does not exist", c.Service, t.MetricIndex)
		}
		m := &h.Metrics[t.MetricIndex]
		pct := t.NewTargetUtilization
		switch {
		case m.Resource != nil && string(m.Resource.Name) == t.Resource:
			m.Resource.Target.AverageUtilization = &pct
		case m.ContainerResource != nil && string(m.ContainerResource.Name) == t.Resource:
			m.ContainerResource.Target.AverageUtilization = &pct
		default:
			return rec, fmt.Errorf("service %s: HPA metric %d is not a %s utilisation target", c.Service, t.MetricIndex, t.Resource)
		}
	}
	if c.HPA.NewMinReplicas > 0 && c.HPA.NewMinReplicas != c.HPA.OldMinReplicas {
		h.MinReplicas = &c.HPA.NewMinReplicas
	}
	if c.HPA.NewMaxReplicas > 0 {
		h.MaxReplicas = c.HPA.NewMaxReplicas
	}
	rec.HPA = h
	rec.HPARationale = c.HPA.Why
	return rec, nil
}
