package hpa

import (
	"math"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	"k8s.io/apimachinery/pkg/api/resource"
)

// DefaultScaleUpRules mirrors GenerateHPAScaleUpRules in
// pkg/apis/autoscaling/v2/defaults.go: it returns a new HPAScalingRules with
// every unset field of in (which may be nil) filled from the defaults
// stabilizationWindowSeconds 0, selectPolicy Max, policies Pods 4 per 15 s
// and Percent 100 % per 15 s. A non-nil policies list, even an empty one,
// replaces the default list. The result shares nothing with in.
func DefaultScaleUpRules(in *autoscalingv2.HPAScalingRules) *autoscalingv2.HPAScalingRules {
	window := int32(0)
	selectPolicy := autoscalingv2.MaxChangePolicySelect
	out := &autoscalingv2.HPAScalingRules{
		StabilizationWindowSeconds: &window,
		SelectPolicy:               &selectPolicy,
		Policies: []autoscalingv2.HPAScalingPolicy{
			{Type: autoscalingv2.PodsScalingPolicy, Value: 4, PeriodSeconds: 15},
			{Type: autoscalingv2.PercentScalingPolicy, Value: 100, PeriodSeconds: 15},
		},
	}
	return copyScalingRules(in, out)
}

// DefaultScaleDownRules mirrors GenerateHPAScaleDownRules in
// pkg/apis/autoscaling/v2/defaults.go: selectPolicy Max and policies
// Percent 100 % per 15 s fill unset fields; an unset
// stabilizationWindowSeconds stays unset (the controller then uses
// Config.DownscaleStabilizationWindow). The result shares nothing with in.
func DefaultScaleDownRules(in *autoscalingv2.HPAScalingRules) *autoscalingv2.HPAScalingRules {
	selectPolicy := autoscalingv2.MaxChangePolicySelect
	out := &autoscalingv2.HPAScalingRules{
		SelectPolicy: &selectPolicy,
		Policies: []autoscalingv2.HPAScalingPolicy{
			{Type: autoscalingv2.PercentScalingPolicy, Value: 100, PeriodSeconds: 15},
		},
	}
	return copyScalingRules(in, out)
}

// copyScalingRules mirrors copyHPAScalingRules in defaults.go: every field
// set in from overrides the one in to. Values are copied, not aliased.
func copyScalingRules(from, to *autoscalingv2.HPAScalingRules) *autoscalingv2.HPAScalingRules {
	if from == nil {
		return to
	}
	if from.SelectPolicy != nil {
		p := *from.SelectPolicy
		to.SelectPolicy = &p
	}
	if from.StabilizationWindowSeconds != nil {
		w := *from.StabilizationWindowSeconds
		to.StabilizationWindowSeconds = &w
	}
	if from.Policies != nil {
		to.Policies = append(make([]autoscalingv2.HPAScalingPolicy, 0, len(from.Policies)), from.Policies...)
	}
	if from.Tolerance != nil {
		t := from.Tolerance.DeepCopy()
		to.Tolerance = &t
	}
	return to
}

// DefaultSpec mirrors SetDefaults_HorizontalPodAutoscaler and
// SetDefaults_HorizontalPodAutoscalerBehavior in defaults.go on a copy of
// spec: minReplicas 1 when unset, an 80 % CPU utilization metric when there
// are no metrics, and both scaling rules defaulted when behavior is set.
func DefaultSpec(spec *autoscalingv2.HorizontalPodAutoscalerSpec) *autoscalingv2.HorizontalPodAutoscalerSpec {
	out := spec.DeepCopy()
	if out.MinReplicas == nil {
		one := int32(1)
		out.MinReplicas = &one
	}
	if len(out.Metrics) == 0 {
		out.Metrics = []autoscalingv2.MetricSpec{defaultMetric()}
	}
	if out.Behavior != nil {
		out.Behavior.ScaleUp = DefaultScaleUpRules(out.Behavior.ScaleUp)
		out.Behavior.ScaleDown = DefaultScaleDownRules(out.Behavior.ScaleDown)
	}
	return out
}

// defaultMetric is the metric API defaulting adds to an HPA without
// metrics: 80 % average CPU utilization (autoscaling.DefaultCPUUtilization).
func defaultMetric() autoscalingv2.MetricSpec {
	u := int32(80)
	return autoscalingv2.MetricSpec{
		Type: autoscalingv2.ResourceMetricSourceType,
		Resource: &autoscalingv2.ResourceMetricSource{
			Name: "cpu",
			Target: autoscalingv2.MetricTarget{
				Type:               autoscalingv2.UtilizationMetricType,
				AverageUtilization: &u,
			},
		},
	}
}

// scalingRules is one direction of a defaulted behavior, as the controller
// reads it.
type scalingRules struct {
	// window is the stabilisation window.
	window       time.Duration
	selectPolicy autoscalingv2.ScalingPolicySelect
	policies     []autoscalingv2.HPAScalingPolicy
	// longestPeriod mirrors getLongestPolicyPeriod, in seconds.
	longestPeriod int32
	tolerance     *resource.Quantity
}

// compileScalingRules turns defaulted rules into scalingRules. A nil window
// (scale-down only) becomes the controller flag truncated to whole seconds,
// as maybeInitScaleDownStabilizationWindow does.
func compileScalingRules(r *autoscalingv2.HPAScalingRules, defaultWindow time.Duration) scalingRules {
	out := scalingRules{
		selectPolicy: autoscalingv2.MaxChangePolicySelect,
		policies:     r.Policies,
		tolerance:    r.Tolerance,
	}
	if r.SelectPolicy != nil {
		out.selectPolicy = *r.SelectPolicy
	}
	if r.StabilizationWindowSeconds != nil {
		out.window = time.Duration(*r.StabilizationWindowSeconds) * time.Second
	} else {
		out.window = time.Duration(int32(defaultWindow.Seconds())) * time.Second
	}
	out.longestPeriod = getLongestPolicyPeriod(r.Policies)
	return out
}

// getLongestPolicyPeriod mirrors getLongestPolicyPeriod in horizontal.go.
func getLongestPolicyPeriod(policies []autoscalingv2.HPAScalingPolicy) int32 {
	var longest int32
	for _, p := range policies {
		if p.PeriodSeconds > longest {
			longest = p.PeriodSeconds
		}
	}
	return longest
}

// recommendation mirrors timestampedRecommendation in horizontal.go.
type recommendation struct {
	replicas int32
	at       time.Duration
}

// scaleEvent mirrors timestampedScaleEvent in horizontal.go.
type scaleEvent struct {
	change   int32
	at       time.Duration
	outdated bool
}

// normalizationArg mirrors NormalizationArg in horizontal.go.
type normalizationArg struct {
	scaleUp, scaleDown *scalingRules
	minReplicas        int32
	maxReplicas        int32
	currentReplicas    int32
	desiredReplicas    int32
}

// Stabilisation and rate-limit messages, as upstream.
const (
	msgScaleUpStabilized   = "recent recommendations were lower than current one, applying the lowest recent recommendation"
	msgScaleDownStabilized = "recent recommendations were higher than current one, applying the highest recent recommendation"
	msgReadyForNewScale    = "recommended size matches current size"
	msgScaleUpLimit        = "the desired replica count is increasing faster than the maximum scale rate"
	msgScaleDownLimit      = "the desired replica count is decreasing faster than the maximum scale rate"
	msgTooManyReplicas     = "the desired replica count is more than the maximum replica count"
	msgTooFewReplicas      = "the desired replica count is less than the minimum replica count"
	msgDesiredWithinRange  = "the desired count is within the acceptable range"
)

// normalizeDesiredReplicasWithBehaviors mirrors the function of that name
// in horizontal.go: stabilise, then rate-limit and clamp, setting
// AbleToScale and ScalingLimited. It returns the final and the stabilised
// counts.
func (c *Controller) normalizeDesiredReplicasWithBehaviors(now time.Duration, currentReplicas, prenormalized, minReplicas int32) (desired, stabilized int32) {
	arg := normalizationArg{
		scaleUp:         &c.up,
		scaleDown:       &c.down,
		minReplicas:     minReplicas,
		maxReplicas:     c.maxReplicas,
		currentReplicas: currentReplicas,
		desiredReplicas: prenormalized,
	}
	stabilized, reason, message := c.stabilizeRecommendationWithBehaviors(now, arg)
	arg.desiredReplicas = stabilized
	if stabilized != prenormalized {
		setCondition(&c.conds.AbleToScale, conditionTrue, reason, message, now)
	} else {
		setCondition(&c.conds.AbleToScale, conditionTrue, ReasonReadyForNewScale, msgReadyForNewScale, now)
	}
	desired, reason, message = c.convertDesiredReplicasWithBehaviorRate(now, arg)
	if desired == stabilized {
		setCondition(&c.conds.ScalingLimited, conditionFalse, reason, message, now)
	} else {
		setCondition(&c.conds.ScalingLimited, conditionTrue, reason, message, now)
	}
	return desired, stabilized
}

// stabilizeRecommendationWithBehaviors mirrors the function of that name in
// horizontal.go:
//
//	up   = min(desired, every recommendation with age < scaleUp window)
//	down = max(desired, every recommendation with age < scaleDown window)
//	stabilized = currentReplicas raised to up, then lowered to down
//
// The raw desired count is then recorded at now, overwriting the last
// recommendation older than both windows, or appended.
func (c *Controller) stabilizeRecommendationWithBehaviors(now time.Duration, arg normalizationArg) (int32, string, string) {
	upRecommendation := arg.desiredReplicas
	upCutoff := now - arg.scaleUp.window
	downRecommendation := arg.desiredReplicas
	downCutoff := now - arg.scaleDown.window

	foundOldSample := false
	oldSampleIndex := 0
	for i, rec := range c.recs {
		if rec.at > upCutoff {
			upRecommendation = min(rec.replicas, upRecommendation)
		}
		if rec.at > downCutoff {
			downRecommendation = max(rec.replicas, downRecommendation)
		}
		if rec.at < upCutoff && rec.at < downCutoff {
			foundOldSample = true
			oldSampleIndex = i
		}
	}

	stabilized := arg.currentReplicas
	if stabilized < upRecommendation {
		stabilized = upRecommendation
	}
	if stabilized > downRecommendation {
		stabilized = downRecommendation
	}

	if foundOldSample {
		c.recs[oldSampleIndex] = recommendation{replicas: arg.desiredReplicas, at: now}
	} else {
		c.recs = append(c.recs, recommendation{replicas: arg.desiredReplicas, at: now})
	}

	if arg.desiredReplicas >= arg.currentReplicas {
		return stabilized, ReasonScaleUpStabilized, msgScaleUpStabilized
	}
	return stabilized, ReasonScaleDownStabilized, msgScaleDownStabilized
}

// convertDesiredReplicasWithBehaviorRate mirrors the function of that name
// in horizontal.go. Scaling up, the count is capped by the scale-up policy
// limit (never below currentReplicas) and maxReplicas; scaling down, it is
// floored by the scale-down policy limit (never above currentReplicas) and
// minReplicas. maxReplicas applies only upwards and minReplicas only
// downwards. It returns the count and the ScalingLimited reason and message.
func (c *Controller) convertDesiredReplicasWithBehaviorRate(now time.Duration, arg normalizationArg) (int32, string, string) {
	switch {
	case arg.desiredReplicas > arg.currentReplicas:
		limit := calculateScaleUpLimitWithScalingRules(now, arg.currentReplicas, c.upEvents, c.downEvents, arg.scaleUp)
		if limit < arg.currentReplicas {
			// No further scale-up until the events age out.
			limit = arg.currentReplicas
		}
		maximum := arg.maxReplicas
		reason, message := ReasonTooManyReplicas, msgTooManyReplicas
		if maximum > limit {
			maximum = limit
			reason, message = ReasonScaleUpLimit, msgScaleUpLimit
		}
		if arg.desiredReplicas > maximum {
			return maximum, reason, message
		}
	case arg.desiredReplicas < arg.currentReplicas:
		limit := calculateScaleDownLimitWithBehaviors(now, arg.currentReplicas, c.upEvents, c.downEvents, arg.scaleDown)
		if limit > arg.currentReplicas {
			// No further scale-down until the events age out.
			limit = arg.currentReplicas
		}
		minimum := arg.minReplicas
		reason, message := ReasonTooFewReplicas, msgTooFewReplicas
		if minimum < limit {
			minimum = limit
			reason, message = ReasonScaleDownLimit, msgScaleDownLimit
		}
		if arg.desiredReplicas < minimum {
			return minimum, reason, message
		}
	}
	return arg.desiredReplicas, ReasonDesiredWithinRange, msgDesiredWithinRange
}

// calculateScaleUpLimitWithScalingRules mirrors the function of that name
// in horizontal.go. For each policy the replica count at the start of its
// period is reconstructed from the events (current − added + removed, PR
// #109058); a Pods policy allows start+value, a Percent policy
// ceil(start × (1+value/100)). selectPolicy Max takes the largest limit, Min
// the smallest, Disabled returns currentReplicas.
func calculateScaleUpLimitWithScalingRules(now time.Duration, currentReplicas int32, upEvents, downEvents []scaleEvent, rules *scalingRules) int32 {
	var result int32
	var pick func(a, b int32) int32
	switch rules.selectPolicy {
	case autoscalingv2.DisabledPolicySelect:
		return currentReplicas
	case autoscalingv2.MinChangePolicySelect:
		result, pick = math.MaxInt32, min32
	default:
		result, pick = math.MinInt32, max32
	}
	var proposed int32
	for _, p := range rules.policies {
		added := getReplicasChangePerPeriod(now, p.PeriodSeconds, upEvents)
		removed := getReplicasChangePerPeriod(now, p.PeriodSeconds, downEvents)
		start := currentReplicas - added + removed
		switch p.Type {
		case autoscalingv2.PodsScalingPolicy:
			proposed = start + p.Value
		case autoscalingv2.PercentScalingPolicy:
			// Rounded up so that a small percentage still adds a pod.
			proposed = ceilReplicas(float64(start) * (1 + float64(p.Value)/100))
		}
		result = pick(result, proposed)
	}
	return result
}

// calculateScaleDownLimitWithBehaviors mirrors the function of that name in
// horizontal.go: a Pods policy allows start−value, a Percent policy
// trunc(start × (1−value/100)); selectPolicy Max (the largest change) takes
// the smallest limit, Min the largest, Disabled returns currentReplicas.
func calculateScaleDownLimitWithBehaviors(now time.Duration, currentReplicas int32, upEvents, downEvents []scaleEvent, rules *scalingRules) int32 {
	var result int32
	var pick func(a, b int32) int32
	switch rules.selectPolicy {
	case autoscalingv2.DisabledPolicySelect:
		return currentReplicas
	case autoscalingv2.MinChangePolicySelect:
		result, pick = math.MinInt32, max32
	default:
		result, pick = math.MaxInt32, min32
	}
	var proposed int32
	for _, p := range rules.policies {
		added := getReplicasChangePerPeriod(now, p.PeriodSeconds, upEvents)
		removed := getReplicasChangePerPeriod(now, p.PeriodSeconds, downEvents)
		start := currentReplicas - added + removed
		switch p.Type {
		case autoscalingv2.PodsScalingPolicy:
			proposed = start - p.Value
		case autoscalingv2.PercentScalingPolicy:
			proposed = truncReplicas(float64(start) * (1 - float64(p.Value)/100))
		}
		result = pick(result, proposed)
	}
	return result
}

// truncReplicas converts toward zero, clamped to the int32 range.
func truncReplicas(x float64) int32 {
	switch {
	case x != x:
		return 0
	case x >= math.MaxInt32:
		return math.MaxInt32
	case x <= math.MinInt32:
		return math.MinInt32
	}
	return int32(x)
}

func min32(a, b int32) int32 { return min(a, b) }
func max32(a, b int32) int32 { return max(a, b) }

// getReplicasChangePerPeriod mirrors the function of that name in
// horizontal.go: the sum of the changes of events younger than the period
// (strictly: an event exactly periodSeconds old is not counted).
func getReplicasChangePerPeriod(now time.Duration, periodSeconds int32, events []scaleEvent) int32 {
	cutoff := now - time.Duration(periodSeconds)*time.Second
	var replicas int32
	for _, e := range events {
		if e.at > cutoff {
			replicas += e.change
		}
	}
	return replicas
}

// markScaleEventsOutdated mirrors the function of that name in
// horizontal.go: events older than the longest policy period are marked
// for reuse.
func markScaleEventsOutdated(now time.Duration, events []scaleEvent, longestPolicyPeriod int32) {
	cutoff := now - time.Duration(longestPolicyPeriod)*time.Second
	for i := range events {
		if events[i].at < cutoff {
			events[i].outdated = true
		}
	}
}

// storeScaleEvent mirrors storeScaleEvent in horizontal.go: with a behavior,
// a rescale from prevReplicas to newReplicas is recorded in the scale-up or
// scale-down list, overwriting the last outdated event of that list or
// appended. Without a behavior nothing is recorded.
func (c *Controller) storeScaleEvent(now time.Duration, prevReplicas, newReplicas int32) {
	if !c.hasBehavior {
		return
	}
	if newReplicas > prevReplicas {
		c.upEvents = storeEvent(now, c.upEvents, c.up.longestPeriod, newReplicas-prevReplicas)
	} else {
		c.downEvents = storeEvent(now, c.downEvents, c.down.longestPeriod, prevReplicas-newReplicas)
	}
}

// storeEvent is one direction of storeScaleEvent.
func storeEvent(now time.Duration, events []scaleEvent, longestPeriod, change int32) []scaleEvent {
	markScaleEventsOutdated(now, events, longestPeriod)
	oldIndex := -1
	for i := range events {
		if events[i].outdated {
			oldIndex = i
		}
	}
	e := scaleEvent{change: change, at: now}
	if oldIndex >= 0 {
		events[oldIndex] = e
		return events
	}
	return append(events, e)
}
