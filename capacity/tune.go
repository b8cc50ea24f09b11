package capacity

import (
	"context"
	"runtime"
	"sync"

	"golang.org/x/sync/errgroup"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
)

// TuneGrid lists the values a sweep tries for each HPA setting of its
// service (a SweepGrid's hpa section); every combination is a candidate.
// Empty lists keep the service's current value.
type TuneGrid struct {
	// CPUTargets are averageUtilization targets (percent) for the CPU metric.
	CPUTargets []int32 `json:"cpuTargets"`
	// MinReplicas and MaxReplicas are minReplicas and maxReplicas values; a
	// combination whose minimum exceeds its maximum is skipped.
	MinReplicas []int32 `json:"minReplicas"`
	MaxReplicas []int32 `json:"maxReplicas,omitempty"`
	// ScaleUpWindows and ScaleDownWindows are stabilisation windows, seconds.
	ScaleUpWindows   []int32 `json:"scaleUpWindows"`
	ScaleDownWindows []int32 `json:"scaleDownWindows"`
	// ScaleUpPercents are the scale-up policy's Percent values (per 60 s).
	ScaleUpPercents []int32 `json:"scaleUpPercents"`
}

// evaluateAll runs eval(0 … n−1), at most GOMAXPROCS at a time, and
// returns the first error, or the context's when it was cancelled; no
// new evaluation starts after either. eval writes its result into slot
// i, so the outcome does not depend on the scheduling. progress, if not
// nil, is called after each.
func evaluateAll(ctx context.Context, n int, eval func(i int) error, progress func(done, total int)) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.GOMAXPROCS(0))
	var mu sync.Mutex
	done := 0
	for i := range n {
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error {
			err := eval(i)
			if progress != nil {
				mu.Lock()
				done++
				progress(done, n)
				mu.Unlock()
			}
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	return ctx.Err()
}

// costTolerance: costs within this fraction are a tie, broken by scale
// events (and, in the recommender, the size of the change; in a sweep,
// the grid order).
const costTolerance = 1e-3

// SweepSetting is one cell of a sweep's grid: the HPA settings and the
// container resources it runs with. A service without an HPA has only
// resources.
type SweepSetting struct {
	CPUTarget       int32 `json:"cpuTarget"`
	MinReplicas     int32 `json:"minReplicas"`
	MaxReplicas     int32 `json:"maxReplicas"`
	ScaleUpWindow   int32 `json:"scaleUpWindowSeconds"`
	ScaleDownWindow int32 `json:"scaleDownWindowSeconds"`
	ScaleUpPercent  int32 `json:"scaleUpPercent"`
	// CPURequest, CPULimit and MemoryRequest are the container resources
	// the cell tried (Kubernetes quantities); empty where the plan's hold.
	CPURequest    string `json:"cpuRequest,omitempty"`
	CPULimit      string `json:"cpuLimit,omitempty"`
	MemoryRequest string `json:"memoryRequest,omitempty"`

	spec *autoscalingv2.HorizontalPodAutoscalerSpec
}

// setting is the cell's HPA bounds and target as the recommender's
// evaluation takes them.
func (c *SweepSetting) setting() Setting {
	return Setting{CPUTarget: c.CPUTarget, MinReplicas: c.MinReplicas, MaxReplicas: c.MaxReplicas}
}

// expand builds the grid's HPA cells in a fixed order, today's HPA first.
func expand(base *autoscalingv2.HorizontalPodAutoscalerSpec, g TuneGrid) []SweepSetting {
	cur := SweepSetting{spec: base}
	describe(&cur)
	or := func(xs []int32, v int32) []int32 {
		if len(xs) == 0 {
			return []int32{v}
		}
		return xs
	}
	out := []SweepSetting{cur}
	targets := g.CPUTargets
	if cur.CPUTarget == 0 {
		targets = nil // no CPU utilisation metric to retarget
	}
	for _, t := range or(targets, cur.CPUTarget) {
		for _, m := range or(g.MinReplicas, cur.MinReplicas) {
			for _, mx := range or(g.MaxReplicas, cur.MaxReplicas) {
				if m > mx {
					continue
				}
				for _, up := range or(g.ScaleUpWindows, cur.ScaleUpWindow) {
					for _, down := range or(g.ScaleDownWindows, cur.ScaleDownWindow) {
						for _, pct := range or(g.ScaleUpPercents, cur.ScaleUpPercent) {
							c := SweepSetting{CPUTarget: t, MinReplicas: m, MaxReplicas: mx, ScaleUpWindow: up, ScaleDownWindow: down, ScaleUpPercent: pct}
							if c.hpaKey() == cur.hpaKey() {
								continue
							}
							c.spec = apply(base, cur, c)
							out = append(out, c)
						}
					}
				}
			}
		}
	}
	return out
}

type hpaKey struct{ t, m, mx, up, down, pct int32 }

func (c *SweepSetting) hpaKey() hpaKey {
	return hpaKey{c.CPUTarget, c.MinReplicas, c.MaxReplicas, c.ScaleUpWindow, c.ScaleDownWindow, c.ScaleUpPercent}
}

// describe reads a cell's settings back from its spec (for the current
// HPA). A setting the spec does not have reads as its default.
func describe(c *SweepSetting) {
	s := c.spec
	c.MaxReplicas = s.MaxReplicas
	if s.MinReplicas != nil {
		c.MinReplicas = *s.MinReplicas
	} else {
		c.MinReplicas = 1
	}
	for _, m := range s.Metrics {
		if m.Resource != nil && m.Resource.Name == "cpu" && m.Resource.Target.AverageUtilization != nil {
			c.CPUTarget = *m.Resource.Target.AverageUtilization
		}
	}
	if b := s.Behavior; b != nil {
		if b.ScaleUp != nil {
			if b.ScaleUp.StabilizationWindowSeconds != nil {
				c.ScaleUpWindow = *b.ScaleUp.StabilizationWindowSeconds
			}
			for _, p := range b.ScaleUp.Policies {
				if p.Type == autoscalingv2.PercentScalingPolicy {
					c.ScaleUpPercent = p.Value
				}
			}
		}
		if b.ScaleDown != nil && b.ScaleDown.StabilizationWindowSeconds != nil {
			c.ScaleDownWindow = *b.ScaleDown.StabilizationWindowSeconds
		}
	}
	if s.Behavior == nil || s.Behavior.ScaleDown == nil || s.Behavior.ScaleDown.StabilizationWindowSeconds == nil {
		c.ScaleDownWindow = 300 // the API default and the controller's flag default
	}
	if c.ScaleUpPercent == 0 {
		c.ScaleUpPercent = 100 // the API default scale-up policy: 100 % or 4 pods per 15 s
	}
}

// apply returns base with the cell's settings. A CPU target is set only
// on a CPU utilisation metric that exists; the behaviour is touched only
// when the cell's windows or Percent differ from today's (cur), so a cell
// that moves only the target and the bounds runs the spec the
// recommender's evaluation builds for the same setting.
func apply(base *autoscalingv2.HorizontalPodAutoscalerSpec, cur, c SweepSetting) *autoscalingv2.HorizontalPodAutoscalerSpec {
	s := base.DeepCopy()
	s.MinReplicas = &c.MinReplicas
	s.MaxReplicas = c.MaxReplicas
	if c.CPUTarget > 0 {
		setCPUTarget(s, c.CPUTarget)
	}
	if c.ScaleUpWindow == cur.ScaleUpWindow && c.ScaleDownWindow == cur.ScaleDownWindow && c.ScaleUpPercent == cur.ScaleUpPercent {
		return s
	}
	if s.Behavior == nil {
		s.Behavior = &autoscalingv2.HorizontalPodAutoscalerBehavior{}
	}
	up, down := c.ScaleUpWindow, c.ScaleDownWindow
	if s.Behavior.ScaleUp == nil {
		// The API default rules, made explicit so the Percent value can move.
		s.Behavior.ScaleUp = &autoscalingv2.HPAScalingRules{Policies: []autoscalingv2.HPAScalingPolicy{
			{Type: autoscalingv2.PercentScalingPolicy, Value: 100, PeriodSeconds: 15},
			{Type: autoscalingv2.PodsScalingPolicy, Value: 4, PeriodSeconds: 15},
		}}
	}
	s.Behavior.ScaleUp.StabilizationWindowSeconds = &up
	retargeted := false
	for i := range s.Behavior.ScaleUp.Policies {
		if p := &s.Behavior.ScaleUp.Policies[i]; p.Type == autoscalingv2.PercentScalingPolicy && !retargeted {
			p.Value, retargeted = c.ScaleUpPercent, true
		}
	}
	if !retargeted {
		s.Behavior.ScaleUp.Policies = append(s.Behavior.ScaleUp.Policies,
			autoscalingv2.HPAScalingPolicy{Type: autoscalingv2.PercentScalingPolicy, Value: c.ScaleUpPercent, PeriodSeconds: 60})
	}
	if s.Behavior.ScaleDown == nil {
		s.Behavior.ScaleDown = &autoscalingv2.HPAScalingRules{}
	}
	s.Behavior.ScaleDown.StabilizationWindowSeconds = &down
	return s
}
