package capacity

import (
	"errors"
	"fmt"
	"math"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/headroom-dev/headroom/model"
	"github.com/headroom-dev/headroom/scenarios"
	"github.com/headroom-dev/headroom/sim"
	"github.com/headroom-dev/headroom/sim/ensemble"
)

// minFloor is the lowest minReplicas the plan allows: the sizing at the
// lowest load of any scenario covering the service (which carries the
// zone-loss, spare and minimum rules of its redundancy), and, when the
// service must survive a zone loss, one replica in each zone.
func (s *search) minFloor() (int32, string, error) {
	lowest := math.Inf(1)
	at := ""
	for i := range s.plan.Scenarios {
		sc := &s.plan.Scenarios[i]
		if !sc.AppliesTo(s.svc.Name) {
			continue
		}
		tr := sc.Traffic(s.plan.Seed)
		sr := s.plan.ScenarioRate(sc, s.svc.Name)
		for t := time.Duration(0); t <= sc.Duration.D(); t += time.Minute {
			if r := sr.At(tr.Multiplier(t)); r < lowest {
				lowest, at = r, sc.Name
			}
		}
	}
	floor, why := int32(1), "one replica"
	sz, err := s.svc.SizeAt(lowest, model.Queueing)
	var inf *model.InfeasibleError
	switch {
	case errors.As(err, &inf):
	case err != nil:
		return 0, "", err
	case sz.Replicas > 1:
		floor, why = int32(sz.Replicas), fmt.Sprintf("the lowest load (%.3g req/s in %s) needs %d (%s)", lowest, at, sz.Replicas, sz.Binding)
	}
	r := s.svc.Redundancy
	if r.ZoneLosses > 0 && int32(r.Zones) > floor {
		floor, why = int32(r.Zones), fmt.Sprintf("one replica in each of %d zones, to survive losing %d", r.Zones, r.ZoneLosses)
	}
	if int32(r.MinReplicas) > floor {
		floor, why = int32(r.MinReplicas), fmt.Sprintf("the plan's redundancy.minReplicas %d", r.MinReplicas)
	}
	return floor, why, nil
}

// maxCeiling is the largest maxReplicas the search tries: room for the
// sizing's largest need plus the tolerance band and the margin above it.
func (s *search) maxCeiling(cur, floor int32) int32 {
	need := 0
	for _, sc := range s.sizing.Scenarios {
		for _, sz := range sc.Services {
			if sz.Service == s.svc.Name && sz.Status != StatusInfeasible {
				need = max(need, sz.Required)
			}
		}
	}
	m := s.opts.Margin
	if m == 0 {
		m = DefaultMargin
	}
	hi := int32(math.Ceil(float64(need)*(1+s.tol+max(m, 0)))) + 1
	return max(hi, cur, floor)
}

// binding says what stops every point from holding the SLO.
func (s *search) binding(floor int32) string {
	for _, sc := range s.sizing.Scenarios {
		for _, sz := range sc.Services {
			if sz.Service == s.svc.Name && sz.Status == StatusInfeasible {
				return fmt.Sprintf("%s: no replica count meets the objectives at the peak (%s)", sc.Scenario, sz.Problem)
			}
		}
	}
	// The point with the least excess shows the scenario that binds; of
	// equal ones the lowest minReplicas, maxReplicas and target (the memo
	// is a map: its order must not choose).
	var best *Point
	for _, p := range s.memo {
		if best == nil || p.excess() < best.excess() || (p.excess() == best.excess() && lowerSetting(p, best)) {
			best = p
		}
	}
	worst, wb := "", 0.0
	for _, o := range best.Outcomes {
		if b := o.worst(); b > wb {
			worst, wb = o.Scenario, b
		}
	}
	return fmt.Sprintf("%s: even with CPU target %d %%, minReplicas %d and maxReplicas %d the burn reaches %.2f (worst window, with the inputs moved %g %%%s): the HPA's reaction (metric lag, scale-up policy, pod start-up) or the per-pod capacity binds, not the replica bounds",
		worst, best.CPUTarget, best.MinReplicas, best.MaxReplicas, wb, 100*s.marginFraction(), s.ensembleNote())
}

// scaleUpTradeoff compares the cheapest settings the point estimate's
// descent found with today's scale-up and with the default one.
func (s *search) scaleUpTradeoff() string {
	say := func(p *Point) string {
		if p == nil || !ok(p) {
			return "nothing holds the budget"
		}
		return fmt.Sprintf("target %d %%, max %d holds it at cost %.1f", p.CPUTarget, p.MaxReplicas, p.Cost)
	}
	return fmt.Sprintf("with today's scale-up %s, with the default scale-up %s (point estimate)", say(s.byScaleUp[upToday]), say(s.byScaleUp[upDefault]))
}

// ensembleNote names the ensemble constraint when there is one.
func (s *search) ensembleNote() string {
	if len(s.members) == 0 {
		return ""
	}
	return fmt.Sprintf(" and at the p90 of the plan's %d-member uncertainty ensemble", len(s.members))
}

func (s *search) marginFraction() float64 {
	if len(s.margins) == 0 {
		return 0
	}
	return math.Round((1-s.margins[0].CPU)*1e6) / 1e6
}

// describe writes the chosen point into the proposal's recommendation,
// one line of reason per change.
func (s *search) describe(p *Proposal, floor int32, floorWhy string) {
	c, cur := p.Chosen, s.cur
	if c.CPUTarget == cur.t && c.MinReplicas == cur.m && c.MaxReplicas == cur.M && c.ScaleUp == "" {
		if !p.Met {
			p.Recommendation.Notes = append(p.Recommendation.Notes, "no change is strictly better than today: "+p.Binding)
		}
		return
	}
	rec := &p.Recommendation
	up := upToday
	if c.ScaleUp != "" {
		up = upDefault
	}
	rec.HPA = s.spec(setting{c.CPUTarget, c.MinReplicas, c.MaxReplicas, up})
	worst := func(pt Point) string {
		sc, b := "", -1.0
		for _, o := range pt.Outcomes {
			if v := max(o.Burn, o.WorstWindowBurn); v > b {
				sc, b = o.Scenario, v
			}
		}
		return fmt.Sprintf("%.2f in %s", b, sc)
	}
	verdict := fmt.Sprintf("worst burn %s today, %s proposed (≤ 1 also with the inputs moved %g %%%s); cost %+.1f %%",
		worst(p.Current), worst(c), 100*s.marginFraction(), s.ensembleNote(), 100*(c.Cost-p.Current.Cost)/max(p.Current.Cost, 1e-9))
	if !p.Met {
		verdict = fmt.Sprintf("worst burn %s today, %s proposed — better, not enough (%s)", worst(p.Current), worst(c), p.Binding)
	}
	if c.ScaleUp != "" {
		rec.HPARationale = append(rec.HPARationale, fmt.Sprintf("scale-up behaviour → Kubernetes' default (no stabilisation, 100 %% or 4 pods per 15 s): today's %s reacts late to the ramps; %s", describeScaleUp(s.svc.HPA), s.scaleUpTradeoff()))
	}
	if c.CPUTarget != cur.t {
		why := "the highest target whose operating point holds the budget in every scenario"
		if c.CPUTarget < cur.t {
			why += " — a lower target keeps idle CPU for the load that arrives while the HPA's next replicas are still starting (metric window, sync period, scale-up policy, pod start-up)"
		}
		if c.ScaleUp == "" && len(s.byScaleUp) > 1 {
			why += "; " + s.scaleUpTradeoff()
		}
		rec.HPARationale = append(rec.HPARationale, fmt.Sprintf("CPU target %d %% → %d %%: %s; %s", cur.t, c.CPUTarget, why, verdict))
	}
	if c.MaxReplicas != cur.M {
		rec.HPARationale = append(rec.HPARationale, fmt.Sprintf("maxReplicas %d → %d: the smallest maximum that holds the budget in every scenario (%s)", cur.M, c.MaxReplicas, verdict))
	}
	if c.MinReplicas != cur.m {
		dir := "the smallest minimum that holds the budget; not below " + floorWhy
		switch {
		case c.MinReplicas > cur.m && c.MinReplicas == floor:
			dir = "raised to the plan's floor: " + floorWhy
		case c.MinReplicas > cur.m:
			dir = "the smallest floor that holds the budget: the HPA alone does not follow the load in time"
		}
		rec.HPARationale = append(rec.HPARationale, fmt.Sprintf("minReplicas %d → %d: %s (%s)", cur.m, c.MinReplicas, dir, verdict))
	}
}

// verticalProposal sizes a fixed-size service vertically: the smallest
// CPU (request and limit scaled together) at which the model's pod
// carries every scenario's peak at today's replica count, or a note that
// no single pod can. With an uncertainty ensemble (members) it must carry
// them at the p90 too: in each scenario at most as many members may need
// more than the pod as leave the ensemble's p90 within it
// (quantileBreakers), the members' factors applied as the simulation
// applies them (sim.Factors) — a callee sized at the point estimate alone
// fails its callers in the ensemble's heavier members.
func verticalProposal(plan *scenarios.Plan, svc *scenarios.Service, sizing *SizingReport, members []ensemble.Member, p *Proposal) error {
	var breaches, peaks []ServiceSizing
	var where []string
	for _, sc := range sizing.Scenarios {
		for _, sz := range sc.Services {
			if sz.Service != svc.Name {
				continue
			}
			peaks = append(peaks, sz)
			if sz.Status != StatusOK {
				breaches, where = append(breaches, sz), append(where, sc.Scenario)
			}
		}
	}
	if len(breaches) == 0 {
		return nil
	}
	req := svc.Requirement()
	// carries reports whether one pod at f× today's CPU carries rate with
	// the factors ft applied.
	carries := func(rate, f float64, ft sim.Factors) (bool, error) {
		w, err := svc.Workload(rate * orOne(ft.RequestRate))
		if err != nil {
			return false, err
		}
		w.ServiceMean *= orOne(ft.ServiceTime)
		w.CPUPerRequest *= orOne(ft.CPU)
		w.CPURequest *= f
		if w.CPULimit > 0 {
			w.CPULimit *= f
		}
		sz, err := model.Size(w, req, model.Queueing)
		var inf *model.InfeasibleError
		if errors.As(err, &inf) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		return sz.Replicas <= int(svc.Replicas), nil
	}
	allowed := 0
	if len(members) > 0 {
		allowed = quantileBreakers(len(members), 0.9) - 1
	}
	factors := []float64{1.25, 1.5, 2, 3, 4, 6, 8}
	for _, f := range factors {
		okAll := true
		for _, b := range breaches {
			ok, err := carries(b.PeakRate, f, sim.Factors{})
			if err != nil {
				return err
			}
			if !ok {
				okAll = false
				break
			}
		}
		for i := 0; okAll && i < len(peaks) && len(members) > 0; i++ {
			broke := 0
			for _, m := range members {
				ok, err := carries(peaks[i].PeakRate, f, m.Factors)
				if err != nil {
					return err
				}
				if !ok {
					broke++
				}
			}
			okAll = broke <= allowed
		}
		if !okAll {
			continue
		}
		rec := &p.Recommendation
		rec.Requests, rec.Limits = corev1.ResourceList{}, corev1.ResourceList{}
		cpuReq := svc.Resources.Requests[corev1.ResourceCPU]
		newReq := int64(math.Ceil(cpuReq.AsApproximateFloat64()*f*1000/50) * 50)
		rec.Requests[corev1.ResourceCPU] = *resource.NewMilliQuantity(newReq, resource.DecimalSI)
		why := fmt.Sprintf("CPU request %s → %dm", cpuReq.String(), newReq)
		if lim, ok := svc.Resources.Limits[corev1.ResourceCPU]; ok {
			newLim := int64(math.Ceil(lim.AsApproximateFloat64()*f*1000/50) * 50)
			rec.Limits[corev1.ResourceCPU] = *resource.NewMilliQuantity(newLim, resource.DecimalSI)
			why += fmt.Sprintf(", limit %s → %dm", lim.String(), newLim)
		}
		rec.ResourceRationale = append(rec.ResourceRationale, fmt.Sprintf("%s (%.3g×): a fixed-size service scales vertically; at this size one pod carries the peak of %v within its objectives (model%s)", why, f, where, ensembleAt(members)))
		return nil
	}
	p.Met = false
	p.Binding = fmt.Sprintf("no single pod can carry the peak of %v: even at %g× today's CPU the %s constraint needs %d replicas (%s); it needs a topology change (sharding, read replicas) or a faster per-request path",
		where, factors[len(factors)-1], breaches[0].Binding, breaches[0].Required, breaches[0].Problem)
	p.Recommendation.Notes = append(p.Recommendation.Notes, p.Binding)
	return nil
}

// ensembleAt is ", at the p90 of the plan's N-member uncertainty
// ensemble" with members, else nothing.
func ensembleAt(members []ensemble.Member) string {
	if len(members) == 0 {
		return ""
	}
	return fmt.Sprintf(", also at the p90 of the plan's %d-member uncertainty ensemble", len(members))
}

// orOne is f, or 1 for an unset factor (as sim.Factors reads it).
func orOne(f float64) float64 {
	if f == 0 {
		return 1
	}
	return f
}

// lowerSetting orders points by minReplicas, then maxReplicas, then CPU
// target, then scale-up.
func lowerSetting(a, b *Point) bool {
	switch {
	case a.MinReplicas != b.MinReplicas:
		return a.MinReplicas < b.MinReplicas
	case a.MaxReplicas != b.MaxReplicas:
		return a.MaxReplicas < b.MaxReplicas
	case a.CPUTarget != b.CPUTarget:
		return a.CPUTarget < b.CPUTarget
	}
	return a.ScaleUp < b.ScaleUp
}
