package loadtest

import (
	"context"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/headroom-dev/headroom/scenarios"
)

// Hard limits of a load test, whatever the caps say: --max-rate and
// --max-duration can be raised up to them, never beyond, so a typo, +Inf or
// NaN cannot switch the safety caps off, and a run's windows (one a second)
// and schedule stages fit in memory.
const (
	// LimitRate bounds every rate of a run, requests per second.
	LimitRate = 1e6
	// LimitDuration bounds a run's wall-clock length: a day of one-second
	// windows.
	LimitDuration = 24 * time.Hour
	// LimitSpeedup bounds the time compression of a scenario.
	LimitSpeedup = 1e6
	// LimitTimeout bounds the per-request timeout: the latency histogram
	// ends at one hour.
	LimitTimeout = time.Hour
)

// Stage is one piece of an offered-load schedule: the rate ramps linearly
// from the previous stage's Target (or the schedule's StartRate) to Target
// over Duration, as in k6's ramping-arrival-rate executor.
type Stage struct {
	Duration time.Duration `json:"duration"`
	// Target is the rate at the end of the stage, requests per second.
	Target float64 `json:"target"`
}

// Schedule is the offered load of a run in wall-clock time.
type Schedule struct {
	StartRate float64 `json:"startRate"`
	Stages    []Stage `json:"stages"`
	// Speedup is how much faster than the scenario the run plays: scenario
	// time = wall time × Speedup. Rates are not scaled.
	Speedup float64 `json:"speedup"`
}

// Duration is the schedule's total wall-clock length.
func (s Schedule) Duration() time.Duration {
	var d time.Duration
	for _, st := range s.Stages {
		d += st.Duration
	}
	return d
}

// RateAt is the offered rate at a wall-clock offset; 0 after the end.
func (s Schedule) RateAt(offset time.Duration) float64 {
	from := s.StartRate
	for _, st := range s.Stages {
		if offset < st.Duration {
			f := float64(offset) / float64(st.Duration)
			return from + (st.Target-from)*f
		}
		offset -= st.Duration
		from = st.Target
	}
	return 0
}

// Peak is the highest rate the schedule asks for.
func (s Schedule) Peak() float64 {
	p := s.StartRate
	for _, st := range s.Stages {
		p = math.Max(p, st.Target)
	}
	return p
}

// Validate refuses a schedule a pacer cannot play: no stages, a stage
// that is not longer than zero, or a rate that is not finite and ≥ 0.
func (s Schedule) Validate() error {
	if !(s.StartRate >= 0) || math.IsInf(s.StartRate, 0) {
		return fmt.Errorf("schedule: startRate must be a finite rate ≥ 0, got %v", s.StartRate)
	}
	if len(s.Stages) == 0 {
		return fmt.Errorf("schedule: no stages")
	}
	for i, st := range s.Stages {
		if st.Duration <= 0 {
			return fmt.Errorf("schedule: stages[%d].duration must be > 0, got %s", i, st.Duration)
		}
		if !(st.Target >= 0) || math.IsInf(st.Target, 0) {
			return fmt.Errorf("schedule: stages[%d].target must be a finite rate ≥ 0, got %v", i, st.Target)
		}
	}
	return nil
}

// ScheduleFor samples a service's λ(t) in a plan scenario into a schedule,
// compressed by speedup (≥ 1): the scenario's duration plays in
// duration/speedup of wall time and every rate is kept, so the peak is the
// plan's peak. One stage per step of wall time (at least 1 s).
func ScheduleFor(plan *scenarios.Plan, service, scenario string, speedup float64, step time.Duration) (Schedule, error) {
	if !(speedup >= 1) || speedup > LimitSpeedup {
		return Schedule{}, fmt.Errorf("speedup must be a number from 1 to %g, got %v", float64(LimitSpeedup), speedup)
	}
	if step < time.Second {
		step = time.Second
	}
	if step > LimitDuration {
		return Schedule{}, fmt.Errorf("step must be at most %s, got %s", LimitDuration, step)
	}
	svc := plan.Service(service)
	if svc == nil {
		return Schedule{}, fmt.Errorf("plan %s has no service %q", plan.File(), service)
	}
	sc := plan.Scenario(scenario)
	if sc == nil {
		return Schedule{}, fmt.Errorf("plan %s has no scenario %q", plan.File(), scenario)
	}
	if !sc.AppliesTo(service) {
		return Schedule{}, fmt.Errorf("scenario %q does not cover service %q", scenario, service)
	}
	tr := sc.Traffic(plan.Seed)
	base := sc.BaseRate(svc)
	rate := func(wall time.Duration) float64 {
		return base * tr.Multiplier(time.Duration(float64(wall)*speedup))
	}
	total := time.Duration(float64(sc.Duration.D()) / speedup)
	if total > LimitDuration {
		// Refused before its stages are built: a 400-day scenario played
		// in real time would be 35 million of them.
		return Schedule{}, fmt.Errorf("scenario %q lasts %s, %s at speedup %g: longer than a load test may run (%s); raise --speedup",
			scenario, sc.Duration.D(), total, speedup, LimitDuration)
	}
	s := Schedule{StartRate: rate(0), Speedup: speedup}
	for at := time.Duration(0); at < total; {
		d := min(step, total-at)
		at += d
		s.Stages = append(s.Stages, Stage{Duration: d, Target: rate(at)})
	}
	return s, nil
}

// Arrival processes a schedule can be played with.
const (
	// ArrivalsPoisson: a non-homogeneous Poisson process with rate λ(t),
	// the M of M/M/c.
	ArrivalsPoisson = "poisson"
	// ArrivalsConstant: evenly spaced in cumulative rate, as k6's
	// arrival-rate executors (the D of D/M/c).
	ArrivalsConstant = "constant"
)

// RunSpec is what an engine needs to run one load test.
type RunSpec struct {
	// Target is the URL every request goes to; required, printed before
	// the start, and the only host the run talks to.
	Target string
	Method string // default GET
	// Endpoints, when set, is the request mix each arrival picks from
	// (see Endpoint); Target is then the base URL the endpoints share.
	Endpoints []Endpoint
	Timeout   time.Duration
	// Arrivals is ArrivalsPoisson or ArrivalsConstant (evenly spaced, as k6's
	// arrival-rate executors).
	Arrivals string
	Schedule Schedule
	// MaxRate and MaxDuration are the user's caps; a schedule beyond them
	// is refused, never clipped.
	MaxRate     float64
	MaxDuration time.Duration
	// Service and Scenario label the result; SLO thresholds come from the
	// plan (zero means none).
	Service, Scenario string
	P95Target         float64 // seconds
	ErrorRateTarget   float64 // fraction
	// Progress, when set, receives a progress line per second.
	Progress io.Writer
}

// CheckCaps refuses a schedule that exceeds the user's caps, or the hard
// limits (LimitRate, LimitDuration, LimitTimeout) whatever the caps, and a
// target that is missing or carries credentials (see CheckTarget; the
// engines check the rest of the URL themselves).
func (r RunSpec) CheckCaps() error {
	if r.Target == "" {
		return fmt.Errorf("a target URL is required")
	}
	if err := checkCredentials(r.Target); err != nil {
		return err
	}
	if math.IsNaN(r.MaxRate) || r.MaxRate < 0 || r.MaxRate > LimitRate {
		return fmt.Errorf("--max-rate must be from 0 to %g req/s, got %v", float64(LimitRate), r.MaxRate)
	}
	if r.MaxDuration < 0 || r.MaxDuration > LimitDuration {
		return fmt.Errorf("--max-duration must be from 0 to %s, got %s", LimitDuration, r.MaxDuration)
	}
	if r.Timeout < 0 || r.Timeout > LimitTimeout {
		return fmt.Errorf("the request timeout must be from 0 to %s, got %s", LimitTimeout, r.Timeout)
	}
	if r.MaxRate > 0 && r.Schedule.Peak() > r.MaxRate {
		return fmt.Errorf("the schedule peaks at %.1f req/s, above --max-rate %.1f: lower the scenario or raise the cap", r.Schedule.Peak(), r.MaxRate)
	}
	if r.MaxDuration > 0 && r.Schedule.Duration() > r.MaxDuration {
		return fmt.Errorf("the schedule runs %s, longer than --max-duration %s: raise --speedup or the cap", r.Schedule.Duration(), r.MaxDuration)
	}
	if p := r.Schedule.Peak(); !(p <= LimitRate) {
		return fmt.Errorf("the schedule peaks at %.1f req/s, above the limit of %g req/s of a load test", p, float64(LimitRate))
	}
	if d := r.Schedule.Duration(); d > LimitDuration || d < 0 {
		return fmt.Errorf("the schedule runs %s, longer than the limit of %s of a load test", d, LimitDuration)
	}
	return nil
}

// Engine runs a load test. Run returns the result measured so far even when
// ctx is cancelled (Result.Interrupted set), and an error only when nothing
// usable was measured.
type Engine interface {
	Name() string
	Run(ctx context.Context, spec RunSpec) (*Result, error)
}
