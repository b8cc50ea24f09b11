//go:build e2e

package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"

	"github.com/headroom-dev/headroom/cluster"
	"github.com/headroom-dev/headroom/cluster/clustertest"
	"github.com/headroom-dev/headroom/loadtest"
	"github.com/headroom-dev/headroom/model"
	"github.com/headroom-dev/headroom/reports"
	"github.com/headroom-dev/headroom/review"
	"github.com/headroom-dev/headroom/review/record"
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
	if _, errOut, code := runCLI(t, "", "report", "-f", noaPlan, "--out-dir", dir, "--plots", "none", "--series=false", "--vpa"); code != exitCheckFailed {
		t.Fatalf("report: exit %d\n%s", code, errOut)
	}
	patches := filepath.Join(dir, "patches")
	out, errOut, code := runCLI(t, "", "apply", "--kubeconfig", e2eKubeconfig, "--context", "applier", "-f", patches)
	if code != exitOK {
		t.Fatalf("dry run of the report's patches: exit %d\n%s\n%s", code, out, errOut)
	}
	checkDryRunOutput(t, patches, out)
	for _, w := range []string{
		"horizontalpodautoscalers.autoscaling/noa-mcp-hpa -n noa-server (hpa/noa-mcp-hpa.yaml",
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
	// The cluster holds what the report's patch says (the recommender's
	// maximum, 10 → 14 on the NOA plan today).
	patch, err := os.ReadFile(filepath.Join(patches, "hpa", "noa-mcp-hpa.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^  maxReplicas: (\d+)$`).FindSubmatch(patch)
	if m == nil {
		t.Fatalf("hpa/noa-mcp-hpa.yaml has no spec.maxReplicas:\n%s", patch)
	}
	want, _ := strconv.ParseInt(string(m[1]), 10, 64)
	hpa := get(t, schema.GroupVersionKind{Group: "autoscaling", Version: "v2", Kind: "HorizontalPodAutoscaler"}, "noa-server", "noa-mcp-hpa")
	if max, _, _ := unstructured.NestedInt64(hpa.Object, "spec", "maxReplicas"); max != want || want == 10 {
		t.Errorf("noa-mcp-hpa maxReplicas = %d after --apply, want the report's %d (changed from today's 10)", max, want)
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

// TestClusterE2E_9_PrescaleRestricted: the pre-scale objects of a dated
// event pass the API server's dry run as the applier (self-suspending
// CronJobs, a Role limited to the named HPAs and CronJobs); a Pod made from
// each CronJob's template is admitted by the PodSecurity admission in a
// namespace enforcing "restricted", where the same Pod without its
// securityContext is rejected; the git path's raise and restore components
// and the keda path's ScaledObject (against a minimal CRD) pass too.
func TestClusterE2E_9_PrescaleRestricted(t *testing.T) {
	setupCluster(t)
	plan := createNOAPlatform(t)
	ctx := context.Background()
	launch := []string{"--event", "launch", "--event-start", "2026-12-01T18:00:00Z", "--event-end", "2026-12-01T20:00:00Z", "--event-peak", "5x"}
	dir := filepath.Join(t.TempDir(), "report")
	if _, errOut, code := runCLI(t, "", append([]string{"report", "-f", noaPlan, "--out-dir", dir, "--plots", "none", "--series=false"}, launch...)...); code != exitCheckFailed && code != exitOK {
		t.Fatalf("report: exit %d\n%s", code, errOut)
	}
	patches := filepath.Join(dir, "patches")
	out, errOut, code := runCLI(t, "", "apply", "--kubeconfig", e2eKubeconfig, "--context", "applier", "-f", patches)
	if code != exitOK || !strings.Contains(out, " 0 rejected") || !strings.Contains(out, "cronjobs.batch/prescale-launch-noa-mcp-raise") {
		t.Fatalf("dry run of the dated pre-scale: exit %d\n%s\n%s", code, out, errOut)
	}

	ns := "headroom-restricted"
	create := func(obj map[string]any, dry bool) error {
		u := &unstructured.Unstructured{Object: obj}
		ri, err := clustertest.Resource(admin, u.GroupVersionKind(), u.GetNamespace())
		if err != nil {
			return err
		}
		opts := metav1.CreateOptions{}
		if dry {
			opts.DryRun = []string{metav1.DryRunAll}
		}
		_, err = ri.Create(ctx, u, opts)
		if err != nil && !dry && strings.Contains(err.Error(), "already exists") {
			return nil
		}
		return err
	}
	if err := create(map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": ns, "labels": map[string]any{
		"pod-security.kubernetes.io/enforce": "restricted", "pod-security.kubernetes.io/enforce-version": "latest"}}}, false); err != nil {
		t.Fatal(err)
	}
	if err := create(map[string]any{"apiVersion": "v1", "kind": "ServiceAccount", "metadata": map[string]any{"name": "headroom-scheduled-scaling", "namespace": ns}}, false); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(patches, "prescale", "cronjob-*.yaml"))
	if len(files) == 0 {
		t.Fatal("no CronJobs written")
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var cj batchv1.CronJob
		if err := yaml.UnmarshalStrict(b, &cj); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		spec := cj.Spec.JobTemplate.Spec.Template.Spec
		pod := func(s corev1.PodSpec) map[string]any {
			m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(&corev1.Pod{
				TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
				ObjectMeta: metav1.ObjectMeta{Name: cj.Name, Namespace: ns},
				Spec:       s,
			})
			if err != nil {
				t.Fatal(err)
			}
			return m
		}
		if err := create(pod(spec), true); err != nil {
			t.Errorf("%s: the restricted namespace rejects the CronJob's pod: %v", filepath.Base(f), err)
		}
		job := &batchv1.Job{TypeMeta: metav1.TypeMeta{APIVersion: "batch/v1", Kind: "Job"},
			ObjectMeta: metav1.ObjectMeta{Name: cj.Name, Namespace: ns}, Spec: cj.Spec.JobTemplate.Spec}
		jm, _ := runtime.DefaultUnstructuredConverter.ToUnstructured(job)
		if err := create(jm, true); err != nil {
			t.Errorf("%s: the API server rejects the Job made from it: %v", filepath.Base(f), err)
		}
		// The control: without its securityContext the pod is refused, so
		// the admission does enforce here.
		bare := *spec.DeepCopy()
		bare.SecurityContext = nil
		for i := range bare.Containers {
			bare.Containers[i].SecurityContext = nil
		}
		for i := range bare.InitContainers {
			bare.InitContainers[i].SecurityContext = nil
		}
		if err := create(pod(bare), true); err == nil || !strings.Contains(err.Error(), "violates PodSecurity") {
			t.Errorf("%s: the pod without a securityContext was not refused by PodSecurity: %v", filepath.Base(f), err)
		}
	}

	// git: each raise and restore component dry-runs on its own.
	gdir := filepath.Join(t.TempDir(), "git")
	if _, errOut, code := runCLI(t, "", append([]string{"report", "-f", noaPlan, "--out-dir", gdir, "--plots", "none", "--series=false", "--prescale-with", "git"}, launch...)...); code != exitCheckFailed && code != exitOK {
		t.Fatalf("report --prescale-with git: exit %d\n%s", code, errOut)
	}
	comps, _ := filepath.Glob(filepath.Join(gdir, "patches", "prescale", "*", "*"))
	if len(comps) == 0 {
		t.Fatal("no git components")
	}
	for _, c := range comps {
		if out, errOut, code := runCLI(t, "", "apply", "--kubeconfig", e2eKubeconfig, "--context", "applier", "-f", c); code != exitOK || !strings.Contains(out, " 0 rejected") {
			t.Errorf("dry run of %s: exit %d\n%s\n%s", c, code, out, errOut)
		}
	}

	// keda: noa-mcp's ScaledObject (cpu and memory metrics; the other NOA
	// HPAs have Pods metrics, which the keda writer refuses).
	if err := createFromFile(ctx, clusterTestdata+"/e2e/keda-scaledobject-crd.yaml"); err != nil {
		t.Fatal(err)
	}
	rev, err := review.Build(ctx, plan, review.Options{Mode: model.Queueing, Version: "e2e", Plots: record.PlotsNone})
	if err != nil {
		t.Fatal(err)
	}
	for i := range rev.Events {
		rev.Events[i].PreScales = slices.DeleteFunc(rev.Events[i].PreScales, func(p scenarios.PreScale) bool { return p.Service != "noa-mcp" })
	}
	kfiles, _, err := reports.RenderPatches(plan, rev, reports.PatchOptions{PrescaleWith: reports.PrescaleKEDA})
	if err != nil {
		t.Fatal(err)
	}
	gvk := schema.GroupVersionKind{Group: "keda.sh", Version: "v1alpha1", Kind: "ScaledObject"}
	deadline := time.Now().Add(60 * time.Second)
	for {
		if ri, err := clustertest.Resource(admin, gvk, "noa-server"); err == nil {
			if _, err = ri.List(ctx, metav1.ListOptions{}); err == nil {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("the ScaledObject CRD is not served after 60s")
		}
		admin.Mapper.(meta.ResettableRESTMapper).Reset()
		time.Sleep(500 * time.Millisecond)
	}
	n := 0
	for _, f := range kfiles {
		if !strings.HasPrefix(f.Path, "prescale/scaledobject-") {
			continue
		}
		n++
		var m map[string]any
		if err := yaml.Unmarshal(f.Data, &m); err != nil {
			t.Fatal(err)
		}
		if err := create(m, true); err != nil {
			t.Errorf("%s: %v", f.Path, err)
		}
	}
	if n != 1 {
		t.Errorf("%d ScaledObjects, want noa-mcp's", n)
	}
}
