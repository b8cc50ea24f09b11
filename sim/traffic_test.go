package sim

import (
	"math"
	"testing"
	"time"

	"github.com/headroom-dev/headroom/scenarios"
)

// TestMultiplierSeries: the tick loop's multiplier, read from a shared
// series (one day of it for a profile that repeats daily), is bit for bit
// scenarios.Traffic's at every tick.
func TestMultiplierSeries(t *testing.T) {
	two := scenarios.Multiplier(2)
	for _, tc := range []struct {
		name  string
		prof  []scenarios.Component
		daily bool
	}{
		{"diurnal and schedule", []scenarios.Component{
			{Diurnal: &scenarios.Diurnal{Min: 0.3, Max: 1.2, Peak: scenarios.TimeOfDay(15 * time.Hour)}},
			{Schedule: &scenarios.Schedule{Windows: []scenarios.Window{{From: scenarios.TimeOfDay(22 * time.Hour), To: scenarios.TimeOfDay(2 * time.Hour), Multiplier: two}}}},
		}, true},
		{"diurnal and ramp", []scenarios.Component{
			{Diurnal: &scenarios.Diurnal{Min: 0.5, Max: 1, Peak: scenarios.TimeOfDay(9 * time.Hour)}},
			{Ramp: &scenarios.Ramp{From: 1, To: 2, Start: scenarios.Duration(time.Hour), End: scenarios.Duration(50 * time.Hour)}},
		}, false},
	} {
		p := diurnalPlan(t, 3)
		sc := &p.Scenarios[0]
		sc.Start = scenarios.TimeOfDay(7*time.Hour + 13*time.Minute)
		sc.Profile = tc.prof
		w, err := New(p, Options{Scenario: sc.Name, SampleEvery: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		s := w.services[0]
		if daily := len(s.lambda) < s.lambdaTicks; daily != tc.daily || s.lambdaTicks != 3*86400+1 {
			t.Fatalf("%s: %d of %d ticks kept, daily %v", tc.name, len(s.lambda), s.lambdaTicks, daily)
		}
		tr := sc.Traffic(w.seed)
		for w.now < w.end {
			w.Tick()
			got, want := s.multiplierNow(w), tr.Multiplier(w.now)
			if math.Float64bits(got) != math.Float64bits(want) || s.multiplier(w.now, w.tick) != want {
				t.Fatalf("%s: at %s the series holds %v, the profile is %v", tc.name, w.now, got, want)
			}
		}
	}
}
