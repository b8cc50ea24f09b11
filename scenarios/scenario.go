package scenarios

import (
	"sort"
	"time"
)

// Scenario is a traffic pattern to size and simulate for: a base rate shaped
// over time by a list of profile components that multiply together,
//
//	λ(t) = base · Π_i component_i(t)
//
// where the base is each service's observed RequestRate (Mode "multiplier",
// the default) or the scenario's own Rate (Mode "absolute").
type Scenario struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// Start is the UTC time of day at t = 0; schedules and diurnal profiles
	// read the wall clock from it. Default 00:00.
	Start TimeOfDay `json:"start,omitempty"`
	// Duration is how long the scenario runs, at most 400 days.
	Duration Duration `json:"duration"`
	// Services limits the scenario to these services; default all.
	Services []string `json:"services,omitempty"`
	// Mode is "multiplier" (components scale each service's observed rate)
	// or "absolute" (components scale Rate, for the listed Services).
	Mode string `json:"mode,omitempty"`
	// Rate is the base rate in absolute mode.
	Rate *Rate `json:"rate,omitempty"`
	// Profile is the list of components; an empty profile is a constant 1.
	Profile []Component `json:"profile,omitempty"`
}

// Scenario modes.
const (
	ModeMultiplier = "multiplier"
	ModeAbsolute   = "absolute"
)

// Component is one factor of a traffic profile; exactly one field is set.
type Component struct {
	Schedule *Schedule `json:"schedule,omitempty"`
	Diurnal  *Diurnal  `json:"diurnal,omitempty"`
	Ramp     *Ramp     `json:"ramp,omitempty"`
	Step     *Step     `json:"step,omitempty"`
	Spike    *Spike    `json:"spike,omitempty"`
	Growth   *Growth   `json:"growth,omitempty"`
	Noise    *Noise    `json:"noise,omitempty"`
	Replay   *Replay   `json:"replay,omitempty"`
}

// Schedule sets a multiplier by UTC hour of day, as a runbook's
// low/medium/high traffic windows do. Windows may wrap midnight
// ("20:00"–"02:00") and must not overlap; hours no window covers get Default.
type Schedule struct {
	// Default multiplier outside every window: 3x (canonical), 3 or 300%.
	// Default 1.
	Default *Multiplier `json:"default,omitempty"`
	Windows []Window    `json:"windows"`
}

// Window is [From, To) of the day at Multiplier (3x, 3 or 300%).
type Window struct {
	Name       string     `json:"name,omitempty"`
	From       TimeOfDay  `json:"from"`
	To         TimeOfDay  `json:"to"`
	Multiplier Multiplier `json:"multiplier"`
}

// Diurnal is a smooth daily cycle, a raised cosine between Min and Max with
// its maximum at Peak (UTC) and its minimum twelve hours away. Min and Max
// are multipliers: 3x (canonical), 3 or 300%.
type Diurnal struct {
	Min  Multiplier `json:"min"`
	Max  Multiplier `json:"max"`
	Peak TimeOfDay  `json:"peak"`
}

// Ramp moves linearly from From to To between Start and End (offsets from
// the scenario start); it is From before Start and To after End. From and
// To are multipliers: 3x (canonical), 3 or 300%.
type Ramp struct {
	From  Multiplier `json:"from"`
	To    Multiplier `json:"to"`
	Start Duration   `json:"start"`
	End   Duration   `json:"end"`
}

// Step is 1 before At and Multiplier (3x, 3 or 300%) from At on.
type Step struct {
	At         Duration   `json:"at"`
	Multiplier Multiplier `json:"multiplier"`
}

// Spike is a trapezoid from 1 up to Multiplier: it starts rising at At,
// reaches Multiplier after Rise, holds for Hold, and falls back to 1 over
// Fall. Multiplier is written 3x (canonical), 3 or 300%.
type Spike struct {
	At         Duration   `json:"at"`
	Rise       Duration   `json:"rise,omitempty"`
	Hold       Duration   `json:"hold"`
	Fall       Duration   `json:"fall,omitempty"`
	Multiplier Multiplier `json:"multiplier"`
}

// Growth scales traffic by (1 + Percent/100). Without Over the factor is
// constant ("2x growth" is Percent 100); with Over it compounds, reaching
// the full factor after Over: (1 + Percent/100)^(t/Over).
type Growth struct {
	Percent float64   `json:"percent"`
	Over    *Duration `json:"over,omitempty"`
}

// Noise multiplies traffic by independent log-normal factors of mean 1 and
// coefficient of variation CV, one per Interval, drawn from the plan's seed
// and the scenario's name, so a run is repeatable.
type Noise struct {
	CV       float64  `json:"cv"`
	Interval Duration `json:"interval"`
}

// Replay is an observed traffic shape: multipliers at offsets from the
// scenario start, joined by straight lines. Before the first point the
// multiplier is the first point's, after the last point the last one's.
// `headroom observe` writes one from a Prometheus range query.
type Replay struct {
	// Points are the samples, in strictly increasing At order.
	Points []ReplayPoint `json:"points"`
}

// ReplayPoint is the multiplier (3x, 3 or 300%) at offset At.
type ReplayPoint struct {
	At         Duration   `json:"at"`
	Multiplier Multiplier `json:"multiplier"`
}

// MaxReplayPoints bounds a replay component (a year at one-minute steps).
const MaxReplayPoints = 600_000

// at returns the linearly interpolated multiplier at offset t.
func (r *Replay) at(t time.Duration) float64 {
	pts := r.Points
	if len(pts) == 0 {
		return 1
	}
	// i is the first point at or after t.
	i := sort.Search(len(pts), func(i int) bool { return pts[i].At.D() >= t })
	switch {
	case i == 0:
		return float64(pts[0].Multiplier)
	case i == len(pts):
		return float64(pts[len(pts)-1].Multiplier)
	}
	a, b := pts[i-1], pts[i]
	f := float64(t-a.At.D()) / float64(b.At-a.At)
	return float64(a.Multiplier) + float64(b.Multiplier-a.Multiplier)*f
}
