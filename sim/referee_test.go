package sim

import (
	"flag"
	"fmt"
	"math"
	"testing"
)

// -long runs the referee's long replications and the full NOA scenarios
// (minutes of CPU): go test ./sim -run Referee -long
var long = flag.Bool("long", false, "run the long DES referee replications")

// agreement is how the fluid and DES runs of one service compare.
type agreement struct {
	service, scenario string
	// fluidP95, desP95: request-weighted means of the per-window p95,
	// seconds, over windows where both served requests.
	fluidP95, desP95 float64
	// sameReplicas is the fraction of windows with equal desired replicas.
	sameReplicas     float64
	fluidErr, desErr float64 // error percent
}

func (a agreement) relP95() float64 { return (a.desP95 - a.fluidP95) / a.fluidP95 }

func (a agreement) String() string {
	return fmt.Sprintf("%-16s %-16s p95 fluid %.4gs des %.4gs (%+.1f%%) same replicas %.0f%% errors %.3g%%/%.3g%%",
		a.scenario, a.service, a.fluidP95, a.desP95, 100*a.relP95(), 100*a.sameReplicas, a.fluidErr, a.desErr)
}

func compareModes(t *testing.T, fluid, des *Result) []agreement {
	t.Helper()
	var out []agreement
	for i := range fluid.Services {
		f, d := fluid.Services[i], des.Services[i]
		a := agreement{service: f.Service, scenario: fluid.Scenario, fluidErr: f.Summary.ErrorPercent, desErr: d.Summary.ErrorPercent}
		var wf, wd, w float64
		same := 0
		for j := range f.Series {
			x, y := f.Series[j], d.Series[j]
			if x.Desired == y.Desired {
				same++
			}
			if x.P95 < 0 || y.P95 < 0 {
				continue
			}
			wf += x.P95 * x.Lambda
			wd += y.P95 * x.Lambda
			w += x.Lambda
		}
		a.fluidP95, a.desP95 = wf/w, wd/w
		a.sameReplicas = float64(same) / float64(len(f.Series))
		out = append(out, a)
	}
	return out
}

func TestReferee_FluidAgainstDES_NOA(t *testing.T) {
	scs := []string{"growth-2x"}
	if *long {
		scs = []string{"daily", "growth-2x", "daily-growth-2x", "event-spike"}
	}
	p := noa(t)
	for _, sc := range scs {
		fl, err := Run(p, Options{Scenario: sc})
		if err != nil {
			t.Fatal(err)
		}
		de, err := Run(p, Options{Scenario: sc, Mode: ModeDES})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range compareModes(t, fl, de) {
			t.Log(a)
			_ = math.Abs
		}
	}
}
