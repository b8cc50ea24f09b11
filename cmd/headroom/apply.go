package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/headroom-dev/headroom/cluster"
)

// maxChangesShown caps the fields printed per object.
const maxChangesShown = 25

// applyOptions are the flags and state of `headroom apply`.
type applyOptions struct {
	Kube           cluster.Flags
	Filename       string
	Apply          bool
	ForceConflicts bool
	AllowKinds     []string

	allowed []schema.GroupKind

	set     *cluster.PatchSet
	clients *cluster.Clients
	streams ioStreams
}

func init() { registerCommand("observe", newApplyCmd) }

func newApplyCmd(streams ioStreams) *cobra.Command {
	o := &applyOptions{streams: streams}
	cmd := &cobra.Command{
		Use:   "apply -f DIR [--apply] [-n NAMESPACE] [--kubeconfig FILE] [--context NAME]",
		Short: "Server-side dry-run a patches directory, and apply it with --apply",
		Long: `Send every object of a patches directory (headroom report --out-dir DIR writes DIR/patches)
to the API server as a server-side dry run, and print per object what would change, or
the server's message when it rejects the object.

The directory's kustomization.yaml names strategic-merge patches on existing objects
(patches) and manifests to create or update by server-side apply (resources), with the
field manager "headroom". Without a kustomization.yaml every YAML document under DIR is
applied. Objects without a namespace go to -n (or the context's namespace).

Nothing is written unless --apply is given; even then every object is dry-run first,
and nothing is written if any dry run was rejected.

Only the kinds headroom writes are sent (HorizontalPodAutoscaler, VerticalPodAutoscaler,
CronJob with its ServiceAccount, Role and RoleBinding, Deployment and StatefulSet patches,
KEDA ScaledObject); a directory holding any other kind is refused as a whole unless
--allow-kind names it. Files are read only inside DIR: a symlink that leads out of it is
an error.

Exits 3 when the server rejected any object.`,
		Example: `  # What would the report's patches change?
  headroom apply -f out/patches

  # Apply them (still dry-runs everything first)
  headroom apply -f out/patches --apply

  # A directory that also creates a namespace
  headroom apply -f shop/ --allow-kind Namespace --apply`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return run(o, cmd) },
	}
	f := cmd.Flags()
	bindKubeFlags(f, &o.Kube)
	f.StringVarP(&o.Filename, "filename", "f", "", "the patches directory")
	f.BoolVar(&o.Apply, "apply", false, "write to the cluster after every dry run succeeded")
	f.BoolVar(&o.ForceConflicts, "force-conflicts", false, "server-side apply: take over fields another field manager owns")
	f.StringArrayVar(&o.AllowKinds, "allow-kind", nil, "also send objects of this kind (Kind, or Kind.group such as ClusterRole.rbac.authorization.k8s.io); repeatable")
	return cmd
}

// Validate checks the flags; it reads nothing.
func (o *applyOptions) Validate() error {
	if o.Filename == "" {
		return usageErrorf("-f/--filename is required: the patches directory (headroom report --out-dir DIR writes DIR/patches)")
	}
	o.allowed = o.allowed[:0]
	for _, k := range o.AllowKinds {
		gk, err := cluster.ParseGroupKind(k)
		if err != nil {
			return usageErrorf("--allow-kind: %v", err)
		}
		o.allowed = append(o.allowed, gk)
	}
	return nil
}

// Complete reads the directory and connects to the cluster.
func (o *applyOptions) Complete() error {
	st, err := os.Stat(o.Filename)
	if err != nil {
		return usageErrorf("-f %s: %v", o.Filename, err)
	}
	if !st.IsDir() {
		return usageErrorf("-f %s is a file; give the patches directory", o.Filename)
	}
	// os.Root confines every read to the directory: a symlinked file or
	// kustomization entry that leads outside it fails instead of sending
	// whatever it points at.
	root, err := os.OpenRoot(o.Filename)
	if err != nil {
		return usageErrorf("-f %s: %v", o.Filename, err)
	}
	defer root.Close()
	set, err := cluster.ReadPatchDir(root.FS(), ".")
	if err != nil {
		return fmt.Errorf("read %s:\n%w", o.Filename, err)
	}
	if err := cluster.CheckKinds(set, o.allowed); err != nil {
		return fmt.Errorf("%s: %w", o.Filename, err)
	}
	o.set = set
	c, err := newClusterClients(o.Kube)
	if err != nil {
		return err
	}
	o.clients = c
	return nil
}

// Run dry-runs, prints, and applies with --apply.
func (o *applyOptions) Run(cmd *cobra.Command) error {
	a := &cluster.Applier{
		Dynamic:        o.clients.Dynamic,
		Mapper:         o.clients.Mapper,
		Namespace:      o.clients.Namespace,
		ForceConflicts: o.ForceConflicts,
	}
	dry, err := a.DryRun(cmd.Context(), o.set)
	fmt.Fprintf(o.streams.Out, "Server-side dry run of %s (field manager %s):\n", o.Filename, cluster.FieldManager)
	printOutcomes(o.streams.Out, dry)
	if err != nil {
		return err
	}
	rejected := countRejected(dry)
	if rejected > 0 {
		what := "nothing was written"
		if o.Apply {
			what = "nothing was applied"
		}
		return &checkFailedError{msg: fmt.Sprintf("the API server rejected %d of %d objects in the dry run; %s", rejected, len(dry), what)}
	}
	if !o.Apply {
		fmt.Fprintln(o.streams.Out, "Dry run only: nothing was written. Rerun with --apply to apply.")
		return nil
	}
	outs, err := a.Apply(cmd.Context(), o.set)
	if errors.Is(err, cluster.ErrDryRunRejected) {
		// The cluster changed between the two dry runs.
		fmt.Fprintln(o.streams.Out, "Second dry run:")
		printOutcomes(o.streams.Out, outs)
		return &checkFailedError{msg: err.Error()}
	}
	fmt.Fprintln(o.streams.Out, "Applied:")
	for _, out := range outs {
		if out.Err != nil {
			continue
		}
		fmt.Fprintf(o.streams.Out, "  %s%s: %s\n", out.Name(), nsSuffix(out.Namespace), pastTense(out.Action))
	}
	if err != nil {
		return fmt.Errorf("apply stopped after %d of %d objects: %w", len(outs)-1, len(o.set.Objects), err)
	}
	return nil
}

func countRejected(outs []cluster.Outcome) int {
	n := 0
	for _, o := range outs {
		if o.Err != nil {
			n++
		}
	}
	return n
}

func nsSuffix(ns string) string {
	if ns == "" {
		return ""
	}
	return " -n " + ns
}

func pastTense(a cluster.Action) string {
	switch a {
	case cluster.ActionCreate:
		return "created"
	case cluster.ActionChange:
		return "changed"
	}
	return string(a)
}

// printOutcomes writes one block per object: its name, file and operation,
// what the server would do, and the changed fields or the server's message.
func printOutcomes(w io.Writer, outs []cluster.Outcome) {
	var created, changed, unchanged, rejected int
	for _, out := range outs {
		fmt.Fprintf(w, "%s%s (%s, %s): ", out.Name(), nsSuffix(out.Namespace), out.Object.Where(), out.Object.Op)
		switch {
		case out.Err != nil:
			rejected++
			fmt.Fprintf(w, "REJECTED\n  %s\n", out.Err)
			continue
		case out.Action == cluster.ActionCreate:
			created++
			fmt.Fprintln(w, "would create")
		case out.Action == cluster.ActionChange:
			changed++
			fmt.Fprintf(w, "would change %d field(s)\n", len(out.Changes))
		default:
			unchanged++
			fmt.Fprintln(w, "unchanged")
		}
		for i, c := range out.Changes {
			if i == maxChangesShown {
				fmt.Fprintf(w, "  … and %d more\n", len(out.Changes)-maxChangesShown)
				break
			}
			fmt.Fprintf(w, "  %s\n", c)
		}
	}
	fmt.Fprintf(w, "%d object(s): %d to create, %d to change, %d unchanged, %d rejected\n", len(outs), created, changed, unchanged, rejected)
}
