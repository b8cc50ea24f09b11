package verify

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/headroom-dev/headroom/loadtest"
	"github.com/headroom-dev/headroom/scenarios"
)

func TestDiagnoseErrors(t *testing.T) {
	w := func(rate float64, sent int64, classes map[string]int64) loadtest.Window {
		var n int64
		for _, v := range classes {
			n += v
		}
		return loadtest.Window{TargetRate: rate, Sent: sent, Completed: sent, Errors: n, ErrorClasses: classes}
	}
	for _, tc := range []struct {
		name string
		ws   []loadtest.Window
		want string
	}{
		{"none", []loadtest.Window{w(10, 100, nil), w(50, 500, nil)}, ErrorCauseNone},
		{"503s rising with load", []loadtest.Window{w(10, 100, nil), w(30, 300, map[string]int64{"http_503": 1}), w(50, 500, map[string]int64{"http_503": 40, "timeout": 9})}, ErrorCauseCapacity},
		{"401 at every load", []loadtest.Window{w(10, 100, map[string]int64{"http_401": 100}), w(50, 500, map[string]int64{"http_401": 500})}, ErrorCauseRequest},
		{"both", []loadtest.Window{w(10, 100, map[string]int64{"http_404": 3}), w(50, 500, map[string]int64{"http_404": 15, "connection_reset": 20})}, ErrorCauseMixed},
		{"constant rate timeouts", []loadtest.Window{w(20, 200, map[string]int64{"timeout": 2}), w(20, 200, map[string]int64{"timeout": 3})}, ErrorCauseCapacity},
		{"503s falling with load", []loadtest.Window{w(10, 100, map[string]int64{"http_503": 10}), w(50, 500, nil)}, ErrorCauseOther},
		{"4xx only at high load", []loadtest.Window{w(10, 100, nil), w(50, 500, map[string]int64{"http_400": 2})}, ErrorCauseOther},
		{"unclassified", []loadtest.Window{{TargetRate: 1, Sent: 1, Completed: 1, Errors: 1}}, ErrorCauseOther},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := DiagnoseErrors(tc.ws)
			if d.Cause != tc.want {
				t.Errorf("cause %q (%s), want %q", d.Cause, d.Detail, tc.want)
			}
		})
	}
}

// mixMMCPlan is the loopback M/M/8 plan with a two-endpoint mix whose
// mixture has the plan's 20 ms mean: 3/4 of 10 ms and 1/4 of 50 ms.
func mixMMCPlan(t *testing.T) *scenarios.Plan {
	t.Helper()
	p := mmcPlan(t)
	svc := &p.Services[0]
	fast, slow := scenarios.ServiceTime{Mean: scenarios.Duration(10e6)}, scenarios.ServiceTime{Mean: scenarios.Duration(50e6)}
	svc.ServiceTime = scenarios.ServiceTime{}
	svc.Endpoints = []scenarios.Endpoint{
		{Name: "read", Path: "/r", Weight: 3, ServiceTime: &fast},
		{Name: "write", Method: "POST", Path: "/w", Weight: 1, ServiceTime: &slow},
	}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestCompare_Endpoints: each endpoint of a mix is predicted from the
// mixture model at the bucket's predicted rate per pod and compared with
// its own windows; a 401 on every request of one endpoint is a broken
// request, which the verdict names.
func TestCompare_Endpoints(t *testing.T) {
	p := mixMMCPlan(t)
	res, err := loadtest.ReadResultFile("../testdata/run-steps.json")
	if err != nil {
		t.Fatal(err)
	}
	res.Valid, res.InvalidReason = true, ""
	// Per-endpoint windows with known latencies: read 12 ms, write 70 ms;
	// every write fails with 401.
	eps := []loadtest.EndpointResult{{Name: "read", Method: "GET", Path: "/r"}, {Name: "write", Method: "POST", Path: "/w"}}
	for _, w := range res.Windows {
		for k, lat := range []float64{0.012, 0.07} {
			n := w.Completed * int64(3-2*k) / 4
			ew := loadtest.Window{Offset: w.Offset, ScenarioTime: w.ScenarioTime, TargetRate: w.TargetRate * float64(3-2*k) / 4,
				Sent: n, Completed: n, Latency: loadtest.NewHistogram()}
			ew.Latency.RecordN(lat, n)
			if k == 1 {
				ew.Errors, ew.ErrorClasses = n, map[string]int64{"http_401": n}
			}
			eps[k].Windows = append(eps[k].Windows, ew)
		}
	}
	res.Endpoints = eps
	cmp, err := Compare(context.Background(), p, res, CompareOptions{Replications: -1})
	if err != nil {
		t.Fatal(err)
	}
	if len(cmp.Endpoints) != 2 {
		t.Fatalf("%d endpoint comparisons", len(cmp.Endpoints))
	}
	read, write := cmp.Endpoints[0], cmp.Endpoints[1]
	if read.PlannedShare != 0.75 || math.Abs(read.MeasuredShare-0.75) > 0.02 {
		t.Errorf("read share planned %g measured %g", read.PlannedShare, read.MeasuredShare)
	}
	for i, row := range read.Rows {
		if math.Abs(row.MeasuredMean/0.012-1) > 0.01 {
			t.Errorf("row %d: measured mean %g, recorded 12 ms", i, row.MeasuredMean)
		}
		w := write.Rows[i]
		if !(row.PredictedMean > 0.010 && w.PredictedMean > 0.050 && w.PredictedP95 > row.PredictedP95) {
			t.Errorf("row %d: predictions read %g/%g write %g/%g", i, row.PredictedMean, row.PredictedP95, w.PredictedMean, w.PredictedP95)
		}
		// The two endpoints share the wait: their means differ by the
		// difference of their service times, 40 ms, exactly.
		if math.Abs((w.PredictedMean-row.PredictedMean)-0.04) > 1e-12 {
			t.Errorf("row %d: write − read predicted mean %g, want 40 ms", i, w.PredictedMean-row.PredictedMean)
		}
	}
	if read.Errors.Cause != ErrorCauseNone || write.Errors.Cause != ErrorCauseRequest {
		t.Errorf("errors: read %q write %q", read.Errors.Cause, write.Errors.Cause)
	}
	if cmp.Agree || !strings.Contains(strings.Join(cmp.Reasons, "; "), "endpoint write: ") {
		t.Errorf("verdict %v: %q", cmp.Agree, cmp.Reasons)
	}
}
