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
