package main

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"sigs.k8s.io/yaml"

	"github.com/headroom-dev/headroom/scenarios"
)

const root = "../.."

// TestGeneratedFilesAreCurrent regenerates the reference, the schema and
// the explain data into memory and compares them with the committed files.
func TestGeneratedFilesAreCurrent(t *testing.T) {
	files, err := Generate(root)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range files {
		got, err := os.ReadFile(filepath.Join(root, name))
		if err != nil {
			t.Errorf("%s: %v; run `go generate ./scenarios`", name, err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is stale: the plan's Go types or doc comments changed; run `go generate ./scenarios` and commit the result", name)
		}
	}
}

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	f, err := os.Open(filepath.Join(root, outSchema))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.AddResource(schemaID, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(schemaID)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func validateYAML(t *testing.T, s *jsonschema.Schema, data []byte) error {
	t.Helper()
	j, err := yaml.YAMLToJSON(data)
	if err != nil {
		t.Fatal(err)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(j))
	if err != nil {
		t.Fatal(err)
	}
	return s.Validate(v)
}

// TestSchemaAcceptsPlans validates every CapacityPlan in the repository
// that the decoder accepts (the bundled examples, the test plans, the
// golden plans other commands write) against the schema.
func TestSchemaAcceptsPlans(t *testing.T) {
	s := compileSchema(t)
	n := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "bin" || d.Name() == "report") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".yaml") {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if !bytes.Contains(data, []byte("kind: CapacityPlan")) {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		if _, err := scenarios.Parse(rel, data); err != nil {
			t.Logf("%s: skipped, the decoder refuses it: %v", rel, err)
			return nil
		}
		n++
		if err := validateYAML(t, s, data); err != nil {
			t.Errorf("%s: the decoder accepts it, the schema does not: %v", rel, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 5 {
		t.Errorf("validated %d plans; expected the examples and test plans (at least 5)", n)
	}
}

// TestSchemaAndDecoderRefuseBrokenPlans breaks a valid plan in the ways a
// person does and checks that both the schema and the decoder refuse each.
func TestSchemaAndDecoderRefuseBrokenPlans(t *testing.T) {
	s := compileSchema(t)
	base, err := os.ReadFile(filepath.Join(root, "scenarios/testdata/minimal.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := scenarios.Parse("minimal.yaml", base); err != nil {
		t.Fatalf("the base plan is refused: %v", err)
	}
	if err := validateYAML(t, s, base); err != nil {
		t.Fatalf("the schema refuses the base plan: %v", err)
	}
	for _, tc := range []struct{ name, old, new string }{
		{"unknown field", "    replicas:", "    replicaz:"},
		{"wrong type", "    replicas: 3", "    replicas: three"},
		{"bad rate string", "requestRate: 1000/min", "requestRate: 600 per minute"},
		{"rate without unit", "requestRate: 1000/min", "requestRate: \"600\""},
		{"bad duration", "mean: 200ms", "mean: 200 ms"},
		{"bad quantity", "cpu: 500m", "cpu: 500 millicores"},
		{"missing required field", "    concurrency: 4\n", ""},
		{"out of range", "concurrency: 4", "concurrency: 0"},
		{"two profile components in one", "- spike: {at: 1h, hold: 30m, multiplier: 3}", "- spike: {at: 1h, hold: 30m, multiplier: 3}\n        step: {at: 1h, multiplier: 2}"},
		{"noise without interval", "- spike: {at: 1h, hold: 30m, multiplier: 3}", "- noise: {cv: 0.1}"},
		{"bad time of day", "duration: 1h\n", "duration: 1h\n    start: \"25:00\"\n"},
		{"unknown enum value", "apiVersion: headroom.dev/v1alpha1", "apiVersion: headroom.dev/v1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !bytes.Contains(base, []byte(tc.old)) {
				t.Fatalf("minimal.yaml has no %q to break", tc.old)
			}
			broken := bytes.Replace(base, []byte(tc.old), []byte(tc.new), 1)
			_, decErr := scenarios.Parse("broken.yaml", broken)
			schemaErr := validateYAML(t, s, broken)
			if decErr == nil {
				t.Errorf("the decoder accepts it")
			}
			if schemaErr == nil {
				t.Errorf("the schema accepts it (decoder: %v)", decErr)
			}
		})
	}
}

// TestParseRange checks the Range facts the schema turns into bounds.
func TestParseRange(t *testing.T) {
	for _, tc := range []struct {
		text, want string
	}{
		{"[1, 100000]", `{"maximum":100000,"minimum":1}`},
		{"(0, 1)", `{"exclusiveMaximum":1,"exclusiveMinimum":0}`},
		{"[0, 1)", `{"exclusiveMaximum":1,"minimum":0}`},
		{"at least 0", `{"minimum":0}`},
		{"greater than 0", `{"exclusiveMinimum":0}`},
		{"at least 0, below zones", `{"minimum":0}`},
		{"(-100, 99999900]", `{"exclusiveMinimum":-100,"maximum":99999900}`},
	} {
		b, err := parseRange(tc.text)
		if err != nil {
			t.Errorf("parseRange(%q): %v", tc.text, err)
			continue
		}
		m := map[string]any{}
		b.apply(m)
		got, _ := jsonMarshal(m)
		if got != tc.want {
			t.Errorf("parseRange(%q) = %s, want %s", tc.text, got, tc.want)
		}
	}
	for _, bad := range []string{"some", "at least x1", "[a, b]"} {
		if _, err := parseRange(bad); err == nil {
			t.Errorf("parseRange(%q) accepted", bad)
		}
	}
}

// FuzzParseComment checks that any doc comment parses without panicking
// and that the description never keeps a fact it cut.
func FuzzParseComment(f *testing.F) {
	f.Add("Replicas is the count. Required. Range: at least 1. Example: `3`.")
	f.Add("Mode. Default: multiplier. One of: `multiplier` or `absolute`.")
	f.Add("+optional\n+listType=atomic\nText.")
	f.Fuzz(func(t *testing.T, s string) {
		c := parseComment(s)
		if c.required && strings.Contains(" "+c.text+" ", " Required. ") {
			t.Errorf("parseComment(%q) kept Required. in %q", s, c.text)
		}
		_, _ = parseRange(c.rng)
	})
}

func jsonMarshal(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}

// TestSchemaAcceptsPureCallee: a service whose whole rate comes from its
// callers may leave requestRate out; the schema, which cannot see the
// calls, accepts it, and the decoder does too. Without the call the
// decoder refuses the same plan, naming the field.
func TestSchemaAcceptsPureCallee(t *testing.T) {
	s := compileSchema(t)
	base, err := os.ReadFile(filepath.Join(root, "scenarios/testdata/minimal.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	db := `  - name: db
    replicas: 1
    fixed: true
    resources:
      requests: {cpu: "1", memory: 1Gi}
    serviceTime: {mean: 5ms}
    concurrency: 10
    cpu: {perRequest: 1ms}
    memory: {base: 512Mi}
scenarios:`
	plan := bytes.Replace(base, []byte("scenarios:"), []byte(db), 1)
	called := bytes.Replace(plan, []byte("    slo:\n      latency: {quantile: 0.95, target: 1s}\n"),
		[]byte("    calls:\n      - {service: db, perRequest: 3}\n    slo:\n      latency: {quantile: 0.95, target: 1s}\n"), 1)
	if bytes.Equal(called, plan) {
		t.Fatal("minimal.yaml has no slo to put the call before")
	}
	if _, err := scenarios.Parse("callee.yaml", called); err != nil {
		t.Errorf("the decoder refuses a pure callee without requestRate: %v", err)
	}
	if err := validateYAML(t, s, called); err != nil {
		t.Errorf("the schema refuses a pure callee without requestRate: %v", err)
	}
	if _, err := scenarios.Parse("uncalled.yaml", plan); err == nil || !strings.Contains(err.Error(), "requestRate") {
		t.Errorf("the decoder accepts a service nothing calls without requestRate, or does not name the field: %v", err)
	}
}
