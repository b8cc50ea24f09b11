package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	corev1 "k8s.io/api/core/v1"

	"github.com/headroom-dev/headroom/capacity"
	"github.com/headroom-dev/headroom/scenarios"
)

// printRightsizeProposal writes the recommender's proposal that --out-dir
// patches: per service the HPA setting, the resources, today's worst burn
// and the proposal's, whether it holds the SLO, and the reasons.
func printRightsizeProposal(w io.Writer, plan *scenarios.Plan, props []capacity.RightsizeProposal) {
	if len(props) == 0 {
		return
	}
	fmt.Fprintln(w, "\nThe recommender's proposal (what --out-dir patches; the usage above is its input: the CPU limit and")
	fmt.Fprintln(w, "memory request never go below the observed peaks). WORST BURN is the largest budget burn of any scenario,")
	fmt.Fprintln(w, "also with the inputs moved 3 % and at the uncertainty ensemble's p90 when the plan has one.")
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SERVICE\tHPA\tREQUESTS\tLIMITS\tWORST BURN\tSLO-MIN\tHOLDS")
	for _, p := range props {
		svc := plan.Service(p.Service)
		burn, minutes, holds := "—", "—", "—"
		if p.Current != nil {
			burn = fmt.Sprintf("%.2f → %.2f", p.Current.WorstBurn, p.Chosen.WorstBurn)
			minutes = fmt.Sprintf("%.1f → %.1f", sloMinutes(p.Current), sloMinutes(p.Chosen))
			holds = "no"
			if p.Met {
				holds = "yes"
			}
		}
		var req, lim string
		if svc != nil {
			req, lim = resourceChanges(svc.Resources.Requests, p.Recommendation.Requests), resourceChanges(svc.Resources.Limits, p.Recommendation.Limits)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", p.Service, hpaChange(p), req, lim, burn, minutes, holds)
	}
	tw.Flush()
	for _, p := range props {
		r := &p.Recommendation
		lines := slices.Concat(r.HPARationale, r.ResourceRationale, r.Notes)
		if p.Binding != "" {
			lines = append(lines, "binding: "+p.Binding)
		}
		if len(lines) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s:\n", p.Service)
		for _, l := range lines {
			fmt.Fprintf(w, "  - %s\n", l)
		}
	}
}

// sloMinutes sums a point's SLO-violation minutes over its scenarios.
func sloMinutes(p *capacity.Point) float64 {
	m := 0.0
	for _, o := range p.Outcomes {
		m += o.Minutes
	}
	return m
}

// hpaChange says how the proposal moves the HPA: target, bounds and
// scale-up, today → proposed, or "=" when nothing moves.
func hpaChange(p capacity.RightsizeProposal) string {
	if p.Current == nil {
		if p.Recommendation.Replicas > 0 {
			return fmt.Sprintf("replicas → %d", p.Recommendation.Replicas)
		}
		return "—"
	}
	c, n := p.Current, p.Chosen
	var parts []string
	if c.CPUTarget != n.CPUTarget {
		parts = append(parts, fmt.Sprintf("cpu %d%%→%d%%", c.CPUTarget, n.CPUTarget))
	}
	if c.MinReplicas != n.MinReplicas {
		parts = append(parts, fmt.Sprintf("min %d→%d", c.MinReplicas, n.MinReplicas))
	}
	if c.MaxReplicas != n.MaxReplicas {
		parts = append(parts, fmt.Sprintf("max %d→%d", c.MaxReplicas, n.MaxReplicas))
	}
	if n.ScaleUp != "" {
		parts = append(parts, "scale-up "+n.ScaleUp)
	}
	if len(parts) == 0 {
		return "="
	}
	return strings.Join(parts, ", ")
}

// resourceChanges lists the resources that change, today → proposed, in
// a fixed order; "=" when none does.
func resourceChanges(today, proposed corev1.ResourceList) string {
	var parts []string
	for _, name := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		q, ok := proposed[name]
		if !ok {
			continue
		}
		was := "none"
		if t, ok := today[name]; ok {
			was = t.String()
		}
		parts = append(parts, fmt.Sprintf("%s %s→%s", name, was, q.String()))
	}
	if len(parts) == 0 {
		return "="
	}
	return strings.Join(parts, ", ")
}
