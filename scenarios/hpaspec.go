package scenarios

import (
	"fmt"
	"strings"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/api/validate/content"
	utilvalidation "k8s.io/apimachinery/pkg/util/validation"
)

// Bounds the API server enforces on an HPA's behavior
// (MaxStabilizationWindowSeconds and MaxPeriodSeconds in
// pkg/apis/autoscaling/validation/validation.go).
const (
	hpaMaxWindowSeconds = 3600
	hpaMaxPeriodSeconds = 1800
)

// ValidateHPASpec returns the problems the API server would reject in an
// autoscaling/v2 HorizontalPodAutoscaler spec, as the rules of
// validateHorizontalPodAutoscalerSpec and its helpers in
// pkg/apis/autoscaling/validation/validation.go (Kubernetes 1.37), checked
// on the spec as written, before API defaulting. Paths append k8s JSON field
// names to path ("services[noa-mcp].hpa" → "services[noa-mcp].hpa.maxReplicas",
// list elements as [i]); messages start with the API server's wording and
// say what is allowed. A nil spec has no problems.
//
// Choices where the API server has options or gates:
//   - minReplicas 0 is accepted with at least one Object or External metric
//     (the HPAScaleToZero gate, beta and on by default in 1.37); the error for
//     a missing such metric is reported on minReplicas, where it is fixed.
//   - An unset policies list is valid (defaulting fills it); an explicitly
//     empty list is rejected unless selectPolicy is Disabled.
//
// Beyond the API server, it rejects targets the controller would not read
// as written: a target type the metric type does not support (Utilization
// for Pods, Object and External; Value for Resource, ContainerResource and
// Pods), a target without the field its type names, and a target with a
// field of another type set (the controller picks fields, not types, and
// would use that one or fail).
func ValidateHPASpec(spec *autoscalingv2.HorizontalPodAutoscalerSpec, path string) FieldErrors {
	if spec == nil {
		return nil
	}
	v := &hpaValidator{}
	if spec.MinReplicas != nil && *spec.MinReplicas < 0 {
		v.add(hpaChild(path, "minReplicas"), "must be greater than or equal to 0, got %d; use 1 or more (0 only to scale to zero with an Object or External metric)", *spec.MinReplicas)
	}
	if spec.MaxReplicas < 1 {
		v.add(hpaChild(path, "maxReplicas"), "must be greater than 0, got %d", spec.MaxReplicas)
	}
	if spec.MinReplicas != nil && spec.MaxReplicas < *spec.MinReplicas {
		v.add(hpaChild(path, "maxReplicas"), "must be greater than or equal to `minReplicas`, got %d < minReplicas %d; raise maxReplicas or lower minReplicas", spec.MaxReplicas, *spec.MinReplicas)
	}
	v.objectReference(hpaChild(path, "scaleTargetRef"), spec.ScaleTargetRef, "the scaled workload")

	scaleToZeroMetric := false
	metricsPath := hpaChild(path, "metrics")
	for i := range spec.Metrics {
		m := &spec.Metrics[i]
		v.metric(fmt.Sprintf("%s[%d]", metricsPath, i), m)
		if m.Type == autoscalingv2.ObjectMetricSourceType || m.Type == autoscalingv2.ExternalMetricSourceType {
			scaleToZeroMetric = true
		}
	}
	if spec.MinReplicas != nil && *spec.MinReplicas == 0 && !scaleToZeroMetric {
		v.add(hpaChild(path, "minReplicas"), "must specify at least one Object or External metric to support scaling to zero replicas; set minReplicas to 1 or more, or add such a metric")
	}

	if b := spec.Behavior; b != nil {
		bp := hpaChild(path, "behavior")
		v.scalingRules(hpaChild(bp, "scaleUp"), b.ScaleUp)
		v.scalingRules(hpaChild(bp, "scaleDown"), b.ScaleDown)
	}
	return v.errs
}

type hpaValidator struct{ errs FieldErrors }

func (v *hpaValidator) add(path, format string, args ...any) {
	v.errs = append(v.errs, fieldErrorf(path, format, args...))
}

func hpaChild(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// hpaQuoteList renders supported values as the API server does:
// "a", "b", "c".
func hpaQuoteList(vals ...string) string {
	q := make([]string, len(vals))
	for i, s := range vals {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}

// pathSegment mirrors the IsValidPathSegmentName checks on names that end
// up in API paths.
func (v *hpaValidator) pathSegment(path, name string) {
	for _, msg := range content.IsPathSegmentName(name) {
		v.add(path, "%s, got %q; a name cannot be '.' or '..' or contain '/' or '%%'", msg, name)
	}
}

// objectReference mirrors ValidateCrossVersionObjectReference.
func (v *hpaValidator) objectReference(path string, ref autoscalingv2.CrossVersionObjectReference, what string) {
	if ref.Kind == "" {
		v.add(hpaChild(path, "kind"), "Required value: the kind of %s, e.g. Deployment", what)
	} else {
		v.pathSegment(hpaChild(path, "kind"), ref.Kind)
	}
	if ref.Name == "" {
		v.add(hpaChild(path, "name"), "Required value: the name of %s", what)
	} else {
		v.pathSegment(hpaChild(path, "name"), ref.Name)
	}
}

var hpaMetricSourceTypes = []string{
	string(autoscalingv2.ContainerResourceMetricSourceType),
	string(autoscalingv2.ExternalMetricSourceType),
	string(autoscalingv2.ObjectMetricSourceType),
	string(autoscalingv2.PodsMetricSourceType),
	string(autoscalingv2.ResourceMetricSourceType),
}

// metric mirrors validateMetricSpec: a known type, the source field of that
// type set, no other source field set, and the source itself valid.
func (v *hpaValidator) metric(path string, m *autoscalingv2.MetricSpec) {
	sources := []struct {
		typ   autoscalingv2.MetricSourceType
		field string
		set   bool
	}{
		{autoscalingv2.ObjectMetricSourceType, "object", m.Object != nil},
		{autoscalingv2.PodsMetricSourceType, "pods", m.Pods != nil},
		{autoscalingv2.ResourceMetricSourceType, "resource", m.Resource != nil},
		{autoscalingv2.ContainerResourceMetricSourceType, "containerResource", m.ContainerResource != nil},
		{autoscalingv2.ExternalMetricSourceType, "external", m.External != nil},
	}
	known := false
	for _, s := range sources {
		if s.typ != m.Type {
			continue
		}
		known = true
		if !s.set {
			v.add(hpaChild(path, s.field), "Required value: must populate information for the given metric source; type %s needs the %s field", m.Type, s.field)
		}
	}
	if !known {
		// One error for the type, with a hint from the source that is set;
		// the API server would also reject each set source.
		hint := ""
		for _, s := range sources {
			if s.set {
				hint = fmt.Sprintf("; the %s field is set, for type %s", s.field, s.typ)
				break
			}
		}
		if m.Type == "" {
			v.add(hpaChild(path, "type"), "Required value: must specify a metric source type, one of %s%s", hpaQuoteList(hpaMetricSourceTypes...), hint)
		} else {
			v.add(hpaChild(path, "type"), "Unsupported value: %q: supported values: %s%s", m.Type, hpaQuoteList(hpaMetricSourceTypes...), hint)
		}
		return
	}
	for _, s := range sources {
		if s.set && s.typ != m.Type {
			v.add(hpaChild(path, s.field), "Forbidden: must populate the given metric source only; type %s reads %s, remove this field", m.Type, hpaSourceField(m.Type))
		}
	}

	// Only the source of the declared type is read, so only it is
	// validated further.
	switch m.Type {
	case autoscalingv2.ObjectMetricSourceType:
		if s := m.Object; s != nil {
			p := hpaChild(path, "object")
			v.objectReference(hpaChild(p, "describedObject"), s.DescribedObject, "the object the metric describes")
			v.metricIdentifier(hpaChild(p, "metric"), s.Metric)
			v.target(hpaChild(p, "target"), m.Type, &s.Target)
		}
	case autoscalingv2.PodsMetricSourceType:
		if s := m.Pods; s != nil {
			p := hpaChild(path, "pods")
			v.metricIdentifier(hpaChild(p, "metric"), s.Metric)
			v.target(hpaChild(p, "target"), m.Type, &s.Target)
		}
	case autoscalingv2.ResourceMetricSourceType:
		if s := m.Resource; s != nil {
			p := hpaChild(path, "resource")
			if s.Name == "" {
				v.add(hpaChild(p, "name"), "Required value: must specify a resource name, e.g. cpu or memory")
			}
			v.target(hpaChild(p, "target"), m.Type, &s.Target)
		}
	case autoscalingv2.ContainerResourceMetricSourceType:
		if s := m.ContainerResource; s != nil {
			p := hpaChild(path, "containerResource")
			if s.Name == "" {
				v.add(hpaChild(p, "name"), "Required value: must specify a resource name, e.g. cpu or memory")
			}
			if s.Container == "" {
				v.add(hpaChild(p, "container"), "Required value: must specify a container")
			} else {
				for _, msg := range utilvalidation.IsDNS1123Label(s.Container) {
					v.add(hpaChild(p, "container"), "Invalid value: %q: %s", s.Container, msg)
				}
			}
			v.target(hpaChild(p, "target"), m.Type, &s.Target)
		}
	case autoscalingv2.ExternalMetricSourceType:
		if s := m.External; s != nil {
			p := hpaChild(path, "external")
			v.metricIdentifier(hpaChild(p, "metric"), s.Metric)
			v.target(hpaChild(p, "target"), m.Type, &s.Target)
		}
	}
}

// hpaSourceField names the source field a metric type reads.
func hpaSourceField(t autoscalingv2.MetricSourceType) string {
	switch t {
	case autoscalingv2.ObjectMetricSourceType:
		return "object"
	case autoscalingv2.PodsMetricSourceType:
		return "pods"
	case autoscalingv2.ResourceMetricSourceType:
		return "resource"
	case autoscalingv2.ContainerResourceMetricSourceType:
		return "containerResource"
	case autoscalingv2.ExternalMetricSourceType:
		return "external"
	}
	return "no source"
}

// metricIdentifier mirrors validateMetricIdentifier.
func (v *hpaValidator) metricIdentifier(path string, id autoscalingv2.MetricIdentifier) {
	if id.Name == "" {
		v.add(hpaChild(path, "name"), "Required value: must specify a metric name")
		return
	}
	v.pathSegment(hpaChild(path, "name"), id.Name)
}

// hpaTargetTypes are the target types each metric type supports: the ones
// the controller reads (computeStatusFor…Metric in horizontal.go).
var hpaTargetTypes = map[autoscalingv2.MetricSourceType][]autoscalingv2.MetricTargetType{
	autoscalingv2.ResourceMetricSourceType:          {autoscalingv2.UtilizationMetricType, autoscalingv2.AverageValueMetricType},
	autoscalingv2.ContainerResourceMetricSourceType: {autoscalingv2.UtilizationMetricType, autoscalingv2.AverageValueMetricType},
	autoscalingv2.PodsMetricSourceType:              {autoscalingv2.AverageValueMetricType},
	autoscalingv2.ObjectMetricSourceType:            {autoscalingv2.ValueMetricType, autoscalingv2.AverageValueMetricType},
	autoscalingv2.ExternalMetricSourceType:          {autoscalingv2.ValueMetricType, autoscalingv2.AverageValueMetricType},
}

// target mirrors validateMetricTarget and the per-source target rules of
// validate{Object,Pods,Resource,ContainerResource,External}Source, then
// checks the type against the metric type (a headroom rule, see
// ValidateHPASpec).
func (v *hpaValidator) target(path string, metricType autoscalingv2.MetricSourceType, t *autoscalingv2.MetricTarget) {
	before := len(v.errs)
	if t.Type == "" {
		v.add(hpaChild(path, "type"), "Required value: must specify a metric target type, one of %s", hpaQuoteList(hpaTargetTypeNames(metricType)...))
	} else if t.Type != autoscalingv2.UtilizationMetricType && t.Type != autoscalingv2.ValueMetricType && t.Type != autoscalingv2.AverageValueMetricType {
		v.add(hpaChild(path, "type"), "Invalid value: %q: must be either Utilization, Value, or AverageValue", t.Type)
	}
	v.positiveQuantity(hpaChild(path, "value"), t.Value)
	v.positiveQuantity(hpaChild(path, "averageValue"), t.AverageValue)
	if t.AverageUtilization != nil && *t.AverageUtilization < 1 {
		v.add(hpaChild(path, "averageUtilization"), "must be greater than 0, got %d; a percentage of the pods' request, e.g. 70", *t.AverageUtilization)
	}

	switch metricType {
	case autoscalingv2.ResourceMetricSourceType, autoscalingv2.ContainerResourceMetricSourceType:
		if t.AverageUtilization == nil && t.AverageValue == nil {
			v.add(hpaChild(path, "averageUtilization"), "Required value: must set either a target raw value or a target utilization")
		}
		if t.AverageUtilization != nil && t.AverageValue != nil {
			v.add(hpaChild(path, "averageValue"), "Forbidden: may not set both a target raw value and a target utilization")
		}
	case autoscalingv2.PodsMetricSourceType:
		if t.AverageValue == nil {
			v.add(hpaChild(path, "averageValue"), "Required value: must specify a positive target averageValue")
		}
	case autoscalingv2.ObjectMetricSourceType:
		if t.Value == nil && t.AverageValue == nil {
			v.add(hpaChild(path, "averageValue"), "Required value: must set either a target value or averageValue")
		}
	case autoscalingv2.ExternalMetricSourceType:
		if t.Value == nil && t.AverageValue == nil {
			v.add(hpaChild(path, "averageValue"), "Required value: must set either a target value for metric or a per-pod target")
		}
		if t.Value != nil && t.AverageValue != nil {
			v.add(hpaChild(path, "value"), "Forbidden: may not set both a target value for metric and a per-pod target")
		}
	}
	if len(v.errs) > before {
		return
	}

	// Headroom rules: the declared type must suit the metric type, its
	// field must be set and no other target field may be.
	allowed := hpaTargetTypes[metricType]
	ok := false
	for _, a := range allowed {
		ok = ok || a == t.Type
	}
	if !ok {
		v.add(hpaChild(path, "type"), "%s is not a target type for %s metrics; use %s", t.Type, metricType, strings.Join(hpaTargetTypeNames(metricType), " or "))
		return
	}
	fields := []struct {
		typ  autoscalingv2.MetricTargetType
		name string
		set  bool
	}{
		{autoscalingv2.UtilizationMetricType, "averageUtilization", t.AverageUtilization != nil},
		{autoscalingv2.ValueMetricType, "value", t.Value != nil},
		{autoscalingv2.AverageValueMetricType, "averageValue", t.AverageValue != nil},
	}
	own := false
	var others []string
	var otherType autoscalingv2.MetricTargetType
	for _, f := range fields {
		if f.typ == t.Type {
			own = f.set
		} else if f.set {
			others = append(others, f.name)
			otherType = f.typ
		}
	}
	switch {
	case !own && len(others) == 1:
		// The API rules above guarantee some field is set.
		v.add(hpaChild(path, "type"), "target type %s does not match the field set (%s); set type: %s, or set %s instead of %s",
			t.Type, others[0], otherType, hpaTargetField(t.Type), others[0])
	default:
		for _, name := range others {
			v.add(hpaChild(path, name), "Forbidden: must not be set with target type %s; set %s only", t.Type, hpaTargetField(t.Type))
		}
	}
}

func hpaTargetTypeNames(metricType autoscalingv2.MetricSourceType) []string {
	var out []string
	for _, t := range hpaTargetTypes[metricType] {
		out = append(out, string(t))
	}
	if out == nil {
		out = []string{string(autoscalingv2.UtilizationMetricType), string(autoscalingv2.ValueMetricType), string(autoscalingv2.AverageValueMetricType)}
	}
	return out
}

func hpaTargetField(t autoscalingv2.MetricTargetType) string {
	switch t {
	case autoscalingv2.UtilizationMetricType:
		return "averageUtilization"
	case autoscalingv2.ValueMetricType:
		return "value"
	}
	return "averageValue"
}

func (v *hpaValidator) positiveQuantity(path string, q *resource.Quantity) {
	if q != nil && q.Sign() != 1 {
		v.add(path, "must be positive, got %s", q.String())
	}
}

var (
	hpaSelectPolicies = []string{
		string(autoscalingv2.DisabledPolicySelect),
		string(autoscalingv2.MaxChangePolicySelect),
		string(autoscalingv2.MinChangePolicySelect),
	}
	hpaPolicyTypes = []string{
		string(autoscalingv2.PercentScalingPolicy),
		string(autoscalingv2.PodsScalingPolicy),
	}
)

// scalingRules mirrors validateScalingRules and validateScalingPolicy.
func (v *hpaValidator) scalingRules(path string, r *autoscalingv2.HPAScalingRules) {
	if r == nil {
		return
	}
	if w := r.StabilizationWindowSeconds; w != nil {
		if *w < 0 {
			v.add(hpaChild(path, "stabilizationWindowSeconds"), "must be greater than or equal to zero, got %d; allowed 0 to %d seconds", *w, hpaMaxWindowSeconds)
		}
		if *w > hpaMaxWindowSeconds {
			v.add(hpaChild(path, "stabilizationWindowSeconds"), "must be less than or equal to %d, got %d; allowed 0 to %d seconds (one hour)", hpaMaxWindowSeconds, *w, hpaMaxWindowSeconds)
		}
	}
	disabled := false
	if p := r.SelectPolicy; p != nil {
		switch *p {
		case autoscalingv2.DisabledPolicySelect:
			disabled = true
		case autoscalingv2.MaxChangePolicySelect, autoscalingv2.MinChangePolicySelect:
		default:
			v.add(hpaChild(path, "selectPolicy"), "Unsupported value: %q: supported values: %s", *p, hpaQuoteList(hpaSelectPolicies...))
		}
	}
	policiesPath := hpaChild(path, "policies")
	if r.Policies != nil && len(r.Policies) == 0 && !disabled {
		v.add(policiesPath, "Required value: must specify at least one Policy; omit policies for the defaults or set selectPolicy: Disabled")
	}
	for i, p := range r.Policies {
		pp := fmt.Sprintf("%s[%d]", policiesPath, i)
		if p.Type != autoscalingv2.PodsScalingPolicy && p.Type != autoscalingv2.PercentScalingPolicy {
			v.add(hpaChild(pp, "type"), "Unsupported value: %q: supported values: %s", p.Type, hpaQuoteList(hpaPolicyTypes...))
		}
		if p.Value <= 0 {
			v.add(hpaChild(pp, "value"), "must be greater than zero, got %d; the pods or percent allowed per period", p.Value)
		}
		if p.PeriodSeconds <= 0 {
			v.add(hpaChild(pp, "periodSeconds"), "must be greater than zero, got %d; allowed 1 to %d seconds", p.PeriodSeconds, hpaMaxPeriodSeconds)
		}
		if p.PeriodSeconds > hpaMaxPeriodSeconds {
			v.add(hpaChild(pp, "periodSeconds"), "must be less than or equal to %d, got %d; allowed 1 to %d seconds (30 minutes)", hpaMaxPeriodSeconds, p.PeriodSeconds, hpaMaxPeriodSeconds)
		}
	}
	if t := r.Tolerance; t != nil && t.Sign() < 0 {
		v.add(hpaChild(path, "tolerance"), "must be greater than or equal to zero, got %s; a fraction of the target, e.g. 0.05 for 5 %%", t.String())
	}
}
