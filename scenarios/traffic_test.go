package scenarios

import (
	"math"
	"testing"
	"time"
)

func ptr[T any](v T) *T { return &v }

func TestTraffic_Multiplier(t *testing.T) {
	h := time.Hour
	runbook := Schedule{Windows: []Window{
		{From: tod(t, "02:00"), To: tod(t, "08:00"), Multiplier: 0.4},
		{From: tod(t, "12:00"), To: tod(t, "20:00"), Multiplier: 2},
		{From: tod(t, "20:00"), To: tod(t, "02:00"), Multiplier: 1},
	}, Default: ptr(Multiplier(1))}
	tests := []struct {
		name  string
		start string
		comp  Component
		at    time.Duration
		want  float64
	}{
		{"schedule low window", "00:00", Component{Schedule: &runbook}, 3 * h, 0.4},
		{"schedule window start is inclusive", "00:00", Component{Schedule: &runbook}, 12 * h, 2},
		{"schedule window end is exclusive", "00:00", Component{Schedule: &runbook}, 8 * h, 1},
		{"schedule wraps midnight", "00:00", Component{Schedule: &runbook}, 1 * h, 1},
		{"schedule reads the wall clock from start", "12:00", Component{Schedule: &runbook}, 0, 2},
		{"schedule wall clock wraps the day", "12:00", Component{Schedule: &runbook}, 15 * h, 0.4},
		{"diurnal peak", "00:00", Component{Diurnal: &Diurnal{Min: 0.5, Max: 1.5, Peak: tod(t, "15:00")}}, 15 * h, 1.5},
		{"diurnal trough 12h away", "00:00", Component{Diurnal: &Diurnal{Min: 0.5, Max: 1.5, Peak: tod(t, "15:00")}}, 3 * h, 0.5},
		{"diurnal midway", "00:00", Component{Diurnal: &Diurnal{Min: 0.5, Max: 1.5, Peak: tod(t, "15:00")}}, 9 * h, 1},
		{"ramp before", "00:00", Component{Ramp: &Ramp{From: 1, To: 3, Start: Duration(h), End: Duration(3 * h)}}, 0, 1},
		{"ramp middle", "00:00", Component{Ramp: &Ramp{From: 1, To: 3, Start: Duration(h), End: Duration(3 * h)}}, 2 * h, 2},
		{"ramp after", "00:00", Component{Ramp: &Ramp{From: 1, To: 3, Start: Duration(h), End: Duration(3 * h)}}, 5 * h, 3},
		{"step before", "00:00", Component{Step: &Step{At: Duration(h), Multiplier: 2}}, h - 1, 1},
		{"step at", "00:00", Component{Step: &Step{At: Duration(h), Multiplier: 2}}, h, 2},
		{"spike rising", "00:00", Component{Spike: &Spike{At: Duration(h), Rise: Duration(10 * time.Minute), Hold: Duration(h), Fall: Duration(20 * time.Minute), Multiplier: 5}}, h + 5*time.Minute, 3},
		{"spike holding", "00:00", Component{Spike: &Spike{At: Duration(h), Rise: Duration(10 * time.Minute), Hold: Duration(h), Fall: Duration(20 * time.Minute), Multiplier: 5}}, 2 * h, 5},
		{"spike falling", "00:00", Component{Spike: &Spike{At: Duration(h), Rise: Duration(10 * time.Minute), Hold: Duration(h), Fall: Duration(20 * time.Minute), Multiplier: 5}}, 2*h + 20*time.Minute, 3},
		{"spike over", "00:00", Component{Spike: &Spike{At: Duration(h), Rise: Duration(10 * time.Minute), Hold: Duration(h), Fall: Duration(20 * time.Minute), Multiplier: 5}}, 3 * h, 1},
		{"growth constant", "00:00", Component{Growth: &Growth{Percent: 100}}, 5 * h, 2},
		{"growth compounding halfway", "00:00", Component{Growth: &Growth{Percent: 300, Over: ptr(Duration(2 * h))}}, h, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc := &Scenario{Name: "s", Start: tod(t, tt.start), Duration: Duration(24 * h), Profile: []Component{tt.comp}}
			got := sc.Traffic(1).Multiplier(tt.at)
			if math.Abs(got-tt.want) > 1e-12 {
				t.Errorf("Multiplier(%s) = %g, want %g", tt.at, got, tt.want)
			}
		})
	}
}

func tod(t *testing.T, s string) TimeOfDay {
	t.Helper()
	v, err := ParseTimeOfDay(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestTraffic_ComponentsMultiply(t *testing.T) {
	sc := &Scenario{Name: "s", Duration: Duration(24 * time.Hour), Profile: []Component{
		{Step: &Step{At: 0, Multiplier: 3}}, {Growth: &Growth{Percent: 50}},
	}}
	if got := sc.Traffic(1).Multiplier(time.Hour); math.Abs(got-4.5) > 1e-12 {
		t.Errorf("step 3 × growth 1.5 = %g, want 4.5", got)
	}
}

func TestNoise_DeterministicMeanOne(t *testing.T) {
	sc := &Scenario{Name: "noisy", Duration: Duration(1000 * time.Hour), Profile: []Component{{Noise: &Noise{CV: 0.2, Interval: Duration(time.Minute)}}}}
	a, b, other := sc.Traffic(7), sc.Traffic(7), sc.Traffic(8)
	var sum, sum2 float64
	same := 0
	const n = 60000
	for i := range n {
		at := time.Duration(i) * time.Minute
		x := a.Multiplier(at)
		if x != b.Multiplier(at) {
			t.Fatalf("same seed gave different noise at %s", at)
		}
		if x == other.Multiplier(at) {
			same++
		}
		if x <= 0 {
			t.Fatalf("noise factor %g at %s is not positive", x, at)
		}
		sum += x
		sum2 += x * x
	}
	mean := sum / n
	cv := math.Sqrt(sum2/n-mean*mean) / mean
	// Standard error of the mean is 0.2/√60000 ≈ 0.0008: 5σ bounds.
	if math.Abs(mean-1) > 0.004 {
		t.Errorf("noise mean = %g, want 1 ± 0.004", mean)
	}
	if math.Abs(cv-0.2) > 0.01 {
		t.Errorf("noise CV = %g, want 0.2 ± 0.01", cv)
	}
	if same > n/100 {
		t.Errorf("seeds 7 and 8 agree at %d of %d points", same, n)
	}
	if a.Multiplier(30*time.Second) != a.Multiplier(59*time.Second) {
		t.Error("noise changed inside one interval")
	}
}

func TestScenario_Peak(t *testing.T) {
	sched := &Schedule{Windows: []Window{{From: tod(t, "12:00"), To: tod(t, "20:00"), Multiplier: 2}}}
	tests := []struct {
		name   string
		sc     Scenario
		want   float64
		wantAt time.Duration
	}{
		{"constant", Scenario{Duration: Duration(time.Hour)}, 1, 0},
		{"schedule peak at the window start", Scenario{Duration: Duration(24 * time.Hour), Profile: []Component{{Schedule: sched}}}, 2, 12 * time.Hour},
		{"spike shorter than the sampling step is found at its corners", Scenario{Duration: Duration(time.Hour),
			Profile: []Component{{Spike: &Spike{At: Duration(90 * time.Second), Hold: Duration(time.Second), Multiplier: 7}}}}, 7, 90 * time.Second},
		{"ramp peaks at its end", Scenario{Duration: Duration(time.Hour),
			Profile: []Component{{Ramp: &Ramp{From: 1, To: 2.5, Start: 0, End: Duration(17 * time.Minute)}}}}, 2.5, 17 * time.Minute},
		{"peak after the end is not counted", Scenario{Duration: Duration(time.Hour),
			Profile: []Component{{Step: &Step{At: Duration(2 * time.Hour), Multiplier: 9}}}}, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.sc.Name = "s"
			p := tt.sc.Peak(1)
			if math.Abs(p.Multiplier-tt.want) > 1e-12 || p.At != tt.wantAt {
				t.Errorf("Peak = ×%g at %s, want ×%g at %s", p.Multiplier, p.At, tt.want, tt.wantAt)
			}
		})
	}
}

func BenchmarkPeak(b *testing.B) {
	sc := &Scenario{Name: "week", Duration: Duration(7 * 24 * time.Hour), Profile: []Component{
		{Diurnal: &Diurnal{Min: 0.3, Max: 1, Peak: TimeOfDay(15 * time.Hour)}},
		{Spike: &Spike{At: Duration(50 * time.Hour), Rise: Duration(time.Minute), Hold: Duration(time.Hour), Multiplier: 3}},
		{Growth: &Growth{Percent: 10, Over: ptr(Duration(7 * 24 * time.Hour))}},
	}}
	for b.Loop() {
		sc.Peak(1)
	}
}

func TestScenario_PeakAtDiurnalMaximum(t *testing.T) {
	sc := &Scenario{Name: "s", Start: tod(t, "23:00"), Duration: Duration(24 * time.Hour),
		Profile: []Component{{Diurnal: &Diurnal{Min: 0.2, Max: 1, Peak: tod(t, "00:10")}}}}
	p := sc.Peak(1)
	if p.At != 70*time.Minute || p.Multiplier != 1 {
		t.Errorf("Peak = ×%g at %s, want ×1 at 1h10m (00:10 wall time)", p.Multiplier, p.At)
	}
}
