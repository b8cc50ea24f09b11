package cluster

import (
	"context"
	"io"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// The methods below are the object access a k6-operator run needs
// (k6.API): create its ConfigMap, create, read and delete its TestRun,
// list its runner pods and read their logs. Errors are the API server's,
// so apierrors.IsAlreadyExists and IsNotFound work on them.

// CreateConfigMap creates cm in its namespace.
func (c *Clients) CreateConfigMap(ctx context.Context, cm *corev1.ConfigMap) error {
	_, err := c.Kube.CoreV1().ConfigMaps(cm.Namespace).Create(ctx, cm, metav1.CreateOptions{})
	return err
}

// CreateObject creates obj, a gvr resource, in its namespace through the
// dynamic client.
func (c *Clients) CreateObject(ctx context.Context, gvr schema.GroupVersionResource, obj *unstructured.Unstructured) error {
	_, err := c.Dynamic.Resource(gvr).Namespace(obj.GetNamespace()).Create(ctx, obj, metav1.CreateOptions{})
	return err
}

// GetObject reads a gvr resource.
func (c *Clients) GetObject(ctx context.Context, gvr schema.GroupVersionResource, namespace, name string) (*unstructured.Unstructured, error) {
	return c.Dynamic.Resource(gvr).Namespace(namespace).Get(ctx, name, metav1.GetOptions{})
}

// DeleteObject deletes a gvr resource with background propagation: the
// call returns at once and the garbage collector deletes what the object
// owns (a TestRun's jobs and pods).
func (c *Clients) DeleteObject(ctx context.Context, gvr schema.GroupVersionResource, namespace, name string) error {
	policy := metav1.DeletePropagationBackground
	return c.Dynamic.Resource(gvr).Namespace(namespace).Delete(ctx, name, metav1.DeleteOptions{PropagationPolicy: &policy})
}

// ListPods lists the pods of a namespace that match a label selector.
func (c *Clients) ListPods(ctx context.Context, namespace, selector string) ([]corev1.Pod, error) {
	list, err := c.Kube.CoreV1().Pods(namespace).List(ctx, metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		return nil, err
	}
	return list.Items, nil
}

// Logs streams a pod's log (its only container's, through pods/log).
func (c *Clients) Logs(ctx context.Context, namespace, pod string) (io.ReadCloser, error) {
	return c.Kube.CoreV1().Pods(namespace).GetLogs(pod, &corev1.PodLogOptions{}).Stream(ctx)
}
