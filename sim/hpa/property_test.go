package hpa

import (
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// randomBehavior draws scaling rules within the API's validation ranges.
func randomRules(r *rand.Rand) *autoscalingv2.HPAScalingRules {
	if r.IntN(4) == 0 {
		return nil // API defaults
	}
	rules := &autoscalingv2.HPAScalingRules{}
	if r.IntN(2) == 0 {
		w := int32(r.IntN(4) * 60)
		rules.StabilizationWindowSeconds = &w
	}
	if r.IntN(2) == 0 {
		p := []autoscalingv2.ScalingPolicySelect{autoscalingv2.MaxChangePolicySelect, autoscalingv2.MinChangePolicySelect, autoscalingv2.DisabledPolicySelect}[r.IntN(3)]
		rules.SelectPolicy = &p
	}
	for range 1 + r.IntN(3) {
		typ := autoscalingv2.PodsScalingPolicy
		value := int32(1 + r.IntN(5))
		if r.IntN(2) == 0 {
			typ, value = autoscalingv2.PercentScalingPolicy, int32(10+r.IntN(300))
		}
		rules.Policies = append(rules.Policies, autoscalingv2.HPAScalingPolicy{Type: typ, Value: value, PeriodSeconds: int32(15 * (1 + r.IntN(8)))})
	}
	return rules
}

// TestPropertyBehaviorStaysInRange: on the behavior path, starting inside
// [minReplicas, maxReplicas], the controller never leaves the range, and a
// rescale never moves against the metrics' proposal.
func TestPropertyBehaviorStaysInRange(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for trial := range 300 {
		min := int32(1 + r.IntN(5))
		max := min + int32(r.IntN(30))
		spec := cpuSpec(min, max, int32(20+r.IntN(70)))
		spec.Behavior = &autoscalingv2.HorizontalPodAutoscalerBehavior{ScaleUp: randomRules(r), ScaleDown: randomRules(r)}
		c := mustController(t, DefaultConfig(), spec)
		w := &world{replicas: min + int32(r.IntN(int(max-min+1)))}
		for step := range 200 {
			now := time.Duration(step) * 15 * time.Second
			if r.IntN(10) == 0 {
				w.totalCPU = int64(r.IntN(40000))
			}
			prev := w.replicas
			d := w.step(c, now, 1)
			if w.replicas < min || w.replicas > max {
				t.Fatalf("trial %d step %d: replicas %d outside [%d, %d] (decision %+v)", trial, step, w.replicas, min, max, d)
			}
			if d.Rescale && d.MetricReplicas >= 0 {
				if (d.Replicas > prev && d.MetricReplicas <= prev) || (d.Replicas < prev && d.MetricReplicas >= prev) {
					t.Fatalf("trial %d step %d: moved %d -> %d against proposal %d", trial, step, prev, d.Replicas, d.MetricReplicas)
				}
			}
		}
	}
}

// TestPropertyLegacyStaysInRange: the same for the legacy path, where a
// scale-up also never exceeds the legacy scale-up limit in one sync.
func TestPropertyLegacyStaysInRange(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	cfg := DefaultConfig()
	for trial := range 300 {
		min := int32(1 + r.IntN(5))
		max := min + int32(r.IntN(30))
		c := mustController(t, cfg, cpuSpec(min, max, int32(20+r.IntN(70))))
		w := &world{replicas: min + int32(r.IntN(int(max-min+1)))}
		for step := range 200 {
			now := time.Duration(step) * 15 * time.Second
			if r.IntN(10) == 0 {
				w.totalCPU = int64(r.IntN(40000))
			}
			prev := w.replicas
			w.step(c, now, 1)
			if w.replicas < min || w.replicas > max {
				t.Fatalf("trial %d step %d: replicas %d outside [%d, %d]", trial, step, w.replicas, min, max)
			}
			if limit := calculateScaleUpLimit(cfg, prev); w.replicas > prev && w.replicas > limit {
				t.Fatalf("trial %d step %d: %d -> %d beyond the legacy limit %d", trial, step, prev, w.replicas, limit)
			}
		}
	}
}

// TestPropertyStabilization checks stabilizeRecommendationWithBehaviors
// against its definition on random histories:
//   - the result lies between currentReplicas and the raw recommendation;
//   - a longer scale-down window never gives a lower result, a longer
//     scale-up window never a higher one (monotonicity in the windows);
//   - the raw recommendation is recorded.
func TestPropertyStabilization(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	now := 10 * time.Hour
	stabilize := func(recs []recommendation, current, desired, upW, downW int32) (int32, []recommendation) {
		up := &autoscalingv2.HPAScalingRules{StabilizationWindowSeconds: &upW}
		down := &autoscalingv2.HPAScalingRules{StabilizationWindowSeconds: &downW}
		c := mustController(t, DefaultConfig(), behaviorSpec(1, 1000, up, down))
		c.recs = append([]recommendation(nil), recs...)
		got, _, _ := c.stabilizeRecommendationWithBehaviors(now, normalizationArg{
			scaleUp: &c.up, scaleDown: &c.down, minReplicas: 1, maxReplicas: 1000,
			currentReplicas: current, desiredReplicas: desired,
		})
		return got, c.recs
	}
	for trial := range 2000 {
		var recs []recommendation
		for range r.IntN(12) {
			recs = append(recs, recommendation{replicas: int32(r.IntN(20)), at: now - time.Duration(r.IntN(900))*time.Second})
		}
		current, desired := int32(r.IntN(20)), int32(r.IntN(20))
		upW, downW := int32(r.IntN(600)), int32(r.IntN(600))
		got, after := stabilize(recs, current, desired, upW, downW)
		lo, hi := min(current, desired), max(current, desired)
		if got < lo || got > hi {
			t.Fatalf("trial %d: stabilized %d outside [%d, %d]", trial, got, lo, hi)
		}
		found := false
		for _, rec := range after {
			found = found || (rec.replicas == desired && rec.at == now)
		}
		if !found || len(after) > len(recs)+1 {
			t.Fatalf("trial %d: raw recommendation not recorded once: %v", trial, after)
		}
		longerDown, _ := stabilize(recs, current, desired, upW, downW+int32(r.IntN(300)))
		if longerDown < got {
			t.Fatalf("trial %d: longer down window lowered %d -> %d", trial, got, longerDown)
		}
		longerUp, _ := stabilize(recs, current, desired, upW+int32(r.IntN(300)), downW)
		if longerUp > got {
			t.Fatalf("trial %d: longer up window raised %d -> %d", trial, got, longerUp)
		}
	}
}

// TestPropertyPodsPolicyBudget: with a single scale-up policy of Pods v per
// period P and no scale-downs, the pods added over any period never exceed
// v (the period-start baseline is rebuilt from the stored events).
func TestPropertyPodsPolicyBudget(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for trial := range 200 {
		v := int32(1 + r.IntN(4))
		period := int32(15 * (1 + r.IntN(8)))
		disabled := autoscalingv2.DisabledPolicySelect
		spec := cpuSpec(1, 200, 50)
		spec.Behavior = &autoscalingv2.HorizontalPodAutoscalerBehavior{
			ScaleUp:   &autoscalingv2.HPAScalingRules{Policies: []autoscalingv2.HPAScalingPolicy{{Type: autoscalingv2.PodsScalingPolicy, Value: v, PeriodSeconds: period}}},
			ScaleDown: &autoscalingv2.HPAScalingRules{SelectPolicy: &disabled},
		}
		c := mustController(t, DefaultConfig(), spec)
		w := &world{replicas: 1}
		type change struct {
			at time.Duration
			n  int32
		}
		var ups []change
		for step := range 120 {
			now := time.Duration(step) * 15 * time.Second
			w.totalCPU = int64(r.IntN(100000))
			prev := w.replicas
			w.step(c, now, 1)
			if w.replicas < prev {
				t.Fatalf("trial %d: scaled down with scale-down Disabled", trial)
			}
			if w.replicas > prev {
				ups = append(ups, change{now, w.replicas - prev})
			}
			var sum int32
			for _, u := range ups {
				if u.at > now-time.Duration(period)*time.Second {
					sum += u.n
				}
			}
			if sum > v {
				t.Fatalf("trial %d step %d: added %d pods in %ds, policy allows %d", trial, step, sum, period, v)
			}
		}
	}
}

// TestPropertyCountedEntries: a snapshot whose entries stand for several
// pods (Pod.Count) gives, sync after sync, the decision of the same
// snapshot with every entry listed Count times: groups, sums, averages,
// rebalancing and the Object target's ready count all weigh an entry by
// its count.
func TestPropertyCountedEntries(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	cfg := DefaultConfig()
	mem := resource.MustParse("300Mi")
	containers := []Container{{Name: "app", Requests: []ResourceAmount{{Name: corev1.ResourceCPU, Milli: 500}, {Name: corev1.ResourceMemory, Milli: 512 << 20 * 1000}}}}
	for trial := range 300 {
		spec := cpuSpec(1, 80, int32(30+r.IntN(60)))
		if r.IntN(2) == 0 {
			spec.Metrics = append(spec.Metrics, autoscalingv2.MetricSpec{
				Type: autoscalingv2.ResourceMetricSourceType,
				Resource: &autoscalingv2.ResourceMetricSource{
					Name:   corev1.ResourceMemory,
					Target: autoscalingv2.MetricTarget{Type: autoscalingv2.AverageValueMetricType, AverageValue: &mem},
				},
			})
		}
		if r.IntN(2) == 0 {
			spec.Metrics = append(spec.Metrics, qpsMetric(int64(5000+r.IntN(20000))))
		}
		if r.IntN(3) == 0 {
			target := resource.MustParse("100")
			spec.Metrics = append(spec.Metrics, autoscalingv2.MetricSpec{
				Type: autoscalingv2.ObjectMetricSourceType,
				Object: &autoscalingv2.ObjectMetricSource{
					DescribedObject: autoscalingv2.CrossVersionObjectReference{Kind: "Service", Name: "app"},
					Metric:          autoscalingv2.MetricIdentifier{Name: "requests"},
					Target:          autoscalingv2.MetricTarget{Type: autoscalingv2.ValueMetricType, Value: &target},
				},
			})
		}
		if r.IntN(2) == 0 {
			spec.Behavior = &autoscalingv2.HorizontalPodAutoscalerBehavior{ScaleUp: randomRules(r), ScaleDown: randomRules(r)}
		}
		counted, listed := mustController(t, cfg, spec), mustController(t, cfg, spec)
		replicas := int32(1 + r.IntN(20))
		for step := range 40 {
			now := 10*time.Minute + time.Duration(step)*15*time.Second
			var cs, ls Snapshot
			cs.Metrics = make([]MetricValues, len(spec.Metrics))
			ls.Metrics = make([]MetricValues, len(spec.Metrics))
			for range 1 + r.IntN(6) {
				p := Pod{Phase: PodRunning, Ready: Ready, Containers: containers, Count: int32(r.IntN(5))}
				switch r.IntN(8) {
				case 0:
					p.Phase = PodPending
				case 1:
					p.Ready = NotReady
				case 2:
					p.Deleting = true
				case 3:
					p.Ready = NoReadyCondition
				}
				p.StartTime = now - time.Duration(r.IntN(600))*time.Second
				p.ReadyTransitionTime = p.StartTime + time.Duration(r.IntN(60))*time.Second
				cs.Pods = append(cs.Pods, p)
				one := p
				one.Count = 0
				for range p.n() {
					ls.Pods = append(ls.Pods, one)
				}
				for m := range spec.Metrics {
					s := Sample{Present: r.IntN(6) > 0, Milli: int64(r.IntN(1500)), Timestamp: now - time.Duration(r.IntN(30))*time.Second, Window: 30 * time.Second}
					if m == 1 {
						s.Milli = int64(r.IntN(600)) << 20 * 1000
					}
					cs.Metrics[m].Samples = append(cs.Metrics[m].Samples, s)
					for range p.n() {
						ls.Metrics[m].Samples = append(ls.Metrics[m].Samples, s)
					}
				}
			}
			for m := range spec.Metrics {
				v := int64(r.IntN(300_000))
				cs.Metrics[m].Value, ls.Metrics[m].Value = v, v
			}
			cs.SpecReplicas, ls.SpecReplicas = replicas, replicas
			cs.StatusReplicas, ls.StatusReplicas = int32(len(ls.Pods)), int32(len(ls.Pods))
			dc, dl := counted.Reconcile(now, &cs), listed.Reconcile(now, &ls)
			if !reflect.DeepEqual(dc, dl) {
				t.Fatalf("trial %d step %d: counted entries decide\n%+v\nlisted pods\n%+v", trial, step, dc, dl)
			}
			if dc.Rescale {
				replicas = dc.Replicas
			}
		}
	}
}
