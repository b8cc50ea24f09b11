package review

import (
	"errors"
	"fmt"
	"math"
	"runtime"

	"golang.org/x/sync/errgroup"

	"github.com/headroom-dev/headroom/model"
	"github.com/headroom-dev/headroom/review/record"
	"github.com/headroom-dev/headroom/scenarios"
)

// capacityPoints is how many request rates a capacity curve evaluates.
const capacityPoints = 300

// curves are the capacity curves of the services the review's figures
// show (none of a fixed service, whose capacity does not grow with
// replicas), in plan order, computed at most GOMAXPROCS at a time.
func curves(plan *scenarios.Plan, rev *record.Review) []record.CapacityCurve {
	var svcs []*scenarios.Service
	for i := range plan.Services {
		if svc := &plan.Services[i]; !svc.Fixed && rev.Shows(svc.Name, "") {
			svcs = append(svcs, svc)
		}
	}
	out := make([]record.CapacityCurve, len(svcs))
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i, svc := range svcs {
		g.Go(func() error {
			out[i] = CapacityCurve(plan, svc)
			return nil
		})
	}
	g.Wait()
	return out
}

// CapacityCurve is the replicas a service needs against its request rate,
// by the utilisation ceiling alone and by queueing (the latency SLO too),
// at capacityPoints+1 rates from zero to 15 % beyond the highest scenario
// peak, with today's rate and each scenario's peak marked. A curve that
// cannot be computed carries the reason in Err.
func CapacityCurve(plan *scenarios.Plan, svc *scenarios.Service) record.CapacityCurve {
	c := record.CapacityCurve{Service: svc.Name, Marks: []record.RateMark{{Name: "today", Rate: svc.TotalRate()}}}
	// Peaks are labelled by scenario name; "today" may share a line too.
	top := svc.TotalRate()
	for i := range plan.Scenarios {
		sc := &plan.Scenarios[i]
		if !sc.AppliesTo(svc.Name) {
			continue
		}
		r := plan.ScenarioRate(sc, svc.Name).At(sc.Peak(plan.Seed).Multiplier)
		top = math.Max(top, r)
		// Scenarios peaking at the same rate share a line.
		shared := false
		for k := range c.Marks {
			if math.Abs(c.Marks[k].Rate-r) <= 1e-3*r {
				c.Marks[k].Name += " / " + sc.Name
				shared = true
			}
		}
		if !shared {
			c.Marks = append(c.Marks, record.RateMark{Name: sc.Name, Rate: r})
		}
	}
	if !(top > 0) || math.IsInf(top, 0) {
		c.Err = fmt.Errorf("service %s: no positive request rate to draw a capacity curve over", svc.Name)
		return c
	}
	hi := top * 1.15
	c.Rates = make([]float64, capacityPoints+1)
	for i := range c.Rates {
		c.Rates[i] = hi * float64(i) / capacityPoints
	}
	curve := func(mode model.Mode) ([]float64, int, error) {
		ys := make([]float64, len(c.Rates))
		infeasible := 0
		for i, r := range c.Rates {
			sz, err := svc.SizeAt(r, mode)
			var inf *model.InfeasibleError
			switch {
			case errors.As(err, &inf):
				ys[i] = math.NaN()
				infeasible++
			case err != nil:
				return nil, 0, fmt.Errorf("service %s at %g req/s (%s): %w", svc.Name, r, mode, err)
			default:
				ys[i] = float64(sz.Replicas)
			}
		}
		return ys, infeasible, nil
	}
	var err error
	if c.Utilization, _, err = curve(model.Utilization); err != nil {
		c.Err = err
		return c
	}
	if c.Queueing, c.Infeasible, err = curve(model.Queueing); err != nil {
		c.Err = err
	}
	return c
}
