// Package clustertest builds cluster.Clients over client-go's in-memory
// fakes, and over a real API server for end-to-end tests, so that the
// tests of other packages exercise cluster without importing client-go
// themselves: cluster stays the only package that does.
package clustertest

import (
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/client-go/dynamic"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	kubefake "k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/headroom-dev/headroom/cluster"
)

// Fake returns Clients whose typed clientset holds objs and whose dynamic
// client lists VerticalPodAutoscalers (there are none), in namespace ns:
// what discover reads.
func Fake(ns string, objs ...runtime.Object) *cluster.Clients {
	dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(),
		map[schema.GroupVersionResource]string{cluster.VPAResource: "VerticalPodAutoscalerList"})
	return &cluster.Clients{Kube: kubefake.NewClientset(objs...), Dynamic: dyn, Namespace: ns}
}

// AcceptingServer returns Clients whose dynamic client answers every get
// with NotFound (everything is new) and every patch with the object sent,
// except that it rejects the object named reject as invalid. writes
// records each patch: true for a real write, false for a dry run.
func AcceptingServer(ns string, mapper meta.RESTMapper, reject string, writes *[]bool) *cluster.Clients {
	dyn := dynamicfake.NewSimpleDynamicClient(runtime.NewScheme())
	dyn.PrependReactor("get", "*", func(a k8stesting.Action) (bool, runtime.Object, error) {
		g := a.(k8stesting.GetAction)
		return true, nil, apierrors.NewNotFound(g.GetResource().GroupResource(), g.GetName())
	})
	dyn.PrependReactor("patch", "*", func(a k8stesting.Action) (bool, runtime.Object, error) {
		p := a.(k8stesting.PatchActionImpl)
		*writes = append(*writes, len(p.PatchOptions.DryRun) == 0)
		if p.GetName() == reject {
			return true, nil, apierrors.NewInvalid(schema.GroupKind{Kind: "ServiceAccount"}, reject,
				field.ErrorList{field.Invalid(field.NewPath("metadata", "name"), reject, "test rejection")})
		}
		u := &unstructured.Unstructured{}
		if err := u.UnmarshalJSON(p.GetPatch()); err != nil {
			return true, nil, err
		}
		return true, u, nil
	})
	return &cluster.Clients{Dynamic: dyn, Mapper: mapper, Namespace: ns}
}

// Resource returns the dynamic client of kind gvk in namespace ns (or the
// cluster scope for a cluster-scoped kind). When the kind is new to the
// mapper (a CRD created since it last read discovery) it resets the mapper
// once and asks again.
func Resource(c *cluster.Clients, gvk schema.GroupVersionKind, ns string) (dynamic.ResourceInterface, error) {
	m, err := c.Mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		if r, ok := c.Mapper.(meta.ResettableRESTMapper); ok {
			r.Reset()
		}
		if m, err = c.Mapper.RESTMapping(gvk.GroupKind(), gvk.Version); err != nil {
			return nil, err
		}
	}
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		return c.Dynamic.Resource(m.Resource).Namespace(ns), nil
	}
	return c.Dynamic.Resource(m.Resource), nil
}
