package sim

import (
	"fmt"
	"math/rand/v2"

	"github.com/headroom-dev/headroom/scenarios"
)

// ServiceComponent is one component of a service-time mixture in DES mode
// (one endpoint of a request mix): drawn with probability Weight / Σ
// Weight, then sampled from its own distribution of mean Mean and squared
// coefficient of variation CS2 (Kind and Buckets as in ServiceTime).
type ServiceComponent struct {
	Weight, Mean, CS2 float64
	Kind              ServiceTimeKind
	Buckets           []ServiceBucket
}

// desServiceTime is the DES service time of a service: the one Options gave
// for it; else, for a service with several endpoints, the mixture of their
// service times (each its own family, histogram or gamma of its mean and
// cs²); else the plan's, as planServiceTime.
func desServiceTime(st ServiceTime, spec *scenarios.Service) (ServiceTime, error) {
	if st.Kind != "" {
		return st, nil
	}
	switch len(spec.Endpoints) {
	case 0:
		return planServiceTime(st, spec.ServiceTime), nil
	case 1:
		return planServiceTime(st, *spec.EndpointServiceTime(0)), nil
	}
	parts, err := spec.ServiceMixture()
	if err != nil {
		return st, err
	}
	st.Components = make([]ServiceComponent, len(parts))
	for i, p := range parts {
		one := planServiceTime(ServiceTime{}, *spec.EndpointServiceTime(i))
		st.Components[i] = ServiceComponent{Weight: p.Weight, Mean: p.Mean, CS2: p.CS2, Kind: one.Kind, Buckets: one.Buckets}
	}
	return st, nil
}

// mixSampler draws from a finite mixture: one uniform picks the component
// by its cumulative share, then the component draws its time, so a given
// seed yields the same sequence of endpoints and times.
type mixSampler struct {
	cum   []float64 // cumulative shares, the last exactly 1
	parts []sampler
	m     float64
}

func newMixSampler(cs []ServiceComponent) (*mixSampler, error) {
	s := &mixSampler{cum: make([]float64, len(cs)), parts: make([]sampler, len(cs))}
	total := 0.0
	for _, c := range cs {
		total += c.Weight
	}
	if !(total > 0) {
		return nil, fmt.Errorf("service-time mixture: the weights must have a positive total, got %g", total)
	}
	acc := 0.0
	for i, c := range cs {
		if !(c.Weight > 0) {
			return nil, fmt.Errorf("service-time mixture: component %d: weight %g must be above 0", i, c.Weight)
		}
		smp, err := newSampler(ServiceTime{Kind: c.Kind, Buckets: c.Buckets}, c.Mean, c.CS2)
		if err != nil {
			return nil, fmt.Errorf("service-time mixture: component %d: %w", i, err)
		}
		acc += c.Weight
		s.cum[i], s.parts[i] = acc/total, smp
		s.m += c.Weight / total * smp.mean()
	}
	s.cum[len(s.cum)-1] = 1
	return s, nil
}

func (s *mixSampler) sample(rng *rand.Rand) float64 {
	u := rng.Float64()
	i := 0
	for i < len(s.cum)-1 && u >= s.cum[i] {
		i++
	}
	return s.parts[i].sample(rng)
}

func (s *mixSampler) mean() float64 { return s.m }
