package k6

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// The k6 fixtures under testdata/k6 are NDJSON in the shapes k6 v2.2.0
// writes with --out json (k6 docs: Results output / JSON): Point keys
// metric,type,data; Metric keys type,data,metric; RFC 3339 times; ms
// values; a Metric line right before a metric's first Point; the
// abortOnFail threshold object form; metadata on some points.
// TestK6Fixtures rewrites them with -update.
//
// run.ndjson: 6 s at 10 requests/s to http://sut:8080/api, latency
// 10 ms + 5 ms·(i mod 10) (+ 200 ms for every 20th), every 15th request
// answered 500, 3 dropped iterations at t≈4.5 s, the vus gauge every second.
const (
	k6FixtureRequests = 60
	k6FixtureRate     = 10
	k6FixtureFailures = 4 // i = 0, 15, 30, 45
	k6FixtureDropped  = 3
)

func k6FixtureLatencyMs(i int) float64 {
	ms := 10 + 5*float64(i%10)
	if i%20 == 19 {
		ms += 200
	}
	return ms
}

func writeK6Fixture() []byte {
	var b bytes.Buffer
	t0 := time.Date(2026, 8, 21, 10, 0, 0, 0, time.UTC)
	declared := map[string]bool{}
	metricTypes := map[string][2]string{
		"vus": {"gauge", "default"}, "vus_max": {"gauge", "default"},
		"http_reqs": {"counter", "default"}, "http_req_failed": {"rate", "default"},
		"iterations": {"counter", "default"}, "data_sent": {"counter", "data"}, "data_received": {"counter", "data"},
		"dropped_iterations": {"counter", "default"},
	}
	thresholds := map[string]string{
		"http_req_duration":  `["p(95)<1000"]`,
		"http_req_failed":    `["rate<0.02"]`,
		"dropped_iterations": `[{"threshold":"count==0","abortOnFail":false,"delayAbortEval":""}]`,
	}
	point := func(metric string, at time.Time, value float64, tags string) {
		if !declared[metric] {
			declared[metric] = true
			typ, contains := "trend", "time"
			if mt, ok := metricTypes[metric]; ok {
				typ, contains = mt[0], mt[1]
			}
			th := thresholds[metric]
			if th == "" {
				th = "[]"
			}
			sub := "null"
			if metric == "http_req_duration" {
				sub = `[{"name":"http_req_duration{expected_response:true}","suffix":"expected_response:true","tags":{"expected_response":"true"}}]`
			}
			fmt.Fprintf(&b, `{"type":"Metric","data":{"name":%q,"type":%q,"contains":%q,"thresholds":%s,"submetrics":%s},"metric":%q}`+"\n",
				metric, typ, contains, th, sub, metric)
		}
		fmt.Fprintf(&b, `{"metric":%q,"type":"Point","data":{"time":%q,"value":%s,"tags":%s}}`+"\n",
			metric, at.Format(time.RFC3339Nano), fmtNum(value), tags)
	}
	for s := 0; s <= 6; s++ {
		at := t0.Add(time.Duration(s) * time.Second)
		point("vus_max", at, 20, "null")
		point("vus", at, 3, "null")
		for i := s * k6FixtureRate; i < (s+1)*k6FixtureRate && i < k6FixtureRequests; i++ {
			start := t0.Add(time.Duration(i) * time.Second / k6FixtureRate)
			lat := k6FixtureLatencyMs(i)
			end := start.Add(time.Duration(lat * float64(time.Millisecond)))
			status, expected, failed := "200", "true", 0.0
			if i%15 == 0 {
				status, expected, failed = "500", "false", 1
			}
			tags := fmt.Sprintf(`{"expected_response":%q,"group":"","method":"GET","name":"GET http://sut:8080/api","proto":"HTTP/1.1","scenario":"load","status":%q,"tls_version":"","url":"http://sut:8080/api"}`, expected, status)
			point("http_reqs", end, 1, tags)
			point("http_req_duration", end, lat, tags)
			point("http_req_blocked", end, 0.004, tags)
			point("http_req_connecting", end, 0, tags)
			point("http_req_tls_handshaking", end, 0, tags)
			point("http_req_sending", end, 0.021, tags)
			point("http_req_waiting", end, lat-0.05, tags)
			point("http_req_receiving", end, 0.029, tags)
			point("http_req_failed", end, failed, tags)
			it := `{"group":"","scenario":"load"}`
			point("data_sent", end, 87, it)
			point("data_received", end, 146, it)
			point("iterations", end, 1, it)
			point("iteration_duration", end, lat+0.1, it)
			if i == 45 {
				for d := 0; d < k6FixtureDropped; d++ {
					point("dropped_iterations", end.Add(time.Duration(d)*time.Millisecond), 1, `{"scenario":"load"}`)
				}
			}
		}
	}
	// The verbatim line of k6's json_test.go (a custom metric, metadata).
	b.WriteString(`{"type":"Point","data":{"time":"2026-08-21T10:00:05.9Z","value":1,"tags":{"tag1":"val1"},"metadata":{"meta1":"foo","meta2":"bar"}},"metric":"my_metric1"}` + "\n")
	return b.Bytes()
}

// k6BrokenLine is where the malformed fixture breaks.
const k6BrokenLine = 40

func TestK6Fixtures(t *testing.T) {
	run := writeK6Fixture()
	lines := bytes.SplitAfter(run, []byte("\n"))
	lines[k6BrokenLine-1] = []byte(`{"metric":"http_req_duration","type":"Point","data":{"time":"2026-08-21T10:00:03Z","value":12.5,` + "\n")
	broken := bytes.Join(lines, nil)
	for name, got := range map[string][]byte{"run.ndjson": run, "broken.ndjson": broken} {
		path := filepath.Join("testdata", "k6", name)
		if k6Update() {
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is stale: go test ./loadtest -run TestK6Fixtures -update", path)
		}
	}
}
