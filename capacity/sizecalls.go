package capacity

import (
	"fmt"
	"math"
	"strings"

	"github.com/headroom-dev/headroom/model"
	"github.com/headroom-dev/headroom/scenarios"
)

// callDelay is what a service's synchronous calls add to its time in
// service: mean seconds and squared coefficient of variation.
// timedOut names the callees that answer at their timeout (sized beyond
// their capacity).
type callDelay struct {
	mean, cs2 float64
	timedOut  []string
}

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
	delays := map[string]callDelay{}
	rates := p.ScenarioRates(sc)
	order, _ := p.CallOrder()
	// Callees first: the reverse of the callers-first order.
	for k := len(order) - 1; k >= 0; k-- {
		svc := &p.Services[order[k]]
		if !sc.AppliesTo(svc.Name) {
			continue
		}
		cd, err := syncDelay(p, svc, out, delays)
		if err != nil {
			return nil, fmt.Errorf("service %s: %w", svc.Name, err)
		}
		sz, err := sizeService(svc, rates[svc.Name].At(mult), mode, cd)
		if err != nil {
			return nil, fmt.Errorf("service %s: %w", svc.Name, err)
		}
		if sz.Status == StatusInfeasible && len(cd.timedOut) > 0 {
			// No replica count of the caller helps: its calls wait for
			// callees beyond their capacity. Say where the trouble is.
			sz.Problem = fmt.Sprintf("its calls to %s wait for their timeout (the callees are beyond their capacity at this peak: size them first); with those waits %s", strings.Join(cd.timedOut, ", "), sz.Problem)
		}
		out[svc.Name], delays[svc.Name] = sz, cd
	}
	return out, nil
}

// sizedMeanResponse is a sized callee's mean response at its peak rate on
// its sized count (At), with its CPU limit throttling its pods as simulate
// reads them (model.Workload.CPUThrottled): a callee whose limit binds
// before its worker slots answers more slowly than its own sizing's mean,
// which leaves the throttling out. false when its pods are unstable.
func sizedMeanResponse(callee *scenarios.Service, sz ServiceSizing, cd callDelay) (float64, bool) {
	if sz.MeanSeconds == nil || sz.At <= 0 {
		return 0, false
	}
	w, err := callee.Workload(sz.PeakRate)
	if err != nil {
		return *sz.MeanSeconds, true
	}
	w = w.WithCallDelay(cd.mean, cd.cs2)
	t := w.CPUThrottled()
	if t == w {
		return *sz.MeanSeconds, true
	}
	m, err := t.PodMeanResponse(sz.PeakRate / float64(sz.At))
	if err != nil || !(m > 0) || math.IsInf(m, 0) {
		return 0, false
	}
	return math.Max(m, *sz.MeanSeconds), true
}

// syncDelay is the delay svc's synchronous calls add, from the callees
// already sized (or, for one the scenario does not cover, its mean
// response at today's rate on its current replicas): Σ perRequest·R, its
// cs² the callees' service-time cs² weighted by their share of the delay,
// over Σ perRequest calls (at least 1).
func syncDelay(p *scenarios.Plan, svc *scenarios.Service, sized map[string]ServiceSizing, delays map[string]callDelay) (callDelay, error) {
	var d, cs2w, n float64
	var timedOut []string
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
			if m, ok := sizedMeanResponse(callee, sz, delays[c.Service]); ok && m < r {
				r = m
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
		if r == callee.Timeout.Seconds() {
			timedOut = append(timedOut, c.Service)
		}
		d += c.PerRequest * r
		cs2w += cs2 * c.PerRequest * r
		n += c.PerRequest
	}
	if !(d > 0) {
		return callDelay{}, nil
	}
	return callDelay{mean: d, cs2: cs2w / d / math.Max(n, 1), timedOut: timedOut}, nil
}
