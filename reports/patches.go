package reports

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path"
	"reflect"
	"slices"
	"sort"
	"strings"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/headroom-dev/headroom/review/record"
	"github.com/headroom-dev/headroom/scenarios"
)

// File is one generated file, relative to the output directory.
type File struct {
	Path string
	Data []byte
	Mode uint32 // 0 means 0o644
}

// PatchOptions tune the patch writer.
type PatchOptions struct {
	KubectlImage string
	Generator    string
	// VPA writes the vpa/ component (VerticalPodAutoscalers in Off mode),
	// which needs the VPA CRDs in the cluster.
	VPA bool
	// PrescaleWith is how events are pre-scaled: PrescaleCronJob (the
	// default when empty), PrescaleKEDA or PrescaleGit.
	PrescaleWith string
}

// The ways to pre-scale for an event (PatchOptions.PrescaleWith).
const (
	PrescaleCronJob = "cronjob"
	PrescaleKEDA    = "keda"
	PrescaleGit     = "git"
)

// PrescaleWithValues lists the PrescaleWith values, the default first.
var PrescaleWithValues = []string{PrescaleCronJob, PrescaleKEDA, PrescaleGit}

// patchDirs are the directories of the patches directory: one kustomize
// Component each (manifests/ holds whole objects no component lists).
var patchDirs = map[string]bool{"hpa": true, "requests": true, "vpa": true, "prescale": true, "manifests": true}

// jsonOp is one RFC 6902 operation.
type jsonOp struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	Value any    `json:"value,omitempty"`
}

// workloadChange is everything the report changes on one workload or HPA.
type patchTarget struct {
	apiVersion, kind, name, namespace string
	ops                               []jsonOp
	strategic                         map[string]any // the spec part of a strategic-merge patch
	rationale                         []string
}

// RenderPatches writes, in memory, the patches directory described in the
// package documentation for the review's recommendations and events.
func RenderPatches(plan *scenarios.Plan, rep *record.Review, opts PatchOptions) ([]File, []record.PatchFile, error) {
	if opts.KubectlImage == "" {
		opts.KubectlImage = DefaultKubectlImage
	}
	if opts.PrescaleWith == "" {
		opts.PrescaleWith = PrescaleCronJob
	}
	if !slices.Contains(PrescaleWithValues, opts.PrescaleWith) {
		return nil, nil, fmt.Errorf("pre-scale with %q: use one of %s", opts.PrescaleWith, strings.Join(PrescaleWithValues, ", "))
	}
	if err := checkNames(plan, rep); err != nil {
		return nil, nil, err
	}
	var targets []patchTarget
	var files []File
	var refs []record.PatchFile
	for _, rec := range rep.Recommendations {
		svc := plan.Service(rec.Service)
		if svc == nil || !rec.Changed() {
			continue
		}
		if w, ok := workloadTarget(svc, rec); ok {
			targets = append(targets, w)
		}
		if rec.HPA != nil {
			targets = append(targets, hpaTarget(svc, rec))
			f, err := hpaManifest(svc, rec)
			if err != nil {
				return nil, nil, err
			}
			files = append(files, f)
			refs = append(refs, record.PatchFile{Path: f.Path, Target: "HorizontalPodAutoscaler " + nsName(svc.Namespace, scenarios.HPAName(svc)), Rationale: rec.HPARationale})
		}
	}
	var components []string
	if opts.VPA && len(plan.Services) > 0 {
		var vpas []string
		for i := range plan.Services {
			svc := &plan.Services[i]
			f := vpaManifest(svc, opts.Generator)
			files = append(files, f)
			vpas = append(vpas, path.Base(f.Path))
			refs = append(refs, record.PatchFile{Path: f.Path, Target: "VerticalPodAutoscaler " + nsName(svc.Namespace, svc.WorkloadRef.Name), Rationale: []string{"recommendation only (updateMode Off): the VPA's numbers to hold against headroom's"}})
		}
		files = append(files, component("vpa", []string{
			"VerticalPodAutoscalers in recommendation-only mode (updateMode Off).",
			"NEEDS THE VPA CRDs (autoscaling.k8s.io/v1, from kubernetes/autoscaler's vertical-pod-autoscaler):",
			"without them the API server rejects these objects; leave this component out there.",
		}, nil, vpas, nil))
	}
	pre, err := renderPrescale(plan, rep, opts)
	if err != nil {
		return nil, nil, err
	}
	files = append(files, pre.files...)
	refs = append(refs, pre.refs...)

	var script bytes.Buffer
	fmt.Fprintf(&script, "#!/bin/sh\n# kubectl JSON patches for plan %s, written by %s.\n", commentText(rep.Plan), commentText(opts.Generator))
	script.WriteString("# Each command carries its reason. Review, then run: sh kubectl-patches.sh\n")
	script.WriteString("# The \"test\" operations make a patch fail, changing nothing, when container 0 is not\n# the one the plan names.\nset -eu\n")
	byDir := map[string][]string{}
	for _, t := range targets {
		ops, err := opsText(t.ops)
		if err != nil {
			return nil, nil, err
		}
		script.WriteString("\n")
		for _, r := range t.rationale {
			fmt.Fprintf(&script, "# %s/%s: %s\n", commentText(strings.ToLower(t.kind)), commentText(t.name), commentText(r))
		}
		// Every argument is quoted for sh; -n is left out without a
		// namespace, so kubectl uses its current one, as headroom apply
		// gives such objects its -n or the context's namespace.
		ns := ""
		if t.namespace != "" {
			ns = " -n " + shellQuote(t.namespace)
		} else {
			script.WriteString("# No namespace in the plan: kubectl's current namespace (-n or the context's).\n")
		}
		fmt.Fprintf(&script, "kubectl patch %s %s%s --type='json' \\\n  -p=%s\n", shellQuote(strings.ToLower(t.kind)), shellQuote(t.name), ns, shellQuote(ops))

		obj := map[string]any{
			"apiVersion": t.apiVersion, "kind": t.kind,
			"metadata": meta(t.name, t.namespace, nil),
			"spec":     t.strategic,
		}
		b, err := yaml.Marshal(obj)
		if err != nil {
			return nil, nil, err
		}
		dir, name := "requests", strings.ToLower(t.kind)+"-"+t.name+".yaml"
		if t.kind == "HorizontalPodAutoscaler" {
			dir, name = "hpa", t.name+".yaml"
		}
		p := path.Join(dir, name)
		files = append(files, File{Path: p, Data: withComments(t.rationale, b)})
		byDir[dir] = append(byDir[dir], name)
		refs = append(refs, record.PatchFile{Path: p, Target: t.kind + " " + nsName(t.namespace, t.name), Rationale: t.rationale})
	}
	if len(targets) == 0 {
		script.WriteString("\n# Nothing to patch: every service is sized for every scenario.\n")
	}
	files = append(files, File{Path: "kubectl-patches.sh", Data: script.Bytes(), Mode: 0o755})
	refs = append([]record.PatchFile{{Path: "kubectl-patches.sh", Target: "every workload and HPA above", Rationale: []string{"the same changes as kubectl JSON patches, in the runbook's form"}}}, refs...)
	if p := byDir["hpa"]; len(p) > 0 {
		files = append(files, component("hpa", []string{"The proposed HPA changes (maxReplicas, targets, minReplicas) as strategic-merge patches."}, p, nil, nil))
		components = append(components, "hpa")
	}
	if p := byDir["requests"]; len(p) > 0 {
		files = append(files, component("requests", []string{"The proposed requests, limits and (for workloads without an HPA) replicas, as strategic-merge patches."}, p, nil, nil))
		components = append(components, "requests")
	}
	if opts.VPA && len(plan.Services) > 0 {
		components = append(components, "vpa")
	}
	if pre.component {
		components = append(components, "prescale")
	}
	if len(components) > 0 {
		files = append(files, topKustomization(rep.Plan, opts.Generator, components))
	}
	for _, f := range files {
		if err := checkFileName(f.Path); err != nil {
			return nil, nil, err
		}
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	sort.SliceStable(refs, func(i, j int) bool { return refs[i].Path < refs[j].Path })
	return files, refs, nil
}

// opsText writes a JSON patch one operation a line, as the runbook does.
func opsText(ops []jsonOp) (string, error) {
	var b strings.Builder
	b.WriteString("[\n")
	for i, op := range ops {
		line, err := json.Marshal(op)
		if err != nil {
			return "", err
		}
		b.WriteString("    ")
		if err := spaced(&b, line); err != nil {
			return "", err
		}
		if i < len(ops)-1 {
			b.WriteString(",")
		}
		b.WriteString("\n")
	}
	b.WriteString("  ]")
	return b.String(), nil
}

func withComments(lines []string, body []byte) []byte {
	var b bytes.Buffer
	for _, l := range lines {
		fmt.Fprintf(&b, "# %s\n", commentText(l))
	}
	b.Write(body)
	return b.Bytes()
}

// containerPath is the JSON-pointer prefix of the serving container; the
// plan names the container, a JSON patch can only index it, so every patch
// first tests that index 0 is that container.
const containerPath = "/spec/template/spec/containers/0"

func workloadTarget(svc *scenarios.Service, rec record.Recommendation) (patchTarget, bool) {
	t := patchTarget{
		apiVersion: "apps/v1", kind: svc.WorkloadRef.Kind, name: svc.WorkloadRef.Name, namespace: svc.Namespace,
		strategic: map[string]any{},
	}
	if rec.Replicas > 0 {
		t.ops = append(t.ops, jsonOp{Op: "replace", Path: "/spec/replicas", Value: rec.Replicas})
		t.strategic["replicas"] = rec.Replicas
		t.rationale = append(t.rationale, rec.HPARationale...)
	}
	resources := map[string]any{}
	if len(rec.Requests) > 0 || len(rec.Limits) > 0 {
		t.ops = append(t.ops, jsonOp{Op: "test", Path: containerPath + "/name", Value: svc.Container})
		for _, part := range []struct {
			name    string
			current corev1.ResourceList
			changed corev1.ResourceList
		}{
			{"requests", svc.Resources.Requests, rec.Requests},
			{"limits", svc.Resources.Limits, rec.Limits},
		} {
			if len(part.changed) == 0 {
				continue
			}
			values := map[string]any{}
			for _, name := range sortedResourceNames(part.changed) {
				q := part.changed[name]
				values[string(name)] = q.String()
			}
			resources[part.name] = values
			if len(part.current) == 0 {
				// The map is absent: add it whole.
				t.ops = append(t.ops, jsonOp{Op: "add", Path: containerPath + "/resources/" + part.name, Value: values})
				continue
			}
			for _, name := range sortedResourceNames(part.changed) {
				op := "add"
				if _, ok := part.current[name]; ok {
					op = "replace"
				}
				q := part.changed[name]
				t.ops = append(t.ops, jsonOp{Op: op, Path: containerPath + "/resources/" + part.name + "/" + string(name), Value: q.String()})
			}
		}
		t.strategic["template"] = map[string]any{"spec": map[string]any{"containers": []any{
			map[string]any{"name": svc.Container, "resources": resources},
		}}}
		t.rationale = append(t.rationale, rec.ResourceRationale...)
	}
	return t, len(t.ops) > 0
}

func hpaTarget(svc *scenarios.Service, rec record.Recommendation) patchTarget {
	t := patchTarget{
		apiVersion: "autoscaling/v2", kind: "HorizontalPodAutoscaler", name: scenarios.HPAName(svc), namespace: svc.Namespace,
		strategic: map[string]any{}, rationale: rec.HPARationale,
	}
	cur, prop := svc.HPA, rec.HPA
	if prop.MaxReplicas != cur.MaxReplicas {
		t.ops = append(t.ops, jsonOp{Op: "replace", Path: "/spec/maxReplicas", Value: prop.MaxReplicas})
		t.strategic["maxReplicas"] = prop.MaxReplicas
	}
	for i := range prop.Metrics {
		if i >= len(cur.Metrics) {
			break
		}
		pt, ct := utilizationTarget(&prop.Metrics[i]), utilizationTarget(&cur.Metrics[i])
		if pt == nil || ct == nil || *pt == *ct {
			continue
		}
		kind := "resource"
		if prop.Metrics[i].ContainerResource != nil {
			kind = "containerResource"
		}
		base := fmt.Sprintf("/spec/metrics/%d/%s", i, kind)
		t.ops = append(t.ops,
			jsonOp{Op: "test", Path: base + "/name", Value: metricResourceName(&cur.Metrics[i])},
			jsonOp{Op: "replace", Path: base + "/target/averageUtilization", Value: *pt})
		// metrics has no merge key: a strategic-merge patch replaces the list whole.
		t.strategic["metrics"] = prop.Metrics
	}
	if prop.MinReplicas != nil && (cur.MinReplicas == nil || *cur.MinReplicas != *prop.MinReplicas) {
		op := "replace"
		if cur.MinReplicas == nil {
			op = "add"
		}
		t.ops = append(t.ops, jsonOp{Op: op, Path: "/spec/minReplicas", Value: *prop.MinReplicas})
		t.strategic["minReplicas"] = *prop.MinReplicas
	}
	behaviorOps(&t, cur.Behavior, prop.Behavior)
	return t
}

// behaviorOps patches spec.behavior's scaleUp and scaleDown rules where
// the proposal changes them. Their policies lists are atomic
// (+listType=atomic in k8s.io/api/autoscaling/v2 types.go), so a
// strategic-merge patch replaces each rule set whole, as the JSON patch
// does.
func behaviorOps(t *patchTarget, cur, prop *autoscalingv2.HorizontalPodAutoscalerBehavior) {
	if prop == nil {
		return
	}
	var curUp, curDown *autoscalingv2.HPAScalingRules
	if cur != nil {
		curUp, curDown = cur.ScaleUp, cur.ScaleDown
	}
	strategic := map[string]any{}
	for _, r := range []struct {
		name      string
		cur, prop *autoscalingv2.HPAScalingRules
	}{{"scaleUp", curUp, prop.ScaleUp}, {"scaleDown", curDown, prop.ScaleDown}} {
		if r.prop == nil || reflect.DeepEqual(r.cur, r.prop) {
			continue
		}
		switch {
		case cur == nil && len(strategic) == 0:
			t.ops = append(t.ops, jsonOp{Op: "add", Path: "/spec/behavior", Value: map[string]any{}})
			fallthrough
		case r.cur == nil:
			t.ops = append(t.ops, jsonOp{Op: "add", Path: "/spec/behavior/" + r.name, Value: r.prop})
		default:
			t.ops = append(t.ops, jsonOp{Op: "replace", Path: "/spec/behavior/" + r.name, Value: r.prop})
		}
		strategic[r.name] = r.prop
	}
	if len(strategic) > 0 {
		t.strategic["behavior"] = strategic
	}
}

// utilizationTarget is a Resource or ContainerResource metric's
// averageUtilization, or nil.
func utilizationTarget(m *autoscalingv2.MetricSpec) *int32 {
	switch {
	case m.Resource != nil:
		return m.Resource.Target.AverageUtilization
	case m.ContainerResource != nil:
		return m.ContainerResource.Target.AverageUtilization
	}
	return nil
}

func metricResourceName(m *autoscalingv2.MetricSpec) string {
	if m.Resource != nil {
		return string(m.Resource.Name)
	}
	return string(m.ContainerResource.Name)
}

func hpaManifest(svc *scenarios.Service, rec record.Recommendation) (File, error) {
	hpa := autoscalingv2.HorizontalPodAutoscaler{Spec: *rec.HPA}
	hpa.APIVersion, hpa.Kind = "autoscaling/v2", "HorizontalPodAutoscaler"
	hpa.Name, hpa.Namespace = scenarios.HPAName(svc), svc.Namespace
	b, err := json.Marshal(hpa)
	if err != nil {
		return File{}, err
	}
	var obj map[string]any
	if err := json.Unmarshal(b, &obj); err != nil {
		return File{}, err
	}
	delete(obj, "status")
	if md, ok := obj["metadata"].(map[string]any); ok {
		delete(md, "creationTimestamp")
	}
	y, err := yaml.Marshal(obj)
	if err != nil {
		return File{}, err
	}
	head := append([]string{"The whole HPA as proposed, for repositories without kustomize."}, rec.HPARationale...)
	return File{Path: "manifests/hpa-" + hpa.Name + ".yaml", Data: withComments(head, y)}, nil
}

func vpaManifest(svc *scenarios.Service, generator string) File {
	obj := map[string]any{
		"apiVersion": "autoscaling.k8s.io/v1", "kind": "VerticalPodAutoscaler",
		"metadata": meta(svc.WorkloadRef.Name, svc.Namespace, map[string]any{"app.kubernetes.io/managed-by": "headroom"}),
		"spec": map[string]any{
			"targetRef":    map[string]any{"apiVersion": "apps/v1", "kind": svc.WorkloadRef.Kind, "name": svc.WorkloadRef.Name},
			"updatePolicy": map[string]any{"updateMode": "Off"},
			"resourcePolicy": map[string]any{"containerPolicies": []any{map[string]any{
				"containerName": svc.Container, "controlledResources": []any{"cpu", "memory"},
			}}},
		},
	}
	b, _ := yaml.Marshal(obj) // maps of strings always marshal
	return File{Path: "vpa/" + svc.WorkloadRef.Name + ".yaml", Data: withComments([]string{
		"A VerticalPodAutoscaler in recommendation-only mode (updateMode Off): it never evicts a pod.",
		"Read its status.recommendation after a week and hold it against headroom's sizing.",
	}, b)}
}

// component writes dir/kustomization.yaml, a kustomize Component
// (kustomize.config.k8s.io/v1alpha1, kustomize's api/types.ComponentKind)
// whose patches and resources are files of dir and components its
// subdirectories.
func component(dir string, head, patches, resources, components []string) File {
	obj := map[string]any{"apiVersion": "kustomize.config.k8s.io/v1alpha1", "kind": "Component"}
	var ps []any
	for _, p := range patches {
		ps = append(ps, map[string]any{"path": p})
	}
	if len(ps) > 0 {
		obj["patches"] = ps
	}
	if len(resources) > 0 {
		obj["resources"] = resources
	}
	if len(components) > 0 {
		obj["components"] = components
	}
	y, _ := yaml.Marshal(obj) // maps of strings always marshal
	return File{Path: path.Join(dir, "kustomization.yaml"), Data: withComments(head, y)}
}

func topKustomization(plan, generator string, components []string) File {
	f := component(".", []string{
		fmt.Sprintf("Right-sizing for plan %s, written by %s.", plan, generator),
		"A kustomize Component that includes every piece below; add it to the overlay that deploys",
		"these workloads with  components: [path/to/patches]  or take the pieces you want:",
		"  hpa/       HPA changes              requests/  requests, limits, replicas",
		"  vpa/       VPAs in Off mode (only with --vpa; needs the VPA CRDs)",
		"  prescale/  event pre-scaling (CronJobs with their RBAC, or KEDA ScaledObjects)",
		"The manifests/hpa-*.yaml files are whole HPAs for repositories without kustomize; no component lists them.",
	}, nil, nil, components)
	return f
}

func sortedResourceNames(l corev1.ResourceList) []corev1.ResourceName {
	names := make([]corev1.ResourceName, 0, len(l))
	for n := range l {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool { return names[i] < names[j] })
	return names
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
