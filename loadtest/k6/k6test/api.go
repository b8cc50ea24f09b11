package k6test

import (
	"context"
	"io"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// API holds config maps, custom objects, pods and pod logs.
type API struct {
	mu         sync.Mutex
	configMaps map[string]*corev1.ConfigMap
	objects    map[string]*unstructured.Unstructured
	pods       map[string]corev1.Pod
	logs       map[string]string
}

// New returns an empty API.
func New() *API {
	return &API{configMaps: map[string]*corev1.ConfigMap{}, objects: map[string]*unstructured.Unstructured{},
		pods: map[string]corev1.Pod{}, logs: map[string]string{}}
}

func objectKey(gvr schema.GroupVersionResource, ns, name string) string {
	return gvr.String() + " " + ns + "/" + name
}

// CreateConfigMap stores cm; an existing one is AlreadyExists.
func (a *API) CreateConfigMap(_ context.Context, cm *corev1.ConfigMap) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	k := cm.Namespace + "/" + cm.Name
	if _, ok := a.configMaps[k]; ok {
		return apierrors.NewAlreadyExists(corev1.Resource("configmaps"), cm.Name)
	}
	a.configMaps[k] = cm.DeepCopy()
	return nil
}

// ConfigMap returns a stored config map.
func (a *API) ConfigMap(ns, name string) (*corev1.ConfigMap, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	cm, ok := a.configMaps[ns+"/"+name]
	return cm.DeepCopy(), ok
}

// CreateObject stores obj; an existing one is AlreadyExists.
func (a *API) CreateObject(_ context.Context, gvr schema.GroupVersionResource, obj *unstructured.Unstructured) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	k := objectKey(gvr, obj.GetNamespace(), obj.GetName())
	if _, ok := a.objects[k]; ok {
		return apierrors.NewAlreadyExists(gvr.GroupResource(), obj.GetName())
	}
	a.objects[k] = obj.DeepCopy()
	return nil
}

// GetObject returns a copy of a stored object, or NotFound.
func (a *API) GetObject(_ context.Context, gvr schema.GroupVersionResource, ns, name string) (*unstructured.Unstructured, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	o, ok := a.objects[objectKey(gvr, ns, name)]
	if !ok {
		return nil, apierrors.NewNotFound(gvr.GroupResource(), name)
	}
	return o.DeepCopy(), nil
}

// SetNestedString sets a string field of a stored object, as a controller
// writing its status would (e.g. "status", "stage").
func (a *API) SetNestedString(gvr schema.GroupVersionResource, ns, name, value string, fields ...string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	o, ok := a.objects[objectKey(gvr, ns, name)]
	if !ok {
		return apierrors.NewNotFound(gvr.GroupResource(), name)
	}
	return unstructured.SetNestedField(o.Object, value, fields...)
}

// DeleteObject removes a stored object, or returns NotFound.
func (a *API) DeleteObject(_ context.Context, gvr schema.GroupVersionResource, ns, name string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	k := objectKey(gvr, ns, name)
	if _, ok := a.objects[k]; !ok {
		return apierrors.NewNotFound(gvr.GroupResource(), name)
	}
	delete(a.objects, k)
	return nil
}

// AddPod stores a pod and the log it wrote.
func (a *API) AddPod(pod corev1.Pod, log string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	k := pod.Namespace + "/" + pod.Name
	a.pods[k] = *pod.DeepCopy()
	a.logs[k] = log
}

// ListPods returns the pods of ns that match a label selector.
func (a *API) ListPods(_ context.Context, ns, selector string) ([]corev1.Pod, error) {
	sel, err := labels.Parse(selector)
	if err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []corev1.Pod
	for _, p := range a.pods {
		if p.Namespace == ns && sel.Matches(labels.Set(p.Labels)) {
			out = append(out, *p.DeepCopy())
		}
	}
	return out, nil
}

// Logs returns the log AddPod stored, or NotFound for an unknown pod.
func (a *API) Logs(_ context.Context, ns, pod string) (io.ReadCloser, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	l, ok := a.logs[ns+"/"+pod]
	if !ok {
		return nil, apierrors.NewNotFound(corev1.Resource("pods"), pod)
	}
	return io.NopCloser(strings.NewReader(l)), nil
}
