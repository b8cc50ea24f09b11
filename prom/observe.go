package prom

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/headroom-dev/headroom/scenarios"
)

// Options configure Observe. Zero fields take the defaults.
type Options struct {
	// End is the end of the observation window. Default: now, truncated
	// to Step.
	End time.Time
	// Window is how far back from End to look. Default 14 days.
	Window time.Duration
	// Step is the resolution of the range queries. Default 1m.
	Step time.Duration
	// RateWindow is the range of rate() ($rate). Default 5m.
	RateWindow time.Duration
	// Namespace is used for services without one. Default "default".
	Namespace string
	// Services limits the observation to these services; default all.
	Services []string
	// Gate grades every fit. Default DefaultGate.
	Gate *Gate
	// Horizon is how far past the last observed daily peak the trend is
	// projected. Default 90 days (a quarter).
	Horizon time.Duration
	// Level is the prediction interval's coverage. Default 0.95.
	Level float64
	// ReplayStep is the resolution of the replay scenario. Default 5m.
	ReplayStep time.Duration
}

// Defaults for Options.
const (
	DefaultWindow     = 14 * 24 * time.Hour
	DefaultStep       = time.Minute
	DefaultHorizon    = 90 * 24 * time.Hour
	DefaultLevel      = 0.95
	DefaultReplayStep = 5 * time.Minute
	// MinTrendDays is the fewest complete days a trend is fitted from;
	// below ConfidentTrendDays it is marked low-confidence.
	MinTrendDays       = 3
	ConfidentTrendDays = 7
	// completeDay is the share of a day's steps that must hold a sample
	// for the day's peak to count.
	completeDay = 0.9
)

func (o *Options) defaults() {
	if o.Window == 0 {
		o.Window = DefaultWindow
	}
	if o.Step == 0 {
		o.Step = DefaultStep
	}
	if o.RateWindow == 0 {
		o.RateWindow = DefaultRateWindow
	}
	if o.End.IsZero() {
		o.End = time.Now().UTC().Truncate(o.Step)
	}
	o.End = o.End.UTC()
	if o.Gate == nil {
		g := DefaultGate
		o.Gate = &g
	}
	if o.Horizon == 0 {
		o.Horizon = DefaultHorizon
	}
	if o.Level == 0 {
		o.Level = DefaultLevel
	}
	if o.ReplayStep == 0 {
		o.ReplayStep = DefaultReplayStep
	}
}

// Validate checks the options after defaults.
func (o *Options) validate() error {
	switch {
	case o.Window <= 0 || o.Window > MaxWindow:
		return fmt.Errorf("window must be in (0, 400d], got %s", FormatDuration(o.Window))
	case o.Step <= 0 || o.Step > o.Window/3:
		return fmt.Errorf("step must be positive and at most a third of the window %s, got %s", FormatDuration(o.Window), FormatDuration(o.Step))
	case o.RateWindow < o.Step:
		return fmt.Errorf("rate window %s is shorter than the step %s; samples between them would be skipped", FormatDuration(o.RateWindow), FormatDuration(o.Step))
	case o.ReplayStep < o.Step:
		return fmt.Errorf("replay step %s is shorter than the query step %s", FormatDuration(o.ReplayStep), FormatDuration(o.Step))
	case !(o.Level > 0 && o.Level < 1):
		return fmt.Errorf("prediction level must be in (0, 1), got %g", o.Level)
	case o.Horizon < 0:
		return fmt.Errorf("forecast horizon must not be negative, got %s", o.Horizon)
	}
	return nil
}

// RateStats summarises the observed request rate over all pods, in
// requests per second.
type RateStats struct {
	Peak   float64   `json:"peak"`
	PeakAt time.Time `json:"peakAt"`
	Mean   float64   `json:"mean"`
	P50    float64   `json:"p50"`
	P95    float64   `json:"p95"`
	P99    float64   `json:"p99"`
	Points int       `json:"points"`
	Hours  float64   `json:"hours"`
	// Gaps counts steps of the window without a sample.
	Gaps          int      `json:"gaps"`
	LowConfidence bool     `json:"lowConfidence,omitempty"`
	Reasons       []string `json:"reasons,omitempty"`
}

// ServiceTimeStats is the request duration seen by the application's
// latency histogram. It includes any queueing inside the pod, so it
// approximates the service time only while the pods are not saturated.
type ServiceTimeStats struct {
	// MeanSeconds is the request-weighted mean of _sum/_count over the window.
	MeanSeconds float64 `json:"meanSeconds"`
	// P95Seconds is the 95th percentile interpolated in the window's
	// bucket counts (as histogram_quantile does); P95Beyond marks it a
	// lower limit (it fell in the +Inf bucket).
	P95Seconds float64 `json:"p95Seconds,omitempty"`
	P95Beyond  bool    `json:"p95Beyond,omitempty"`
	// Buckets is how many finite buckets the histogram has.
	Buckets int     `json:"buckets,omitempty"`
	Points  int     `json:"points"`
	Hours   float64 `json:"hours"`
}

// ReplicaStats is the range of a replica count over the window.
type ReplicaStats struct {
	Min  float64 `json:"min"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
}

// DailyPeak is the highest request rate of one UTC day.
type DailyPeak struct {
	Day       time.Time `json:"day"`
	At        time.Time `json:"at"`
	PerSecond float64   `json:"perSecond"`
}

// Forecast is the trend of the daily peaks projected ahead.
type Forecast struct {
	Trend
	// Date is when the projected peak is for.
	Date  time.Time   `json:"date"`
	Peaks []DailyPeak `json:"peaks"`
	// Shape is the last complete day's rate as a fraction of its peak, at
	// offsets from that day's midnight.
	Shape []RatePoint `json:"shape"`
}

// RatePoint is a rate (or a fraction of one) at an offset.
type RatePoint struct {
	Offset scenarios.Seconds `json:"offsetSeconds"`
	Value  float64           `json:"value"`
}

// Observation is what Prometheus says about one service.
type Observation struct {
	Service   string            `json:"service"`
	Namespace string            `json:"namespace"`
	Start     time.Time         `json:"start"`
	End       time.Time         `json:"end"`
	Step      scenarios.Seconds `json:"stepSeconds"`
	Queries   ServiceQueries    `json:"queries"`

	Rate RateStats `json:"rate"`
	// ServiceTime is nil when the latency queries failed (see Problems).
	ServiceTime *ServiceTimeStats `json:"serviceTime,omitempty"`
	// CPU regresses the average CPU of a pod (cores) on its request rate
	// (requests per second per pod = rate / replicas): the intercept is
	// the idle CPU in cores, the slope the CPU seconds per request.
	CPU *Fit `json:"cpu,omitempty"`
	// Memory regresses the average working set of a pod (bytes) on its
	// requests in flight, by Little's law (rate per pod × mean latency):
	// the intercept is the base memory, the slope bytes per in-flight
	// request — the plan's memory model.
	Memory   *Fit          `json:"memory,omitempty"`
	Replicas *ReplicaStats `json:"replicas,omitempty"`
	// HPACurrent and HPADesired are the HPA status, when kube-state-metrics
	// exports it.
	HPACurrent *ReplicaStats `json:"hpaCurrent,omitempty"`
	HPADesired *ReplicaStats `json:"hpaDesired,omitempty"`
	// Replay is the request rate averaged over each ReplayStep, at the
	// middle of the step, offset from Start.
	Replay   []RatePoint `json:"replay,omitempty"`
	Forecast *Forecast   `json:"forecast,omitempty"`

	// Problems are the parts that could not be observed; Warnings the
	// server's warnings and dropped samples.
	Problems []string `json:"problems,omitempty"`
	Warnings []string `json:"warnings,omitempty"`
}

// Observe queries Prometheus for every service of the plan (or those in
// opts.Services). A service whose request rate cannot be read fails
// with an error; other parts that fail are recorded in Problems.
func (c *Client) Observe(ctx context.Context, p *scenarios.Plan, opts Options) ([]*Observation, error) {
	opts.defaults()
	if err := opts.validate(); err != nil {
		return nil, err
	}
	names := opts.Services
	if len(names) == 0 {
		for _, s := range p.Services {
			names = append(names, s.Name)
		}
	}
	var out []*Observation
	var errs []error
	for _, name := range names {
		svc := p.Service(name)
		if svc == nil {
			return nil, fmt.Errorf("the plan has no service %q", name)
		}
		o, err := c.observeService(ctx, p, svc, opts)
		if err != nil {
			if ctx.Err() != nil {
				return out, ctx.Err()
			}
			errs = append(errs, fmt.Errorf("service %s: %w", name, err))
			continue
		}
		out = append(out, o)
	}
	return out, errors.Join(errs...)
}

func (c *Client) observeService(ctx context.Context, p *scenarios.Plan, svc *scenarios.Service, opts Options) (*Observation, error) {
	q, err := QueriesFor(p, svc, opts.Namespace, opts.RateWindow, opts.Window)
	if err != nil {
		return nil, err
	}
	start := opts.End.Add(-opts.Window)
	o := &Observation{Service: svc.Name, Start: start, End: opts.End, Step: scenarios.Seconds(opts.Step), Queries: q}
	o.Namespace = svc.Namespace
	if o.Namespace == "" {
		o.Namespace = opts.Namespace
	}
	single := func(what, query string) (Series, error) {
		s, res, err := c.QuerySingle(ctx, query, start, opts.End, opts.Step)
		if res != nil {
			for _, w := range res.Warnings {
				o.Warnings = append(o.Warnings, what+": prometheus: "+w)
			}
			if res.Dropped > 0 && err == nil {
				o.Warnings = append(o.Warnings, fmt.Sprintf("%s: dropped %d NaN or infinite samples", what, res.Dropped))
			}
		}
		return s, err
	}

	rate, err := single("requestRate", q.RequestRate)
	if err != nil {
		return nil, fmt.Errorf("request rate: %w", err)
	}
	if err := o.rateStats(rate, opts); err != nil {
		return nil, err
	}
	o.Replay = resample(rate, start, opts.ReplayStep, 1)
	o.forecast(rate, opts)

	var replicas, latency Series
	var haveReplicas, haveLatency bool
	if s, err := single("replicas", q.Replicas); err != nil {
		o.problem("replicas (needed for the per-pod rate of the CPU and memory fits): %v; install kube-state-metrics or override observe.queries.replicas, e.g. count(count by (pod) (container_memory_working_set_bytes{namespace=\"$namespace\",pod=~\"$pods\"}))", err)
	} else {
		haveReplicas = true
		replicas = s
		o.Replicas = seriesRange(s)
	}
	for _, h := range []struct {
		what, query string
		dst         **ReplicaStats
	}{{"hpaCurrentReplicas", q.HPACurrentReplicas, &o.HPACurrent}, {"hpaDesiredReplicas", q.HPADesiredReplicas, &o.HPADesired}} {
		if s, err := single(h.what, h.query); err == nil {
			*h.dst = seriesRange(s)
		} else if !errors.Is(err, ErrNoData) || svc.HPA != nil {
			o.problem("%s: %v", h.what, err)
		}
	}

	if s, err := single("latencyMean", q.LatencyMean); err != nil {
		o.problem("mean latency: %v", err)
	} else {
		haveLatency = true
		latency = s
		st := &ServiceTimeStats{}
		var num, den float64
		r := byTime(rate)
		for _, pt := range s.Points {
			if w, ok := r[pt.T]; ok && pt.V >= 0 {
				num += w * pt.V
				den += w
				st.Points++
			}
		}
		if !(den > 0) {
			o.problem("mean latency: no step has both a request rate above 0 and a latency sample")
		} else {
			st.MeanSeconds = num / den
			st.Hours = spanHours(s.Points)
			o.ServiceTime = st
			bs, warns, err := c.QueryBuckets(ctx, q.LatencyBuckets, opts.End)
			for _, w := range warns {
				o.Warnings = append(o.Warnings, "latencyBuckets: prometheus: "+w)
			}
			if err == nil {
				st.Buckets = len(bs) - 1
				st.P95Seconds, st.P95Beyond, err = HistogramQuantile(0.95, bs)
			}
			if err != nil {
				o.problem("latency p95: %v", err)
			} else if st.P95Beyond {
				o.problem("latency p95 lies beyond the largest finite bucket %gs; add larger buckets", st.P95Seconds)
			}
		}
	}

	if haveReplicas {
		if cpu, err := single("cpu", q.CPU); err != nil {
			o.problem("cpu: %v", err)
		} else {
			x, y, hours := joinPerPod(rate, replicas, nil, cpu)
			if f, err := FitLine(x, y, hours, *opts.Gate); err != nil {
				o.problem("cpu per request: %v", err)
			} else {
				o.CPU = &f
			}
		}
		if mem, err := single("memory", q.Memory); err != nil {
			o.problem("memory: %v", err)
		} else if !haveLatency {
			o.problem("memory per in-flight request: needs the mean latency for Little's law")
		} else {
			x, y, hours := joinPerPod(rate, replicas, &latency, mem)
			if f, err := FitLine(x, y, hours, *opts.Gate); err != nil {
				o.problem("memory per in-flight request: %v", err)
			} else {
				o.Memory = &f
			}
		}
	}
	return o, nil
}

func (o *Observation) problem(format string, args ...any) {
	o.Problems = append(o.Problems, fmt.Sprintf(format, args...))
}

func (o *Observation) rateStats(s Series, opts Options) error {
	vals := make([]float64, len(s.Points))
	r := &o.Rate
	for i, pt := range s.Points {
		vals[i] = pt.V
		if pt.V < 0 {
			return fmt.Errorf("request rate: negative sample %g at %s; the query must return a rate, not a counter difference", pt.V, pt.Time().Format(time.RFC3339))
		}
		if i == 0 || pt.V > r.Peak {
			r.Peak, r.PeakAt = pt.V, pt.Time()
		}
	}
	qs := Quantiles(vals, 0.5, 0.95, 0.99)
	r.P50, r.P95, r.P99 = qs[0], qs[1], qs[2]
	var sum float64
	for _, v := range vals {
		sum += v
	}
	r.Mean = sum / float64(len(vals))
	r.Points = len(vals)
	r.Hours = spanHours(s.Points)
	expected := int(opts.Window/opts.Step) + 1
	r.Gaps = max(expected-len(vals), 0)
	if r.Points < opts.Gate.MinPoints {
		r.Reasons = append(r.Reasons, fmt.Sprintf("%d points, below the %d required", r.Points, opts.Gate.MinPoints))
	}
	if r.Hours < opts.Gate.MinHours {
		r.Reasons = append(r.Reasons, fmt.Sprintf("%.1f h of history, below the %g h required", r.Hours, opts.Gate.MinHours))
	}
	r.LowConfidence = len(r.Reasons) > 0
	if !(r.Peak > 0) {
		return fmt.Errorf("request rate: every sample is 0 over the window; nothing to size from")
	}
	return nil
}

// forecast fits the trend of the daily peaks and projects it.
func (o *Observation) forecast(rate Series, opts Options) {
	perDay := int(24 * time.Hour / opts.Step)
	type dayAcc struct {
		n    int
		peak DailyPeak
		pts  []Point
	}
	days := map[int64]*dayAcc{}
	var keys []int64
	for _, pt := range rate.Points {
		d := pt.Time().Truncate(24 * time.Hour)
		k := d.Unix()
		a, ok := days[k]
		if !ok {
			a = &dayAcc{peak: DailyPeak{Day: d}}
			days[k] = a
			keys = append(keys, k)
		}
		a.n++
		a.pts = append(a.pts, pt)
		if a.n == 1 || pt.V > a.peak.PerSecond {
			a.peak.PerSecond, a.peak.At = pt.V, pt.Time()
		}
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	var peaks []DailyPeak
	var last *dayAcc
	for _, k := range keys {
		if a := days[k]; float64(a.n) >= completeDay*float64(perDay) {
			peaks = append(peaks, a.peak)
			last = a
		}
	}
	if len(peaks) < MinTrendDays {
		o.problem("forecast: %d complete days in the window, need at least %d (%d for confidence); observe a longer window", len(peaks), MinTrendDays, ConfidentTrendDays)
		return
	}
	origin := peaks[0].Day
	x := make([]float64, len(peaks))
	y := make([]float64, len(peaks))
	for i, pk := range peaks {
		x[i] = pk.At.Sub(origin).Hours() / 24
		y[i] = pk.PerSecond
	}
	x0 := x[len(x)-1] + opts.Horizon.Hours()/24
	tr, err := ProjectTrend(x, y, x0, opts.Level, Gate{MinPoints: ConfidentTrendDays, MinHours: 24 * float64(ConfidentTrendDays-1)})
	if err != nil {
		o.problem("forecast: %v", err)
		return
	}
	f := &Forecast{Trend: tr, Date: peaks[len(peaks)-1].At.Add(opts.Horizon), Peaks: peaks}
	if !(tr.Upper > 0) {
		o.problem("forecast: the trend projects no traffic (upper bound %g/s) at %s; a falling trend cannot be extrapolated that far", tr.Upper, f.Date.Format("2006-01-02"))
		return
	}
	shape := resample(Series{Points: last.pts}, last.peak.Day, opts.ReplayStep, 1/last.peak.PerSecond)
	f.Shape = shape
	o.Forecast = f
}

// resample averages the series over consecutive intervals of step from
// origin and returns each average, times scale, at the interval's middle.
// Intervals without samples are left out (the replay interpolates across).
func resample(s Series, origin time.Time, step time.Duration, scale float64) []RatePoint {
	var out []RatePoint
	o := origin.UnixMilli()
	stepMs := step.Milliseconds()
	var cur int64 = -1
	var sum float64
	var n int
	flush := func() {
		if n > 0 {
			out = append(out, RatePoint{Offset: scenarios.Seconds(time.Duration(cur*stepMs)*time.Millisecond + step/2), Value: sum / float64(n) * scale})
		}
	}
	for _, pt := range s.Points {
		if pt.T < o {
			continue
		}
		k := (pt.T - o) / stepMs
		if k != cur {
			flush()
			cur, sum, n = k, 0, 0
		}
		sum += pt.V
		n++
	}
	flush()
	return out
}

func byTime(s Series) map[int64]float64 {
	m := make(map[int64]float64, len(s.Points))
	for _, p := range s.Points {
		m[p.T] = p.V
	}
	return m
}

// joinPerPod pairs x = rate/replicas (times the mean latency when latency
// is given: requests in flight per pod, by Little's law) with y at every
// step where all the series have a sample and replicas > 0, and returns
// the span of those steps in hours. The series are in time order, so this
// is a merge join.
func joinPerPod(rate, replicas Series, latency *Series, y Series) (xs, ys []float64, hours float64) {
	var lat []Point
	if latency != nil {
		lat = latency.Points
	}
	r, n, l := rate.Points, replicas.Points, lat
	xs = make([]float64, 0, len(y.Points))
	ys = make([]float64, 0, len(y.Points))
	var first, last int64
	for _, pt := range y.Points {
		rv, ok1 := seek(&r, pt.T)
		nv, ok2 := seek(&n, pt.T)
		if !ok1 || !ok2 || !(nv > 0) {
			continue
		}
		x := rv / nv
		if latency != nil {
			lv, ok := seek(&l, pt.T)
			if !ok || lv < 0 {
				continue
			}
			x *= lv
		}
		if len(xs) == 0 {
			first = pt.T
		}
		last = pt.T
		xs = append(xs, x)
		ys = append(ys, pt.V)
	}
	return xs, ys, float64(last-first) / 3.6e6
}

// seek advances *pts past samples before t and returns the sample at t.
func seek(pts *[]Point, t int64) (float64, bool) {
	p := *pts
	for len(p) > 0 && p[0].T < t {
		p = p[1:]
	}
	*pts = p
	if len(p) > 0 && p[0].T == t {
		return p[0].V, true
	}
	return 0, false
}

func spanHours(pts []Point) float64 {
	if len(pts) < 2 {
		return 0
	}
	return float64(pts[len(pts)-1].T-pts[0].T) / 3.6e6
}

func seriesRange(s Series) *ReplicaStats {
	r := &ReplicaStats{Min: math.Inf(1), Max: math.Inf(-1)}
	var sum float64
	for _, p := range s.Points {
		r.Min = math.Min(r.Min, p.V)
		r.Max = math.Max(r.Max, p.V)
		sum += p.V
	}
	r.Mean = sum / float64(len(s.Points))
	return r
}
