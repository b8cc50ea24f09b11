package k6

import (
	"fmt"
	"math"
	"time"

	"github.com/headroom-dev/headroom/loadtest"
)

// k6 metric names the windows are built from (k6 docs: Built-in metrics;
// grafana/k6 metrics/builtin.go).
const (
	k6MetricDuration = "http_req_duration" // ms, one per request
	k6MetricReqs     = "http_reqs"         // counter, 1 per request
	k6MetricFailed   = "http_req_failed"   // rate, 1 for a failed request
	k6MetricDropped  = "dropped_iterations"
)

// k6Windows folds k6 samples into fixed windows. The origin (offset 0) is
// the time of the first sample seen: k6 starts its clock when VUs are
// initialised, not when headroom starts the process, and the first sample
// (the vus gauge, or the first request) comes at the scenario's start.
// Samples stamped before the origin (k6 flushes every 200 ms, so lines of
// one flush may be out of order) count in the first window.
//
// A sample must lie within the run: at most k6EarlySlack before the
// origin, at most the schedule's length plus late after it. One outside
// (a clock jump, a corrupt or hostile line dated 9999-12-31) is an error
// naming its line, not a window per second up to it.
type k6Windows struct {
	width    time.Duration
	schedule loadtest.Schedule
	// late is how long after the schedule's end samples may still come.
	late       time.Duration
	origin     time.Time
	originLine int
	started    bool
	windows    []loadtest.Window
	// latest is the latest sample time seen; closed the number of leading
	// windows already reported.
	latest time.Time
	closed int
}

// k6CloseLag is how far behind the newest sample a window must end before
// it is reported: two of k6's 200 ms flushes and a margin.
const k6CloseLag = 2 * time.Second

// k6EarlySlack is how far before the first sample a sample may be
// stamped: far more than the order within one of k6's 200 ms flushes.
const k6EarlySlack = time.Minute

// k6DefaultLate is how long after the schedule's end samples may come by
// default: the engine sets the graceful stop (the request timeout) plus its
// own stop timeout and a minute.
const k6DefaultLate = 5 * time.Minute

// k6MaxCount bounds the value of a counter sample (http_reqs,
// dropped_iterations): k6 writes 1 per request or dropped iteration.
const k6MaxCount = 1 << 30

func newK6Windows(width time.Duration, s loadtest.Schedule) *k6Windows {
	return &k6Windows{width: width, schedule: s, late: k6DefaultLate}
}

// add folds one Point, read from the given line, in.
func (a *k6Windows) add(l k6Line, line int) error {
	if !a.started {
		a.origin, a.originLine, a.started = l.Time, line, true
	}
	d := l.Time.Sub(a.origin) // saturates: never overflows
	if d < -k6EarlySlack {
		return fmt.Errorf("sample dated %s is %s before the first sample (line %d, %s): outside the run",
			l.Time.Format(time.RFC3339Nano), a.origin.Sub(l.Time), a.originLine, a.origin.Format(time.RFC3339Nano))
	}
	if end := a.schedule.Duration() + a.late; d > end {
		return fmt.Errorf("sample dated %s is %s after the first sample (line %d, %s): outside the run, which ends within %s",
			l.Time.Format(time.RFC3339Nano), d, a.originLine, a.origin.Format(time.RFC3339Nano), end)
	}
	if l.Time.After(a.latest) {
		a.latest = l.Time
	}
	switch l.Metric {
	case k6MetricDuration:
		if !(l.Value >= 0) || math.IsInf(l.Value, 0) {
			return fmt.Errorf("%s %v: a latency must be a finite number of milliseconds ≥ 0", l.Metric, l.Value)
		}
	case k6MetricReqs, k6MetricDropped:
		if !(l.Value >= 0) || l.Value > k6MaxCount {
			return fmt.Errorf("%s %v: a count must be from 0 to %d", l.Metric, l.Value, k6MaxCount)
		}
	case k6MetricFailed:
	default:
		return nil // other metrics only move the clock
	}
	i := 0
	if d > 0 {
		i = int(d / a.width)
	}
	w := a.window(i)
	switch l.Metric {
	case k6MetricDuration:
		w.Completed++
		w.Latency.Record(l.Value / 1000)
	case k6MetricReqs:
		w.Sent += int64(l.Value)
	case k6MetricFailed:
		if l.Value != 0 {
			w.Errors++
		}
	case k6MetricDropped:
		w.Dropped += int64(l.Value)
	}
	return nil
}

// window returns window i, growing the list; a window reported already is
// still updated (its late samples count), and the totals come from the
// final list.
func (a *k6Windows) window(i int) *loadtest.Window {
	for len(a.windows) <= i {
		n := len(a.windows)
		off := time.Duration(n) * a.width
		a.windows = append(a.windows, loadtest.Window{
			Offset:       off.Seconds(),
			ScenarioTime: off.Seconds() * max(a.schedule.Speedup, 1),
			// The schedule is linear within a stage: the rate at the
			// window's middle is its mean rate there.
			TargetRate: a.schedule.RateAt(off + a.width/2),
			Latency:    loadtest.NewHistogram(),
		})
	}
	return &a.windows[i]
}

// ready returns the windows that ended at least k6CloseLag before the
// newest sample and were not returned before, summarised.
func (a *k6Windows) ready() []loadtest.Window {
	if !a.started {
		return nil
	}
	var out []loadtest.Window
	for a.closed < len(a.windows) {
		end := a.origin.Add(time.Duration(a.closed+1) * a.width)
		if a.latest.Sub(end) < k6CloseLag {
			break
		}
		w := &a.windows[a.closed]
		w.Summarise(a.width.Seconds())
		out = append(out, *w)
		a.closed++
	}
	return out
}

// finish summarises every window and the totals.
func (a *k6Windows) finish(r *loadtest.Result) {
	r.Window = loadtest.Duration{Duration: a.width}
	r.Windows = a.windows
	r.Totals = loadtest.Window{Latency: loadtest.NewHistogram()}
	for i := range r.Windows {
		r.Windows[i].Summarise(a.width.Seconds())
		r.Totals.Add(r.Windows[i])
	}
	span := float64(len(r.Windows)) * a.width.Seconds()
	r.Totals.Summarise(span)
	if span > 0 {
		var offered float64
		for _, w := range r.Windows {
			offered += w.TargetRate * a.width.Seconds()
		}
		r.Totals.TargetRate = offered / span
	}
	if a.started {
		r.Start = a.origin
	}
}
