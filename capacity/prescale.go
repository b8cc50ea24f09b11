package capacity

import (
	"fmt"
	"math"
	"time"

	"github.com/headroom-dev/headroom/model"
	"github.com/headroom-dev/headroom/scenarios"
)

// PreScales computes each event service's pre-scale from the sizing at the
// event's peak (peak) and at today's traffic (today). Services that today's
// floor already covers are left out.
func PreScales(p *scenarios.Plan, ev *scenarios.Event, peak, today ScenarioSizing) []scenarios.PreScale {
	newNodes := newNodesFor(p.Cluster.NodeShapes(), today, peak)
	var out []scenarios.PreScale
	for _, sz := range peak.Services {
		svc := p.Service(sz.Service)
		if svc == nil || svc.Fixed {
			continue
		}
		ps := scenarios.PreScale{Service: svc.Name, Namespace: svc.Namespace, To: int32(sz.Required)}
		if svc.HPA != nil {
			ps.TargetKind, ps.TargetName = "HorizontalPodAutoscaler", scenarios.HPAName(svc)
			ps.From = svc.HPA.MaxReplicas
			if svc.HPA.MinReplicas != nil {
				ps.From = *svc.HPA.MinReplicas
			} else {
				ps.From = 1
			}
			ps.MaxFrom, ps.MaxTo = svc.HPA.MaxReplicas, max(svc.HPA.MaxReplicas, ps.To)
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
		ps.RestoreAt = ev.EndAt + ev.Ramp + scenarios.Seconds(scenarios.RestoreDelay)
		scStart := time.Duration(0)
		if sc := p.Scenario(ev.Scenario); sc != nil {
			scStart = time.Duration(sc.Start)
		}
		ps.RaiseClock = scenarios.TimeOfDay((scStart + ps.RaiseAt.D()) % (24 * time.Hour))
		ps.RestoreClock = scenarios.TimeOfDay((scStart + ps.RestoreAt.D()) % (24 * time.Hour))
		if ev.Dated {
			ps.Raise = ev.Start.Add(-ps.Lead.D())
			ps.Restore = ev.End.Add(ev.Ramp.D() + scenarios.RestoreDelay)
		}
		ps.Rationale = []string{
			fmt.Sprintf("the event's peak (%.0f req/s) needs %d replicas (%s); today's floor is %d", sz.PeakRate, sz.Required, sz.Binding, ps.From),
			fmt.Sprintf("raise %s before the rise: %s", ps.Lead, why),
			fmt.Sprintf("restore %s after the fall so the HPA scales down by its own behaviour", scenarios.RestoreDelay),
		}
		if ps.MaxTo > ps.MaxFrom {
			ps.Rationale = append(ps.Rationale, fmt.Sprintf("maxReplicas %d is below the peak's need: raised to %d for the event", ps.MaxFrom, ps.MaxTo))
		}
		out = append(out, ps)
	}
	return out
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
