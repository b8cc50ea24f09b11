package loadtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"

	"github.com/headroom-dev/headroom/internal/atomicfile"
)

// WriteResultFile writes r as indented JSON to path atomically: a temporary
// file in the same directory, synced, then renamed over path, so an
// interrupted run never leaves half a file.
func WriteResultFile(path string, r *Result) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("encode result: %w", err)
	}
	return atomicfile.Write(path, append(b, '\n'), 0)
}

// ReadResultFile reads and checks a result file.
func ReadResultFile(path string) (*Result, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseResult(path, b)
}

// ParseResult decodes a result file's bytes (named file in errors) and
// checks what the comparison and calibration rely on.
func ParseResult(file string, b []byte) (*Result, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var r Result
	if err := dec.Decode(&r); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			line := 1 + bytes.Count(b[:min(int(se.Offset), len(b))], []byte("\n"))
			return nil, fmt.Errorf("%s:%d: %w", file, line, err)
		}
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if err := r.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	for i := range r.Windows {
		if r.Windows[i].Latency == nil {
			r.Windows[i].Latency = NewHistogram()
		}
	}
	if r.Totals.Latency == nil {
		r.Totals.Latency = NewHistogram()
	}
	return &r, nil
}

// Validate checks the fields a reader relies on.
func (r *Result) Validate() error {
	if r.SchemaVersion != ResultSchemaVersion {
		return fmt.Errorf("schemaVersion %q is not %q: not a headroom load-test result, or from another version", r.SchemaVersion, ResultSchemaVersion)
	}
	if !(r.Speedup >= 1) || math.IsInf(r.Speedup, 0) {
		return fmt.Errorf("speedup must be a number ≥ 1, got %v", r.Speedup)
	}
	if r.Window.Duration <= 0 {
		return fmt.Errorf("window must be a positive duration, got %s", r.Window.Duration)
	}
	check := func(field string, v float64) error {
		if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
			return fmt.Errorf("%s must be a finite number ≥ 0, got %v", field, v)
		}
		return nil
	}
	for i, w := range r.Windows {
		p := fmt.Sprintf("windows[%d]", i)
		for _, f := range []struct {
			name string
			v    float64
		}{{"offset", w.Offset}, {"scenarioTime", w.ScenarioTime}, {"targetRate", w.TargetRate}, {"rate", w.Rate},
			{"p50", w.P50}, {"p95", w.P95}, {"p99", w.P99}, {"mean", w.Mean}} {
			if err := check(p+"."+f.name, f.v); err != nil {
				return err
			}
		}
		if w.Sent < 0 || w.Completed < 0 || w.Errors < 0 || w.Dropped < 0 {
			return fmt.Errorf("%s: counts must not be negative", p)
		}
		if w.Errors > w.Completed {
			return fmt.Errorf("%s: errors %d exceed completed %d", p, w.Errors, w.Completed)
		}
		if i > 0 && w.Offset <= r.Windows[i-1].Offset {
			return fmt.Errorf("%s.offset %v does not follow %v", p, w.Offset, r.Windows[i-1].Offset)
		}
	}
	for i, s := range r.Watch {
		if err := check(fmt.Sprintf("watch[%d].offset", i), s.Offset); err != nil {
			return err
		}
		if err := check(fmt.Sprintf("watch[%d].cpuCores", i), s.CPUCores); err != nil {
			return err
		}
		if s.ReadyReplicas < 0 || s.DesiredReplicas < 0 || s.CurrentReplicas < 0 {
			return fmt.Errorf("watch[%d]: replica counts must not be negative", i)
		}
	}
	return nil
}
