package k6

import (
	"bufio"
	"bytes"
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
