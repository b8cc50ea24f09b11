package cluster

import (
	"context"
	"errors"
	"fmt"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes/scheme"
)

// FieldManager is the field manager headroom's writes are recorded under.
const FieldManager = "headroom"

// Applier sends a PatchSet to the API server.
type Applier struct {
	Dynamic dynamic.Interface
	Mapper  meta.RESTMapper
	// Namespace is given to namespaced objects that name none (-n, or the
	// kubeconfig context's namespace).
	Namespace string
	// ForceConflicts takes over fields another manager owns
	// (server-side apply's force); without it such a conflict is a
	// rejection.
	ForceConflicts bool
}

// Action is what a write does to an object.
type Action string

// Actions.
const (
	ActionCreate    Action = "create"
	ActionChange    Action = "change"
	ActionUnchanged Action = "unchanged"
	ActionRejected  Action = "rejected"
)

// Outcome is what the server said about one object.
type Outcome struct {
	Object *Object
	// Resource is "deployments.apps", as kubectl prints it ("" when the
	// kind is unknown to the server), Namespace the one the object went to.
	Resource  string
	Namespace string
	Action    Action
	// Changes are the fields the write changes (for a create, the fields
	// the file sets).
	Changes []Change
	// Err is the server's rejection, verbatim; nil when accepted.
	Err error
}

// Name is "resource/name", as kubectl prints objects.
func (o *Outcome) Name() string {
	r := o.Resource
	if r == "" {
		r = strings.ToLower(o.Object.Obj.GetKind())
	}
	return r + "/" + o.Object.Obj.GetName()
}

// Rejected reports whether any outcome was rejected.
func Rejected(outs []Outcome) bool {
	for _, o := range outs {
		if o.Err != nil {
			return true
		}
	}
	return false
}

// DryRun sends every object as a server-side dry run (DryRun: All) and
// returns what each would do. It writes nothing. A rejection is recorded in
// its Outcome, not returned; the error is only for a cancelled context.
func (a *Applier) DryRun(ctx context.Context, set *PatchSet) ([]Outcome, error) {
	return a.send(ctx, set, true)
}

// Apply dry-runs every object first and, only if the server accepted all of
// them, sends them for real in the same order. When a dry run was rejected
// it returns the dry-run outcomes and ErrDryRunRejected, having written
// nothing. A real write that fails stops the run: the outcomes so far are
// returned with the error.
func (a *Applier) Apply(ctx context.Context, set *PatchSet) ([]Outcome, error) {
	outs, err := a.send(ctx, set, true)
	if err != nil {
		return outs, err
	}
	if Rejected(outs) {
		return outs, ErrDryRunRejected
	}
	return a.send(ctx, set, false)
}

// ErrDryRunRejected says Apply wrote nothing because a dry run failed.
var ErrDryRunRejected = errors.New("a dry run was rejected; nothing was applied")

func (a *Applier) send(ctx context.Context, set *PatchSet, dryRun bool) ([]Outcome, error) {
	outs := make([]Outcome, 0, len(set.Objects))
	for i := range set.Objects {
		if err := ctx.Err(); err != nil {
			return outs, err
		}
		out := a.one(ctx, &set.Objects[i], dryRun)
		outs = append(outs, out)
		if !dryRun && out.Err != nil {
			return outs, fmt.Errorf("%s (%s): %w", out.Name(), out.Object.Where(), out.Err)
		}
	}
	return outs, nil
}

func (a *Applier) one(ctx context.Context, o *Object, dryRun bool) Outcome {
	out := Outcome{Object: o, Action: ActionRejected}
	gvk := o.Obj.GroupVersionKind()
	mapping, err := a.Mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		out.Err = fmt.Errorf("the server has no %s in %s: %w", gvk.Kind, gvk.GroupVersion(), err)
		return out
	}
	out.Resource = mapping.Resource.GroupResource().String()
	var ri dynamic.ResourceInterface
	if mapping.Scope.Name() == meta.RESTScopeNameNamespace {
		out.Namespace = o.Obj.GetNamespace()
		if out.Namespace == "" {
			out.Namespace = a.Namespace
		}
		ri = a.Dynamic.Resource(mapping.Resource).Namespace(out.Namespace)
	} else {
		ri = a.Dynamic.Resource(mapping.Resource)
	}
	body := o.Obj.DeepCopy()
	body.SetNamespace(out.Namespace) // "" for a cluster-scoped object
	data, err := body.MarshalJSON()
	if err != nil {
		out.Err = fmt.Errorf("encode: %w", err)
		return out
	}
	name := o.Obj.GetName()
	live, err := ri.Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		live, err = nil, nil
	}
	if err != nil {
		out.Err = err
		return out
	}

	opts := metav1.PatchOptions{FieldManager: FieldManager}
	if dryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	var pt types.PatchType
	switch o.Op {
	case OpPatch:
		pt = types.MergePatchType
		if scheme.Scheme.Recognizes(gvk) {
			pt = types.StrategicMergePatchType
		}
	default:
		pt = types.ApplyPatchType
		force := a.ForceConflicts
		opts.Force = &force
	}
	result, err := ri.Patch(ctx, name, pt, data, opts)
	if err != nil {
		out.Err = err
		return out
	}
	switch {
	case live == nil:
		out.Action = ActionCreate
		out.Changes = Diff(nil, body.Object)
	default:
		out.Changes = Diff(live.Object, result.Object)
		out.Action = ActionChange
		if len(out.Changes) == 0 {
			out.Action = ActionUnchanged
		}
	}
	return out
}
