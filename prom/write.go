package prom

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/headroom-dev/headroom/scenarios"
	"github.com/headroom-dev/headroom/scenarios/planfile"
)

// RateStatistic chooses which observed rate becomes a service's
// requestRate (the base that multiplier scenarios scale).
type RateStatistic string

// Rate statistics.
const (
	RatePeak RateStatistic = "peak"
	RateP99  RateStatistic = "p99"
	RateP95  RateStatistic = "p95"
	RateP50  RateStatistic = "p50"
	RateMean RateStatistic = "mean"
)

// ParseRateStatistic accepts peak, p99, p95, p50 or mean.
func ParseRateStatistic(s string) (RateStatistic, error) {
	switch r := RateStatistic(s); r {
	case RatePeak, RateP99, RateP95, RateP50, RateMean:
		return r, nil
	}
	return "", fmt.Errorf("rate statistic must be peak, p99, p95, p50 or mean, got %q", s)
}

// Pick returns the statistic s of the rate.
func (r RateStats) Pick(s RateStatistic) float64 {
	switch s {
	case RateP99:
		return r.P99
	case RateP95:
		return r.P95
	case RateP50:
		return r.P50
	case RateMean:
		return r.Mean
	}
	return r.Peak
}

// WriteOptions say what UpdatePlan writes.
type WriteOptions struct {
	// Rate picks the requestRate. Default peak.
	Rate RateStatistic
	// Source names where the data came from, for the comments.
	Source string
	// NoScenarios leaves out the replay and forecast scenarios.
	NoScenarios bool
}

// ReplayScenarioName is the name of the replay scenario UpdatePlan writes
// for a service: observed-<service>.
func ReplayScenarioName(service string) string { return "observed-" + service }

// ForecastScenarioName is the name of the forecast scenario UpdatePlan
// writes for a service: forecast-<service>.
func ForecastScenarioName(service string) string { return "forecast-" + service }

// UpdatePlan rewrites the plan file src (YAML, comments kept) with the
// observations: each observed service's requestRate, serviceTime, cpu and
// memory, each with a comment giving its fit quality, and per service a
// replay scenario of the window and a forecast scenario of the projected
// peak (replacing scenarios of the same names). The edits are planfile's;
// the result is parsed and validated before it is returned.
func UpdatePlan(file string, src []byte, obs []*Observation, wo WriteOptions) ([]byte, error) {
	if wo.Rate == "" {
		wo.Rate = RatePeak
	}
	f, err := planfile.Parse(file, src)
	if err != nil {
		return nil, err
	}
	for _, o := range obs {
		in, err := serviceInputs(o, wo)
		if err != nil {
			return nil, fmt.Errorf("service %s: %w", o.Service, err)
		}
		if err := f.SetInputs(o.Service, in); err != nil {
			return nil, err
		}
		if wo.NoScenarios {
			continue
		}
		base := o.Rate.Pick(wo.Rate)
		var scs []planfile.Scenario
		if sc := replayScenario(o, base); sc != nil {
			scs = append(scs, *sc)
		}
		if sc := forecastScenario(o, base); sc != nil {
			scs = append(scs, *sc)
		}
		f.PutScenarios(scs...)
	}
	out, err := f.Bytes()
	if err != nil {
		return nil, err
	}
	if _, err := scenarios.Parse(file, out); err != nil {
		return nil, fmt.Errorf("the observed plan does not validate (a bug, or the observations are out of range): %w", err)
	}
	return out, nil
}

// serviceInputs are the plan inputs an observation gives, each with a note
// on where it came from. A CPU or memory fit that makes no sense (a slope
// or intercept that is not positive) is left out and recorded as a
// problem of the observation.
func serviceInputs(o *Observation, wo WriteOptions) (planfile.Inputs, error) {
	r := o.Rate
	base := r.Pick(wo.Rate)
	if !(base > 0) {
		return planfile.Inputs{}, fmt.Errorf("the %s request rate is 0; nothing to size from", wo.Rate)
	}
	low := ""
	if r.LowConfidence {
		low = "; LOW CONFIDENCE: " + strings.Join(r.Reasons, ", ")
	}
	in := planfile.Inputs{
		RequestRate: base,
		RequestRateNote: fmt.Sprintf("observed %s over %s to %s: peak %s/s, p99 %s/s, p95 %s/s, p50 %s/s, mean %s/s; %d points, %.1f h%s",
			wo.Rate, FormatDuration(o.End.Sub(o.Start)), o.End.Format(time.RFC3339), g4(r.Peak), g4(r.P99), g4(r.P95), g4(r.P50), g4(r.Mean), r.Points, r.Hours, low),
	}

	if st := o.ServiceTime; st != nil && st.MeanSeconds > 0 {
		in.ServiceTime = &planfile.ServiceTime{Mean: seconds(st.MeanSeconds)}
		note := fmt.Sprintf("request-weighted mean of _sum/_count over %d steps, %.1f h", st.Points, st.Hours)
		if st.P95Seconds > st.MeanSeconds && !st.P95Beyond {
			in.ServiceTime.P95 = seconds(st.P95Seconds)
			note += fmt.Sprintf("; p95 from %d histogram buckets over the window", st.Buckets)
		}
		in.ServiceTime.Note = "observed (response time inside the pod; equals the service time while pods are not saturated): " + note
	}

	if f := o.CPU; f != nil {
		if f.Slope > 0 {
			in.CPU = &planfile.CPU{PerRequest: seconds(f.Slope)}
			note := ""
			if f.Intercept >= 0 {
				m := int64(math.Round(f.Intercept * 1000))
				in.CPU.IdleMillicores = &m
			} else {
				note = fmt.Sprintf("; the intercept %.4g cores is negative, idle left out", f.Intercept)
			}
			in.CPU.Note = "observed: pod CPU = idle + perRequest × (requests/s per pod); " + fitNote(f, "cores", 1) + note
		} else {
			o.problem("cpu per request: the slope %.4g is not positive; the plan's cpu is left as it was", f.Slope)
		}
	}

	if f := o.Memory; f != nil {
		if f.Intercept > 0 {
			in.Memory = &planfile.Memory{Base: int64(math.Round(f.Intercept))}
			note := ""
			if f.Slope >= 0 {
				b := int64(math.Round(f.Slope))
				in.Memory.PerInFlight = &b
			} else {
				note = fmt.Sprintf("; the slope %.4g bytes per in-flight request is negative, perInFlight left out", f.Slope)
			}
			in.Memory.Note = "observed: pod working set = base + perInFlight × (in-flight requests per pod, by Little's law: rate per pod × mean latency); " + fitNote(f, "MiB", 1<<20) + note
		} else {
			o.problem("memory: the intercept %.4g bytes is not positive; the plan's memory is left as it was", f.Intercept)
		}
	}
	return in, nil
}

func fitNote(f *Fit, unit string, div float64) string {
	s := fmt.Sprintf("R² %.3f, residual sd %.3g %s, %d points, %.1f h", f.R2, tidy(f.ResidualSD/div), unit, f.Points, f.Hours)
	if f.LowConfidence {
		s += "; LOW CONFIDENCE: " + strings.Join(f.Reasons, ", ")
	}
	return s
}

func replayScenario(o *Observation, base float64) *planfile.Scenario {
	if len(o.Replay) == 0 {
		return nil
	}
	lead := o.Start.Sub(o.Start.Truncate(time.Minute))
	pts := make([]planfile.ReplayPoint, len(o.Replay))
	for i, p := range o.Replay {
		pts[i] = planfile.ReplayPoint{At: p.Offset.D() + lead, Multiplier: round6(p.Value / base)}
	}
	return &planfile.Scenario{
		Name: ReplayScenarioName(o.Service),
		Description: fmt.Sprintf("%s's request rate from %s to %s, averaged over %s, as multipliers of its requestRate %s/s",
			o.Service, o.Start.Format(time.RFC3339), o.End.Format(time.RFC3339), FormatDuration(replayStep(o.Replay)), g4(base)),
		Start:    timeOfDay(o.Start.Truncate(time.Minute)),
		Duration: o.End.Sub(o.Start.Truncate(time.Minute)),
		Services: []string{o.Service},
		Replay:   pts,
	}
}

func replayStep(pts []RatePoint) time.Duration {
	if len(pts) < 2 {
		return 2 * pts[0].Offset.D()
	}
	return (pts[1].Offset - pts[0].Offset).D()
}

func forecastScenario(o *Observation, base float64) *planfile.Scenario {
	f := o.Forecast
	if f == nil || len(f.Shape) == 0 {
		return nil
	}
	scale := f.Upper / base
	pts := make([]planfile.ReplayPoint, len(f.Shape))
	for i, p := range f.Shape {
		pts[i] = planfile.ReplayPoint{At: p.Offset.D(), Multiplier: round6(p.Value * scale)}
	}
	low := ""
	if f.LowConfidence {
		low = " LOW CONFIDENCE: " + strings.Join(f.Reasons, ", ") + "."
	}
	return &planfile.Scenario{
		Name: ForecastScenarioName(o.Service),
		Description: fmt.Sprintf("%s's peak projected to %s: %s/s (%.0f %% prediction interval %s–%s/s) from the linear trend of %d daily peaks "+
			"(%+.4g/s per day, R² %.3f, residual sd %.3g/s). The last observed day's shape, scaled so its peak is the upper bound.%s",
			o.Service, f.Date.Format("2006-01-02"), g4(f.Point), 100*f.Level, g4(f.Lower), g4(f.Upper), len(f.Peaks), f.Slope, f.R2, tidy(f.ResidualSD), low),
		Duration: 24 * time.Hour,
		Services: []string{o.Service},
		Replay:   pts,
	}
}

// seconds is a time in seconds as a duration rounded to 1 µs, at least 1 µs.
func seconds(s float64) time.Duration {
	d := time.Duration(math.Round(s*1e6)) * time.Microsecond
	if d == 0 {
		d = time.Microsecond
	}
	return d
}

// timeOfDay is t's offset from midnight (UTC).
func timeOfDay(t time.Time) time.Duration {
	return t.Sub(t.Truncate(24 * time.Hour))
}

// tidy prints rounding noise (an exact fit's residuals) as 0, so that the
// output does not depend on the platform's floating-point contraction.
func tidy(v float64) float64 {
	if math.Abs(v) < 1e-9 {
		return 0
	}
	return v
}

func g4(v float64) string { return strconv.FormatFloat(v, 'g', 4, 64) }

func round6(v float64) float64 {
	if v == 0 {
		return 0
	}
	r, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 6, 64), 64)
	return r
}
