package sim

import "time"

// Interval is what DES mode counted in one sample interval of one
// service: the figures a load test measures per bucket, so that seeded
// replications of a scenario give the spread a measurement of that
// length would show (package loadtest/verify's sampling bands).
type Interval struct {
	Service string
	// T is the end of the interval, from the scenario start.
	T time.Duration
	// Arrivals counts requests that arrived, Errors those that failed
	// (timeouts, no Ready pod), Served the responses within the timeout
	// that completed in the interval.
	Arrivals, Errors float64
	Served           int64
	// Mean and P95 are the response time of the served requests, seconds;
	// -1 when none was served.
	Mean, P95 float64
}

// reportInterval reports the open DES interval to the recorder's callback.
func (r *recorder) reportInterval(now time.Duration) {
	if r.onInterval == nil || r.hist == nil {
		return
	}
	iv := Interval{Service: r.service, T: now, Arrivals: r.cur.arrivals, Errors: r.cur.errs, Served: r.hist.TotalCount(), Mean: -1, P95: -1}
	if iv.Served > 0 {
		iv.Mean = r.hist.Mean() / 1e6
		iv.P95 = float64(r.hist.ValueAtQuantile(95)) / 1e6
	}
	r.onInterval(iv)
}
