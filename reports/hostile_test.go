package reports

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"go.yaml.in/yaml/v3"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/headroom-dev/headroom/review/record"
	"github.com/headroom-dev/headroom/scenarios"
)

// names are the plan's names a hostile plan (built in Go, past the
// decoder's DNS-label checks) gives the patch writer.
type names struct {
	plan, event, service, namespace, workload, container, rationale string
}

var (
	recordedOnce sync.Once
	recordedPlan *scenarios.Plan
	recordedRev  *record.Review
	recordedErr  error
)

// noaRecorded is the NOA example's review as its golden report.json holds
// it (recommendations and events round-trip through JSON): the fuzz
// workers start without simulating.
func noaRecorded(t testing.TB) (*scenarios.Plan, *record.Review) {
	t.Helper()
	recordedOnce.Do(func() {
		recordedPlan, recordedErr = scenarios.Example("noa.yaml")
		if recordedErr != nil {
			return
		}
		var b []byte
		b, recordedErr = os.ReadFile(filepath.Join("testdata", "golden", "noa", "report.json"))
		if recordedErr != nil {
			return
		}
		recordedRev = &record.Review{}
		recordedErr = json.Unmarshal(b, recordedRev)
	})
	if recordedErr != nil {
		t.Fatal(recordedErr)
	}
	return recordedPlan, recordedRev
}

// hostileReview is the NOA review with every name replaced: services
// service-0, service-1 …, workloads workload-0 …, one namespace, one event
// name, one container, and rationale appended to every rationale. The
// first recommendation also changes the CPU request, so the container
// name reaches a JSON patch.
func hostileReview(t testing.TB, n names) (*scenarios.Plan, *record.Review) {
	plan, rev := noaRecorded(t)
	p := *plan
	p.Metadata.Name = n.plan
	p.Services = slices.Clone(plan.Services)
	rename := map[string]string{}
	for k := range p.Services {
		s := &p.Services[k]
		rename[s.Name] = fmt.Sprintf("%s-%d", n.service, k)
		s.Name = rename[s.Name]
		s.Namespace = n.namespace
		s.WorkloadRef.Name = fmt.Sprintf("%s-%d", n.workload, k)
		if s.HPAName != "" {
			s.HPAName = s.WorkloadRef.Name + "-hpa"
		}
		s.Container = n.container
	}
	r := *rev
	r.Plan = n.plan
	r.Recommendations = slices.Clone(rev.Recommendations)
	for k := range r.Recommendations {
		rec := &r.Recommendations[k]
		rec.Service = rename[rec.Service]
		rec.HPARationale = append(slices.Clone(rec.HPARationale), n.rationale)
		if k == 0 {
			rec.Requests = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("500m")}
			rec.ResourceRationale = []string{n.rationale}
		}
	}
	r.Events = slices.Clone(rev.Events)
	for k := range r.Events {
		ev := &r.Events[k]
		ev.Event.Name = n.event
		ev.PreScales = slices.Clone(ev.PreScales)
		for j := range ev.PreScales {
			ps := &ev.PreScales[j]
			ps.Service = rename[ps.Service]
			ps.Namespace = n.namespace
			svc := p.Service(ps.Service)
			ps.TargetName = svc.WorkloadRef.Name
			if ps.TargetKind == "HorizontalPodAutoscaler" {
				ps.TargetName = scenarios.HPAName(svc)
			}
			ps.Rationale = append(slices.Clone(ps.Rationale), n.rationale)
		}
	}
	return &p, &r
}

// checkPatchSet holds the patch files to their intent: every YAML file
// parses (yaml.v3, all documents) as exactly the objects its name says, in
// the plan's namespace (none when the plan has none), CronJobs labelled
// with the event; kubectl-patches.sh splits (as sh would) into `set -eu`
// and one `kubectl patch KIND NAME [-n NS] --type=json -p=JSON` per
// strategic patch, naming the same object, with a JSON array as the patch.
func checkPatchSet(t testing.TB, files []File, n names) {
	t.Helper()
	type object struct{ kind, name, namespace string }
	var strategic []object
	var script []byte
	for _, f := range files {
		if f.Path == "kubectl-patches.sh" {
			script = f.Data
			continue
		}
		base := path.Base(f.Path)
		var want []string
		switch {
		case base == "kustomization.yaml":
			want = []string{"Component"}
		case strings.HasPrefix(f.Path, "hpa/"):
			want = []string{"HorizontalPodAutoscaler"}
		case strings.HasPrefix(f.Path, "vpa/"):
			want = []string{"VerticalPodAutoscaler"}
		case strings.HasPrefix(f.Path, "requests/"):
			for _, k := range []string{"Deployment", "StatefulSet"} {
				if strings.HasPrefix(base, strings.ToLower(k)+"-") {
					want = []string{k}
				}
			}
		case strings.HasPrefix(base, "hpa-"):
			want = []string{"HorizontalPodAutoscaler"}
		case strings.HasPrefix(base, "cronjob-"):
			want = []string{"CronJob"}
		case strings.HasPrefix(base, "rbac-"):
			want = []string{"ServiceAccount", "Role", "RoleBinding"}
		}
		if want == nil {
			t.Fatalf("unexpected file %q", f.Path)
		}
		dec := yaml.NewDecoder(bytes.NewReader(f.Data))
		var got []string
		for {
			var obj struct {
				Kind     string `yaml:"kind"`
				Metadata struct {
					Name      string            `yaml:"name"`
					Namespace *string           `yaml:"namespace"`
					Labels    map[string]string `yaml:"labels"`
				} `yaml:"metadata"`
			}
			err := dec.Decode(&obj)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("%s does not parse: %v\n%s", f.Path, err, f.Data)
			}
			got = append(got, obj.Kind)
			if obj.Kind == "Component" {
				continue
			}
			switch ns := obj.Metadata.Namespace; {
			case n.namespace == "" && ns != nil:
				t.Errorf("%s: %s has namespace %q; the plan has none", f.Path, obj.Kind, *ns)
			case n.namespace != "" && (ns == nil || *ns != n.namespace):
				t.Errorf("%s: %s has namespace %v, want %q", f.Path, obj.Kind, ns, n.namespace)
			}
			if obj.Kind == "CronJob" && obj.Metadata.Labels["headroom.dev/event"] != n.event {
				t.Errorf("%s: event label %q, want %q", f.Path, obj.Metadata.Labels["headroom.dev/event"], n.event)
			}
			if strings.HasPrefix(f.Path, "hpa/") || strings.HasPrefix(f.Path, "requests/") {
				strategic = append(strategic, object{strings.ToLower(obj.Kind), obj.Metadata.Name, n.namespace})
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s holds %v, want %v:\n%s", f.Path, got, want, f.Data)
		}
	}
	cmds, err := shellSplit(string(script))
	if err != nil {
		t.Fatalf("kubectl-patches.sh: %v\n%s", err, script)
	}
	if len(cmds) == 0 || !slices.Equal(cmds[0], []string{"set", "-eu"}) {
		t.Fatalf("kubectl-patches.sh does not start with set -eu: %q", cmds)
	}
	var patched []object
	for _, argv := range cmds[1:] {
		o := object{}
		ok := len(argv) >= 6 && argv[0] == "kubectl" && argv[1] == "patch"
		if ok {
			o.kind, o.name = argv[2], argv[3]
			rest := argv[4:]
			if len(rest) == 4 && rest[0] == "-n" {
				o.namespace, rest = rest[1], rest[2:]
			}
			var ops []map[string]any
			ok = len(rest) == 2 && rest[0] == "--type=json" && strings.HasPrefix(rest[1], "-p=") &&
				json.Unmarshal([]byte(strings.TrimPrefix(rest[1], "-p=")), &ops) == nil && len(ops) > 0
			for _, op := range ops {
				if op["path"] == containerPath+"/name" && op["value"] != n.container {
					t.Errorf("the container test names %q, want %q", op["value"], n.container)
				}
			}
		}
		if !ok {
			t.Fatalf("kubectl-patches.sh: unexpected command %q\n%s", argv, script)
		}
		patched = append(patched, o)
	}
	// The files are sorted by path (hpa/ before requests/), the script by
	// service: the same set.
	byName := func(a, b object) int { return strings.Compare(a.kind+"/"+a.name, b.kind+"/"+b.name) }
	slices.SortFunc(patched, byName)
	slices.SortFunc(strategic, byName)
	if !slices.Equal(patched, strategic) {
		t.Errorf("kubectl-patches.sh patches %v, the strategic patches are %v", patched, strategic)
	}
}

// shellSplit splits sh text into the argv of its simple commands: blanks
// separate words, a newline ends a command, # at a word's start comments to
// the end of the line, '…' quotes literally, \ escapes the next character
// (backslash-newline continues the line), "…" quotes with \ before $ ` " \
// and newline. Any other character sh treats specially ($ ` ; & | < > ( )
// outside quotes) is an error: the script must hold nothing but commands.
func shellSplit(s string) ([][]string, error) {
	var cmds [][]string
	var argv []string
	var word strings.Builder
	inWord := false
	end := func() {
		if inWord {
			argv = append(argv, word.String())
			word.Reset()
			inWord = false
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t':
			end()
		case c == '\n':
			end()
			if len(argv) > 0 {
				cmds = append(cmds, argv)
				argv = nil
			}
		case c == '#' && !inWord:
			for i < len(s) && s[i] != '\n' {
				i++
			}
			i--
		case c == '\\':
			if i+1 >= len(s) {
				return nil, errors.New("a trailing backslash")
			}
			i++
			if s[i] != '\n' {
				word.WriteByte(s[i])
				inWord = true
			}
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, fmt.Errorf("an unterminated ' at byte %d", i)
			}
			word.WriteString(s[i+1 : i+1+j])
			inWord = true
			i += j + 1
		case c == '"':
			inWord = true
			for i++; ; i++ {
				if i >= len(s) {
					return nil, errors.New(`an unterminated "`)
				}
				if s[i] == '"' {
					break
				}
				if s[i] == '$' || s[i] == '`' {
					return nil, fmt.Errorf("an expansion %q inside double quotes at byte %d", s[i], i)
				}
				if s[i] == '\\' && i+1 < len(s) && strings.IndexByte("$`\"\\\n", s[i+1]) >= 0 {
					i++
					if s[i] == '\n' {
						continue
					}
				}
				word.WriteByte(s[i])
			}
		case strings.IndexByte("$`;&|<>()*?[", c) >= 0 || c == '~' && !inWord:
			return nil, fmt.Errorf("a special character %q at byte %d", c, i)
		default:
			word.WriteByte(c)
			inWord = true
		}
	}
	end()
	if len(argv) > 0 {
		cmds = append(cmds, argv)
	}
	return cmds, nil
}

func TestShellSplit(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want [][]string
	}{
		{"a b\n", [][]string{{"a", "b"}}},
		{"# c\na 'b c' \\\n  -p='x'\\''y'\n", [][]string{{"a", "b c", "-p=x'y"}}},
		{`a "b\"c" d#e`, [][]string{{"a", `b"c`, "d#e"}}},
	} {
		got, err := shellSplit(tc.in)
		if err != nil || fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%q: %q %v, want %q", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{"a; b", "a $(b)", "a `b`", "a | b", "a 'b", "a > f", `a "$x"`, "a *", "a ~/x"} {
		if got, err := shellSplit(in); err == nil {
			t.Errorf("%q: split as %q", in, got)
		}
	}
}

// hostileNames are the cases: a newline that breaks out of the
// "# Event <name>:" comment into a second document (a ClusterRoleBinding
// to cluster-admin), long enough that the CronJob's name (hashed past 52
// characters) and file name hold none of it; quotes, $() and newlines for
// the shell; YAML 1.1 line breaks; invalid UTF-8; a plan without a
// namespace.
var hostileNames = []names{
	{plan: "p", event: "spike-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: pwn}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}\nsubjects: [{kind: Group, name: system:authenticated}]",
		service: "svc", namespace: "ns", workload: "w", container: "c", rationale: "r"},
	{plan: "p\n---\nkind: Secret", event: "e", service: "svc", namespace: "ns", workload: "w",
		container: "c'; rm -rf / #\n$(id)`id`\"", rationale: "because\nrm -rf /\r# \u2028---\u2029\x85kind: X\xff"},
	{plan: "p", event: "e", service: "svc", namespace: "", workload: "w", container: "app", rationale: "no namespace"},
	{plan: "", event: "", service: "", namespace: "", workload: "", container: "", rationale: ""},
}

func TestRenderPatches_HostileNames(t *testing.T) {
	for i, n := range hostileNames {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			plan, rev := hostileReview(t, n)
			files, _, err := RenderPatches(plan, rev, PatchOptions{Generator: "headroom test"})
			if err != nil {
				t.Fatal(err)
			}
			checkPatchSet(t, files, n)
		})
	}
}

// TestRenderPatches_NoNamespace: a plan without namespaces gives commands
// without -n (kubectl's current namespace, as apply uses its -n or the
// context's), never `-n  --type` or `-n ""`.
func TestRenderPatches_NoNamespace(t *testing.T) {
	plan, rev := hostileReview(t, names{plan: "p", event: "e", service: "svc", workload: "w", container: "app", rationale: "r"})
	files, _, err := RenderPatches(plan, rev, PatchOptions{Generator: "headroom test"})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		for _, bad := range []string{"-n  ", `-n ""`, "- -n", "namespace: \"\"", "namespace: ''", "-n\n"} {
			if strings.Contains(string(f.Data), bad) {
				t.Errorf("%s holds %q:\n%s", f.Path, bad, f.Data)
			}
		}
	}
	var script string
	for _, f := range files {
		if f.Path == "kubectl-patches.sh" {
			script = string(f.Data)
		}
	}
	if !strings.Contains(script, "# No namespace in the plan: kubectl's current namespace") {
		t.Errorf("the script does not say which namespace:\n%s", script)
	}
}

// TestRenderPatches_PathNames: a name that would leave the directory (the
// issue's scenario "../../../../../../pwn") or make a subdirectory is
// refused by the renderer, and WriteDir refuses such a file name even when
// the renderer is bypassed: nothing lands outside the output directory.
func TestRenderPatches_PathNames(t *testing.T) {
	for _, n := range []names{
		{plan: "p", event: "../../../../../../pwn", service: "s", namespace: "ns", workload: "w", container: "c"},
		{plan: "p", event: "a/b", service: "s", namespace: "ns", workload: "w", container: "c"},
		{plan: "p", event: "e", service: "s", namespace: "../../x", workload: "w", container: "c"},
		{plan: "p", event: "e", service: "s", namespace: "ns", workload: "../w", container: "c"},
		{plan: "p", event: "e", service: "s", namespace: "ns", workload: strings.Repeat("w", 300), container: "c"},
	} {
		plan, rev := hostileReview(t, n)
		if _, _, err := RenderPatches(plan, rev, PatchOptions{}); err == nil || !strings.Contains(err.Error(), "cannot name a file") {
			t.Errorf("%+v: err = %v", n, err)
		}
	}
	parent := t.TempDir()
	dir := filepath.Join(parent, "out")
	old := []File{{Path: "report.json", Data: []byte(`{"old":1}`)}, {Path: "plots/a.svg", Data: []byte("<svg/>")}}
	if err := WriteDir(context.Background(), dir, old); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"patches/manifests/cronjob-prescale-../../../../../../pwn-api-raise.yaml", "../pwn.yaml", "/tmp/pwn.yaml", "patches/../../pwn.yaml"} {
		err := WriteDir(context.Background(), dir, []File{{Path: "report.json", Data: []byte("{}")}, {Path: p, Data: []byte("x")}})
		if err == nil {
			t.Errorf("%q written", p)
		}
	}
	if es, _ := os.ReadDir(parent); len(es) != 1 || es[0].Name() != "out" {
		t.Errorf("written beside the output directory: %v", es)
	}
	for _, f := range old {
		if b, err := os.ReadFile(filepath.Join(dir, f.Path)); err != nil || !bytes.Equal(b, f.Data) {
			t.Errorf("the old %s: %q %v", f.Path, b, err)
		}
	}
}

// FuzzPatchNames puts arbitrary names through the patch writer; whenever
// it writes, every file is exactly the objects intended and the script
// exactly the commands intended.
func FuzzPatchNames(f *testing.F) {
	for _, n := range hostileNames {
		f.Add(n.plan, n.event, n.service, n.namespace, n.workload, n.container, n.rationale)
	}
	f.Add("noa", "spike", "api", "prod", "api", "app", "x: y\n- z")
	f.Fuzz(func(t *testing.T, plan, event, service, namespace, workload, container, rationale string) {
		n := names{plan, event, service, namespace, workload, container, rationale}
		p, rev := hostileReview(t, n)
		files, _, err := RenderPatches(p, rev, PatchOptions{Generator: "headroom fuzz"})
		if err != nil {
			if !strings.Contains(err.Error(), "cannot name a file") && !strings.Contains(err.Error(), "is not UTF-8 or holds a control character") {
				t.Fatalf("unexpected error: %v", err)
			}
			return
		}
		checkPatchSet(t, files, n)
	})
}

// TestOpsText_StringsUntouched: the runbook spacing of a JSON patch does
// not change the text inside its strings (a container named "," or ":").
func TestOpsText_StringsUntouched(t *testing.T) {
	ops := []jsonOp{
		{Op: "test", Path: containerPath + "/name", Value: `a","b":c`},
		{Op: "add", Path: "/x", Value: map[string]any{"cpu": "1", "k\":": []any{1, true, nil}}},
	}
	got, err := opsText(ops)
	if err != nil {
		t.Fatal(err)
	}
	want := `[
    {"op": "test", "path": "/spec/template/spec/containers/0/name", "value": "a\",\"b\":c"},
    {"op": "add", "path": "/x", "value": {"cpu": "1", "k\":": [1, true, null]}}
  ]`
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	var back []jsonOp
	if err := json.Unmarshal([]byte(got), &back); err != nil || back[0].Value != ops[0].Value {
		t.Errorf("round trip: %v %v", back, err)
	}
}
