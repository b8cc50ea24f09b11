package main

import (
	"bytes"
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/headroom-dev/headroom/scenarios"
	"github.com/headroom-dev/headroom/sim"
	"github.com/headroom-dev/headroom/sim/ensemble"
)

// streamed encodes results with simJSON.
func streamed(t *testing.T, results []*sim.Result) ([]byte, error) {
	t.Helper()
	var b bytes.Buffer
	enc := newSimJSON(&b)
	for _, r := range results {
		if err := enc.write(r); err != nil {
			return b.Bytes(), err
		}
	}
	err := enc.close()
	return b.Bytes(), err
}

// TestSimJSON_SameBytesAsMarshalIndent holds the streaming encoder of
// `simulate -o json` to printJSON of the whole slice, byte for byte: on
// real runs (fluid and DES, HPA metrics in the series) and on results with
// every field of a sample set and the floats encoding/json writes in
// exponent form. A field added to sim.Sample and not to appendSample fails
// here.
func TestSimJSON_SameBytesAsMarshalIndent(t *testing.T) {
	plan, err := scenarios.LoadFile(noaPlan, nil)
	if err != nil {
		t.Fatal(err)
	}
	runs := []sim.Options{
		{Scenario: "growth-2x", SampleEvery: time.Minute},
		{Scenario: "event-spike", SampleEvery: 5 * time.Minute, Services: []string{"noa-mcp", "noa-ui"}},
		{Scenario: "growth-2x", SampleEvery: 5 * time.Minute, Mode: sim.ModeDES, Services: []string{"noa-ui"}},
	}
	real, err := ensemble.Run(context.Background(), plan, runs, nil, ensemble.Config{})
	if err != nil {
		t.Fatal(err)
	}
	edge := []float64{0, math.Copysign(0, -1), 1, -1, 0.1, 1e-6, 9.99e-7, 1.5e-7, -2.5e-9, 1e20, 1e21, 1.2345e22, 5e-324, math.MaxFloat64, 1e-100, 123456789.125}
	var series []sim.Sample
	for i, v := range edge {
		s := sim.Sample{T: scenarios.Seconds(time.Duration(i)*time.Minute + 250*time.Millisecond), Lambda: v, Desired: int32(i), Ready: i + 1, Pending: -i,
			CPUUtilisation: -v, MemoryUtilisation: v / 3, P50: v / 2, P95: v, P99: -v / 7, Queue: v, Errors: v, ErrorRate: v, Slow: v, SLOViolated: i%2 == 0}
		switch i % 3 {
		case 1:
			s.HPAMetrics = []float64{v}
		case 2:
			s.HPAMetrics = []float64{-1, v, 0.5}
		}
		series = append(series, s)
	}
	series = append(series, sim.Sample{HPAMetrics: []float64{}})
	synthetic := &sim.Result{Plan: `a "quoted" <plan> "services": null`, Scenario: "s\u2028", Services: []sim.ServiceResult{
		{Service: "with-series", Series: series, Events: []sim.ScaleEvent{{At: 1, From: 1, To: 2, Reason: "x"}}},
		{Service: "nil-series"},
		{Service: "empty-series", Series: []sim.Sample{}},
	}}
	for name, results := range map[string][]*sim.Result{
		"real":          real,
		"synthetic":     {synthetic},
		"no services":   {{Scenario: "a"}, {Scenario: "b", Services: []sim.ServiceResult{}}},
		"real and more": append(append([]*sim.Result{}, real...), synthetic),
		"none":          nil,
	} {
		var want bytes.Buffer
		if err := printJSON(&want, results); err != nil {
			t.Fatal(err)
		}
		got, err := streamed(t, results)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !bytes.Equal(got, want.Bytes()) {
			i := 0
			for i < len(got) && i < len(want.Bytes()) && got[i] == want.Bytes()[i] {
				i++
			}
			lo := max(0, i-200)
			t.Fatalf("%s: streamed JSON differs from MarshalIndent at byte %d:\n got …%s…\nwant …%s…", name, i,
				got[lo:min(len(got), i+100)], want.Bytes()[lo:min(want.Len(), i+100)])
		}
	}
}

// TestSimJSON_NaNFails: encoding/json refuses NaN and so does the stream.
func TestSimJSON_NaNFails(t *testing.T) {
	r := &sim.Result{Services: []sim.ServiceResult{{Series: []sim.Sample{{P95: math.NaN()}}}}}
	if err := printJSON(&bytes.Buffer{}, []*sim.Result{r}); err == nil {
		t.Fatal("printJSON accepted a NaN")
	}
	if _, err := streamed(t, []*sim.Result{r}); err == nil || !strings.Contains(err.Error(), "NaN") {
		t.Fatalf("streamed a NaN: err = %v", err)
	}
}

// TestSimulateJSON_Streamed: `simulate -o json` writes what printJSON of
// ensemble.Run's results writes.
func TestSimulateJSON_Streamed(t *testing.T) {
	out, errOut, code := runCLI(t, "", "simulate", "-f", noaPlan, "--scenario", "growth-2x", "--scenario", "event-spike", "--sample-every", "5m", "--uncertainty", "off", "-o", "json")
	if code != 0 && code != 3 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	plan, err := scenarios.LoadFile(noaPlan, nil)
	if err != nil {
		t.Fatal(err)
	}
	plan.Uncertainty = nil // --uncertainty off
	var runs []sim.Options
	for _, sc := range []string{"growth-2x", "event-spike"} {
		runs = append(runs, sim.Options{Scenario: sc, SampleEvery: 5 * time.Minute, Mode: sim.ModeFluid, Arrivals: sim.ArrivalsPoisson, FlapWindow: 10 * time.Minute})
	}
	results, err := ensemble.Run(context.Background(), plan, runs, nil, ensemble.Config{})
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	if err := printJSON(&want, results); err != nil {
		t.Fatal(err)
	}
	if out != want.String() {
		t.Fatalf("simulate -o json (%d bytes) is not printJSON of the results (%d bytes)", len(out), want.Len())
	}
}

// TestRunInOrder: results come in run order whatever order the runs
// finish in, and the first error in run order stops the stream after the
// runs before it.
func TestRunInOrder(t *testing.T) {
	plan, err := scenarios.LoadFile(noaPlan, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The long scenario first: the short ones finish before it.
	runs := []sim.Options{{Scenario: "event-spike"}, {Scenario: "growth-2x"}, {Scenario: "growth-2x", Seed: 7}, {Scenario: "no-such"}, {Scenario: "growth-2x"}}
	var got []string
	err = runInOrder(context.Background(), plan, runs, 2, nil, func(i int, r *sim.Result) error {
		got = append(got, r.Scenario)
		if r.Scenario != runs[i].Scenario {
			t.Errorf("run %d: result of %s", i, r.Scenario)
		}
		return nil
	})
	var re *ensemble.RunError
	if !errors.As(err, &re) || re.Run != 3 {
		t.Fatalf("err = %v, want the error of run 3", err)
	}
	if strings.Join(got, ",") != "event-spike,growth-2x,growth-2x" {
		t.Fatalf("emitted %v", got)
	}
	stop := errors.New("stop")
	n := 0
	err = runInOrder(context.Background(), plan, runs[:3], 1, nil, func(int, *sim.Result) error { n++; return stop })
	if err != stop || n != 1 {
		t.Fatalf("emit's error: err = %v after %d results", err, n)
	}
}
