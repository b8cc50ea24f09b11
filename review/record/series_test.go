package record

import (
	"testing"
	"time"

	"github.com/headroom-dev/headroom/scenarios"
)

func minuteSeries(n int) []Sample {
	out := make([]Sample, n)
	for i := range out {
		out[i] = Sample{T: scenarios.Seconds(time.Duration(i+1) * time.Minute), Lambda: 100, Desired: 4, Ready: 4,
			CPUUtilisation: 0.5, HPAMetrics: []float64{0.7}, P50: 0.1, P95: 0.2, P99: 0.3, Errors: 1, ErrorRate: 1.0 / 6000}
	}
	return out
}

func TestDownsampleKeepsShortSeries(t *testing.T) {
	in := minuteSeries(MaxSeriesPoints)
	out, every := Downsample(in, scenarios.Seconds(time.Minute), MaxSeriesPoints)
	if len(out) != len(in) || &out[0] != &in[0] || every != scenarios.Seconds(time.Minute) {
		t.Fatalf("a series of %d points was changed: %d points every %s", len(in), len(out), every)
	}
}

// TestDownsampleBuckets: a day of minutes in at most 120 points becomes
// 12-minute points; a one-minute spike, trough and violation survive, the
// mean rate and the error rate over the bucket's arrivals are honest.
func TestDownsampleBuckets(t *testing.T) {
	in := minuteSeries(1440)
	in[30].Lambda = 1300 // bucket 2 (samples 24–35): mean (11×100+1300)/12 = 200
	in[30].Desired, in[30].Pending, in[30].Ready = 9, 5, 2
	in[30].P95, in[30].HPAMetrics = 4.5, []float64{2.5}
	in[30].SLOViolated = true
	in[31].P95 = -1 // served nothing: not a latency
	out, every := Downsample(in, scenarios.Seconds(time.Minute), 120)
	if len(out) != 120 || every != scenarios.Seconds(12*time.Minute) {
		t.Fatalf("%d points every %s, want 120 every 12m", len(out), every)
	}
	for i, p := range out {
		if want := scenarios.Seconds(time.Duration(12*(i+1)) * time.Minute); p.T != want {
			t.Fatalf("point %d ends at %s, want %s", i, p.T, want)
		}
	}
	b := out[2]
	if b.Lambda != 200 || b.Desired != 9 || b.Pending != 5 || b.Ready != 2 || b.P95 != 4.5 || b.HPAMetrics[0] != 2.5 || !b.SLOViolated {
		t.Errorf("the spike's bucket: %+v", b)
	}
	if b.Errors != 12 {
		t.Errorf("errors %g, want the sum 12", b.Errors)
	}
	// 12 errors over 11×100×60 + 1300×60 arrivals
	if want := roundSignificant(12.0 / (11*100*60 + 1300*60)); b.ErrorRate != want {
		t.Errorf("error rate %g, want %g", b.ErrorRate, want)
	}
	if q := out[3]; q.Lambda != 100 || q.Desired != 4 || q.SLOViolated || q.P95 != 0.2 {
		t.Errorf("a quiet bucket: %+v", q)
	}
}

func TestDownsampleUnevenTail(t *testing.T) {
	in := minuteSeries(250) // k = 3: 83 full buckets and one of 1
	out, every := Downsample(in, scenarios.Seconds(time.Minute), MaxSeriesPoints)
	if len(out) != 84 || every != scenarios.Seconds(3*time.Minute) || out[83].T != in[249].T {
		t.Fatalf("%d points every %s, last at %s", len(out), every, out[len(out)-1].T)
	}
	// all served nothing: latencies stay -1
	for i := range in {
		in[i].P50, in[i].P95, in[i].P99 = -1, -1, -1
	}
	out, _ = Downsample(in, scenarios.Seconds(time.Minute), MaxSeriesPoints)
	if out[0].P95 != -1 || out[0].P99 != -1 {
		t.Errorf("no request served, yet p95 %g", out[0].P95)
	}
}

func TestRoundSignificant(t *testing.T) {
	for _, c := range []struct{ in, want float64 }{{0.123456, 0.1235}, {123456, 123500}, {-1, -1}, {0, 0}, {1.0 / 3, 0.3333}} {
		if got := roundSignificant(c.in); got != c.want {
			t.Errorf("roundSignificant(%g) = %g, want %g", c.in, got, c.want)
		}
	}
}

func TestParseSeriesDetail(t *testing.T) {
	for in, want := range map[string]SeriesDetail{"downsampled": SeriesDownsampled, "true": SeriesDownsampled, "full": SeriesFull, "none": SeriesNone, "false": SeriesNone} {
		if got, err := ParseSeriesDetail(in); err != nil || got != want {
			t.Errorf("%q: %q %v", in, got, err)
		}
	}
	if _, err := ParseSeriesDetail("all"); err == nil {
		t.Error("all was accepted")
	}
}
