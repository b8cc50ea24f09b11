package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/headroom-dev/headroom/internal/atomicfile"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/headroom-dev/headroom/cluster"
	"github.com/headroom-dev/headroom/scenarios"
)

// newClusterClients connects to the cluster; tests replace it with fakes.
var newClusterClients = cluster.NewClients

// bindKubeFlags adds kubectl's --kubeconfig, --context and -n/--namespace.
func bindKubeFlags(f *pflag.FlagSet, k *cluster.Flags) {
	f.StringVar(&k.Kubeconfig, "kubeconfig", "", "path to the kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)")
	f.StringVar(&k.Context, "context", "", "the kubeconfig context to use (default: the current context)")
	f.StringVarP(&k.Namespace, "namespace", "n", "", "the namespace (default: the context's namespace, else default)")
}

// discoverOptions are the flags and state of `headroom discover`.
type discoverOptions struct {
	Kube    cluster.Flags
	OutFile string

	clients *cluster.Clients
	streams ioStreams
}

func init() { registerCommand("observe", newDiscoverCmd) }

func newDiscoverCmd(streams ioStreams) *cobra.Command {
	o := &discoverOptions{streams: streams}
	cmd := &cobra.Command{
		Use:   "discover [-n NAMESPACE] [--out-file PLAN] [--kubeconfig FILE] [--context NAME]",
		Short: "Write a plan from the Deployments, StatefulSets, HPAs and VPAs of a namespace",
		Long: `Read the Deployments and StatefulSets of a namespace, the autoscaling/v2
HorizontalPodAutoscalers that target them and their VerticalPodAutoscalers
(autoscaling.k8s.io/v1; skipped with a note when the CRD is not installed), and
write a capacity plan: per service its workload, container, replicas, cpu and
memory requests and limits, and the HPA spec as the API server holds it.

What the cluster cannot tell, the request rate, service time, concurrency, CPU per
request and memory model of each service and the node types, is written as a zero
under a "TODO: measure (headroom observe)" comment. headroom refuses such a plan and names
every field left to fill, with its line; discover prints that list on stderr.

Only reads: get and list on deployments, statefulsets, horizontalpodautoscalers and
verticalpodautoscalers (cluster/rbac/discover-clusterrole.yaml).`,
		Example: `  # The plan of the noa-server namespace, to a file
  headroom discover -n noa-server --out-file noa-plan.yaml

  # Another cluster of the kubeconfig, to standard output
  headroom discover --context staging -n noa-server`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return run(o, cmd) },
	}
	f := cmd.Flags()
	bindKubeFlags(f, &o.Kube)
	f.StringVar(&o.OutFile, "out-file", "", "write the plan to this file (default: standard output)")
	format := "yaml"
	bindFormat(cmd, &format, []string{"yaml"}, "--out-file", "the plan to a file")
	return cmd
}

// Validate checks the flags; it reads nothing.
func (o *discoverOptions) Validate() error {
	if o.OutFile != "" && strings.HasSuffix(o.OutFile, string(os.PathSeparator)) {
		return usageErrorf("--out-file %q is a directory; give a file name such as plan.yaml", o.OutFile)
	}
	return nil
}

// Complete connects to the cluster.
func (o *discoverOptions) Complete() error {
	c, err := newClusterClients(o.Kube)
	if err != nil {
		return err
	}
	o.clients = c
	return nil
}

// Run discovers, writes the plan and says what is left to fill.
func (o *discoverOptions) Run(cmd *cobra.Command) error {
	d, err := cluster.Discover(cmd.Context(), o.clients.Kube, o.clients.Dynamic, o.clients.Namespace)
	if err != nil {
		return err
	}
	if len(d.Services) == 0 {
		return fmt.Errorf("namespace %s has no Deployments or StatefulSets; nothing to plan (check -n and --context)", d.Namespace)
	}
	for _, n := range d.Notes {
		fmt.Fprintln(o.streams.ErrOut, "note:", n)
	}
	data, err := d.WritePlan()
	if err != nil {
		return err
	}
	name := "<stdout>"
	if o.OutFile == "" {
		if _, err := o.streams.Out.Write(data); err != nil {
			return err
		}
	} else {
		name = o.OutFile
		if err := atomicfile.Write(o.OutFile, data, 0); err != nil {
			return err
		}
	}
	fmt.Fprintf(o.streams.ErrOut, "discovered %d service(s) in %s\n", len(d.Services), d.Namespace)
	if _, err := scenarios.Parse(name, data); err != nil {
		fmt.Fprintf(o.streams.ErrOut, "before headroom can use the plan, fill in the TODOs:\n%s\n", err)
	}
	return nil
}
