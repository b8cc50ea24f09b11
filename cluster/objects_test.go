package cluster

import (
	"context"
	"io"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/headroom-dev/headroom/loadtest/k6"
)

var _ k6.API = (*Clients)(nil)

func objectsFixture() *Clients {
	gvr := k6.TestRunGVR
	dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), map[schema.GroupVersionResource]string{gvr: "TestRunList"})
	return &Clients{Kube: fake.NewClientset(), Dynamic: dyn}
}

func TestClients_ConfigMapAndObjects(t *testing.T) {
	ctx := context.Background()
	c := objectsFixture()
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "run", Namespace: "loadtest"}, Data: map[string]string{"test.js": "x"}}
	if err := c.CreateConfigMap(ctx, cm); err != nil {
		t.Fatal(err)
	}
	if err := c.CreateConfigMap(ctx, cm); !apierrors.IsAlreadyExists(err) {
		t.Errorf("second create: %v, want AlreadyExists", err)
	}
	if got, err := c.Kube.CoreV1().ConfigMaps("loadtest").Get(ctx, "run", metav1.GetOptions{}); err != nil || got.Data["test.js"] != "x" {
		t.Errorf("configmap %v %v", got, err)
	}

	tr := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "k6.io/v1alpha1", "kind": "TestRun",
		"metadata": map[string]any{"name": "run", "namespace": "loadtest"},
		"spec":     map[string]any{"parallelism": int64(2)},
	}}
	if err := c.CreateObject(ctx, k6.TestRunGVR, tr); err != nil {
		t.Fatal(err)
	}
	got, err := c.GetObject(ctx, k6.TestRunGVR, "loadtest", "run")
	if err != nil {
		t.Fatal(err)
	}
	if n, _, _ := unstructured.NestedInt64(got.Object, "spec", "parallelism"); n != 2 {
		t.Errorf("parallelism %d", n)
	}
	if err := c.DeleteObject(ctx, k6.TestRunGVR, "loadtest", "run"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetObject(ctx, k6.TestRunGVR, "loadtest", "run"); !apierrors.IsNotFound(err) {
		t.Errorf("after delete: %v, want NotFound", err)
	}
	if err := c.DeleteObject(ctx, k6.TestRunGVR, "loadtest", "run"); !apierrors.IsNotFound(err) {
		t.Errorf("second delete: %v, want NotFound", err)
	}
}

func TestClients_ListPods(t *testing.T) {
	ctx := context.Background()
	c := objectsFixture()
	for _, p := range []struct {
		name   string
		labels map[string]string
	}{
		{"run-1", map[string]string{"k6_cr": "run", "runner": "true"}},
		{"run-initializer", map[string]string{"k6_cr": "run"}},
		{"other-1", map[string]string{"k6_cr": "other", "runner": "true"}},
	} {
		pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: p.name, Namespace: "loadtest", Labels: p.labels}}
		if _, err := c.Kube.CoreV1().Pods("loadtest").Create(ctx, pod, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	pods, err := c.ListPods(ctx, "loadtest", "k6_cr=run,runner=true")
	if err != nil {
		t.Fatal(err)
	}
	if len(pods) != 1 || pods[0].Name != "run-1" {
		t.Errorf("pods %v, want run-1", pods)
	}
}

// Logs go through the core API's pods/log.
func TestClients_Logs(t *testing.T) {
	c := objectsFixture()
	c.Kube.(*fake.Clientset).PrependReactor("get", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if a.GetSubresource() != "log" {
			return false, nil, nil
		}
		return true, &runtime.Unknown{Raw: []byte("line 1\nline 2\n")}, nil
	})
	rc, err := c.Logs(context.Background(), "ns", "pod-1")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil || string(b) != "line 1\nline 2\n" {
		t.Errorf("log %q, %v", b, err)
	}
}
