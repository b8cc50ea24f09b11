package loadtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"

	"github.com/headroom-dev/headroom/internal/atomicfile"
	"github.com/headroom-dev/headroom/scenarios"
)

// WriteResultFile writes r as indented JSON to path atomically: a temporary
// file in the same directory, synced, then renamed over path, so an
// interrupted run never leaves half a file. A target with credentials
// (which CheckTarget refuses before a run) is stored redacted.
func WriteResultFile(path string, r *Result) error {
	if red := RedactURL(r.Target); red != r.Target {
		c := *r
		c.Target = red
		r = &c
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("encode result: %w", err)
	}
	return atomicfile.Write(path, append(b, '\n'), 0)
}

// MaxResultFileBytes bounds the size of a result file ReadResultFile
// reads: a one-second window takes about 1 KiB, so 256 MiB holds a day of
// windows many times over. ReadResultFileLimit takes another bound (the
// commands' --max-result-bytes).
const MaxResultFileBytes = 256 << 20

// ReadResultFile reads and checks a result file of at most
// MaxResultFileBytes.
func ReadResultFile(path string) (*Result, error) {
	return ReadResultFileLimit(path, MaxResultFileBytes)
}

// ReadResultFileLimit reads and checks a result file of at most max bytes;
// a larger one is refused before it is read.
func ReadResultFileLimit(path string, max int64) (*Result, error) {
	name, b, err := scenarios.ReadFile("result", path, nil, max)
	if err != nil {
		return nil, err
	}
	return ParseResult(name, b)
}

// ParseResult decodes a result file's bytes (named file in errors) and
// checks what the comparison and calibration rely on. An error names the
// line, column and byte offset, and the window (windows[3].latency) where
// it can.
func ParseResult(file string, b []byte) (*Result, error) {
	r, err := decodeResult(b)
	if err != nil {
		return nil, locateError(file, b, err)
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
	return r, nil
}

// decodeResult decodes strictly (no unknown field, one JSON value). A panic
// in a decoder (the last line of defence: the histogram decoder recovers
// its own) is an error; locateError then names the window.
func decodeResult(b []byte) (r *Result, err error) {
	defer func() {
		if p := recover(); p != nil {
			r, err = nil, fmt.Errorf("corrupt result: %v", p)
		}
	}()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	r = new(Result)
	if err := dec.Decode(r); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("more than one JSON value: a result file holds one object (byte %d)", dec.InputOffset())
	}
	return r, nil
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
	for i, w := range r.Windows {
		p := fmt.Sprintf("windows[%d]", i)
		if err := checkWindow(p, w); err != nil {
			return err
		}
		if i > 0 && w.Offset <= r.Windows[i-1].Offset {
			return fmt.Errorf("%s.offset %v does not follow %v", p, w.Offset, r.Windows[i-1].Offset)
		}
	}
	if err := checkWindow("totals", r.Totals); err != nil {
		return err
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

// check refuses a value that is not a finite number ≥ 0 (a negative
// latency, offset or rate), naming the field.
func check(field string, v float64) error {
	if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
		return fmt.Errorf("%s must be a finite number ≥ 0, got %v", field, v)
	}
	return nil
}

// checkWindow checks one window (or the totals), p naming it.
func checkWindow(p string, w Window) error {
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
	return nil
}
