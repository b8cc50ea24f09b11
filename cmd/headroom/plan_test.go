package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/headroom-dev/headroom/scenarios"
)

func noaManifestArgs(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("testdata/noa-manifests/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no NOA manifests: %v", err)
	}
	var args []string
	for _, f := range files {
		args = append(args, "-f", f)
	}
	return args
}

// measured are the numbers a user fills in after `headroom observe`, per
// service (the values of scenarios/examples/noa.yaml), by placeholder key.
var measured = map[string]map[string]string{
	"noa-mcp":         {"requestRate": "1000/min", "mean": "250ms", "concurrency": "8", "cpu": "{perRequest: 60ms}", "base": "300Mi"},
	"noa-claude-flow": {"requestRate": "150/s", "mean": "120ms", "concurrency": "32", "cpu": "{perRequest: 6ms}", "base": "600Mi", "source": "requestRate"},
	"noa-ui":          {"requestRate": "150/s", "mean": "40ms", "concurrency": "64", "cpu": "{perRequest: 1ms}", "base": "128Mi", "source": "requestRate"},
	"noa-workers":     {"requestRate": "3.5/s", "mean": "2s", "concurrency": "8", "cpu": "{perRequest: 100ms}", "base": "512Mi", "source": "queueDepth"},
	"noa-postgres":    {"requestRate": "200/s", "mean": "2ms", "concurrency": "100", "cpu": "{perRequest: 1ms}", "base": "700Mi"},
	"noa-redis":       {"requestRate": "500/s", "mean": "200us", "concurrency": "1", "cpu": "{perRequest: 150us}", "base": "300Mi"},
}

var placeholderLine = regexp.MustCompile(`^(\s*-?\s*)(requestRate|mean|concurrency|cpu|base|source): (0/s|0s|0|\{\}|"0"|"")$`)

// fillTODOs replaces every placeholder under a TODO comment with the
// measured value of its service, and gives the plan a node type.
func fillTODOs(t *testing.T, plan string) string {
	t.Helper()
	lines := strings.Split(plan, "\n")
	service := ""
	filled := 0
	for i, l := range lines {
		if s, ok := strings.CutPrefix(l, "  - name: "); ok {
			service = s
		}
		m := placeholderLine.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		v, ok := measured[service][m[2]]
		if !ok {
			t.Fatalf("line %d: placeholder %s of %q has no measured value", i+1, m[2], service)
		}
		lines[i] = m[1] + m[2] + ": " + v
		filled++
	}
	if filled == 0 {
		t.Fatal("no placeholders found")
	}
	out := strings.Join(lines, "\n")
	return strings.Replace(out, "nodeTypes: []", "nodeTypes:\n    - {name: general-4x16, allocatable: {cpu: 3920m, memory: 14Gi}, pricePerHour: 0.192}", 1)
}

// TestPlanInit_NOA is the done-when: the runbook's manifests become
// a plan that, with its TODOs measured, `size` accepts.
func TestPlanInit_NOA(t *testing.T) {
	out, errOut, code := runCLI(t, "", append([]string{"plan", "init"}, noaManifestArgs(t)...)...)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	for _, want := range []string{
		"testdata/noa-manifests/noa-mcp.yaml:35: Service noa-mcp (v1) is not a Deployment, StatefulSet or HorizontalPodAutoscaler; skipped",
		"wrote a plan of 6 service(s)",
		"fill in the TODOs",
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	// Every error of the unfilled plan is on a line under a TODO comment
	// (two lines down for a metric source, whose TODO is above the list).
	_, err := scenarios.Parse("plan.yaml", []byte(out))
	if err == nil {
		t.Fatal("the unfilled plan parses; its placeholders should be refused")
	}
	lines := strings.Split(out, "\n")
	for _, e := range err.(scenarios.FieldErrors) {
		ok := false
		for up := 2; up <= 4 && e.Line-up >= 0; up++ {
			ok = ok || strings.Contains(lines[e.Line-up], "# TODO: measure (headroom observe)")
		}
		if !ok {
			t.Errorf("%v: no TODO comment above it", e)
		}
	}
	for _, name := range []string{"daily", "growth-2x", "event-spike"} {
		if !strings.Contains(out, "  - name: "+name+"\n") {
			t.Errorf("the plan lacks scenario %s", name)
		}
	}

	filled := fillTODOs(t, out)
	p, err := scenarios.Parse("filled.yaml", []byte(filled))
	if err != nil {
		t.Fatalf("the filled plan is refused:\n%v\n%s", err, filled)
	}
	if len(p.Services) != 6 || p.Service("noa-mcp").HPA.MaxReplicas != 10 || p.Service("noa-ui").HPA.MinReplicas == nil || *p.Service("noa-ui").HPA.MinReplicas != 3 {
		t.Errorf("services or HPAs not carried over: %+v", p.Services)
	}
	path := filepath.Join(t.TempDir(), "plan.yaml")
	if err := os.WriteFile(path, []byte(filled), 0o644); err != nil {
		t.Fatal(err)
	}
	sizeOut, sizeErr, code := runCLI(t, "", "size", "-f", path)
	if code != 0 && code != exitCheckFailed {
		t.Fatalf("size exit %d:\n%s", code, sizeErr)
	}
	for _, want := range []string{"SCENARIO daily", "SCENARIO growth-2x", "SCENARIO event-spike", "noa-mcp", "noa-redis"} {
		if !strings.Contains(sizeOut, want) {
			t.Errorf("size output lacks %q:\n%s", want, sizeOut)
		}
	}
}

func TestPlanInit_Errors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	deploy := write("deploy.yaml", `apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers: [{name: api, image: api:1}]
`)
	orphan := write("hpa.yaml", `# the HPA of a workload not given
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web-hpa}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  maxReplicas: 5
`)
	typo := write("typo.yaml", `apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  replica: 3
`)
	cm := write("cm.yaml", `apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {a: b}
---
apiVersion: v1
kind: List
items: []
`)
	existing := write("exists.yaml", "keep me\n")
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"orphan HPA", []string{"-f", deploy, "-f", orphan}, exitError,
			orphan + ":4: HorizontalPodAutoscaler web-hpa targets Deployment web (apps/v1), which is not among the Deployments and StatefulSets given"},
		{"unknown field", []string{"-f", typo}, exitError, typo + `:5:3: spec.replica: unknown field "replica"`},
		{"a List", []string{"-f", cm}, exitError, cm + ":7: kind: is List"},
		{"no input", nil, exitUsage, "give the manifests with -f"},
		{"both inputs", []string{"-f", deploy, "--from-discover", deploy}, exitUsage, "exclude each other"},
		{"existing output", []string{"-f", deploy, "--out-file", existing}, exitError, "exists; give --force"},
		{"missing file", []string{"-f", filepath.Join(dir, "nope.yaml")}, exitError, "no such file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, errOut, code := runCLI(t, "", append([]string{"plan", "init"}, tc.args...)...)
			if code != tc.code || !strings.Contains(errOut, tc.want) {
				t.Errorf("exit %d, stderr:\n%s\nwant exit %d and %q", code, errOut, tc.code, tc.want)
			}
		})
	}
	if b, _ := os.ReadFile(existing); string(b) != "keep me\n" {
		t.Errorf("the existing file was overwritten: %q", b)
	}
	// A ConfigMap is reported with its file:line and kind, and skipped.
	_, errOut, _ := runCLI(t, "", "plan", "init", "-f", deploy, "-f", write("cm-only.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\n"))
	if want := "cm-only.yaml:2: ConfigMap settings (v1) is not a Deployment, StatefulSet or HorizontalPodAutoscaler; skipped"; !strings.Contains(errOut, want) {
		t.Errorf("stderr lacks %q:\n%s", want, errOut)
	}
	// --force overwrites; the written plan round-trips through --from-discover.
	if _, errOut, code := runCLI(t, "", "plan", "init", "-f", deploy, "--out-file", existing, "--force"); code != 0 {
		t.Fatalf("--force: exit %d\n%s", code, errOut)
	}
	first, _ := os.ReadFile(existing)
	out, errOut, code := runCLI(t, "", "plan", "init", "--from-discover", existing)
	if code != 0 || !strings.Contains(out, "# TODO: measure (headroom observe)") || !strings.Contains(out, "name: api") {
		t.Fatalf("--from-discover: exit %d\n%s\n%s", code, errOut, out)
	}
	if !strings.Contains(string(first), "requestRate: 0/s") {
		t.Errorf("plan lacks the requestRate placeholder:\n%s", first)
	}
}
