package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	jsv "github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/headroom-dev/headroom/capacity"
	"github.com/headroom-dev/headroom/internal/jsonschemagen"
	"github.com/headroom-dev/headroom/loadtest"
	"github.com/headroom-dev/headroom/loadtest/verify"
	"github.com/headroom-dev/headroom/prom"
	"github.com/headroom-dev/headroom/review/record"
	"github.com/headroom-dev/headroom/sim"
)

var updateSchemas = flag.Bool("update-schemas", false, "rewrite docs/schema/*.json from the Go types")

// schemaDir holds the schemas, relative to this package.
const schemaDir = "../../docs/schema"

// schemaDocs are the JSON outputs with a schema: the type each is the
// encoding of, and what prints or writes it.
var schemaDocs = []struct {
	file, title, desc string
	v                 any
}{
	{"report.json", "headroom report.json", "The capacity review `headroom report` writes to DIR/report.json (and prints with -o json); schemaVersion headroom.dev/report/v3.", &record.Review{}},
	{"loadtest-result.json", "headroom load-test result", "The result file `headroom loadtest run --out-file FILE` writes; read by loadtest compare and calibrate.", &loadtest.Result{}},
	{"size.json", "headroom size -o json", "Replicas, CPU, memory, nodes and cost per scenario and service.", &capacity.SizingReport{}},
	{"simulate.json", "headroom simulate -o json", "One simulation result per scenario (with the time series).", []*sim.Result{}},
	{"compare.json", "headroom compare -o json", "Today's HPA against the proposed one, per service and scenario.", []sim.Comparison{}},
	{"tune.json", "headroom tune -o json", "The recommender's proposal for one service (every setting it simulated, the chosen one, the binding constraint when none holds the SLO) and the Pareto front of cost against worst burn.", &capacity.TuneReport{}},
	{"rightsize.json", "headroom rightsize -o json", "Recommended requests and limits per container, with the HPA targets moved to match.", &capacity.RightsizeReport{}},
	{"sweep.json", "headroom sweep -o json", "The sweep's results: every candidate, the best that holds the SLO and the Pareto front (also what sweep merge writes).", &capacity.SweepResult{}},
	{"loadtest-compare.json", "headroom loadtest compare -o json", "Measured against predicted, bucket by bucket, with the verdict.", &verify.Comparison{}},
	{"calibrate.json", "headroom calibrate -o json", "The plan inputs fitted to a load-test result, with their fit quality.", &verify.Calibration{}},
	{"observe.json", "headroom observe -o json", "The inputs observed from Prometheus per service, with their fit quality and the problems found (validated against a real Prometheus in the e2e suite 20-prometheus).", []*prom.Observation{}},
	{"backtest.json", "headroom backtest -o json", "Production's history replayed through the simulator: per service the measures, their tolerances, the verdict and the likely cause, and the services that could not be backtested (validated against a real Prometheus in the e2e suite 25-backtest).", &record.Backtest{}},
	{"sweep-shard.json", "headroom sweep --shard i/N", "One shard of a sweep, as sweep --shard writes it and sweep merge reads it.", &capacity.SweepShard{}},
}

// schemaCustom says what the types that marshal themselves write.
var schemaCustom = map[string]jsonschemagen.Schema{
	"k8s.io/apimachinery/pkg/api/resource.Quantity":        {"type": "string", "description": "A Kubernetes quantity (resource.Quantity), e.g. 500m or 1Gi."},
	"k8s.io/apimachinery/pkg/util/intstr.IntOrString":      {"type": []string{"integer", "string"}},
	"k8s.io/apimachinery/pkg/apis/meta/v1.Time":            {"type": []string{"string", "null"}, "format": "date-time"},
	"k8s.io/apimachinery/pkg/apis/meta/v1.MicroTime":       {"type": []string{"string", "null"}, "format": "date-time"},
	"github.com/headroom-dev/headroom/scenarios.Rate":      {"type": "string", "description": "A rate with its unit, e.g. 120/s or 3/min."},
	"github.com/headroom-dev/headroom/scenarios.Duration":  {"type": "string", "description": "A duration as Go writes it, e.g. 1h30m0s."},
	"github.com/headroom-dev/headroom/scenarios.TimeOfDay": {"type": "string", "pattern": "^[0-9]{2}:[0-9]{2}$"},
	"github.com/headroom-dev/headroom/scenarios.Seconds":   {"type": "number"},
	"github.com/headroom-dev/headroom/loadtest.Duration":   {"type": "string", "description": "A duration as Go writes it, e.g. 2m0s."},
	"github.com/headroom-dev/headroom/loadtest.Histogram":  {"type": "string", "contentEncoding": "base64", "description": "An HDR histogram of latencies in microseconds, V2 compressed encoding, base64."},
}

func generateSchema(t *testing.T, file, title, desc string, v any, comments map[string]string) []byte {
	t.Helper()
	b, err := jsonschemagen.Generate(v, jsonschemagen.Options{
		ID: "https://headroom.dev/schema/" + file, Title: title, Description: desc,
		Custom: schemaCustom, Comments: comments,
	})
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return b
}

// TestSchemas_UpToDate: regenerating every schema from the Go types gives
// the committed file (go test ./cmd/headroom -run TestSchemas -update-schemas
// rewrites them).
func TestSchemas_UpToDate(t *testing.T) {
	comments, err := jsonschemagen.ReadComments("../..", "github.com/headroom-dev/headroom",
		"github.com/headroom-dev/headroom/review/record", "github.com/headroom-dev/headroom/loadtest",
		"github.com/headroom-dev/headroom/capacity", "github.com/headroom-dev/headroom/sim",
		"github.com/headroom-dev/headroom/model", "github.com/headroom-dev/headroom/scenarios")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range schemaDocs {
		got := generateSchema(t, d.file, d.title, d.desc, d.v, comments)
		path := filepath.Join(schemaDir, d.file)
		if *updateSchemas {
			if err := os.MkdirAll(schemaDir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (go test ./cmd/headroom -run TestSchemas -update-schemas writes it)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is stale: the Go types changed; rerun go test ./cmd/headroom -run TestSchemas -update-schemas and review the diff", path)
		}
	}
}

// TestSchemas_RealOutputs: the JSON the commands print on the bundled
// example (and the bundled load-test results) validates against the
// committed schemas.
func TestSchemas_RealOutputs(t *testing.T) {
	c := jsv.NewCompiler()
	schemas := map[string]*jsv.Schema{}
	for _, d := range schemaDocs {
		f, err := os.Open(filepath.Join(schemaDir, d.file))
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsv.UnmarshalJSON(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", d.file, err)
		}
		if err := c.AddResource("https://headroom.dev/schema/"+d.file, doc); err != nil {
			t.Fatal(err)
		}
		if schemas[d.file], err = c.Compile("https://headroom.dev/schema/" + d.file); err != nil {
			t.Fatalf("%s: %v", d.file, err)
		}
	}
	validate := func(t *testing.T, file string, data []byte) {
		t.Helper()
		v, err := jsv.UnmarshalJSON(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s: not JSON: %v\n%.500s", file, err, data)
		}
		if err := schemas[file].Validate(v); err != nil {
			t.Errorf("%s: %v", file, err)
		}
	}
	dir := filepath.Join(t.TempDir(), "report")
	shard := filepath.Join(t.TempDir(), "shard.json")
	for _, tc := range []struct {
		name, file string
		args       []string
	}{
		{"report", "report.json", []string{"report", "-f", noaPlan, "--out-dir", dir, "--plots", "none", "-o", "json"}},
		{"size", "size.json", []string{"size", "-f", noaPlan, "-o", "json"}},
		{"simulate", "simulate.json", []string{"simulate", "-f", noaPlan, "--service", "noa-mcp", "-o", "json"}},
		{"compare", "compare.json", []string{"compare", "-f", noaPlan, "--hpa", "../../scenarios/examples/noa-mcp-proposed-hpa.yaml", "-o", "json"}},
		{"tune", "tune.json", []string{"tune", "-f", "../../scenarios/testdata/minimal.yaml", "--service", "api", "-o", "json"}},
		{"rightsize", "rightsize.json", []string{"rightsize", "-f", noaPlan, "--usage", "../../" + noaUsage, "-o", "json"}},
		{"sweep", "sweep.json", []string{"sweep", "-f", noaPlan, "--grid", sweepGrid, "--quiet", "-o", "json"}},
		{"loadtest compare", "loadtest-compare.json", []string{"loadtest", "compare", "-f", mmcPlan, "--result", "../../loadtest/testdata/run-steps.json", "-o", "json"}},
		{"calibrate", "calibrate.json", []string{"calibrate", "-f", mmcPlan, "--result", "../../loadtest/testdata/run-low.json", "--service", "mmc", "-o", "json", "--out-file", filepath.Join(t.TempDir(), "calibrated.yaml")}},
		{"sweep shard", "sweep-shard.json", []string{"sweep", "-f", noaPlan, "--grid", sweepGrid, "--quiet", "--shard", "1/3", "--out-file", shard}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "tune" && testing.Short() {
				t.Skip("tune simulates some 30 settings over every scenario (seconds of CPU); not in -short")
			}
			out, errOut, code := runCLI(t, "", tc.args...)
			if code != exitOK && code != exitCheckFailed {
				t.Fatalf("exit %d\n%s", code, errOut)
			}
			if tc.file == "sweep-shard.json" {
				out = mustRead(t, shard)
			}
			validate(t, tc.file, []byte(out))
		})
	}
	for _, f := range []string{"../../loadtest/testdata/run-low.json", "../../loadtest/testdata/run-steps.json"} {
		validate(t, "loadtest-result.json", []byte(mustRead(t, f)))
	}
	// And the schemas are closed: a field the types do not have fails.
	var rep map[string]any
	if err := json.Unmarshal([]byte(mustRead(t, filepath.Join(dir, "report.json"))), &rep); err != nil {
		t.Fatal(err)
	}
	rep["notAField"] = 1
	b, _ := json.Marshal(rep)
	v, _ := jsv.UnmarshalJSON(bytes.NewReader(b))
	if err := schemas["report.json"].Validate(v); err == nil {
		t.Error("report.json with an unknown field validates")
	}
}
