package record

import (
	"fmt"
	"math"
	"strconv"

	"github.com/headroom-dev/headroom/scenarios"
)

// SeriesDetail says how much of each simulated series report.json holds.
type SeriesDetail string

// The series details of `headroom report --series`.
const (
	// SeriesDownsampled merges consecutive samples into at most
	// MaxSeriesPoints points per series (see Downsample): the default.
	SeriesDownsampled SeriesDetail = "downsampled"
	// SeriesFull keeps every sample the simulation recorded.
	SeriesFull SeriesDetail = "full"
	// SeriesNone leaves the series out.
	SeriesNone SeriesDetail = "none"
)

// SeriesDetails are the values of SeriesDetail, default first.
var SeriesDetails = []string{string(SeriesDownsampled), string(SeriesFull), string(SeriesNone)}

// ParseSeriesDetail reads a --series value; "true" and "false", the values
// of the boolean flag it replaces, mean downsampled and none.
func ParseSeriesDetail(s string) (SeriesDetail, error) {
	switch s {
	case string(SeriesDownsampled), "true":
		return SeriesDownsampled, nil
	case string(SeriesFull):
		return SeriesFull, nil
	case string(SeriesNone), "false":
		return SeriesNone, nil
	}
	return "", fmt.Errorf("must be downsampled, full or none, got %q", s)
}

// MaxSeriesPoints bounds a downsampled series. The simulator samples a
// scenario about 300 times, so 100 points merge three or four samples
// each: a day read at 15-minute resolution, a week at about 1.7 hours.
const MaxSeriesPoints = 100

// SeriesSignificantDigits is the precision of a downsampled series'
// fractional values.
const SeriesSignificantDigits = 4

// Aggregation methods, written beside each series (seriesAggregation).
const (
	// AggregationNone: the series is the simulator's samples as recorded.
	AggregationNone = "none"
	// AggregationBuckets: the series merges runs of consecutive samples,
	// each point covering seriesResolutionSeconds and ending at its
	// tSeconds.
	AggregationBuckets = "buckets: mean lambda, cpuUtilization, memoryUtilization and queue; " +
		"max desired, pending, hpaMetrics, p50, p95 and p99 (over samples that served requests); min ready; " +
		"sum errors and slow; errorRate is errors over arrivals; sloViolated when any sample was; " +
		"numbers other than tSeconds and pod counts rounded to 4 significant digits"
)

// Downsample merges runs of consecutive samples, each the simulator's
// sample interval every long, into at most maxPoints points: a bucket of
// k = ⌈len/maxPoints⌉ samples (the last may hold fewer) becomes one
// Sample that ends where the bucket ends. Rates, utilisations and the
// queue are their means (the intervals are equal, so that is the time
// average); counts of pods desired and pending and the latency quantiles
// are the bucket's highest, Ready pods its lowest, so that a spike or a
// trough a bucket holds stays visible; errors and slow requests are
// summed and the error rate recomputed over the bucket's arrivals.
// Values other than times and pod counts are rounded to
// SeriesSignificantDigits significant digits. It returns in itself (and the resolution every) when no merging
// is needed.
func Downsample(in []Sample, every scenarios.Seconds, maxPoints int) ([]Sample, scenarios.Seconds) {
	if maxPoints < 1 || len(in) <= maxPoints {
		return in, every
	}
	k := (len(in) + maxPoints - 1) / maxPoints
	out := make([]Sample, 0, (len(in)+k-1)/k)
	prev := scenarios.Seconds(0)
	for lo := 0; lo < len(in); lo += k {
		hi := min(lo+k, len(in))
		out = append(out, merge(in[lo:hi], prev))
		prev = in[hi-1].T
	}
	return out, scenarios.Seconds(k) * every
}

// merge is one bucket of Downsample; start is where its first sample's
// interval starts.
func merge(b []Sample, start scenarios.Seconds) Sample {
	last := b[len(b)-1]
	m := Sample{T: last.T, Desired: b[0].Desired, Ready: b[0].Ready, Pending: b[0].Pending, P50: -1, P95: -1, P99: -1}
	var arrivals float64
	n := float64(len(b))
	for i, s := range b {
		m.Lambda += s.Lambda / n
		m.CPUUtilisation += s.CPUUtilisation / n
		m.MemoryUtilisation += s.MemoryUtilisation / n
		m.Queue += s.Queue / n
		m.Desired = max(m.Desired, s.Desired)
		m.Pending = max(m.Pending, s.Pending)
		m.Ready = min(m.Ready, s.Ready)
		m.Errors += s.Errors
		m.Slow += s.Slow
		m.SLOViolated = m.SLOViolated || s.SLOViolated
		if s.P95 >= 0 { // -1: no request served in that sample
			m.P50, m.P95, m.P99 = max(m.P50, s.P50), max(m.P95, s.P95), max(m.P99, s.P99)
		}
		if len(s.HPAMetrics) > len(m.HPAMetrics) {
			grown := make([]float64, len(s.HPAMetrics))
			copy(grown, m.HPAMetrics)
			for j := len(m.HPAMetrics); j < len(grown); j++ {
				grown[j] = -1
			}
			m.HPAMetrics = grown
		}
		for j, v := range s.HPAMetrics {
			m.HPAMetrics[j] = max(m.HPAMetrics[j], v)
		}
		from := start
		if i > 0 {
			from = b[i-1].T
		}
		arrivals += s.Lambda * (s.T - from).D().Seconds()
	}
	if arrivals > 0 {
		m.ErrorRate = m.Errors / arrivals
	}
	for _, p := range []*float64{&m.Lambda, &m.CPUUtilisation, &m.MemoryUtilisation, &m.Queue, &m.Errors, &m.Slow, &m.ErrorRate, &m.P50, &m.P95, &m.P99} {
		*p = roundSignificant(*p)
	}
	for j := range m.HPAMetrics {
		m.HPAMetrics[j] = roundSignificant(m.HPAMetrics[j])
	}
	return m
}

// roundSignificant rounds v to SeriesSignificantDigits significant digits
// (the decimal value strconv formats, read back).
func roundSignificant(v float64) float64 {
	if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return v
	}
	r, err := strconv.ParseFloat(strconv.FormatFloat(v, 'g', SeriesSignificantDigits, 64), 64)
	if err != nil {
		return v
	}
	return r
}
