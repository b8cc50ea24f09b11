package k6

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/headroom-dev/headroom/loadtest"
)

const (
	envSecret  = "tok-from-env-5f3a"
	fileSecret = "tok-from-file-9c1e"
)

func mixFixture() []loadtest.Endpoint {
	return []loadtest.Endpoint{
		{Name: "read", Method: "GET", URL: "http://api:8080/items?page=1", Weight: 3, Header: []loadtest.Header{
			{Name: "Accept", Value: "application/json"},
			{Name: "Authorization", Value: envSecret, Secret: true, SecretSource: "env:API_TOKEN"},
		}},
		{Name: "write", Method: "POST", URL: "http://api:8080/items", Weight: 1, Body: []byte(`{"id": 7, "note": "it's"}`), Header: []loadtest.Header{
			{Name: "X-Key", Value: fileSecret, Secret: true, SecretSource: "file:secrets/key"},
		}},
	}
}

func mixScript() *Script {
	return &Script{
		Target: "http://api:8080/", Timeout: 5 * time.Second, PreAllocatedVUs: 10, MaxVUs: 50, VUBasis: "fixture",
		Schedule:        loadtest.Schedule{StartRate: 20, Speedup: 1, Stages: []loadtest.Stage{{Duration: time.Minute, Target: 20}}},
		LatencyQuantile: 0.95, LatencyTarget: 0.5, ErrorRate: 0.01,
		Service: "api", Scenario: "steady", Plan: "mix", Endpoints: mixFixture(),
	}
}

// TestScript_Mix: a mix renders as one arrival-rate scenario picking an
// endpoint by cumulative share, each request tagged with its endpoint and
// held to per-endpoint thresholds; secrets are __ENV reads, never values.
func TestScript_Mix(t *testing.T) {
	src, err := mixScript().Render()
	if err != nil {
		t.Fatal(err)
	}
	k6Golden(t, "k6script-mix.golden.js", src)
	s := string(src)
	for _, secret := range []string{envSecret, fileSecret} {
		if strings.Contains(s, secret) {
			t.Fatalf("the script holds a secret value %q", secret)
		}
	}
	for _, want := range []string{
		`"Authorization": __ENV.API_TOKEN`,
		`"X-Key": __ENV.HEADROOM_SECRET_WRITE_X_KEY`,
		`"Accept": "application/json"`,
		`const CUMULATIVE = [0.75, 1];`,
		`tags: { name: "POST http://api:8080/items", endpoint: "write" }`,
		`"http_req_duration{endpoint:read}": ["p(95)<500"]`,
		`"http_req_failed{endpoint:write}": ["rate<0.01"]`,
		`http_req_duration: ["p(95)<500"]`,
		`executor: 'ramping-arrival-rate'`,
		`body: "{\"id\": 7, \"note\": \"it's\"}"`,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("script lacks %s", want)
		}
	}
	if strings.Count(s, "scenarios: {") != 1 || strings.Contains(s, "const TARGET") {
		t.Error("a mix is one scenario without the single-target constants")
	}
	k6NodeCheck(t, src)

	if got := SecretEnvs(mixFixture()); len(got) != 2 || got[0] != "API_TOKEN="+envSecret || got[1] != "HEADROOM_SECRET_WRITE_X_KEY="+fileSecret {
		t.Errorf("SecretEnvs %q", got)
	}
	bad := mixScript()
	bad.Endpoints[1].Name = "read"
	if _, err := bad.Render(); err == nil || !strings.Contains(err.Error(), "duplicate") {
		t.Errorf("duplicate names: %v", err)
	}
	bad = mixScript()
	bad.Endpoints[0].Body = []byte{0xff, 0xfe}
	if _, err := bad.Render(); err == nil || !strings.Contains(err.Error(), "UTF-8") {
		t.Errorf("binary body: %v", err)
	}
}

// TestOperator_MixSecrets: the TestRun carries the mix's script and gives
// its runners each secret variable from the run's Secret, by reference.
func TestOperator_MixSecrets(t *testing.T) {
	objs, err := OperatorSpec{Namespace: "lt", Parallelism: 2, Script: mixScript()}.Render()
	if err != nil {
		t.Fatal(err)
	}
	y, err := objs.YAML()
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{envSecret, fileSecret} {
		if strings.Contains(string(y), secret) {
			t.Fatalf("the manifests hold a secret value")
		}
	}
	env, _, _ := unstructured.NestedSlice(objs.TestRun.Object, "spec", "runner", "env")
	var refs []string
	for _, e := range env {
		m := e.(map[string]any)
		if name, ok, _ := unstructured.NestedString(m, "valueFrom", "secretKeyRef", "name"); ok {
			key, _, _ := unstructured.NestedString(m, "valueFrom", "secretKeyRef", "key")
			refs = append(refs, fmt.Sprintf("%s=%s/%s", m["name"], name, key))
		}
	}
	want := "API_TOKEN=headroom-api-steady-secrets/API_TOKEN HEADROOM_SECRET_WRITE_X_KEY=headroom-api-steady-secrets/HEADROOM_SECRET_WRITE_X_KEY"
	if strings.Join(refs, " ") != want {
		t.Errorf("runner secret refs %q, want %q", refs, want)
	}
	script, _, _ := unstructured.NestedString(objs.ConfigMap.Object, "data", "test.js")
	if !strings.Contains(script, "const ENDPOINTS = [") {
		t.Error("the TestRun's script does not play the mix")
	}
}

// mixNDJSON writes k6 --out json lines for one request (k6 docs: Results
// output / JSON: one Point per metric sample, tags in data.tags, system
// tags status and error_code, plus the script's endpoint tag).
func mixNDJSON(b *strings.Builder, at time.Time, endpoint, method, status, errCode string, ms float64, failed bool) {
	tags := fmt.Sprintf(`{"endpoint":%q,"expected_response":%q,"group":"","method":%q,"name":"%s http://api:8080/x","proto":"HTTP/1.1","scenario":"load","status":%q,"url":"http://api:8080/x"`,
		endpoint, fmt.Sprint(!failed), method, method, status)
	if errCode != "" {
		tags += fmt.Sprintf(`,"error_code":%q,"error":"request failed"`, errCode)
	}
	tags += "}"
	ts := at.UTC().Format(time.RFC3339Nano)
	f := 0
	if failed {
		f = 1
	}
	fmt.Fprintf(b, `{"metric":"http_reqs","type":"Point","data":{"time":%q,"value":1,"tags":%s}}`+"\n", ts, tags)
	fmt.Fprintf(b, `{"metric":"http_req_duration","type":"Point","data":{"time":%q,"value":%g,"tags":%s}}`+"\n", ts, ms, tags)
	fmt.Fprintf(b, `{"metric":"http_req_failed","type":"Point","data":{"time":%q,"value":%d,"tags":%s}}`+"\n", ts, f, tags)
}

// TestK6Stream_Mix: the NDJSON reader keeps windows per endpoint tag and
// classifies each failure by status or k6 error_code, exactly.
func TestK6Stream_Mix(t *testing.T) {
	t0 := time.Date(2026, 8, 21, 10, 0, 0, 0, time.UTC)
	var b strings.Builder
	fmt.Fprintf(&b, `{"metric":"vus","type":"Point","data":{"time":%q,"value":3,"tags":null}}`+"\n", t0.Format(time.RFC3339Nano))
	type req struct {
		at                       time.Duration
		ep, method, status, code string
		ms                       float64
		failed                   bool
	}
	reqs := []req{
		{100 * time.Millisecond, "read", "GET", "200", "", 20, false},
		{300 * time.Millisecond, "read", "GET", "200", "", 30, false},
		{600 * time.Millisecond, "write", "POST", "201", "", 120, false},
		{900 * time.Millisecond, "read", "GET", "503", "1503", 5, true},
		{1200 * time.Millisecond, "read", "GET", "200", "", 25, false},
		{1500 * time.Millisecond, "write", "POST", "0", "1050", 5000, true},
		{1700 * time.Millisecond, "write", "POST", "0", "1212", 1, true},
		{1800 * time.Millisecond, "read", "GET", "401", "1401", 2, true},
		{1900 * time.Millisecond, "read", "GET", "0", "1220", 3, true},
	}
	for _, r := range reqs {
		mixNDJSON(&b, t0.Add(r.at), r.ep, r.method, r.status, r.code, r.ms, r.failed)
	}
	agg := newK6Windows(time.Second, loadtest.Schedule{StartRate: 4, Speedup: 1, Stages: []loadtest.Stage{{Duration: 2 * time.Second, Target: 4}}})
	agg.endpoints(mixFixture())
	if err := readK6Stream(strings.NewReader(b.String()), agg, func([]loadtest.Window) {}); err != nil {
		t.Fatal(err)
	}
	var res loadtest.Result
	agg.finish(&res)
	if len(res.Endpoints) != 2 {
		t.Fatalf("%d endpoint results", len(res.Endpoints))
	}
	read, write := res.Endpoints[0], res.Endpoints[1]
	if read.Name != "read" || read.Path != "/items" || write.Method != "POST" || len(read.Windows) != len(res.Windows) {
		t.Errorf("endpoint headers %+v %+v", read.Name, write.Path)
	}
	check := func(what string, w loadtest.Window, sent, errs int64, classes string) {
		t.Helper()
		if w.Sent != sent || w.Completed != sent || w.Errors != errs || fmt.Sprint(w.ErrorClasses) != classes {
			t.Errorf("%s: sent %d completed %d errors %d classes %v; want %d, %d, %s", what, w.Sent, w.Completed, w.Errors, w.ErrorClasses, sent, errs, classes)
		}
	}
	check("read totals", read.Totals, 6, 3, "map[connection_reset:1 http_401:1 http_503:1]")
	check("write totals", write.Totals, 3, 2, "map[connection_refused:1 timeout:1]")
	check("run totals", res.Totals, 9, 5, "map[connection_refused:1 connection_reset:1 http_401:1 http_503:1 timeout:1]")
	check("read window 0", read.Windows[0], 3, 1, "map[http_503:1]")
	// An endpoint's target rate is its share of the run's.
	if got := read.Totals.TargetRate; got != 3 {
		t.Errorf("read target rate %g, want 0.75 × 4", got)
	}
}

func TestErrorClass(t *testing.T) {
	for _, tc := range []struct{ status, code, want string }{
		{"503", "1503", "http_503"},
		{"404", "", "http_404"},
		{"0", "1050", loadtest.ErrorTimeout},
		{"0", "1211", loadtest.ErrorTimeout},
		{"0", "1212", loadtest.ErrorConnectionRefused},
		{"0", "1220", loadtest.ErrorConnectionReset},
		{"0", "1201", loadtest.ErrorConnectionReset},
		{"0", "1101", loadtest.ErrorDNS},
		{"0", "1310", loadtest.ErrorTLS},
		{"0", "1000", loadtest.ErrorOther},
		{"", "", loadtest.ErrorOther},
		{"abc", "x", loadtest.ErrorOther},
	} {
		if got := errorClass(tc.status, tc.code); got != tc.want {
			t.Errorf("errorClass(%q, %q) = %q, want %q", tc.status, tc.code, got, tc.want)
		}
	}
}
