package cluster

import (
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

// WrittenKinds are the kinds `headroom report` and `rightsize --out-dir`
// write, and so the kinds `headroom apply` sends without being told:
// HorizontalPodAutoscalers, VerticalPodAutoscalers, the pre-scale CronJobs
// with their ServiceAccount, Role and RoleBinding, patches of the
// workloads' resources, and KEDA ScaledObjects. Anything else in a patches
// directory (a Secret, a ClusterRoleBinding) is refused unless the user
// names its kind with --allow-kind: a directory headroom did not write must
// not reach the API server by accident.
var WrittenKinds = []schema.GroupKind{
	{Group: "autoscaling", Kind: "HorizontalPodAutoscaler"},
	{Group: "autoscaling.k8s.io", Kind: "VerticalPodAutoscaler"},
	{Group: "batch", Kind: "CronJob"},
	{Group: "", Kind: "ServiceAccount"},
	{Group: "rbac.authorization.k8s.io", Kind: "Role"},
	{Group: "rbac.authorization.k8s.io", Kind: "RoleBinding"},
	{Group: "apps", Kind: "Deployment"},
	{Group: "apps", Kind: "StatefulSet"},
	{Group: "keda.sh", Kind: "ScaledObject"},
}

// ParseGroupKind reads a kind as kubectl names resources: "Kind" for the
// core group, "Kind.group" otherwise (ClusterRoleBinding.rbac.authorization.k8s.io).
func ParseGroupKind(s string) (schema.GroupKind, error) {
	kind, group, _ := strings.Cut(strings.TrimSpace(s), ".")
	if kind == "" || strings.ContainsAny(kind, "/ \t") {
		return schema.GroupKind{}, fmt.Errorf("%q is not a kind; write Kind or Kind.group, e.g. Namespace or ClusterRole.rbac.authorization.k8s.io", s)
	}
	return schema.GroupKind{Group: group, Kind: kind}, nil
}

// kindName is a GroupKind as ParseGroupKind reads it.
func kindName(gk schema.GroupKind) string {
	if gk.Group == "" {
		return gk.Kind
	}
	return gk.Kind + "." + gk.Group
}

// RefusedError lists the objects of a patches directory whose kind is
// neither one headroom writes nor one the user allowed.
type RefusedError struct {
	Objects []Object
}

func (e *RefusedError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "refusing %d object(s) of a kind headroom does not write:", len(e.Objects))
	var kinds []string
	for i := range e.Objects {
		o := &e.Objects[i]
		gk := o.Obj.GroupVersionKind().GroupKind()
		fmt.Fprintf(&b, "\n  %s %s (%s)", kindName(gk), objectName(o), o.Where())
		if k := kindName(gk); !slices.Contains(kinds, k) {
			kinds = append(kinds, k)
		}
	}
	fmt.Fprintf(&b, "\nnothing was sent; if you mean to apply them, pass --allow-kind %s", strings.Join(kinds, " --allow-kind "))
	return b.String()
}

func objectName(o *Object) string {
	if ns := o.Obj.GetNamespace(); ns != "" {
		return ns + "/" + o.Obj.GetName()
	}
	return o.Obj.GetName()
}

// CheckKinds returns a *RefusedError naming every object of set whose kind
// is neither in WrittenKinds nor in allowed, or nil.
func CheckKinds(set *PatchSet, allowed []schema.GroupKind) error {
	var refused []Object
	for _, o := range set.Objects {
		gk := o.Obj.GroupVersionKind().GroupKind()
		if !slices.Contains(WrittenKinds, gk) && !slices.Contains(allowed, gk) {
			refused = append(refused, o)
		}
	}
	if len(refused) > 0 {
		return &RefusedError{Objects: refused}
	}
	return nil
}
