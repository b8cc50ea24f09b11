package cluster

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/headroom-dev/headroom/scenarios"
)

// VPAResource is the VerticalPodAutoscaler resource Discover reads.
var VPAResource = schema.GroupVersionResource{Group: "autoscaling.k8s.io", Version: "v1", Resource: "verticalpodautoscalers"}

// listPageSize bounds each list call; Discover follows the continue token.
const listPageSize = 500

// Discovery is what Discover found in one namespace.
type Discovery struct {
	Namespace string
	// Services holds one entry per Deployment and StatefulSet, sorted by
	// name (a StatefulSet after a Deployment of the same name).
	Services []DiscoveredService
	// Notes are things skipped or ambiguous in the namespace as a whole
	// (an absent VPA CRD, an HPA whose target does not exist), sorted.
	Notes []string

	// unusedHPAs are the HPAs assemble matched to no workload.
	unusedHPAs []autoscalingv2.HorizontalPodAutoscaler
	// fromFiles is set when the objects came from manifests or a plan, not
	// from the API server.
	fromFiles bool
}

// DiscoveredService is one workload with what targets it.
type DiscoveredService struct {
	// Service holds what the cluster knows; the fields it cannot know are
	// zero (see Placeholders).
	Service scenarios.Service
	// HPA names the HorizontalPodAutoscaler copied into Service.HPA, or "".
	HPA string
	// VPA is the VerticalPodAutoscaler targeting the workload, or nil.
	VPA *VPA
	// Notes say what was chosen or dropped for this workload.
	Notes []string

	// balancing says where Service.LoadBalancing came from (nil when it
	// was not read from a cluster).
	balancing *balancingNote
}

// VPA is what a VerticalPodAutoscaler says about a workload.
type VPA struct {
	Name string
	// UpdateMode is spec.updatePolicy.updateMode; "" when unset (the VPA
	// default, Auto/Recreate).
	UpdateMode string
	// Target is status.recommendation's target for the service's container,
	// nil when the VPA has not recommended yet.
	Target corev1.ResourceList
}

// Discover reads the Deployments and StatefulSets of namespace, the
// autoscaling/v2 HPAs targeting them and their VPAs. It only gets and lists.
// A missing VPA CRD (or no permission to list VPAs) is a note, not an error:
// VPAs are optional. Any other API error is returned.
func Discover(ctx context.Context, kube kubernetes.Interface, dyn dynamic.Interface, namespace string) (*Discovery, error) {
	if namespace == "" {
		return nil, fmt.Errorf("discover: no namespace given")
	}
	d := &Discovery{Namespace: namespace}
	var workloads []workload
	deps, err := listAll(ctx, func(opts metav1.ListOptions) ([]appsv1.Deployment, string, error) {
		l, err := kube.AppsV1().Deployments(namespace).List(ctx, opts)
		if err != nil {
			return nil, "", err
		}
		return l.Items, l.Continue, nil
	})
	if err != nil {
		return nil, fmt.Errorf("list deployments in %s: %w", namespace, err)
	}
	for i := range deps {
		workloads = append(workloads, workload{kind: "Deployment", namespace: namespace, meta: deps[i].ObjectMeta, replicas: deps[i].Spec.Replicas, pod: deps[i].Spec.Template.Spec, podMeta: deps[i].Spec.Template.ObjectMeta})
	}
	sets, err := listAll(ctx, func(opts metav1.ListOptions) ([]appsv1.StatefulSet, string, error) {
		l, err := kube.AppsV1().StatefulSets(namespace).List(ctx, opts)
		if err != nil {
			return nil, "", err
		}
		return l.Items, l.Continue, nil
	})
	if err != nil {
		return nil, fmt.Errorf("list statefulsets in %s: %w", namespace, err)
	}
	for i := range sets {
		workloads = append(workloads, workload{kind: "StatefulSet", namespace: namespace, meta: sets[i].ObjectMeta, replicas: sets[i].Spec.Replicas, pod: sets[i].Spec.Template.Spec, podMeta: sets[i].Spec.Template.ObjectMeta})
	}
	hpas, err := listAll(ctx, func(opts metav1.ListOptions) ([]autoscalingv2.HorizontalPodAutoscaler, string, error) {
		l, err := kube.AutoscalingV2().HorizontalPodAutoscalers(namespace).List(ctx, opts)
		if err != nil {
			return nil, "", err
		}
		return l.Items, l.Continue, nil
	})
	if err != nil {
		return nil, fmt.Errorf("list horizontalpodautoscalers in %s: %w", namespace, err)
	}
	vpas, note, err := listVPAs(ctx, dyn, namespace)
	if err != nil {
		return nil, err
	}
	if note != "" {
		d.Notes = append(d.Notes, note)
	}

	d.assemble(workloads, hpas, vpas)
	byRef := make(map[string]workload, len(workloads))
	for _, w := range workloads {
		byRef[w.kind+"/"+w.meta.Name] = w
	}
	if err := d.discoverBalancing(ctx, kube, byRef); err != nil {
		return nil, err
	}
	for _, h := range d.unusedHPAs {
		ref := h.Spec.ScaleTargetRef
		d.Notes = append(d.Notes, fmt.Sprintf("HPA %s targets %s %s, which is not a Deployment or StatefulSet in %s; skipped", h.Name, ref.Kind, ref.Name, namespace))
	}
	d.unusedHPAs = nil
	sort.Strings(d.Notes)
	return d, nil
}

// assemble builds d.Services from workloads, the HPAs and the VPAs, as
// Discover reads them from a namespace and FromManifests from files: one
// service per workload (sorted by name, a Deployment before a StatefulSet
// of the same name), the HPA and VPA that target it (same namespace, where
// an empty namespace matches any: a manifest without one is applied to the
// current namespace). HPAs that target no workload are left in
// d.unusedHPAs; unused VPAs become notes.
func (d *Discovery) assemble(workloads []workload, hpas []autoscalingv2.HorizontalPodAutoscaler, vpas []vpaObject) {
	sort.SliceStable(workloads, func(i, j int) bool {
		if workloads[i].meta.Name != workloads[j].meta.Name {
			return workloads[i].meta.Name < workloads[j].meta.Name
		}
		return workloads[i].kind < workloads[j].kind // Deployment before StatefulSet
	})
	sort.SliceStable(hpas, func(i, j int) bool { return hpas[i].Name < hpas[j].Name })
	usedHPA := map[int]bool{}
	usedVPA := map[string]bool{}
	names := map[string]bool{}
	for _, w := range workloads {
		ds := w.service(names)
		matched := matchingHPAs(hpas, w)
		if len(matched) > 0 {
			h := hpas[matched[0]]
			spec := h.Spec.DeepCopy()
			ds.Service.HPA = spec
			ds.HPA = h.Name
			for _, m := range matched {
				usedHPA[m] = true
			}
			if len(matched) > 1 {
				others := make([]string, 0, len(matched)-1)
				for _, m := range matched[1:] {
					others = append(others, hpas[m].Name)
				}
				ds.Notes = append(ds.Notes, fmt.Sprintf("HPAs %s and %s all target %s %s; the controller refuses to scale such a workload (AmbiguousSelector); copied %s only",
					h.Name, strings.Join(others, ", "), w.kind, w.meta.Name, h.Name))
			}
			ds.pickContainerFromHPA(w)
			ds.Service.MetricSources = customMetricPlaceholders(spec)
		}
		for _, v := range vpas {
			if v.targetKind == w.kind && v.targetName == w.meta.Name && !usedVPA[v.name] {
				usedVPA[v.name] = true
				ds.VPA = v.forContainer(ds.Service.Container)
				break
			}
		}
		d.Services = append(d.Services, ds)
	}
	for i, h := range hpas {
		if !usedHPA[i] {
			d.unusedHPAs = append(d.unusedHPAs, h)
		}
	}
	for _, v := range vpas {
		if !usedVPA[v.name] {
			d.Notes = append(d.Notes, fmt.Sprintf("VPA %s targets %s %s, which is not a Deployment or StatefulSet in %s; skipped", v.name, v.targetKind, v.targetName, d.Namespace))
		}
	}
}

// customMetricPlaceholders lists the Pods, Object and External metrics of
// the HPA, each with an empty source for the user to fill: the cluster
// does not say what a custom metric measures.
func customMetricPlaceholders(spec *autoscalingv2.HorizontalPodAutoscalerSpec) []scenarios.MetricSource {
	var out []scenarios.MetricSource
	seen := map[string]bool{}
	for _, m := range spec.Metrics {
		var name string
		switch {
		case m.Pods != nil:
			name = m.Pods.Metric.Name
		case m.Object != nil:
			name = m.Object.Metric.Name
		case m.External != nil:
			name = m.External.Metric.Name
		}
		if name != "" && !seen[name] {
			seen[name] = true
			out = append(out, scenarios.MetricSource{Name: name})
		}
	}
	return out
}

// listAll follows continue tokens.
func listAll[T any](ctx context.Context, list func(metav1.ListOptions) ([]T, string, error)) ([]T, error) {
	var all []T
	opts := metav1.ListOptions{Limit: listPageSize}
	for {
		items, cont, err := list(opts)
		if err != nil {
			return nil, err
		}
		all = append(all, items...)
		if cont == "" {
			return all, nil
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		opts.Continue = cont
	}
}

// workload is a Deployment or StatefulSet reduced to what a plan needs.
type workload struct {
	kind      string
	namespace string
	meta      metav1.ObjectMeta
	replicas  *int32
	pod       corev1.PodSpec
	// podMeta is the pod template's metadata (labels, annotations).
	podMeta metav1.ObjectMeta
}

// service builds the plan entry. names holds the service names taken so
// far: a StatefulSet named like a Deployment becomes "<name>-sts".
func (w workload) service(names map[string]bool) DiscoveredService {
	var ds DiscoveredService
	name := w.meta.Name
	if names[name] {
		name += "-sts"
		ds.Notes = append(ds.Notes, fmt.Sprintf("a Deployment is also named %s; this StatefulSet is service %s", w.meta.Name, name))
	}
	names[name] = true
	s := scenarios.Service{
		Name:        name,
		Namespace:   w.namespace,
		WorkloadRef: scenarios.WorkloadRef{Kind: w.kind, Name: w.meta.Name},
		Replicas:    1, // the API default of spec.replicas
	}
	if w.replicas != nil {
		s.Replicas = *w.replicas
	}
	if s.Replicas == 0 {
		ds.Notes = append(ds.Notes, fmt.Sprintf("%s %s is scaled to 0 replicas; set replicas to the count it runs with", w.kind, w.meta.Name))
	}
	ds.Service = s
	ds.setContainer(w, preferredContainer(w))
	return ds
}

// preferredContainer picks the serving container: the only one, else the
// one named like the workload, else the first.
func preferredContainer(w workload) string {
	cs := w.pod.Containers
	switch {
	case len(cs) == 0:
		return ""
	case len(cs) == 1:
		return cs[0].Name
	}
	for _, c := range cs {
		if c.Name == w.meta.Name {
			return c.Name
		}
	}
	return cs[0].Name
}

// setContainer makes name the service's container and copies its cpu and
// memory requests and limits.
func (ds *DiscoveredService) setContainer(w workload, name string) {
	ds.Service.Container = name
	ds.Notes = slices.DeleteFunc(ds.Notes, func(n string) bool { return strings.HasPrefix(n, containerNotePrefix) })
	if len(w.pod.Containers) > 1 {
		others := make([]string, 0, len(w.pod.Containers)-1)
		for _, c := range w.pod.Containers {
			if c.Name != name {
				others = append(others, c.Name)
			}
		}
		ds.Notes = append(ds.Notes, fmt.Sprintf("%s%s serves; headroom models one container and leaves out %s", containerNotePrefix, name, strings.Join(others, ", ")))
	}
	for _, c := range w.pod.Containers {
		if c.Name != name {
			continue
		}
		var dropped []string
		ds.Service.Resources = corev1.ResourceRequirements{
			Requests: cpuMemory(c.Resources.Requests, "requests", &dropped),
			Limits:   cpuMemory(c.Resources.Limits, "limits", &dropped),
		}
		if len(dropped) > 0 {
			ds.Notes = append(ds.Notes, fmt.Sprintf("headroom models cpu and memory only; left out %s", strings.Join(dropped, ", ")))
		}
	}
}

const containerNotePrefix = "container "

// pickContainerFromHPA switches to the container a ContainerResource
// metric of the HPA names, when it is not the one chosen.
func (ds *DiscoveredService) pickContainerFromHPA(w workload) {
	for _, m := range ds.Service.HPA.Metrics {
		if m.ContainerResource == nil || m.ContainerResource.Container == ds.Service.Container {
			continue
		}
		for _, c := range w.pod.Containers {
			if c.Name == m.ContainerResource.Container {
				ds.setContainer(w, c.Name)
				return
			}
		}
	}
}

// cpuMemory keeps the cpu and memory entries of l (nil when there are
// none) and records the names of the others in dropped.
func cpuMemory(l corev1.ResourceList, list string, dropped *[]string) corev1.ResourceList {
	var out corev1.ResourceList
	keys := make([]string, 0, len(l))
	for k := range l {
		keys = append(keys, string(k))
	}
	sort.Strings(keys)
	for _, k := range keys {
		q := l[corev1.ResourceName(k)]
		if k != string(corev1.ResourceCPU) && k != string(corev1.ResourceMemory) {
			*dropped = append(*dropped, list+"."+k)
			continue
		}
		if out == nil {
			out = corev1.ResourceList{}
		}
		out[corev1.ResourceName(k)] = q.DeepCopy()
	}
	return out
}

// matchingHPAs returns the indexes of the HPAs (sorted by name) whose
// scaleTargetRef names w: same kind, same name, the apps group (an empty
// apiVersion is taken as apps/v1, as kubectl autoscale writes it), and the
// same namespace (an empty one matches any).
func matchingHPAs(hpas []autoscalingv2.HorizontalPodAutoscaler, w workload) []int {
	var out []int
	for i, h := range hpas {
		ref := h.Spec.ScaleTargetRef
		if ref.Kind == w.kind && ref.Name == w.meta.Name && isAppsGroup(ref.APIVersion) &&
			(h.Namespace == "" || w.namespace == "" || h.Namespace == w.namespace) {
			out = append(out, i)
		}
	}
	return out
}

func isAppsGroup(apiVersion string) bool {
	if apiVersion == "" {
		return true
	}
	gv, err := schema.ParseGroupVersion(apiVersion)
	return err == nil && gv.Group == "apps"
}

// vpaObject is a VerticalPodAutoscaler as Discover reads it.
type vpaObject struct {
	name                   string
	targetKind, targetName string
	updateMode             string
	// targets maps container names to status.recommendation targets.
	targets map[string]corev1.ResourceList
}

func (v vpaObject) forContainer(container string) *VPA {
	out := &VPA{Name: v.name, UpdateMode: v.updateMode}
	if t, ok := v.targets[container]; ok {
		out.Target = t
	}
	return out
}

// listVPAs lists the namespace's VPAs through the dynamic client. When the
// CRD is not installed, or listing is forbidden, it returns a note instead.
func listVPAs(ctx context.Context, dyn dynamic.Interface, namespace string) ([]vpaObject, string, error) {
	if dyn == nil {
		return nil, "no dynamic client; VerticalPodAutoscalers skipped", nil
	}
	items, err := listAll(ctx, func(opts metav1.ListOptions) ([]unstructured.Unstructured, string, error) {
		l, err := dyn.Resource(VPAResource).Namespace(namespace).List(ctx, opts)
		if err != nil {
			return nil, "", err
		}
		return l.Items, l.GetContinue(), nil
	})
	switch {
	case apierrors.IsNotFound(err):
		return nil, "the VerticalPodAutoscaler CRD (autoscaling.k8s.io/v1) is not installed; VPAs skipped", nil
	case apierrors.IsForbidden(err):
		return nil, fmt.Sprintf("not allowed to list verticalpodautoscalers in %s; VPAs skipped (%v)", namespace, err), nil
	case err != nil:
		return nil, "", fmt.Errorf("list verticalpodautoscalers in %s: %w", namespace, err)
	}
	out := make([]vpaObject, 0, len(items))
	for i := range items {
		out = append(out, parseVPA(&items[i]))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out, "", nil
}

// parseVPA reads the fields Discover uses; missing or mistyped fields stay
// empty (a VPA is advice, never a reason to fail).
func parseVPA(u *unstructured.Unstructured) vpaObject {
	v := vpaObject{name: u.GetName(), targets: map[string]corev1.ResourceList{}}
	v.targetKind, _, _ = unstructured.NestedString(u.Object, "spec", "targetRef", "kind")
	v.targetName, _, _ = unstructured.NestedString(u.Object, "spec", "targetRef", "name")
	v.updateMode, _, _ = unstructured.NestedString(u.Object, "spec", "updatePolicy", "updateMode")
	recs, _, _ := unstructured.NestedSlice(u.Object, "status", "recommendation", "containerRecommendations")
	for _, r := range recs {
		m, ok := r.(map[string]any)
		if !ok {
			continue
		}
		name, _, _ := unstructured.NestedString(m, "containerName")
		target, _, _ := unstructured.NestedMap(m, "target")
		l := corev1.ResourceList{}
		for _, k := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
			s, ok := target[string(k)].(string)
			if !ok {
				continue
			}
			if q, err := resource.ParseQuantity(s); err == nil {
				l[k] = q
			}
		}
		if name != "" && len(l) > 0 {
			v.targets[name] = l
		}
	}
	return v
}
