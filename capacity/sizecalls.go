package capacity

import (
	"fmt"
	"math"

	"github.com/headroom-dev/headroom/model"
	"github.com/headroom-dev/headroom/scenarios"
)

// callDelay is what a service's synchronous calls add to its time in
// service: mean seconds and squared coefficient of variation.
type callDelay struct{ mean, cs2 float64 }

// sizeInCallOrder sizes the services the scenario covers at multiplier
// mult, callees before their callers: a caller is sized with each
// synchronous callee's mean response at the callee's sized count (its
// worker slot is held for it, model.Workload.WithCallDelay), and rates
// add along the calls (scenarios.Plan.ScenarioRates). A callee the
// scenario does not cover answers at today's rate on its current
// replicas. Without calls it is each service at its own rate.
func sizeInCallOrder(p *scenarios.Plan, sc *scenarios.Scenario, mult float64, mode model.Mode) (map[string]ServiceSizing, error) {
	out := map[string]ServiceSizing{}
	if !p.HasCalls() {
		for i := range p.Services {
			svc := &p.Services[i]
			if !sc.AppliesTo(svc.Name) {
				continue
			}
			sz, err := sizeService(svc, sc.BaseRate(svc)*mult, mode, callDelay{})
			if err != nil {
				return nil, fmt.Errorf("service %s: %w", svc.Name, err)
			}
			out[svc.Name] = sz
		}
		return out, nil
	}
	rates := p.ScenarioRates(sc)
	order, _ := p.CallOrder()
	// Callees first: the reverse of the callers-first order.
	for k := len(order) - 1; k >= 0; k-- {
		svc := &p.Services[order[k]]
		if !sc.AppliesTo(svc.Name) {
			continue
		}
		cd, err := syncDelay(p, svc, out)
		if err != nil {
			return nil, fmt.Errorf("service %s: %w", svc.Name, err)
		}
		sz, err := sizeService(svc, rates[svc.Name].At(mult), mode, cd)
		if err != nil {
			return nil, fmt.Errorf("service %s: %w", svc.Name, err)
		}
		out[svc.Name] = sz
	}
	return out, nil
}

// syncDelay is the delay svc's synchronous calls add, from the callees
// already sized (or, for one the scenario does not cover, its mean
// response at today's rate on its current replicas): Σ perRequest·R, its
// cs² the callees' service-time cs² weighted by their share of the delay,
// over Σ perRequest calls (at least 1).
func syncDelay(p *scenarios.Plan, svc *scenarios.Service, sized map[string]ServiceSizing) (callDelay, error) {
	var d, cs2w, n float64
	for _, c := range svc.Calls {
		if !c.Sync() || c.PerRequest == 0 {
			continue
		}
		callee := p.Service(c.Service)
		if callee == nil {
			continue
		}
		r := callee.Timeout.Seconds()
		if sz, ok := sized[c.Service]; ok {
			if sz.MeanSeconds != nil && *sz.MeanSeconds < r {
				r = *sz.MeanSeconds
			}
		} else {
			w, err := callee.Workload(callee.TotalRate())
			if err != nil {
				return callDelay{}, err
			}
			if m, err := w.PodMeanResponse(callee.TotalRate() / float64(max(callee.Replicas, 1))); err == nil && m > 0 && m < r {
				r = m
			}
		}
		cs2, err := callee.ServiceCS2()
		if err != nil {
			return callDelay{}, err
		}
		d += c.PerRequest * r
		cs2w += cs2 * c.PerRequest * r
		n += c.PerRequest
	}
	if !(d > 0) {
		return callDelay{}, nil
	}
	return callDelay{mean: d, cs2: cs2w / d / math.Max(n, 1)}, nil
}
