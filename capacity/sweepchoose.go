package capacity

import (
	"slices"
	"sort"

	autoscalingv2 "k8s.io/api/autoscaling/v2"

	"github.com/headroom-dev/headroom/scenarios"
)

// withHPA is plan with the service's HPA replaced by h (nil keeps it).
func withHPA(plan *scenarios.Plan, service string, h *autoscalingv2.HorizontalPodAutoscalerSpec) *scenarios.Plan {
	if h == nil {
		return plan
	}
	cp := *plan
	cp.Services = slices.Clone(plan.Services)
	cp.Service(service).HPA = h
	return &cp
}

// chooseCell picks a sweep's best cell by the recommender's rule: the
// cheapest that holds the SLO and is never worse than today (then fewer
// scale events, then grid order) — met; when none does, the never-worse
// cell with the least excess burn, if that is less than today's. A cell
// whose minReplicas is below floor is not eligible. It returns -1 when no
// cell is better than today.
func chooseCell(cells []SweepCandidate, current *Point, floor int32) (int, bool) {
	order := make([]int, len(cells))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(i, j int) bool {
		a, b := &cells[order[i]].Point, &cells[order[j]].Point
		if !sameCost(a.Cost, b.Cost) {
			return a.Cost < b.Cost
		}
		return a.ScaleEvents < b.ScaleEvents
	})
	eligible := func(i int) bool { return cells[i].MinReplicas >= floor }
	for _, i := range order {
		if ok(&cells[i].Point) && eligible(i) {
			return i, true
		}
	}
	best := -1
	for _, i := range order {
		p := &cells[i].Point
		if p.NeverWorse && eligible(i) && (best < 0 || p.excess() < cells[best].Point.excess()-1e-9) {
			best = i
		}
	}
	if best >= 0 && cells[best].Point.excess() >= current.excess()-1e-9 {
		best = -1
	}
	return best, false
}

// paretoCells is the front of cost against worst burn, as
// Proposal.Pareto draws it: by increasing cost, each member burns less
// than every cheaper one; the chosen cell (best, when ≥ 0) stands for the
// front members whose cost it ties with.
func paretoCells(cells []SweepCandidate, best int) []SweepCandidate {
	order := make([]int, len(cells))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(i, j int) bool {
		a, b := &cells[order[i]].Point, &cells[order[j]].Point
		if a.Cost != b.Cost {
			return a.Cost < b.Cost
		}
		return a.WorstBurn < b.WorstBurn
	})
	var front []int
	for _, i := range order {
		if len(front) == 0 || cells[i].Point.WorstBurn < cells[front[len(front)-1]].Point.WorstBurn-1e-12 {
			front = append(front, i)
		}
	}
	if best >= 0 {
		c := &cells[best].Point
		for k, i := range front {
			if i == best {
				break
			}
			if q := &cells[i].Point; sameCost(q.Cost, c.Cost) && q.WorstBurn >= c.WorstBurn-1e-12 {
				front[k] = best
				break
			}
		}
	}
	out := make([]SweepCandidate, len(front))
	for k, i := range front {
		out[k] = cells[i]
	}
	return out
}
