package scenarios

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"
)

// Quantity is a Kubernetes resource quantity ("500m", "512Mi").
type Quantity = resource.Quantity

// Rate is a request rate, written with its unit: "1000/min", "16.7/s",
// "50000/h". Inside it is requests per second.
type Rate struct {
	PerSecond float64
	text      string
}

// NewRate returns a rate of perSecond requests per second.
func NewRate(perSecond float64) Rate { return Rate{PerSecond: perSecond} }

// ParseRate parses "<number>/<unit>" with unit s, sec, second, m, min,
// minute, h, hr or hour. The number must be finite and not negative.
func ParseRate(s string) (Rate, error) {
	num, unit, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok {
		return Rate{}, fmt.Errorf("rate %q has no unit; write it as <number>/s, <number>/min or <number>/h", s)
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return Rate{}, fmt.Errorf("rate %q: %q is not a number", s, strings.TrimSpace(num))
	}
	if v < 0 {
		return Rate{}, fmt.Errorf("rate %q is negative", s)
	}
	var per float64
	switch strings.TrimSpace(unit) {
	case "s", "sec", "second":
		per = 1
	case "m", "min", "minute":
		per = 60
	case "h", "hr", "hour":
		per = 3600
	default:
		return Rate{}, fmt.Errorf("rate %q: unknown unit %q; use s, min or h", s, strings.TrimSpace(unit))
	}
	return Rate{PerSecond: v / per, text: strings.TrimSpace(s)}, nil
}

// String returns the rate as written, or in requests per second.
func (r Rate) String() string {
	if r.text != "" {
		return r.text
	}
	return strconv.FormatFloat(r.PerSecond, 'g', -1, 64) + "/s"
}

// MarshalJSON writes the rate as a string with its unit.
func (r Rate) MarshalJSON() ([]byte, error) { return json.Marshal(r.String()) }

// UnmarshalJSON reads "<number>/<unit>".
func (r *Rate) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("a rate is a string such as \"1000/min\" or \"16.7/s\", got %s", b)
	}
	v, err := ParseRate(s)
	if err != nil {
		return err
	}
	*r = v
	return nil
}

// Duration is a time.Duration written as a Go duration string ("90s", "5m").
type Duration time.Duration

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// Seconds returns d in seconds.
func (d Duration) Seconds() float64 { return time.Duration(d).Seconds() }

// String formats d as Go does.
func (d Duration) String() string { return time.Duration(d).String() }

// MarshalJSON writes d as a duration string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// UnmarshalJSON reads a Go duration string such as "250ms", "90s" or "1h30m".
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("a duration is a string such as \"250ms\", \"90s\" or \"1h30m\", got %s", b)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("%q is not a duration; write it as \"250ms\", \"90s\" or \"1h30m\"", s)
	}
	*d = Duration(v)
	return nil
}

// Seconds is a duration in headroom's JSON outputs, written as a number of
// seconds (a float: 90, 0.25) under a key ending in Seconds. Inside it is
// a time.Duration.
type Seconds time.Duration

// D returns s as a time.Duration.
func (s Seconds) D() time.Duration { return time.Duration(s) }

// Seconds returns s in seconds.
func (s Seconds) Seconds() float64 { return time.Duration(s).Seconds() }

// Minutes returns s in minutes.
func (s Seconds) Minutes() float64 { return time.Duration(s).Minutes() }

// Hours returns s in hours.
func (s Seconds) Hours() float64 { return time.Duration(s).Hours() }

// String formats s as Go does a duration ("1m30s").
func (s Seconds) String() string { return time.Duration(s).String() }

// MarshalJSON writes the number of seconds.
func (s Seconds) MarshalJSON() ([]byte, error) {
	return strconv.AppendFloat(nil, s.Seconds(), 'f', -1, 64), nil
}

// maxSeconds is the longest duration a time.Duration holds, in seconds.
const maxSeconds = float64(math.MaxInt64) / float64(time.Second)

// UnmarshalJSON reads a number of seconds, rounded to the nanosecond.
func (s *Seconds) UnmarshalJSON(b []byte) error {
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return fmt.Errorf("a duration is a number of seconds, got %s", b)
	}
	ns := math.Round(f * float64(time.Second))
	// float64(math.MaxInt64) is 2⁶³, one past the largest int64.
	if math.IsNaN(ns) || math.Abs(ns) >= float64(math.MaxInt64) {
		return fmt.Errorf("a duration of %s seconds is out of range (at most %.0f)", b, maxSeconds)
	}
	*s = Seconds(ns)
	return nil
}

// TimeOfDay is a UTC wall-clock time of day, written "HH:MM" (00:00 to 24:00).
type TimeOfDay time.Duration

// ParseTimeOfDay parses "HH:MM".
func ParseTimeOfDay(s string) (TimeOfDay, error) {
	hh, mm, ok := strings.Cut(s, ":")
	h, err1 := strconv.Atoi(hh)
	m, err2 := strconv.Atoi(mm)
	if !ok || err1 != nil || err2 != nil || len(mm) != 2 || h < 0 || m < 0 || m > 59 || h > 24 || (h == 24 && m != 0) {
		return 0, fmt.Errorf("%q is not a time of day; write it as \"HH:MM\" (UTC, 00:00 to 24:00)", s)
	}
	return TimeOfDay(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute), nil
}

// String formats t as "HH:MM".
func (t TimeOfDay) String() string {
	d := time.Duration(t)
	return fmt.Sprintf("%02d:%02d", int(d/time.Hour), int(d%time.Hour/time.Minute))
}

// MarshalJSON writes "HH:MM".
func (t TimeOfDay) MarshalJSON() ([]byte, error) { return json.Marshal(t.String()) }

// UnmarshalJSON reads "HH:MM".
func (t *TimeOfDay) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("a time of day is a string \"HH:MM\" (UTC), got %s", b)
	}
	v, err := ParseTimeOfDay(s)
	if err != nil {
		return err
	}
	*t = v
	return nil
}

// Cores returns a CPU quantity in cores.
func Cores(q Quantity) float64 { return float64(q.MilliValue()) / 1000 }

// Bytes returns a memory quantity in bytes.
func Bytes(q Quantity) float64 { return q.AsApproximateFloat64() }

// ParseMultiplier reads a multiplier of today's traffic as the command line
// and the plan write it: "3x" (the canonical spelling), "3" or "300%".
// The number must be finite; ranges are the caller's to check.
func ParseMultiplier(s string) (float64, error) {
	t := strings.TrimSpace(s)
	scale := 1.0
	switch {
	case strings.HasSuffix(t, "x"), strings.HasSuffix(t, "X"):
		t = t[:len(t)-1]
	case strings.HasSuffix(t, "%"):
		t, scale = t[:len(t)-1], 0.01
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(t), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("%q is not a multiplier: write 3x, 3 or 300%%", s)
	}
	return v * scale, nil
}

// ParseRatio reads a ratio written as a fraction ("0.8") or a percentage
// ("80%", the canonical spelling). The number must be finite; ranges are
// the caller's to check.
func ParseRatio(s string) (float64, error) {
	t := strings.TrimSpace(s)
	scale := 1.0
	if strings.HasSuffix(t, "%") {
		t, scale = t[:len(t)-1], 0.01
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(t), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("%q is not a ratio: write 80%% or 0.8", s)
	}
	return v * scale, nil
}

// Multiplier is a factor of today's traffic, written 3x (canonical), 3 or
// 300%; a YAML number is read as is. It is written back as a number.
type Multiplier float64

// UnmarshalJSON reads a number or a string "3x", "3" or "300%".
func (m *Multiplier) UnmarshalJSON(b []byte) error {
	var f float64
	if err := json.Unmarshal(b, &f); err == nil {
		*m = Multiplier(f)
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("a multiplier is 3x, 3 or 300%%, got %s", b)
	}
	v, err := ParseMultiplier(s)
	if err != nil {
		return err
	}
	*m = Multiplier(v)
	return nil
}

// Ratio is a fraction written as a percentage ("1%", canonical) or as a
// fraction (0.01). It is written back as a fraction.
type Ratio float64

// UnmarshalJSON reads a number (a fraction) or a string "1%" or "0.01".
func (r *Ratio) UnmarshalJSON(b []byte) error {
	var f float64
	if err := json.Unmarshal(b, &f); err == nil {
		*r = Ratio(f)
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("a ratio is 1%% or 0.01, got %s", b)
	}
	v, err := ParseRatio(s)
	if err != nil {
		return err
	}
	*r = Ratio(v)
	return nil
}

// Percent is a ratio held in percent, written "80%" (canonical), 0.8 (a
// fraction, below 1) or 80 (a bare number of 1 or more is percent, the
// plan's first spelling, kept). It is written back as a number of percent.
type Percent float64

// UnmarshalJSON reads "80%", 0.8 or 80.
func (p *Percent) UnmarshalJSON(b []byte) error {
	var f float64
	if err := json.Unmarshal(b, &f); err == nil {
		if f > 0 && f < 1 {
			f *= 100
		}
		*p = Percent(f)
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("a percentage is 80%% or 0.8, got %s", b)
	}
	t := strings.TrimSpace(s)
	if !strings.HasSuffix(t, "%") {
		v, err := strconv.ParseFloat(t, 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("%q is not a percentage: write 80%% or 0.8", s)
		}
		return p.UnmarshalJSON([]byte(strconv.FormatFloat(v, 'g', -1, 64)))
	}
	// "55%" is read as 55 itself, not 0.55 × 100 (55.00000000000001).
	v, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(t, "%")), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Errorf("%q is not a percentage: write 80%% or 0.8", s)
	}
	*p = Percent(v)
	return nil
}
