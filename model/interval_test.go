package model

import (
	"math"
	"testing"
)

func TestSortedQuantile(t *testing.T) {
	// Reference values: R 4.3 quantile(x, c(0.1, 0.5, 0.9), type = 7) and
	// numpy.quantile(x, [0.1, 0.5, 0.9]) (default "linear").
	tests := []struct {
		name string
		xs   []float64
		want Interval
	}{
		{"one value", []float64{765}, Interval{765, 765, 765}},
		{"two values", []float64{540, 810}, Interval{567, 675, 783}},
		{"1 to 10", []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, Interval{1.9, 5.5, 9.1}},
		{"unsorted with ties", []float64{3, 1, 3, 2, 9}, Interval{1.4, 3, 6.6}},
		{"NaN ignored", []float64{math.NaN(), 4, 2}, Interval{2.2, 3, 3.8}},
		{"none", nil, Interval{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := IntervalOf(tt.xs)
			for _, c := range [][3]float64{{got.P10, tt.want.P10, 10}, {got.P50, tt.want.P50, 50}, {got.P90, tt.want.P90, 90}} {
				if math.Abs(c[0]-c[1]) > 1e-12 {
					t.Errorf("IntervalOf(%v).P%.0f = %g, want %g", tt.xs, c[2], c[0], c[1])
				}
			}
		})
	}
	if !math.IsNaN(SortedQuantile(nil, 0.5)) {
		t.Error("SortedQuantile(nil) is not NaN")
	}
}

// TestSortedQuantile_NaNProbability: a NaN p has no quantile; it gives NaN
// instead of indexing the slice with int(NaN).
func TestSortedQuantile_NaNProbability(t *testing.T) {
	for _, s := range [][]float64{{1}, {1, 2, 3}} {
		if got := SortedQuantile(s, math.NaN()); !math.IsNaN(got) {
			t.Errorf("SortedQuantile(%v, NaN) = %g, want NaN", s, got)
		}
	}
}
