package prom

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	pmodel "github.com/prometheus/common/model"

	"github.com/headroom-dev/headroom/scenarios"
)

// History is one service's observed behaviour at a fixed step, for
// `headroom backtest`: every series holds one value per step from Start
// (index k is Start + k·Step), NaN where Prometheus had no sample.
type History struct {
	Service    string
	Start      time.Time
	Step       time.Duration
	RateWindow time.Duration
	Queries    ServiceQueries
	// Rate is the request rate of all pods (requests per second); Ready
	// the Ready replicas; HPACurrent and HPADesired the HPA's status (nil
	// without one).
	Rate, Ready            []float64
	HPACurrent, HPADesired []float64
	// CPU is a pod's average CPU over the service's CPU request, the
	// utilisation an HPA on CPU sees (nil when it could not be read).
	CPU []float64
	// P95 is the p95 latency per step in seconds, interpolated in the
	// step's bucket rates as histogram_quantile does.
	P95 []float64
	// SlowRate is the rate of requests slower than the SLO target (nil
	// when no bucket bound equals the target); ErrorRate of failed ones.
	SlowRate, ErrorRate []float64
	// StartupSeconds are the pods' creation-to-Ready delays.
	StartupSeconds []float64
	// CPUPerRequest and ServiceTimeSeconds are observe's fits over the same
	// window (nil when observe could not make them).
	CPUPerRequest      *float64
	ServiceTimeSeconds *float64
	// Notes are what could not be read, each with its query.
	Notes []string
}

// HistoryError is a service whose history could not be read.
type HistoryError struct {
	Service, Query string
	From, To       time.Time
	Err            error
}

func (e *HistoryError) Error() string {
	return fmt.Sprintf("service %s: %v (query %s, %s to %s)", e.Service, e.Err, e.Query, e.From.Format(time.RFC3339), e.To.Format(time.RFC3339))
}

func (e *HistoryError) Unwrap() error { return e.Err }

// History reads the backtest history of every service of the plan (or
// those in opts.Services) with the same queries and overrides as Observe,
// and observe's own fits of the CPU per request and the mean latency. A
// service whose request rate or Ready replicas cannot be read is returned
// as a HistoryError; the others are still read.
func (c *Client) History(ctx context.Context, p *scenarios.Plan, opts Options) ([]*History, []*HistoryError, error) {
	opts.defaults()
	if err := opts.validate(); err != nil {
		return nil, nil, err
	}
	names := opts.Services
	if len(names) == 0 {
		for _, s := range p.Services {
			names = append(names, s.Name)
		}
	}
	var out []*History
	var fails []*HistoryError
	for _, name := range names {
		svc := p.Service(name)
		if svc == nil {
			return nil, nil, fmt.Errorf("the plan has no service %q", name)
		}
		h, err := c.history(ctx, p, svc, opts)
		if ctx.Err() != nil {
			return out, fails, ctx.Err()
		}
		if err != nil {
			var he *HistoryError
			if !errors.As(err, &he) {
				he = &HistoryError{Service: name, From: opts.End.Add(-opts.Window), To: opts.End, Err: err}
			}
			fails = append(fails, he)
			continue
		}
		out = append(out, h)
	}
	return out, fails, nil
}

func (c *Client) history(ctx context.Context, p *scenarios.Plan, svc *scenarios.Service, opts Options) (*History, error) {
	q, err := QueriesFor(p, svc, opts.Namespace, opts.RateWindow, opts.Window)
	if err != nil {
		return nil, err
	}
	start := opts.End.Add(-opts.Window)
	n := int(opts.Window/opts.Step) + 1
	h := &History{Service: svc.Name, Start: start, Step: opts.Step, RateWindow: opts.RateWindow, Queries: q}
	fail := func(query string, err error) error {
		return &HistoryError{Service: svc.Name, Query: query, From: start, To: opts.End, Err: err}
	}
	read := func(what, query string) ([]float64, error) {
		s, res, err := c.QuerySingle(ctx, query, start, opts.End, opts.Step)
		if res != nil {
			for _, w := range res.Warnings {
				h.Notes = append(h.Notes, fmt.Sprintf("%s (query %s): prometheus: %s", what, query, w))
			}
		}
		if err != nil {
			return nil, err
		}
		return onSteps(s.Points, start, opts.Step, n), nil
	}
	if h.Rate, err = read("requestRate", q.RequestRate); err != nil {
		return nil, fail(q.RequestRate, err)
	}
	if h.Ready, err = read("ready", q.ReadyReplicas); err != nil {
		return nil, fail(q.ReadyReplicas, err)
	}
	for _, x := range []struct {
		what, query string
		dst         *[]float64
	}{{"hpaCurrentReplicas", q.HPACurrentReplicas, &h.HPACurrent}, {"hpaDesiredReplicas", q.HPADesiredReplicas, &h.HPADesired}} {
		if svc.HPA == nil {
			break
		}
		if *x.dst, err = read(x.what, x.query); err != nil {
			h.Notes = append(h.Notes, fmt.Sprintf("%s: %v", x.what, err))
		}
	}
	if req := scenarios.Cores(svc.Resources.Requests[corev1.ResourceCPU]); !(req > 0) {
		h.Notes = append(h.Notes, "cpu: the plan gives no CPU request, so no utilisation can be compared")
	} else if cpu, err := read("cpu", q.CPU); err != nil {
		h.Notes = append(h.Notes, fmt.Sprintf("cpu: %v", err))
	} else {
		for k := range cpu {
			cpu[k] /= req
		}
		h.CPU = cpu
	}
	if err := h.latency(ctx, c, svc, q, start, opts, n); err != nil {
		h.Notes = append(h.Notes, fmt.Sprintf("latencyBucketRates: %v", err))
	}
	if e, err := read("errorRate", q.ErrorRate); err == nil {
		h.ErrorRate = e
	} else if errors.Is(err, ErrNoData) {
		h.ErrorRate = make([]float64, n)
		h.Notes = append(h.Notes, fmt.Sprintf("errorRate (query %s): no series, counted as no failed request", q.ErrorRate))
	} else {
		h.Notes = append(h.Notes, fmt.Sprintf("errorRate: %v", err))
	}
	if st, err := c.podStartups(ctx, q.PodStartup, opts.End); err != nil {
		h.Notes = append(h.Notes, fmt.Sprintf("podStartup: %v", err))
	} else {
		h.StartupSeconds = st
	}
	// observe's fits over the same window: the values that would fit.
	if o, err := c.observeService(ctx, p, svc, opts); err != nil {
		h.Notes = append(h.Notes, fmt.Sprintf("observe's fits: %v", err))
	} else {
		if o.CPU != nil {
			v := o.CPU.Slope
			h.CPUPerRequest = &v
		}
		if o.ServiceTime != nil {
			v := o.ServiceTime.MeanSeconds
			h.ServiceTimeSeconds = &v
		}
		for _, pr := range o.Problems {
			// The forecast is observe's, not a backtest's concern.
			if !strings.HasPrefix(pr, "forecast:") {
				h.Notes = append(h.Notes, "observe: "+pr)
			}
		}
	}
	return h, nil
}

// latency reads the histogram's bucket rates per step: the p95, and the
// rate of requests slower than the SLO target where a bucket bound equals
// it.
func (h *History) latency(ctx context.Context, c *Client, svc *scenarios.Service, q ServiceQueries, start time.Time, opts Options, n int) error {
	res, err := c.QueryRange(ctx, q.LatencyBucketRates, start, opts.End, opts.Step)
	if err != nil {
		return err
	}
	for _, w := range res.Warnings {
		h.Notes = append(h.Notes, fmt.Sprintf("latencyBucketRates (query %s): prometheus: %s", q.LatencyBucketRates, w))
	}
	if len(res.Series) == 0 {
		return fmt.Errorf("query %s matched no series: %w", q.LatencyBucketRates, ErrNoData)
	}
	type col struct {
		le   float64
		vals []float64
	}
	// Series sharing a bound (a query not aggregated by le: one series
	// per pod and le) are summed per step as sum by (le) (…) would, a
	// missing sample counting as absent: one series per bound read alone
	// would take one pod's +Inf count for the total.
	cols := make([]col, 0, len(res.Series))
	byLe := map[float64]int{}
	for _, s := range res.Series {
		le, ok := s.Labels[pmodel.LabelName("le")]
		if !ok {
			return fmt.Errorf("query %s returned a series without an le label (%s); aggregate with sum by (le) (…)", q.LatencyBucketRates, s.Labels)
		}
		ub, err := parseLe(string(le))
		if err != nil {
			return fmt.Errorf("query %s: %w", q.LatencyBucketRates, err)
		}
		vals := onSteps(s.Points, start, opts.Step, n)
		i, seen := byLe[ub]
		if !seen {
			byLe[ub] = len(cols)
			cols = append(cols, col{ub, vals})
			continue
		}
		for k, v := range vals {
			switch {
			case math.IsNaN(v):
			case math.IsNaN(cols[i].vals[k]):
				cols[i].vals[k] = v
			default:
				cols[i].vals[k] += v
			}
		}
	}
	sort.Slice(cols, func(i, j int) bool { return cols[i].le < cols[j].le })
	if !math.IsInf(cols[len(cols)-1].le, 1) {
		return fmt.Errorf("query %s has no le=\"+Inf\" bucket", q.LatencyBucketRates)
	}
	target := -1
	if l := svc.SLO.Latency; l != nil {
		t := l.Target.Seconds()
		for i, c := range cols {
			if math.Abs(c.le-t) <= 1e-9*t {
				target = i
			}
		}
		if target < 0 {
			h.Notes = append(h.Notes, fmt.Sprintf("latencyBucketRates (query %s): no bucket bound equals the SLO target %gs, so slow requests are not counted", q.LatencyBucketRates, t))
		}
	}
	h.P95 = make([]float64, n)
	if target >= 0 {
		h.SlowRate = make([]float64, n)
	}
	bs := make([]Bucket, len(cols))
	for k := range n {
		h.P95[k] = math.NaN()
		if h.SlowRate != nil {
			h.SlowRate[k] = math.NaN()
		}
		ok := true
		for i, c := range cols {
			if math.IsNaN(c.vals[k]) {
				ok = false
				break
			}
			bs[i] = Bucket{UpperBound: c.le, Count: c.vals[k]}
		}
		if !ok {
			continue
		}
		if v, _, err := HistogramQuantile(0.95, bs); err == nil {
			h.P95[k] = v
		}
		if h.SlowRate != nil {
			h.SlowRate[k] = math.Max(0, bs[len(bs)-1].Count-bs[target].Count)
		}
	}
	return nil
}

// podStartups runs the instant start-up query at end: one value per pod,
// negative and non-finite ones left out.
func (c *Client) podStartups(ctx context.Context, query string, end time.Time) ([]float64, error) {
	val, _, _, err := c.api.Query(ctx, query, end)
	if err != nil {
		return nil, queryError(query, err)
	}
	vec, ok := val.(pmodel.Vector)
	if !ok {
		return nil, fmt.Errorf("query %s: the server returned a %s, want a vector", query, val.Type())
	}
	var out []float64
	for _, s := range vec {
		if v := float64(s.Value); v >= 0 && !math.IsInf(v, 0) {
			out = append(out, v)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("query %s matched no pod at %s: %w", query, end.Format(time.RFC3339), ErrNoData)
	}
	sort.Float64s(out)
	return out, nil
}

// onSteps places samples on the step grid from start (n steps), NaN where
// none falls or the sample is not finite; a sample belongs to the step it is nearest.
func onSteps(pts []Point, start time.Time, step time.Duration, n int) []float64 {
	out := make([]float64, n)
	for k := range out {
		out[k] = math.NaN()
	}
	s0, st := start.UnixMilli(), step.Milliseconds()
	for _, p := range pts {
		k := int((p.T - s0 + st/2) / st)
		// ±Inf is no measurement either (a rate over a counter reset or a
		// division by zero): a gap like NaN, or it would poison the
		// measures and the JSON.
		if p.T >= s0-st/2 && k >= 0 && k < n && !math.IsInf(p.V, 0) {
			out[k] = p.V
		}
	}
	return out
}
