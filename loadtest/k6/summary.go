package k6

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/headroom-dev/headroom/loadtest"
)

// Summary is the part of k6's handleSummary data headroom reads (k6 docs:
// End of test summary / Custom summary, and --summary-export for the same
// shape): per metric its type and values, and for metrics
// with thresholds whether each passed.
type Summary struct {
	Metrics map[string]SummaryMetric `json:"metrics"`
	State   struct {
		TestRunDurationMs float64 `json:"testRunDurationMs"`
	} `json:"state"`
}

// SummaryMetric is one metric of a summary. Values holds counter count
// and rate, gauge value/min/max, rate rate/passes/fails, or the trend
// statistics asked for (avg, p(95), …); trend values are milliseconds.
type SummaryMetric struct {
	Type       string                      `json:"type"`
	Contains   string                      `json:"contains"`
	Values     map[string]float64          `json:"values"`
	Thresholds map[string]SummaryThreshold `json:"thresholds,omitempty"`
}

// SummaryThreshold is a threshold's outcome; OK is true when it passed.
type SummaryThreshold struct {
	OK bool `json:"ok"`
}

// ParseSummary decodes handleSummary's JSON.
func ParseSummary(b []byte) (*Summary, error) {
	var s Summary
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("k6 summary: %w", err)
	}
	if s.Metrics == nil {
		return nil, fmt.Errorf(`k6 summary: no "metrics" object`)
	}
	return &s, nil
}

// Thresholds lists every threshold of the summary, sorted by metric and
// expression.
func (s *Summary) Thresholds() []loadtest.Threshold {
	var out []loadtest.Threshold
	for name, m := range s.Metrics {
		for expr, t := range m.Thresholds {
			out = append(out, loadtest.Threshold{Metric: name, Expression: expr, Passed: t.OK})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Metric != out[j].Metric {
			return out[i].Metric < out[j].Metric
		}
		return out[i].Expression < out[j].Expression
	})
	return out
}

// value is a metric's value for key, and whether it is there.
func (s *Summary) value(metric, key string) (float64, bool) {
	m, ok := s.Metrics[metric]
	if !ok {
		return 0, false
	}
	v, ok := m.Values[key]
	return v, ok
}

// ThresholdsFailedError says which thresholds a run failed; the CLI maps
// it to exit code 3.
type ThresholdsFailedError struct {
	Failed []loadtest.Threshold
}

func (e *ThresholdsFailedError) Error() string {
	parts := make([]string, len(e.Failed))
	for i, t := range e.Failed {
		parts[i] = t.Metric + " " + t.Expression
	}
	return fmt.Sprintf("%d threshold(s) failed: %s", len(e.Failed), strings.Join(parts, ", "))
}

// CheckThresholds returns a *ThresholdsFailedError when any threshold of
// the result failed, else nil.
func CheckThresholds(r *loadtest.Result) error {
	if r == nil {
		return nil
	}
	var failed []loadtest.Threshold
	for _, t := range r.Thresholds {
		if !t.Passed {
			failed = append(failed, t)
		}
	}
	if len(failed) == 0 {
		return nil
	}
	return &ThresholdsFailedError{Failed: failed}
}
