package capacity

import (
	"errors"
	"fmt"
	"math"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/headroom-dev/headroom/model"
	"github.com/headroom-dev/headroom/scenarios"
)

// Service sizing statuses.
const (
	// StatusOK: the service covers the scenario peak.
	StatusOK = "ok"
	// StatusOverMax: the peak needs more replicas than the HPA's maxReplicas
	// (or, without an HPA, than the current replicas).
	StatusOverMax = "over-max"
	// StatusBreach: a fixed-size service misses its objectives at the peak.
	StatusBreach = "breach"
	// StatusInfeasible: no replica count meets the objectives.
	StatusInfeasible = "infeasible"
)

// SizingReport is the sizing of every service of a plan at each scenario's
// peak.
type SizingReport struct {
	Plan      string           `json:"plan"`
	Mode      string           `json:"mode"`
	Scenarios []ScenarioSizing `json:"scenarios"`
}

// ScenarioSizing is one scenario's peak and what each service needs there.
type ScenarioSizing struct {
	Scenario string `json:"scenario"`
	// PeakMultiplier is the scenario's largest multiplier of the base rate,
	// first reached PeakAt after the start (UTC wall clock PeakTime).
	PeakMultiplier float64             `json:"peakMultiplier"`
	PeakAt         scenarios.Duration  `json:"peakAt"`
	PeakTime       scenarios.TimeOfDay `json:"peakTime"`
	Services       []ServiceSizing     `json:"services"`
	// CPUCores and MemoryBytes are the requests of all pods at the peak
	// (services outside the scenario at their current replicas), which
	// Nodes packs.
	CPUCores    float64       `json:"cpuCores"`
	MemoryBytes float64       `json:"memoryBytes"`
	Nodes       model.Packing `json:"nodes"`
}

// ServiceSizing is one service at one scenario's peak.
type ServiceSizing struct {
	Service string `json:"service"`
	// PeakRate is the request rate at the scenario peak, per second.
	PeakRate float64 `json:"peakRatePerSecond"`
	// Current is today's replicas; Max the HPA's maxReplicas (or Current
	// without an HPA); Required what the peak needs.
	Current  int `json:"current"`
	Max      int `json:"max"`
	Required int `json:"required"`
	// Binding names the constraint that set Required; ByConstraint what each
	// constraint alone needs.
	Binding      string         `json:"binding"`
	ByConstraint map[string]int `json:"byConstraint"`
	// Fixed services are evaluated at Current rather than scaled.
	Fixed bool `json:"fixed,omitempty"`
	// At is the replica count the prediction is for: Required, or Current
	// for a fixed service.
	At int `json:"predictedAt"`
	// SlotUtilisation and CPUUtilisation are fractions at At replicas.
	SlotUtilisation float64 `json:"slotUtilization"`
	CPUUtilisation  float64 `json:"cpuUtilization"`
	// P95Seconds and MeanSeconds are response times at At replicas; nil
	// when the pods are unstable (load beyond their worker slots).
	P95Seconds  *float64 `json:"p95Seconds"`
	MeanSeconds *float64 `json:"meanSeconds"`
	// Approximate marks latency from the G/G/k two-moment approximation.
	Approximate bool `json:"approximate,omitempty"`
	// CallSeconds is the time a request waits on its synchronous calls at
	// the sized point (perRequest times each callee's mean response at
	// its own sized count), part of its time in service; absent without
	// calls.
	CallSeconds float64 `json:"callSeconds,omitempty"`
	// CPUCores and MemoryBytes are the requests of At replicas.
	CPUCores    float64 `json:"cpuCores"`
	MemoryBytes float64 `json:"memoryBytes"`
	// CPUPerPodCores and MemoryPerPodBytes are the predicted use of one pod.
	CPUPerPodCores    float64  `json:"cpuPerPodCores"`
	MemoryPerPodBytes *float64 `json:"memoryPerPodBytes"`
	// RecommendedCPU is the per-pod CPU request that puts the predicted use
	// at the utilisation ceiling (rounded up to 10m); RecommendedMemory the
	// predicted memory with the in-flight count at the SLO quantile by
	// Little's law (rounded up to 1Mi). Empty when the pods are unstable.
	RecommendedCPU    string `json:"recommendedCpuRequest,omitempty"`
	RecommendedMemory string `json:"recommendedMemoryRequest,omitempty"`
	Status            string `json:"status"`
	// Problem says what is wrong when Status is not ok.
	Problem string `json:"problem,omitempty"`
}

// Failed reports whether any service at any scenario is not ok.
func (r *SizingReport) Failed() bool {
	for _, sc := range r.Scenarios {
		for _, s := range sc.Services {
			if s.Status != StatusOK {
				return true
			}
		}
	}
	return false
}

// Size sizes every service of the plan at the peak of each scenario (or
// only the named one). The plan must be validated.
func Size(p *scenarios.Plan, mode model.Mode, scenario string) (*SizingReport, error) {
	rep := &SizingReport{Plan: p.Metadata.Name, Mode: mode.String()}
	nodes := p.Cluster.NodeShapes()
	found := false
	for i := range p.Scenarios {
		sc := &p.Scenarios[i]
		if scenario != "" && sc.Name != scenario {
			continue
		}
		found = true
		ss, err := sizeScenario(p, sc, mode, nodes)
		if err != nil {
			return nil, fmt.Errorf("scenario %s: %w", sc.Name, err)
		}
		rep.Scenarios = append(rep.Scenarios, ss)
	}
	if !found {
		return nil, fmt.Errorf("no scenario named %q in the plan; it has %s", scenario, scenarioNames(p))
	}
	return rep, nil
}

func scenarioNames(p *scenarios.Plan) string {
	s := ""
	for i, sc := range p.Scenarios {
		if i > 0 {
			s += ", "
		}
		s += sc.Name
	}
	return s
}

func sizeScenario(p *scenarios.Plan, sc *scenarios.Scenario, mode model.Mode, nodes []model.NodeShape) (ScenarioSizing, error) {
	peak := sc.Peak(p.Seed)
	ss := ScenarioSizing{
		Scenario:       sc.Name,
		PeakMultiplier: peak.Multiplier,
		PeakAt:         scenarios.Duration(peak.At),
		PeakTime:       scenarios.TimeOfDay((time.Duration(sc.Start) + peak.At) % (24 * time.Hour)),
	}
	sized, err := sizeInCallOrder(p, sc, peak.Multiplier, mode)
	if err != nil {
		return ss, err
	}
	var pods []model.PodShape
	for i := range p.Services {
		svc := &p.Services[i]
		count := int(svc.Replicas)
		if sz, ok := sized[svc.Name]; ok {
			ss.Services = append(ss.Services, sz)
			count = sz.At
		}
		cpu := scenarios.Cores(svc.Resources.Requests[corev1.ResourceCPU])
		mem := scenarios.Bytes(svc.Resources.Requests[corev1.ResourceMemory])
		pods = append(pods, model.PodShape{Name: svc.Name, CPU: cpu, Memory: mem, Count: count})
		ss.CPUCores += cpu * float64(count)
		ss.MemoryBytes += mem * float64(count)
	}
	packing, err := model.Pack(pods, nodes)
	if err != nil {
		return ss, err
	}
	// Replicas spread over zones need a node in each zone at least.
	zones := 1
	for i := range p.Services {
		zones = max(zones, p.Services[i].Redundancy.Zones)
	}
	if packing.Nodes < zones {
		perNode := packing.CostPerHour / float64(max(packing.Nodes, 1))
		if packing.Nodes == 0 {
			for _, n := range nodes {
				if n.Name == packing.NodeType {
					perNode = n.PricePerHour
				}
			}
		}
		packing.Nodes = zones
		packing.CostPerHour = perNode * float64(zones)
		packing.CostPerMonth = packing.CostPerHour * model.HoursPerMonth
	}
	ss.Nodes = packing
	return ss, nil
}

func finitePtr(x float64) *float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	return &x
}

// sizeService sizes one service at one request rate.
func sizeService(svc *scenarios.Service, rate float64, mode model.Mode, calls callDelay) (ServiceSizing, error) {
	out := ServiceSizing{
		Service:  svc.Name,
		PeakRate: rate,
		Current:  int(svc.Replicas),
		Max:      svc.MaxReplicas(),
		Fixed:    svc.Fixed,
		Status:   StatusOK,
	}
	w, err := svc.Workload(rate)
	if err != nil {
		return out, err
	}
	if calls.mean > 0 {
		w = w.WithCallDelay(calls.mean, calls.cs2)
		out.CallSeconds = calls.mean
	}
	req := svc.Requirement()
	sz, err := model.Size(w, req, mode)
	var inf *model.InfeasibleError
	switch {
	case errors.As(err, &inf):
		out.Status, out.Problem = StatusInfeasible, inf.Reason
	case err != nil:
		return out, err
	}
	out.Required, out.Binding, out.Approximate = sz.Replicas, string(sz.Binding), sz.Approximate
	out.ByConstraint = map[string]int{}
	for c, n := range sz.ByConstraint {
		out.ByConstraint[string(c)] = n
	}
	out.At = out.Required
	if svc.HPA != nil && svc.HPA.MinReplicas != nil {
		// The HPA never goes below its minimum, whatever the peak needs.
		out.At = max(out.At, int(*svc.HPA.MinReplicas))
	}
	if svc.Fixed || out.Status == StatusInfeasible {
		out.At = out.Current
	}
	if out.Status == StatusInfeasible {
		out.Required, out.Binding = 0, StatusInfeasible
	}
	pr, err := model.Predict(w, out.At, req.LatencyQuantile)
	if err != nil {
		return out, err
	}
	out.SlotUtilisation, out.CPUUtilisation = pr.SlotUtilisation, pr.CPUUtilisation
	out.P95Seconds, out.MeanSeconds = finitePtr(pr.P95Response), finitePtr(pr.MeanResponse)
	out.CPUPerPodCores, out.MemoryPerPodBytes = pr.CPUPerPod, finitePtr(pr.MemoryPerPod)
	if pr.Stable {
		out.RecommendedCPU = roundUpQuantity(pr.CPUPerPod/req.UtilisationCeiling*1000, 10, "m")
		out.RecommendedMemory = roundUpQuantity(pr.MemoryPerPod/(1<<20), 1, "Mi")
	}
	out.CPUCores = w.CPURequest * float64(out.At)
	out.MemoryBytes = w.MemoryRequest * float64(out.At)
	if out.Status != StatusOK {
		return out, nil
	}
	switch {
	case svc.Fixed && out.Required > out.Current:
		out.Status = StatusBreach
		out.Problem = fmt.Sprintf("fixed at %d replica(s) but the peak needs %d (%s): %s", out.Current, out.Required, out.Binding, describeMiss(pr, req))
	case !svc.Fixed && out.Required > out.Max:
		out.Status = StatusOverMax
		what := "maxReplicas"
		if svc.HPA == nil {
			what = "replicas (no HPA)"
		}
		out.Problem = fmt.Sprintf("the peak needs %d replicas (%s) but %s is %d", out.Required, out.Binding, what, out.Max)
	}
	return out, nil
}

// describeMiss says which objective a fixed service misses at its size.
func describeMiss(pr model.Prediction, req model.Requirement) string {
	switch {
	case !pr.Stable && pr.SlotUtilisation < 1:
		return fmt.Sprintf("CPU demand %.3g cores reaches the CPU limit: the pod is throttled and falls behind", pr.CPUPerPod)
	case !pr.Stable:
		return fmt.Sprintf("worker slots overloaded (%.0f%% busy)", pr.SlotUtilisation*100)
	case pr.CPUUtilisation > req.UtilisationCeiling:
		return fmt.Sprintf("CPU at %.0f%% of request, ceiling %.0f%%", pr.CPUUtilisation*100, req.UtilisationCeiling*100)
	case pr.SlotUtilisation > req.UtilisationCeiling:
		return fmt.Sprintf("worker slots %.0f%% busy, ceiling %.0f%%", pr.SlotUtilisation*100, req.UtilisationCeiling*100)
	case req.LatencyQuantile > 0 && pr.QuantileResponse > req.LatencyTarget:
		return fmt.Sprintf("p%g response %.3gs above the %.3gs target", req.LatencyQuantile*100, pr.QuantileResponse, req.LatencyTarget)
	}
	return "objectives missed"
}

// roundUpQuantity writes x rounded up to a multiple of step with a unit
// suffix ("420m", "354Mi").
func roundUpQuantity(x, step float64, unit string) string {
	return fmt.Sprintf("%.0f%s", max(math.Ceil(x/step-1e-9), 1)*step, unit)
}
