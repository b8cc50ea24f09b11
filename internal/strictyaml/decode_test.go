package strictyaml

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	sigsyaml "sigs.k8s.io/yaml"
)

// decodeTestPlan resembles a plan: Kubernetes types with only json tags and
// UnmarshalJSON methods, an embedded struct, maps, an interface and every
// numeric kind the decoder checks ranges for.
type decodeTestPlan struct {
	APIVersion string              `json:"apiVersion"`
	Metadata   decodeTestMeta      `json:"metadata"`
	Seed       int64               `json:"seed,omitempty"`
	Services   []decodeTestService `json:"services"`
	Labels     map[string]string   `json:"labels,omitempty"`
	Extra      any                 `json:"extra,omitempty"`
}

type decodeTestMeta struct {
	Name string `json:"name"`
}

type decodeTestService struct {
	Name        string                                     `json:"name"`
	Replicas    int32                                      `json:"replicas,omitempty"`
	Concurrency uint8                                      `json:"concurrency,omitempty"`
	Weight      float64                                    `json:"weight,omitempty"`
	Fixed       bool                                       `json:"fixed,omitempty"`
	Ports       []uint16                                   `json:"ports,omitempty"`
	Port        *intstr.IntOrString                        `json:"port,omitempty"`
	Timeout     *metav1.Duration                           `json:"timeout,omitempty"`
	Resources   corev1.ResourceRequirements                `json:"resources,omitempty"`
	HPA         *autoscalingv2.HorizontalPodAutoscalerSpec `json:"hpa,omitempty"`
	decodeTestStartup
}

// decodeTestStartup is embedded: its fields are keys of the service.
type decodeTestStartup struct {
	StartupSeconds float32 `json:"startupSeconds,omitempty"`
}

func ptrTo[T any](v T) *T { return &v }

var quantityComparer = cmp.Comparer(func(a, b resource.Quantity) bool { return a.Cmp(b) == 0 })

func readDecodeTestdata(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "decode", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestDecode_Valid(t *testing.T) {
	var got decodeTestPlan
	if _, err := Decode("valid.yaml", readDecodeTestdata(t, "valid.yaml"), &got); err != nil {
		t.Fatalf("Decode: %v", err)
	}
	want := decodeTestPlan{
		APIVersion: "headroom.dev/v1alpha1",
		Metadata:   decodeTestMeta{Name: "noa"},
		Seed:       7,
		Labels:     map[string]string{"team": "platform", "tier": "1"},
		Extra:      map[string]any{"owner": "sre", "budget": int64(1200), "ratio": 0.5, "on": true, "tags": []any{"a", nil}},
		Services: []decodeTestService{{
			Name:        "noa-mcp",
			Replicas:    3,
			Concurrency: 8,
			Weight:      1.5,
			Fixed:       false,
			Ports:       []uint16{8080, 9090},
			Port:        ptrTo(intstr.FromString("http")),
			Timeout:     &metav1.Duration{Duration: 90 * time.Second},
			Resources: corev1.ResourceRequirements{
				Requests: corev1.ResourceList{"cpu": resource.MustParse("500m"), "memory": resource.MustParse("512Mi")},
				Limits:   corev1.ResourceList{"memory": resource.MustParse("1Gi"), "nvidia.com/gpu": resource.MustParse("1")},
			},
			HPA: &autoscalingv2.HorizontalPodAutoscalerSpec{
				ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: "noa-mcp"},
				MinReplicas:    ptrTo[int32](2),
				MaxReplicas:    10,
				Metrics: []autoscalingv2.MetricSpec{{
					Type: autoscalingv2.ResourceMetricSourceType,
					Resource: &autoscalingv2.ResourceMetricSource{
						Name:   "cpu",
						Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: ptrTo[int32](70)},
					},
				}},
				Behavior: &autoscalingv2.HorizontalPodAutoscalerBehavior{
					ScaleUp: &autoscalingv2.HPAScalingRules{
						StabilizationWindowSeconds: ptrTo[int32](0),
						Policies: []autoscalingv2.HPAScalingPolicy{
							{Type: autoscalingv2.PercentScalingPolicy, Value: 100, PeriodSeconds: 15},
							{Type: autoscalingv2.PodsScalingPolicy, Value: 4, PeriodSeconds: 15},
						},
						SelectPolicy: ptrTo(autoscalingv2.MaxChangePolicySelect),
					},
					ScaleDown: &autoscalingv2.HPAScalingRules{
						StabilizationWindowSeconds: ptrTo[int32](300),
						Tolerance:                  ptrTo(resource.MustParse("0.05")),
					},
				},
			},
			decodeTestStartup: decodeTestStartup{StartupSeconds: 20},
		}, {
			// From the anchor and merge key: everything of noa-mcp's
			// template but name and replicas.
			Name:        "noa-ui",
			Replicas:    2,
			Concurrency: 4,
			Port:        ptrTo(intstr.FromInt32(3000)),
			Resources: corev1.ResourceRequirements{
				Requests: corev1.ResourceList{"cpu": resource.MustParse("250m"), "memory": resource.MustParse("256Mi")},
			},
		}, {
			Name:        "noa-workers",
			Replicas:    5,
			Concurrency: 4,
			Port:        ptrTo(intstr.FromInt32(3000)),
			Resources: corev1.ResourceRequirements{
				Requests: corev1.ResourceList{"cpu": resource.MustParse("250m"), "memory": resource.MustParse("256Mi")},
			},
		}},
	}
	if diff := cmp.Diff(want, got, quantityComparer, cmp.AllowUnexported(decodeTestService{})); diff != "" {
		t.Errorf("Decode(valid.yaml) mismatch (-want +got):\n%s", diff)
	}
}

// TestDecode_MatchesSigsYAML checks that a valid document means what
// it means to Kubernetes: sigs.k8s.io/yaml (YAML → JSON → encoding/json)
// decodes it to the same value.
func TestDecode_MatchesSigsYAML(t *testing.T) {
	data := readDecodeTestdata(t, "valid.yaml")
	var got, want decodeTestPlan
	if _, err := Decode("valid.yaml", data, &got); err != nil {
		t.Fatalf("Decode: %v", err)
	}
	// Not UnmarshalStrict: its YAML 1.1 parser rejects a merge key whose
	// keys are also set explicitly.
	if err := sigsyaml.Unmarshal(data, &want, sigsyaml.DisallowUnknownFields); err != nil {
		t.Fatalf("sigs.k8s.io/yaml.Unmarshal: %v", err)
	}
	// sigs.k8s.io/yaml decodes interface{} numbers as float64; this decoder
	// keeps integers as int64, as Kubernetes' own decoder does.
	want.Extra.(map[string]any)["budget"] = int64(want.Extra.(map[string]any)["budget"].(float64))
	if diff := cmp.Diff(want, got, quantityComparer, cmp.AllowUnexported(decodeTestService{})); diff != "" {
		t.Errorf("Decode and sigs.k8s.io/yaml disagree (-sigs +Decode):\n%s", diff)
	}
}

func TestDecode_Errors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		yaml string
		want []string // FieldError.Error() of each error, in order
	}{{
		name: "unknown field with suggestion",
		yaml: `
services:
  - name: noa-mcp
    replcas: 2
`,
		want: []string{`plan.yaml:4:5: services[noa-mcp].replcas: unknown field "replcas"; did you mean "replicas"?`},
	}, {
		name: "unknown field differs in case only",
		yaml: "apiversion: v1\n",
		want: []string{`plan.yaml:1:1: apiversion: unknown field "apiversion"; did you mean "apiVersion"?`},
	}, {
		name: "unknown field lists the allowed fields",
		yaml: "metadata:\n  owner: sre\n",
		want: []string{`plan.yaml:2:3: metadata.owner: unknown field "owner"; allowed fields are name`},
	}, {
		name: "unknown field in embedded HPA behavior",
		yaml: `
services:
  - name: noa-mcp
    hpa:
      maxReplicas: 10
      behavior:
        scaleUp:
          policies:
            - tpye: Pods
              value: 4
              periodSeconds: 60
`,
		want: []string{`plan.yaml:9:15: services[noa-mcp].hpa.behavior.scaleUp.policies[0].tpye: unknown field "tpye"; did you mean "type"?`},
	}, {
		name: "duplicate key",
		yaml: `
services:
  - name: a
    replicas: 1
    replicas: 2
`,
		want: []string{`plan.yaml:5:5: services[a].replicas: duplicate key "replicas" (first at line 4); remove one`},
	}, {
		name: "duplicate map key",
		yaml: "labels:\n  team: a\n  team: b\n",
		want: []string{`plan.yaml:3:3: labels.team: duplicate key "team" (first at line 2); remove one`},
	}, {
		name: "duplicate key in a long mapping",
		yaml: "labels: {k0: v, k1: v, k2: v, k3: v, k4: v, k5: v, k6: v, k7: v, k8: v, k9: v, k10: v, k11: v, k12: v, k13: v, k14: v, k15: v, k16: v, k17: v, k3: w}\n",
		want: []string{`plan.yaml:1:144: labels.k3: duplicate key "k3" (first at line 1); remove one`},
	}, {
		name: "string for integer",
		yaml: "services:\n  - name: a\n    replicas: abc\n",
		want: []string{`plan.yaml:3:15: services[a].replicas: expected an integer, got "abc"`},
	}, {
		name: "quoted integer",
		yaml: "services:\n  - name: a\n    replicas: \"3\"\n",
		want: []string{`plan.yaml:3:15: services[a].replicas: expected an integer, got "3"; remove the quotes`},
	}, {
		name: "float for integer",
		yaml: "seed: 1.5\n",
		want: []string{`plan.yaml:1:7: seed: expected an integer, got 1.5`},
	}, {
		name: "number for string",
		yaml: "metadata:\n  name: 1.10\n",
		want: []string{`plan.yaml:2:9: metadata.name: expected a string, got 1.10; quote it ("1.10") if it is meant as text`},
	}, {
		name: "YAML 1.1 boolean",
		yaml: "services:\n  - name: a\n    fixed: yes\n",
		want: []string{`plan.yaml:3:12: services[a].fixed: expected a boolean (true or false), got "yes"`},
	}, {
		name: "mapping for sequence",
		yaml: "services:\n  a: 1\n",
		want: []string{`plan.yaml:2:3: services: expected a sequence, got a mapping`},
	}, {
		name: "sequence for mapping",
		yaml: "metadata: [a]\n",
		want: []string{`plan.yaml:1:11: metadata: expected a mapping, got a sequence`},
	}, {
		name: "root is not a mapping",
		yaml: "- a\n- b\n",
		want: []string{`plan.yaml:1:1: expected a mapping, got a sequence`},
	}, {
		name: "int32 overflow",
		yaml: "services:\n  - name: a\n    replicas: 3000000000\n",
		want: []string{`plan.yaml:3:15: services[a].replicas: 3000000000 is out of range (-2147483648 to 2147483647)`},
	}, {
		name: "int64 overflow",
		yaml: "seed: 9223372036854775808\n",
		want: []string{`plan.yaml:1:7: seed: 9223372036854775808 is out of range (-9223372036854775808 to 9223372036854775807)`},
	}, {
		name: "uint8 overflow",
		yaml: "services:\n  - name: a\n    concurrency: 256\n",
		want: []string{`plan.yaml:3:18: services[a].concurrency: 256 is out of range (0 to 255)`},
	}, {
		name: "negative unsigned",
		yaml: "services:\n  - name: a\n    ports: [80, -1]\n",
		want: []string{`plan.yaml:3:17: services[a].ports[1]: -1 is out of range (0 to 65535)`},
	}, {
		name: "float32 overflow",
		yaml: "services:\n  - name: a\n    startupSeconds: 1e39\n",
		want: []string{`plan.yaml:3:21: services[a].startupSeconds: 1e39 is out of range (at most ±3.4028234663852886e+38)`},
	}, {
		name: "NaN",
		yaml: "services:\n  - name: a\n    weight: .nan\n",
		want: []string{`plan.yaml:3:13: services[a].weight: expected a finite number, got .nan`},
	}, {
		name: "infinity",
		yaml: "services:\n  - name: a\n    weight: -.inf\n",
		want: []string{`plan.yaml:3:13: services[a].weight: expected a finite number, got -.inf`},
	}, {
		name: "NaN in generic value",
		yaml: "extra:\n  x: [1, .NaN]\n",
		want: []string{`plan.yaml:2:10: extra.x[1]: expected a finite number, got .NaN`},
	}, {
		name: "bad quantity",
		yaml: `
services:
  - name: noa-ui
    resources:
      requests:
        memory: 512Mi
        cpu: 5x
`,
		want: []string{`plan.yaml:7:14: services[noa-ui].resources.requests.cpu: invalid quantity "5x"; write a number with an optional suffix, such as 500m, 2, 1.5 or 512Mi`},
	}, {
		name: "bad quantity in HPA",
		yaml: `
services:
  - name: a
    hpa:
      maxReplicas: 3
      behavior:
        scaleDown:
          tolerance: 5%
`,
		want: []string{`plan.yaml:8:22: services[a].hpa.behavior.scaleDown.tolerance: invalid quantity "5%"; write a number with an optional suffix, such as 500m, 2, 1.5 or 512Mi`},
	}, {
		name: "UnmarshalJSON error",
		yaml: "services:\n  - name: a\n    timeout: 90 seconds\n",
		want: []string{`plan.yaml:3:14: services[a].timeout: invalid value "90 seconds": time: unknown unit " seconds" in duration "90 seconds"`},
	}, {
		name: "UnmarshalJSON gets a JSON number",
		yaml: "services:\n  - name: a\n    timeout: 90\n",
		want: []string{`plan.yaml:3:14: services[a].timeout: invalid value 90: cannot unmarshal number into Go value of type string`},
	}, {
		name: "unsupported tag",
		yaml: "metadata:\n  name: !secret db\n",
		want: []string{`plan.yaml:2:9: metadata.name: unsupported YAML tag !secret; remove it`},
	}, {
		name: "non-string key",
		yaml: "labels:\n  [a, b]: c\n",
		want: []string{`plan.yaml:2:3: labels: a mapping key must be a string, got a sequence`},
	}, {
		name: "item without usable name is named by index",
		yaml: "services:\n  - name: a.b\n    replicas: x\n",
		want: []string{`plan.yaml:3:15: services[0].replicas: expected an integer, got "x"`},
	}, {
		name: "several errors in document order",
		yaml: `
apiVersion: 1
services:
  - name: a
    replicas: x
    fixed: 3
  - name: b
    colour: red
`,
		want: []string{
			`plan.yaml:2:13: apiVersion: expected a string, got 1; quote it ("1") if it is meant as text`,
			`plan.yaml:5:15: services[a].replicas: expected an integer, got "x"`,
			`plan.yaml:6:12: services[a].fixed: expected a boolean (true or false), got 3`,
			`plan.yaml:8:5: services[b].colour: unknown field "colour"; allowed fields are name, replicas, concurrency, weight, fixed, ports, port, timeout, resources, hpa, startupSeconds`,
		},
	}, {
		name: "error in anchored value reported once",
		yaml: `
services:
  - &base
    name: a
    replicas: x
  - *base
  - <<: *base
    name: c
`,
		want: []string{`plan.yaml:5:15: services[a].replicas: expected an integer, got "x"`},
	}, {
		name: "alias cycle",
		yaml: "extra: &x [1, *x]\n",
		want: []string{`plan.yaml:1:15: extra[1]: alias *x refers to a value that contains it`},
	}, {
		name: "merge of a scalar",
		yaml: "metadata:\n  <<: 5\n  name: a\n",
		want: []string{`plan.yaml:2:7: metadata: a merge key (<<) takes a mapping or a sequence of mappings, got 5`},
	}, {
		name: "alias expansion bomb",
		yaml: `
a: &a [x, x, x, x, x, x, x, x, x, x]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]
extra: [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]
`,
		want: []string{
			`plan.yaml:2:1: a: unknown field "a"; allowed fields are apiVersion, metadata, seed, services, labels, extra`,
			`plan.yaml:2:32: extra[0][8][9][9][9][9][8]: document too large: more than 1000000 values after expanding aliases`,
			`plan.yaml:3:1: b: unknown field "b"; allowed fields are apiVersion, metadata, seed, services, labels, extra`,
			`plan.yaml:4:1: c: unknown field "c"; allowed fields are apiVersion, metadata, seed, services, labels, extra`,
			`plan.yaml:5:1: d: unknown field "d"; allowed fields are apiVersion, metadata, seed, services, labels, extra`,
			`plan.yaml:6:1: e: unknown field "e"; allowed fields are apiVersion, metadata, seed, services, labels, extra`,
			`plan.yaml:7:1: f: unknown field "f"; allowed fields are apiVersion, metadata, seed, services, labels, extra`,
		},
	}, {
		name: "multiple documents",
		yaml: "metadata:\n  name: a\n---\nmetadata:\n  name: b\n",
		want: []string{`plan.yaml:4:1: a second YAML document starts here (the first is at line 1); a plan file holds one document`},
	}, {
		name: "empty file",
		yaml: "",
		want: []string{`plan.yaml: file is empty; expected a YAML mapping`},
	}, {
		name: "only comments",
		yaml: "# nothing yet\n\n",
		want: []string{`plan.yaml: file is empty; expected a YAML mapping`},
	}, {
		name: "only a document marker",
		yaml: "---\n",
		want: []string{`plan.yaml:2:1: document is empty; expected a YAML mapping`},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var p decodeTestPlan
			_, err := Decode("plan.yaml", []byte(tt.yaml), &p)
			var fes FieldErrors
			if !errors.As(err, &fes) {
				t.Fatalf("Decode error = %v (%T), want FieldErrors", err, err)
			}
			var got []string
			for _, e := range fes {
				got = append(got, e.Error())
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Decode errors mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecode_TooManyErrors(t *testing.T) {
	var b strings.Builder
	b.WriteString("services:\n")
	for i := range 30 {
		fmt.Fprintf(&b, "  - name: s%d\n    replicas: x\n", i)
	}
	var p decodeTestPlan
	_, err := Decode("plan.yaml", []byte(b.String()), &p)
	var fes FieldErrors
	if !errors.As(err, &fes) {
		t.Fatalf("Decode error = %v, want FieldErrors", err)
	}
	if len(fes) != maxDecodeErrors+1 {
		t.Fatalf("got %d errors, want %d and a last one saying so", len(fes), maxDecodeErrors+1)
	}
	if got, want := fes[0].Error(), `plan.yaml:3:15: services[s0].replicas: expected an integer, got "x"`; got != want {
		t.Errorf("first error = %s, want %s", got, want)
	}
	if got, want := fes[len(fes)-1].Error(), "plan.yaml: too many errors; stopped after the first 20"; got != want {
		t.Errorf("last error = %s, want %s", got, want)
	}
}

func TestDecode_SyntaxErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		yaml string
		want string
	}{{
		name: "bad indentation",
		yaml: "metadata:\n  name: a\n services: []\n",
		want: `plan.yaml:3:2: invalid YAML: did not find expected key (check the indentation)`,
	}, {
		name: "unquoted colon",
		yaml: "metadata:\n  name: a: b\n",
		want: `plan.yaml:2:10: invalid YAML: mapping values are not allowed in this context (a value containing ": " must be quoted; otherwise check the indentation)`,
	}, {
		name: "tab",
		yaml: "metadata:\n\tname: a\n",
		want: `plan.yaml:2:1: invalid YAML: found character that cannot start any token (a tab: indent with spaces)`,
	}, {
		name: "unclosed quote",
		yaml: "metadata:\n  name: \"a\nseed: 1\n",
		want: `plan.yaml:2:9: invalid YAML: found unexpected end of stream (a quote or bracket opened here is not closed)`,
	}, {
		name: "unclosed flow sequence",
		yaml: "services: [a, b\nseed: 1\n",
		want: `plan.yaml:1:11: invalid YAML: did not find expected ',' or ']' (a quote or bracket opened here is not closed)`,
	}, {
		name: "unclosed quote to the end of the file",
		yaml: "\"abc\n\n",
		want: `plan.yaml:1:1: invalid YAML: found unexpected end of stream (a quote or bracket opened here is not closed)`,
	}, {
		name: "error after a multi-line flow sequence",
		yaml: "labels: {a: b,\n  c: d}\nseed: }\n",
		want: `plan.yaml:3:7: invalid YAML: did not find expected node content`,
	}, {
		name: "character that cannot start a token",
		yaml: "metadata:\n  name: @a\n",
		want: `plan.yaml:2:9: invalid YAML: found character that cannot start any token`,
	}, {
		name: "unknown anchor",
		yaml: "metadata:\n  name: *nope\n",
		want: `plan.yaml:2:9: invalid YAML: unknown anchor 'nope' referenced`,
	}, {
		name: "sequence item in a mapping",
		yaml: "services:\n  - name: a\n  seed: 1\n",
		want: `plan.yaml:3:3: invalid YAML: did not find expected '-' indicator (check the indentation)`,
	}, {
		name: "syntax error in a second document",
		yaml: "seed: 1\n---\nseed: [\n",
		want: `plan.yaml:3:7: invalid YAML: did not find expected node content`,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var p decodeTestPlan
			ix, err := Decode("plan.yaml", []byte(tt.yaml), &p)
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("Decode error = %v (%T), want *FieldError", err, err)
			}
			if got := fe.Error(); got != tt.want {
				t.Errorf("Decode error\n got: %s\nwant: %s", got, tt.want)
			}
			if ix != nil {
				t.Errorf("Decode returned an Index with a syntax error")
			}
		})
	}
}

func TestDecode_Null(t *testing.T) {
	p := decodeTestPlan{Seed: 9, Labels: map[string]string{"a": "b"}, Metadata: decodeTestMeta{Name: "keep"}}
	data := "seed: null\nlabels: ~\nmetadata:\n  name:\nservices:\n  - name: a\n    hpa:\n    port: null\n"
	if _, err := Decode("plan.yaml", []byte(data), &p); err != nil {
		t.Fatalf("Decode: %v", err)
	}
	want := decodeTestPlan{Seed: 9, Metadata: decodeTestMeta{Name: "keep"}, Services: []decodeTestService{{Name: "a"}}}
	if diff := cmp.Diff(want, p, quantityComparer, cmp.AllowUnexported(decodeTestService{})); diff != "" {
		t.Errorf("null values (-want +got):\n%s", diff)
	}
}

func TestDecode_NotAPointer(t *testing.T) {
	var p decodeTestPlan
	for _, v := range []any{nil, p, (*decodeTestPlan)(nil)} {
		if _, err := Decode("plan.yaml", []byte("seed: 1\n"), v); err == nil {
			t.Errorf("Decode(%T) succeeded, want an error", v)
		}
	}
}

// decodeTestRules exercises encoding/json's field rules.
type decodeTestRules struct {
	Plain               string // no tag: the key is the Go name
	Renamed             string `json:"renamed"`
	Skipped             string `json:"-"`
	Dash                string `json:"-,"` // the key "-"
	hidden              string
	*DecodeTestEmbedded                                // flattened, allocated on use
	Inline              decodeTestInline               `json:",inline"` // flattened, the Kubernetes way
	Shadow              string                         `json:"shadow"`  // hides DecodeTestEmbedded.Shadow
	Array               [2]int                         `json:"array"`
	Bytes               []byte                         `json:"bytes"`
	Any                 any                            `json:"any"`
	Names               map[corev1.ResourceName]string `json:"names"`
	Uint64              uint64                         `json:"uint64"`
	Int8                int8                           `json:"int8"`
	Float32             float32                        `json:"float32"`
	Chan                chan int                       `json:"chan"`
	Stringer            fmt.Stringer                   `json:"stringer"`
	IntKeys             map[int]string                 `json:"intKeys"`
}

type DecodeTestEmbedded struct {
	Deep   int    `json:"deep"`
	Shadow string `json:"shadow"`
}

type decodeTestInline struct {
	Inlined string `json:"inlined"`
}

func TestDecode_FieldRules(t *testing.T) {
	data := `
Plain: a
renamed: b
"-": c
deep: 3
shadow: s
inlined: i
array: [1]
bytes: aGk=
any: {a: [1, 2.5, x, true, null, 2001-12-14]}
names: {cpu: one}
uint64: 18446744073709551615
int8: -128
float32: 1.5
`
	var got decodeTestRules
	if _, err := Decode("rules.yaml", []byte(data), &got); err != nil {
		t.Fatalf("Decode: %v", err)
	}
	want := decodeTestRules{
		Plain: "a", Renamed: "b", Dash: "c",
		DecodeTestEmbedded: &DecodeTestEmbedded{Deep: 3},
		Inline:             decodeTestInline{Inlined: "i"},
		Shadow:             "s",
		Array:              [2]int{1, 0},
		Bytes:              []byte("hi"),
		Any:                map[string]any{"a": []any{int64(1), 2.5, "x", true, nil, "2001-12-14"}},
		Names:              map[corev1.ResourceName]string{corev1.ResourceCPU: "one"},
		Uint64:             18446744073709551615,
		Int8:               -128,
		Float32:            1.5,
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(decodeTestRules{})); diff != "" {
		t.Errorf("Decode mismatch (-want +got):\n%s", diff)
	}

	bad := `
Skipped: x
hidden: x
array: [1, 2, 3]
bytes: "!!"
uint64: 18446744073709551616
int8: -129
chan: 1
stringer: x
intKeys: {1: a}
`
	_, err := Decode("rules.yaml", []byte(bad), &got)
	var fes FieldErrors
	if !errors.As(err, &fes) {
		t.Fatalf("Decode error = %v, want FieldErrors", err)
	}
	var gotErrs []string
	for _, e := range fes {
		gotErrs = append(gotErrs, e.Error())
	}
	wantErrs := []string{
		`rules.yaml:2:1: Skipped: unknown field "Skipped"`,
		`rules.yaml:3:1: hidden: unknown field "hidden"`,
		`rules.yaml:4:8: array: expected at most 2 items, got 3`,
		`rules.yaml:5:8: bytes: expected base64 data, got "!!"`,
		`rules.yaml:6:9: uint64: expected a non-negative integer, got 18446744073709551616`,
		`rules.yaml:7:7: int8: -129 is out of range (-128 to 127)`,
		`rules.yaml:8:7: chan: cannot decode into Go type chan int`,
		`rules.yaml:9:11: stringer: cannot decode into Go type fmt.Stringer`,
		`rules.yaml:10:10: intKeys: cannot decode into Go type map[int]string: map keys must be strings`,
	}
	if diff := cmp.Diff(wantErrs, gotErrs); diff != "" {
		t.Errorf("Decode errors mismatch (-want +got):\n%s", diff)
	}
}

// FuzzDecode checks that no input panics, and that a decoded value
// round-trips: its JSON encoding, which is also YAML, decodes to a value
// with the same encoding.
func FuzzDecode(f *testing.F) {
	seeds, err := filepath.Glob(filepath.Join("testdata", "decode", "*.yaml"))
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range seeds {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	// Valid documents in other shapes: mutations of these decode more often.
	f.Add(benchmarkPlan(2))
	var p decodeTestPlan
	if _, err := Decode("valid.yaml", readDecodeTestdata(f, "valid.yaml"), &p); err != nil {
		f.Fatal(err)
	}
	j, err := json.Marshal(&p) // JSON is YAML too
	if err != nil {
		f.Fatal(err)
	}
	f.Add(j)
	f.Add([]byte(indexTestYAML))
	f.Add([]byte("services: [{name: a, replicas: 1, weight: 2.5e-3, ports: [1, 0o17], fixed: true}]\nextra: [{a: ~}, -1, '2']\n"))
	f.Add([]byte("extra: &x [1, *x]\n"))
	f.Add([]byte("services:\n  - <<: {name: a}\n    replicas: 0x10\n"))
	f.Add([]byte("seed: -0b101\nextra: {a: 1e3, b: .inf, c: 2001-12-14}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var p decodeTestPlan
		ix, err := Decode("fuzz.yaml", data, &p)
		if err != nil {
			var fe *FieldError
			var fes FieldErrors
			if !errors.As(err, &fe) && !errors.As(err, &fes) {
				t.Fatalf("Decode error %v is %T, want *FieldError or FieldErrors", err, err)
			}
			_ = err.Error()
			return
		}
		if _, _, ok := ix.Position("services[0].hpa.maxReplicas"); !ok {
			t.Fatalf("Position found no ancestor of a path after a successful decode")
		}
		j1, err := json.Marshal(&p)
		if err != nil {
			t.Fatalf("json.Marshal: %v", err)
		}
		var p2 decodeTestPlan
		if _, err := Decode("fuzz.json", j1, &p2); err != nil {
			t.Fatalf("decoding the JSON encoding %s: %v", j1, err)
		}
		j2, err := json.Marshal(&p2)
		if err != nil {
			t.Fatalf("json.Marshal: %v", err)
		}
		if !bytes.Equal(j1, j2) {
			t.Fatalf("round trip changed the value:\n first: %s\nsecond: %s", j1, j2)
		}
	})
}

// benchmarkPlan returns a plan with n services, each with resources and a
// full HPA spec (about 40 lines per service).
func benchmarkPlan(n int) []byte {
	var b bytes.Buffer
	b.WriteString("apiVersion: headroom.dev/v1alpha1\nmetadata:\n  name: bench\nservices:\n")
	for i := range n {
		fmt.Fprintf(&b, `  - name: svc-%d
    replicas: %d
    concurrency: 8
    weight: 1.5
    ports: [8080, 9090]
    port: http
    timeout: 30s
    startupSeconds: 20
    resources:
      requests:
        cpu: 500m
        memory: 512Mi
      limits:
        memory: 1Gi
    hpa:
      scaleTargetRef:
        apiVersion: apps/v1
        kind: Deployment
        name: svc-%d
      minReplicas: 2
      maxReplicas: 20
      metrics:
        - type: Resource
          resource:
            name: cpu
            target:
              type: Utilization
              averageUtilization: 70
      behavior:
        scaleUp:
          stabilizationWindowSeconds: 0
          selectPolicy: Max
          policies:
            - type: Percent
              value: 100
              periodSeconds: 15
            - type: Pods
              value: 4
              periodSeconds: 15
        scaleDown:
          stabilizationWindowSeconds: 300
`, i, 2+i%5, i)
	}
	return b.Bytes()
}

func BenchmarkDecode(b *testing.B) {
	data := benchmarkPlan(200)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		var p decodeTestPlan
		if _, err := Decode("bench.yaml", data, &p); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSigsYAMLUnmarshalStrict is the baseline: what the same document
// costs through sigs.k8s.io/yaml, which has no positions.
func BenchmarkSigsYAMLUnmarshalStrict(b *testing.B) {
	data := benchmarkPlan(200)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		var p decodeTestPlan
		if err := sigsyaml.UnmarshalStrict(data, &p); err != nil {
			b.Fatal(err)
		}
	}
}
