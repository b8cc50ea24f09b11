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
	// Name identifies the scenario: a DNS-1123 label, unique in the plan.
	// Required. Example: `black-friday`.
	Name string `json:"name"`
	// Description is free text shown in reports.
	Description string `json:"description,omitempty"`
	// Start is the UTC time of day at t = 0; schedules and diurnal profiles
	// read the wall clock from it. Default: 00:00.
	Start TimeOfDay `json:"start,omitempty"`
	// Duration is how long the scenario runs, a whole number of simulation
	// ticks. Required. Range: greater than 0, at most 400 days (9600h).
	// Example: `24h`.
	Duration Duration `json:"duration"`
	// Weight is how often the scenario occurs relative to the plan's
	// others: the recommender's cost objective sums each scenario's pod-
	// and node-hours times its weight (the SLO must hold in every
	// scenario whatever its weight). Default: 1. Range: [0, 1000].
	// Example: `0.05` (a sale one day in twenty).
	Weight *float64 `json:"weight,omitempty"`
	// Services limits the scenario to these services, by name. Default: all
	// services. Example: `[checkout-api, search]`.
	Services []string `json:"services,omitempty"`
	// Mode says what the profile multiplies: "multiplier" (each service's
	// observed rate) or "absolute" (Rate, for the listed Services). Default:
	// multiplier. One of: `multiplier` or `absolute`.
	Mode string `json:"mode,omitempty"`
	// Rate is the base rate in absolute mode, where it is required; refused
	// in multiplier mode. Range: greater than 0.
	Rate *Rate `json:"rate,omitempty"`
	// Profile is the list of components; an empty profile is a constant 1.
	// Default: a constant 1.
	Profile []Component `json:"profile,omitempty"`
}

// Scenario modes.
const (
	ModeMultiplier = "multiplier"
	ModeAbsolute   = "absolute"
)

// Component is one factor of a traffic profile; exactly one field is set.
type Component struct {
	// Schedule sets a multiplier by hour of day.
	Schedule *Schedule `json:"schedule,omitempty"`
	// Diurnal is a smooth daily cycle.
	Diurnal *Diurnal `json:"diurnal,omitempty"`
	// Ramp moves linearly between two multipliers.
	Ramp *Ramp `json:"ramp,omitempty"`
	// Step jumps to a multiplier at an offset.
	Step *Step `json:"step,omitempty"`
	// Spike is a trapezoidal burst (an event).
	Spike *Spike `json:"spike,omitempty"`
	// Growth is a constant or compounding growth factor.
	Growth *Growth `json:"growth,omitempty"`
	// Noise is seeded log-normal noise.
	Noise *Noise `json:"noise,omitempty"`
	// Replay is an observed traffic shape.
	Replay *Replay `json:"replay,omitempty"`
}

// Schedule sets a multiplier by UTC hour of day, as a runbook's
// low/medium/high traffic windows do. Windows may wrap midnight
// ("20:00"–"02:00") and must not overlap; hours no window covers get Default.
type Schedule struct {
	// Default is the multiplier outside every window. Default: 1. Range:
	// [0, 1e6].
	Default *Multiplier `json:"default,omitempty"`
	// Windows are the hours with their own multiplier, at least one.
	// Required.
	Windows []Window `json:"windows"`
}

// Window is [From, To) of the day at Multiplier.
type Window struct {
	// Name labels the window. Example: `peak`.
	Name string `json:"name,omitempty"`
	// From is the window's first minute (UTC). Default: 00:00.
	From TimeOfDay `json:"from"`
	// To is the end of the window (UTC), not equal to From; a To before
	// From wraps midnight. Default: 00:00. Example: `17:00`.
	To TimeOfDay `json:"to"`
	// Multiplier applies inside the window. Range: [0, 1e6]. Example: `3`.
	Multiplier Multiplier `json:"multiplier"`
}

// Diurnal is a smooth daily cycle, a raised cosine between Min and Max with
// its maximum at Peak (UTC) and its minimum twelve hours away.
type Diurnal struct {
	// Min is the multiplier at the trough. Range: [0, 1e6]. Example: `0.3`.
	Min Multiplier `json:"min"`
	// Max is the multiplier at the peak, at least Min. Required. Range:
	// (0, 1e6]. Example: `1.5`.
	Max Multiplier `json:"max"`
	// Peak is the time of day of the maximum (UTC). Default: 00:00.
	// Example: `14:00`.
	Peak TimeOfDay `json:"peak"`
}

// Ramp moves linearly from From to To between Start and End (offsets from
// the scenario start); it is From before Start and To after End.
type Ramp struct {
	// From is the multiplier before Start. Range: [0, 1e6]. Example: `1`.
	From Multiplier `json:"from"`
	// To is the multiplier after End. Range: [0, 1e6]. Example: `2`.
	To Multiplier `json:"to"`
	// Start is the offset where the ramp begins. Default: 0s. Range: at
	// least 0. Example: `1h`.
	Start Duration `json:"start"`
	// End is the offset where the ramp ends, after Start. Required.
	// Example: `3h`.
	End Duration `json:"end"`
}

// Step is 1 before At and Multiplier from At on.
type Step struct {
	// At is the offset of the step. Default: 0s. Range: at least 0.
	// Example: `2h`.
	At Duration `json:"at"`
	// Multiplier applies from At on. Range: [0, 1e6]. Example: `2`.
	Multiplier Multiplier `json:"multiplier"`
}

// Spike is a trapezoid from 1 up to Multiplier: it starts rising at At,
// reaches Multiplier after Rise, holds for Hold, and falls back to 1 over
// Fall.
type Spike struct {
	// At is the offset where the spike starts rising. Default: 0s. Range:
	// at least 0. Example: `10h`.
	At Duration `json:"at"`
	// Rise is the time from 1 to Multiplier. Default: 0s. Range: at least
	// 0. Example: `5m`.
	Rise Duration `json:"rise,omitempty"`
	// Hold is how long the spike stays at Multiplier. Default: 0s. Range:
	// at least 0. Example: `1h`.
	Hold Duration `json:"hold"`
	// Fall is the time from Multiplier back to 1. Default: 0s. Range: at
	// least 0. Example: `15m`.
	Fall Duration `json:"fall,omitempty"`
	// Multiplier is the spike's height, times the base. Required. Range:
	// (0, 1e6]. Example: `5`.
	Multiplier Multiplier `json:"multiplier"`
}

// Growth scales traffic by (1 + Percent/100). Without Over the factor is
// constant ("2x growth" is Percent 100); with Over it compounds, reaching
// the full factor after Over: (1 + Percent/100)^(t/Over).
type Growth struct {
	// Percent is the growth in percent: 100 doubles the traffic, -50
	// halves it. Range: (-100, 99999900]. Example: `100`.
	Percent float64 `json:"percent"`
	// Over is the time over which the growth compounds to the full
	// factor. Default: none, a constant factor. Range: greater than 0.
	// Example: `720h`.
	Over *Duration `json:"over,omitempty"`
}

// Noise multiplies traffic by independent log-normal factors of mean 1 and
// coefficient of variation CV, one per Interval, drawn from the plan's seed
// and the scenario's name, so a run is repeatable.
type Noise struct {
	// CV is the noise's coefficient of variation. Range: [0, 2]. Example:
	// `0.1`.
	CV float64 `json:"cv"`
	// Interval is how long each drawn factor holds. Required. Range: at
	// least 1s. Example: `1m`.
	Interval Duration `json:"interval"`
}

// Replay is an observed traffic shape: multipliers at offsets from the
// scenario start, joined by straight lines. Before the first point the
// multiplier is the first point's, after the last point the last one's.
// `headroom observe` writes one from a Prometheus range query.
type Replay struct {
	// Points are the samples, in strictly increasing At order, at most
	// 600000. Required.
	Points []ReplayPoint `json:"points"`
}

// ReplayPoint is the multiplier at offset At.
type ReplayPoint struct {
	// At is the sample's offset from the scenario start. Range: at least 0.
	// Example: `5m`.
	At Duration `json:"at"`
	// Multiplier is the sample's value. Range: [0, 1e6]. Example: `1.2`.
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

// CostWeight is the scenario's weight in a cost objective: Weight, or 1.
func (sc *Scenario) CostWeight() float64 {
	if sc.Weight == nil {
		return 1
	}
	return *sc.Weight
}
