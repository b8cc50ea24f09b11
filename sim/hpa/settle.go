package hpa

import "time"

// Propose is the replica count the metrics of snapshot s propose:
// computeReplicasForMetrics of pkg/controller/podautoscaler/horizontal.go,
// the largest proposal over the metrics, before stabilisation, rate limits
// and the min/max clamp. ok is false when no count can be computed — the
// metrics fail, or spec.replicas is 0 while minReplicas is not (scaling
// disabled) — and the caller keeps the current count. Like a reconcile it
// moves the ScalingActive condition; it leaves the recommendations, scale
// events and status alone, so a warm start can ask a scratch controller
// what a running one would settle on.
func (c *Controller) Propose(now time.Duration, s *Snapshot) (replicas int32, ok bool) {
	if s.ScaleUnavailable || (s.SpecReplicas == 0 && c.minReplicas != 0) {
		return s.SpecReplicas, false
	}
	r, _, failed, _ := c.computeReplicasForMetrics(now, s)
	if failed {
		return s.SpecReplicas, false
	}
	return r, true
}

// Bounds are the defaulted spec's minReplicas and maxReplicas.
func (c *Controller) Bounds() (minReplicas, maxReplicas int32) { return c.minReplicas, c.maxReplicas }

// Settle gives the controller the in-memory history of one that has synced
// every syncPeriod up to now at a steady load, recommending replicas each
// time and scaling never: a recommendation at every sync across the longest
// stabilisation window (the legacy DownscaleStabilizationWindow, or the
// behavior's scale-up and scale-down windows), no scale events, and a
// status of replicas current and desired. The recommendations are the
// timestampedRecommendation list that stabilizeRecommendation and
// stabilizeRecommendationWithBehaviors of horizontal.go read, so the first
// syncs after now weigh the steady count exactly as they would in a
// cluster that had run at it for the window.
func (c *Controller) Settle(now time.Duration, replicas int32, syncPeriod time.Duration) {
	window := c.cfg.DownscaleStabilizationWindow
	if c.hasBehavior {
		window = max(c.up.window, c.down.window)
	}
	c.recs = c.recs[:0]
	if syncPeriod > 0 {
		n := int(window / syncPeriod)
		for k := n; k > 0; k-- {
			c.recs = append(c.recs, recommendation{replicas: replicas, at: now - time.Duration(k)*syncPeriod})
		}
	}
	c.recs = append(c.recs, recommendation{replicas: replicas, at: now})
	c.recsSeeded = true
	c.upEvents = c.upEvents[:0]
	c.downEvents = c.downEvents[:0]
	c.statusCurrent, c.statusDesired = replicas, replicas
}
