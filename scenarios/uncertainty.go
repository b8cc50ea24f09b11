package scenarios

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Uncertainty bounds of an ensemble.
const (
	// DefaultSamples is an ensemble's size when uncertainty.samples is not
	// given.
	DefaultSamples = 32
	// MaxSamples bounds an ensemble's size.
	MaxSamples = 10_000
	// MaxRelativeRange bounds a relative range: beyond ±90 % an input is a
	// guess, not an estimate, and a factor near 0 stops the service.
	MaxRelativeRange = 0.9
)

// Uncertainty says how far the plan's estimated inputs may be off, so that
// every verdict carries an interval: `simulate`, `compare` and `report` run
// an ensemble of Samples simulations per run, each with every input of a
// dimension scaled by one factor drawn from [1 − range, 1 + range] (a Latin
// hypercube over the four dimensions, seeded by the plan's seed), and report
// each headline number as p10 / p50 / p90 beside the nominal run's value.
// A range of 0 keeps that input as written.
type Uncertainty struct {
	// RequestRate is the relative range of the offered request rate (every
	// service's requestRate and every absolute scenario rate): "10%"
	// (canonical) or 0.1. Default: 0. Range: [0, 90%]. Example: `20%`.
	RequestRate Ratio `json:"requestRate,omitempty"`
	// ServiceTime is the relative range of the service time (its mean; the
	// distribution's shape, cv or p95/mean, is kept). Default: 0. Range:
	// [0, 90%]. Example: `25%`.
	ServiceTime Ratio `json:"serviceTime,omitempty"`
	// CPU is the relative range of the CPU time per request (given, or
	// derived from observedPerPod). Default: 0. Range: [0, 90%]. Example:
	// `25%`.
	CPU Ratio `json:"cpu,omitempty"`
	// Memory is the relative range of a pod's memory (memory.base and
	// memory.perInFlight). Default: 0. Range: [0, 90%]. Example: `15%`.
	Memory Ratio `json:"memory,omitempty"`
	// Samples is the number of ensemble members per simulated run (in DES
	// mode each member also draws its own seed). Default: 32. Range: [1,
	// 10000]. Example: `32`.
	Samples int `json:"samples,omitempty"`
}

// UncertaintyDimensions names the relative ranges in their fixed order, as
// the plan and --uncertainty write them.
var UncertaintyDimensions = []string{"requestRate", "serviceTime", "cpu", "memory"}

// Ranges returns the relative ranges in UncertaintyDimensions order.
func (u *Uncertainty) Ranges() [4]float64 {
	return [4]float64{float64(u.RequestRate), float64(u.ServiceTime), float64(u.CPU), float64(u.Memory)}
}

// field returns the field of a dimension name, nil for an unknown name.
func (u *Uncertainty) field(name string) *Ratio {
	switch name {
	case "requestRate":
		return &u.RequestRate
	case "serviceTime":
		return &u.ServiceTime
	case "cpu":
		return &u.CPU
	case "memory":
		return &u.Memory
	}
	return nil
}

// String writes u as --uncertainty reads it, ranges in percent.
func (u *Uncertainty) String() string {
	if u == nil {
		return "off"
	}
	var parts []string
	for i, r := range u.Ranges() {
		if r != 0 {
			parts = append(parts, UncertaintyDimensions[i]+"="+strconv.FormatFloat(r*100, 'g', 6, 64)+"%")
		}
	}
	return strings.Join(append(parts, "samples="+strconv.Itoa(u.Samples)), ",")
}

// problems lists what is wrong with u, each as (field, message).
func (u *Uncertainty) problems() [][2]string {
	var out [][2]string
	for i, r := range u.Ranges() {
		if !(r >= 0 && r <= MaxRelativeRange) || math.IsInf(r, 0) {
			out = append(out, [2]string{UncertaintyDimensions[i], fmt.Sprintf("must be in [0, 90%%] (a relative range: 10%% or 0.1), got %s%%", strconv.FormatFloat(r*100, 'g', 6, 64))})
		}
	}
	if u.Samples < 1 || u.Samples > MaxSamples {
		out = append(out, [2]string{"samples", fmt.Sprintf("must be between 1 and %d, got %d", MaxSamples, u.Samples)})
	}
	return out
}

// uncertainty validates the plan's uncertainty section.
func (v *validator) uncertainty(u *Uncertainty) {
	for _, p := range u.problems() {
		v.add("uncertainty."+p[0], "%s", p[1])
	}
}

// ParseUncertainty reads --uncertainty: "off" (or "none") for no
// ensemble, else comma-separated KEY=VALUE pairs with keys requestRate,
// serviceTime, cpu, memory (a relative range, 10% or 0.1) and samples. The
// keys given replace those of base (the plan's section, may be nil); the
// others keep base's values, samples its default.
func ParseUncertainty(s string, base *Uncertainty) (*Uncertainty, error) {
	t := strings.TrimSpace(s)
	if t == "off" || t == "none" {
		return nil, nil
	}
	u := Uncertainty{Samples: DefaultSamples}
	if base != nil {
		u = *base
	}
	if t == "" {
		return nil, fmt.Errorf("%q is empty; write requestRate=10%%,serviceTime=15%%,samples=32 or off", s)
	}
	for _, kv := range strings.Split(t, ",") {
		k, val, ok := strings.Cut(strings.TrimSpace(kv), "=")
		k, val = strings.TrimSpace(k), strings.TrimSpace(val)
		if !ok || val == "" {
			return nil, fmt.Errorf("%q is not KEY=VALUE; write e.g. requestRate=10%%,samples=32", kv)
		}
		if k == "samples" {
			n, err := strconv.Atoi(val)
			if err != nil {
				return nil, fmt.Errorf("samples=%s is not a whole number", val)
			}
			u.Samples = n
			continue
		}
		f := u.field(k)
		if f == nil {
			return nil, fmt.Errorf("unknown key %q; use %s or samples", k, strings.Join(UncertaintyDimensions, ", "))
		}
		r, err := ParseRatio(val)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		*f = Ratio(r)
	}
	if ps := u.problems(); len(ps) > 0 {
		return nil, fmt.Errorf("%s %s", ps[0][0], ps[0][1])
	}
	return &u, nil
}
