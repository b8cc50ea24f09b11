package builtin

import (
	"math"
	"testing"
	"time"

	"github.com/headroom-dev/headroom/loadtest"
)

func constantSchedule(rate float64, d time.Duration) loadtest.Schedule {
	return loadtest.Schedule{StartRate: rate, Speedup: 1, Stages: []loadtest.Stage{{Duration: d, Target: rate}}}
}

// hits counts the pacer's hits over the whole schedule.
func hits(t *testing.T, p *SchedulePacer) []time.Duration {
	t.Helper()
	var out []time.Duration
	for n := uint64(0); ; n++ {
		at, ok := p.At(n)
		if !ok {
			return out
		}
		out = append(out, at)
	}
}

func TestSchedulePacer_Constant(t *testing.T) {
	tests := []struct {
		name  string
		sched loadtest.Schedule
		want  int
		// at lists expected offsets of the first hits.
		at []time.Duration
	}{
		{"10/s for 1s", constantSchedule(10, time.Second), 10, []time.Duration{0, 100 * time.Millisecond, 200 * time.Millisecond}},
		{"1/s for 3s", constantSchedule(1, 3*time.Second), 3, []time.Duration{0, time.Second, 2 * time.Second}},
		// Λ(t) = t² (rate 2t over 10 s: 100 hits), so hit n is at √n.
		{"ramp 0→20/s over 10s", loadtest.Schedule{StartRate: 0, Stages: []loadtest.Stage{{Duration: 10 * time.Second, Target: 20}}}, 100,
			[]time.Duration{0, time.Second, 1414213562}},
		// 5 hits in the first second, none in the idle one, 5 in the last.
		{"stages with a pause", loadtest.Schedule{StartRate: 5, Stages: []loadtest.Stage{
			{Duration: time.Second, Target: 5}, {Duration: 0, Target: 0}, {Duration: time.Second, Target: 5}}}, 0, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := NewSchedulePacer(tc.sched, loadtest.ArrivalsConstant, 1)
			if tc.want == 0 {
				if err == nil {
					t.Fatal("a zero-length stage was accepted")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := hits(t, p)
			if len(got) != tc.want {
				t.Errorf("%d hits, want %d", len(got), tc.want)
			}
			for i, want := range tc.at {
				if d := got[i] - want; d < -time.Microsecond || d > time.Microsecond {
					t.Errorf("hit %d at %v, want %v", i, got[i], want)
				}
			}
		})
	}
}

func TestSchedulePacer_PoissonIsSeededAndHasTheRate(t *testing.T) {
	s := loadtest.Schedule{StartRate: 100, Stages: []loadtest.Stage{{Duration: 50 * time.Second, Target: 300}, {Duration: 50 * time.Second, Target: 300}}}
	a, _ := NewSchedulePacer(s, loadtest.ArrivalsPoisson, 42)
	b, _ := NewSchedulePacer(s, loadtest.ArrivalsPoisson, 42)
	c, _ := NewSchedulePacer(s, loadtest.ArrivalsPoisson, 43)
	ha, hb, hc := hits(t, a), hits(t, b), hits(t, c)
	if len(ha) != len(hb) || ha[len(ha)/2] != hb[len(hb)/2] {
		t.Fatal("the same seed gave different arrivals")
	}
	if len(hc) > 0 && len(ha) == len(hc) && ha[len(ha)/2] == hc[len(hc)/2] {
		t.Error("another seed gave the same arrivals")
	}
	// Λ = 50·200 + 50·300 = 25 000; a Poisson count is within 4σ = 632.
	want := a.Expected(s.Duration())
	if want != 25000 {
		t.Fatalf("Λ(end) = %v, want 25000", want)
	}
	if d := math.Abs(float64(len(ha)) - want); d > 4*math.Sqrt(want) {
		t.Errorf("%d arrivals, want 25000 ± 632", len(ha))
	}
	// In each half the count follows that half's Λ: 10 000 and 15 000.
	first := 0
	for _, at := range ha {
		if at < 50*time.Second {
			first++
		}
	}
	if d := math.Abs(float64(first) - 10000); d > 400 {
		t.Errorf("%d arrivals in the ramp, want 10000 ± 400", first)
	}
	// Exponential gaps in the flat half: mean 1/300 s, CV 1.
	var gaps []float64
	for i := 1; i < len(ha); i++ {
		if ha[i-1] >= 50*time.Second {
			gaps = append(gaps, (ha[i] - ha[i-1]).Seconds())
		}
	}
	m, sd := meanSD(gaps)
	if math.Abs(m*300-1) > 0.03 || math.Abs(sd/m-1) > 0.03 {
		t.Errorf("gaps: mean %.5f s (want 1/300), cv %.3f (want 1)", m, sd/m)
	}
}

func meanSD(xs []float64) (float64, float64) {
	var s, ss float64
	for _, x := range xs {
		s += x
	}
	m := s / float64(len(xs))
	for _, x := range xs {
		ss += (x - m) * (x - m)
	}
	return m, math.Sqrt(ss / float64(len(xs)-1))
}

func TestSchedulePacer_Pace(t *testing.T) {
	p, _ := NewSchedulePacer(constantSchedule(10, time.Second), loadtest.ArrivalsConstant, 1)
	tests := []struct {
		name     string
		elapsed  time.Duration
		hits     uint64
		wait     time.Duration
		stop     bool
		rateWant float64
	}{
		{"on time", 0, 0, 0, false, 10},
		{"early", 150 * time.Millisecond, 2, 50 * time.Millisecond, false, 10},
		{"late: negative wait, the exact lateness", 500 * time.Millisecond, 3, -200 * time.Millisecond, false, 10},
		{"going back regenerates", 0, 1, 100 * time.Millisecond, false, 10},
		{"past the end stops", 2 * time.Second, 10, 0, true, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wait, stop := p.Pace(tc.elapsed, tc.hits)
			if stop != tc.stop || (!stop && wait != tc.wait) {
				t.Errorf("Pace(%v, %d) = %v, %v; want %v, %v", tc.elapsed, tc.hits, wait, stop, tc.wait, tc.stop)
			}
			if r := p.Rate(tc.elapsed); r != tc.rateWant {
				t.Errorf("Rate(%v) = %v, want %v", tc.elapsed, r, tc.rateWant)
			}
		})
	}
}

func TestNewSchedulePacer_Refuses(t *testing.T) {
	tests := []struct {
		name     string
		sched    loadtest.Schedule
		arrivals string
	}{
		{"unknown arrivals", constantSchedule(1, time.Second), "uniform"},
		{"no stages", loadtest.Schedule{StartRate: 1}, loadtest.ArrivalsPoisson},
		{"negative target", loadtest.Schedule{Stages: []loadtest.Stage{{Duration: time.Second, Target: -1}}}, loadtest.ArrivalsPoisson},
		{"NaN start", loadtest.Schedule{StartRate: math.NaN(), Stages: []loadtest.Stage{{Duration: time.Second, Target: 1}}}, loadtest.ArrivalsPoisson},
		{"infinite target", loadtest.Schedule{Stages: []loadtest.Stage{{Duration: time.Second, Target: math.Inf(1)}}}, loadtest.ArrivalsConstant},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := NewSchedulePacer(tc.sched, tc.arrivals, 1); err == nil {
				t.Error("accepted")
			}
		})
	}
}

func BenchmarkSchedulePacer_Poisson(b *testing.B) {
	p, _ := NewSchedulePacer(loadtest.Schedule{StartRate: 10, Stages: []loadtest.Stage{{Duration: time.Hour, Target: 1e6}}}, loadtest.ArrivalsPoisson, 1)
	for i := 0; b.Loop(); i++ {
		p.Pace(0, uint64(i))
	}
}
