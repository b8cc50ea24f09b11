package verify

import (
	"fmt"
	"strconv"
	"time"

	"github.com/headroom-dev/headroom/model"
	"github.com/headroom-dev/headroom/scenarios"
	"github.com/headroom-dev/headroom/scenarios/planfile"
)

// Service-time shapes a calibration can write: the plan takes either a
// p95 or a coefficient of variation next to the mean, not both.
const (
	ShapeCV  = "cv"
	ShapeP95 = "p95"
)

// ApplyCalibration writes cal into the plan file's bytes and returns the new
// bytes: services[cal.Service].serviceTime.mean and .cv (or .p95, by
// shape) and .distribution when the calibration fitted one, and cpu.perRequest and cpu.idle when the calibration has them
// (cpu.observedPerPod, which perRequest replaces, is removed). Durations
// are rounded to 10 µs, the cv to three digits.
//
// The edit is planfile.ApplyCalibration's: on the file's text where it can
// be, everything else byte for byte, else on the node tree. The result is
// parsed and validated as a plan before it is returned.
//
// note, when not empty, becomes the line comment of every value written
// (replacing a comment such as "# assumed" that no longer holds).
func ApplyCalibration(file string, data []byte, cal *Calibration, shape, note string) ([]byte, error) {
	if shape != ShapeCV && shape != ShapeP95 {
		return nil, fmt.Errorf("service-time shape must be %q or %q, got %q", ShapeCV, ShapeP95, shape)
	}
	c := planfile.Calibration{Service: cal.Service, Mean: durationOf(cal.MeanService), Note: note}
	c.Distribution = cal.Distribution
	if cal.Distribution == model.FamilyExponential {
		shape = ShapeCV // one parameter: a p95 beside the mean says nothing more
	}
	if shape == ShapeCV {
		cv := roundSig(cal.CV, 3)
		for _, f := range cal.Families {
			if f.Family == cal.Distribution {
				// The family's own cv, fitted to the mean and p95.
				cv = roundSig(f.CV, 3)
			}
		}
		c.CV = &cv
	} else {
		c.P95 = durationOf(cal.P95Service)
	}
	if cal.CPUPerRequest != nil {
		d := durationOf(*cal.CPUPerRequest)
		c.CPUPerRequest = &d
		if cal.IdleCoresPerPod != nil {
			m := int64(*cal.IdleCoresPerPod*1000 + 0.5)
			c.IdleMillicores = &m
		}
	}
	out, err := planfile.ApplyCalibration(file, data, c)
	if err != nil {
		return nil, err
	}
	if _, err := scenarios.Parse(file, out); err != nil {
		return nil, fmt.Errorf("the calibrated plan does not validate: %w", err)
	}
	return out, nil
}

// durationOf is seconds as a duration rounded to 10 µs (DurationText).
func durationOf(seconds float64) time.Duration {
	return time.Duration(seconds * 1e9).Round(10 * time.Microsecond)
}

func roundSig(x float64, digits int) float64 {
	v, _ := strconv.ParseFloat(strconv.FormatFloat(x, 'g', digits, 64), 64)
	return v
}
