package k6

import (
	"fmt"
	"math"
	"net/url"
	"strconv"
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
	// mix, epIndex and epWindows hold a request mix's endpoints and their
	// own windows (index for index with windows), filled from the
	// samples' endpoint tag.
	mix       []loadtest.Endpoint
	epIndex   map[string]int
	epWindows [][]loadtest.Window
}

// endpoints makes the aggregator keep windows per endpoint of a mix.
func (a *k6Windows) endpoints(eps []loadtest.Endpoint) {
	a.mix = eps
	a.epIndex = make(map[string]int, len(eps))
	a.epWindows = make([][]loadtest.Window, len(eps))
	for i, e := range eps {
		a.epIndex[e.Name] = i
	}
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
	fold(a.window(i), l)
	if e, ok := a.epIndex[l.Endpoint]; ok && l.Endpoint != "" {
		for len(a.epWindows[e]) <= i {
			a.epWindows[e] = append(a.epWindows[e], a.newWindow(len(a.epWindows[e])))
		}
		fold(&a.epWindows[e][i], l)
	}
	return nil
}

// fold adds one checked sample to a window.
func fold(w *loadtest.Window, l k6Line) {
	switch l.Metric {
	case k6MetricDuration:
		w.Completed++
		w.Latency.Record(l.Value / 1000)
	case k6MetricReqs:
		w.Sent += int64(l.Value)
	case k6MetricFailed:
		if l.Value != 0 {
			w.Errors++
			if w.ErrorClasses == nil {
				w.ErrorClasses = map[string]int64{}
			}
			w.ErrorClasses[errorClass(l.Status, l.ErrorCode)]++
		}
	case k6MetricDropped:
		w.Dropped += int64(l.Value)
	}
}

// errorClass classifies a failed request from its k6 tags: an HTTP status
// k6 counts as failed (outside expected_response, 200–399 by default) is
// "http_<status>"; a request without a response (status "0") goes by its
// error_code (k6 docs: Error codes; grafana/k6
// lib/netext/httpext/error_codes.go): 1050 request timeout and 1211 dial
// timeout are timeouts, 1212 connection refused, 1220 reset by peer and
// 1201 broken pipe a reset, 1100–1199 DNS, 1300–1399 TLS; anything else
// is "other".
func errorClass(status, code string) string {
	if st, err := strconv.Atoi(status); err == nil && st >= 100 && st <= 999 {
		return "http_" + status
	}
	c, err := strconv.Atoi(code)
	switch {
	case err != nil:
		return loadtest.ErrorOther
	case c == 1050 || c == 1211:
		return loadtest.ErrorTimeout
	case c == 1212:
		return loadtest.ErrorConnectionRefused
	case c == 1220 || c == 1201:
		return loadtest.ErrorConnectionReset
	case c >= 1100 && c < 1200:
		return loadtest.ErrorDNS
	case c >= 1300 && c < 1400:
		return loadtest.ErrorTLS
	}
	return loadtest.ErrorOther
}

// window returns window i, growing the list; a window reported already is
// still updated (its late samples count), and the totals come from the
// final list.
func (a *k6Windows) window(i int) *loadtest.Window {
	for len(a.windows) <= i {
		a.windows = append(a.windows, a.newWindow(len(a.windows)))
	}
	return &a.windows[i]
}

// newWindow is the empty window n.
func (a *k6Windows) newWindow(n int) loadtest.Window {
	off := time.Duration(n) * a.width
	return loadtest.Window{
		Offset:       off.Seconds(),
		ScenarioTime: off.Seconds() * max(a.schedule.Speedup, 1),
		// The schedule is linear within a stage: the rate at the
		// window's middle is its mean rate there.
		TargetRate: a.schedule.RateAt(off + a.width/2),
		Latency:    loadtest.NewHistogram(),
	}
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
	r.Endpoints = a.endpointResults(len(r.Windows))
}

// endpointResults are the mix's endpoints' windows, as many as the run's,
// and totals. An endpoint's target rate is the run's times its share.
func (a *k6Windows) endpointResults(n int) []loadtest.EndpointResult {
	if len(a.mix) == 0 {
		return nil
	}
	total := 0.0
	for _, e := range a.mix {
		total += e.Weight
	}
	out := make([]loadtest.EndpointResult, len(a.mix))
	for k, e := range a.mix {
		ws := a.epWindows[k]
		for len(ws) < n {
			ws = append(ws, a.newWindow(len(ws)))
		}
		share := e.Weight / total
		er := loadtest.EndpointResult{Name: e.Name, Method: e.Method, Path: urlPath(e.URL), Windows: ws,
			Totals: loadtest.Window{Latency: loadtest.NewHistogram()}}
		var offered float64
		for i := range ws {
			ws[i].TargetRate *= share
			ws[i].Summarise(a.width.Seconds())
			er.Totals.Add(ws[i])
			offered += ws[i].TargetRate * a.width.Seconds()
		}
		span := float64(len(ws)) * a.width.Seconds()
		er.Totals.Summarise(span)
		if span > 0 {
			er.Totals.TargetRate = offered / span
		}
		out[k] = er
	}
	return out
}

// urlPath is a URL's path without the query, which may carry a token;
// "" when it does not parse.
func urlPath(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return ""
	}
	return p.EscapedPath()
}
