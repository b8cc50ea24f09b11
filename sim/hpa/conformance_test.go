package hpa

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// The conformance cases are taken from the upstream unit tests
// (pkg/controller/podautoscaler/{horizontal,replica_calculator}_test.go and
// pkg/apis/autoscaling/v2/defaults_test.go); each case names its source.
// TestHPAConformance runs testdata/conformance/hpa_cases.json and, when
// HEADROOM_EXTRA_HPA_CASES names a file of the same schema, that file too.
// A case of an unknown layer, an unknown or missing input key, or a value
// the harness cannot map onto the controller fails; nothing is skipped.

const (
	conformanceFile = "../../testdata/conformance/hpa_cases.json"
	extraCasesEnv   = "HEADROOM_EXTRA_HPA_CASES"
)

// caseNow is the evaluation instant of every case; ages count back from it.
const caseNow = 240 * time.Hour

// zeroTime stands for the zero time.Time of the upstream fixtures (JSON
// null ages): far enough in the past to be older than any window, close
// enough to zero that adding a window cannot overflow.
const zeroTime = time.Duration(-1 << 62)

type caseFile struct {
	Description        string              `json:"description"`
	HarnessController  *harnessController  `json:"harness_controller_tests,omitempty"`
	HarnessReplicaCalc *harnessReplicaCalc `json:"harness_replica_calculator_tests,omitempty"`
	Layers             map[string]string   `json:"layers"`
	Cases              []json.RawMessage   `json:"cases"`
}

// harnessController are the constants of horizontal_test.go.
type harnessController struct {
	Tolerance               float64 `json:"tolerance"`
	CPUInitializationPeriod float64 `json:"cpu_initialization_period_s"`
	InitialReadinessDelay   float64 `json:"initial_readiness_delay_s"`
	DownscaleStabilization  float64 `json:"downscale_stabilization_s"`
	ScaleUpLimitFactor      float64 `json:"scale_up_limit_factor"`
	ScaleUpLimitMinimum     float64 `json:"scale_up_limit_minimum"`
	SyncPeriod              float64 `json:"sync_period_s"`
	Note                    string  `json:"_note,omitempty"`
}

// config turns the constants into a Config.
func (h *harnessController) config() Config {
	cfg := DefaultConfig()
	cfg.Tolerance = h.Tolerance
	cfg.CPUInitializationPeriod = seconds(h.CPUInitializationPeriod)
	cfg.InitialReadinessDelay = seconds(h.InitialReadinessDelay)
	cfg.DownscaleStabilizationWindow = seconds(h.DownscaleStabilization)
	cfg.ScaleUpLimitFactor = h.ScaleUpLimitFactor
	cfg.ScaleUpLimitMinimum = h.ScaleUpLimitMinimum
	cfg.SyncPeriod = seconds(h.SyncPeriod)
	// The cases come from an upstream commit before v1.37's HPAScaleToZero
	// beta; they hold its zero-replica rule.
	cfg.ZeroReplicas = ZeroReplicasPre137
	return cfg
}

// harnessReplicaCalc are the constants of replica_calculator_test.go.
type harnessReplicaCalc struct {
	ToleranceScaleDown      float64 `json:"tolerance_scale_down"`
	ToleranceScaleUp        float64 `json:"tolerance_scale_up"`
	CPUInitializationPeriod float64 `json:"cpu_initialization_period_s"`
	InitialReadinessDelay   float64 `json:"initial_readiness_delay_s"`
}

type conformanceCase struct {
	ID       string          `json:"id"`
	Source   json.RawMessage `json:"source"`
	Layer    string          `json:"layer"`
	Inputs   json.RawMessage `json:"inputs"`
	Expected json.RawMessage `json:"expected"`
	Notes    string          `json:"notes,omitempty"`
	Verified bool            `json:"verified_by_reference_model,omitempty"`
}

// harness is what a layer runner gets besides the case.
type harness struct {
	controller  harnessController
	replicaCalc harnessReplicaCalc
}

type layerRunner func(t *testing.T, h *harness, in, want json.RawMessage)

// layerRunners maps each layer to the runner calling the function that
// mirrors the upstream one named in the file's layers map.
var layerRunners = map[string]layerRunner{
	"behavior_rate_limit":                    runBehaviorRateLimit,
	"behavior_stabilization":                 runBehaviorStabilization,
	"legacy_stabilization":                   runLegacyStabilization,
	"legacy_clamp":                           runLegacyClamp,
	"policy_limit_scale_up":                  runPolicyLimitScaleUp,
	"policy_limit_scale_down":                runPolicyLimitScaleDown,
	"scale_event_store":                      runScaleEventStore,
	"defaulting_scale_up":                    runDefaultingScaleUp,
	"defaulting_scale_down":                  runDefaultingScaleDown,
	"replica_calc_resource_utilization":      runResourceUtilization,
	"replica_calc_pods_metric_average_value": runPodsMetricAverageValue,
	"replica_calc_object_value":              runObjectValue,
	"replica_calc_object_average_value":      runObjectAverageValue,
	"replica_calc_external_value":            runExternalValue,
	"replica_calc_external_average_value":    runExternalAverageValue,
	"pod_grouping":                           runPodGrouping,
	"controller_reconcile":                   runControllerReconcile,
}

func TestHPAConformance(t *testing.T) {
	main := loadCaseFile(t, conformanceFile)
	if main.HarnessController == nil || main.HarnessReplicaCalc == nil {
		t.Fatalf("%s: harness constants missing", conformanceFile)
	}
	h := &harness{controller: *main.HarnessController, replicaCalc: *main.HarnessReplicaCalc}
	runCaseFile(t, conformanceFile, main, h)

	if extra := os.Getenv(extraCasesEnv); extra != "" {
		f := loadCaseFile(t, extra)
		eh := *h
		if f.HarnessController != nil {
			eh.controller = *f.HarnessController
		}
		if f.HarnessReplicaCalc != nil {
			eh.replicaCalc = *f.HarnessReplicaCalc
		}
		runCaseFile(t, extra, f, &eh)
	}
}

func loadCaseFile(t *testing.T, path string) *caseFile {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read cases: %v", err)
	}
	var f caseFile
	if err := decodeStrict(raw, &f); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(f.Cases) == 0 {
		t.Fatalf("%s: no cases", path)
	}
	return &f
}

func runCaseFile(t *testing.T, path string, f *caseFile, h *harness) {
	seen := map[string]bool{}
	for i, raw := range f.Cases {
		var c conformanceCase
		if err := decodeStrict(raw, &c); err != nil {
			t.Errorf("%s: case %d: %v", path, i, err)
			continue
		}
		if c.ID == "" || seen[c.ID] {
			t.Errorf("%s: case %d: empty or duplicate id %q", path, i, c.ID)
			continue
		}
		seen[c.ID] = true
		t.Run(c.ID, func(t *testing.T) {
			run, ok := layerRunners[c.Layer]
			if !ok {
				t.Fatalf("unknown layer %q (the file describes it as %q)", c.Layer, f.Layers[c.Layer])
			}
			if _, ok := f.Layers[c.Layer]; !ok {
				t.Fatalf("layer %q is not declared in the file's layers map", c.Layer)
			}
			run(t, h, c.Inputs, c.Expected)
		})
	}
}

// decodeStrict decodes raw into v, failing on unknown keys at any depth and
// on missing keys: every struct field must be present in the JSON unless
// its tag says omitempty. json.RawMessage fields are taken as they are.
func decodeStrict(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("trailing data after JSON value")
	}
	return checkKeys(raw, reflect.TypeOf(v).Elem(), "$")
}

var rawMessageType = reflect.TypeOf(json.RawMessage(nil))

func checkKeys(raw []byte, typ reflect.Type, path string) error {
	if typ == rawMessageType || isNull(raw) {
		return nil
	}
	switch typ.Kind() {
	case reflect.Pointer:
		return checkKeys(raw, typ.Elem(), path)
	case reflect.Slice:
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		for i, it := range items {
			if err := checkKeys(it, typ.Elem(), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	case reflect.Map:
		var m map[string]json.RawMessage
		if err := json.Unmarshal(raw, &m); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		for k, v := range m {
			if err := checkKeys(v, typ.Elem(), path+"."+k); err != nil {
				return err
			}
		}
	case reflect.Struct:
		var m map[string]json.RawMessage
		if err := json.Unmarshal(raw, &m); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		for i := 0; i < typ.NumField(); i++ {
			f := typ.Field(i)
			tag := f.Tag.Get("json")
			if !f.IsExported() || tag == "" || tag == "-" {
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			v, ok := m[name]
			if !ok {
				if opts != "omitempty" {
					return fmt.Errorf("%s: missing key %q", path, name)
				}
				continue
			}
			if err := checkKeys(v, f.Type, path+"."+name); err != nil {
				return err
			}
		}
	}
	return nil
}

func isNull(raw []byte) bool { return string(bytes.TrimSpace(raw)) == "null" }

func decodeCase(t *testing.T, in, want json.RawMessage, inputs, expected any) {
	t.Helper()
	if err := decodeStrict(in, inputs); err != nil {
		t.Fatalf("inputs: %v", err)
	}
	if err := decodeStrict(want, expected); err != nil {
		t.Fatalf("expected: %v", err)
	}
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// at turns an age in seconds (nil: the zero timestamp) into a time.
func at(age *float64) time.Duration {
	if age == nil {
		return zeroTime
	}
	return caseNow - seconds(*age)
}

// --- JSON shapes shared by layers ---

type policyJSON struct {
	Type          string `json:"type"`
	Value         int32  `json:"value"`
	PeriodSeconds int32  `json:"period_s"`
}

type rulesJSON struct {
	StabilizationWindowSeconds *int32        `json:"stabilization_window_s"`
	SelectPolicy               *string       `json:"select_policy"`
	Policies                   *[]policyJSON `json:"policies"`
}

// rules converts to API rules; nil stays nil, an empty policy list stays
// empty (not nil), as the difference matters to defaulting.
func (r *rulesJSON) rules(t *testing.T) *autoscalingv2.HPAScalingRules {
	if r == nil {
		return nil
	}
	out := &autoscalingv2.HPAScalingRules{StabilizationWindowSeconds: r.StabilizationWindowSeconds}
	if r.SelectPolicy != nil {
		p := autoscalingv2.ScalingPolicySelect(*r.SelectPolicy)
		switch p {
		case autoscalingv2.MaxChangePolicySelect, autoscalingv2.MinChangePolicySelect, autoscalingv2.DisabledPolicySelect:
		default:
			t.Fatalf("select_policy %q is not Max, Min or Disabled", p)
		}
		out.SelectPolicy = &p
	}
	if r.Policies != nil {
		out.Policies = make([]autoscalingv2.HPAScalingPolicy, 0, len(*r.Policies))
		for _, p := range *r.Policies {
			typ := autoscalingv2.HPAScalingPolicyType(p.Type)
			if typ != autoscalingv2.PodsScalingPolicy && typ != autoscalingv2.PercentScalingPolicy {
				t.Fatalf("policy type %q is not Pods or Percent", p.Type)
			}
			out.Policies = append(out.Policies, autoscalingv2.HPAScalingPolicy{Type: typ, Value: p.Value, PeriodSeconds: p.PeriodSeconds})
		}
	}
	return out
}

func policiesJSON(ps []autoscalingv2.HPAScalingPolicy) []policyJSON {
	out := make([]policyJSON, 0, len(ps))
	for _, p := range ps {
		out = append(out, policyJSON{Type: string(p.Type), Value: p.Value, PeriodSeconds: p.PeriodSeconds})
	}
	return out
}

type eventJSON struct {
	Change int32    `json:"change"`
	Age    *float64 `json:"age_s"`
}

func events(es []eventJSON) []scaleEvent {
	out := make([]scaleEvent, 0, len(es))
	for _, e := range es {
		out = append(out, scaleEvent{change: e.Change, at: at(e.Age)})
	}
	return out
}

type recJSON struct {
	Replicas int32    `json:"replicas"`
	Age      *float64 `json:"age_s"`
}

func recommendations(rs []recJSON) []recommendation {
	out := make([]recommendation, 0, len(rs))
	for _, r := range rs {
		out = append(out, recommendation{replicas: r.Replicas, at: at(r.Age)})
	}
	return out
}

func phase(t *testing.T, s string) PodPhase {
	switch corev1.PodPhase(s) {
	case corev1.PodPending:
		return PodPending
	case corev1.PodRunning:
		return PodRunning
	case corev1.PodSucceeded:
		return PodSucceeded
	case corev1.PodFailed:
		return PodFailed
	case corev1.PodUnknown:
		return PodUnknown
	}
	t.Fatalf("unknown pod phase %q", s)
	return 0
}

func readiness(ready *bool) Readiness {
	switch {
	case ready == nil:
		return NoReadyCondition
	case *ready:
		return Ready
	}
	return NotReady
}

// newTestController builds a Controller for a layer test.
func newTestController(t *testing.T, cfg Config, spec *autoscalingv2.HorizontalPodAutoscalerSpec) *Controller {
	t.Helper()
	c, err := NewController(cfg, spec)
	if err != nil {
		t.Fatalf("NewController: %v", err)
	}
	return c
}

func behaviorSpec(min, max int32, up, down *autoscalingv2.HPAScalingRules) *autoscalingv2.HorizontalPodAutoscalerSpec {
	return &autoscalingv2.HorizontalPodAutoscalerSpec{
		MinReplicas: &min,
		MaxReplicas: max,
		Behavior:    &autoscalingv2.HorizontalPodAutoscalerBehavior{ScaleUp: up, ScaleDown: down},
	}
}

// --- behavior layers ---

const rulesDefaultingText = "null rules are replaced by the API defaults (GenerateHPAScaleUpRules / GenerateHPAScaleDownRules) before use"

func runBehaviorRateLimit(t *testing.T, h *harness, in, want json.RawMessage) {
	var inp struct {
		Current         int32       `json:"current_replicas"`
		Desired         int32       `json:"desired_replicas_after_stabilization"`
		Min             int32       `json:"min_replicas"`
		Max             int32       `json:"max_replicas"`
		ScaleUpRules    *rulesJSON  `json:"scale_up_rules"`
		ScaleDownRules  *rulesJSON  `json:"scale_down_rules"`
		ScaleUpEvents   []eventJSON `json:"scale_up_events"`
		ScaleDownEvents []eventJSON `json:"scale_down_events"`
		RulesDefaulting string      `json:"rules_defaulting"`
	}
	var exp struct {
		Replicas int32  `json:"replicas"`
		Reason   string `json:"scaling_limited_reason"`
	}
	decodeCase(t, in, want, &inp, &exp)
	if inp.RulesDefaulting != rulesDefaultingText {
		t.Fatalf("rules_defaulting %q: unknown convention", inp.RulesDefaulting)
	}
	c := newTestController(t, h.controller.config(), behaviorSpec(inp.Min, inp.Max, inp.ScaleUpRules.rules(t), inp.ScaleDownRules.rules(t)))
	c.upEvents = events(inp.ScaleUpEvents)
	c.downEvents = events(inp.ScaleDownEvents)
	got, reason, _ := c.convertDesiredReplicasWithBehaviorRate(caseNow, normalizationArg{
		scaleUp: &c.up, scaleDown: &c.down,
		minReplicas: inp.Min, maxReplicas: inp.Max,
		currentReplicas: inp.Current, desiredReplicas: inp.Desired,
	})
	if got != exp.Replicas || reason != exp.Reason {
		t.Errorf("convertDesiredReplicasWithBehaviorRate = %d (%s), want %d (%s)", got, reason, exp.Replicas, exp.Reason)
	}
}

func runBehaviorStabilization(t *testing.T, h *harness, in, want json.RawMessage) {
	var inp struct {
		Recommendations []recJSON `json:"recommendations"`
		Current         int32     `json:"current_replicas"`
		Desired         int32     `json:"desired_replicas"`
		UpWindow        int32     `json:"scale_up_stabilization_window_s"`
		DownWindow      int32     `json:"scale_down_stabilization_window_s"`
	}
	var exp struct {
		Stabilized int32    `json:"stabilized_replicas"`
		After      *[]int32 `json:"recommendations_after_values_in_order,omitempty"`
	}
	decodeCase(t, in, want, &inp, &exp)
	up := &autoscalingv2.HPAScalingRules{StabilizationWindowSeconds: &inp.UpWindow}
	down := &autoscalingv2.HPAScalingRules{StabilizationWindowSeconds: &inp.DownWindow}
	c := newTestController(t, h.controller.config(), behaviorSpec(1, 1000, up, down))
	c.recs = recommendations(inp.Recommendations)
	c.recsSeeded = true
	got, _, _ := c.stabilizeRecommendationWithBehaviors(caseNow, normalizationArg{
		scaleUp: &c.up, scaleDown: &c.down, minReplicas: 1, maxReplicas: 1000,
		currentReplicas: inp.Current, desiredReplicas: inp.Desired,
	})
	if got != exp.Stabilized {
		t.Errorf("stabilizeRecommendationWithBehaviors = %d, want %d", got, exp.Stabilized)
	}
	if exp.After != nil {
		var after []int32
		for _, r := range c.recs {
			after = append(after, r.replicas)
		}
		if !slices.Equal(after, *exp.After) {
			t.Errorf("recommendations after = %v, want %v", after, *exp.After)
		}
	}
}

func runLegacyStabilization(t *testing.T, h *harness, in, want json.RawMessage) {
	var inp struct {
		Recommendations []recJSON `json:"recommendations"`
		Desired         int32     `json:"desired_replicas"`
		Window          float64   `json:"downscale_stabilization_window_s"`
	}
	var exp struct {
		Stabilized int32 `json:"stabilized_replicas"`
		LogLength  int   `json:"recommendation_log_length_after"`
	}
	decodeCase(t, in, want, &inp, &exp)
	cfg := h.controller.config()
	cfg.DownscaleStabilizationWindow = seconds(inp.Window)
	c := newTestController(t, cfg, &autoscalingv2.HorizontalPodAutoscalerSpec{MaxReplicas: 1000})
	c.recs = recommendations(inp.Recommendations)
	c.recsSeeded = true
	got := c.stabilizeRecommendation(caseNow, inp.Desired)
	if got != exp.Stabilized || len(c.recs) != exp.LogLength {
		t.Errorf("stabilizeRecommendation = %d with %d recommendations, want %d with %d", got, len(c.recs), exp.Stabilized, exp.LogLength)
	}
}

func runLegacyClamp(t *testing.T, h *harness, in, want json.RawMessage) {
	var inp struct {
		Current int32   `json:"current_replicas"`
		Desired int32   `json:"desired_replicas"`
		Min     int32   `json:"min_replicas"`
		Max     int32   `json:"max_replicas"`
		Minimum float64 `json:"scale_up_limit_minimum"`
	}
	var exp struct {
		Factor8 int32  `json:"replicas_with_test_scale_up_limit_factor_8"`
		Factor2 int32  `json:"replicas_with_production_scale_up_limit_factor_2"`
		Reason  string `json:"scaling_limited_reason"`
	}
	decodeCase(t, in, want, &inp, &exp)
	if h.controller.ScaleUpLimitFactor != 8 {
		t.Fatalf("harness scale_up_limit_factor is %v; this layer's expectations name factor 8", h.controller.ScaleUpLimitFactor)
	}
	for _, tc := range []struct {
		factor float64
		want   int32
	}{{h.controller.ScaleUpLimitFactor, exp.Factor8}, {DefaultConfig().ScaleUpLimitFactor, exp.Factor2}} {
		cfg := h.controller.config()
		cfg.ScaleUpLimitFactor = tc.factor
		cfg.ScaleUpLimitMinimum = inp.Minimum
		got, reason, _ := convertDesiredReplicasWithRules(cfg, inp.Current, inp.Desired, inp.Min, inp.Max)
		if got != tc.want || reason != exp.Reason {
			t.Errorf("factor %v: convertDesiredReplicasWithRules = %d (%s), want %d (%s)", tc.factor, got, reason, tc.want, exp.Reason)
		}
	}
}

type policyLimitInputs struct {
	Current         int32       `json:"current_replicas"`
	ScaleUpEvents   []eventJSON `json:"scale_up_events"`
	ScaleDownEvents []eventJSON `json:"scale_down_events"`
	Rules           *rulesJSON  `json:"rules"`
}

func runPolicyLimitScaleUp(t *testing.T, h *harness, in, want json.RawMessage) {
	var inp policyLimitInputs
	var exp struct {
		Limit int32 `json:"limit"`
	}
	decodeCase(t, in, want, &inp, &exp)
	rules := compileScalingRules(DefaultScaleUpRules(inp.Rules.rules(t)), 0)
	got := calculateScaleUpLimitWithScalingRules(caseNow, inp.Current, events(inp.ScaleUpEvents), events(inp.ScaleDownEvents), &rules)
	if got != exp.Limit {
		t.Errorf("calculateScaleUpLimitWithScalingRules = %d, want %d", got, exp.Limit)
	}
}

func runPolicyLimitScaleDown(t *testing.T, h *harness, in, want json.RawMessage) {
	var inp policyLimitInputs
	var exp struct {
		Limit int32 `json:"limit"`
	}
	decodeCase(t, in, want, &inp, &exp)
	rules := compileScalingRules(DefaultScaleDownRules(inp.Rules.rules(t)), seconds(h.controller.DownscaleStabilization))
	got := calculateScaleDownLimitWithBehaviors(caseNow, inp.Current, events(inp.ScaleUpEvents), events(inp.ScaleDownEvents), &rules)
	if got != exp.Limit {
		t.Errorf("calculateScaleDownLimitWithBehaviors = %d, want %d", got, exp.Limit)
	}
}

var appliesToBoth = regexp.MustCompile(`^both scaleUpEvents \((\d+) -> (\d+)\) and scaleDownEvents \((\d+) -> (\d+)\)$`)

func runScaleEventStore(t *testing.T, h *harness, in, want json.RawMessage) {
	var inp struct {
		Previous        []eventJSON `json:"previous_events"`
		Rules           *rulesJSON  `json:"rules_for_direction"`
		BehaviorPresent bool        `json:"behavior_present"`
		Change          int32       `json:"new_event_change"`
		AppliesTo       string      `json:"applies_to"`
	}
	type eventOut struct {
		Change   int32 `json:"change"`
		Outdated bool  `json:"outdated"`
	}
	var exp struct {
		ChangeBefore int32      `json:"replica_change_in_last_60s_before_store"`
		After        []eventOut `json:"events_after_store"`
	}
	decodeCase(t, in, want, &inp, &exp)
	m := appliesToBoth.FindStringSubmatch(inp.AppliesTo)
	if m == nil {
		t.Fatalf("applies_to %q: unknown form", inp.AppliesTo)
	}
	n := make([]int32, 4)
	for i := range n {
		v, _ := strconv.Atoi(m[i+1])
		n[i] = int32(v)
	}
	if n[1]-n[0] != inp.Change || n[2]-n[3] != inp.Change {
		t.Fatalf("applies_to %q disagrees with new_event_change %d", inp.AppliesTo, inp.Change)
	}
	if !inp.BehaviorPresent && inp.Rules != nil {
		t.Fatalf("rules_for_direction given without a behavior")
	}

	spec := &autoscalingv2.HorizontalPodAutoscalerSpec{MaxReplicas: 1000}
	if inp.BehaviorPresent {
		spec.Behavior = &autoscalingv2.HorizontalPodAutoscalerBehavior{ScaleUp: inp.Rules.rules(t), ScaleDown: inp.Rules.rules(t)}
	}
	if got := getReplicasChangePerPeriod(caseNow, 60, events(inp.Previous)); got != exp.ChangeBefore {
		t.Errorf("getReplicasChangePerPeriod(60s) = %d, want %d", got, exp.ChangeBefore)
	}
	for _, dir := range []struct {
		name     string
		from, to int32
		list     func(c *Controller) *[]scaleEvent
	}{
		{"scaleUpEvents", n[0], n[1], func(c *Controller) *[]scaleEvent { return &c.upEvents }},
		{"scaleDownEvents", n[2], n[3], func(c *Controller) *[]scaleEvent { return &c.downEvents }},
	} {
		c := newTestController(t, h.controller.config(), spec)
		*dir.list(c) = events(inp.Previous)
		c.storeScaleEvent(caseNow, dir.from, dir.to)
		got := []eventOut{}
		for _, e := range *dir.list(c) {
			got = append(got, eventOut{Change: e.change, Outdated: e.outdated})
		}
		if !slices.Equal(got, exp.After) {
			t.Errorf("%s after storeScaleEvent(%d -> %d) = %+v, want %+v", dir.name, dir.from, dir.to, got, exp.After)
		}
	}
}

func runDefaulting(t *testing.T, in, want json.RawMessage, generate func(*autoscalingv2.HPAScalingRules) *autoscalingv2.HPAScalingRules) {
	var inp rulesJSON
	var exp rulesJSON
	decodeCase(t, in, want, &inp, &exp)
	got := generate(inp.rules(t))
	if !reflect.DeepEqual(got.StabilizationWindowSeconds, exp.StabilizationWindowSeconds) {
		t.Errorf("stabilizationWindowSeconds = %v, want %v", fmtPtr(got.StabilizationWindowSeconds), fmtPtr(exp.StabilizationWindowSeconds))
	}
	if got.SelectPolicy == nil || exp.SelectPolicy == nil || string(*got.SelectPolicy) != *exp.SelectPolicy {
		t.Errorf("selectPolicy = %v, want %v", fmtPtr(got.SelectPolicy), fmtPtr(exp.SelectPolicy))
	}
	if exp.Policies == nil {
		t.Fatalf("expected policies must not be null")
	}
	if gp := policiesJSON(got.Policies); !slices.Equal(gp, *exp.Policies) {
		t.Errorf("policies = %+v, want %+v", gp, *exp.Policies)
	}
}

func fmtPtr[T any](p *T) string {
	if p == nil {
		return "nil"
	}
	return fmt.Sprint(*p)
}

func runDefaultingScaleUp(t *testing.T, h *harness, in, want json.RawMessage) {
	runDefaulting(t, in, want, DefaultScaleUpRules)
}

func runDefaultingScaleDown(t *testing.T, h *harness, in, want json.RawMessage) {
	runDefaulting(t, in, want, DefaultScaleDownRules)
}

// --- replica calculator layers ---

type calcPodJSON struct {
	Name               string   `json:"name"`
	Phase              string   `json:"phase"`
	Ready              *bool    `json:"ready"`
	Deleted            bool     `json:"deleted"`
	StartAge           *float64 `json:"start_age_s"`
	ReadyTransitionAge *float64 `json:"ready_transition_age_s"`
	RequestMilli       *int64   `json:"request_milli,omitempty"`
	UsageMilli         *int64   `json:"usage_milli,omitempty"`
	MetricValueMilli   *int64   `json:"metric_value_milli,omitempty"`
}

func (p *calcPodJSON) pod(t *testing.T) Pod {
	return Pod{
		Name:                p.Name,
		Phase:               phase(t, p.Phase),
		Deleting:            p.Deleted,
		Ready:               readiness(p.Ready),
		ReadyTransitionTime: at(p.ReadyTransitionAge),
		StartTime:           at(p.StartAge),
	}
}

func tolerancesOf(down, up float64) tolerances { return tolerances{scaleDown: down, scaleUp: up} }

func runResourceUtilization(t *testing.T, h *harness, in, want json.RawMessage) {
	var inp struct {
		Current     int32         `json:"current_replicas"`
		Resource    string        `json:"resource"`
		Container   *string       `json:"container"`
		Target      int32         `json:"target_average_utilization"`
		TolDown     float64       `json:"tolerance_scale_down"`
		TolUp       float64       `json:"tolerance_scale_up"`
		CPUInit     float64       `json:"cpu_initialization_period_s"`
		Delay       float64       `json:"initial_readiness_delay_s"`
		SampleAge   *float64      `json:"metric_sample_age_s"`
		Window      float64       `json:"metric_window_s"`
		Pods        []calcPodJSON `json:"pods"`
		Superfluous []int64       `json:"superfluous_metrics_milli,omitempty"`
	}
	var exp struct {
		Replicas    int32 `json:"replicas"`
		Utilization int32 `json:"utilization_percent"`
		RawAverage  int64 `json:"raw_average_milli"`
	}
	decodeCase(t, in, want, &inp, &exp)
	res := resourceName(t, inp.Resource)
	container, containerName := "", "app"
	if inp.Container != nil {
		container, containerName = *inp.Container, *inp.Container
	}
	sampleAt := at(inp.SampleAge)
	pods := make([]Pod, len(inp.Pods))
	mv := MetricValues{Samples: make([]Sample, len(inp.Pods))}
	for i := range inp.Pods {
		p := &inp.Pods[i]
		if p.MetricValueMilli != nil {
			t.Fatalf("pod %s: metric_value_milli in a resource layer", p.Name)
		}
		pods[i] = p.pod(t)
		ctr := Container{Name: containerName}
		if p.RequestMilli != nil {
			ctr.Requests = []ResourceAmount{{Name: res, Milli: *p.RequestMilli}}
		}
		pods[i].Containers = []Container{ctr}
		if p.UsageMilli != nil {
			mv.Samples[i] = Sample{Present: true, Milli: *p.UsageMilli, Timestamp: sampleAt, Window: seconds(inp.Window)}
		}
	}
	for _, v := range inp.Superfluous {
		mv.UnmatchedSamples = append(mv.UnmatchedSamples, Sample{Present: true, Milli: v, Timestamp: sampleAt, Window: seconds(inp.Window)})
	}
	calc := replicaCalculator{
		tolerances:                    tolerancesOf(inp.TolDown, inp.TolUp),
		cpuInitializationPeriod:       seconds(inp.CPUInit),
		delayOfInitialReadinessStatus: seconds(inp.Delay),
		podLevelResources:             true,
	}
	got, err := calc.getResourceReplicas(caseNow, inp.Current, inp.Target, res, container, pods, &mv)
	if err != nil {
		t.Fatalf("getResourceReplicas: %v", err)
	}
	if got.replicas != exp.Replicas || got.utilization != exp.Utilization || got.rawAverage != exp.RawAverage {
		t.Errorf("getResourceReplicas = %d replicas, %d%%, raw %dm; want %d, %d%%, %dm",
			got.replicas, got.utilization, got.rawAverage, exp.Replicas, exp.Utilization, exp.RawAverage)
	}
}

func resourceName(t *testing.T, s string) corev1.ResourceName {
	switch r := corev1.ResourceName(s); r {
	case corev1.ResourceCPU, corev1.ResourceMemory:
		return r
	}
	t.Fatalf("resource %q is not cpu or memory", s)
	return ""
}

func runPodsMetricAverageValue(t *testing.T, h *harness, in, want json.RawMessage) {
	var inp struct {
		Current int32         `json:"current_replicas"`
		Target  int64         `json:"target_average_value_milli"`
		TolDown float64       `json:"tolerance_scale_down"`
		TolUp   float64       `json:"tolerance_scale_up"`
		Pods    []calcPodJSON `json:"pods"`
	}
	var exp struct {
		Replicas int32 `json:"replicas"`
		Usage    int64 `json:"usage_average_milli"`
	}
	decodeCase(t, in, want, &inp, &exp)
	pods := make([]Pod, len(inp.Pods))
	mv := MetricValues{Samples: make([]Sample, len(inp.Pods))}
	for i := range inp.Pods {
		p := &inp.Pods[i]
		if p.RequestMilli != nil || p.UsageMilli != nil {
			t.Fatalf("pod %s: request/usage in a Pods-metric layer", p.Name)
		}
		pods[i] = p.pod(t)
		if p.MetricValueMilli != nil {
			mv.Samples[i] = Sample{Present: true, Milli: *p.MetricValueMilli, Timestamp: caseNow, Window: time.Minute}
		}
	}
	calc := replicaCalculator{
		tolerances:                    tolerancesOf(inp.TolDown, inp.TolUp),
		cpuInitializationPeriod:       seconds(h.replicaCalc.CPUInitializationPeriod),
		delayOfInitialReadinessStatus: seconds(h.replicaCalc.InitialReadinessDelay),
	}
	got, err := calc.getPlainMetricReplicas(caseNow, inp.Current, inp.Target, false, pods, &mv)
	if err != nil {
		t.Fatalf("getPlainMetricReplicas: %v", err)
	}
	if got.replicas != exp.Replicas || got.usage != exp.Usage {
		t.Errorf("getPlainMetricReplicas = %d replicas, usage %dm; want %d, %dm", got.replicas, got.usage, exp.Replicas, exp.Usage)
	}
}

type simplePodJSON struct {
	Name  string `json:"name"`
	Phase string `json:"phase"`
	Ready *bool  `json:"ready"`
}

func simplePods(t *testing.T, in []simplePodJSON) []Pod {
	pods := make([]Pod, len(in))
	for i, p := range in {
		pods[i] = Pod{Name: p.Name, Phase: phase(t, p.Phase), Ready: readiness(p.Ready)}
	}
	return pods
}

func runValueTarget(t *testing.T, in, want json.RawMessage, external bool) {
	var inp struct {
		TolDown  float64         `json:"tolerance_scale_down"`
		TolUp    float64         `json:"tolerance_scale_up"`
		Current  int32           `json:"current_replicas_spec"`
		Pods     []simplePodJSON `json:"pods"`
		Target   int64           `json:"target_value_milli"`
		Object   *int64          `json:"object_metric_value_milli,omitempty"`
		External *[]int64        `json:"external_metric_values_milli,omitempty"`
	}
	var exp struct {
		Replicas int32 `json:"replicas"`
	}
	decodeCase(t, in, want, &inp, &exp)
	usage := metricUsage(t, inp.Object, inp.External, external)
	calc := replicaCalculator{tolerances: tolerancesOf(inp.TolDown, inp.TolUp)}
	var ready int32
	got, err := calc.getObjectMetricReplicas(inp.Current, inp.Target, usage, simplePods(t, inp.Pods), &ready)
	if err != nil {
		t.Fatalf("getObjectMetricReplicas: %v", err)
	}
	if got != exp.Replicas {
		t.Errorf("replicas = %d, want %d", got, exp.Replicas)
	}
}

// metricUsage returns the Object value or the External sum, whichever the
// layer calls for; the other must be absent.
func metricUsage(t *testing.T, object *int64, external *[]int64, isExternal bool) int64 {
	if isExternal {
		if object != nil || external == nil {
			t.Fatalf("an External layer needs external_metric_values_milli and no object value")
		}
		if len(*external) == 0 {
			t.Fatalf("external_metric_values_milli is empty: the metrics API would fail, and the case expects a count")
		}
		return sumSeries(*external)
	}
	if object == nil || external != nil {
		t.Fatalf("an Object layer needs object_metric_value_milli and no external values")
	}
	return *object
}

func runAverageValueTarget(t *testing.T, in, want json.RawMessage, external bool) {
	var inp struct {
		TolDown  float64  `json:"tolerance_scale_down"`
		TolUp    float64  `json:"tolerance_scale_up"`
		Status   int32    `json:"status_replicas"`
		Target   int64    `json:"target_average_value_milli"`
		Object   *int64   `json:"object_metric_value_milli,omitempty"`
		External *[]int64 `json:"external_metric_values_milli,omitempty"`
	}
	var exp struct {
		Replicas int32  `json:"replicas"`
		Average  *int64 `json:"reported_average_value_milli,omitempty"`
	}
	decodeCase(t, in, want, &inp, &exp)
	usage := metricUsage(t, inp.Object, inp.External, external)
	calc := replicaCalculator{tolerances: tolerancesOf(inp.TolDown, inp.TolUp)}
	got, avg := calc.getPerPodMetricReplicas(inp.Status, inp.Target, usage)
	if got != exp.Replicas {
		t.Errorf("replicas = %d, want %d", got, exp.Replicas)
	}
	if exp.Average != nil && avg != *exp.Average {
		t.Errorf("reported average = %dm, want %dm", avg, *exp.Average)
	}
}

func runObjectValue(t *testing.T, h *harness, in, want json.RawMessage) {
	runValueTarget(t, in, want, false)
}

func runExternalValue(t *testing.T, h *harness, in, want json.RawMessage) {
	runValueTarget(t, in, want, true)
}

func runObjectAverageValue(t *testing.T, h *harness, in, want json.RawMessage) {
	runAverageValueTarget(t, in, want, false)
}

func runExternalAverageValue(t *testing.T, h *harness, in, want json.RawMessage) {
	runAverageValueTarget(t, in, want, true)
}

// --- pod grouping ---

func runPodGrouping(t *testing.T, h *harness, in, want json.RawMessage) {
	type podJSON struct {
		Name               string          `json:"name"`
		Phase              string          `json:"phase"`
		Ready              *bool           `json:"ready"`
		Deleted            bool            `json:"deleted,omitempty"`
		StartAge           json.RawMessage `json:"start_age_s,omitempty"`
		ReadyTransitionAge *float64        `json:"ready_transition_age_s,omitempty"`
	}
	type sampleJSON struct {
		Age    *float64 `json:"sample_age_s"`
		Window float64  `json:"window_s"`
	}
	var inp struct {
		Resource string                `json:"resource"`
		CPUInit  float64               `json:"cpu_initialization_period_s"`
		Delay    float64               `json:"initial_readiness_delay_s"`
		Pods     []podJSON             `json:"pods"`
		Metrics  map[string]sampleJSON `json:"metrics"`
	}
	var exp struct {
		Ready   int32    `json:"ready_pod_count"`
		Unready []string `json:"unready"`
		Missing []string `json:"missing"`
		Ignored []string `json:"ignored"`
	}
	decodeCase(t, in, want, &inp, &exp)
	res := resourceName(t, inp.Resource)
	pods := make([]Pod, len(inp.Pods))
	samples := make([]Sample, len(inp.Pods))
	for i, p := range inp.Pods {
		pods[i] = Pod{Name: p.Name, Phase: phase(t, p.Phase), Deleting: p.Deleted, Ready: readiness(p.Ready)}
		switch {
		case p.StartAge == nil:
			pods[i].NoStartTime = true
		case isNull(p.StartAge):
			pods[i].StartTime = zeroTime
		default:
			var age float64
			if err := json.Unmarshal(p.StartAge, &age); err != nil {
				t.Fatalf("pod %s: start_age_s: %v", p.Name, err)
			}
			pods[i].StartTime = at(&age)
		}
		if p.Ready != nil {
			if p.ReadyTransitionAge == nil {
				t.Fatalf("pod %s has a Ready condition but no ready_transition_age_s", p.Name)
			}
			pods[i].ReadyTransitionTime = at(p.ReadyTransitionAge)
		} else if p.ReadyTransitionAge != nil {
			t.Fatalf("pod %s has a ready_transition_age_s but no Ready condition", p.Name)
		}
		if s, ok := inp.Metrics[p.Name]; ok {
			samples[i] = Sample{Present: true, Timestamp: at(s.Age), Window: seconds(s.Window)}
		}
	}
	classes := make([]podClass, len(pods))
	n := groupPods(pods, samples, res == corev1.ResourceCPU, seconds(inp.CPUInit), seconds(inp.Delay), caseNow, classes)
	var unready, missing, ignored []string
	for i, cl := range classes {
		switch cl {
		case podUnready:
			unready = append(unready, pods[i].Name)
		case podMissing:
			missing = append(missing, pods[i].Name)
		case podIgnored:
			ignored = append(ignored, pods[i].Name)
		}
	}
	for _, s := range [][]string{unready, missing, ignored, exp.Unready, exp.Missing, exp.Ignored} {
		slices.Sort(s)
	}
	if n.ready != exp.Ready || !slices.Equal(unready, exp.Unready) || !slices.Equal(missing, exp.Missing) || !slices.Equal(ignored, exp.Ignored) {
		t.Errorf("groupPods = ready %d, unready %v, missing %v, ignored %v; want %d, %v, %v, %v",
			n.ready, unready, missing, ignored, exp.Ready, exp.Unready, exp.Missing, exp.Ignored)
	}
}

// --- controller ---

type targetJSON struct {
	Type               string `json:"type"`
	AverageUtilization *int32 `json:"average_utilization,omitempty"`
	AverageValueMilli  *int64 `json:"average_value_milli,omitempty"`
	ValueMilli         *int64 `json:"value_milli,omitempty"`
}

type metricJSON struct {
	Type      string      `json:"type"`
	Name      *string     `json:"name,omitempty"`
	Container *string     `json:"container,omitempty"`
	Target    *targetJSON `json:"target,omitempty"`
}

type reconcilePodJSON struct {
	Name               string   `json:"name"`
	Phase              string   `json:"phase"`
	Ready              bool     `json:"ready"`
	Deleted            bool     `json:"deleted"`
	StartAge           *float64 `json:"start_age_s"`
	ReadyTransitionAge *float64 `json:"ready_transition_age_s"`
	CPURequestMilli    int64    `json:"cpu_request_milli"`
	CPUUsageMilli      *int64   `json:"cpu_usage_milli"`
}

func milliQuantity(t *testing.T, v *int64, what string) *resource.Quantity {
	if v == nil {
		t.Fatalf("target %s missing", what)
	}
	return resource.NewMilliQuantity(*v, resource.DecimalSI)
}

// target converts a JSON target; the field used must match the type.
func (tj *targetJSON) target(t *testing.T) autoscalingv2.MetricTarget {
	mt := autoscalingv2.MetricTarget{Type: autoscalingv2.MetricTargetType(tj.Type)}
	set := 0
	for _, p := range []bool{tj.AverageUtilization != nil, tj.AverageValueMilli != nil, tj.ValueMilli != nil} {
		if p {
			set++
		}
	}
	if set != 1 {
		t.Fatalf("target must set exactly one value, has %d", set)
	}
	switch mt.Type {
	case autoscalingv2.UtilizationMetricType:
		if tj.AverageUtilization == nil {
			t.Fatalf("Utilization target without average_utilization")
		}
		mt.AverageUtilization = tj.AverageUtilization
	case autoscalingv2.AverageValueMetricType:
		mt.AverageValue = milliQuantity(t, tj.AverageValueMilli, "average_value_milli")
	case autoscalingv2.ValueMetricType:
		mt.Value = milliQuantity(t, tj.ValueMilli, "value_milli")
	default:
		t.Fatalf("unknown target type %q", tj.Type)
	}
	return mt
}

func runControllerReconcile(t *testing.T, h *harness, in, want json.RawMessage) {
	var inp struct {
		SpecReplicas   int32        `json:"spec_replicas"`
		StatusReplicas int32        `json:"status_replicas"`
		MinReplicas    int32        `json:"min_replicas"`
		MaxReplicas    int32        `json:"max_replicas"`
		Metrics        []metricJSON `json:"metrics"`
		Behavior       *struct {
			ScaleUp   *rulesJSON `json:"scale_up"`
			ScaleDown *rulesJSON `json:"scale_down"`
		} `json:"behavior"`
		Pods                 []reconcilePodJSON `json:"pods"`
		SampleAge            *float64           `json:"metric_sample_age_s"`
		Window               float64            `json:"metric_window_s"`
		PriorRecommendations *[]recJSON         `json:"prior_recommendations"`
		Controller           *harnessController `json:"controller,omitempty"`
		PodMetricValues      *[]int64           `json:"pod_metric_values_milli,omitempty"`
		ObjectMetricValue    *int64             `json:"object_metric_value_milli,omitempty"`
		ExternalMetricValues *[]int64           `json:"external_metric_values_milli,omitempty"`
		SuperfluousCPUUsage  []int64            `json:"superfluous_cpu_usage_milli,omitempty"`
		FailingMetricTypes   []string           `json:"failing_metric_types,omitempty"`
	}
	var exp struct {
		Desired        int32   `json:"desired_replicas"`
		ScalingLimited *string `json:"scaling_limited,omitempty"`
		AbleToScale    *string `json:"able_to_scale,omitempty"`
		ScalingActive  *string `json:"scaling_active,omitempty"`
	}
	decodeCase(t, in, want, &inp, &exp)

	hc := h.controller
	if inp.Controller != nil {
		hc = *inp.Controller
	}
	cfg := hc.config()

	spec := &autoscalingv2.HorizontalPodAutoscalerSpec{
		ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{Kind: "Deployment", Name: "test"},
		MinReplicas:    &inp.MinReplicas,
		MaxReplicas:    inp.MaxReplicas,
	}
	if inp.Behavior != nil {
		spec.Behavior = &autoscalingv2.HorizontalPodAutoscalerBehavior{
			ScaleUp:   inp.Behavior.ScaleUp.rules(t),
			ScaleDown: inp.Behavior.ScaleDown.rules(t),
		}
	}

	// Pods, with one container named for a ContainerResource metric.
	containerName := "app"
	for _, m := range inp.Metrics {
		if m.Type == string(autoscalingv2.ContainerResourceMetricSourceType) && m.Container != nil {
			containerName = *m.Container
		}
	}
	snap := Snapshot{SpecReplicas: inp.SpecReplicas, StatusReplicas: inp.StatusReplicas}
	sampleTime := at(inp.SampleAge)
	for _, p := range inp.Pods {
		snap.Pods = append(snap.Pods, Pod{
			Name:                p.Name,
			Phase:               phase(t, p.Phase),
			Deleting:            p.Deleted,
			Ready:               readiness(&p.Ready),
			ReadyTransitionTime: at(p.ReadyTransitionAge),
			StartTime:           at(p.StartAge),
			Containers: []Container{{
				Name:     containerName,
				Requests: []ResourceAmount{{Name: corev1.ResourceCPU, Milli: p.CPURequestMilli}},
			}},
		})
	}
	cpuSamples := func() MetricValues {
		mv := MetricValues{Samples: make([]Sample, len(inp.Pods))}
		for i, p := range inp.Pods {
			if p.CPUUsageMilli != nil {
				mv.Samples[i] = Sample{Present: true, Milli: *p.CPUUsageMilli, Timestamp: sampleTime, Window: seconds(inp.Window)}
			}
		}
		for _, v := range inp.SuperfluousCPUUsage {
			mv.UnmatchedSamples = append(mv.UnmatchedSamples, Sample{Present: true, Milli: v, Timestamp: sampleTime, Window: seconds(inp.Window)})
		}
		return mv
	}

	failing := map[string]bool{}
	for _, typ := range inp.FailingMetricTypes {
		failing[typ] = true
	}
	used := map[string]bool{}
	for _, m := range inp.Metrics {
		var ms autoscalingv2.MetricSpec
		var mv MetricValues
		ms.Type = autoscalingv2.MetricSourceType(m.Type)
		name := ""
		if m.Name != nil {
			name = *m.Name
		}
		switch ms.Type {
		case autoscalingv2.ResourceMetricSourceType, autoscalingv2.ContainerResourceMetricSourceType:
			if name != string(corev1.ResourceCPU) {
				t.Fatalf("resource metric %q: the fixture only has CPU values", name)
			}
			tgt := m.Target.target(t)
			if ms.Type == autoscalingv2.ResourceMetricSourceType {
				ms.Resource = &autoscalingv2.ResourceMetricSource{Name: corev1.ResourceCPU, Target: tgt}
			} else {
				if m.Container == nil {
					t.Fatalf("ContainerResource metric without container")
				}
				ms.ContainerResource = &autoscalingv2.ContainerResourceMetricSource{Name: corev1.ResourceCPU, Container: *m.Container, Target: tgt}
			}
			mv = cpuSamples()
			used["superfluous_cpu_usage_milli"] = true
		case autoscalingv2.PodsMetricSourceType:
			ms.Pods = &autoscalingv2.PodsMetricSource{Metric: autoscalingv2.MetricIdentifier{Name: name}, Target: m.Target.target(t)}
			if inp.PodMetricValues == nil || len(*inp.PodMetricValues) != len(inp.Pods) {
				t.Fatalf("a Pods metric needs one pod_metric_values_milli per pod")
			}
			mv.Samples = make([]Sample, len(inp.Pods))
			for i, v := range *inp.PodMetricValues {
				mv.Samples[i] = Sample{Present: true, Milli: v, Timestamp: sampleTime, Window: seconds(inp.Window)}
			}
			used["pod_metric_values_milli"] = true
		case autoscalingv2.ObjectMetricSourceType:
			ms.Object = &autoscalingv2.ObjectMetricSource{
				DescribedObject: autoscalingv2.CrossVersionObjectReference{Kind: "Deployment", Name: "test"},
				Metric:          autoscalingv2.MetricIdentifier{Name: name},
				Target:          m.Target.target(t),
			}
			if inp.ObjectMetricValue == nil {
				t.Fatalf("an Object metric needs object_metric_value_milli")
			}
			mv.Value = *inp.ObjectMetricValue
			used["object_metric_value_milli"] = true
		case autoscalingv2.ExternalMetricSourceType:
			ms.External = &autoscalingv2.ExternalMetricSource{Metric: autoscalingv2.MetricIdentifier{Name: name}, Target: m.Target.target(t)}
			if inp.ExternalMetricValues == nil {
				t.Fatalf("an External metric needs external_metric_values_milli")
			}
			mv.Series = *inp.ExternalMetricValues
			used["external_metric_values_milli"] = true
		default:
			// An unknown type with no source: the controller reports
			// InvalidMetricSourceType, which is what such a case tests.
			if m.Name != nil || m.Container != nil || m.Target != nil {
				t.Fatalf("metric of unknown type %q with fields the harness cannot map", m.Type)
			}
			mv.Unavailable = true
		}
		if failing[m.Type] {
			mv.Unavailable = true
			used["failing:"+m.Type] = true
		}
		spec.Metrics = append(spec.Metrics, ms)
		snap.Metrics = append(snap.Metrics, mv)
	}
	for key, present := range map[string]bool{
		"pod_metric_values_milli":      inp.PodMetricValues != nil,
		"object_metric_value_milli":    inp.ObjectMetricValue != nil,
		"external_metric_values_milli": inp.ExternalMetricValues != nil,
		"superfluous_cpu_usage_milli":  inp.SuperfluousCPUUsage != nil,
	} {
		if present && !used[key] {
			t.Fatalf("%s given but no metric reads it", key)
		}
	}
	for typ := range failing {
		if !used["failing:"+typ] {
			t.Fatalf("failing_metric_types names %q, which no metric has", typ)
		}
	}

	c := newTestController(t, cfg, spec)
	if inp.PriorRecommendations != nil {
		c.recs = recommendations(*inp.PriorRecommendations)
		c.recsSeeded = true
	}
	d := c.Reconcile(caseNow, &snap)
	// Upstream asserts the scale (and, when a decision was made, the status);
	// after a failed metrics computation status.desiredReplicas keeps the
	// fixture's previous value, which a fresh Controller does not have.
	statusOK := d.Branch == BranchMetricsFailed || d.DesiredReplicas == exp.Desired
	if d.Replicas != exp.Desired || !statusOK {
		t.Errorf("Reconcile: replicas %d, status desired %d, want %d (branch %v, metrics %d, stabilized %d, err %v)",
			d.Replicas, d.DesiredReplicas, exp.Desired, d.Branch, d.MetricReplicas, d.StabilizedReplicas, d.Err)
	}
	for _, cc := range []struct {
		name string
		want *string
		got  Condition
	}{
		{"ScalingLimited", exp.ScalingLimited, d.Conditions.ScalingLimited},
		{"AbleToScale", exp.AbleToScale, d.Conditions.AbleToScale},
		{"ScalingActive", exp.ScalingActive, d.Conditions.ScalingActive},
	} {
		if cc.want == nil {
			continue
		}
		if got := string(cc.got.Status) + "/" + cc.got.Reason; got != *cc.want {
			t.Errorf("%s = %s, want %s", cc.name, got, *cc.want)
		}
	}
}
