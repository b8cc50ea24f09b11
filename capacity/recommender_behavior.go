package capacity

import (
	"fmt"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
)

// The scale-up behaviour is a lever of the search next to the target and
// the bounds. An HPA whose spec.behavior.scaleUp is slower than
// Kubernetes' default — a stabilisation window, or policies that add
// fewer pods per period — reacts late to a ramp, and the search can
// compensate only with a lower target (idle headroom all day) or a higher
// floor. So the search also tries the default scale-up rules, which the
// HPA uses when scaleUp is absent: no stabilisation, and the larger of
// 100 % and 4 pods per 15 s (GenerateHPAScaleUpRules in
// pkg/apis/autoscaling/v2/defaults.go), and keeps whichever behaviour
// holds the budget more cheaply.

// Scale-up behaviours a setting can have.
const (
	upToday   uint8 = iota // the plan's spec.behavior.scaleUp
	upDefault              // Kubernetes' default scale-up rules
)

// defaultScaleUp are the Kubernetes default scale-up rules.
func defaultScaleUp() *autoscalingv2.HPAScalingRules {
	zero := int32(0)
	maxPolicy := autoscalingv2.MaxChangePolicySelect
	return &autoscalingv2.HPAScalingRules{
		StabilizationWindowSeconds: &zero,
		SelectPolicy:               &maxPolicy,
		Policies: []autoscalingv2.HPAScalingPolicy{
			{Type: autoscalingv2.PercentScalingPolicy, Value: 100, PeriodSeconds: 15},
			{Type: autoscalingv2.PodsScalingPolicy, Value: 4, PeriodSeconds: 15},
		},
	}
}

// slowScaleUp reports whether an HPA's scale-up is slower than the
// default: a stabilisation window above 0, a Min or Disabled policy
// selection, or no policy adding at least as many pods per 15 s as the
// default's.
func slowScaleUp(h *autoscalingv2.HorizontalPodAutoscalerSpec) bool {
	if h.Behavior == nil || h.Behavior.ScaleUp == nil {
		return false
	}
	up := h.Behavior.ScaleUp
	if w := up.StabilizationWindowSeconds; w != nil && *w > 0 {
		return true
	}
	if sp := up.SelectPolicy; sp != nil && *sp != autoscalingv2.MaxChangePolicySelect {
		return true
	}
	if len(up.Policies) == 0 {
		return false
	}
	pct, pods := false, false
	for _, p := range up.Policies {
		switch p.Type {
		case autoscalingv2.PercentScalingPolicy:
			pct = pct || (p.Value >= 100 && p.PeriodSeconds <= 15)
		case autoscalingv2.PodsScalingPolicy:
			pods = pods || (p.Value >= 4 && p.PeriodSeconds <= 15)
		}
	}
	return !pct || !pods
}

// applyScaleUp sets a setting's scale-up behaviour on a spec.
func applyScaleUp(h *autoscalingv2.HorizontalPodAutoscalerSpec, up uint8) {
	if up != upDefault {
		return
	}
	if h.Behavior == nil {
		h.Behavior = &autoscalingv2.HorizontalPodAutoscalerBehavior{}
	}
	h.Behavior.ScaleUp = defaultScaleUp()
}

// scaleUpName names a behaviour in the output.
func scaleUpName(up uint8) string {
	if up == upDefault {
		return "kubernetes-default"
	}
	return ""
}

// describeScaleUp says what today's scale-up is, for a rationale.
func describeScaleUp(h *autoscalingv2.HorizontalPodAutoscalerSpec) string {
	up := h.Behavior.ScaleUp
	s := "scale-up"
	if w := up.StabilizationWindowSeconds; w != nil {
		s += fmt.Sprintf(" stabilisation %d s", *w)
	}
	for _, p := range up.Policies {
		unit := " pods"
		if p.Type == autoscalingv2.PercentScalingPolicy {
			unit = " %"
		}
		s += fmt.Sprintf(", %d%s per %d s", p.Value, unit, p.PeriodSeconds)
	}
	return s
}
