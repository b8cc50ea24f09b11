package hpa

import (
	"math"
	"time"
)

// normalizeDesiredReplicas mirrors the function of that name in
// horizontal.go, the path of an HPA without spec.behavior: stabilise
// downscales over Config.DownscaleStabilizationWindow, then clamp with the
// legacy scale-up limit and min/max, setting AbleToScale and
// ScalingLimited. It returns the final and the stabilised counts.
func (c *Controller) normalizeDesiredReplicas(now time.Duration, currentReplicas, prenormalized, minReplicas int32) (desired, stabilized int32) {
	stabilized = c.stabilizeRecommendation(now, prenormalized)
	if stabilized != prenormalized {
		setCondition(&c.conds.AbleToScale, conditionTrue, ReasonScaleDownStabilized, msgScaleDownStabilized, now)
	} else {
		setCondition(&c.conds.AbleToScale, conditionTrue, ReasonReadyForNewScale, msgReadyForNewScale, now)
	}
	desired, reason, message := convertDesiredReplicasWithRules(c.cfg, currentReplicas, stabilized, minReplicas, c.maxReplicas)
	if desired == stabilized {
		setCondition(&c.conds.ScalingLimited, conditionFalse, reason, message, now)
	} else {
		setCondition(&c.conds.ScalingLimited, conditionTrue, reason, message, now)
	}
	return desired, stabilized
}

// stabilizeRecommendation mirrors the function of that name in
// horizontal.go: the result is the largest of the prenormalized count and
// every recommendation at most one window old (inclusive: a recommendation
// exactly one window old still counts). The prenormalized count is then
// recorded at now, overwriting the last recommendation older than the
// window, or appended.
func (c *Controller) stabilizeRecommendation(now time.Duration, prenormalized int32) int32 {
	maxRecommendation := prenormalized
	cutoff := now - c.cfg.DownscaleStabilizationWindow
	foundOldSample := false
	oldSampleIndex := 0
	for i, rec := range c.recs {
		if rec.at < cutoff {
			foundOldSample = true
			oldSampleIndex = i
		} else if rec.replicas > maxRecommendation {
			maxRecommendation = rec.replicas
		}
	}
	if foundOldSample {
		c.recs[oldSampleIndex] = recommendation{replicas: prenormalized, at: now}
	} else {
		c.recs = append(c.recs, recommendation{replicas: prenormalized, at: now})
	}
	return maxRecommendation
}

// convertDesiredReplicasWithRules mirrors the function of that name in
// horizontal.go: a count below minReplicas becomes minReplicas
// (TooFewReplicas); a count above min(maxReplicas, scale-up limit) becomes
// that bound (ScaleUpLimit when the limit is the smaller, else
// TooManyReplicas). There is no scale-down rate limit.
func convertDesiredReplicasWithRules(cfg Config, currentReplicas, desiredReplicas, minReplicas, maxReplicas int32) (int32, string, string) {
	scaleUpLimit := calculateScaleUpLimit(cfg, currentReplicas)
	maximum := maxReplicas
	reason, message := ReasonTooManyReplicas, msgTooManyReplicas
	if maxReplicas > scaleUpLimit {
		maximum = scaleUpLimit
		reason, message = ReasonScaleUpLimit, msgScaleUpLimit
	}
	if desiredReplicas < minReplicas {
		return minReplicas, ReasonTooFewReplicas, msgTooFewReplicas
	}
	if desiredReplicas > maximum {
		return maximum, reason, message
	}
	return desiredReplicas, ReasonDesiredWithinRange, msgDesiredWithinRange
}

// calculateScaleUpLimit mirrors the function of that name in horizontal.go:
// max(ScaleUpLimitFactor × currentReplicas, ScaleUpLimitMinimum), truncated.
func calculateScaleUpLimit(cfg Config, currentReplicas int32) int32 {
	return truncReplicas(math.Max(cfg.ScaleUpLimitFactor*float64(currentReplicas), cfg.ScaleUpLimitMinimum))
}
