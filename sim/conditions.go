package sim

import (
	"github.com/headroom-dev/headroom/scenarios"
	"github.com/headroom-dev/headroom/sim/hpa"
)

// HPAConditions are the HPA's status conditions after its last sync
// (hpa.Conditions), as the JSON output writes them.
type HPAConditions struct {
	AbleToScale    HPACondition `json:"ableToScale"`
	ScalingActive  HPACondition `json:"scalingActive"`
	ScalingLimited HPACondition `json:"scalingLimited"`
	// ScaledToZero is set by a v1.37 controller (HPAScaleToZero) on every
	// successful rescale; empty until then.
	ScaledToZero HPACondition `json:"scaledToZero"`
}

// HPACondition is one status condition (hpa.Condition).
type HPACondition struct {
	// Status is True or False; empty until the condition is first set.
	Status string `json:"status"`
	// Reason is the upstream reason; Message upstream's human-readable
	// message.
	Reason  string `json:"reason"`
	Message string `json:"message"`
	// LastTransition is when Status last changed, from the scenario start.
	LastTransition scenarios.Seconds `json:"lastTransitionSeconds"`
}

func newHPAConditions(c *hpa.Conditions) *HPAConditions {
	conv := func(c *hpa.Condition) HPACondition {
		return HPACondition{Status: string(c.Status), Reason: c.Reason, Message: c.Message, LastTransition: scenarios.Seconds(c.LastTransitionTime)}
	}
	return &HPAConditions{AbleToScale: conv(&c.AbleToScale), ScalingActive: conv(&c.ScalingActive), ScalingLimited: conv(&c.ScalingLimited),
		ScaledToZero: conv(&c.ScaledToZero)}
}
