package cluster

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

// describeSet lists a PatchSet as "op kind/name file:line" lines.
func describeSet(set *PatchSet) []string {
	var out []string
	for _, o := range set.Objects {
		out = append(out, fmt.Sprintf("%s %s/%s %s", o.Op, o.Obj.GetKind(), o.Obj.GetName(), o.Where()))
	}
	return out
}

func TestReadPatchDir_Fixture(t *testing.T) {
	set, err := ReadPatchDir(os.DirFS("testdata/patches"), ".")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"apply ServiceAccount/noa-mcp-scaler manifests/cronjob-noa-mcp.yaml:3",
		"apply Role/noa-mcp-scaler manifests/cronjob-noa-mcp.yaml:9",
		"apply RoleBinding/noa-mcp-scaler manifests/cronjob-noa-mcp.yaml:24",
		"apply VerticalPodAutoscaler/noa-mcp-vpa manifests/vpa-noa-mcp.yaml:1",
		"apply CronJob/noa-mcp-scale-up-peak-traffic manifests/cronjob-noa-mcp.yaml:38",
		"patch Deployment/noa-mcp strategic/deployment-noa-mcp.yaml:1",
		"patch HorizontalPodAutoscaler/noa-mcp-hpa strategic/horizontalpodautoscaler-noa-mcp-hpa.yaml:1",
	}
	if diff := cmp.Diff(want, describeSet(set)); diff != "" {
		t.Errorf("objects (-want +got):\n%s", diff)
	}
}

const deployPatch = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: ns}
spec: {replicas: 2}
`

const saYAML = `apiVersion: v1
kind: ServiceAccount
metadata: {name: sa}
`

func TestReadPatchDir(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  []string // describeSet, or
		err   string   // a substring of the error
	}{{
		name:  "no kustomization: every YAML file, in path order, applied",
		files: map[string]string{"b/x.yaml": deployPatch, "a.yml": "# comment only\n---\n" + saYAML, "notes.txt": "not yaml"},
		want:  []string{"apply ServiceAccount/sa a.yml:3", "apply Deployment/web b/x.yaml:1"},
	}, {
		name: "inline patch and patchesStrategicMerge",
		files: map[string]string{
			"kustomization.yaml": "patches:\n- patch: |\n    " + strings.ReplaceAll(strings.TrimSpace(deployPatch), "\n", "\n    ") + "\npatchesStrategicMerge: [p.yaml]\n",
			"p.yaml":             strings.Replace(deployPatch, "web", "api", 1)},
		want: []string{"patch Deployment/web kustomization.yaml patches[0].patch:1", "patch Deployment/api p.yaml:1"},
	}, {
		name:  "kustomization.yml is a kustomization too",
		files: map[string]string{"kustomization.yml": "patches: [{path: p.yaml}]\n", "p.yaml": deployPatch},
		want:  []string{"patch Deployment/web p.yaml:1"},
	}, {
		name:  "fields kustomize has and headroom apply does not",
		files: map[string]string{"kustomization.yaml": "resources: [a.yaml]\nnamePrefix: prod-\n", "a.yaml": saYAML},
		err:   "kustomization.yaml:2:1: namePrefix: unknown field \"namePrefix\"",
	}, {
		name:  "patch target",
		files: map[string]string{"kustomization.yaml": "patches:\n- path: p.yaml\n  target: {kind: Deployment}\n", "p.yaml": deployPatch},
		err:   "kustomization.yaml:3:11: patches[0].target: headroom apply patches the object each patch names",
	}, {
		name:  "a path leaving the directory",
		files: map[string]string{"kustomization.yaml": "resources:\n- ../../etc/passwd\n"},
		err:   "kustomization.yaml:2:3: resources[0]: \"../../etc/passwd\" must be a relative path inside the patches directory",
	}, {
		name:  "an absolute path",
		files: map[string]string{"kustomization.yaml": "resources: [/etc/passwd]\n"},
		err:   "resources[0]: \"/etc/passwd\" must be a relative path",
	}, {
		name:  "a remote base",
		files: map[string]string{"kustomization.yaml": "resources: [\"https://github.com/x/y//base\"]\n"},
		err:   "is remote; headroom apply reads local files only",
	}, {
		name:  "a missing file",
		files: map[string]string{"kustomization.yaml": "resources: [gone.yaml]\n"},
		err:   "kustomization.yaml: resources[0]: gone.yaml does not exist",
	}, {
		name:  "a directory as a resource",
		files: map[string]string{"kustomization.yaml": "resources: [base]\n", "base/a.yaml": saYAML},
		err:   "base is a directory; headroom apply reads files only",
	}, {
		name:  "the same object twice",
		files: map[string]string{"kustomization.yaml": "resources: [a.yaml, b.yaml]\n", "a.yaml": saYAML, "b.yaml": "# x\n" + saYAML},
		err:   "b.yaml:2: ServiceAccount sa is also at a.yaml:1",
	}, {
		name:  "a YAML error is located in its file",
		files: map[string]string{"kustomization.yaml": "resources: [a.yaml]\n", "a.yaml": saYAML + "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c\n"},
		err:   "a.yaml:5: ",
	}, {
		name:  "a duplicate key",
		files: map[string]string{"kustomization.yaml": "resources: [a.yaml]\n", "a.yaml": saYAML + "kind: Secret\n"},
		err:   "a.yaml:1: ",
	}, {
		name:  "an object without a name",
		files: map[string]string{"kustomization.yaml": "resources: [a.yaml]\n", "a.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n"},
		err:   "a.yaml:1: ConfigMap : needs metadata.name",
	}, {
		name:  "a list",
		files: map[string]string{"kustomization.yaml": "resources: [a.yaml]\n", "a.yaml": "apiVersion: v1\nkind: List\nitems: []\n"},
		err:   "a.yaml:1: List is a list",
	}, {
		name:  "a scalar document",
		files: map[string]string{"kustomization.yaml": "resources: [a.yaml]\n", "a.yaml": "just text\n"},
		err:   "a.yaml:1: not a Kubernetes object",
	}, {
		name:  "an empty kustomization",
		files: map[string]string{"kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"},
		err:   "names no resources and no patches",
	}, {
		name:  "a Component, as headroom report writes",
		files: map[string]string{"kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources: [a.yaml]\n", "a.yaml": saYAML},
		want:  []string{"apply ServiceAccount/sa a.yaml:1"},
	}, {
		name:  "another kind",
		files: map[string]string{"kustomization.yaml": "kind: Overlay\nresources: [a.yaml]\n", "a.yaml": saYAML},
		err:   "kustomization.yaml:1:7: kind: must be Kustomization or Component",
	}, {
		name:  "an empty directory",
		files: map[string]string{"README": "x"},
		err:   "no kustomization.yaml and no YAML objects",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			fsys := fstest.MapFS{}
			for name, body := range tc.files {
				fsys["dir/"+name] = &fstest.MapFile{Data: []byte(body)}
			}
			set, err := ReadPatchDir(fsys, "dir")
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want it to contain %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, describeSet(set)); diff != "" {
				t.Errorf("objects (-want +got):\n%s", diff)
			}
		})
	}
}

// FuzzReadPatchDir feeds arbitrary kustomization.yaml and manifest files to
// the reader: it must return objects or an error, never panic, and every
// object it returns must have a kind and a name.
func FuzzReadPatchDir(f *testing.F) {
	for _, name := range []string{"testdata/patches/kustomization.yaml", "testdata/patches/manifests/cronjob-noa-mcp.yaml"} {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b), deployPatch)
	}
	f.Add("resources: [m.yaml]\npatches: [{path: m.yaml}]\n", saYAML)
	f.Add("patches:\n- patch: |\n    kind: X\n", "---\n---\n")
	f.Add("resources: [m.yaml, m.yaml]\n", "apiVersion: v1\nkind: List\nitems: [{}]\n")
	f.Add("resources: *a\n", "a: &a [1]\nb: *a\n")
	// components: the fuzzed kustomization is also the component c/ (which
	// may include itself, or m.yaml as a directory).
	f.Add("kind: Component\ncomponents: [c]\n", "kind: Component\nresources: [../m.yaml]\n")
	f.Add("components: [c, c/../c, m.yaml]\n", "kind: Component\ncomponents: [.]\n")
	f.Fuzz(func(t *testing.T, kustomization, manifest string) {
		fsys := fstest.MapFS{
			"d/kustomization.yaml":   &fstest.MapFile{Data: []byte(kustomization)},
			"d/c/kustomization.yaml": &fstest.MapFile{Data: []byte(manifest)},
			"d/c/m.yaml":             &fstest.MapFile{Data: []byte(saYAML)},
			"d/m.yaml":               &fstest.MapFile{Data: []byte(manifest)},
			"d/strategic/p.yaml":     &fstest.MapFile{Data: []byte(deployPatch)},
		}
		set, err := ReadPatchDir(fsys, "d")
		if err != nil {
			return
		}
		for _, o := range set.Objects {
			if o.Obj.GetKind() == "" || o.Obj.GetName() == "" || o.Line < 1 {
				t.Errorf("object without kind, name or line: %+v", o)
			}
		}
	})
}

// TestReadPatchDir_Components reads the layout headroom report writes (the
// NOA golden patches: a top-level Component including hpa/, requests/ and
// prescale/)
// through an os.Root, as headroom apply does, and refuses components that
// leave the directory, loop, or are not Components.
func TestReadPatchDir_Components(t *testing.T) {
	root, err := os.OpenRoot("../reports/testdata/golden/noa/patches")
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	set, err := ReadPatchDir(root.FS(), ".")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, o := range set.Objects {
		got[o.Op.String()+" "+o.Obj.GetKind()]++
		patchDir := "hpa/"
		if o.Obj.GetKind() != "HorizontalPodAutoscaler" {
			patchDir = "requests/"
		}
		if o.Op == OpPatch && !strings.HasPrefix(o.File, patchDir) || o.Op == OpApply && !strings.HasPrefix(o.File, "prescale/") {
			t.Errorf("%s %s from %s", o.Op, o.Obj.GetName(), o.Where())
		}
	}
	// The recommender's NOA proposal: HPAs of noa-mcp and noa-workers, CPU
	// of the fixed-size noa-postgres and noa-redis StatefulSets.
	want := map[string]int{"patch HorizontalPodAutoscaler": 2, "patch StatefulSet": 2, "apply CronJob": 6, "apply ServiceAccount": 1, "apply Role": 1, "apply RoleBinding": 1}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("objects (-want +got):\n%s", diff)
	}
	if k := set.Objects[0].Obj.GetKind(); k != "ServiceAccount" {
		t.Errorf("first object %s; the identity goes before the CronJobs", k)
	}

	comp := func(body string) string {
		return "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n" + body
	}
	for _, tc := range []struct {
		name  string
		files map[string]string
		err   string
	}{
		{"leaves the directory", map[string]string{"kustomization.yaml": comp("components: [../x]\n")}, "must be a relative path inside the patches directory"},
		{"includes itself", map[string]string{"kustomization.yaml": comp("components: [a]\n"), "a/kustomization.yaml": comp("components: [../a]\n")}, "must be a relative path inside"},
		{"included twice", map[string]string{"kustomization.yaml": comp("components: [a, b]\n"), "a/kustomization.yaml": comp("resources: [sa.yaml]\n"), "a/sa.yaml": saYAML, "b/kustomization.yaml": comp("components: [../a]\n")}, "must be a relative path inside"},
		{"twice from the top", map[string]string{"kustomization.yaml": comp("components: [a, ./a]\n"), "a/kustomization.yaml": comp("resources: [sa.yaml]\n"), "a/sa.yaml": saYAML}, "a is included twice"},
		{"not a Component", map[string]string{"kustomization.yaml": comp("components: [a]\n"), "a/kustomization.yaml": "kind: Kustomization\nresources: [sa.yaml]\n", "a/sa.yaml": saYAML}, `a/kustomization.yaml: kind "Kustomization"`},
		{"no kustomization", map[string]string{"kustomization.yaml": comp("components: [a]\n"), "a/sa.yaml": saYAML}, "component a: no kustomization.yaml"},
		{"bad file in a component", map[string]string{"kustomization.yaml": comp("components: [a]\n"), "a/kustomization.yaml": comp("resources: [sa.yaml]\n"), "a/sa.yaml": "kind: ServiceAccount\n"}, "a/sa.yaml:1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fsys := fstest.MapFS{}
			for p, d := range tc.files {
				fsys[p] = &fstest.MapFile{Data: []byte(d)}
			}
			_, err := ReadPatchDir(fsys, ".")
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("err = %v, want %q", err, tc.err)
			}
		})
	}
}
