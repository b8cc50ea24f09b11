package planfile

import (
	"strings"
	"testing"
	"time"

	"github.com/headroom-dev/headroom/scenarios"
)

func ptr[T any](v T) *T { return &v }

const inputsPlan = `services:
  - name: api # the shop's API
    # the user's own note
    serviceTime: {mean: 100ms, cv: 1.5}
    cpu:
      observedPerPod: 350m # assumed
scenarios:
  - name: steady
    duration: 1h
`

func TestSetInputs(t *testing.T) {
	f, err := Parse("p.yaml", []byte(inputsPlan))
	if err != nil {
		t.Fatal(err)
	}
	in := Inputs{
		RequestRate: 16.666666, RequestRateNote: "observed peak",
		ServiceTime: &ServiceTime{Mean: 80 * time.Millisecond, P95: 200 * time.Millisecond, Note: "observed: latency"},
		CPU:         &CPU{PerRequest: 20 * time.Millisecond, IdleMillicores: ptr[int64](50), Note: "observed: cpu fit"},
		Memory:      &Memory{Base: 200 << 20, Note: "observed: memory fit"},
	}
	if err := f.SetInputs("api", in); err != nil {
		t.Fatal(err)
	}
	f.PutScenarios(Scenario{Name: "observed-api", Description: "replay", Start: 90 * time.Minute, Duration: time.Hour,
		Services: []string{"api"}, Replay: []ReplayPoint{{At: 0, Multiplier: 0.5}, {At: 30 * time.Minute, Multiplier: 1}}})
	out, err := f.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	want := `services:
  - name: api # the shop's API
    # the user's own note
    # observed: latency
    serviceTime: {mean: 80ms, p95: 200ms}
    # observed: cpu fit
    cpu:
      perRequest: 20ms
      idle: 50m
    requestRate: 16.6667/s # observed peak
    # observed: memory fit
    memory:
      base: 200Mi
scenarios:
  - name: steady
    duration: 1h
  - name: observed-api
    description: "replay"
    start: "01:30"
    duration: 1h0m0s
    services: [api]
    profile:
      - replay:
          points:
            - {at: 0s, multiplier: 0.5}
            - {at: 30m0s, multiplier: 1}
`
	if got := string(out); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}

	// Writing the same again replaces the notes and the scenario.
	g, err := Parse("p.yaml", out)
	if err != nil {
		t.Fatal(err)
	}
	in.CPU.IdleMillicores = nil
	if err := g.SetInputs("api", in); err != nil {
		t.Fatal(err)
	}
	g.PutScenarios(Scenario{Name: "observed-api", Duration: time.Hour, Services: []string{"api"}, Replay: []ReplayPoint{{Multiplier: 1}}})
	again, err := g.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(again), "observed: cpu fit"); n != 1 {
		t.Errorf("the cpu note appears %d times, want once:\n%s", n, again)
	}
	if strings.Contains(string(again), "idle:") || strings.Count(string(again), "name: observed-api") != 1 {
		t.Errorf("idle kept or scenario appended:\n%s", again)
	}
	if err := g.SetInputs("web", in); err == nil || !strings.Contains(err.Error(), `p.yaml: no service named "web"`) {
		t.Errorf("unknown service: err %v", err)
	}
}

func TestParse_Errors(t *testing.T) {
	for src, want := range map[string]string{
		"- a\n- b\n":      "p.yaml: not a single YAML mapping (a CapacityPlan)",
		"apiVersion: x\n": "p.yaml: no services list",
		"a: [\n":          "p.yaml: yaml:",
	} {
		if _, err := Parse("p.yaml", []byte(src)); err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("Parse(%q): err %v, want %q", src, err, want)
		}
	}
}

const calibrationPlan = `services:
  - name: api
    serviceTime:
      mean: 100ms   # assumed
      # a guess
      p95: 300ms
    cpu:
      observedPerPod: 350m
  - name: flow
    serviceTime: {mean: 1s, cv: 1}
`

func TestApplyCalibration(t *testing.T) {
	c := Calibration{Service: "api", Mean: 21340 * time.Microsecond, CV: ptr(1.02),
		CPUPerRequest: ptr(2100 * time.Microsecond), IdleMillicores: ptr[int64](45), Note: "calibrated"}
	out, err := ApplyCalibration("p.yaml", []byte(calibrationPlan), c)
	if err != nil {
		t.Fatal(err)
	}
	// Spliced: the alignment before the comment and the flow mapping of
	// the other service stay as written.
	want := `services:
  - name: api
    serviceTime:
      mean: 21.34ms # calibrated
      cv: 1.02 # calibrated
    cpu:
      perRequest: 2.1ms # calibrated
      idle: 45m # calibrated
  - name: flow
    serviceTime: {mean: 1s, cv: 1}
`
	if got := string(out); got != want {
		t.Errorf("spliced: got\n%s\nwant\n%s", got, want)
	}

	// A flow mapping is re-encoded.
	c.Service, c.CV, c.P95, c.CPUPerRequest, c.Note = "flow", nil, 64100*time.Microsecond, nil, ""
	out, err = ApplyCalibration("p.yaml", []byte(calibrationPlan), c)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "serviceTime: {mean: 21.34ms, p95: 64.1ms}") {
		t.Errorf("re-encoded: got\n%s", out)
	}
	if _, err := ApplyCalibration("p.yaml", []byte(calibrationPlan), Calibration{Service: "web"}); err == nil {
		t.Error("unknown service accepted")
	}
}

func TestRender(t *testing.T) {
	p := &scenarios.Plan{
		APIVersion: scenarios.APIVersion, Kind: scenarios.Kind,
		Metadata:  scenarios.Metadata{Name: "shop"},
		Services:  []scenarios.Service{{Name: "api", Replicas: 2}},
		Scenarios: []scenarios.Scenario{{Name: "steady", Duration: scenarios.Duration(time.Hour)}},
	}
	out, err := Render(p, Annotations{
		Header:    "discovered",
		Services:  []ServiceNotes{{Name: "- a note", Fields: []FieldNote{{"cpu", "TODO: cpu"}, {"serviceTime.mean", "TODO: mean"}, {"absent.key", "never"}}}},
		Scenarios: "traffic",
		NodeTypes: "nodes",
	})
	if err != nil {
		t.Fatal(err)
	}
	got := string(out)
	for _, s := range []string{"# discovered\n", "  - # - a note\n    name: api\n", "    # TODO: cpu\n    cpu: {}\n", "      # TODO: mean\n      mean: 0s\n", "  # nodes\n  nodeTypes:", "# traffic\nscenarios:\n"} {
		if !strings.Contains(got, s) {
			t.Errorf("output lacks %q:\n%s", s, got)
		}
	}
	if strings.Contains(got, "never") || strings.Contains(got, "simulation:") {
		t.Errorf("an absent field was annotated or an empty default kept:\n%s", got)
	}
}

// FuzzApplyCalibration checks that no input panics and that an edited
// file can be edited again.
func FuzzApplyCalibration(f *testing.F) {
	f.Add([]byte(calibrationPlan))
	f.Add([]byte(inputsPlan))
	f.Add([]byte("services:\n  - name: api\n    serviceTime: 3\n    cpu: [1]\n"))
	c := Calibration{Service: "api", Mean: 20 * time.Millisecond, CV: ptr(1.0), CPUPerRequest: ptr(time.Millisecond), Note: "x"}
	f.Fuzz(func(t *testing.T, data []byte) {
		out, err := ApplyCalibration("fuzz.yaml", data, c)
		if err != nil {
			return
		}
		if _, err := ApplyCalibration("fuzz.yaml", out, c); err != nil {
			t.Fatalf("the edited file cannot be edited again: %v\n%s", err, out)
		}
	})
}

// TestApplyCalibration_Empirical: a calibrated mean and p95 (or cv) replace
// an empirical histogram, keeping a fitted family when there is one.
func TestApplyCalibration_Empirical(t *testing.T) {
	const plan = `services:
  - name: api
    serviceTime:
      distribution: empirical
      histogram:
        - {le: 10ms, count: 40}
        - {le: 25ms, count: 50}
`
	for _, c := range []Calibration{
		{Service: "api", Mean: 21 * time.Millisecond, P95: 60 * time.Millisecond},
		{Service: "api", Mean: 21 * time.Millisecond, CV: ptr(1.5), Distribution: "lognormal"},
	} {
		out, err := ApplyCalibration("p.yaml", []byte(plan), c)
		if err != nil {
			t.Fatal(err)
		}
		s := string(out)
		if strings.Contains(s, "histogram") || strings.Contains(s, "empirical") || !strings.Contains(s, "mean: 21ms") {
			t.Errorf("%+v: got\n%s", c, s)
		}
		if c.Distribution != "" && !strings.Contains(s, "distribution: lognormal") {
			t.Errorf("%+v: family lost:\n%s", c, s)
		}
	}
	f, err := Parse("p.yaml", []byte(plan))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.SetInputs("api", Inputs{RequestRate: 10, ServiceTime: &ServiceTime{Mean: 20 * time.Millisecond, P95: 50 * time.Millisecond}}); err != nil {
		t.Fatal(err)
	}
	out, err := f.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	if s := string(out); strings.Contains(s, "histogram") || strings.Contains(s, "empirical") || !strings.Contains(s, "p95: 50ms") {
		t.Errorf("SetInputs: got\n%s", s)
	}
}
