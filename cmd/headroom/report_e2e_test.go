//go:build e2e

package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/headroom-dev/headroom/cluster"
	"github.com/headroom-dev/headroom/cluster/clustertest"
	"github.com/headroom-dev/headroom/loadtest"
	"github.com/headroom-dev/headroom/scenarios"
)

// createNOAPlatform creates every workload and HPA of the NOA example in
// the API server, as the plan describes them (noa-mcp exists already).
func createNOAPlatform(t *testing.T) *scenarios.Plan {
	t.Helper()
	plan, err := scenarios.Example("noa.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	create := func(obj runtime.Object) {
		m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
		if err != nil {
			t.Fatal(err)
		}
		u := &unstructured.Unstructured{Object: m}
		ri, err := clustertest.Resource(admin, u.GroupVersionKind(), u.GetNamespace())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ri.Create(ctx, u, metav1.CreateOptions{}); err != nil && !strings.Contains(err.Error(), "already exists") {
			t.Fatalf("create %s %s: %v", u.GetKind(), u.GetName(), err)
		}
	}
	for i := range plan.Services {
		s := &plan.Services[i]
		labels := map[string]string{"app": s.WorkloadRef.Name}
		tmpl := corev1.PodTemplateSpec{
			ObjectMeta: metav1.ObjectMeta{Labels: labels},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{
				Name: s.Container, Image: "registry.example/" + s.Name + ":1", Resources: *s.Resources.DeepCopy(),
			}}},
		}
		replicas := s.Replicas
		meta := metav1.ObjectMeta{Name: s.WorkloadRef.Name, Namespace: s.Namespace, Labels: labels}
		if s.WorkloadRef.Kind == "StatefulSet" {
			create(&appsv1.StatefulSet{TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: "StatefulSet"}, ObjectMeta: meta,
				Spec: appsv1.StatefulSetSpec{Replicas: &replicas, ServiceName: s.WorkloadRef.Name,
					Selector: &metav1.LabelSelector{MatchLabels: labels}, Template: tmpl}})
		} else {
			create(&appsv1.Deployment{TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"}, ObjectMeta: meta,
				Spec: appsv1.DeploymentSpec{Replicas: &replicas, Selector: &metav1.LabelSelector{MatchLabels: labels}, Template: tmpl}})
		}
		if s.HPA != nil {
			create(&autoscalingv2.HorizontalPodAutoscaler{
				TypeMeta:   metav1.TypeMeta{APIVersion: "autoscaling/v2", Kind: "HorizontalPodAutoscaler"},
				ObjectMeta: metav1.ObjectMeta{Name: scenarios.HPAName(s), Namespace: s.Namespace},
				Spec:       *s.HPA.DeepCopy(),
			})
		}
	}
	return plan
}

// TestClusterE2E_6_ReportPatches: every patch `headroom report` writes for
// the NOA example passes the API server's dry run as the applier, --apply
// writes them, and a second dry run finds nothing left to change.
func TestClusterE2E_6_ReportPatches(t *testing.T) {
	setupCluster(t)
	createNOAPlatform(t)
	dir := filepath.Join(t.TempDir(), "report")
	if _, errOut, code := runCLI(t, "", "report", "-f", noaPlan, "--out-dir", dir, "--plots", "none", "--series=false"); code != exitCheckFailed {
		t.Fatalf("report: exit %d\n%s", code, errOut)
	}
	patches := filepath.Join(dir, "patches")
	out, errOut, code := runCLI(t, "", "apply", "--kubeconfig", e2eKubeconfig, "--context", "applier", "-f", patches)
	if code != exitOK {
		t.Fatalf("dry run of the report's patches: exit %d\n%s\n%s", code, out, errOut)
	}
	checkDryRunOutput(t, patches, out)
	for _, w := range []string{
		"horizontalpodautoscalers.autoscaling/noa-mcp-hpa -n noa-server (strategic/horizontalpodautoscaler-noa-mcp-hpa.yaml",
		"cronjobs.batch/prescale-event-spike-noa-mcp-raise -n noa-server",
		"verticalpodautoscalers.autoscaling.k8s.io/noa-postgres -n noa-server",
		" 0 rejected",
	} {
		if !strings.Contains(out, w) {
			t.Errorf("dry run output lacks %q:\n%s", w, out)
		}
	}
	out, errOut, code = runCLI(t, "", "apply", "--kubeconfig", e2eKubeconfig, "-f", patches, "--apply")
	if code != exitOK {
		t.Fatalf("--apply: exit %d\n%s\n%s", code, out, errOut)
	}
	out, _, code = runCLI(t, "", "apply", "--kubeconfig", e2eKubeconfig, "-f", patches)
	if code != exitOK || !regexp.MustCompile(`object\(s\): 0 to create, 0 to change, \d+ unchanged, 0 rejected`).MatchString(out) {
		t.Errorf("after --apply a dry run still finds changes (exit %d):\n%s", code, out)
	}
	hpa := get(t, schema.GroupVersionKind{Group: "autoscaling", Version: "v2", Kind: "HorizontalPodAutoscaler"}, "noa-server", "noa-mcp-hpa")
	if max, _, _ := unstructured.NestedInt64(hpa.Object, "spec", "maxReplicas"); max != 15 {
		t.Errorf("noa-mcp-hpa maxReplicas = %d after --apply, want the report's 15", max)
	}
}

// TestClusterE2E_7_SweepJob: the sweep's Indexed Job and its ConfigMap pass
// the API server's validation (server-side dry run).
func TestClusterE2E_7_SweepJob(t *testing.T) {
	setupCluster(t)
	planBytes, err := os.ReadFile(noaPlan)
	if err != nil {
		t.Fatal(err)
	}
	grid, err := os.ReadFile("../../capacity/testdata/sweep/grid.yaml")
	if err != nil {
		t.Fatal(err)
	}
	job, err := cluster.RenderSweepJob(cluster.SweepJobOptions{Name: "headroom-sweep", Namespace: "noa-server", Image: "registry.example/headroom:test",
		Shards: 8, Parallelism: 4, PlanFile: planBytes, GridFile: grid})
	if err != nil {
		t.Fatal(err)
	}
	for _, obj := range []runtime.Object{job.ConfigMap, job.Job} {
		m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
		if err != nil {
			t.Fatal(err)
		}
		u := &unstructured.Unstructured{Object: m}
		ri, err := clustertest.Resource(admin, u.GroupVersionKind(), "noa-server")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ri.Create(context.Background(), u, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}}); err != nil {
			t.Errorf("the API server rejects the sweep's %s: %v", u.GetKind(), err)
		}
	}
}

// TestClusterE2E_8_LoadtestWatch: a load test with --watch reads the
// target's HPA and Deployment from the real API server as the read-only
// user while the built-in engine plays noa-mcp's growth-2x (compressed
// 180x, 20 s) against a local server.
func TestClusterE2E_8_LoadtestWatch(t *testing.T) {
	setupCluster(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	defer srv.Close()
	out := filepath.Join(t.TempDir(), "run.json")
	_, errOut, code := runCLI(t, "", "loadtest", "run", "--engine", "builtin", "--target", srv.URL+"/api",
		"-f", noaPlan, "--service", "noa-mcp", "--scenario", "growth-2x", "--speedup", "180",
		"--watch", "--kubeconfig", e2eKubeconfig, "--context", "reader", "--out-file", out)
	if code != exitOK && code != exitCheckFailed {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	res, err := loadtest.ReadResultFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Watch) < 2 {
		t.Fatalf("%d watch samples in a 20 s run sampled every 15 s, want 2", len(res.Watch))
	}
	if res.Watch[0].DesiredReplicas == 0 && res.Watch[0].CurrentReplicas == 0 {
		t.Logf("the HPA has no status (no controller-manager runs here): %+v", res.Watch[0])
	}
}
