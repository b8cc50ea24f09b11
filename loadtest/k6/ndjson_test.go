package k6

import (
	"bufio"
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/headroom-dev/headroom/loadtest"
)

func TestK6LineParser(t *testing.T) {
	t0 := time.Date(2026, 8, 21, 10, 0, 0, 123456789, time.UTC)
	for _, tc := range []struct {
		name, line string
		want       k6Line
		wantErr    string
	}{
		// Verbatim shapes of k6 v2.2.0's --out json (k6 docs: Results output / JSON).
		{name: "point v2 key order", line: `{"metric":"http_req_duration","type":"Point","data":{"time":"2026-08-21T10:00:00.123456789Z","value":12.345,"tags":{"expected_response":"true","group":"","method":"GET","name":"http://sut:8080/api","proto":"HTTP/1.1","scenario":"open","status":"200","url":"http://sut:8080/api"}}}`,
			want: k6Line{Metric: "http_req_duration", Point: true, Time: t0, Value: 12.345}},
		{name: "point docs key order with metadata", line: `{"type":"Point","data":{"time":"2021-02-24T13:37:10Z","value":1,"tags":{"tag1":"val1"},"metadata":{"meta1":"foo","meta2":"bar"}},"metric":"my_metric1"}`,
			want: k6Line{Metric: "my_metric1", Point: true, Time: time.Date(2021, 2, 24, 13, 37, 10, 0, time.UTC), Value: 1}},
		{name: "metric line", line: `{"type":"Metric","data":{"name":"http_req_duration","type":"trend","contains":"time","thresholds":["p(95)<1000"],"submetrics":[{"name":"http_req_duration{expected_response:true}","suffix":"expected_response:true","tags":{"expected_response":"true"}}]},"metric":"http_req_duration"}`,
			want: k6Line{Metric: "http_req_duration"}},
		{name: "abortOnFail threshold object", line: `{"type":"Metric","data":{"name":"x","type":"trend","contains":"time","thresholds":[{"threshold":"p(99)<10","abortOnFail":true,"delayAbortEval":"10s"}],"submetrics":null},"metric":"x"}`,
			want: k6Line{Metric: "x"}},
		{name: "local offset and null tags", line: `{"metric":"vus","type":"Point","data":{"time":"2026-08-21T12:00:00.5+02:00","value":3,"tags":null}}`,
			want: k6Line{Metric: "vus", Point: true, Time: time.Date(2026, 8, 21, 10, 0, 0, 5e8, time.UTC), Value: 3}},
		{name: "escaped tag value", line: `{"metric":"http_reqs","type":"Point","data":{"time":"2026-08-21T10:00:00Z","value":1,"tags":{"name":"a \"quoted\" \u00e9 name"}}}`,
			want: k6Line{Metric: "http_reqs", Point: true, Time: time.Date(2026, 8, 21, 10, 0, 0, 0, time.UTC), Value: 1}},
		{name: "exponent value", line: `{"metric":"data_sent","type":"Point","data":{"time":"2026-08-21T10:00:00Z","value":1.5e3,"tags":{}}}`,
			want: k6Line{Metric: "data_sent", Point: true, Time: time.Date(2026, 8, 21, 10, 0, 0, 0, time.UTC), Value: 1500}},
		{name: "truncated", line: `{"metric":"http_req_duration","type":"Point","data":{"time":"2026-08-21T10:00:03Z","value":12.5,`, wantErr: "not a JSON object"},
		{name: "not json", line: `level=info msg="hello"`, wantErr: "not a JSON object"},
		{name: "unknown type", line: `{"metric":"x","type":"Sample","data":{}}`, wantErr: `"type" is "Sample"`},
		{name: "point without value", line: `{"metric":"x","type":"Point","data":{"time":"2026-08-21T10:00:00Z"}}`, wantErr: "data.value"},
		{name: "point with a bad time", line: `{"metric":"x","type":"Point","data":{"time":"yesterday","value":1}}`, wantErr: "data.time"},
		{name: "no metric", line: `{"type":"Point","data":{"time":"2026-08-21T10:00:00Z","value":1}}`, wantErr: `"metric"`},
		{name: "string value", line: `{"metric":"x","type":"Point","data":{"time":"2026-08-21T10:00:00Z","value":"1"}}`, wantErr: "point data"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var p k6LineParser
			got, err := p.parse([]byte(tc.line))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Metric != tc.want.Metric || got.Point != tc.want.Point || got.Value != tc.want.Value || !got.Time.Equal(tc.want.Time) {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

// The fast path and encoding/json agree on every line of the fixture, and
// the fast path handles all of them (else the benchmark measures the slow
// one).
func TestK6LineParser_FastPathCoversFixture(t *testing.T) {
	f, err := os.Open(filepath.Join("testdata", "k6", "run.ndjson"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	var fast, slow k6LineParser
	n := 0
	for sc.Scan() {
		n++
		a, err := fast.fast(sc.Bytes())
		if err != nil {
			t.Fatalf("line %d: the fast path refused %s", n, sc.Bytes())
		}
		b, err := slow.slow(sc.Bytes())
		if err != nil {
			t.Fatalf("line %d: %v", n, err)
		}
		if !sameK6Line(a, b) {
			t.Fatalf("line %d: fast %+v, slow %+v", n, a, b)
		}
	}
}

func sameK6Line(a, b k6Line) bool {
	return a.Metric == b.Metric && a.Point == b.Point && a.Time.Equal(b.Time) &&
		a.Endpoint == b.Endpoint && a.Status == b.Status && a.ErrorCode == b.ErrorCode &&
		(a.Value == b.Value || a.Value != a.Value && b.Value != b.Value)
}

// FuzzK6Line: the parser never panics, and whenever the fast path accepts
// a line, encoding/json accepts it too with the same result (the slow path
// is the fast path's referee).
func FuzzK6Line(f *testing.F) {
	data, err := os.ReadFile(filepath.Join("testdata", "k6", "run.ndjson"))
	if err != nil {
		f.Fatal(err)
	}
	lines := bytes.Split(data, []byte("\n"))
	for _, i := range []int{0, 1, 4, 5, 20, len(lines) - 2} {
		f.Add(lines[i])
	}
	f.Add([]byte(`{"metric":"vus","type":"Point","data":{"time":"2026-08-21T12:00:00.5+02:00","value":3,"tags":null}}`))
	f.Add([]byte(`{"Type":"Metric","type":"Point","metric":"a","data":{"time":"2026-08-21T10:00:00Z","value":-0.0e+1}}`))
	f.Add([]byte(`{"metric":"http_req_failed","type":"Point","data":{"time":"2026-08-21T10:00:00Z","value":1,"tags":{"endpoint":"write","status":"0","error_code":"1212","url":"http://a/"}}}`))
	f.Fuzz(func(t *testing.T, line []byte) {
		var p, q k6LineParser
		fast, ferr := p.fast(line)
		slow, serr := q.slow(line)
		if _, err := p.parse(line); (err == nil) != (serr == nil) {
			t.Fatalf("parse err %v, slow err %v", err, serr)
		}
		if ferr != nil {
			return
		}
		if serr != nil {
			t.Fatalf("fast path accepted what encoding/json refuses (%v): %q", serr, line)
		}
		if !sameK6Line(fast, slow) {
			t.Fatalf("fast %+v, slow %+v for %q", fast, slow, line)
		}
	})
}

// BenchmarkK6Stream measures lines per second through the reader and the
// window aggregation: go test ./loadtest -run - -bench K6Stream -benchtime 5x
func BenchmarkK6Stream(b *testing.B) {
	data, err := os.ReadFile(filepath.Join("testdata", "k6", "run.ndjson"))
	if err != nil {
		b.Fatal(err)
	}
	// ~100k lines: the fixture repeated, times moved on each round.
	var buf bytes.Buffer
	for range 130 {
		buf.Write(data)
	}
	lines := bytes.Count(buf.Bytes(), []byte("\n"))
	b.SetBytes(int64(buf.Len()))
	b.ResetTimer()
	for range b.N {
		agg := newK6Windows(time.Second, loadtest.Schedule{})
		if err := readK6Stream(bytes.NewReader(buf.Bytes()), agg, func([]loadtest.Window) {}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(lines)*float64(b.N)/b.Elapsed().Seconds(), "lines/s")
}

// BenchmarkK6LineParser is the parser alone on a http_req_duration Point.
func BenchmarkK6LineParser(b *testing.B) {
	line := []byte(`{"metric":"http_req_duration","type":"Point","data":{"time":"2026-08-21T10:00:00.123456789Z","value":12.345,"tags":{"expected_response":"true","group":"","method":"GET","name":"http://sut:8080/api","proto":"HTTP/1.1","scenario":"open","status":"200","url":"http://sut:8080/api"}}}`)
	var p k6LineParser
	b.SetBytes(int64(len(line)))
	for range b.N {
		if _, err := p.parse(line); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lines/s")
}

// k6Point is one Point line.
func k6Point(metric, at string, value float64) string {
	return fmt.Sprintf(`{"metric":%q,"type":"Point","data":{"time":%q,"value":%v,"tags":null}}`, metric, at, value) + "\n"
}

// TestK6Stream_RefusesSamplesOutsideTheRun: a sample dated far outside the
// run (9999-12-31 allocated a window per second up to it: gigabytes), a
// negative latency or an absurd count is an error naming its line.
func TestK6Stream_RefusesSamplesOutsideTheRun(t *testing.T) {
	sched := loadtest.Schedule{StartRate: 10, Stages: []loadtest.Stage{{Duration: 6 * time.Second, Target: 10}}, Speedup: 1}
	const t0 = "2026-08-21T10:00:00Z"
	for _, tc := range []struct {
		name, in, want string
	}{
		{"year 9999", k6Point("vus", t0, 1) + k6Point("http_req_duration", "9999-12-31T23:59:59Z", 12),
			"k6 output line 2: sample dated 9999-12-31T23:59:59Z is 2562047h47m16.854775807s after the first sample (line 1, 2026-08-21T10:00:00Z): outside the run, which ends within 5m6s"},
		{"first sample in 9999", k6Point("http_reqs", "9999-12-31T23:59:59Z", 1) + k6Point("http_reqs", t0, 1),
			"k6 output line 2: sample dated 2026-08-21T10:00:00Z is 2562047h47m16.854775807s before the first sample (line 1, 9999-12-31T23:59:59Z)"},
		{"year 1", k6Point("http_reqs", t0, 1) + k6Point("http_reqs", "0001-01-01T00:00:00Z", 1), "k6 output line 2: sample dated 0001-01-01T00:00:00Z"},
		{"an hour late", k6Point("http_reqs", t0, 1) + k6Point("http_reqs", "2026-08-21T11:00:00Z", 1), "k6 output line 2: sample dated 2026-08-21T11:00:00Z is 1h0m0s after"},
		{"negative latency", k6Point("http_reqs", t0, 1) + k6Point("http_req_duration", t0, -5), "k6 output line 2: http_req_duration -5: a latency must be a finite number of milliseconds ≥ 0"},
		{"huge count", k6Point("http_reqs", t0, 1e300), "k6 output line 1: http_reqs 1e+300: a count must be from 0 to"},
		{"negative drops", k6Point("dropped_iterations", t0, -1), "k6 output line 1: dropped_iterations -1: a count must be"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			agg := newK6Windows(time.Second, sched)
			err := readK6Stream(strings.NewReader(tc.in), agg, func([]loadtest.Window) {})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v\nwant %q", err, tc.want)
			}
			if len(agg.windows) > 1 {
				t.Errorf("%d windows allocated", len(agg.windows))
			}
		})
	}
	// Within the run, a little before the first sample (one flush out of
	// order) and after the schedule (the graceful stop) are fine.
	in := k6Point("http_reqs", t0, 1) + k6Point("http_reqs", "2026-08-21T09:59:59.9Z", 1) + k6Point("http_req_duration", "2026-08-21T10:00:40Z", 3)
	agg := newK6Windows(time.Second, sched)
	if err := readK6Stream(strings.NewReader(in), agg, func([]loadtest.Window) {}); err != nil || len(agg.windows) != 41 {
		t.Errorf("err %v, %d windows, want nil and 41", err, len(agg.windows))
	}
}

// FuzzK6Stream: whatever k6 prints, with any sample times, reading it
// never panics and never allocates more windows than the run can have.
func FuzzK6Stream(f *testing.F) {
	data, err := os.ReadFile(filepath.Join("testdata", "k6", "run.ndjson"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data[:min(len(data), 4000)])
	const t0 = "2026-08-21T10:00:00Z"
	for _, s := range []string{
		k6Point("vus", t0, 1) + k6Point("http_req_duration", "9999-12-31T23:59:59Z", 12),
		k6Point("http_reqs", "9999-12-31T23:59:59Z", 1) + k6Point("http_reqs", t0, 1),
		k6Point("http_reqs", t0, 1) + k6Point("http_reqs", "0001-01-01T00:00:00Z", 1),
		k6Point("http_reqs", t0, 1) + k6Point("http_req_duration", t0, -5),
		k6Point("http_reqs", t0, 1e300) + k6Point("dropped_iterations", "2026-08-21T10:00:05.5+02:00", 3),
		k6Point("http_req_failed", "2026-08-21T10:00:00.123456789-07:00", 1) + k6Point("http_req_duration", "2026-08-21T10:00:01Z", 1e308),
	} {
		f.Add([]byte(s))
	}
	sched := loadtest.Schedule{StartRate: 10, Stages: []loadtest.Stage{{Duration: 6 * time.Second, Target: 10}}, Speedup: 1}
	f.Fuzz(func(t *testing.T, in []byte) {
		agg := newK6Windows(time.Second, sched)
		agg.late = time.Minute
		_ = readK6Stream(bytes.NewReader(in), agg, func([]loadtest.Window) {})
		if limit := int((sched.Duration()+agg.late)/time.Second) + 1; len(agg.windows) > limit {
			t.Fatalf("%d windows, more than the %d the run can have", len(agg.windows), limit)
		}
		var res loadtest.Result
		agg.finish(&res)
		for i, w := range res.Windows {
			if w.Sent < 0 || w.Dropped < 0 || w.P95 < 0 || math.IsNaN(w.Mean) {
				t.Fatalf("window %d: %+v", i, w)
			}
		}
	})
}
