package capacity

import (
	"fmt"
	"math"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"

	"github.com/headroom-dev/headroom/model"
	"github.com/headroom-dev/headroom/scenarios"
)

// PreScales computes each event service's pre-scale from the sizing at the
// event's peak (peak) and at today's traffic (today), against today's HPAs,
// restoring a fixed RestoreDelay after the fall. Services that today's
// floor already covers are left out. PlanPreScales is the same plan made
// together with the recommender's permanent proposal, restored when the
// simulated load allows.
func PreScales(p *scenarios.Plan, ev *scenarios.Event, peak, today ScenarioSizing) []scenarios.PreScale {
	return preScaleFloors(p, ev, peak, today, nil)
}

// preScaleFloors is PreScales against the permanent HPAs: proposed[name]
// where the recommender proposes one, else the plan's. The floor restored
// (From) and the maxReplicas outside the event (MaxFrom) are the permanent
// HPA's, so the restore never undoes the proposal; maxReplicas rises for
// the event only when the peak needs more than the permanent maximum.
func preScaleFloors(p *scenarios.Plan, ev *scenarios.Event, peak, today ScenarioSizing, proposed map[string]*autoscalingv2.HorizontalPodAutoscalerSpec) []scenarios.PreScale {
	newNodes := newNodesFor(p.Cluster.NodeShapes(), today, peak)
	var out []scenarios.PreScale
	for _, sz := range peak.Services {
		svc := p.Service(sz.Service)
		if svc == nil || svc.Fixed {
			continue
		}
		ps := scenarios.PreScale{Service: svc.Name, Namespace: svc.Namespace, To: int32(sz.Required)}
		var maxWhy string
		if svc.HPA != nil {
			hpa := svc.HPA
			if h := proposed[svc.Name]; h != nil {
				hpa = h
			}
			ps.TargetKind, ps.TargetName = "HorizontalPodAutoscaler", scenarios.HPAName(svc)
			ps.From = 1
			if hpa.MinReplicas != nil {
				ps.From = *hpa.MinReplicas
			}
			ps.MaxFrom, ps.MaxTo = hpa.MaxReplicas, max(hpa.MaxReplicas, ps.To)
			maxWhy = maxReplicasWhy(svc.HPA.MaxReplicas, hpa.MaxReplicas, ps.To)
		} else {
			ps.TargetKind, ps.TargetName = svc.WorkloadRef.Kind, svc.WorkloadRef.Name
			ps.From = svc.Replicas
		}
		if ps.To <= ps.From {
			continue
		}
		startup := svc.Startup.Total().D()
		margin := 2*p.Simulation.Controller.SyncPeriod.D() + 5*time.Minute
		lead := startup + margin
		why := fmt.Sprintf("pods take %s to be Ready (image pull %s, start %s, readiness %s)", startup,
			svc.Startup.ImagePull.D(), svc.Startup.ContainerStart.D(), svc.Startup.Readiness.D())
		if newNodes > 0 {
			lead += p.Cluster.Autoscaler.ProvisioningDelay.D()
			why += fmt.Sprintf(", the cluster must add %d node(s) taking %s", newNodes, p.Cluster.Autoscaler.ProvisioningDelay.D())
		}
		why += fmt.Sprintf(", plus %s margin for two HPA syncs and scheduling", margin)
		ps.Lead = scenarios.Seconds(roundUp(lead, 5*time.Minute))
		ps.NewNodes = newNodes
		ps.RaiseAt = max(0, ev.RiseAt-ps.Lead)
		setClocks(p, ev, &ps)
		setRestore(p, ev, &ps, ev.EndAt+ev.Ramp+scenarios.Seconds(scenarios.RestoreDelay))
		ps.Rationale = []string{
			fmt.Sprintf("the event's peak (%.0f req/s) needs %d replicas (%s); the floor outside the event is %d", sz.PeakRate, sz.Required, sz.Binding, ps.From),
			fmt.Sprintf("raise %s before the rise: %s", ps.Lead, why),
			fmt.Sprintf("restore %s after the fall so the HPA scales down by its own behaviour", scenarios.RestoreDelay),
		}
		if maxWhy != "" {
			ps.Rationale = append(ps.Rationale, maxWhy)
		}
		out = append(out, ps)
	}
	return out
}

// maxReplicasWhy says how the event's maxReplicas relates to today's
// (cur) and the permanent one (perm, the recommender's proposal or
// today's): the permanent change covers the peak's need, or the event
// raises it further for its window only. Empty when neither changes.
func maxReplicasWhy(cur, perm, need int32) string {
	switch {
	case perm != cur && need <= perm:
		return fmt.Sprintf("maxReplicas %d → %d is a permanent change (the recommender's proposal); it covers the peak's %d, so the event raises no maximum of its own", cur, perm, need)
	case perm != cur:
		return fmt.Sprintf("maxReplicas %d → %d is a permanent change (the recommender's proposal); the peak needs %d, more: raised to %d for the event and back to %d at the restore", cur, perm, need, need, perm)
	case need > perm:
		return fmt.Sprintf("maxReplicas %d is below the peak's need: raised to %d for the event", perm, need)
	}
	return ""
}

// setClocks sets the raise's time of day and, for a dated event, instant.
func setClocks(p *scenarios.Plan, ev *scenarios.Event, ps *scenarios.PreScale) {
	ps.RaiseClock = scenarios.TimeOfDay((scenarioStart(p, ev) + ps.RaiseAt.D()) % (24 * time.Hour))
	if ev.Dated {
		ps.Raise = ev.Start.Add(-ps.Lead.D())
	}
}

// setRestore puts the restore at offset at of the event's scenario.
func setRestore(p *scenarios.Plan, ev *scenarios.Event, ps *scenarios.PreScale, at scenarios.Seconds) {
	ps.RestoreAt = at
	ps.RestoreClock = scenarios.TimeOfDay((scenarioStart(p, ev) + at.D()) % (24 * time.Hour))
	if ev.Dated {
		ps.Restore = ev.Start.Add(at.D() - ev.RiseAt.D())
	}
}

// scenarioStart is the UTC time of day the event's scenario starts.
func scenarioStart(p *scenarios.Plan, ev *scenarios.Event) time.Duration {
	if sc := p.Scenario(ev.Scenario); sc != nil {
		return time.Duration(sc.Start)
	}
	return 0
}

// newNodesFor is how many nodes of today's type the cluster must add to hold
// the peak's requests, beyond the room today's nodes have left.
func newNodesFor(shapes []model.NodeShape, today, peak ScenarioSizing) int {
	for _, sh := range shapes {
		if sh.Name != today.Nodes.NodeType || sh.CPU <= 0 || sh.Memory <= 0 {
			continue
		}
		n := float64(today.Nodes.Nodes)
		cpu := (peak.CPUCores - n*sh.CPU) / sh.CPU
		mem := (peak.MemoryBytes - n*sh.Memory) / sh.Memory
		return max(0, int(math.Ceil(max(cpu, mem))))
	}
	return 0
}

func roundUp(d, to time.Duration) time.Duration { return (d + to - 1) / to * to }
