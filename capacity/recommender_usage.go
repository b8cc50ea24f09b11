package capacity

import (
	"fmt"
	"math"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/headroom-dev/headroom/scenarios"
)

// UsagePeak is a container's observed peak usage (from rightsize's usage
// history): an input of the recommender, not a proposal of its own.
type UsagePeak struct {
	// CPUCores is the largest CPU sample, cores; MemoryBytes the largest
	// working-set sample, bytes. 0 is unknown.
	CPUCores    float64 `json:"cpuCores"`
	MemoryBytes float64 `json:"memoryBytes"`
	// Margin is added to the memory peak (the estimator's safety margin,
	// a fraction).
	Margin float64 `json:"margin"`
}

// UsagePeaks reads the observed peaks from a right-sizing report, with the
// estimator's safety margin on memory.
func UsagePeaks(rep *RightsizeReport, margin float64) map[string]UsagePeak {
	out := map[string]UsagePeak{}
	for _, r := range rep.Recommendations {
		out[r.Service] = UsagePeak{CPUCores: r.CPU.PeakUsage, MemoryBytes: r.Memory.PeakUsage, Margin: margin}
	}
	return out
}

// applyUsageFloors keeps a recommendation's limits and requests above the
// observed usage: the CPU limit never below the peak CPU (a limit below
// it throttles what already runs), the memory request never below the
// peak working set plus the margin (below it the pod is an early eviction
// candidate under node memory pressure; the kubelet ranks pods by usage
// above request, pkg/kubelet/eviction/helpers.go rankMemoryPressure).
func applyUsageFloors(svc *scenarios.Service, rec *Recommendation, peak UsagePeak) {
	if peak.MemoryBytes > 0 {
		want := roundUpBytes(peak.MemoryBytes*(1+peak.Margin), 1<<20)
		cur, ok := rec.Requests[corev1.ResourceMemory]
		if !ok {
			cur, ok = svc.Resources.Requests[corev1.ResourceMemory]
		}
		if ok && cur.Value() < want {
			if rec.Requests == nil {
				rec.Requests = corev1.ResourceList{}
			}
			rec.Requests[corev1.ResourceMemory] = *resource.NewQuantity(want, resource.BinarySI)
			rec.ResourceRationale = append(rec.ResourceRationale, fmt.Sprintf("memory request %s → %s: the observed peak working set %s plus the %.0f %% margin",
				cur.String(), quantityString(want), quantityString(int64(peak.MemoryBytes)), 100*peak.Margin))
			lim, ok := rec.Limits[corev1.ResourceMemory]
			if !ok {
				lim, ok = svc.Resources.Limits[corev1.ResourceMemory]
			}
			if ok && lim.Value() < want {
				if rec.Limits == nil {
					rec.Limits = corev1.ResourceList{}
				}
				rec.Limits[corev1.ResourceMemory] = *resource.NewQuantity(want, resource.BinarySI)
				rec.ResourceRationale = append(rec.ResourceRationale, fmt.Sprintf("memory limit %s → %s: not below the new request", lim.String(), quantityString(want)))
			}
		}
	}
	if peak.CPUCores > 0 {
		lim, ok := rec.Limits[corev1.ResourceCPU]
		if !ok {
			lim, ok = svc.Resources.Limits[corev1.ResourceCPU]
		}
		if ok && lim.AsApproximateFloat64() < peak.CPUCores {
			newLim := int64(math.Ceil(peak.CPUCores*1000/50) * 50)
			if rec.Limits == nil {
				rec.Limits = corev1.ResourceList{}
			}
			rec.Limits[corev1.ResourceCPU] = *resource.NewMilliQuantity(newLim, resource.DecimalSI)
			rec.ResourceRationale = append(rec.ResourceRationale, fmt.Sprintf("CPU limit %s → %dm: not below the observed peak of %.0fm", lim.String(), newLim, peak.CPUCores*1000))
		}
	}
}

// WithResources returns a copy of the plan whose services carry the
// recommendations' requests and limits (only the resources they change),
// for simulating a proposal as it would run; the plan itself is not
// changed. Without any resource change it returns the plan.
func WithResources(plan *scenarios.Plan, recs []Recommendation) *scenarios.Plan {
	changed := false
	for _, r := range recs {
		changed = changed || len(r.Requests) > 0 || len(r.Limits) > 0
	}
	if !changed {
		return plan
	}
	q := *plan
	q.Services = slices.Clone(plan.Services)
	for _, r := range recs {
		if len(r.Requests) == 0 && len(r.Limits) == 0 {
			continue
		}
		for i := range q.Services {
			s := &q.Services[i]
			if s.Name != r.Service {
				continue
			}
			res := *s.Resources.DeepCopy()
			for k, v := range r.Requests {
				if res.Requests == nil {
					res.Requests = corev1.ResourceList{}
				}
				res.Requests[k] = v
			}
			for k, v := range r.Limits {
				if res.Limits == nil {
					res.Limits = corev1.ResourceList{}
				}
				res.Limits[k] = v
			}
			s.Resources = res
		}
	}
	return &q
}
