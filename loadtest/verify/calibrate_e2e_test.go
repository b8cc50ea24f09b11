//go:build e2e

package verify

import (
	"context"
	"fmt"
	"math"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/headroom-dev/headroom/loadtest"
	"github.com/headroom-dev/headroom/loadtest/builtin"
	"github.com/headroom-dev/headroom/loadtest/internal/mmcserver"
)

// TestCalibrateAgainstMMc measures mmcserver (8 slots, 20 ms mean) at
// ρ ≈ 0.15 and calibrates testdata/mmc-plan.yaml's service from the run: the
// estimated mean service time must be within 15 % of the mean the server
// measured of itself (the estimate also carries loopback HTTP and the
// generator's send lag, which the server does not see).
func TestCalibrateAgainstMMc(t *testing.T) {
	mmcserver.RetryInvalid(t, func() ([]string, bool) { return calibrateOnce(t) })
}

func calibrateOnce(t *testing.T) (fails []string, valid bool) {
	srv, err := mmcserver.New(mmcserver.Config{Workers: 8, MeanService: 20 * time.Millisecond, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: srv}
	go hs.Serve(ln)
	defer hs.Close()
	sched := loadtest.Schedule{StartRate: 60, Speedup: 1, Stages: []loadtest.Stage{{Duration: 20 * time.Second, Target: 60}}}
	res, err := builtin.New(builtin.Options{Seed: 2}).Run(context.Background(),
		loadtest.RunSpec{Target: "http://" + ln.Addr().String() + "/work", Arrivals: loadtest.ArrivalsPoisson, Schedule: sched, Service: "mmc"})
	if err != nil {
		t.Fatal(err)
	}
	cal, err := Calibrate(context.Background(), mmcPlan(t), res, "mmc")
	if err != nil {
		t.Fatal(err)
	}
	st := srv.Stats()
	t.Logf("calibrated mean %.2f ms (cv %.2f, p95 %.1f ms, %d blocks, ρ ≤ %.2f); server measured %.2f ms; send-lag p99 %.2f ms",
		cal.MeanService*1e3, cal.CV, cal.P95Service*1e3, cal.Windows, cal.MaxUtilisation, st.MeanService()*1e3, res.SendLag.Quantile(0.99)*1e3)
	if rel := math.Abs(cal.MeanService-st.MeanService()) / st.MeanService(); rel > 0.15 {
		fails = append(fails, fmt.Sprintf("calibrated mean service %.2f ms vs measured %.2f ms: off by %.0f %%", cal.MeanService*1e3, st.MeanService()*1e3, rel*100))
	}
	if math.Abs(cal.CV-1) > 0.25 {
		fails = append(fails, fmt.Sprintf("cv %.2f, want about 1 (exponential)", cal.CV))
	}
	return fails, res.Valid
}
