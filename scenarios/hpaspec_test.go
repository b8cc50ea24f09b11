package scenarios

import (
	"strings"
	"testing"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

func hpaInt32(v int32) *int32 { return &v }

func hpaQty(s string) *resource.Quantity {
	q := resource.MustParse(s)
	return &q
}

// hpaValidSpec is an HPA that passes validation: CPU utilization, a Pods
// metric, an External metric and a full behavior.
func hpaValidSpec() *autoscalingv2.HorizontalPodAutoscalerSpec {
	maxPolicy := autoscalingv2.MaxChangePolicySelect
	return &autoscalingv2.HorizontalPodAutoscalerSpec{
		ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: "noa-mcp"},
		MinReplicas:    hpaInt32(2),
		MaxReplicas:    10,
		Metrics: []autoscalingv2.MetricSpec{
			{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricSource{
				Name:   corev1.ResourceCPU,
				Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: hpaInt32(70)},
			}},
			{Type: autoscalingv2.PodsMetricSourceType, Pods: &autoscalingv2.PodsMetricSource{
				Metric: autoscalingv2.MetricIdentifier{Name: "http_requests"},
				Target: autoscalingv2.MetricTarget{Type: autoscalingv2.AverageValueMetricType, AverageValue: hpaQty("100")},
			}},
			{Type: autoscalingv2.ExternalMetricSourceType, External: &autoscalingv2.ExternalMetricSource{
				Metric: autoscalingv2.MetricIdentifier{Name: "queue_depth"},
				Target: autoscalingv2.MetricTarget{Type: autoscalingv2.ValueMetricType, Value: hpaQty("30")},
			}},
		},
		Behavior: &autoscalingv2.HorizontalPodAutoscalerBehavior{
			ScaleUp: &autoscalingv2.HPAScalingRules{
				StabilizationWindowSeconds: hpaInt32(0),
				SelectPolicy:               &maxPolicy,
				Policies: []autoscalingv2.HPAScalingPolicy{
					{Type: autoscalingv2.PodsScalingPolicy, Value: 4, PeriodSeconds: 15},
					{Type: autoscalingv2.PercentScalingPolicy, Value: 100, PeriodSeconds: 15},
				},
				Tolerance: hpaQty("0.05"),
			},
			ScaleDown: &autoscalingv2.HPAScalingRules{StabilizationWindowSeconds: hpaInt32(300)},
		},
	}
}

func TestValidateHPASpec_Valid(t *testing.T) {
	if errs := ValidateHPASpec(hpaValidSpec(), "services[noa-mcp].hpa"); len(errs) != 0 {
		t.Fatalf("valid spec rejected:\n%v", errs)
	}
	if errs := ValidateHPASpec(nil, "x"); errs != nil {
		t.Fatalf("nil spec: %v", errs)
	}
	// A minimal spec relies on API defaulting: no metrics, no minReplicas.
	minimal := &autoscalingv2.HorizontalPodAutoscalerSpec{
		ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{Kind: "Deployment", Name: "api"},
		MaxReplicas:    3,
		Behavior:       &autoscalingv2.HorizontalPodAutoscalerBehavior{ScaleUp: &autoscalingv2.HPAScalingRules{}},
	}
	if errs := ValidateHPASpec(minimal, ""); len(errs) != 0 {
		t.Fatalf("minimal spec rejected:\n%v", errs)
	}
	// Scale to zero with an External metric.
	zero := hpaValidSpec()
	zero.MinReplicas = hpaInt32(0)
	if errs := ValidateHPASpec(zero, ""); len(errs) != 0 {
		t.Fatalf("scale-to-zero spec rejected:\n%v", errs)
	}
	// An explicitly empty policy list is fine when the direction is off.
	disabled := hpaValidSpec()
	off := autoscalingv2.DisabledPolicySelect
	disabled.Behavior.ScaleDown = &autoscalingv2.HPAScalingRules{SelectPolicy: &off, Policies: []autoscalingv2.HPAScalingPolicy{}}
	if errs := ValidateHPASpec(disabled, ""); len(errs) != 0 {
		t.Fatalf("disabled scale-down rejected:\n%v", errs)
	}
}

// TestValidateHPASpec_Rules checks the path and the exact message of every
// rule, one broken field at a time.
func TestValidateHPASpec_Rules(t *testing.T) {
	const p = "services[noa-mcp].hpa"
	type spec = autoscalingv2.HorizontalPodAutoscalerSpec
	cpu := func(s *spec) *autoscalingv2.MetricTarget { return &s.Metrics[0].Resource.Target }
	pods := func(s *spec) *autoscalingv2.MetricTarget { return &s.Metrics[1].Pods.Target }
	ext := func(s *spec) *autoscalingv2.MetricTarget { return &s.Metrics[2].External.Target }
	objectMetric := func(s *spec) *autoscalingv2.ObjectMetricSource {
		o := &autoscalingv2.ObjectMetricSource{
			DescribedObject: autoscalingv2.CrossVersionObjectReference{Kind: "Ingress", Name: "main"},
			Metric:          autoscalingv2.MetricIdentifier{Name: "rps"},
			Target:          autoscalingv2.MetricTarget{Type: autoscalingv2.ValueMetricType, Value: hpaQty("100")},
		}
		s.Metrics = append(s.Metrics, autoscalingv2.MetricSpec{Type: autoscalingv2.ObjectMetricSourceType, Object: o})
		return o
	}
	containerMetric := func(s *spec) *autoscalingv2.ContainerResourceMetricSource {
		c := &autoscalingv2.ContainerResourceMetricSource{
			Name: corev1.ResourceCPU, Container: "app",
			Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: hpaInt32(60)},
		}
		s.Metrics = append(s.Metrics, autoscalingv2.MetricSpec{Type: autoscalingv2.ContainerResourceMetricSourceType, ContainerResource: c})
		return c
	}
	up := func(s *spec) *autoscalingv2.HPAScalingRules { return s.Behavior.ScaleUp }
	sel := func(v string) *autoscalingv2.ScalingPolicySelect {
		x := autoscalingv2.ScalingPolicySelect(v)
		return &x
	}

	tests := []struct {
		name   string
		mutate func(s *spec)
		path   string
		msg    string
	}{
		// Replicas.
		{"negative minReplicas", func(s *spec) { s.MinReplicas = hpaInt32(-1) }, p + ".minReplicas",
			"must be greater than or equal to 0, got -1; use 1 or more (0 only to scale to zero with an Object or External metric)"},
		{"zero maxReplicas", func(s *spec) { s.MaxReplicas = 0; s.MinReplicas = nil }, p + ".maxReplicas",
			"must be greater than 0, got 0"},
		{"max below min", func(s *spec) { s.MaxReplicas = 1 }, p + ".maxReplicas",
			"must be greater than or equal to `minReplicas`, got 1 < minReplicas 2; raise maxReplicas or lower minReplicas"},
		{"scale to zero without object or external", func(s *spec) { s.MinReplicas = hpaInt32(0); s.Metrics = s.Metrics[:2] }, p + ".minReplicas",
			"must specify at least one Object or External metric to support scaling to zero replicas; set minReplicas to 1 or more, or add such a metric"},

		// scaleTargetRef.
		{"no kind", func(s *spec) { s.ScaleTargetRef.Kind = "" }, p + ".scaleTargetRef.kind",
			"Required value: the kind of the scaled workload, e.g. Deployment"},
		{"no name", func(s *spec) { s.ScaleTargetRef.Name = "" }, p + ".scaleTargetRef.name",
			"Required value: the name of the scaled workload"},
		{"name with slash", func(s *spec) { s.ScaleTargetRef.Name = "a/b" }, p + ".scaleTargetRef.name",
			`may not contain '/', got "a/b"; a name cannot be '.' or '..' or contain '/' or '%'`},
		{"kind dot-dot", func(s *spec) { s.ScaleTargetRef.Kind = ".." }, p + ".scaleTargetRef.kind",
			`may not be '..', got ".."; a name cannot be '.' or '..' or contain '/' or '%'`},

		// Metric type and source.
		{"no metric type", func(s *spec) { s.Metrics[0].Type = "" }, p + ".metrics[0].type",
			`Required value: must specify a metric source type, one of "ContainerResource", "External", "Object", "Pods", "Resource"; the resource field is set, for type Resource`},
		{"unknown metric type", func(s *spec) { s.Metrics[0].Type = "CheddarCheese" }, p + ".metrics[0].type",
			`Unsupported value: "CheddarCheese": supported values: "ContainerResource", "External", "Object", "Pods", "Resource"; the resource field is set, for type Resource`},
		{"unknown metric type without source", func(s *spec) { s.Metrics[0] = autoscalingv2.MetricSpec{Type: "Cpu"} }, p + ".metrics[0].type",
			`Unsupported value: "Cpu": supported values: "ContainerResource", "External", "Object", "Pods", "Resource"`},
		{"source missing", func(s *spec) { s.Metrics[1].Pods = nil }, p + ".metrics[1].pods",
			"Required value: must populate information for the given metric source; type Pods needs the pods field"},
		{"second source", func(s *spec) { s.Metrics[1].Resource = s.Metrics[0].Resource }, p + ".metrics[1].resource",
			"Forbidden: must populate the given metric source only; type Pods reads pods, remove this field"},

		// Resource / ContainerResource.
		{"resource name", func(s *spec) { s.Metrics[0].Resource.Name = "" }, p + ".metrics[0].resource.name",
			"Required value: must specify a resource name, e.g. cpu or memory"},
		{"no resource target", func(s *spec) { *cpu(s) = autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType} }, p + ".metrics[0].resource.target.averageUtilization",
			"Required value: must set either a target raw value or a target utilization"},
		{"both resource targets", func(s *spec) { cpu(s).AverageValue = hpaQty("500m") }, p + ".metrics[0].resource.target.averageValue",
			"Forbidden: may not set both a target raw value and a target utilization"},
		{"zero utilization", func(s *spec) { cpu(s).AverageUtilization = hpaInt32(0) }, p + ".metrics[0].resource.target.averageUtilization",
			"must be greater than 0, got 0; a percentage of the pods' request, e.g. 70"},
		{"container missing", func(s *spec) { containerMetric(s).Container = "" }, p + ".metrics[3].containerResource.container",
			"Required value: must specify a container"},
		{"container not a label", func(s *spec) { containerMetric(s).Container = "App_1" }, p + ".metrics[3].containerResource.container",
			`Invalid value: "App_1": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`},
		{"container resource name", func(s *spec) { containerMetric(s).Name = "" }, p + ".metrics[3].containerResource.name",
			"Required value: must specify a resource name, e.g. cpu or memory"},

		// Target.
		{"no target type", func(s *spec) { cpu(s).Type = "" }, p + ".metrics[0].resource.target.type",
			`Required value: must specify a metric target type, one of "Utilization", "AverageValue"`},
		{"bad target type", func(s *spec) { cpu(s).Type = "Percent" }, p + ".metrics[0].resource.target.type",
			`Invalid value: "Percent": must be either Utilization, Value, or AverageValue`},
		{"zero average value", func(s *spec) { pods(s).AverageValue = hpaQty("0") }, p + ".metrics[1].pods.target.averageValue",
			"must be positive, got 0"},
		{"negative value", func(s *spec) { ext(s).Value = hpaQty("-3") }, p + ".metrics[2].external.target.value",
			"must be positive, got -3"},

		// Pods / Object / External.
		{"pods without average", func(s *spec) { *pods(s) = autoscalingv2.MetricTarget{Type: autoscalingv2.AverageValueMetricType} }, p + ".metrics[1].pods.target.averageValue",
			"Required value: must specify a positive target averageValue"},
		{"pods metric name", func(s *spec) { s.Metrics[1].Pods.Metric.Name = "" }, p + ".metrics[1].pods.metric.name",
			"Required value: must specify a metric name"},
		{"object kind", func(s *spec) { objectMetric(s).DescribedObject.Kind = "" }, p + ".metrics[3].object.describedObject.kind",
			"Required value: the kind of the object the metric describes, e.g. Deployment"},
		{"object name", func(s *spec) { objectMetric(s).DescribedObject.Name = "" }, p + ".metrics[3].object.describedObject.name",
			"Required value: the name of the object the metric describes"},
		{"object without target value", func(s *spec) {
			objectMetric(s).Target = autoscalingv2.MetricTarget{Type: autoscalingv2.ValueMetricType}
		}, p + ".metrics[3].object.target.averageValue",
			"Required value: must set either a target value or averageValue"},
		{"object metric name with percent", func(s *spec) { objectMetric(s).Metric.Name = "a%b" }, p + ".metrics[3].object.metric.name",
			`may not contain '%', got "a%b"; a name cannot be '.' or '..' or contain '/' or '%'`},
		{"external without target", func(s *spec) { *ext(s) = autoscalingv2.MetricTarget{Type: autoscalingv2.ValueMetricType} }, p + ".metrics[2].external.target.averageValue",
			"Required value: must set either a target value for metric or a per-pod target"},
		{"external both targets", func(s *spec) { ext(s).AverageValue = hpaQty("5") }, p + ".metrics[2].external.target.value",
			"Forbidden: may not set both a target value for metric and a per-pod target"},

		// Target type against metric type (headroom rules).
		{"utilization for pods", func(s *spec) { pods(s).Type = autoscalingv2.UtilizationMetricType }, p + ".metrics[1].pods.target.type",
			"Utilization is not a target type for Pods metrics; use AverageValue"},
		{"value for resource", func(s *spec) {
			*cpu(s) = autoscalingv2.MetricTarget{Type: autoscalingv2.ValueMetricType, AverageValue: hpaQty("500m")}
		}, p + ".metrics[0].resource.target.type",
			"Value is not a target type for Resource metrics; use Utilization or AverageValue"},
		{"type does not match field", func(s *spec) { ext(s).Type = autoscalingv2.AverageValueMetricType }, p + ".metrics[2].external.target.type",
			"target type AverageValue does not match the field set (value); set type: Value, or set averageValue instead of value"},
		{"utilization type with average value", func(s *spec) {
			*cpu(s) = autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageValue: hpaQty("500m")}
		}, p + ".metrics[0].resource.target.type",
			"target type Utilization does not match the field set (averageValue); set type: AverageValue, or set averageUtilization instead of averageValue"},
		{"extra field of other type", func(s *spec) { objectMetric(s).Target.AverageValue = hpaQty("10") }, p + ".metrics[3].object.target.averageValue",
			"Forbidden: must not be set with target type Value; set value only"},

		// Behavior.
		{"negative window", func(s *spec) { up(s).StabilizationWindowSeconds = hpaInt32(-1) }, p + ".behavior.scaleUp.stabilizationWindowSeconds",
			"must be greater than or equal to zero, got -1; allowed 0 to 3600 seconds"},
		{"window over an hour", func(s *spec) { s.Behavior.ScaleDown.StabilizationWindowSeconds = hpaInt32(3601) }, p + ".behavior.scaleDown.stabilizationWindowSeconds",
			"must be less than or equal to 3600, got 3601; allowed 0 to 3600 seconds (one hour)"},
		{"bad selectPolicy", func(s *spec) { up(s).SelectPolicy = sel("Maximum") }, p + ".behavior.scaleUp.selectPolicy",
			`Unsupported value: "Maximum": supported values: "Disabled", "Max", "Min"`},
		{"empty policies", func(s *spec) { up(s).Policies = []autoscalingv2.HPAScalingPolicy{} }, p + ".behavior.scaleUp.policies",
			"Required value: must specify at least one Policy; omit policies for the defaults or set selectPolicy: Disabled"},
		{"bad policy type", func(s *spec) { up(s).Policies[1].Type = "Percentage" }, p + ".behavior.scaleUp.policies[1].type",
			`Unsupported value: "Percentage": supported values: "Percent", "Pods"`},
		{"zero policy value", func(s *spec) { up(s).Policies[0].Value = 0 }, p + ".behavior.scaleUp.policies[0].value",
			"must be greater than zero, got 0; the pods or percent allowed per period"},
		{"zero period", func(s *spec) { up(s).Policies[0].PeriodSeconds = 0 }, p + ".behavior.scaleUp.policies[0].periodSeconds",
			"must be greater than zero, got 0; allowed 1 to 1800 seconds"},
		{"period over 30 minutes", func(s *spec) { up(s).Policies[0].PeriodSeconds = 1801 }, p + ".behavior.scaleUp.policies[0].periodSeconds",
			"must be less than or equal to 1800, got 1801; allowed 1 to 1800 seconds (30 minutes)"},
		{"negative tolerance", func(s *spec) { up(s).Tolerance = hpaQty("-0.1") }, p + ".behavior.scaleUp.tolerance",
			"must be greater than or equal to zero, got -100m; a fraction of the target, e.g. 0.05 for 5 %"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := hpaValidSpec()
			tc.mutate(s)
			errs := ValidateHPASpec(s, p)
			if len(errs) != 1 {
				t.Fatalf("got %d errors, want 1:\n%v", len(errs), errs)
			}
			if errs[0].Path != tc.path || errs[0].Msg != tc.msg {
				t.Errorf("got\n  %s: %s\nwant\n  %s: %s", errs[0].Path, errs[0].Msg, tc.path, tc.msg)
			}
		})
	}
}

// TestValidateHPASpec_PathPrefix: an empty prefix gives bare field paths,
// and every problem of a spec is reported in one pass.
func TestValidateHPASpec_PathPrefix(t *testing.T) {
	s := hpaValidSpec()
	s.MaxReplicas = 0
	s.MinReplicas = nil
	s.Behavior.ScaleUp.Policies[0].PeriodSeconds = 0
	errs := ValidateHPASpec(s, "")
	var paths []string
	for _, e := range errs {
		paths = append(paths, e.Path)
	}
	want := "maxReplicas behavior.scaleUp.policies[0].periodSeconds"
	if got := strings.Join(paths, " "); got != want {
		t.Errorf("paths = %q, want %q", got, want)
	}
}
