package prom

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// Reference values for x = 1..5, y = 2.1, 3.9, 6.2, 7.8, 10.1: least
// squares and the 95 % prediction interval at x0 = 8 computed from the
// closed forms in Python 3.11 (float64), with t(0.975; 3) =
// 3.182446305284263 (R 4.3 qt(0.975, 3)).
var refX, refY = []float64{1, 2, 3, 4, 5}, []float64{2.1, 3.9, 6.2, 7.8, 10.1}

func TestFitLine_Reference(t *testing.T) {
	f, err := FitLine(refX, refY, 4, Gate{MinPoints: 3, MinHours: 1, MinR2: 0.9})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"intercept", f.Intercept, 0.0500000000000016},
		{"slope", f.Slope, 1.9899999999999998},
		{"R²", f.R2, 0.9973053289009771},
		{"residual sd", f.ResidualSD, 0.18885620632287123},
	} {
		if math.Abs(c.got-c.want) > 1e-12 {
			t.Errorf("%s = %.17g, want %.17g", c.name, c.got, c.want)
		}
	}
	if f.LowConfidence {
		t.Errorf("low confidence: %v", f.Reasons)
	}
}

func TestFitLine_Gate(t *testing.T) {
	tests := []struct {
		name    string
		x, y    []float64
		hours   float64
		err     string
		reasons []string
	}{
		{"too few", []float64{1, 2}, []float64{1, 2}, 1, "2 joined samples, need at least 3", nil},
		{"length mismatch", []float64{1, 2, 3}, []float64{1, 2}, 1, "3 x values but 2 y values", nil},
		{"constant x", []float64{2, 2, 2}, []float64{1, 2, 3}, 1, "explanatory series is constant (2)", nil},
		{"below every gate", []float64{1, 2, 3, 4}, []float64{1, 3, 1, 3}, 2, "",
			[]string{"4 points, below the 100 required", "2.0 h of history, below the 24 h required", "R² 0.20, below 0.5"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := FitLine(tt.x, tt.y, tt.hours, DefaultGate)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !f.LowConfidence || strings.Join(f.Reasons, "|") != strings.Join(tt.reasons, "|") {
				t.Errorf("reasons = %q, want %q", f.Reasons, tt.reasons)
			}
		})
	}
	if _, err := FitLine([]float64{1, 2}, []float64{1, 2}, 1, DefaultGate); !errors.Is(err, ErrTooFewPoints) {
		t.Errorf("too few points does not wrap ErrTooFewPoints: %v", err)
	}
}

func TestProjectTrend_Reference(t *testing.T) {
	tr, err := ProjectTrend(refX, refY, 8, 0.95, Gate{})
	if err != nil {
		t.Fatal(err)
	}
	const point, half = 15.969999999999999, 1.1560941628336823
	if math.Abs(tr.Point-point) > 1e-12 || math.Abs(tr.Upper-(point+half)) > 1e-9 || math.Abs(tr.Lower-(point-half)) > 1e-9 {
		t.Errorf("projection %g [%g, %g], want %g ± %g", tr.Point, tr.Lower, tr.Upper, point, half)
	}
	if _, err := ProjectTrend(refX, refY, 8, 1, Gate{}); err == nil {
		t.Error("level 1 accepted")
	}
}

// TestProjectTrend_Coverage checks the interval's meaning: over many noisy
// series, about 95 % of new observations at x0 fall inside it.
func TestProjectTrend_Coverage(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	x := []float64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13}
	y := make([]float64, len(x))
	const trials, x0 = 4000, 90
	in := 0
	for range trials {
		for i := range x {
			y[i] = 100 + 2*x[i] + 5*rng.NormFloat64()
		}
		tr, err := ProjectTrend(x, y, x0, 0.95, Gate{})
		if err != nil {
			t.Fatal(err)
		}
		if obs := 100 + 2*x0 + 5*rng.NormFloat64(); obs >= tr.Lower && obs <= tr.Upper {
			in++
		}
	}
	if got := float64(in) / trials; math.Abs(got-0.95) > 0.015 {
		t.Errorf("coverage %.3f, want 0.95 ± 0.015", got)
	}
}

func TestHistogramQuantile(t *testing.T) {
	inf := math.Inf(1)
	tests := []struct {
		name   string
		q      float64
		bs     []Bucket
		want   float64
		beyond bool
		err    string
	}{
		{"interpolates inside the bucket", 0.95, []Bucket{{0.1, 500}, {0.2, 900}, {0.4, 1000}, {inf, 1000}}, 0.3, false, ""},
		{"first bucket starts at 0", 0.25, []Bucket{{0.1, 500}, {inf, 1000}}, 0.05, false, ""},
		{"median on a bucket edge", 0.5, []Bucket{{0.1, 500}, {0.2, 1000}, {inf, 1000}}, 0.1, false, ""},
		{"decreasing counts are raised", 0.5, []Bucket{{0.1, 600}, {0.2, 400}, {0.4, 1000}, {inf, 1000}}, 0.1 * 500 / 600, false, ""},
		{"in the +Inf bucket", 0.99, []Bucket{{0.1, 10}, {inf, 100}}, 0.1, true, ""},
		{"no observations", 0.5, []Bucket{{0.1, 0}, {inf, 0}}, 0, false, "holds no observations"},
		{"no +Inf bucket", 0.5, []Bucket{{0.1, 1}, {0.2, 2}}, 0, false, "needs a +Inf bucket"},
		{"quantile out of range", 1, []Bucket{{0.1, 1}, {inf, 2}}, 0, false, "not in (0, 1)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, beyond, err := HistogramQuantile(tt.q, tt.bs)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || math.Abs(got-tt.want) > 1e-12 || beyond != tt.beyond {
				t.Errorf("HistogramQuantile(%g) = %g, %v, %v; want %g, %v", tt.q, got, beyond, err, tt.want, tt.beyond)
			}
		})
	}
}

// gonum's LinInterp is R's quantile type 4 (linear interpolation of the
// empirical CDF): quantile(1:5, c(0.5, 0.9, 1), type = 4) = 2.5, 4.5, 5.
func TestQuantiles(t *testing.T) {
	got := Quantiles([]float64{5, 1, 4, 2, 3}, 0.5, 0.9, 1)
	if math.Abs(got[0]-2.5) > 1e-12 || math.Abs(got[1]-4.5) > 1e-12 || got[2] != 5 {
		t.Errorf("Quantiles = %v, want [2.5 4.5 5]", got)
	}
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		err  string
	}{
		{"14d", 14 * 24 * time.Hour, ""},
		{"2w", 14 * 24 * time.Hour, ""},
		{"1d12h", 36 * time.Hour, ""},
		{"90s", 90 * time.Second, ""},
		{"1.5h", 90 * time.Minute, ""},
		{" 5m ", 5 * time.Minute, ""},
		{"", 0, "--window is empty"},
		{"0s", 0, "must be greater than 0"},
		{"-5m", 0, "must be greater than 0"},
		{"14x", 0, `--window "14x" is not a duration`},
		{"401d", 0, "longer than 400 days"},
		{"99999999999y", 0, "not a duration"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseDuration("--window", tt.in)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("ParseDuration(%q) = %v, %v; want error %q", tt.in, got, err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("ParseDuration(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
}

func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"14d", "2w", "1d12h", "90s", "1.5h", "500ms", "-1s", "1y", "0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDuration("--window", s)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "--window") {
				t.Fatalf("error does not name the flag: %v", err)
			}
			return
		}
		if d <= 0 || d > MaxWindow {
			t.Fatalf("ParseDuration(%q) = %v outside (0, 400d]", s, d)
		}
		// What FormatDuration writes parses back to the same duration.
		if back, err := ParseDuration("--window", FormatDuration(d)); err != nil || back != d {
			t.Fatalf("round trip %q → %v → %q → %v, %v", s, d, FormatDuration(d), back, err)
		}
	})
}

// BenchmarkFitLine fits 14 days at a 30 s step: 40,320 points.
func BenchmarkFitLine(b *testing.B) {
	const n = 14 * 24 * 120
	rng := rand.New(rand.NewPCG(1, 2))
	x, y := make([]float64, n), make([]float64, n)
	for i := range x {
		x[i] = 10 + 5*math.Sin(float64(i)/2880*2*math.Pi)
		y[i] = 0.05 + 0.02*x[i] + 0.01*rng.NormFloat64()
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := FitLine(x, y, 336, DefaultGate); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkJoinAndFit is the CPU fit of one service as observe runs it:
// joining rate, replicas and CPU series of 40,320 samples, then fitting.
func BenchmarkJoinAndFit(b *testing.B) {
	const n = 14 * 24 * 120
	mk := func(f func(i int) float64) Series {
		s := Series{Points: make([]Point, n)}
		for i := range s.Points {
			s.Points[i] = Point{T: int64(i) * 30_000, V: f(i)}
		}
		return s
	}
	rate := mk(func(i int) float64 { return 30 + 15*math.Sin(float64(i)/2880*2*math.Pi) })
	reps := mk(func(int) float64 { return 3 })
	cpu := mk(func(i int) float64 { return 0.05 + 0.02*rate.Points[i].V/3 })
	b.ReportAllocs()
	for b.Loop() {
		x, y, hours := joinPerPod(rate, reps, nil, cpu)
		if _, err := FitLine(x, y, hours, DefaultGate); err != nil {
			b.Fatal(err)
		}
	}
}
