package cluster

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	kubefake "k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/headroom-dev/headroom/scenarios"
)

var update = flag.Bool("update", false, "rewrite golden files")

func ptr[T any](v T) *T { return &v }

func resources(reqCPU, reqMem, limCPU, limMem string) corev1.ResourceRequirements {
	r := corev1.ResourceRequirements{Requests: corev1.ResourceList{}, Limits: corev1.ResourceList{}}
	for k, v := range map[corev1.ResourceName]string{corev1.ResourceCPU: reqCPU, corev1.ResourceMemory: reqMem} {
		if v != "" {
			r.Requests[k] = resource.MustParse(v)
		}
	}
	for k, v := range map[corev1.ResourceName]string{corev1.ResourceCPU: limCPU, corev1.ResourceMemory: limMem} {
		if v != "" {
			r.Limits[k] = resource.MustParse(v)
		}
	}
	return r
}

func deployment(ns, name string, replicas *int32, containers ...corev1.Container) *appsv1.Deployment {
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: appsv1.DeploymentSpec{
			Replicas: replicas,
			Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: containers}},
		},
	}
}

// noaMCPHPA is the runbook's noa-mcp-hpa as the API server returns it:
// selectPolicy is defaulted to Max in both directions.
func noaMCPHPA() *autoscalingv2.HorizontalPodAutoscaler {
	util := func(name corev1.ResourceName, pct int32) autoscalingv2.MetricSpec {
		return autoscalingv2.MetricSpec{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricSource{
			Name: name, Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: ptr(pct)}}}
	}
	max := autoscalingv2.MaxChangePolicySelect
	return &autoscalingv2.HorizontalPodAutoscaler{
		ObjectMeta: metav1.ObjectMeta{Namespace: "noa-server", Name: "noa-mcp-hpa"},
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: "noa-mcp"},
			MinReplicas:    ptr[int32](3),
			MaxReplicas:    10,
			Metrics:        []autoscalingv2.MetricSpec{util(corev1.ResourceCPU, 70), util(corev1.ResourceMemory, 80)},
			Behavior: &autoscalingv2.HorizontalPodAutoscalerBehavior{
				ScaleUp: &autoscalingv2.HPAScalingRules{StabilizationWindowSeconds: ptr[int32](60), SelectPolicy: &max,
					Policies: []autoscalingv2.HPAScalingPolicy{{Type: autoscalingv2.PercentScalingPolicy, Value: 50, PeriodSeconds: 60}}},
				ScaleDown: &autoscalingv2.HPAScalingRules{StabilizationWindowSeconds: ptr[int32](300), SelectPolicy: &max,
					Policies: []autoscalingv2.HPAScalingPolicy{{Type: autoscalingv2.PercentScalingPolicy, Value: 25, PeriodSeconds: 60}}},
			},
		},
	}
}

func noaMCP() *appsv1.Deployment {
	return deployment("noa-server", "noa-mcp", ptr[int32](3),
		corev1.Container{Name: "noa-mcp", Image: "noa/mcp:1", Resources: resources("500m", "512Mi", "500m", "512Mi")})
}

func vpa(ns, name, kind, target, mode string, recs ...map[string]any) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "autoscaling.k8s.io/v1",
		"kind":       "VerticalPodAutoscaler",
		"metadata":   map[string]any{"namespace": ns, "name": name},
		"spec": map[string]any{
			"targetRef":    map[string]any{"apiVersion": "apps/v1", "kind": kind, "name": target},
			"updatePolicy": map[string]any{"updateMode": mode},
		},
	}}
	if len(recs) > 0 {
		items := make([]any, len(recs))
		for i, r := range recs {
			items[i] = r
		}
		u.Object["status"] = map[string]any{"recommendation": map[string]any{"containerRecommendations": items}}
	}
	return u
}

// fakeDynamic serves VPAs; vpaErr, when set, is what listing them returns.
func fakeDynamic(vpaErr error, objs ...runtime.Object) *dynamicfake.FakeDynamicClient {
	dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(),
		map[schema.GroupVersionResource]string{VPAResource: "VerticalPodAutoscalerList"}, objs...)
	if vpaErr != nil {
		dyn.PrependReactor("list", "verticalpodautoscalers", func(k8stesting.Action) (bool, runtime.Object, error) {
			return true, nil, vpaErr
		})
	}
	return dyn
}

var vpaNotFound = apierrors.NewNotFound(schema.GroupResource{Group: "autoscaling.k8s.io", Resource: "verticalpodautoscalers"}, "")

func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./cluster -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (go test ./cluster -update rewrites it):\n%s", path, cmp.Diff(string(want), string(got)))
	}
}

// TestDiscover_NOA discovers the runbook's noa-mcp without a VPA CRD. The
// golden file is also what the e2e suite expects from a real API server.
func TestDiscover_NOA(t *testing.T) {
	kube := kubefake.NewClientset(noaMCP(), noaMCPHPA(),
		deployment("other", "elsewhere", ptr[int32](1), corev1.Container{Name: "x"}))
	d, err := Discover(context.Background(), kube, fakeDynamic(vpaNotFound), "noa-server")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"the VerticalPodAutoscaler CRD (autoscaling.k8s.io/v1) is not installed; VPAs skipped"}
	if diff := cmp.Diff(want, d.Notes); diff != "" {
		t.Errorf("notes (-want +got):\n%s", diff)
	}
	out, err := d.WritePlan()
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "discover-noa-server.golden.yaml", out)
	again, _ := d.WritePlan()
	if !bytes.Equal(out, again) {
		t.Error("WritePlan is not deterministic")
	}
}

// TestDiscoveredPlan_Parse pins the decision that a discovered plan does
// not parse until its placeholders are filled: scenarios.Parse names each
// placeholder with its line, and with them filled the plan parses and holds
// the runbook's noa-mcp exactly as the bundled example does.
func TestDiscoveredPlan_Parse(t *testing.T) {
	data, err := os.ReadFile("testdata/discover-noa-server.golden.yaml")
	if err != nil {
		t.Fatal(err)
	}
	_, err = scenarios.Parse("plan.yaml", data)
	var fes scenarios.FieldErrors
	if !errors.As(err, &fes) {
		t.Fatalf("Parse = %v, want FieldErrors for the placeholders", err)
	}
	var got []string
	for _, e := range fes {
		if e.Line == 0 {
			t.Errorf("%v has no line", e)
		}
		got = append(got, e.Path)
	}
	want := []string{
		"services[noa-mcp].requestRate",
		"services[noa-mcp].serviceTime.mean",
		"services[noa-mcp].concurrency",
		"services[noa-mcp].cpu",
		"services[noa-mcp].memory.base",
		"cluster.nodeTypes",
	}
	slices.Sort(got)
	slices.Sort(want)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Parse error paths (-want +got):\n%s\n%v", diff, err)
	}
	// Every error lands on a line whose comment above says TODO.
	lines := strings.Split(string(data), "\n")
	for _, e := range fes {
		if e.Line < 2 || !strings.Contains(lines[e.Line-2], "TODO: measure (headroom observe)") {
			t.Errorf("%v: the line above is %q, want the TODO comment", e, lines[e.Line-2])
		}
	}

	filled := fill(string(data), map[string]string{
		"requestRate: 0/s":         "requestRate: 1000/min",
		"mean: 0s":                 "mean: 250ms",
		"concurrency: 0":           "concurrency: 2",
		"cpu: {}":                  "cpu: {observedPerPod: 350m}",
		"base: \"0\"":              "base: 300Mi",
		"nodeTypes: []":            "nodeTypes: [{name: m5.xlarge, allocatable: {cpu: 3920m, memory: 14Gi}, pricePerHour: 0.192}]",
		"description: discovered ": "description: discovered ",
	})
	p, err := scenarios.Parse("plan.yaml", []byte(filled))
	if err != nil {
		t.Fatalf("the filled plan does not parse:\n%v\n%s", err, filled)
	}
	ex, err := scenarios.Example("noa.yaml")
	if err != nil {
		t.Fatal(err)
	}
	got1, want1 := p.Service("noa-mcp"), ex.Service("noa-mcp")
	for _, c := range []struct {
		name      string
		got, want any
	}{
		{"workloadRef", got1.WorkloadRef, want1.WorkloadRef},
		{"container", got1.Container, want1.Container},
		{"replicas", got1.Replicas, want1.Replicas},
		{"resources", got1.Resources.String(), want1.Resources.String()},
		{"hpa.minReplicas", *got1.HPA.MinReplicas, *want1.HPA.MinReplicas},
		{"hpa.maxReplicas", got1.HPA.MaxReplicas, want1.HPA.MaxReplicas},
		{"hpa.metrics", got1.HPA.Metrics, want1.HPA.Metrics},
		{"hpa.scaleTargetRef", got1.HPA.ScaleTargetRef, want1.HPA.ScaleTargetRef},
		{"hpa.behavior.scaleUp.policies", got1.HPA.Behavior.ScaleUp.Policies, want1.HPA.Behavior.ScaleUp.Policies},
		{"hpa.behavior.scaleDown.stabilizationWindowSeconds", *got1.HPA.Behavior.ScaleDown.StabilizationWindowSeconds, *want1.HPA.Behavior.ScaleDown.StabilizationWindowSeconds},
	} {
		if diff := cmp.Diff(c.want, c.got); diff != "" {
			t.Errorf("noa-mcp %s differs from scenarios/examples/noa.yaml (-example +discovered):\n%s", c.name, diff)
		}
	}
}

func fill(s string, repl map[string]string) string {
	for old, new := range repl {
		s = strings.Replace(s, old, new, 1)
	}
	return s
}

func TestDiscover_Cases(t *testing.T) {
	crMetric := autoscalingv2.MetricSpec{Type: autoscalingv2.ContainerResourceMetricSourceType,
		ContainerResource: &autoscalingv2.ContainerResourceMetricSource{Name: corev1.ResourceCPU, Container: "app",
			Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: ptr[int32](60)}}}
	hpaFor := func(name, kind, target string, metrics ...autoscalingv2.MetricSpec) *autoscalingv2.HorizontalPodAutoscaler {
		return &autoscalingv2.HorizontalPodAutoscaler{
			ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name},
			Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
				ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: kind, Name: target},
				MaxReplicas:    5, Metrics: metrics,
			},
		}
	}
	sts := &appsv1.StatefulSet{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "web"},
		Spec: appsv1.StatefulSetSpec{Replicas: ptr[int32](2), Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
			Containers: []corev1.Container{{Name: "db", Resources: resources("1", "2Gi", "", "")}}}}},
	}
	gpu := resources("250m", "256Mi", "", "")
	gpu.Limits["nvidia.com/gpu"] = resource.MustParse("1")
	gpu.Requests["ephemeral-storage"] = resource.MustParse("1Gi")

	type want struct {
		service   string // the service checked
		container string
		replicas  int32
		hpa       string
		vpa       string
		vpaTarget string
		resources string
		notes     []string // substrings of the service's notes
		dNotes    []string // substrings of the namespace notes
	}
	for _, tc := range []struct {
		name   string
		kube   []runtime.Object
		vpaErr error
		vpas   []runtime.Object
		want   []want
	}{{
		name: "sidecar: the container named like the workload serves",
		kube: []runtime.Object{deployment("ns", "web", ptr[int32](4),
			corev1.Container{Name: "istio-proxy"}, corev1.Container{Name: "web", Resources: resources("100m", "64Mi", "", "")})},
		want: []want{{service: "web", container: "web", replicas: 4, resources: "cpu 100m memory 64Mi",
			notes: []string{"container web serves; headroom models one container and leaves out istio-proxy"}}},
	}, {
		name: "a ContainerResource metric picks the container",
		kube: []runtime.Object{
			deployment("ns", "api", nil, corev1.Container{Name: "proxy", Resources: resources("50m", "32Mi", "", "")},
				corev1.Container{Name: "app", Resources: resources("2", "1Gi", "", "")}),
			hpaFor("api", "Deployment", "api", crMetric)},
		want: []want{{service: "api", container: "app", replicas: 1, hpa: "api", resources: "cpu 2 memory 1Gi",
			notes: []string{"container app serves; headroom models one container and leaves out proxy"}}},
	}, {
		name: "StatefulSet named like a Deployment, and its own HPA",
		kube: []runtime.Object{deployment("ns", "web", ptr[int32](1), corev1.Container{Name: "web"}), sts,
			hpaFor("web-sts-hpa", "StatefulSet", "web")},
		want: []want{
			{service: "web", container: "web", replicas: 1},
			{service: "web-sts", container: "db", replicas: 2, hpa: "web-sts-hpa", resources: "cpu 1 memory 2Gi",
				notes: []string{"a Deployment is also named web; this StatefulSet is service web-sts"}}},
	}, {
		name: "two HPAs on one Deployment, one on a missing one",
		kube: []runtime.Object{deployment("ns", "web", ptr[int32](2), corev1.Container{Name: "web"}),
			hpaFor("b", "Deployment", "web"), hpaFor("a", "Deployment", "web"), hpaFor("c", "Deployment", "gone"),
			hpaFor("d", "ReplicaSet", "web")},
		want: []want{{service: "web", container: "web", replicas: 2, hpa: "a",
			notes:  []string{"HPAs a and b all target Deployment web; the controller refuses to scale such a workload (AmbiguousSelector); copied a only"},
			dNotes: []string{"HPA c targets Deployment gone, which is not a Deployment or StatefulSet in ns; skipped", "HPA d targets ReplicaSet web"}}},
	}, {
		name: "extended resources are left out; zero replicas is noted",
		kube: []runtime.Object{deployment("ns", "gpu", ptr[int32](0), corev1.Container{Name: "gpu", Resources: gpu})},
		want: []want{{service: "gpu", container: "gpu", replicas: 0, resources: "cpu 250m memory 256Mi",
			notes: []string{"left out requests.ephemeral-storage, limits.nvidia.com/gpu", "scaled to 0 replicas"}}},
	}, {
		name: "a VPA with a recommendation",
		kube: []runtime.Object{noaMCPInNS("ns")},
		vpas: []runtime.Object{
			vpa("ns", "noa-mcp-vpa", "Deployment", "noa-mcp", "Off",
				map[string]any{"containerName": "noa-mcp", "target": map[string]any{"cpu": "350m", "memory": "400Mi"}},
				map[string]any{"containerName": "other", "target": map[string]any{"cpu": "1"}}),
			vpa("ns", "stray", "Deployment", "nothing", "Auto")},
		want: []want{{service: "noa-mcp", container: "noa-mcp", replicas: 3, vpa: "noa-mcp-vpa", vpaTarget: "cpu 350m memory 400Mi",
			resources: "cpu 500m memory 512Mi",
			dNotes:    []string{"VPA stray targets Deployment nothing"}}},
	}, {
		name:   "listing VPAs is forbidden",
		kube:   []runtime.Object{noaMCPInNS("ns")},
		vpaErr: apierrors.NewForbidden(schema.GroupResource{Group: "autoscaling.k8s.io", Resource: "verticalpodautoscalers"}, "", errors.New("no")),
		want: []want{{service: "noa-mcp", container: "noa-mcp", replicas: 3, resources: "cpu 500m memory 512Mi",
			dNotes: []string{"not allowed to list verticalpodautoscalers in ns; VPAs skipped"}}},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := Discover(context.Background(), kubefake.NewClientset(tc.kube...), fakeDynamic(tc.vpaErr, tc.vpas...), "ns")
			if err != nil {
				t.Fatal(err)
			}
			if len(d.Services) != len(tc.want) {
				t.Fatalf("%d services, want %d", len(d.Services), len(tc.want))
			}
			for i, w := range tc.want {
				ds := d.Services[i]
				s := ds.Service
				if s.Name != w.service || s.Container != w.container || s.Replicas != w.replicas || ds.HPA != w.hpa {
					t.Errorf("service %d = %s container %s replicas %d hpa %q, want %s %s %d %q", i, s.Name, s.Container, s.Replicas, ds.HPA, w.service, w.container, w.replicas, w.hpa)
				}
				if w.resources != "" && requestsString(s.Resources.Requests) != w.resources {
					t.Errorf("%s requests = %s, want %s", s.Name, requestsString(s.Resources.Requests), w.resources)
				}
				if w.vpa != "" {
					if ds.VPA == nil || ds.VPA.Name != w.vpa || requestsString(ds.VPA.Target) != w.vpaTarget {
						t.Errorf("%s VPA = %+v, want %s with target %s", s.Name, ds.VPA, w.vpa, w.vpaTarget)
					}
				} else if ds.VPA != nil {
					t.Errorf("%s VPA = %+v, want none", s.Name, ds.VPA)
				}
				checkNotes(t, s.Name, ds.Notes, w.notes)
				checkNotes(t, "namespace", d.Notes, w.dNotes)
			}
			if _, err := d.WritePlan(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func noaMCPInNS(ns string) *appsv1.Deployment {
	d := noaMCP()
	d.Namespace = ns
	return d
}

func requestsString(l corev1.ResourceList) string {
	var parts []string
	for _, k := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		if q, ok := l[k]; ok {
			parts = append(parts, string(k)+" "+q.String())
		}
	}
	return strings.Join(parts, " ")
}

func checkNotes(t *testing.T, who string, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s notes = %q, want %d like %q", who, got, len(want), want)
		return
	}
	for _, w := range want {
		if !slices.ContainsFunc(got, func(n string) bool { return strings.Contains(n, w) }) {
			t.Errorf("%s notes = %q, want one containing %q", who, got, w)
		}
	}
}

func TestDiscover_APIErrors(t *testing.T) {
	kube := kubefake.NewClientset()
	kube.PrependReactor("list", "deployments", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Group: "apps", Resource: "deployments"}, "", errors.New("RBAC"))
	})
	_, err := Discover(context.Background(), kube, fakeDynamic(nil), "ns")
	if err == nil || !regexp.MustCompile(`^list deployments in ns: .*forbidden`).MatchString(err.Error()) {
		t.Errorf("err = %v, want the forbidden list of deployments", err)
	}
	if _, err := Discover(context.Background(), kubefake.NewClientset(), fakeDynamic(nil), ""); err == nil {
		t.Error("no error for an empty namespace")
	}
	dyn := fakeDynamic(apierrors.NewInternalError(errors.New("etcd down")))
	if _, err := Discover(context.Background(), kubefake.NewClientset(), dyn, "ns"); err == nil || !strings.Contains(err.Error(), "etcd down") {
		t.Errorf("err = %v, want the VPA list failure", err)
	}
}

// TestDiscover_Paging follows continue tokens.
func TestDiscover_Paging(t *testing.T) {
	kube := kubefake.NewClientset()
	calls := 0
	kube.PrependReactor("list", "deployments", func(a k8stesting.Action) (bool, runtime.Object, error) {
		calls++
		opts := a.(k8stesting.ListActionImpl).ListOptions
		if opts.Limit != listPageSize {
			t.Errorf("limit %d, want %d", opts.Limit, listPageSize)
		}
		l := &appsv1.DeploymentList{}
		if opts.Continue == "" {
			l.Items = []appsv1.Deployment{*deployment("ns", "b", nil, corev1.Container{Name: "b"})}
			l.Continue = "page2"
		} else {
			l.Items = []appsv1.Deployment{*deployment("ns", "a", nil, corev1.Container{Name: "a"})}
		}
		return true, l, nil
	})
	d, err := Discover(context.Background(), kube, fakeDynamic(nil), "ns")
	if err != nil {
		t.Fatal(err)
	}
	if calls != 2 || len(d.Services) != 2 || d.Services[0].Service.Name != "a" {
		t.Errorf("calls %d, services %+v; want 2 calls and a, b", calls, d.Services)
	}
}
