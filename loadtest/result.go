package loadtest

import (
	"encoding/json"
	"fmt"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/headroom-dev/headroom/internal/hdrcodec"
)

// ResultSchemaVersion names the layout of a result file. Bump it when a field
// changes meaning; readers refuse versions they do not know.
const ResultSchemaVersion = "headroom.dev/loadtest-result/v1"

// Result is what one load-test run measured.
type Result struct {
	SchemaVersion string `json:"schemaVersion"`
	// Engine is "k6", "builtin" or "k6-operator"; EngineVersion what the
	// engine reported of itself (k6 version --json, or headroom's version).
	Engine        string `json:"engine"`
	EngineVersion string `json:"engineVersion,omitempty"`
	Target        string `json:"target"`
	Service       string `json:"service,omitempty"`
	Scenario      string `json:"scenario,omitempty"`
	// Speedup is the time compression of the scenario (1 = real time).
	Speedup float64   `json:"speedup"`
	Start   time.Time `json:"start"`
	// Planned is the intended run length; the windows may stop earlier when
	// the run was interrupted.
	Planned     Duration `json:"planned"`
	Interrupted bool     `json:"interrupted,omitempty"`
	// Valid is false when the measurement cannot be trusted, for example the
	// generator's own send lag exceeded its bound; InvalidReason says why.
	Valid         bool   `json:"valid"`
	InvalidReason string `json:"invalidReason,omitempty"`
	// ExitReason carries an engine's exit explanation (k6's exit code mapped
	// to words), empty for a clean finish.
	ExitReason string `json:"exitReason,omitempty"`

	// Window is the width of each entry of Windows (1 s unless stated).
	Window  Duration `json:"window"`
	Windows []Window `json:"windows"`
	// Totals aggregates every window.
	Totals Window `json:"totals"`
	// SendLag is the engine's own lateness against the intended send times
	// (built-in engine only).
	SendLag *Histogram `json:"sendLag,omitempty"`

	Thresholds []Threshold   `json:"thresholds,omitempty"`
	Watch      []WatchSample `json:"watch,omitempty"`

	// Endpoints holds the same windows per endpoint of a request mix, in
	// the mix's order; empty for a run without RunSpec.Endpoints.
	Endpoints []EndpointResult `json:"endpoints,omitempty"`
}

// EndpointResult is one endpoint's share of a run: its windows (same
// offsets as Result.Windows) and totals.
type EndpointResult struct {
	Name    string   `json:"name"`
	Method  string   `json:"method,omitempty"`
	Path    string   `json:"path,omitempty"`
	Windows []Window `json:"windows"`
	Totals  Window   `json:"totals"`
}

// Window is one interval of the run. Offset is measured from the start of the
// run in wall-clock seconds; ScenarioTime is the same instant in the
// uncompressed scenario (Offset × Speedup).
type Window struct {
	Offset       float64 `json:"offset"`
	ScenarioTime float64 `json:"scenarioTime"`
	// TargetRate is the rate the schedule asked for (requests per second,
	// wall clock); Rate the completions per second achieved.
	TargetRate float64 `json:"targetRate"`
	Rate       float64 `json:"rate"`
	Sent       int64   `json:"sent"`
	Completed  int64   `json:"completed"`
	Errors     int64   `json:"errors"`
	// ErrorClasses splits Errors by cause (the Error* constants and
	// "http_<code>"); absent when nothing failed or the engine cannot tell.
	ErrorClasses map[string]int64 `json:"errorClasses,omitempty"`
	// Dropped counts iterations the engine could not start (k6's
	// dropped_iterations; the built-in engine's drop policy).
	Dropped int64 `json:"dropped"`
	// Latency of completed requests, measured from the intended send time.
	Latency *Histogram `json:"latency"`
	// Quantiles in seconds, from Latency; zero when nothing completed.
	P50  float64 `json:"p50"`
	P95  float64 `json:"p95"`
	P99  float64 `json:"p99"`
	Mean float64 `json:"mean"`
}

// Threshold is one pass/fail criterion and its outcome.
type Threshold struct {
	Metric     string `json:"metric"`
	Expression string `json:"expression"`
	Passed     bool   `json:"passed"`
}

// WatchSample is what the watcher saw of the target at one instant.
type WatchSample struct {
	Offset          float64            `json:"offset"`
	DesiredReplicas int32              `json:"desiredReplicas"`
	ReadyReplicas   int32              `json:"readyReplicas"`
	CurrentReplicas int32              `json:"currentReplicas"`
	Metrics         map[string]float64 `json:"metrics,omitempty"`
	CPUCores        float64            `json:"cpuCores,omitempty"`
}

// Duration is a time.Duration that reads and writes as "1m30s".
type Duration struct{ time.Duration }

func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration must be a string like \"1m30s\": %w", err)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	d.Duration = v
	return nil
}

// Histogram is a latency histogram in microseconds (1 µs to 1 h, three
// significant digits) that merges exactly: windows and runners add bucket by
// bucket, never by averaging percentiles. It is written to JSON in the HDR
// Histogram V2 compressed encoding, base64, which other HDR tools read.
//
// A live histogram holds about 190 KB of counters; a frozen one only its
// compressed encoding (typically well under 1 KB). Histograms read from JSON
// stay frozen, and an engine freezes each window once it is complete, so a
// 30-minute run of one-second windows does not hold 1,800 live histograms.
// Reading a frozen histogram decodes it for the call; recording into it
// thaws it.
type Histogram struct {
	h      *hdrhistogram.Histogram
	frozen []byte // the V2 compressed encoding, base64, when h is nil
}

const (
	histLowest  = 1                  // µs
	histHighest = 3600 * 1000 * 1000 // 1 h in µs
	histDigits  = 3
)

// histLimits bound a histogram read from a result file: its base64 text,
// and the buckets its declared range and precision need. headroom writes
// 23,552 buckets (1 µs to 1 h at 3 significant figures); a histogram of
// another range from another HDR tool is accepted up to 65,536 (512 KiB
// when decoded), so that a file of many tiny encodings of a huge range
// cannot expand to gigabytes.
var histLimits = hdrcodec.Limits{MaxEncodedBytes: 1 << 20, MaxCounts: 1 << 16}

// NewHistogram returns an empty latency histogram.
func NewHistogram() *Histogram {
	return &Histogram{h: hdrhistogram.New(histLowest, histHighest, histDigits)}
}

// view returns the counters: the live ones, or a decoded copy of a frozen
// histogram (not kept).
func (h *Histogram) view() *hdrhistogram.Histogram {
	if h.h != nil {
		return h.h
	}
	if h.frozen != nil {
		// Checked when it was read (UnmarshalJSON) or written (Freeze).
		if d, err := histLimits.Decode(h.frozen); err == nil {
			return d
		}
	}
	return hdrhistogram.New(histLowest, histHighest, histDigits)
}

// thaw makes the histogram live again.
func (h *Histogram) thaw() {
	if h.h == nil {
		h.h = h.view()
		h.frozen = nil
	}
}

// Freeze replaces the counters by their compressed encoding; the histogram
// reads the same and thaws when recorded into.
func (h *Histogram) Freeze() error {
	if h.h == nil {
		return nil
	}
	b, err := h.h.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
	if err != nil {
		return err
	}
	h.frozen, h.h = b, nil
	return nil
}

// Frozen reports whether the histogram holds only its compressed encoding
// (after Freeze, or as read from JSON).
func (h *Histogram) Frozen() bool { return h.h == nil && h.frozen != nil }

// Record adds one latency in seconds; values beyond the range are clamped to
// its ends and counted (an hour-long request is still a request).
func (h *Histogram) Record(seconds float64) { h.RecordN(seconds, 1) }

// RecordN adds n latencies of the same value in seconds.
func (h *Histogram) RecordN(seconds float64, n int64) {
	h.thaw()
	us := int64(seconds*1e6 + 0.5)
	if us < histLowest {
		us = histLowest
	}
	if us > histHighest {
		us = histHighest
	}
	_ = h.h.RecordValues(us, n) // cannot fail inside the clamped range
}

// Merge adds every count of o into h.
func (h *Histogram) Merge(o *Histogram) {
	if o != nil {
		h.thaw()
		h.h.Merge(o.view())
	}
}

// Count is the number of recorded values.
func (h *Histogram) Count() int64 { return h.view().TotalCount() }

// Quantile returns the q-quantile (0 < q ≤ 1) in seconds, 0 when empty.
func (h *Histogram) Quantile(q float64) float64 {
	v := h.view()
	if v.TotalCount() == 0 {
		return 0
	}
	return float64(v.ValueAtQuantile(q*100)) / 1e6
}

// Mean returns the mean in seconds, 0 when empty.
func (h *Histogram) Mean() float64 {
	v := h.view()
	if v.TotalCount() == 0 {
		return 0
	}
	return v.Mean() / 1e6
}

// StdDev returns the standard deviation in seconds, 0 when empty.
func (h *Histogram) StdDev() float64 {
	v := h.view()
	if v.TotalCount() == 0 {
		return 0
	}
	return v.StdDev() / 1e6
}

// Max returns the largest recorded value in seconds.
func (h *Histogram) Max() float64 { return float64(h.view().Max()) / 1e6 }

func (h *Histogram) MarshalJSON() ([]byte, error) {
	if h.h == nil && h.frozen != nil {
		return json.Marshal(string(h.frozen))
	}
	b, err := h.view().Encode(hdrhistogram.V2CompressedEncodingCookieBase)
	if err != nil {
		return nil, err
	}
	return json.Marshal(string(b))
}

// UnmarshalJSON checks the encoding (internal/hdrcodec: every length and
// range checked before anything is allocated) and keeps the histogram
// frozen; a decoding error is a *HistogramError.
func (h *Histogram) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return &HistogramError{Err: fmt.Errorf("must be an HDR V2 compressed base64 string: %w", err)}
	}
	if _, err := histLimits.Decode([]byte(s)); err != nil {
		return &HistogramError{Err: err}
	}
	// Frozen whatever its range: a histogram of another range or precision
	// is decoded on each read like headroom's own, never held expanded.
	h.h, h.frozen = nil, []byte(s)
	return nil
}

// HistogramError is a latency histogram of a result file that does not
// decode.
type HistogramError struct{ Err error }

func (e *HistogramError) Error() string { return "HDR histogram: " + e.Err.Error() }
func (e *HistogramError) Unwrap() error { return e.Err }

// Summarise fills the window's quantiles and rate from its histogram, for a
// window of the given width in seconds.
func (w *Window) Summarise(width float64) {
	if w.Latency == nil {
		w.Latency = NewHistogram()
	}
	w.P50, w.P95, w.P99 = w.Latency.Quantile(0.50), w.Latency.Quantile(0.95), w.Latency.Quantile(0.99)
	w.Mean = w.Latency.Mean()
	if width > 0 {
		w.Rate = float64(w.Completed) / width
	}
}

// Add accumulates o into w (counts, error classes and histogram); call
// Summarise after.
func (w *Window) Add(o Window) {
	w.Sent += o.Sent
	w.Completed += o.Completed
	w.Errors += o.Errors
	w.Dropped += o.Dropped
	for k, v := range o.ErrorClasses {
		if w.ErrorClasses == nil {
			w.ErrorClasses = make(map[string]int64, len(o.ErrorClasses))
		}
		w.ErrorClasses[k] += v
	}
	if w.Latency == nil {
		w.Latency = NewHistogram()
	}
	w.Latency.Merge(o.Latency)
}
