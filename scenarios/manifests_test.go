package scenarios

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseManifests_NOA(t *testing.T) {
	files, _ := filepath.Glob("../cmd/headroom/testdata/noa-manifests/*.yaml")
	kinds := map[string]int{}
	for _, f := range files {
		objs, skipped, err := LoadManifests(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range objs {
			kinds[o.Kind]++
		}
		for _, s := range skipped {
			if !strings.Contains(s, "Service noa-mcp") {
				t.Errorf("unexpected skip: %s", s)
			}
		}
	}
	if kinds["Deployment"] != 4 || kinds["StatefulSet"] != 2 || kinds["HorizontalPodAutoscaler"] != 4 {
		t.Errorf("kinds = %v, want 4 Deployments, 2 StatefulSets, 4 HPAs", kinds)
	}
}

func TestParseManifests_Errors(t *testing.T) {
	for _, tc := range []struct{ name, text, want string }{
		{"autoscaling/v1 HPA", "apiVersion: autoscaling/v1\nkind: HorizontalPodAutoscaler\nmetadata: {name: h}\nspec: {scaleTargetRef: {kind: Deployment, name: a}, maxReplicas: 2}\n",
			`m.yaml:1:13: apiVersion: a HorizontalPodAutoscaler must be autoscaling/v2, got "autoscaling/v1" (convert older HPAs with kubectl convert)`},
		{"apps/v1beta1", "apiVersion: apps/v1beta1\nkind: Deployment\nmetadata: {name: a}\n", `m.yaml:1:13: apiVersion: a Deployment must be apps/v1, got "apps/v1beta1"`},
		{"no name", "---\napiVersion: apps/v1\nkind: StatefulSet\nmetadata: {}\n", "m.yaml:4:11: metadata.name: is required"},
		{"invalid HPA", "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: h}\nspec: {scaleTargetRef: {kind: Deployment, name: a}, maxReplicas: 0}\n",
			"m.yaml:4:66: spec.maxReplicas: must be greater than 0"},
		{"no kind", "apiVersion: v1\nmetadata: {name: x}\n", "expected a Kubernetes object with apiVersion and kind"},
		{"a scalar", "hello\n", "m.yaml:1:1"},
		{"second document", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: b}\nspec: {replicas: many}\n", "m.yaml:8:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := ParseManifests("m.yaml", []byte(tc.text))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func FuzzParseManifests(f *testing.F) {
	files, _ := filepath.Glob("../cmd/headroom/testdata/noa-manifests/*.yaml")
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("apiVersion: v1\nkind: List\nitems: []\n"))
	f.Add([]byte("---\n---\nkind: Deployment\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		objs, _, err := ParseManifests("f.yaml", data)
		if err != nil {
			return
		}
		for _, o := range objs {
			n := 0
			if o.Deployment != nil {
				n++
			}
			if o.StatefulSet != nil {
				n++
			}
			if o.HPA != nil {
				n++
			}
			if n != 1 || o.Line < 1 {
				t.Fatalf("object %+v: %d kinds set, line %d", o, n, o.Line)
			}
		}
	})
}
