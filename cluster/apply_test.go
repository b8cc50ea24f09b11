package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
	"k8s.io/apimachinery/pkg/util/validation/field"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/scheme"
	k8stesting "k8s.io/client-go/testing"
)

// fakeServer answers the dynamic client's get and patch like an API server
// would for these tests: strategic-merge patches on the typed object,
// server-side apply as "the object becomes what was applied", dry runs
// computed and not stored. reject, when set, refuses an object by its
// result as a validation error would.
type fakeServer struct {
	objs   map[string]*unstructured.Unstructured
	calls  []string // "dry-run|write patch-type resource/name"
	reject func(*unstructured.Unstructured) error
}

func key(gvr schema.GroupVersionResource, ns, name string) string {
	return gvr.Resource + "/" + ns + "/" + name
}

func (s *fakeServer) client(t *testing.T) *dynamicfake.FakeDynamicClient {
	dyn := dynamicfake.NewSimpleDynamicClient(runtime.NewScheme())
	dyn.PrependReactor("get", "*", func(a k8stesting.Action) (bool, runtime.Object, error) {
		g := a.(k8stesting.GetAction)
		if o, ok := s.objs[key(g.GetResource(), g.GetNamespace(), g.GetName())]; ok {
			return true, o.DeepCopy(), nil
		}
		return true, nil, apierrors.NewNotFound(g.GetResource().GroupResource(), g.GetName())
	})
	dyn.PrependReactor("patch", "*", func(a k8stesting.Action) (bool, runtime.Object, error) {
		p := a.(k8stesting.PatchActionImpl)
		dry := slices.Equal(p.PatchOptions.DryRun, []string{metav1.DryRunAll})
		if p.PatchOptions.FieldManager != FieldManager {
			t.Errorf("field manager %q, want %q", p.PatchOptions.FieldManager, FieldManager)
		}
		mode := "write"
		if dry {
			mode = "dry-run"
		}
		s.calls = append(s.calls, fmt.Sprintf("%s %s %s/%s", mode, p.GetPatchType(), p.GetResource().Resource, p.GetName()))
		k := key(p.GetResource(), p.GetNamespace(), p.GetName())
		live, exists := s.objs[k]
		var result []byte
		switch p.GetPatchType() {
		case types.ApplyPatchType:
			if p.PatchOptions.Force == nil {
				t.Error("server-side apply without force set")
			}
			result = p.GetPatch()
		case types.StrategicMergePatchType:
			if !exists {
				return true, nil, apierrors.NewNotFound(p.GetResource().GroupResource(), p.GetName())
			}
			typed, err := scheme.Scheme.New(live.GroupVersionKind())
			if err != nil {
				return true, nil, err
			}
			orig, _ := live.MarshalJSON()
			result, err = strategicpatch.StrategicMergePatch(orig, p.GetPatch(), typed)
			if err != nil {
				return true, nil, apierrors.NewBadRequest(err.Error())
			}
		default:
			return true, nil, apierrors.NewBadRequest("unsupported patch type " + string(p.GetPatchType()))
		}
		out := &unstructured.Unstructured{}
		if err := out.UnmarshalJSON(result); err != nil {
			return true, nil, err
		}
		if s.reject != nil {
			if err := s.reject(out); err != nil {
				return true, nil, err
			}
		}
		out.SetResourceVersion("2")
		if !dry {
			s.objs[k] = out.DeepCopy()
		}
		return true, out, nil
	})
	return dyn
}

func toUnstructured(t *testing.T, obj runtime.Object) *unstructured.Unstructured {
	t.Helper()
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		t.Fatal(err)
	}
	u := &unstructured.Unstructured{Object: m}
	gvks, _, err := scheme.Scheme.ObjectKinds(obj)
	if err != nil {
		t.Fatal(err)
	}
	u.SetGroupVersionKind(gvks[0])
	u.SetResourceVersion("1")
	return u
}

// testMapper knows the kinds of the fixture, and one cluster-scoped kind.
func testMapper() meta.RESTMapper {
	m := meta.NewDefaultRESTMapper(nil)
	for _, k := range []struct {
		gv   schema.GroupVersion
		kind string
	}{
		{schema.GroupVersion{Version: "v1"}, "ServiceAccount"},
		{schema.GroupVersion{Group: "rbac.authorization.k8s.io", Version: "v1"}, "Role"},
		{schema.GroupVersion{Group: "rbac.authorization.k8s.io", Version: "v1"}, "RoleBinding"},
		{schema.GroupVersion{Group: "batch", Version: "v1"}, "CronJob"},
		{schema.GroupVersion{Group: "apps", Version: "v1"}, "Deployment"},
		{schema.GroupVersion{Group: "autoscaling", Version: "v2"}, "HorizontalPodAutoscaler"},
		{schema.GroupVersion{Group: "autoscaling.k8s.io", Version: "v1"}, "VerticalPodAutoscaler"},
	} {
		m.Add(k.gv.WithKind(k.kind), meta.RESTScopeNamespace)
	}
	m.Add(schema.GroupVersionKind{Group: "rbac.authorization.k8s.io", Version: "v1", Kind: "ClusterRole"}, meta.RESTScopeRoot)
	return m
}

func noaServer(t *testing.T) *fakeServer {
	s := &fakeServer{objs: map[string]*unstructured.Unstructured{}}
	for _, o := range []runtime.Object{noaMCP(), noaMCPHPA()} {
		u := toUnstructured(t, o)
		gvr, _ := meta.UnsafeGuessKindToResource(u.GroupVersionKind())
		s.objs[key(gvr, u.GetNamespace(), u.GetName())] = u
	}
	return s
}

func fixtureSet(t *testing.T) *PatchSet {
	set, err := ReadPatchDir(os.DirFS("testdata/patches"), ".")
	if err != nil {
		t.Fatal(err)
	}
	return set
}

func summarize(outs []Outcome) []string {
	var s []string
	for _, o := range outs {
		line := fmt.Sprintf("%s %s -n %s", o.Action, o.Name(), o.Namespace)
		if o.Err != nil {
			line += ": " + o.Err.Error()
		}
		s = append(s, line)
	}
	return s
}

func changes(o Outcome) []string {
	var s []string
	for _, c := range o.Changes {
		s = append(s, c.String())
	}
	return s
}

func TestApplier_DryRunFixture(t *testing.T) {
	srv := noaServer(t)
	a := &Applier{Dynamic: srv.client(t), Mapper: testMapper(), Namespace: "default"}
	before := fmt.Sprint(srv.objs)
	outs, err := a.DryRun(context.Background(), fixtureSet(t))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"create serviceaccounts/noa-mcp-scaler -n noa-server",
		"create roles.rbac.authorization.k8s.io/noa-mcp-scaler -n noa-server",
		"create rolebindings.rbac.authorization.k8s.io/noa-mcp-scaler -n noa-server",
		"create verticalpodautoscalers.autoscaling.k8s.io/noa-mcp-vpa -n noa-server",
		"create cronjobs.batch/noa-mcp-scale-up-peak-traffic -n noa-server",
		"change deployments.apps/noa-mcp -n noa-server",
		"change horizontalpodautoscalers.autoscaling/noa-mcp-hpa -n noa-server",
	}
	if diff := cmp.Diff(want, summarize(outs)); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
	if Rejected(outs) {
		t.Error("Rejected = true")
	}
	wantDeploy := []string{
		`~ spec.template.spec.containers[name=noa-mcp].resources.limits.cpu: "500m" → "1"`,
		`~ spec.template.spec.containers[name=noa-mcp].resources.limits.memory: "512Mi" → "1Gi"`,
		`~ spec.template.spec.containers[name=noa-mcp].resources.requests.cpu: "500m" → "750m"`,
		`~ spec.template.spec.containers[name=noa-mcp].resources.requests.memory: "512Mi" → "768Mi"`,
	}
	if diff := cmp.Diff(wantDeploy, changes(outs[5])); diff != "" {
		t.Errorf("deployment changes (-want +got):\n%s", diff)
	}
	wantHPA := []string{
		`~ spec.maxReplicas: 10 → 13`,
		`~ spec.metrics[0].resource.target.averageUtilization: 70 → 47`,
	}
	if diff := cmp.Diff(wantHPA, changes(outs[6])); diff != "" {
		t.Errorf("HPA changes (-want +got):\n%s", diff)
	}
	for _, c := range srv.calls {
		if !strings.HasPrefix(c, "dry-run ") {
			t.Errorf("DryRun made a real write: %s", c)
		}
	}
	if !slices.Contains(srv.calls, "dry-run application/strategic-merge-patch+json deployments/noa-mcp") ||
		!slices.Contains(srv.calls, "dry-run application/apply-patch+yaml verticalpodautoscalers/noa-mcp-vpa") {
		t.Errorf("calls %q: want a strategic patch of the Deployment and an apply of the VPA", srv.calls)
	}
	if fmt.Sprint(srv.objs) != before {
		t.Error("the dry run changed the store")
	}
}

func TestApplier_ApplyStopsOnRejection(t *testing.T) {
	srv := noaServer(t)
	srv.reject = func(u *unstructured.Unstructured) error {
		if u.GetKind() != "HorizontalPodAutoscaler" {
			return nil
		}
		maxR, _, _ := unstructured.NestedInt64(u.Object, "spec", "maxReplicas")
		if maxR > 12 {
			return apierrors.NewInvalid(schema.GroupKind{Group: "autoscaling", Kind: "HorizontalPodAutoscaler"}, u.GetName(),
				field.ErrorList{field.Invalid(field.NewPath("spec", "maxReplicas"), maxR, "test quota is 12")})
		}
		return nil
	}
	a := &Applier{Dynamic: srv.client(t), Mapper: testMapper(), Namespace: "default"}
	outs, err := a.Apply(context.Background(), fixtureSet(t))
	if !errors.Is(err, ErrDryRunRejected) {
		t.Fatalf("err = %v, want ErrDryRunRejected", err)
	}
	last := outs[len(outs)-1]
	const msg = `HorizontalPodAutoscaler.autoscaling "noa-mcp-hpa" is invalid: spec.maxReplicas: Invalid value: 13: test quota is 12`
	if last.Action != ActionRejected || last.Err == nil || last.Err.Error() != msg {
		t.Errorf("last outcome %s %v, want rejected with %q", last.Action, last.Err, msg)
	}
	if len(srv.calls) != len(outs) {
		t.Errorf("%d calls for %d objects: %q", len(srv.calls), len(outs), srv.calls)
	}
	for _, c := range srv.calls {
		if !strings.HasPrefix(c, "dry-run ") {
			t.Errorf("a rejected dry run still wrote: %s", c)
		}
	}
}

func TestApplier_Apply(t *testing.T) {
	srv := noaServer(t)
	a := &Applier{Dynamic: srv.client(t), Mapper: testMapper(), Namespace: "default"}
	set := fixtureSet(t)
	outs, err := a.Apply(context.Background(), set)
	if err != nil {
		t.Fatal(err)
	}
	n := len(set.Objects)
	if len(srv.calls) != 2*n || len(outs) != n {
		t.Fatalf("%d calls, %d outcomes; want %d dry runs then %d writes", len(srv.calls), len(outs), n, n)
	}
	for i, c := range srv.calls {
		if want := i < n; strings.HasPrefix(c, "dry-run ") != want {
			t.Errorf("call %d = %s; want every dry run before every write", i, c)
		}
	}
	d := srv.objs["deployments/noa-server/noa-mcp"]
	cs, _, _ := unstructured.NestedSlice(d.Object, "spec", "template", "spec", "containers")
	got, _ := json.Marshal(cs[0].(map[string]any)["resources"])
	if string(got) != `{"limits":{"cpu":"1","memory":"1Gi"},"requests":{"cpu":"750m","memory":"768Mi"}}` {
		t.Errorf("deployment resources after apply = %s", got)
	}
	if _, ok := srv.objs["cronjobs/noa-server/noa-mcp-scale-up-peak-traffic"]; !ok {
		t.Error("the CronJob was not created")
	}
	// Applying again changes nothing.
	srv.calls = nil
	outs, err = a.DryRun(context.Background(), set)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range outs {
		if o.Action != ActionUnchanged {
			t.Errorf("second dry run: %s %s %q", o.Action, o.Name(), changes(o))
		}
	}
}

func TestApplier_Objects(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		op         Op
		want       string // summarize line
	}{{
		name: "no namespace: the default one",
		yaml: "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: sa}\n",
		want: "create serviceaccounts/sa -n team",
	}, {
		name: "cluster-scoped: the namespace is dropped",
		yaml: "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: r, namespace: x}\nrules: []\n",
		want: "create clusterroles.rbac.authorization.k8s.io/r -n ",
	}, {
		name: "a kind the server does not have",
		yaml: "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n",
		want: `rejected widget/w -n : the server has no Widget in example.com/v1: no matches for kind "Widget" in version "example.com/v1"`,
	}, {
		name: "a patch of a missing object: the server's message",
		yaml: "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: gone, namespace: noa-server}\nspec: {replicas: 2}\n",
		op:   OpPatch,
		want: `rejected deployments.apps/gone -n noa-server: deployments.apps "gone" not found`,
	}, {
		name: "a patch that changes nothing",
		yaml: "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: noa-mcp, namespace: noa-server}\nspec: {replicas: 3}\n",
		op:   OpPatch,
		want: "unchanged deployments.apps/noa-mcp -n noa-server",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			objs, err := parseManifests("x.yaml", 1, []byte(tc.yaml), tc.op)
			if err != nil {
				t.Fatal(err)
			}
			srv := noaServer(t)
			a := &Applier{Dynamic: srv.client(t), Mapper: testMapper(), Namespace: "team"}
			outs, err := a.DryRun(context.Background(), &PatchSet{Objects: objs})
			if err != nil {
				t.Fatal(err)
			}
			if got := summarize(outs)[0]; got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestDiff(t *testing.T) {
	old := map[string]any{
		"metadata": map[string]any{"name": "x", "resourceVersion": "1", "managedFields": []any{"a"}},
		"spec": map[string]any{
			"containers": []any{map[string]any{"name": "a", "image": "a:1"}, map[string]any{"name": "b", "image": "b:1"}},
			"args":       []any{"x", "y"},
			"gone":       true,
		},
		"status": map[string]any{"replicas": int64(3)},
	}
	new := map[string]any{
		"metadata": map[string]any{"name": "x", "resourceVersion": "2"},
		"spec": map[string]any{
			"containers": []any{map[string]any{"name": "b", "image": "b:2"}, map[string]any{"name": "a", "image": "a:1"}},
			"args":       []any{"x", "z"},
			"empty":      map[string]any{},
		},
		"status": map[string]any{"replicas": int64(4)},
	}
	want := []string{
		`~ spec.args[1]: "y" → "z"`,
		`~ spec.containers[name=b].image: "b:1" → "b:2"`,
		`+ spec.empty: {}`,
		`- spec.gone: true`,
	}
	var got []string
	for _, c := range Diff(old, new) {
		got = append(got, c.String())
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Diff (-want +got):\n%s", diff)
	}
}

// BenchmarkDiff compares two versions of the runbook's Deployment, the
// work apply does per object after the dry run.
func BenchmarkDiff(b *testing.B) {
	t := &testing.T{}
	old := toUnstructured(t, noaMCP())
	d := noaMCP()
	d.Spec.Replicas = ptr[int32](6)
	new := toUnstructured(t, d)
	b.ReportAllocs()
	for b.Loop() {
		Diff(old.Object, new.Object)
	}
}
