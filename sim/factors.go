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

// scaleServiceTime scales an empirical histogram's bounds by the service
// time factor; the other distributions take the workload's scaled mean.
func (f Factors) scaleServiceTime(st ServiceTime) ServiceTime {
	k := orOne(f.ServiceTime)
	if k == 1 || len(st.Buckets) == 0 {
		return st
	}
	bs := make([]ServiceBucket, len(st.Buckets))
	for i, b := range st.Buckets {
		bs[i] = ServiceBucket{UpperSeconds: b.UpperSeconds * k, Count: b.Count}
	}
	st.Buckets = bs
	return st
}
