package reports

import (
	"bytes"
	"context"
	"encoding/json"
	"path"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	jsonpatch "gopkg.in/evanphx/json-patch.v4"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
	"sigs.k8s.io/yaml"

	"github.com/headroom-dev/headroom/model"
	"github.com/headroom-dev/headroom/review"
	"github.com/headroom-dev/headroom/review/record"
	"github.com/headroom-dev/headroom/scenarios"
)

var (
	noaOnce   sync.Once
	noaPlan   *scenarios.Plan
	noaReport *record.Review
	noaErr    error
)

// noa builds the NOA example's report once for every test of the package.
func noa(t testing.TB) (*scenarios.Plan, *record.Review) {
	t.Helper()
	noaOnce.Do(func() {
		noaPlan, noaErr = scenarios.Example("noa.yaml")
		if noaErr != nil {
			return
		}
		noaReport, noaErr = review.Build(context.Background(), noaPlan, review.Options{Mode: model.Queueing, Version: "test"})
	})
	if noaErr != nil {
		t.Fatal(noaErr)
	}
	return noaPlan, noaReport
}

func renderNOAPatches(t *testing.T) (*scenarios.Plan, *record.Review, map[string][]byte) {
	plan, rep := noa(t)
	files, _, err := RenderPatches(plan, rep, PatchOptions{Generator: "headroom test"})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, f := range files {
		out[f.Path] = f.Data
	}
	return plan, rep, out
}

// liveObject is what the cluster holds for a target today: the workload or
// HPA built from the plan, as `kubectl get -o json` would return it.
func liveObject(t *testing.T, plan *scenarios.Plan, kind, name string) (any, []byte) {
	t.Helper()
	for i := range plan.Services {
		s := &plan.Services[i]
		switch {
		case kind == "HorizontalPodAutoscaler" && s.HPA != nil && scenarios.HPAName(s) == name:
			h := &autoscalingv2.HorizontalPodAutoscaler{
				TypeMeta:   metav1.TypeMeta{APIVersion: "autoscaling/v2", Kind: kind},
				ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: s.Namespace},
				Spec:       *s.HPA.DeepCopy(),
			}
			return h, mustJSON(t, h)
		case (kind == "Deployment" || kind == "StatefulSet") && s.WorkloadRef.Kind == kind && s.WorkloadRef.Name == name:
			tmpl := corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{
				{Name: s.Container, Image: "example/" + s.Name, Resources: *s.Resources.DeepCopy()},
				{Name: "sidecar", Image: "example/sidecar"},
			}}}
			replicas := s.Replicas
			if kind == "Deployment" {
				d := &appsv1.Deployment{TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: kind},
					ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: s.Namespace},
					Spec:       appsv1.DeploymentSpec{Replicas: &replicas, Template: tmpl}}
				return d, mustJSON(t, d)
			}
			st := &appsv1.StatefulSet{TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: kind},
				ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: s.Namespace},
				Spec:       appsv1.StatefulSetSpec{Replicas: &replicas, Template: tmpl}}
			return st, mustJSON(t, st)
		}
	}
	t.Fatalf("no %s %s in the plan", kind, name)
	return nil, nil
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// decodeInto decodes JSON into a fresh typed object like proto, strictly.
func decodeInto(t *testing.T, proto any, data []byte) any {
	t.Helper()
	var out any
	switch proto.(type) {
	case *appsv1.Deployment:
		out = &appsv1.Deployment{}
	case *appsv1.StatefulSet:
		out = &appsv1.StatefulSet{}
	case *autoscalingv2.HorizontalPodAutoscaler:
		out = &autoscalingv2.HorizontalPodAutoscaler{}
	default:
		t.Fatalf("no decoder for %T", proto)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(out); err != nil {
		t.Fatalf("patched object does not decode as %T: %v\n%s", proto, err, data)
	}
	return out
}

var scriptPatch = regexp.MustCompile(`(?s)kubectl patch (\S+) (\S+) -n (\S+) --type='json' \\\n  -p='(\[.*?\])'`)

// TestPatchesApply applies every strategic-merge patch and every kubectl
// JSON patch to the object it targets with apimachinery's and the JSON
// patch library's code, decodes the results into the typed objects, and
// checks that both forms make the same change, and exactly the recommended one.
func TestPatchesApply(t *testing.T) {
	plan, rep, files := renderNOAPatches(t)
	strategic := map[string]any{} // kind/name → patched object
	for path, data := range files {
		if !isStrategicPatch(path) {
			continue
		}
		var hdr struct {
			Kind     string            `json:"kind"`
			Metadata metav1.ObjectMeta `json:"metadata"`
		}
		if err := yaml.Unmarshal(data, &hdr); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		proto, orig := liveObject(t, plan, hdr.Kind, hdr.Metadata.Name)
		patch, err := yaml.YAMLToJSON(data)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		merged, err := strategicpatch.StrategicMergePatch(orig, patch, proto)
		if err != nil {
			t.Fatalf("%s does not apply: %v", path, err)
		}
		strategic[hdr.Kind+"/"+hdr.Metadata.Name] = decodeInto(t, proto, merged)
	}
	if len(strategic) == 0 {
		t.Fatal("the NOA report has no strategic patches")
	}
	script := string(files["kubectl-patches.sh"])
	matches := scriptPatch.FindAllStringSubmatch(script, -1)
	if len(matches) != len(strategic) {
		t.Fatalf("%d kubectl patches for %d strategic patches", len(matches), len(strategic))
	}
	for _, m := range matches {
		kind := map[string]string{"horizontalpodautoscaler": "HorizontalPodAutoscaler", "deployment": "Deployment", "statefulset": "StatefulSet"}[m[1]]
		proto, orig := liveObject(t, plan, kind, m[2])
		p, err := jsonpatch.DecodePatch([]byte(m[4]))
		if err != nil {
			t.Fatalf("kubectl patch %s %s: %v", m[1], m[2], err)
		}
		patched, err := p.Apply(orig)
		if err != nil {
			t.Fatalf("kubectl patch %s %s does not apply: %v", m[1], m[2], err)
		}
		got := decodeInto(t, proto, patched)
		want, ok := strategic[kind+"/"+m[2]]
		if !ok {
			t.Fatalf("no strategic patch for %s %s", kind, m[2])
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s %s: JSON patch and strategic-merge patch differ (-strategic +json):\n%s", kind, m[2], diff)
		}
	}
	// The patched HPAs are the recommended ones.
	for _, rec := range rep.Recommendations {
		if rec.HPA == nil {
			continue
		}
		name := scenarios.HPAName(plan.Service(rec.Service))
		got, ok := strategic["HorizontalPodAutoscaler/"+name].(*autoscalingv2.HorizontalPodAutoscaler)
		if !ok {
			t.Errorf("%s: no HPA patch", rec.Service)
			continue
		}
		if diff := cmp.Diff(*rec.HPA, got.Spec); diff != "" {
			t.Errorf("%s: patched HPA differs from the recommendation:\n%s", rec.Service, diff)
		}
		if err := scenarios.ValidateHPASpec(&got.Spec, "hpa"); err != nil {
			t.Errorf("%s: patched HPA is invalid: %v", rec.Service, err)
		}
	}
}

// TestWorkloadPatchesApply covers resource and replica changes, which the
// NOA example's recommendations do not need: a plan whose memory is too
// small and whose service has no HPA.
func TestWorkloadPatchesApply(t *testing.T) {
	plan, rep := noa(t)
	svc := plan.Service("noa-claude-flow")
	rec := record.Recommendation{
		Service:           svc.Name,
		Replicas:          9,
		Requests:          corev1.ResourceList{corev1.ResourceMemory: mustQuantity(t, "1536Mi")},
		Limits:            corev1.ResourceList{corev1.ResourceMemory: mustQuantity(t, "2Gi"), corev1.ResourceCPU: mustQuantity(t, "1500m")},
		HPARationale:      []string{"replicas 2 → 9: test"},
		ResourceRationale: []string{"memory: test"},
	}
	r := *rep
	r.Recommendations = []record.Recommendation{rec}
	r.Events = nil
	files, _, err := RenderPatches(plan, &r, PatchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var strategicObj, jsonObj any
	for _, f := range files {
		switch {
		case isStrategicPatch(f.Path):
			proto, orig := liveObject(t, plan, svc.WorkloadRef.Kind, svc.WorkloadRef.Name)
			patch, err := yaml.YAMLToJSON(f.Data)
			if err != nil {
				t.Fatal(err)
			}
			merged, err := strategicpatch.StrategicMergePatch(orig, patch, proto)
			if err != nil {
				t.Fatalf("%s: %v", f.Path, err)
			}
			strategicObj = decodeInto(t, proto, merged)
		case f.Path == "kubectl-patches.sh":
			m := scriptPatch.FindStringSubmatch(string(f.Data))
			if m == nil {
				t.Fatalf("no patch in\n%s", f.Data)
			}
			proto, orig := liveObject(t, plan, svc.WorkloadRef.Kind, svc.WorkloadRef.Name)
			p, err := jsonpatch.DecodePatch([]byte(m[4]))
			if err != nil {
				t.Fatal(err)
			}
			out, err := p.Apply(orig)
			if err != nil {
				t.Fatalf("JSON patch does not apply: %v\n%s", err, m[4])
			}
			jsonObj = decodeInto(t, proto, out)
		}
	}
	if diff := cmp.Diff(strategicObj, jsonObj); diff != "" {
		t.Errorf("JSON and strategic patches differ:\n%s", diff)
	}
	d := jsonObj.(*appsv1.Deployment)
	c := d.Spec.Template.Spec.Containers[0]
	if *d.Spec.Replicas != 9 || c.Resources.Requests.Memory().String() != "1536Mi" || c.Resources.Limits.Cpu().String() != "1500m" {
		t.Errorf("patched deployment: replicas %d, resources %v", *d.Spec.Replicas, c.Resources)
	}
	if c.Resources.Requests.Cpu().Cmp(svc.Resources.Requests[corev1.ResourceCPU]) != 0 {
		t.Error("the CPU request changed though it was not recommended")
	}
	if s := d.Spec.Template.Spec.Containers[1]; s.Name != "sidecar" || len(s.Resources.Limits) != 0 {
		t.Errorf("the sidecar was touched: %+v", s)
	}

	// The JSON patch refuses to touch a pod whose first container is not the
	// one the plan names.
	m := scriptPatch.FindStringSubmatch(string(filesByPath(files)["kubectl-patches.sh"]))
	proto, _ := liveObject(t, plan, svc.WorkloadRef.Kind, svc.WorkloadRef.Name)
	swapped := proto.(*appsv1.Deployment).DeepCopy()
	cs := swapped.Spec.Template.Spec.Containers
	cs[0], cs[1] = cs[1], cs[0]
	p, _ := jsonpatch.DecodePatch([]byte(m[4]))
	if _, err := p.Apply(mustJSON(t, swapped)); err == nil {
		t.Error("the JSON patch applied to a pod whose container 0 is a sidecar")
	}
}

// isStrategicPatch: a patch of the hpa or requests component.
func isStrategicPatch(p string) bool {
	return (strings.HasPrefix(p, "hpa/") || strings.HasPrefix(p, "requests/")) && !strings.HasSuffix(p, "/kustomization.yaml")
}

func filesByPath(files []File) map[string][]byte {
	out := map[string][]byte{}
	for _, f := range files {
		out[f.Path] = f.Data
	}
	return out
}

func mustQuantity(t *testing.T, s string) resource.Quantity {
	t.Helper()
	q, err := resource.ParseQuantity(s)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func TestManifestsDecode(t *testing.T) {
	plan, rep := noa(t)
	files, _, err := RenderPatches(plan, rep, PatchOptions{Generator: "headroom test", VPA: true})
	if err != nil {
		t.Fatal(err)
	}
	var cronJobs, vpas int
	for _, f := range files {
		path, data := f.Path, f.Data
		if !strings.HasPrefix(path, "manifests/") && !strings.HasPrefix(path, "vpa/") && !strings.HasPrefix(path, "prescale/") || strings.HasSuffix(path, "/kustomization.yaml") {
			continue
		}
		for i, doc := range bytes.Split(data, []byte("\n---\n")) {
			var u unstructured.Unstructured
			js, err := yaml.YAMLToJSON(doc)
			if err != nil {
				t.Fatalf("%s doc %d: %v", path, i, err)
			}
			if err := u.UnmarshalJSON(js); err != nil {
				t.Fatalf("%s doc %d: %v", path, i, err)
			}
			switch u.GetKind() {
			case "HorizontalPodAutoscaler":
				var h autoscalingv2.HorizontalPodAutoscaler
				if err := yaml.UnmarshalStrict(doc, &h); err != nil {
					t.Fatalf("%s: %v", path, err)
				}
				if err := scenarios.ValidateHPASpec(&h.Spec, "spec"); err != nil {
					t.Errorf("%s: %v", path, err)
				}
			case "CronJob":
				cronJobs++
				var cj batchv1.CronJob
				if err := yaml.UnmarshalStrict(doc, &cj); err != nil {
					t.Fatalf("%s: %v", path, err)
				}
				checkCronJob(t, path, &cj, DefaultKubectlImage)
			case "VerticalPodAutoscaler":
				vpas++
				mode, _, _ := unstructured.NestedString(u.Object, "spec", "updatePolicy", "updateMode")
				if mode != "Off" {
					t.Errorf("%s: updateMode %q", path, mode)
				}
			case "Role":
				var r rbacv1.Role
				if err := yaml.UnmarshalStrict(doc, &r); err != nil {
					t.Fatalf("%s: %v", path, err)
				}
				for _, rule := range r.Rules {
					if len(rule.ResourceNames) == 0 || slices.ContainsFunc(rule.Verbs, func(v string) bool { return v != "get" && v != "patch" }) {
						t.Errorf("%s: rule %+v is not get/patch on named objects", path, rule)
					}
				}
			case "ServiceAccount", "RoleBinding":
			default:
				t.Errorf("%s: unexpected kind %q", path, u.GetKind())
			}
		}
	}
	want := 0
	for _, ev := range rep.Events {
		want += 2 * len(ev.PreScales)
	}
	if cronJobs != want || want == 0 {
		t.Errorf("%d CronJobs for %d pre-scale steps", cronJobs, want)
	}
	if vpas != len(plan.Services) {
		t.Errorf("%d VPAs with VPA: true, want one per service (%d)", vpas, len(plan.Services))
	}
}

// checkCronJob holds a pre-scale CronJob to the restricted Pod Security
// Standard (k8s.io/pod-security-admission/policy: check_runAsNonRoot.go,
// check_allowPrivilegeEscalation.go, check_capabilities_restricted.go,
// check_seccompProfile_restricted.go), resources on every container, a
// pinned image, and a valid merge patch as its last argument.
func checkCronJob(t *testing.T, path string, cj *batchv1.CronJob, image string) {
	t.Helper()
	if f := strings.Fields(cj.Spec.Schedule); len(f) != 5 {
		t.Errorf("%s: schedule %q is not five cron fields", path, cj.Spec.Schedule)
	}
	if len(cj.Name) > 52 {
		t.Errorf("%s: name %q longer than 52", path, cj.Name)
	}
	pod := cj.Spec.JobTemplate.Spec.Template.Spec
	if pod.ServiceAccountName != ScheduledScalingAccount {
		t.Errorf("%s: runs as %q", path, pod.ServiceAccountName)
	}
	psc := pod.SecurityContext
	if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.RunAsUser == nil || *psc.RunAsUser == 0 ||
		psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("%s: pod securityContext %+v", path, psc)
	}
	all := append(slices.Clone(pod.InitContainers), pod.Containers...)
	for _, c := range all {
		sc := c.SecurityContext
		if sc == nil || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation || sc.Capabilities == nil ||
			!slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(sc.Capabilities.Add) != 0 ||
			sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
			t.Errorf("%s: container %s securityContext %+v", path, c.Name, sc)
		}
		if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Cpu().IsZero() || c.Resources.Limits.Memory().IsZero() {
			t.Errorf("%s: container %s resources %v", path, c.Name, c.Resources)
		}
		if c.Image != image || strings.HasSuffix(c.Image, ":latest") || c.Command[0] != "kubectl" {
			t.Errorf("%s: container %s image %q command %q", path, c.Name, c.Image, c.Command)
		}
	}
	c := pod.Containers[0]
	var patch struct {
		Spec struct {
			MinReplicas *int32 `json:"minReplicas"`
		} `json:"spec"`
	}
	if err := json.Unmarshal([]byte(c.Command[len(c.Command)-1]), &patch); err != nil || patch.Spec.MinReplicas == nil {
		t.Errorf("%s: patch argument %q: %v", path, c.Command[len(c.Command)-1], err)
	}
	// A dated CronJob suspends itself before it scales: it cannot match
	// its date again next year.
	if cj.Annotations["headroom.dev/runs-once-at"] != "" {
		if *cj.Spec.Suspend || len(pod.InitContainers) != 1 || !slices.Contains(pod.InitContainers[0].Command, cj.Name) ||
			!strings.Contains(strings.Join(pod.InitContainers[0].Command, " "), `{"spec":{"suspend":true}}`) {
			t.Errorf("%s: a dated CronJob that does not suspend itself first: suspend %v, init %+v", path, *cj.Spec.Suspend, pod.InitContainers)
		}
	} else if !*cj.Spec.Suspend {
		t.Errorf("%s: a time-of-day CronJob is written active; it needs its date set by hand", path)
	}
}

// TestKustomizationListsEveryFile: every file of a component directory is
// listed by its kustomization.yaml, and the top-level one lists every
// component; the whole HPAs under manifests/ are in none.
func TestKustomizationListsEveryFile(t *testing.T) {
	plan, full := noa(t)
	rep := kedaReview(t, full)
	for _, opts := range []PatchOptions{{VPA: true}, {PrescaleWith: PrescaleKEDA}, {PrescaleWith: PrescaleGit}} {
		fs, _, err := RenderPatches(plan, rep, opts)
		if err != nil {
			t.Fatal(err)
		}
		files := filesByPath(fs)
		listed := map[string]bool{}
		var comps []string
		for p, data := range files {
			if path.Base(p) != "kustomization.yaml" {
				continue
			}
			var k struct {
				APIVersion string `json:"apiVersion"`
				Kind       string `json:"kind"`
				Patches    []struct {
					Path string `json:"path"`
				} `json:"patches"`
				Resources  []string `json:"resources"`
				Components []string `json:"components"`
			}
			if err := yaml.UnmarshalStrict(data, &k); err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			if k.Kind != "Component" || k.APIVersion != "kustomize.config.k8s.io/v1alpha1" {
				t.Errorf("%s is %s %s", p, k.APIVersion, k.Kind)
			}
			dir := path.Dir(p)
			for _, r := range k.Patches {
				listed[path.Join(dir, r.Path)] = true
			}
			for _, r := range k.Resources {
				listed[path.Join(dir, r)] = true
			}
			for _, c := range k.Components {
				comps = append(comps, path.Join(dir, c))
			}
		}
		for p := range files {
			want := !strings.HasPrefix(p, "manifests/") && path.Base(p) != "kustomization.yaml" && p != "kubectl-patches.sh" && p != "prescale/schedule.tsv"
			if want != listed[p] {
				t.Errorf("%+v: %s: listed %v, want %v", opts, p, listed[p], want)
			}
			delete(listed, p)
		}
		for p := range listed {
			t.Errorf("%+v: a kustomization lists %s, which does not exist", opts, p)
		}
		for _, c := range comps {
			if files[path.Join(c, "kustomization.yaml")] == nil {
				t.Errorf("%+v: component %s has no kustomization.yaml", opts, c)
			}
		}
		// The NOA report resizes its fixed services: a requests component.
		wantComps := []string{"hpa", "requests", "prescale"}
		switch {
		case opts.VPA:
			wantComps = []string{"hpa", "requests", "vpa", "prescale"}
		case opts.PrescaleWith == PrescaleGit:
			wantComps = []string{"hpa", "requests"} // the pipeline adds prescale/<window>/raise|restore in turn
		}
		if !slices.Equal(comps, wantComps) {
			t.Errorf("%+v: the top-level component includes %v, want %v", opts, comps, wantComps)
		}
	}
}

// kedaReview is the NOA review with noa-mcp's pre-scale only: the other
// HPAs have Pods metrics, which KEDA's cpu/memory scalers cannot carry
// over, and the keda writer refuses them by name.
func kedaReview(t *testing.T, rep *record.Review) *record.Review {
	t.Helper()
	plan, _ := noa(t)
	if _, _, err := RenderPatches(plan, rep, PatchOptions{PrescaleWith: PrescaleKEDA}); err == nil ||
		!strings.Contains(err.Error(), "noa-claude-flow-hpa metrics[1]: a Pods metric") {
		t.Errorf("keda with a Pods metric: err = %v", err)
	}
	r := *rep
	r.Events = slices.Clone(rep.Events)
	for i := range r.Events {
		r.Events[i].PreScales = slices.DeleteFunc(slices.Clone(r.Events[i].PreScales), func(p scenarios.PreScale) bool { return p.Service != "noa-mcp" })
	}
	return &r
}
