package k6

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"

	"github.com/headroom-dev/headroom/loadtest"
)

// RunnerImage is the k6 image the TestRun's runners use, pinned: the
// operator's default is grafana/k6:latest (grafana/k6-operator
// pkg/resources/jobs/runner.go, NewRunnerJob), which floats across major
// versions (k6-operator#452).
const RunnerImage = "grafana/k6:2.2.0"

// TestRunGVR is the k6-operator's TestRun resource (k6.io/v1alpha1).
var TestRunGVR = schema.GroupVersionResource{Group: "k6.io", Version: "v1alpha1", Resource: "testruns"}

// k6ScriptFile is the ConfigMap key of the script.
const k6ScriptFile = "test.js"

// OperatorSpec is a distributed run through the k6-operator.
type OperatorSpec struct {
	// Name of the ConfigMap and the TestRun; empty derives
	// "headroom-<service>-<scenario>". At most 40 characters, so the
	// operator's "<name>-initializer" and "<name>-service-<i>" stay valid
	// names.
	Name      string
	Namespace string
	// Parallelism is the number of runner pods; the load is split between
	// them by k6 execution segments.
	Parallelism int
	// Separate puts runners on different nodes (podAntiAffinity).
	Separate bool
	// Image is the runner image; default RunnerImage.
	Image string
	// Script is the load test; Render turns on its latency buckets.
	Script *Script
}

// OperatorObjects are what an operator run creates.
type OperatorObjects struct {
	ConfigMap *unstructured.Unstructured
	TestRun   *unstructured.Unstructured
}

var dns1123Label = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

// operatorName derives a valid name from the service and scenario.
func operatorName(service, scenario string) string {
	raw := "headroom-" + service + "-" + scenario
	var b strings.Builder
	for _, r := range strings.ToLower(raw) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	name := strings.Trim(b.String(), "-")
	if len(name) > 40 {
		sum := sha256.Sum256([]byte(raw))
		name = strings.TrimRight(name[:33], "-") + "-" + hex.EncodeToString(sum[:3])
	}
	return name
}

// Render builds the ConfigMap holding the script and the TestRun. The
// script's handleSummary prints the summary to standard output (runner env
// HEADROOM_SUMMARY_STDOUT=1) so it is read from each runner pod's log, and
// it counts latencies into buckets (LatencyBucketBounds) because k6's
// summary has only percentiles, which cannot be merged across runners;
// bucket counts add up exactly. Raw NDJSON (--out json) would also merge
// exactly but floods the pod logs (about 13 lines per request) or needs a
// shared volume.
func (s OperatorSpec) Render() (*OperatorObjects, error) {
	if s.Script == nil {
		return nil, fmt.Errorf("operator: no script")
	}
	if s.Parallelism < 1 {
		return nil, fmt.Errorf("--parallelism must be at least 1, got %d", s.Parallelism)
	}
	name := s.Name
	if name == "" {
		name = operatorName(s.Script.Service, s.Script.Scenario)
	}
	if len(name) > 40 || !dns1123Label.MatchString(name) {
		return nil, fmt.Errorf("--name %q must be a DNS label (lowercase letters, digits, '-') of at most 40 characters", name)
	}
	if s.Namespace == "" {
		return nil, fmt.Errorf("a namespace is required (-n)")
	}
	image := s.Image
	if image == "" {
		image = RunnerImage
	}
	script := *s.Script
	script.LatencyBuckets = true
	// Every runner gets a segment of the VUs: at least one each, or a
	// runner has nothing to do and exits at once (k6-operator#90).
	if script.PreAllocatedVUs < s.Parallelism {
		script.PreAllocatedVUs = s.Parallelism
		script.VUBasis += fmt.Sprintf("\npreAllocatedVUs raised to the parallelism, %d, so each runner has a VU.", s.Parallelism)
	}
	script.MaxVUs = max(script.MaxVUs, script.PreAllocatedVUs)
	src, err := script.Render()
	if err != nil {
		return nil, err
	}
	if len(src) > 1<<20 {
		return nil, fmt.Errorf("the script is %d bytes, above a ConfigMap's 1 MiB: use a larger stage step", len(src))
	}
	labels := map[string]any{
		"app.kubernetes.io/managed-by": "headroom",
		"headroom.dev/service":         labelValue(script.Service),
		"headroom.dev/scenario":        labelValue(script.Scenario),
	}
	cm := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1",
		"kind":       "ConfigMap",
		"metadata":   map[string]any{"name": name, "namespace": s.Namespace, "labels": labels},
		"data":       map[string]any{k6ScriptFile: string(src)},
	}}
	tr := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "k6.io/v1alpha1",
		"kind":       "TestRun",
		"metadata":   map[string]any{"name": name, "namespace": s.Namespace, "labels": runtime.DeepCopyJSONValue(labels)},
		"spec": map[string]any{
			"parallelism": int64(s.Parallelism),
			"separate":    s.Separate,
			"script": map[string]any{
				"configMap": map[string]any{"name": name, "file": k6ScriptFile},
			},
			// Split on whitespace by the operator: no quoting needed here.
			"arguments": "--no-usage-report --log-format=json --summary-trend-stats=" + strings.Join(SummaryTrendStats, ","),
			"runner": map[string]any{
				"image": image,
				"env":   runnerEnv(name, script.Endpoints),
			},
		},
	}}
	return &OperatorObjects{ConfigMap: cm, TestRun: tr}, nil
}

// SecretName is the Secret an operator run's runners read a mix's secret
// headers from: one key per variable the script reads (SecretEnv), which
// the user creates (kubectl create secret generic NAME
// --from-literal=VAR=value …); headroom never writes a secret's value
// into a manifest.
func SecretName(run string) string { return run + "-secrets" }

// runnerEnv is the runners' environment: the summary switch, and each
// secret variable of the mix from the run's Secret (secretKeyRef).
func runnerEnv(run string, eps []loadtest.Endpoint) []any {
	env := []any{map[string]any{"name": EnvSummaryStdout, "value": "1"}}
	for _, n := range secretEnvNames(eps) {
		env = append(env, map[string]any{"name": n, "valueFrom": map[string]any{
			"secretKeyRef": map[string]any{"name": SecretName(run), "key": n},
		}})
	}
	return env
}

// labelValue trims a string to a valid label value.
func labelValue(s string) string {
	if len(s) > 63 {
		s = s[:63]
	}
	return strings.Trim(s, "-_.")
}

// YAML writes the objects as one multi-document YAML stream.
func (o *OperatorObjects) YAML() ([]byte, error) {
	var b bytes.Buffer
	for i, obj := range []*unstructured.Unstructured{o.ConfigMap, o.TestRun} {
		y, err := yaml.Marshal(obj.Object)
		if err != nil {
			return nil, err
		}
		if i > 0 {
			b.WriteString("---\n")
		}
		b.Write(y)
	}
	return b.Bytes(), nil
}
