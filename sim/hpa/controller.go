package hpa

import (
	"errors"
	"fmt"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
)

const (
	conditionTrue  = corev1.ConditionTrue
	conditionFalse = corev1.ConditionFalse
)

// Controller is the HPA controller for one HorizontalPodAutoscaler: the
// spec, the cluster settings, and the state upstream keeps in memory for
// the HPA (recommendations, scale-up and scale-down events) or in its status
// (conditions, desired replicas, last scale time). It is not safe for
// concurrent use.
type Controller struct {
	cfg  Config
	spec *autoscalingv2.HorizontalPodAutoscalerSpec

	minReplicas int32
	maxReplicas int32
	metrics     []compiledMetric
	hasBehavior bool
	up, down    scalingRules
	calc        replicaCalculator

	// In-memory state of the upstream controller, keyed there by HPA.
	recs       []recommendation
	recsSeeded bool
	upEvents   []scaleEvent
	downEvents []scaleEvent

	// Status of the HPA object.
	conds            Conditions
	statusCurrent    int32
	statusDesired    int32
	lastScaleTime    time.Duration
	hasLastScaleTime bool

	proposals []MetricProposal
}

// NewController returns a Controller for spec with the settings cfg and no
// history, as a freshly started kube-controller-manager. The spec is copied
// and defaulted as the API server would (DefaultSpec).
func NewController(cfg Config, spec *autoscalingv2.HorizontalPodAutoscalerSpec) (*Controller, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("hpa config: %w", err)
	}
	c := &Controller{cfg: cfg}
	if err := c.SetSpec(spec); err != nil {
		return nil, err
	}
	return c, nil
}

// SetSpec replaces the HPA spec (an edit of the HPA object) and keeps the
// history, as upstream does. Problems with individual metrics are not
// errors here: like upstream they surface at reconcile time as
// ScalingActive conditions.
func (c *Controller) SetSpec(spec *autoscalingv2.HorizontalPodAutoscalerSpec) error {
	if spec == nil {
		return errors.New("hpa spec is nil")
	}
	s := DefaultSpec(spec)
	c.spec = s
	c.minReplicas = *s.MinReplicas
	c.maxReplicas = s.MaxReplicas

	c.metrics = c.metrics[:0]
	for i := range s.Metrics {
		c.metrics = append(c.metrics, compileMetric(&s.Metrics[i]))
	}
	c.proposals = make([]MetricProposal, len(c.metrics))

	c.hasBehavior = s.Behavior != nil
	tol := tolerances{scaleDown: c.cfg.Tolerance, scaleUp: c.cfg.Tolerance}
	if c.hasBehavior {
		c.up = compileScalingRules(s.Behavior.ScaleUp, 0)
		c.down = compileScalingRules(s.Behavior.ScaleDown, c.cfg.DownscaleStabilizationWindow)
		// tolerancesForHpa: per-direction overrides behind the gate.
		if c.cfg.ConfigurableTolerance {
			if t := c.down.tolerance; t != nil {
				tol.scaleDown = t.AsApproximateFloat64()
			}
			if t := c.up.tolerance; t != nil {
				tol.scaleUp = t.AsApproximateFloat64()
			}
		}
	} else {
		c.up, c.down = scalingRules{}, scalingRules{}
	}
	c.calc.tolerances = tol
	c.calc.cpuInitializationPeriod = c.cfg.CPUInitializationPeriod
	c.calc.delayOfInitialReadinessStatus = c.cfg.InitialReadinessDelay
	c.calc.podLevelResources = c.cfg.PodLevelResources
	return nil
}

// Spec returns the defaulted spec the controller runs with. It must not be
// modified.
func (c *Controller) Spec() *autoscalingv2.HorizontalPodAutoscalerSpec { return c.spec }

// Config returns the controller's settings.
func (c *Controller) Config() Config { return c.cfg }

// Restart forgets what upstream keeps only in memory — the recommendations
// and scale events — as a controller restart or leader change does. The
// next reconcile seeds the recommendations with the current replica count,
// which blocks scale-downs for one stabilisation window. Status (conditions,
// last scale time) survives, as it is stored in the HPA object.
func (c *Controller) Restart() {
	c.recs = c.recs[:0]
	c.recsSeeded = false
	c.upEvents = c.upEvents[:0]
	c.downEvents = c.downEvents[:0]
}

// Reconcile runs one sync of the HPA at time now and returns the decision.
// It mirrors reconcileAutoscaler in pkg/controller/podautoscaler/
// horizontal.go:
//
//  1. read the scale (Snapshot.ScaleUnavailable: AbleToScale=False);
//  2. seed the recommendations with spec.replicas if there are none;
//  3. short-circuits before metrics: spec.replicas 0 with minReplicas ≠ 0
//     disables scaling; above maxReplicas or below minReplicas the count is
//     set to the bound without metrics, stabilisation or rate limits;
//  4. otherwise the max over metric proposals goes through the behavior or
//     the legacy normalization;
//  5. a changed count is written (Snapshot.RejectUpdate:
//     AbleToScale=False/FailedUpdateScale) and, with a behavior, recorded
//     as a scale event.
//
// A target at spec.replicas 0 follows Config.ZeroReplicas (v1.37's
// HPAScaleToZero gate by default).
func (c *Controller) Reconcile(now time.Duration, s *Snapshot) Decision {
	d := Decision{
		MetricReplicas:     -1,
		StabilizedReplicas: -1,
		Replicas:           s.SpecReplicas,
	}
	if s.ScaleUnavailable {
		setCondition(&c.conds.AbleToScale, conditionFalse, ReasonFailedGetScale,
			"the HPA controller was unable to get the target's current scale", now)
		d.Branch = BranchFailedGetScale
		d.Err = ErrFailedGetScale
		return c.finish(d)
	}
	setCondition(&c.conds.AbleToScale, conditionTrue, ReasonSucceededGetScale,
		"the HPA controller was able to get the target's current scale", now)

	currentReplicas := s.SpecReplicas
	// recordInitialRecommendation
	if !c.recsSeeded {
		c.recs = append(c.recs[:0], recommendation{replicas: currentReplicas, at: now})
		c.recsSeeded = true
	}

	minReplicas := c.minReplicas
	rescale := true
	var desired int32
	// The HPAScaleToZero gate of v1.37: scaledToZeroCondition and
	// canScaleFromZero of reconcileAutoscaler.
	gate := c.cfg.ZeroReplicas == ZeroReplicasScaleToZero
	scaledToZero := gate && c.conds.ScaledToZero.Status == conditionTrue
	switch {
	case currentReplicas == 0 && c.zeroDisables(minReplicas, scaledToZero):
		// Autoscaling is disabled for this resource.
		rescale = false
		d.Branch = BranchScalingDisabled
		setCondition(&c.conds.ScalingActive, conditionFalse, ReasonScalingDisabled,
			"scaling is disabled since the replica count of the target is zero", now)
		if c.cfg.ZeroReplicas == ZeroReplicasGateOff {
			c.conds.ScaledToZero = Condition{} // removeCondition
		}
	case currentReplicas > c.maxReplicas:
		d.Branch = BranchAboveMax
		desired = c.maxReplicas
	case currentReplicas < minReplicas && currentReplicas != 0:
		// At zero (not disabled) the metrics decide, then minReplicas.
		d.Branch = BranchBelowMin
		desired = minReplicas
	default:
		metricReplicas, metric, failed, err := c.computeReplicasForMetrics(now, s)
		d.Metrics = c.proposals
		if failed {
			// Status keeps the previous desiredReplicas; no rescale.
			d.Branch = BranchMetricsFailed
			d.Err = err
			c.statusCurrent = currentReplicas
			return c.finish(d)
		}
		// Some metrics may have failed while the rest allow a scale-up: the
		// controller scales and still returns the error.
		d.Err = err
		d.Branch = BranchNormalized
		d.MetricReplicas = metricReplicas
		d.Metric = metric
		if c.hasBehavior {
			desired, d.StabilizedReplicas = c.normalizeDesiredReplicasWithBehaviors(now, currentReplicas, metricReplicas, minReplicas)
		} else {
			desired, d.StabilizedReplicas = c.normalizeDesiredReplicas(now, currentReplicas, metricReplicas, minReplicas)
		}
		// A scale-up from zero with minReplicas raised goes to at least
		// minReplicas.
		if currentReplicas == 0 && minReplicas != 0 && scaledToZero && desired < minReplicas {
			desired = minReplicas
		}
		rescale = desired != currentReplicas
	}

	if rescale {
		if s.RejectUpdate {
			setCondition(&c.conds.AbleToScale, conditionFalse, ReasonFailedUpdateScale,
				"the HPA controller was unable to update the target scale", now)
			d.Err = ErrFailedUpdateScale
			c.statusCurrent = currentReplicas
			return c.finish(d)
		}
		setCondition(&c.conds.AbleToScale, conditionTrue, ReasonSucceededRescale,
			"the HPA controller was able to update the target scale", now)
		c.storeScaleEvent(now, currentReplicas, desired)
		switch {
		case gate && currentReplicas > 0 && desired == 0 && minReplicas == 0 && c.hasObjectOrExternal():
			setCondition(&c.conds.ScaledToZero, conditionTrue, ReasonScaledToZero,
				"the HPA controller scaled the workload to zero", now)
		case gate:
			setCondition(&c.conds.ScaledToZero, conditionFalse, ReasonNotScaledToZero,
				"the HPA controller did not scale the workload to zero", now)
		default:
			c.conds.ScaledToZero = Condition{} // removeCondition
		}
		c.lastScaleTime = now
		c.hasLastScaleTime = true
		d.Rescale = true
		d.Replicas = desired
	} else {
		desired = currentReplicas
	}
	c.statusCurrent = currentReplicas
	c.statusDesired = desired
	return c.finish(d)
}

// zeroDisables reports whether a target at spec.replicas 0 turns scaling
// off (shouldComputeMetricsForZeroReplicas in horizontal.go for v1.37; the
// minReplicas test before it).
func (c *Controller) zeroDisables(minReplicas int32, scaledToZero bool) bool {
	if c.cfg.ZeroReplicas == ZeroReplicasPre137 {
		return minReplicas != 0
	}
	canScaleFromZero := scaledToZero && c.hasObjectOrExternal()
	return !((minReplicas != 0 && scaledToZero) || canScaleFromZero)
}

// hasObjectOrExternal mirrors hasObjectOrExternalMetrics in horizontal.go.
func (c *Controller) hasObjectOrExternal() bool {
	for i := range c.spec.Metrics {
		if t := c.spec.Metrics[i].Type; t == autoscalingv2.ObjectMetricSourceType || t == autoscalingv2.ExternalMetricSourceType {
			return true
		}
	}
	return false
}

// finish copies the status into the decision.
func (c *Controller) finish(d Decision) Decision {
	d.CurrentReplicas = c.statusCurrent
	d.DesiredReplicas = c.statusDesired
	d.Conditions = c.conds
	d.LastScaleTime = c.lastScaleTime
	d.HasLastScaleTime = c.hasLastScaleTime
	return d
}

// setCondition mirrors setCondition/setConditionInList in horizontal.go:
// the transition time moves only when the status changes.
func setCondition(cond *Condition, status corev1.ConditionStatus, reason, message string, now time.Duration) {
	if cond.Status != status {
		cond.LastTransitionTime = now
	}
	cond.Status = status
	cond.Reason = reason
	cond.Message = message
}

// computeReplicasForMetrics mirrors the function of that name in
// horizontal.go. The proposal is the largest over the metrics that could be
// computed. It fails (failed true, no scaling) when every metric failed, or
// when some failed and the rest propose fewer than spec.replicas (never
// scale down on partial data, PR #99514); ScalingActive then takes the
// first failure's reason. Otherwise ScalingActive=True/ValidMetricFound and
// err reports the failed metrics, if any.
func (c *Controller) computeReplicasForMetrics(now time.Duration, s *Snapshot) (replicas int32, metric string, failed bool, err error) {
	switch s.Selector {
	case SelectorInvalid:
		setCondition(&c.conds.ScalingActive, conditionFalse, ReasonInvalidSelector,
			"the HPA target's scale is missing a selector", now)
		c.clearProposals()
		return -1, "", true, ErrInvalidSelector
	case SelectorAmbiguous:
		setCondition(&c.conds.ScalingActive, conditionFalse, ReasonAmbiguousSelector,
			"pods by selector are controlled by multiple HPAs", now)
		c.clearProposals()
		return -1, "", true, ErrAmbiguousSelector
	}

	invalid := 0
	first := -1
	best := -1
	for i := range c.metrics {
		p := &c.proposals[i]
		c.computeReplicasForMetric(now, s, i, p)
		if p.Err != nil {
			if invalid == 0 {
				first = i
			}
			invalid++
			continue
		}
		if replicas == 0 || p.Replicas > replicas {
			replicas = p.Replicas
			best = i
		}
	}
	if invalid > 0 {
		err = &MetricsError{Invalid: invalid, Total: len(c.metrics), First: c.proposals[first].Err}
	}
	if invalid >= len(c.metrics) || (invalid > 0 && replicas < s.SpecReplicas) {
		fp := &c.proposals[first]
		setCondition(&c.conds.ScalingActive, conditionFalse, fp.Reason,
			"the HPA was unable to compute the replica count: "+fp.Err.Error(), now)
		return -1, "", true, err
	}
	m := &c.metrics[best]
	setCondition(&c.conds.ScalingActive, conditionTrue, ReasonValidMetricFound, m.activeMessage, now)
	return replicas, m.name, false, err
}

// clearProposals resets the per-metric results when metrics are not read.
func (c *Controller) clearProposals() {
	for i := range c.proposals {
		c.proposals[i] = MetricProposal{Type: c.metrics[i].sourceType, Name: c.metrics[i].name}
	}
}

// computeReplicasForMetric mirrors computeReplicasForMetric and the
// computeStatusFor…Metric functions of horizontal.go for metric i.
func (c *Controller) computeReplicasForMetric(now time.Duration, s *Snapshot, i int, p *MetricProposal) {
	m := &c.metrics[i]
	*p = MetricProposal{Type: m.sourceType, Name: m.name, Reason: m.failReason}
	if m.specErr != nil {
		p.Err = m.specErr
		return
	}
	var mv *MetricValues
	if i < len(s.Metrics) {
		mv = &s.Metrics[i]
	} else {
		mv = &unavailable
	}

	switch m.kind {
	case kindResourceUtilization:
		res, err := c.calc.getResourceReplicas(now, s.SpecReplicas, m.targetUtilization, m.resource, m.container, s.Pods, mv)
		p.setCounts(res.counts)
		p.Err = err
		p.Replicas = res.replicas
		p.Utilization = res.utilization
		p.HasUtilization = err == nil
		p.AverageMilli = res.rawAverage
	case kindResourceAverageValue:
		res, err := c.calc.getPlainMetricReplicas(now, s.SpecReplicas, m.targetMilli, m.resource == corev1.ResourceCPU, s.Pods, mv)
		p.setCounts(res.counts)
		p.Err = err
		p.Replicas = res.replicas
		p.AverageMilli = res.usage
	case kindPodsAverageValue:
		res, err := c.calc.getPlainMetricReplicas(now, s.SpecReplicas, m.targetMilli, false, s.Pods, mv)
		p.setCounts(res.counts)
		p.Err = err
		p.Replicas = res.replicas
		p.AverageMilli = res.usage
	case kindObjectValue, kindExternalValue:
		usage, err := m.value(mv)
		if err != nil {
			p.Err = err
			return
		}
		p.ValueMilli = usage
		p.Replicas, p.Err = c.calc.getObjectMetricReplicas(s.SpecReplicas, m.targetMilli, usage, s.Pods, &p.ReadyPods)
	case kindObjectAverageValue, kindExternalAverageValue:
		usage, err := m.value(mv)
		if err != nil {
			p.Err = err
			return
		}
		p.ValueMilli = usage
		p.Replicas, p.AverageMilli = c.calc.getPerPodMetricReplicas(s.StatusReplicas, m.targetMilli, usage)
	}
	if p.Err == nil {
		p.Reason = ""
	}
}

// unavailable stands in for a metric the Snapshot has no entry for.
var unavailable = MetricValues{Unavailable: true}

func (p *MetricProposal) setCounts(n groupCounts) {
	p.ReadyPods, p.UnreadyPods, p.MissingPods, p.IgnoredPods = n.ready, n.unready, n.missing, n.ignored
}

// metricKind is how the controller computes a metric, decided once per spec.
type metricKind uint8

const (
	kindInvalid metricKind = iota
	kindResourceUtilization
	kindResourceAverageValue
	kindPodsAverageValue
	kindObjectValue
	kindObjectAverageValue
	kindExternalValue
	kindExternalAverageValue
)

// compiledMetric is a MetricSpec as the controller reads it.
type compiledMetric struct {
	sourceType        autoscalingv2.MetricSourceType
	kind              metricKind
	resource          corev1.ResourceName
	container         string
	targetMilli       int64
	targetUtilization int32
	// name is upstream's metric name, used in reasons and messages.
	name string
	// failReason is the ScalingActive reason when the metric fails.
	failReason string
	// specErr is set when the spec itself makes the metric fail.
	specErr       error
	activeMessage string
}

// value returns an Object metric's value or an External metric's sum.
func (m *compiledMetric) value(mv *MetricValues) (int64, error) {
	if mv.Unavailable {
		return 0, ErrMetricsAPI
	}
	if m.kind == kindExternalValue || m.kind == kindExternalAverageValue {
		if len(mv.Series) == 0 {
			return 0, ErrNoMetrics
		}
		return sumSeries(mv.Series), nil
	}
	return mv.Value, nil
}

// compileMetric decides how a metric is computed, mirroring the target
// selection of computeStatusFor{Resource,ContainerResource,Pods,Object,
// External}Metric in horizontal.go: Resource and ContainerResource use
// averageValue if set, else averageUtilization; Object requires the
// target type to match the field set; External uses averageValue if set,
// else value. The target type field is otherwise not consulted, as upstream.
func compileMetric(spec *autoscalingv2.MetricSpec) compiledMetric {
	m := compiledMetric{sourceType: spec.Type}
	missingSource := func(field string) compiledMetric {
		m.failReason = ReasonInvalidMetricSourceType
		m.specErr = fmt.Errorf("metric source type %q has no %s source set", spec.Type, field)
		return m
	}
	positive := func(what string, v int64) {
		if v <= 0 && m.specErr == nil {
			m.specErr = fmt.Errorf("invalid %s metric source: the target must be positive", what)
		}
	}
	switch spec.Type {
	case autoscalingv2.ResourceMetricSourceType, autoscalingv2.ContainerResourceMetricSourceType:
		var target *autoscalingv2.MetricTarget
		what, suffix := "resource", " resource"
		if spec.Type == autoscalingv2.ResourceMetricSourceType {
			if spec.Resource == nil {
				return missingSource("resource")
			}
			m.failReason = ReasonFailedGetResourceMetric
			m.resource = spec.Resource.Name
			target = &spec.Resource.Target
		} else {
			if spec.ContainerResource == nil {
				return missingSource("containerResource")
			}
			what, suffix = "container resource", " container resource"
			m.failReason = ReasonFailedGetContainerResourceMetric
			m.resource = spec.ContainerResource.Name
			m.container = spec.ContainerResource.Container
			target = &spec.ContainerResource.Target
		}
		switch {
		case target.AverageValue != nil:
			m.kind = kindResourceAverageValue
			m.targetMilli = target.AverageValue.MilliValue()
			m.name = string(m.resource) + suffix
			positive(what, m.targetMilli)
		case target.AverageUtilization != nil:
			m.kind = kindResourceUtilization
			m.targetUtilization = *target.AverageUtilization
			m.name = string(m.resource) + suffix + " utilization (percentage of request)"
			positive(what, int64(m.targetUtilization))
		default:
			m.name = string(m.resource) + suffix
			m.specErr = fmt.Errorf("invalid %s metric source: neither an average utilization target nor an average value target was set", what)
		}
	case autoscalingv2.PodsMetricSourceType:
		if spec.Pods == nil {
			return missingSource("pods")
		}
		m.failReason = ReasonFailedGetPodsMetric
		m.name = "pods metric " + spec.Pods.Metric.Name
		if spec.Pods.Target.AverageValue == nil {
			m.specErr = errors.New("invalid pods metric source: no average value target was set")
			break
		}
		m.kind = kindPodsAverageValue
		m.targetMilli = spec.Pods.Target.AverageValue.MilliValue()
		positive("pods", m.targetMilli)
	case autoscalingv2.ObjectMetricSourceType:
		if spec.Object == nil {
			return missingSource("object")
		}
		m.failReason = ReasonFailedGetObjectMetric
		m.name = spec.Object.DescribedObject.Kind + " metric " + spec.Object.Metric.Name
		t := &spec.Object.Target
		switch {
		case t.Type == autoscalingv2.ValueMetricType && t.Value != nil:
			m.kind = kindObjectValue
			m.targetMilli = t.Value.MilliValue()
		case t.Type == autoscalingv2.AverageValueMetricType && t.AverageValue != nil:
			m.kind = kindObjectAverageValue
			m.targetMilli = t.AverageValue.MilliValue()
		default:
			m.specErr = errors.New("invalid object metric source: neither a value target nor an average value target was set")
		}
		positive("object", m.targetMilli)
	case autoscalingv2.ExternalMetricSourceType:
		if spec.External == nil {
			return missingSource("external")
		}
		m.failReason = ReasonFailedGetExternalMetric
		m.name = "external metric " + spec.External.Metric.Name
		if sel := spec.External.Metric.Selector; sel != nil {
			m.name += "(" + sel.String() + ")"
		}
		t := &spec.External.Target
		switch {
		case t.AverageValue != nil:
			m.kind = kindExternalAverageValue
			m.targetMilli = t.AverageValue.MilliValue()
		case t.Value != nil:
			m.kind = kindExternalValue
			m.targetMilli = t.Value.MilliValue()
		default:
			m.specErr = errors.New("invalid external metric source: neither a value target nor an average value target was set")
		}
		positive("external", m.targetMilli)
	default:
		m.failReason = ReasonInvalidMetricSourceType
		m.specErr = fmt.Errorf("unknown metric source type %q", spec.Type)
	}
	m.activeMessage = "the HPA was able to successfully calculate a replica count from " + m.name
	return m
}
