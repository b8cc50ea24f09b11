package prom

import (
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeProm speaks the Prometheus HTTP API's JSON (query and query_range,
// https://prometheus.io/docs/prometheus/latest/querying/api/) from Go
// functions: each range query is answered by the first rule whose key the
// query contains.
type fakeProm struct {
	t     testing.TB
	rules []fakeRule
	// buckets answers instant queries: le bound → cumulative count.
	buckets map[string]float64
	// instant answers instant queries whose text contains a key with one
	// series per value (labelled pod="p<i>") instead of buckets.
	instant map[string][]float64
	mu      sync.Mutex
	calls   map[string]int
}

type fakeRule struct {
	key string
	// series returns the samples of each series at t; ok false leaves t
	// out (a gap). A nil func returns an empty matrix.
	series func(t time.Time) (vals []float64, ok bool)
	// labels name each series (default series="<i>").
	labels []map[string]string
	// status and errType make the rule answer with an API error.
	status  int
	errType string
}

func (f *fakeProm) start() string {
	srv := httptest.NewServer(http.HandlerFunc(f.serve))
	f.t.Cleanup(srv.Close)
	f.calls = map[string]int{}
	return srv.URL
}

func (f *fakeProm) count(key string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[key]
}

func (f *fakeProm) serve(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), 400)
		return
	}
	q := r.Form.Get("query")
	w.Header().Set("Content-Type", "application/json")
	if strings.HasSuffix(r.URL.Path, "/api/v1/query") {
		var res []map[string]any
		for key, vals := range f.instant {
			if !strings.Contains(q, key) {
				continue
			}
			for i, v := range vals {
				res = append(res, map[string]any{"metric": map[string]string{"pod": "p" + strconv.Itoa(i)}, "value": []any{fnum(r.Form.Get("time")), strconv.FormatFloat(v, 'g', -1, 64)}})
			}
			writeJSON(w, 200, map[string]any{"status": "success", "data": map[string]any{"resultType": "vector", "result": res}})
			return
		}
		for le, c := range f.buckets {
			res = append(res, map[string]any{"metric": map[string]string{"le": le}, "value": []any{fnum(r.Form.Get("time")), strconv.FormatFloat(c, 'g', -1, 64)}})
		}
		writeJSON(w, 200, map[string]any{"status": "success", "data": map[string]any{"resultType": "vector", "result": res}})
		return
	}
	start, end := fnum(r.Form.Get("start")), fnum(r.Form.Get("end"))
	step := fnum(r.Form.Get("step"))
	for _, rule := range f.rules {
		if !strings.Contains(q, rule.key) {
			continue
		}
		f.mu.Lock()
		f.calls[rule.key]++
		f.mu.Unlock()
		if rule.status != 0 {
			writeJSON(w, rule.status, map[string]any{"status": "error", "errorType": rule.errType, "error": "parse error: unexpected character"})
			return
		}
		var series [][]any
		n := int(math.Round((end - start) / step))
		for k := 0; k <= n && rule.series != nil; k++ {
			ts := start + float64(k)*step
			vals, ok := rule.series(time.Unix(0, int64(ts*1e9)).UTC())
			if !ok {
				continue
			}
			for len(series) < len(vals) {
				series = append(series, nil)
			}
			for i, v := range vals {
				series[i] = append(series[i], []any{ts, formatSample(v)})
			}
		}
		var res []map[string]any
		for i, vs := range series {
			lbl := map[string]string{"series": strconv.Itoa(i)}
			if i < len(rule.labels) {
				lbl = rule.labels[i]
			}
			res = append(res, map[string]any{"metric": lbl, "values": vs})
		}
		writeJSON(w, 200, map[string]any{"status": "success", "data": map[string]any{"resultType": "matrix", "result": res}})
		return
	}
	f.t.Errorf("fake prometheus: no rule for query %s", q)
	writeJSON(w, 200, map[string]any{"status": "success", "data": map[string]any{"resultType": "matrix", "result": []any{}}})
}

func formatSample(v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

func fnum(s string) float64 {
	v, _ := strconv.ParseFloat(s, 64)
	return v
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// one wraps a single-series function.
func one(f func(t time.Time) float64) func(time.Time) ([]float64, bool) {
	return func(t time.Time) ([]float64, bool) { return []float64{f(t)}, true }
}
