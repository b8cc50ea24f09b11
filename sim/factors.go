package sim

import "github.com/headroom-dev/headroom/model"

// Factors scale a plan's estimated inputs for one run, as a member of an
// uncertainty ensemble draws them (package sim/ensemble); 0 stands for 1
// (the input as written), so the zero Factors is the plan itself.
type Factors struct {
	// RequestRate scales every service's offered rate (the scenario's base
	// rate: requestRate, or an absolute scenario's rate).
	RequestRate float64 `json:"requestRate,omitempty"`
	// ServiceTime scales the service-time distribution (its mean; the
	// coefficient of variation is kept, an empirical histogram's bounds
	// are scaled).
	ServiceTime float64 `json:"serviceTime,omitempty"`
	// CPU scales the CPU time per request (not the idle CPU).
	CPU float64 `json:"cpu,omitempty"`
	// Memory scales a pod's memory: its base and its cost per request in
	// flight.
	Memory float64 `json:"memory,omitempty"`
}

func orOne(f float64) float64 {
	if f == 0 {
		return 1
	}
	return f
}

// IsZero reports whether f leaves every input as written.
func (f Factors) IsZero() bool {
	return orOne(f.RequestRate) == 1 && orOne(f.ServiceTime) == 1 && orOne(f.CPU) == 1 && orOne(f.Memory) == 1
}

// apply scales a service's workload and the base rate its scenario
// multiplies.
func (f Factors) apply(w *model.Workload, base *float64) {
	*base *= orOne(f.RequestRate)
	w.ServiceMean *= orOne(f.ServiceTime)
	w.CPUPerRequest *= orOne(f.CPU)
	w.MemoryBase *= orOne(f.Memory)
	w.MemoryPerInFlight *= orOne(f.Memory)
}

// scaleServiceTime scales an empirical histogram's bounds, and a mixture's
// component means and histograms, by the service time factor; the other
// distributions take the workload's scaled mean.
func (f Factors) scaleServiceTime(st ServiceTime) ServiceTime {
	k := orOne(f.ServiceTime)
	if k == 1 {
		return st
	}
	if len(st.Components) > 0 {
		cs := make([]ServiceComponent, len(st.Components))
		for i, c := range st.Components {
			c.Mean *= k
			c.Buckets = scaleBuckets(c.Buckets, k)
			cs[i] = c
		}
		st.Components = cs
	}
	st.Buckets = scaleBuckets(st.Buckets, k)
	return st
}

func scaleBuckets(b []ServiceBucket, k float64) []ServiceBucket {
	if len(b) == 0 {
		return b
	}
	bs := make([]ServiceBucket, len(b))
	for i, x := range b {
		bs[i] = ServiceBucket{UpperSeconds: x.UpperSeconds * k, Count: x.Count}
	}
	return bs
}
