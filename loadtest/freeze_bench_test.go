package loadtest

import "testing"

// BenchmarkHistogramFreeze: freezing a window's histogram after 1 000
// requests (the built-in engine does it once a window is complete).
func BenchmarkHistogramFreeze(b *testing.B) {
	for b.Loop() {
		h := NewHistogram()
		for i := range 1000 {
			h.Record(0.0001 + float64(i)*1e-6)
		}
		if err := h.Freeze(); err != nil {
			b.Fatal(err)
		}
	}
}
