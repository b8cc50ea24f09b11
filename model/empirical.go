package model

import (
	"errors"
	"fmt"
	"math"
)

// FamilyEmpirical names a service time given as a histogram: a bucket is
// chosen with probability proportional to its count, and the time is uniform
// between the previous bucket's upper bound (0 for the first) and its own.
// That piecewise-uniform density is the one the DES samples
// (sim.ServiceEmpirical), so the model and the simulator share one
// distribution. Its moments are exact: a bucket [a, b] of weight w adds
// w·(a+b)/2 to the mean and w·(a²+ab+b²)/3 to the second moment.
const FamilyEmpirical = "empirical"

// HistogramBucket is one bucket of a service-time histogram.
type HistogramBucket struct {
	// Upper is the bucket's upper bound, seconds: finite and above the
	// previous bucket's.
	Upper float64
	// Count is how many requests fell in the bucket (not cumulative), ≥ 0.
	Count float64
}

// Histogram is a service-time histogram, behind a pointer in Workload.
type Histogram struct{ Buckets []HistogramBucket }

// CheckHistogram returns an error naming the first bad bucket (by index) of
// h: bounds strictly increasing, positive and finite, counts finite and
// ≥ 0, with a positive total.
func CheckHistogram(h []HistogramBucket) error {
	if len(h) == 0 {
		return errors.New("a histogram needs at least one bucket")
	}
	prev, total := 0.0, 0.0
	for i, b := range h {
		if !(b.Upper > prev) || math.IsInf(b.Upper, 0) {
			return fmt.Errorf("bucket %d: upper bound %g must be finite and above the previous bound %g", i, b.Upper, prev)
		}
		if !(b.Count >= 0) || math.IsInf(b.Count, 0) {
			return fmt.Errorf("bucket %d: count %g must be a finite number ≥ 0", i, b.Count)
		}
		prev, total = b.Upper, total+b.Count
	}
	if !(total > 0) || math.IsInf(total, 0) {
		return errors.New("the buckets hold no requests")
	}
	return nil
}

// HistogramMoments returns the mean (seconds) and squared coefficient of
// variation of the piecewise-uniform distribution of h.
func HistogramMoments(h []HistogramBucket) (mean, cs2 float64, err error) {
	if err := CheckHistogram(h); err != nil {
		return 0, 0, err
	}
	var total, m1, m2 float64
	prev := 0.0
	for _, b := range h {
		a, c := prev, b.Upper
		total += b.Count
		m1 += b.Count * (a + c) / 2
		m2 += b.Count * (a*a + a*c + c*c) / 3
		prev = c
	}
	m1 /= total
	m2 /= total
	return m1, math.Max(m2/(m1*m1)-1, 0), nil
}

// empiricalDist is the piecewise-uniform distribution of a histogram,
// scaled so that its mean is a given value.
type empiricalDist struct {
	lo, hi []float64 // bucket bounds, seconds
	cum    []float64 // cumulative probability at each bucket's end
	w      []float64 // each bucket's probability
	cs2    float64
}

// newEmpiricalDist is h's distribution with every bound multiplied by
// mean/h's mean (a change of time unit keeps cs2 and the shape).
func newEmpiricalDist(h []HistogramBucket, mean float64) (*empiricalDist, error) {
	hm, cs2, err := HistogramMoments(h)
	if err != nil {
		return nil, err
	}
	if !isPositive(mean) {
		return nil, &InputError{Arg: "mean", Value: mean, Want: "a positive number"}
	}
	scale := mean / hm
	total := 0.0
	for _, b := range h {
		total += b.Count
	}
	d := &empiricalDist{cs2: cs2}
	prev, cum := 0.0, 0.0
	for _, b := range h {
		d.lo = append(d.lo, prev*scale)
		d.hi = append(d.hi, b.Upper*scale)
		cum += b.Count / total
		d.cum = append(d.cum, cum)
		d.w = append(d.w, b.Count/total)
		prev = b.Upper
	}
	d.cum[len(d.cum)-1] = 1
	return d, nil
}

func (d *empiricalDist) cdf(t float64) float64 {
	if t <= 0 {
		return 0
	}
	prev := 0.0
	for i := range d.hi {
		if t < d.hi[i] {
			return prev + d.w[i]*(t-d.lo[i])/(d.hi[i]-d.lo[i])
		}
		prev = d.cum[i]
	}
	return 1
}

func (d *empiricalDist) survival(t float64) float64 { return 1 - d.cdf(t) }

// sDensity is s·g(s), g the piecewise-constant density.
func (d *empiricalDist) sDensity(s float64) float64 {
	for i := range d.hi {
		if s >= d.lo[i] && s < d.hi[i] {
			return s * d.w[i] / (d.hi[i] - d.lo[i])
		}
	}
	return 0
}

func (d *empiricalDist) quantile(p float64) float64 {
	for i := range d.cum {
		if p <= d.cum[i] && d.w[i] > 0 {
			before := d.cum[i] - d.w[i]
			f := math.Min(math.Max((p-before)/d.w[i], 0), 1)
			return d.lo[i] + f*(d.hi[i]-d.lo[i])
		}
	}
	return d.hi[len(d.hi)-1]
}

// convolve is J(t) = ∫₀ᵗ g(s)·e^{−η(t−s)} ds in closed form: a bucket
// [a, b] of weight w and density w/(b−a) adds
// w/(b−a)·(e^{−η(t−min(b,t))} − e^{−η(t−a)})/η.
func (d *empiricalDist) convolve(eta, t float64) float64 {
	j := 0.0
	for i := range d.hi {
		a, b := d.lo[i], math.Min(d.hi[i], t)
		if a >= t {
			break
		}
		if d.w[i] == 0 {
			continue
		}
		j += d.w[i] / (d.hi[i] - d.lo[i]) * (math.Exp(-eta*(t-b)) - math.Exp(-eta*(t-a))) / eta
	}
	return j
}

// ResponseQuantileGGcEmpirical is ResponseQuantileGGcFamily with the
// service time of histogram h, rescaled to mean 1/mu: the Allen–Cunneen
// wait (Erlang C times an exponential) with the histogram's exact cs2, and
// the histogram's own tail. It returns an *InputError for invalid
// arguments or histogram and an error wrapping ErrUnstable when λ/μ ≥ c.
func ResponseQuantileGGcEmpirical(h []HistogramBucket, lambda, mu float64, c int, ca2, p float64) (float64, error) {
	if err := errors.Join(checkNonNegative("ca2", ca2), checkProb("p", p)); err != nil {
		return 0, err
	}
	if !isPositive(mu) {
		return 0, &InputError{Arg: "mu", Value: mu, Want: "a positive number"}
	}
	d, err := newEmpiricalDist(h, 1/mu)
	if err != nil {
		return 0, &InputError{Arg: "histogram", Value: math.NaN(), Want: err.Error()}
	}
	a, err := stableQueue(lambda, mu, c)
	if err != nil {
		return 0, err
	}
	surv := d.responseSurvival(a, c, mu, ca2)
	return survivalQuantile(surv, d.quantile(p), mu, p), nil
}

// responseSurvival is P(T > t) of the response time with this service time
// at offered load a on c slots: P(S > t) + C(c, a)·J(t).
func (d *empiricalDist) responseSurvival(a float64, c int, mu, ca2 float64) func(float64) float64 {
	delay := ErlangC(c, a)
	eta := 2 * mu * (float64(c) - a) / (ca2 + d.cs2)
	return func(t float64) float64 {
		if math.IsInf(eta, 1) || delay == 0 {
			return d.survival(t)
		}
		return math.Min(d.survival(t)+delay*d.convolve(eta, t), 1)
	}
}

// podSurvivalEmpirical is Workload.PodResponseSurvival for an empirical
// service time: the histogram's survival at rate 0, else the G/G/c
// approximation with the histogram's tail.
func (w Workload) podSurvivalEmpirical(perPodRate, t float64) (float64, error) {
	if w.ServiceHistogram == nil {
		return 1, &InputError{Arg: "ServiceHistogram", Value: math.NaN(), Want: "a histogram for an empirical service time"}
	}
	d, err := newEmpiricalDist(w.ServiceHistogram.Buckets, w.ServiceMean)
	if err != nil {
		return 1, &InputError{Arg: "histogram", Value: math.NaN(), Want: err.Error()}
	}
	if perPodRate == 0 {
		return d.survival(t), nil
	}
	mu := 1 / w.ServiceMean
	a, err := stableQueue(perPodRate, mu, w.Concurrency)
	if err != nil {
		return 1, err
	}
	return d.responseSurvival(a, w.Concurrency, mu, 1)(t), nil
}
