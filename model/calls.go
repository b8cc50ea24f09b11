package model

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
