package k6

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/headroom-dev/headroom/loadtest"
	"github.com/headroom-dev/headroom/scenarios"
)

// -update rewrites golden files: go test ./loadtest -update. The flag is
// registered here unless another test file of the package already did
// (package variables initialise before init functions).
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite golden files under testdata/")
	}
}

// k6Update reports whether -update was given.
func k6Update() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// golden compares got with testdata/<name>, or rewrites it with -update.
func k6Golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if k6Update() {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./loadtest -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file; rerun with -update and review the diff\n--- got (first 2000 bytes)\n%s", path, got[:min(len(got), 2000)])
	}
}

// nodeCheck parses a script as an ES module with node --check.
func k6NodeCheck(t *testing.T, script []byte) {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed; cannot check the script parses")
	}
	path := filepath.Join(t.TempDir(), "script.mjs")
	if err := os.WriteFile(path, script, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(node, "--check", path).CombinedOutput(); err != nil {
		t.Fatalf("node --check: %v\n%s", err, out)
	}
}

func k6NoaPlan(t testing.TB) *scenarios.Plan {
	t.Helper()
	p, err := scenarios.Example("noa.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestK6ScriptFor_Golden(t *testing.T) {
	plan := k6NoaPlan(t)
	for _, tc := range []struct {
		name, service, scenario string
		speedup                 float64
		buckets                 bool
	}{
		{"noa-mcp-daily-60x", "noa-mcp", "daily", 60, false},
		{"noa-claude-flow-spike-30x", "noa-claude-flow", "event-spike", 30, false},
		{"noa-ui-growth-buckets", "noa-ui", "growth-2x", 10, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := ScriptFor(plan, tc.service, tc.scenario, "http://sut.example:8080/api", tc.speedup, 0)
			if err != nil {
				t.Fatal(err)
			}
			s.LatencyBuckets = tc.buckets
			b, err := s.Render()
			if err != nil {
				t.Fatal(err)
			}
			again, _ := s.Render()
			if !bytes.Equal(b, again) {
				t.Error("two renders differ")
			}
			k6Golden(t, "k6script-"+tc.name+".golden.js", b)
			k6NodeCheck(t, b)
			for _, forbidden := range []string{"k6/x/", "jslib.k6.io", "http://", "sleep("} {
				if forbidden == "http://" {
					continue // the target itself
				}
				if bytes.Contains(b, []byte(forbidden)) {
					t.Errorf("script contains %q", forbidden)
				}
			}
		})
	}
}

func TestK6ScriptFor_SLOThresholdsAndVUs(t *testing.T) {
	plan := k6NoaPlan(t)
	s, err := ScriptFor(plan, "noa-mcp", "daily", "http://sut:8080/", 60, 0)
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Render()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`http_req_duration: ["p(95)<1000"]`, // slo.latency 0.95 / 1s
		`http_req_failed: ["rate<0.02"]`,    // slo.errorRate 0.02
		`dropped_iterations: ['count==0']`,
		`executor: 'ramping-arrival-rate'`,
		`timeUnit: "10s"`, // peak ~33 req/s: 10 s units keep the rounding small
		`gracefulStop: "30s"`,
	} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("script lacks %s", want)
		}
	}
	// Little's law: preAllocatedVUs = ceil(2·λ·W)+5 ≥ λ·W, maxVUs = λ·timeout.
	peak := s.Schedule.Peak()
	if s.MaxVUs < int(peak*30) {
		t.Errorf("maxVUs %d below peak %v × 30 s timeout", s.MaxVUs, peak)
	}
	if s.PreAllocatedVUs < 6 || s.PreAllocatedVUs > s.MaxVUs {
		t.Errorf("preAllocatedVUs %d out of range (max %d)", s.PreAllocatedVUs, s.MaxVUs)
	}
}

func TestK6Stages(t *testing.T) {
	for _, tc := range []struct {
		name      string
		sched     loadtest.Schedule
		unit      time.Duration
		wantStart int64
		want      []k6Stage
		wantErr   string
	}{
		{
			name:  "merges equal targets",
			sched: loadtest.Schedule{StartRate: 10, Stages: []loadtest.Stage{{Duration: time.Second, Target: 10}, {Duration: time.Second, Target: 10.2}, {Duration: time.Second, Target: 20}}},
			unit:  time.Second, wantStart: 10,
			want: []k6Stage{{10, 2 * time.Second}, {20, time.Second}},
		},
		{
			name:  "collinear ramps merge",
			sched: loadtest.Schedule{StartRate: 10, Stages: []loadtest.Stage{{Duration: time.Second, Target: 20}, {Duration: 2 * time.Second, Target: 40}, {Duration: time.Second, Target: 40}}},
			unit:  time.Second, wantStart: 10,
			want: []k6Stage{{40, 3 * time.Second}, {40, time.Second}},
		},
		{
			name:  "a ramp is not stretched by a flat tail",
			sched: loadtest.Schedule{StartRate: 10, Stages: []loadtest.Stage{{Duration: time.Second, Target: 20}, {Duration: time.Second, Target: 20}, {Duration: time.Second, Target: 20}}},
			unit:  time.Second, wantStart: 10,
			want: []k6Stage{{20, time.Second}, {20, 2 * time.Second}},
		},
		{
			name:  "fractional rate in a longer unit",
			sched: loadtest.Schedule{StartRate: 0.5, Stages: []loadtest.Stage{{Duration: 1500 * time.Millisecond, Target: 1.25}}},
			unit:  time.Minute, wantStart: 30,
			want: []k6Stage{{75, 1500 * time.Millisecond}},
		},
		{name: "no stages", sched: loadtest.Schedule{StartRate: 1}, unit: time.Second, wantErr: "no stages"},
		{name: "negative rate", sched: loadtest.Schedule{Stages: []loadtest.Stage{{Duration: time.Second, Target: -1}}}, unit: time.Second, wantErr: "stage 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start, got, err := k6Stages(tc.sched, tc.unit)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if start != tc.wantStart || len(got) != len(tc.want) {
				t.Fatalf("start %d stages %v, want %d %v", start, got, tc.wantStart, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("stage %d = %v, want %v", i, got[i], tc.want[i])
				}
			}
		})
	}
}

func TestK6Script_ValidateNamesTheField(t *testing.T) {
	base := Script{Target: "http://x/", Timeout: time.Second, PreAllocatedVUs: 1, MaxVUs: 1,
		Schedule: loadtest.Schedule{Stages: []loadtest.Stage{{Duration: time.Second, Target: 1}}}}
	for _, tc := range []struct {
		name string
		mod  func(*Script)
		want string
	}{
		{"no target", func(s *Script) { s.Target = "" }, "target"},
		{"not http", func(s *Script) { s.Target = "ftp://x" }, "http://"},
		{"max below pre", func(s *Script) { s.MaxVUs = 0 }, "maxVUs"},
		{"quantile", func(s *Script) { s.LatencyQuantile = 1.5 }, "quantile"},
		{"error rate", func(s *Script) { s.ErrorRate = 2 }, "error rate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := base
			tc.mod(&s)
			if _, err := s.Render(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to name %q", err, tc.want)
			}
		})
	}
}

func TestK6LatencyBucketBounds(t *testing.T) {
	b := LatencyBucketBounds()
	if b[0] != 1 || b[8] != 2 || b[len(b)-1] != 131072 {
		t.Errorf("bounds %v … %v, want 1 ms, 2 ms at i=8, 131072 ms last", b[0], b[len(b)-1])
	}
	for i := 1; i < len(b); i++ {
		if !(b[i] > b[i-1]) {
			t.Fatalf("bounds not increasing at %d: %v ≤ %v", i, b[i], b[i-1])
		}
	}
}

func TestPredictedLatency(t *testing.T) {
	plan := k6NoaPlan(t)
	svc := plan.Service("noa-mcp")
	lat, basis, err := PredictedLatency(svc, 1000.0/60)
	if err != nil {
		t.Fatal(err)
	}
	// Today's load on 3 replicas: the p95 sits between the service time's
	// and the 1 s SLO.
	if lat <= 0.25 || lat >= 1 || !strings.Contains(basis, "predicted p95") {
		t.Errorf("latency %v s (%s)", lat, basis)
	}
	// Far beyond what maxReplicas can serve: the timeout.
	lat, basis, err = PredictedLatency(svc, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if lat != svc.Timeout.Seconds() || !strings.Contains(basis, "timeout") {
		t.Errorf("overload: latency %v s (%s), want the %v s timeout", lat, basis, svc.Timeout.Seconds())
	}
}
