package loadtest

import (
	"encoding/json"
	"math"
	"testing"
)

func TestHistogramMergeIsExact(t *testing.T) {
	a, b, all := NewHistogram(), NewHistogram(), NewHistogram()
	for i := 1; i <= 1000; i++ {
		v := float64(i) / 1000 // 1 ms … 1 s
		if i%2 == 0 {
			a.Record(v)
		} else {
			b.Record(v)
		}
		all.Record(v)
	}
	a.Merge(b)
	for _, q := range []float64{0.5, 0.95, 0.99} {
		if got, want := a.Quantile(q), all.Quantile(q); got != want {
			t.Errorf("q%.2f: merged %v, single %v", q, got, want)
		}
	}
	// Three significant digits: the p95 of 1..1000 ms is 0.950 s ± 0.1 %.
	if p95 := a.Quantile(0.95); math.Abs(p95-0.95) > 0.95e-3 {
		t.Errorf("p95 = %v, want 0.95 within 0.1%%", p95)
	}
}

func TestHistogramJSONRoundTrip(t *testing.T) {
	w := Window{Completed: 3, Latency: NewHistogram()}
	for _, v := range []float64{0.010, 0.020, 0.5} {
		w.Latency.Record(v)
	}
	w.Summarise(1)
	b, err := json.Marshal(w)
	if err != nil {
		t.Fatal(err)
	}
	var back Window
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Latency.Count() != 3 || back.Latency.Quantile(0.99) != w.Latency.Quantile(0.99) {
		t.Errorf("round trip lost counts: %d, p99 %v vs %v", back.Latency.Count(), back.Latency.Quantile(0.99), w.Latency.Quantile(0.99))
	}
	if err := json.Unmarshal([]byte(`{"latency": 12}`), &back); err == nil {
		t.Error("a number for the histogram should fail")
	}
	if err := json.Unmarshal([]byte(`{"latency": "bm90IGhkcg=="}`), &back); err == nil {
		t.Error("a non-HDR string should fail")
	}
}

func TestHistogramClampsOutOfRange(t *testing.T) {
	h := NewHistogram()
	h.Record(-1)
	h.Record(1e9)
	if h.Count() != 2 {
		t.Fatalf("count = %d, want 2 (clamped, not dropped)", h.Count())
	}
}

func TestHistogramFreeze(t *testing.T) {
	h := NewHistogram()
	for i := 1; i <= 500; i++ {
		h.Record(float64(i) / 1000)
	}
	live, _ := json.Marshal(h)
	q, m, sd, mx, n := h.Quantile(0.95), h.Mean(), h.StdDev(), h.Max(), h.Count()
	if err := h.Freeze(); err != nil {
		t.Fatal(err)
	}
	if h.h != nil || len(h.frozen) == 0 || len(h.frozen) > 4096 {
		t.Fatalf("frozen: live %v, %d bytes", h.h != nil, len(h.frozen))
	}
	if h.Quantile(0.95) != q || h.Mean() != m || h.StdDev() != sd || h.Max() != mx || h.Count() != n {
		t.Error("a frozen histogram reads differently")
	}
	frozen, _ := json.Marshal(h)
	if string(frozen) != string(live) {
		t.Error("a frozen histogram encodes differently")
	}
	all := NewHistogram()
	all.Merge(h)
	if all.Count() != n {
		t.Errorf("merging a frozen histogram: %d of %d", all.Count(), n)
	}
	h.Record(2)
	if h.h == nil || h.Count() != n+1 || h.Max() < 1.99 {
		t.Error("recording into a frozen histogram did not thaw it")
	}
	var back Histogram
	if err := json.Unmarshal(frozen, &back); err != nil || back.h != nil || back.Count() != n {
		t.Errorf("decoded histograms stay frozen: %v, live %v", err, back.h != nil)
	}
}
