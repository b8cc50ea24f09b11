//go:build e2e

package prom

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"testing"
	"time"

	jsv "github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/headroom-dev/headroom/prom/internal/gen"
	"github.com/headroom-dev/headroom/scenarios"
)

// TestE2E_ObserveRecoversKnownParameters runs against the Prometheus the
// suite hack/e2e/suites/20-prometheus.sh starts over data from package gen,
// and checks every recovered parameter within 5 % of the generator's.
func TestE2E_ObserveRecoversKnownParameters(t *testing.T) {
	url, endS := os.Getenv("HEADROOM_E2E_PROMETHEUS_URL"), os.Getenv("HEADROOM_E2E_END")
	if url == "" || endS == "" {
		t.Skip("HEADROOM_E2E_PROMETHEUS_URL and HEADROOM_E2E_END are set by hack/e2e/suites/20-prometheus.sh")
	}
	end, err := time.Parse(time.RFC3339, endS)
	if err != nil {
		t.Fatal(err)
	}
	truth := gen.Default(end)
	src, err := os.ReadFile("testdata/shop.yaml")
	if err != nil {
		t.Fatal(err)
	}
	plan, err := scenarios.Parse("testdata/shop.yaml", src)
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewClient(url, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	obs, err := c.Observe(ctx, plan, Options{End: truth.End, Window: 14 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	checkObserveSchema(t, obs)
	o := obs[0]
	for _, p := range o.Problems {
		t.Errorf("problem: %s", p)
	}
	for _, w := range o.Warnings {
		t.Logf("warning: %s", w)
	}

	var peak float64
	for ts := truth.Start(); !ts.After(truth.End); ts = ts.Add(time.Minute) {
		peak = math.Max(peak, truth.Rate(ts))
	}
	if o.CPU == nil || o.Memory == nil || o.ServiceTime == nil || o.Forecast == nil {
		t.Fatalf("missing parts: cpu %v memory %v serviceTime %v forecast %v", o.CPU, o.Memory, o.ServiceTime, o.Forecast)
	}
	lastPeak := o.Forecast.Peaks[len(o.Forecast.Peaks)-1].At
	forecastTruth := truth.TrendPeak(lastPeak.Add(DefaultHorizon))
	checks := []struct {
		name      string
		got, want float64
	}{
		{"peak request rate (req/s)", o.Rate.Peak, peak},
		{"CPU per request (s)", o.CPU.Slope, truth.CPUPerRequest},
		{"idle CPU (cores)", o.CPU.Intercept, truth.IdleCPU},
		{"mean service time (s)", o.ServiceTime.MeanSeconds, truth.ServiceMean},
		{"p95 service time (s)", o.ServiceTime.P95Seconds, truth.ServiceP95()},
		{"memory base (bytes)", o.Memory.Intercept, truth.MemoryBase},
		{"memory per in-flight request (bytes)", o.Memory.Slope, truth.MemoryPerInFlight},
		{"forecast peak in 90 days (req/s)", o.Forecast.Point, forecastTruth},
	}
	for _, c := range checks {
		rel := math.Abs(c.got-c.want) / math.Abs(c.want)
		t.Logf("%-38s observed %-12.6g true %-12.6g error %.3f %%", c.name, c.got, c.want, 100*rel)
		if !(rel <= 0.05) {
			t.Errorf("%s = %g, want %g within 5 %% (off by %.2f %%)", c.name, c.got, c.want, 100*rel)
		}
	}
	t.Logf("cpu fit: R² %.4f, residual sd %.4g cores, %d points, %.1f h; memory fit: R² %.4f, %d points; rate: %d points, %d gaps",
		o.CPU.R2, o.CPU.ResidualSD, o.CPU.Points, o.CPU.Hours, o.Memory.R2, o.Memory.Points, o.Rate.Points, o.Rate.Gaps)
	t.Logf("forecast: %d daily peaks (%.1f %% daily scatter), slope %.4g req/s/day (true %g), R² %.4f, %.0f %% interval %.5g–%.5g, true trend %.5g",
		len(o.Forecast.Peaks), 100*truth.PeakNoise, o.Forecast.Slope, truth.TrendPerDay, o.Forecast.R2, 100*o.Forecast.Level, o.Forecast.Lower, o.Forecast.Upper, forecastTruth)
	if !(o.Forecast.Lower <= forecastTruth && forecastTruth <= o.Forecast.Upper) {
		t.Errorf("true forecast %g outside the prediction interval [%g, %g]", forecastTruth, o.Forecast.Lower, o.Forecast.Upper)
	}
	// The generator stops the scrape for an hour; rate() over 5m bridges
	// the gap's first minutes, so at least 60 - 5 steps are missing.
	if o.Rate.Gaps < 55 {
		t.Errorf("rate gaps = %d, want at least the generator's one-hour gap less the 5m rate window (55 steps)", o.Rate.Gaps)
	}
	if o.CPU.LowConfidence || o.Memory.LowConfidence || o.Rate.LowConfidence {
		t.Errorf("low confidence on 14 days of data: cpu %v memory %v rate %v", o.CPU.Reasons, o.Memory.Reasons, o.Rate.Reasons)
	}

	out, err := UpdatePlan("shop.yaml", src, obs, WriteOptions{Source: url})
	if err != nil {
		t.Fatal(err)
	}
	p2, err := scenarios.Parse("observed.yaml", out)
	if err != nil {
		t.Fatal(err)
	}
	rep := p2.Scenario(ReplayScenarioName("api"))
	fc := p2.Scenario(ForecastScenarioName("api"))
	if rep == nil || fc == nil {
		t.Fatalf("observed plan lacks the replay or forecast scenario")
	}
	svc := p2.Service("api")
	if got := fc.Peak(p2.Seed).Multiplier * svc.RequestRate.PerSecond; math.Abs(got-o.Forecast.Upper)/o.Forecast.Upper > 0.01 {
		t.Errorf("forecast scenario peaks at %g req/s, want the upper bound %g", got, o.Forecast.Upper)
	}
	if got := rep.Peak(p2.Seed).Multiplier * svc.RequestRate.PerSecond; math.Abs(got-peak)/peak > 0.05 {
		t.Errorf("replay scenario peaks at %g req/s, want %g within 5 %%", got, peak)
	}

	// The right-sizing helper's entry point: one sample per pod per step.
	cpu, mem, err := c.containerUsage(ctx, "shop", "api", "api", truth.End, 24*time.Hour, 5*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if want := 3 * (24*12 + 1); len(cpu) < want-3*2 || len(mem) < want-3 {
		t.Errorf("ContainerUsage: %d cpu and %d memory samples, want about %d each", len(cpu), len(mem), want)
	}
}

// checkObserveSchema validates what `observe -o json` prints (the
// observations, as printJSON encodes them) against the committed JSON
// Schema docs/schema/observe.json: its real output needs a Prometheus, so
// this suite is where the schema meets it.
func checkObserveSchema(t *testing.T, obs []*Observation) {
	t.Helper()
	data, err := json.MarshalIndent(obs, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open("../docs/schema/observe.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsv.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsv.NewCompiler()
	if err := c.AddResource("https://headroom.dev/schema/observe.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("https://headroom.dev/schema/observe.json")
	if err != nil {
		t.Fatal(err)
	}
	v, err := jsv.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(v); err != nil {
		t.Errorf("observe -o json does not match docs/schema/observe.json: %v", err)
	}
}
