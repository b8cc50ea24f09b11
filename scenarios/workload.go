package scenarios

import (
	"fmt"
	"math"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"

	"github.com/headroom-dev/headroom/model"
)

// CPUPerRequest is the CPU time of one request in core-seconds, given or
// derived from the observed per-pod usage: (observed − idle)·replicas /
// rate, the rate being the service's total at today's traffic (TotalRate:
// its requestRate plus its callers' calls); for a service with endpoints,
// the weighted mean of their EndpointCPU.
func (s *Service) CPUPerRequest() float64 {
	if len(s.Endpoints) > 0 {
		c := 0.0
		for i, p := range s.EndpointShares() {
			c += p * s.EndpointCPU(i)
		}
		return c
	}
	return s.serviceCPUPerRequest()
}

// serviceCPUPerRequest is the service's own cpu per request.
func (s *Service) serviceCPUPerRequest() float64 {
	if s.CPU.PerRequest != nil {
		return s.CPU.PerRequest.Seconds()
	}
	rate := s.TotalRate()
	if s.CPU.ObservedPerPod == nil || rate <= 0 {
		return 0
	}
	busy := Cores(*s.CPU.ObservedPerPod) - s.cpuIdle()
	return busy * float64(s.Replicas) / rate
}

func (s *Service) cpuIdle() float64 {
	if s.CPU.Idle == nil {
		return 0
	}
	return Cores(*s.CPU.Idle)
}

// ServiceCS2 is the squared coefficient of variation of the service time:
// cv² when given, fitted exactly to the p95 when given (in the named
// distribution, else a gamma), else 1 (exponential); for a service with
// endpoints, the cs² of their mixture (model.Mixture).
func (s *Service) ServiceCS2() (float64, error) {
	if len(s.Endpoints) > 0 {
		parts, err := s.ServiceMixture()
		if err != nil {
			return 0, err
		}
		_, cs2, err := model.Mixture(parts)
		return cs2, err
	}
	return s.ServiceTime.cs2()
}

// cs2 is the squared coefficient of variation of one service time (see
// Service.ServiceCS2).
func (st *ServiceTime) cs2() (float64, error) {
	switch {
	case st.Distribution == model.FamilyEmpirical:
		_, cs2, err := model.HistogramMoments(st.ModelHistogram())
		if err != nil {
			return 0, fmt.Errorf("serviceTime.histogram: %w", err)
		}
		return cs2, nil
	case st.CV != nil:
		return *st.CV * *st.CV, nil
	case st.Distribution == model.FamilyExponential:
		return 1, nil
	case st.P95 != nil && st.Distribution != "":
		cs2, err := model.FamilyCS2FromQuantile(st.Distribution, st.Mean.Seconds(), st.P95.Seconds(), 0.95)
		if err != nil {
			return 0, fmt.Errorf("serviceTime.p95 %s with mean %s as a %s: %w", *st.P95, st.Mean, st.Distribution, err)
		}
		return cs2, nil
	case st.P95 != nil:
		cs2, err := model.FitServiceCS2(st.Mean.Seconds(), st.P95.Seconds(), 0.95)
		if err != nil {
			return 0, fmt.Errorf("serviceTime.p95 %s with mean %s: %w", *st.P95, st.Mean, err)
		}
		return cs2, nil
	}
	return 1, nil
}

// Workload is the service's model at request rate ratePerSecond. A service
// with endpoints is modelled on their mixture: its exact mean and cs²
// (model.Mixture), with a gamma tail of those moments (the Allen–Cunneen
// approximation the model makes for any G/G/c); one endpoint is modelled
// on its own serviceTime, family and histogram included.
func (s *Service) Workload(ratePerSecond float64) (model.Workload, error) {
	st := &s.ServiceTime
	if len(s.Endpoints) == 1 {
		st = s.EndpointServiceTime(0)
	}
	cs2, err := s.ServiceCS2()
	if err != nil {
		return model.Workload{}, err
	}
	w := model.Workload{
		ArrivalRate:      ratePerSecond,
		ServiceMean:      st.Mean.Seconds(),
		ServiceCS2:       cs2,
		ServiceFamily:    st.Distribution,
		ServiceHistogram: st.modelHistogramPtr(),
		Concurrency:      s.Concurrency,
		CPUPerRequest:    s.CPUPerRequest(),
		CPUIdle:          s.cpuIdle(),
		CPURequest:       Cores(s.Resources.Requests[corev1.ResourceCPU]),
		MemoryBase:       Bytes(s.Memory.Base),
		MemoryRequest:    Bytes(s.Resources.Requests[corev1.ResourceMemory]),
	}
	if len(s.Endpoints) > 1 {
		w.ServiceMean = s.ServiceMean()
		w.ServiceFamily, w.ServiceHistogram = "", nil
	}
	if q, ok := s.Resources.Limits[corev1.ResourceCPU]; ok {
		w.CPULimit = Cores(q)
	}
	if s.Memory.PerInFlight != nil {
		w.MemoryPerInFlight = Bytes(*s.Memory.PerInFlight)
	}
	w.Balancing = s.Balancing()
	return w, nil
}

// UtilisationCeiling is the service's utilisation ceiling as a fraction:
// slo.maxUtilization, else the HPA's CPU utilisation target, else
// DefaultMaxUtilization.
func (s *Service) UtilisationCeiling() float64 {
	if s.SLO.MaxUtilization != nil {
		return float64(*s.SLO.MaxUtilization) / 100
	}
	if t := s.HPACPUTarget(); t > 0 {
		return float64(t) / 100
	}
	return DefaultMaxUtilization / 100.0
}

// HPACPUTarget is the HPA's CPU averageUtilization target in percent, or 0
// when it has none.
func (s *Service) HPACPUTarget() int32 {
	if s.HPA == nil {
		return 0
	}
	for _, m := range s.HPA.Metrics {
		var t autoscalingv2.MetricTarget
		switch {
		case m.Type == autoscalingv2.ResourceMetricSourceType && m.Resource != nil && m.Resource.Name == corev1.ResourceCPU:
			t = m.Resource.Target
		case m.Type == autoscalingv2.ContainerResourceMetricSourceType && m.ContainerResource != nil && m.ContainerResource.Name == corev1.ResourceCPU:
			t = m.ContainerResource.Target
		default:
			continue
		}
		if t.Type == autoscalingv2.UtilizationMetricType && t.AverageUtilization != nil {
			return *t.AverageUtilization
		}
	}
	return 0
}

// Requirement is the service's objectives in the model's terms.
func (s *Service) Requirement() model.Requirement {
	r := model.Requirement{
		UtilisationCeiling: s.UtilisationCeiling(),
		Zones:              s.Redundancy.Zones,
		ZoneLosses:         s.Redundancy.ZoneLosses,
		Spare:              s.Redundancy.Spare,
		MinReplicas:        s.Redundancy.MinReplicas,
	}
	if l := s.SLO.Latency; l != nil {
		r.LatencyQuantile, r.LatencyTarget = float64(l.Quantile), l.Target.Seconds()
	}
	return r
}

// MaxReplicas is the most replicas the service can run without a change:
// the HPA's maxReplicas, or the current replicas without an HPA.
func (s *Service) MaxReplicas() int {
	if s.HPA != nil {
		return int(s.HPA.MaxReplicas)
	}
	return int(s.Replicas)
}

// NodeShapes are the node types in the model's terms.
func (c *Cluster) NodeShapes() []model.NodeShape {
	out := make([]model.NodeShape, len(c.NodeTypes))
	for i, nt := range c.NodeTypes {
		out[i] = model.NodeShape{
			Name: nt.Name, PricePerHour: nt.PricePerHour, MaxNodes: nt.MaxNodes,
			CPU:    Cores(nt.Allocatable[corev1.ResourceCPU]),
			Memory: Bytes(nt.Allocatable[corev1.ResourceMemory]),
		}
	}
	return out
}

// finite reports whether x is a finite number.
func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// SizeAt sizes the service at request rate ratePerSecond in the given mode:
// the replicas its objectives need there, ignoring the HPA's bounds and
// today's replicas. It is one point of the service's capacity curve; a
// *model.InfeasibleError says no count meets the objectives at that rate.
func (s *Service) SizeAt(ratePerSecond float64, mode model.Mode) (model.Sizing, error) {
	w, err := s.Workload(ratePerSecond)
	if err != nil {
		return model.Sizing{}, err
	}
	return model.Size(w, s.Requirement(), mode)
}

// Balancing is the service's load-balancing policy in the model's terms
// (random without a loadBalancing section).
func (s *Service) Balancing() model.Balancing {
	lb := s.LoadBalancing
	if lb == nil || lb.Policy == string(model.BalanceRandom) {
		return model.Balancing{}
	}
	b := model.Balancing{Policy: model.BalancingPolicy(lb.Policy)}
	if lb.Choices != nil {
		b.Choices = *lb.Choices
	}
	return b
}
