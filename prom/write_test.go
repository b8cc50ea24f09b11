package prom

import (
	"bytes"
	"flag"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/headroom-dev/headroom/scenarios"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func golden(t *testing.T, ext string, got []byte) {
	t.Helper()
	path := "testdata/" + strings.ReplaceAll(t.Name(), "/", "_") + ".golden." + ext
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./prom -run %s -update)", err, t.Name())
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (rerun with -update and review the diff):\n%s", path, got)
	}
}

// TestUpdatePlan writes the observations of the exact world over three
// days into testdata/shop.yaml.
func TestUpdatePlan(t *testing.T) {
	w := world{start: testEnd.Add(-3 * 24 * time.Hour)}
	obs, err := observeFake(t, &fakeProm{rules: w.rules(), buckets: testBuckets},
		Options{Window: 3 * 24 * time.Hour, Step: 5 * time.Minute, ReplayStep: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	_, src := testPlan(t)
	out, err := UpdatePlan("shop.yaml", src, obs, WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "yaml", out)

	p, err := scenarios.Parse("observed.yaml", out)
	if err != nil {
		t.Fatal(err)
	}
	s := p.Service("api")
	if s.CPU.PerRequest == nil || s.CPU.PerRequest.D() != 20*time.Millisecond || s.CPU.ObservedPerPod != nil {
		t.Errorf("cpu = %+v, want perRequest 20ms and no observedPerPod", s.CPU)
	}
	if s.ServiceTime.CV != nil || s.ServiceTime.P95 == nil {
		t.Errorf("serviceTime = %+v, want p95 and no cv", s.ServiceTime)
	}
	if !strings.Contains(string(out), "# CPU per request, before observing") {
		t.Error("the user's comment on cpu was dropped")
	}

	// Observing again replaces, it does not append.
	again, err := UpdatePlan("observed.yaml", out, obs, WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, out) {
		t.Errorf("a second UpdatePlan changed the plan:\n%s", again)
	}
}

func TestUpdatePlan_RateStatistic(t *testing.T) {
	_, src := testPlan(t)
	o := fixedObservation()
	out, err := UpdatePlan("shop.yaml", src, []*Observation{o}, WriteOptions{Rate: RateP95, NoScenarios: true})
	if err != nil {
		t.Fatal(err)
	}
	p, err := scenarios.Parse("observed.yaml", out)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Service("api").RequestRate.PerSecond; got != o.Rate.P95 {
		t.Errorf("requestRate = %g, want the p95 %g", got, o.Rate.P95)
	}
	if len(p.Scenarios) != 1 {
		t.Errorf("--no-scenarios wrote %d scenarios", len(p.Scenarios))
	}
	if _, err := ParseRateStatistic("p90"); err == nil {
		t.Error("p90 accepted")
	}
}

func TestUpdatePlan_Errors(t *testing.T) {
	o := fixedObservation()
	_, src := testPlan(t)
	tests := []struct {
		name string
		src  string
		obs  func(*Observation)
		want string
	}{
		{"not a mapping", "- a\n- b\n", nil, "not a single YAML mapping"},
		{"no services", "apiVersion: x\n", nil, "no services list"},
		{"unknown service", string(src), func(o *Observation) { o.Service = "web" }, `no service named "web"`},
		{"zero rate", string(src), func(o *Observation) { o.Rate.Peak = 0 }, "the peak request rate is 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			oo := *o
			if tt.obs != nil {
				tt.obs(&oo)
			}
			_, err := UpdatePlan("p.yaml", []byte(tt.src), []*Observation{&oo}, WriteOptions{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want %q", err, tt.want)
			}
		})
	}
}

// fixedObservation is an observation built by hand, for tests that need no
// server.
func fixedObservation() *Observation {
	start := testEnd.Add(-24 * time.Hour)
	return &Observation{
		Service: "api", Namespace: "shop", Start: start, End: testEnd, Step: scenarios.Seconds(time.Minute),
		Rate:        RateStats{Peak: 40, P99: 39, P95: 35, P50: 20, Mean: 22, Points: 1441, Hours: 24},
		ServiceTime: &ServiceTimeStats{MeanSeconds: 0.08, P95Seconds: 0.2, Buckets: 16, Points: 1441, Hours: 24},
		CPU:         &Fit{Intercept: 0.05, Slope: 0.02, R2: 0.99, ResidualSD: 0.01, Points: 1441, Hours: 24},
		Memory:      &Fit{Intercept: 200 << 20, Slope: 8 << 20, R2: 0.98, ResidualSD: 1 << 20, Points: 1441, Hours: 24},
		Replay:      []RatePoint{{Offset: scenarios.Seconds(30 * time.Minute), Value: 20}, {Offset: scenarios.Seconds(90 * time.Minute), Value: 40}},
	}
}

func FuzzUpdatePlan(f *testing.F) {
	for _, name := range []string{"testdata/shop.yaml", "../scenarios/testdata/minimal.yaml", "../scenarios/testdata/observe.yaml"} {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		out, err := UpdatePlan("fuzz.yaml", src, []*Observation{fixedObservation()}, WriteOptions{})
		if err != nil {
			return
		}
		// Whatever UpdatePlan returns is a valid plan.
		if _, err := scenarios.Parse("out.yaml", out); err != nil {
			t.Fatalf("UpdatePlan returned a plan that does not parse: %v", err)
		}
	})
}

func mustRead(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
