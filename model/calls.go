package model

import "math"

// WithCallDelay is the workload of a service whose requests hold their
// worker slot, beyond their own service time, for a delay of mean d
// seconds and squared coefficient of variation cd2, independent of the
// service time: the synchronous calls a request makes to other services.
// The time in service then has mean S + d and variance cs²·S² + cd2·d²
// (variances of independent parts add); the family is dropped (a two-moment
// description, fitted as a gamma), as a sum of a service time and calls'
// responses is no longer of the service's family. d ≤ 0 returns w.
func (w Workload) WithCallDelay(d, cd2 float64) Workload {
	if !(d > 0) {
		return w
	}
	s := w.ServiceMean
	m := s + d
	w.ServiceCS2 = (w.ServiceCS2*s*s + cd2*d*d) / (m * m)
	w.ServiceMean = m
	w.ServiceFamily, w.ServiceHistogram = "", nil
	return w
}

// CPUThrottled is the queue a CPU-limited pod's latency is read from. A
// running request uses r = cpuPerRequest/E[S] cores at full speed; a CPU
// limit that runs only x = (limit − idle)/r of them at once, x below the
// worker slots k, shares itself among the running requests (the CFS
// quota: each of n runs at speed min(1, x/n)). The pod then serves x/E[S]
// requests per second, not k/E[S], and its requests take longer than their
// service time. The workload returned has k′ = ⌈x⌉ worker slots of service
// mean E[S]·k′/x (same cs², same capacity x/E[S]): exact for k′ = 1 (one
// request at speed x, a single server with the service time stretched by
// 1/x), and for k′ > 1 a FCFS stand-in for the processor sharing that
// keeps a short request from waiting behind long ones as ⌈x⌉ parallel
// servers do; docs/des-and-sweeps.md has the DES referee's numbers for
// it. Without a binding limit the workload is unchanged.
func (w Workload) CPUThrottled() Workload {
	if !(w.CPULimit > 0 && w.CPUPerRequest > 0) {
		return w
	}
	x := (w.CPULimit - w.CPUIdle) / (w.CPUPerRequest / w.ServiceMean)
	if !(x > 0) || x >= float64(w.Concurrency) {
		return w
	}
	k := min(w.Concurrency, int(math.Ceil(x)))
	w.ServiceMean *= float64(k) / x
	w.Concurrency = k
	return w
}
