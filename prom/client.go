package prom

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/prometheus/client_golang/api"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	pmodel "github.com/prometheus/common/model"

	"github.com/headroom-dev/headroom/model"
)

// MaxPointsPerQuery is how many steps one range query asks for. Prometheus
// refuses range queries of more than 11,000 points per series, so longer
// ranges are split into consecutive queries of at most this many steps.
const MaxPointsPerQuery = 10_000

// DefaultRateWindow is the range of rate() and increase() over one step in
// the default queries: four scrapes at the common 15 s interval, plus room.
const DefaultRateWindow = 5 * time.Minute

// ErrNoData is returned (wrapped) when a query matches no series, or only
// NaN samples, in the requested range.
var ErrNoData = errors.New("no data")

// Client runs PromQL against the Prometheus HTTP API.
type Client struct {
	api v1.API
	url string
	// RateWindow is the range of rate() in ContainerUsage. Default 5m.
	RateWindow time.Duration
}

// NewClient returns a client of the Prometheus server at address (its base
// URL, e.g. http://prometheus.monitoring:9090). rt may be nil for the
// default transport.
func NewClient(address string, rt http.RoundTripper) (*Client, error) {
	if !strings.HasPrefix(address, "http://") && !strings.HasPrefix(address, "https://") {
		return nil, fmt.Errorf("prometheus URL %q must start with http:// or https://", address)
	}
	c, err := api.NewClient(api.Config{Address: address, RoundTripper: rt})
	if err != nil {
		return nil, fmt.Errorf("prometheus client for %s: %w", address, err)
	}
	return &Client{api: v1.NewAPI(c), url: address, RateWindow: DefaultRateWindow}, nil
}

// URL returns the server address.
func (c *Client) URL() string { return c.url }

// Point is one sample of a series: a time in Unix milliseconds and a value.
type Point struct {
	T int64
	V float64
}

// Time returns the sample time.
func (p Point) Time() time.Time { return time.UnixMilli(p.T).UTC() }

// Series is a labelled list of samples in time order.
type Series struct {
	Labels pmodel.Metric
	Points []Point
}

// RangeResult is what a range query returned and what was dropped from it.
type RangeResult struct {
	Series []Series
	// Dropped counts NaN and infinite samples left out.
	Dropped int
	// Warnings are the server's warnings.
	Warnings []string
}

// QueryRange runs a range query from start to end at step, in as many
// requests of at most MaxPointsPerQuery steps as it takes, and joins the
// series by their labels. NaN and infinite samples are dropped and counted.
func (c *Client) QueryRange(ctx context.Context, query string, start, end time.Time, step time.Duration) (*RangeResult, error) {
	if step <= 0 {
		return nil, fmt.Errorf("range query: step must be positive, got %s", step)
	}
	if !end.After(start) {
		return nil, fmt.Errorf("range query: end %s is not after start %s", end.Format(time.RFC3339), start.Format(time.RFC3339))
	}
	res := &RangeResult{}
	byKey := map[pmodel.Fingerprint]int{}
	chunk := time.Duration(MaxPointsPerQuery-1) * step
	for from := start; !from.After(end); from = from.Add(chunk + step) {
		to := from.Add(chunk)
		if to.After(end) {
			to = end
		}
		val, warns, _, err := c.api.QueryRange(ctx, query, v1.Range{Start: from, End: to, Step: step})
		if err != nil {
			return nil, queryError(query, err)
		}
		res.Warnings = append(res.Warnings, warns...)
		m, ok := val.(pmodel.Matrix)
		if !ok {
			return nil, fmt.Errorf("query %s: the server returned a %s, want a matrix", query, val.Type())
		}
		for _, ss := range m {
			fp := ss.Metric.Fingerprint()
			i, seen := byKey[fp]
			if !seen {
				i = len(res.Series)
				byKey[fp] = i
				res.Series = append(res.Series, Series{Labels: ss.Metric})
			}
			for _, sp := range ss.Values {
				v := float64(sp.Value)
				if math.IsNaN(v) || math.IsInf(v, 0) {
					res.Dropped++
					continue
				}
				res.Series[i].Points = append(res.Series[i].Points, Point{T: int64(sp.Timestamp), V: v})
			}
		}
	}
	kept := res.Series[:0]
	for _, s := range res.Series {
		if len(s.Points) > 0 {
			sort.Slice(s.Points, func(i, j int) bool { return s.Points[i].T < s.Points[j].T })
			kept = append(kept, s)
		}
	}
	res.Series = kept
	sort.Slice(res.Series, func(i, j int) bool { return res.Series[i].Labels.String() < res.Series[j].Labels.String() })
	return res, nil
}

// QuerySingle runs a range query that must return one series, with at
// least one finite sample.
func (c *Client) QuerySingle(ctx context.Context, query string, start, end time.Time, step time.Duration) (Series, *RangeResult, error) {
	res, err := c.QueryRange(ctx, query, start, end, step)
	if err != nil {
		return Series{}, nil, err
	}
	switch len(res.Series) {
	case 0:
		why := "matched no series"
		if res.Dropped > 0 {
			why = fmt.Sprintf("returned only NaN or infinite samples (%d)", res.Dropped)
		}
		return Series{}, res, fmt.Errorf("query %s %s from %s to %s: %w", query, why, start.Format(time.RFC3339), end.Format(time.RFC3339), ErrNoData)
	case 1:
		return res.Series[0], res, nil
	}
	return Series{}, res, fmt.Errorf("query %s returned %d series (%s, %s, …); aggregate it to one with sum() or avg()", query, len(res.Series), res.Series[0].Labels, res.Series[1].Labels)
}

// Bucket is one cumulative histogram bucket: the count of observations at
// or below UpperBound (+Inf for the last).
type Bucket struct {
	UpperBound float64
	Count      float64
}

// QueryBuckets runs an instant query at ts that returns one series per
// histogram bucket, labelled le, and returns the buckets sorted by bound.
func (c *Client) QueryBuckets(ctx context.Context, query string, ts time.Time) ([]Bucket, []string, error) {
	val, warns, _, err := c.api.Query(ctx, query, ts)
	if err != nil {
		return nil, nil, queryError(query, err)
	}
	vec, ok := val.(pmodel.Vector)
	if !ok {
		return nil, warns, fmt.Errorf("query %s: the server returned a %s, want a vector", query, val.Type())
	}
	if len(vec) == 0 {
		return nil, warns, fmt.Errorf("query %s matched no series at %s: %w", query, ts.Format(time.RFC3339), ErrNoData)
	}
	var bs []Bucket
	for _, s := range vec {
		le, ok := s.Metric["le"]
		if !ok {
			return nil, warns, fmt.Errorf("query %s returned a series without an le label (%s); aggregate with sum by (le) (…)", query, s.Metric)
		}
		ub, err := parseLe(string(le))
		if err != nil {
			return nil, warns, fmt.Errorf("query %s: %w", query, err)
		}
		v := float64(s.Value)
		if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
			return nil, warns, fmt.Errorf("query %s: bucket le=%q has count %g", query, le, v)
		}
		bs = append(bs, Bucket{UpperBound: ub, Count: v})
	}
	sort.Slice(bs, func(i, j int) bool { return bs[i].UpperBound < bs[j].UpperBound })
	for i := 1; i < len(bs); i++ {
		if bs[i].UpperBound == bs[i-1].UpperBound {
			return nil, warns, fmt.Errorf("query %s returned le=%g twice; aggregate with sum by (le) (…)", query, bs[i].UpperBound)
		}
	}
	return bs, warns, nil
}

func parseLe(s string) (float64, error) {
	if s == "+Inf" || s == "Inf" || s == "inf" || s == "+inf" {
		return math.Inf(1), nil
	}
	var v float64
	if _, err := fmt.Sscanf(s, "%g", &v); err != nil || math.IsNaN(v) {
		return 0, fmt.Errorf("bucket bound le=%q is not a number", s)
	}
	return v, nil
}

// queryError says which query failed and, for the API's own errors, what
// kind of failure it was.
func queryError(query string, err error) error {
	var apiErr *v1.Error
	if errors.As(err, &apiErr) {
		msg := apiErr.Msg
		if apiErr.Detail != "" {
			msg += ": " + apiErr.Detail
		}
		return fmt.Errorf("query %s: prometheus %s: %s", query, apiErr.Type, msg)
	}
	return fmt.Errorf("query %s: %w", query, err)
}

// PodRegexp returns a regular expression, as PromQL string text (escaped
// for a double-quoted string), matching the pod names of a workload: a
// Deployment's pods are <name>-<pod-template-hash>-<5 characters>, a
// StatefulSet's <name>-<ordinal>; an empty kind matches either.
func PodRegexp(kind, name string) string {
	q := strings.ReplaceAll(regexp.QuoteMeta(name), `\`, `\\`)
	switch strings.ToLower(kind) {
	case "deployment":
		return q + "-[a-z0-9]+-[a-z0-9]+"
	case "statefulset":
		return q + "-[0-9]+"
	}
	return q + "-([a-z0-9]+-[a-z0-9]+|[0-9]+)"
}

// ContainerUsage returns the CPU (cores) and memory working-set (bytes)
// usage of one container in every pod of a workload over the window
// ending now, one sample per pod per step, from cAdvisor's
// container_cpu_usage_seconds_total (rate over RateWindow) and
// container_memory_working_set_bytes. Pods are matched by name
// (PodRegexp with either workload kind). The samples are in time order,
// pods in name order within a step.
func (c *Client) ContainerUsage(ctx context.Context, namespace, workload, container string, window, step time.Duration) (cpu, mem []model.UsageSample, err error) {
	return c.containerUsage(ctx, namespace, workload, container, time.Now().Truncate(step), window, step)
}

func (c *Client) containerUsage(ctx context.Context, namespace, workload, container string, end time.Time, window, step time.Duration) (cpu, mem []model.UsageSample, err error) {
	if window <= 0 || step <= 0 || step > window {
		return nil, nil, fmt.Errorf("container usage: need 0 < step ≤ window, got step %s, window %s", step, window)
	}
	sel := fmt.Sprintf(`namespace=%q,pod=~"%s",container=%q`, namespace, PodRegexp("", workload), container)
	rw := c.RateWindow
	if rw <= 0 {
		rw = DefaultRateWindow
	}
	queries := []string{
		fmt.Sprintf(`rate(container_cpu_usage_seconds_total{%s}[%s])`, sel, FormatDuration(rw)),
		fmt.Sprintf(`container_memory_working_set_bytes{%s}`, sel),
	}
	out := make([][]model.UsageSample, 2)
	start := end.Add(-window)
	for i, q := range queries {
		res, err := c.QueryRange(ctx, q, start, end, step)
		if err != nil {
			return nil, nil, err
		}
		if len(res.Series) == 0 {
			return nil, nil, fmt.Errorf("query %s matched no series: %w", q, ErrNoData)
		}
		out[i] = usageSamples(res.Series)
	}
	return out[0], out[1], nil
}

// usageSamples flattens per-pod series (already in label order) into one
// time-ordered list.
func usageSamples(ss []Series) []model.UsageSample {
	type tagged struct {
		p   Point
		ord int
	}
	var all []tagged
	for i, s := range ss {
		for _, p := range s.Points {
			all = append(all, tagged{p, i})
		}
	}
	sort.SliceStable(all, func(i, j int) bool {
		if all[i].p.T != all[j].p.T {
			return all[i].p.T < all[j].p.T
		}
		return all[i].ord < all[j].ord
	})
	out := make([]model.UsageSample, len(all))
	for i, a := range all {
		out[i] = model.UsageSample{Time: a.p.Time(), Value: a.p.V}
	}
	return out
}
