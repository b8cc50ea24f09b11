package capacity

import (
	"fmt"
	"math"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/headroom-dev/headroom/model"
	"github.com/headroom-dev/headroom/scenarios"
)

// Recommendation is what a capacity review proposes to change for one
// service, each change with its reason. Only changed fields are set.
type Recommendation struct {
	Service string `json:"service"`
	// HPA is the proposed HPA spec when it differs from the plan's.
	HPA          *autoscalingv2.HorizontalPodAutoscalerSpec `json:"hpa,omitempty"`
	HPARationale []string                                   `json:"hpaRationale,omitempty"`
	// Replicas is a new spec.replicas for a service without an HPA.
	Replicas int32 `json:"replicas,omitempty"`
	// Requests and Limits hold only the resources that change.
	Requests          corev1.ResourceList `json:"requests,omitempty"`
	Limits            corev1.ResourceList `json:"limits,omitempty"`
	ResourceRationale []string            `json:"resourceRationale,omitempty"`
	// Notes are findings no patch fixes (a fixed-size service in breach).
	Notes []string `json:"notes,omitempty"`
}

// Changed reports whether the recommendation patches anything.
func (r *Recommendation) Changed() bool {
	return r.HPA != nil || r.Replicas > 0 || len(r.Requests) > 0 || len(r.Limits) > 0
}

// Recommend turns a sizing report into per-service changes:
//
//   - maxReplicas rises to the largest replica count any scenario's peak
//     needs (event scenarios, those with a spike, are left to a pre-scale
//     that raises the bounds for the event only);
//   - without an HPA, spec.replicas rises to that count;
//   - the memory request rises to the predicted per-pod memory at the
//     peak (in-flight requests at the SLO quantile, by Little's law) when
//     that exceeds it, and the limit to 1.25× the new request when the
//     limit would be exceeded;
//   - the CPU limit rises to 1.25× the predicted per-pod CPU when pods would
//     be throttled. CPU requests are left alone: under a CPU-utilisation HPA
//     they set the scale point, and moving them is right-sizing's job.
//
// A fixed-size service in breach gets a note, not a patch.
func Recommend(p *scenarios.Plan, r *SizingReport) []Recommendation {
	var out []Recommendation
	for i := range p.Services {
		svc := &p.Services[i]
		rec := Recommendation{Service: svc.Name}
		need, needAt := 0, ""
		target := svc.HPACPUTarget()
		newTarget, targetAt := target, ""
		tol := 0.1
		if t := p.Simulation.Controller.Tolerance; t != nil {
			tol = *t
		}
		var memNeed float64
		memAt := ""
		var cpuNeed float64
		cpuAt := ""
		for _, sc := range r.Scenarios {
			scn := p.Scenario(sc.Scenario)
			for _, sz := range sc.Services {
				if sz.Service != svc.Name {
					continue
				}
				if svc.Fixed {
					if sz.Status != StatusOK {
						rec.Notes = append(rec.Notes, fmt.Sprintf("%s: %s; a fixed-size service scales vertically (more CPU or memory per replica) or by a topology change, which headroom does not patch", sc.Scenario, sz.Problem))
					}
					continue
				}
				if scn != nil && scenarios.EventFromScenario(scn) == nil && sz.Required > need && sz.Status != StatusInfeasible {
					need, needAt = sz.Required, fmt.Sprintf("%s at %s (%.0f req/s; %s)", sc.Scenario, sc.PeakTime, sz.PeakRate, sz.Binding)
				}
				// A CPU-utilisation HPA settles where CPU is at its target:
				// when the SLO needs more replicas than that, lower the
				// target so that one replica short of the need reads above
				// the tolerance band: t ≤ u·N / ((N−1)(1+tol)).
				if n := sz.Required; target > 0 && scn != nil && scenarios.EventFromScenario(scn) == nil && n >= 2 &&
					sz.Status != StatusInfeasible && sz.ByConstraint[string(model.ConstraintCPU)] < n {
					t := int32(math.Floor(100 * sz.CPUUtilisation * float64(n) / (float64(n-1) * (1 + tol))))
					if t >= 10 && t < newTarget {
						newTarget, targetAt = t, fmt.Sprintf("%s at %s (%.0f req/s) needs %d replicas (%s), where CPU is at %.0f %% of the request; at %d %% the HPA settles at %d",
							sc.Scenario, sc.PeakTime, sz.PeakRate, n, sz.Binding, 100*sz.CPUUtilisation, target, sz.ByConstraint[string(model.ConstraintCPU)])
					}
				}
				if sz.Status == StatusInfeasible {
					rec.Notes = append(rec.Notes, fmt.Sprintf("%s: %s", sc.Scenario, sz.Problem))
				}
				// An infeasible service's CPU and memory are at today's
				// replicas with a queue that does not settle (with calls:
				// every request waiting for a callee's timeout), not a
				// need a larger limit would meet.
				if sz.Status == StatusInfeasible {
					continue
				}
				if sz.MemoryPerPodBytes != nil && *sz.MemoryPerPodBytes > memNeed {
					memNeed, memAt = *sz.MemoryPerPodBytes, sc.Scenario
				}
				if sz.CPUPerPodCores > cpuNeed {
					cpuNeed, cpuAt = sz.CPUPerPodCores, sc.Scenario
				}
			}
		}
		if svc.Fixed {
			if len(rec.Notes) > 0 {
				out = append(out, rec)
			}
			continue
		}
		if svc.HPA != nil && newTarget < target {
			h := svc.HPA.DeepCopy()
			setCPUTarget(h, newTarget)
			rec.HPA = h
			rec.HPARationale = append(rec.HPARationale, fmt.Sprintf("CPU target %d %% → %d %%: the peak of %s; at %d %% one replica short of the need reads above the HPA's %g %% tolerance, so it scales to the need", target, newTarget, targetAt, newTarget, tol*100))
		}
		if svc.HPA != nil {
			// Room above the need for the tolerance band the HPA may settle in.
			want := need
			if newTarget < target {
				want = need + int(math.Ceil(float64(need)*tol))
			}
			if want > int(svc.HPA.MaxReplicas) {
				if rec.HPA == nil {
					rec.HPA = svc.HPA.DeepCopy()
				}
				rec.HPA.MaxReplicas = int32(want)
				why := fmt.Sprintf("maxReplicas %d → %d: the peak of %s needs %d replicas", svc.HPA.MaxReplicas, want, needAt, need)
				if want > need {
					why += fmt.Sprintf(", plus %d for the tolerance band above it", want-need)
				}
				rec.HPARationale = append(rec.HPARationale, why)
			}
		}
		if svc.HPA == nil && need > int(svc.Replicas) {
			rec.Replicas = int32(need)
			rec.HPARationale = append(rec.HPARationale, fmt.Sprintf("replicas %d → %d: the peak of %s needs %d replicas and the service has no HPA", svc.Replicas, need, needAt, need))
		}
		if req, ok := svc.Resources.Requests[corev1.ResourceMemory]; ok && memNeed > float64(req.Value()) {
			newReq := roundUpBytes(memNeed, 1<<20)
			rec.Requests = corev1.ResourceList{corev1.ResourceMemory: *resource.NewQuantity(newReq, resource.BinarySI)}
			rec.ResourceRationale = append(rec.ResourceRationale, fmt.Sprintf("memory request %s → %s: at the peak of %s a pod holds %s (base + in-flight requests at the SLO quantile)", req.String(), quantityString(newReq), memAt, quantityString(roundUpBytes(memNeed, 1<<20))))
			if lim, ok := svc.Resources.Limits[corev1.ResourceMemory]; ok && float64(lim.Value()) < 1.25*float64(newReq) {
				newLim := roundUpBytes(1.25*float64(newReq), 64<<20)
				rec.Limits = corev1.ResourceList{corev1.ResourceMemory: *resource.NewQuantity(newLim, resource.BinarySI)}
				rec.ResourceRationale = append(rec.ResourceRationale, fmt.Sprintf("memory limit %s → %s: 25 %% above the new request, so a burst of in-flight requests is not OOM-killed", lim.String(), quantityString(newLim)))
			}
		}
		if lim, ok := svc.Resources.Limits[corev1.ResourceCPU]; ok && cpuNeed > lim.AsApproximateFloat64() {
			newLim := int64(math.Ceil(1.25*cpuNeed*1000/50) * 50)
			if rec.Limits == nil {
				rec.Limits = corev1.ResourceList{}
			}
			rec.Limits[corev1.ResourceCPU] = *resource.NewMilliQuantity(newLim, resource.DecimalSI)
			rec.ResourceRationale = append(rec.ResourceRationale, fmt.Sprintf("CPU limit %s → %dm: at the peak of %s a pod uses %.0fm and would be throttled", lim.String(), newLim, cpuAt, cpuNeed*1000))
		}
		if rec.Changed() || len(rec.Notes) > 0 {
			out = append(out, rec)
		}
	}
	return out
}

// setCPUTarget sets the averageUtilization of the HPA's CPU metric.
func setCPUTarget(h *autoscalingv2.HorizontalPodAutoscalerSpec, pct int32) {
	for i := range h.Metrics {
		m := &h.Metrics[i]
		switch {
		case m.Type == autoscalingv2.ResourceMetricSourceType && m.Resource != nil && m.Resource.Name == corev1.ResourceCPU &&
			m.Resource.Target.Type == autoscalingv2.UtilizationMetricType:
			m.Resource.Target.AverageUtilization = &pct
			return
		case m.Type == autoscalingv2.ContainerResourceMetricSourceType && m.ContainerResource != nil && m.ContainerResource.Name == corev1.ResourceCPU &&
			m.ContainerResource.Target.Type == autoscalingv2.UtilizationMetricType:
			m.ContainerResource.Target.AverageUtilization = &pct
			return
		}
	}
}

func roundUpBytes(v float64, unit int64) int64 {
	return int64(math.Ceil(v/float64(unit))) * unit
}

func quantityString(b int64) string {
	q := resource.NewQuantity(b, resource.BinarySI)
	return q.String()
}

// ProposedHPAs collects the recommendations' HPA specs by service, the form
// sim.Compare takes.
func ProposedHPAs(recs []Recommendation) map[string]*autoscalingv2.HorizontalPodAutoscalerSpec {
	out := map[string]*autoscalingv2.HorizontalPodAutoscalerSpec{}
	for _, r := range recs {
		if r.HPA != nil {
			out[r.Service] = r.HPA
		}
	}
	return out
}
