package model

import (
	"math"
	"slices"
)

// Interval is the spread of an uncertain quantity over an ensemble: its
// 10th, 50th and 90th percentiles.
type Interval struct {
	P10 float64 `json:"p10"`
	P50 float64 `json:"p50"`
	P90 float64 `json:"p90"`
}

// IntervalOf returns the p10, p50 and p90 of xs (which it does not
// modify), or the zero Interval for no values. NaNs are ignored.
func IntervalOf(xs []float64) Interval {
	s := make([]float64, 0, len(xs))
	for _, x := range xs {
		if !math.IsNaN(x) {
			s = append(s, x)
		}
	}
	if len(s) == 0 {
		return Interval{}
	}
	slices.Sort(s)
	return Interval{P10: SortedQuantile(s, 0.1), P50: SortedQuantile(s, 0.5), P90: SortedQuantile(s, 0.9)}
}

// SortedQuantile is the p-quantile of the ascending values s by linear
// interpolation between order statistics, definition 7 of Hyndman and Fan,
// "Sample quantiles in statistical packages", The American Statistician
// 50(4), 1996 (R's and NumPy's default):
//
//	h = (n − 1)·p,  Q(p) = s[⌊h⌋] + (h − ⌊h⌋)·(s[⌊h⌋+1] − s[⌊h⌋])
//
// It is s[0] for one value and NaN for none; p is clamped to [0, 1], and a
// NaN p (no quantile) gives NaN rather than an index out of range.
func SortedQuantile(s []float64, p float64) float64 {
	n := len(s)
	if n == 0 || math.IsNaN(p) {
		return math.NaN()
	}
	p = math.Min(1, math.Max(0, p))
	h := float64(n-1) * p
	i := int(math.Floor(h))
	if i >= n-1 {
		return s[n-1]
	}
	return s[i] + (h-float64(i))*(s[i+1]-s[i])
}
