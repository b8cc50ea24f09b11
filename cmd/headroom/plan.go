package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/headroom-dev/headroom/cluster"
	"github.com/headroom-dev/headroom/internal/atomicfile"
	"github.com/headroom-dev/headroom/scenarios"
)

func init() { registerCommand("plan", newPlanCmd) }

// newPlanCmd is the `plan` command group.
func newPlanCmd(streams ioStreams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Write a capacity plan to start from",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return usageErrorf("plan needs a subcommand: headroom plan init -f MANIFEST")
		},
	}
	cmd.AddCommand(newPlanInitCmd(streams))
	return cmd
}

// planInitOptions are the flags and state of `headroom plan init`.
type planInitOptions struct {
	Manifests    []string
	FromDiscover string
	OutFile      string
	Force        bool

	discovery *cluster.Discovery
	sources   []string
	streams   ioStreams
}

func newPlanInitCmd(streams ioStreams) *cobra.Command {
	o := &planInitOptions{streams: streams}
	cmd := &cobra.Command{
		Use:   "init (-f MANIFEST ... | --from-discover PLAN) [-o FILE] [--force]",
		Short: "Write a commented starting plan from Deployment, StatefulSet and HPA manifests",
		Long: `Write a capacity plan from what you have: the apps/v1 Deployment and
StatefulSet and the autoscaling/v2 HorizontalPodAutoscaler manifests of the
services (-f, repeatable; one or more YAML documents per file, as kept in a
repository or printed by kubectl get -o yaml), or a plan written by
headroom discover (--from-discover).

Per service the plan holds its workload, serving container, replicas, cpu and
memory requests and limits and the HPA that targets it, as headroom discover
writes them from a cluster. What manifests cannot say, the request rate,
service time, concurrency, CPU per request, memory model, what each custom
HPA metric measures and the node types, is written as a zero under a
"# TODO: measure (headroom observe)" comment; headroom refuses the plan, naming
each line, until they are filled. Three starting scenarios are written: a
daily cycle, the same day at twice the load, and a 3x event.

Objects of other kinds are skipped with a note (file:line and kind); an HPA
whose scaleTargetRef names no Deployment or StatefulSet given is an error.`,
		Example: `  # From the manifests in a repository
  headroom plan init -f deploy/mcp.yaml -f deploy/mcp-hpa.yaml -o plan.yaml

  # From what runs (kubectl prints a List for several objects; one per file here)
  kubectl get deploy noa-mcp -n noa-server -o yaml > mcp.yaml
  kubectl get hpa noa-mcp-hpa -n noa-server -o yaml > mcp-hpa.yaml
  headroom plan init -f mcp.yaml -f mcp-hpa.yaml

  # Give a discovered plan the starting scenarios
  headroom discover -n noa-server -o discovered.yaml
  headroom plan init --from-discover discovered.yaml -o plan.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return run(o, cmd) },
	}
	f := cmd.Flags()
	f.StringArrayVarP(&o.Manifests, "filename", "f", nil, `a manifest file of Deployments, StatefulSets and HPAs ("-" is standard input); repeatable`)
	f.StringVar(&o.FromDiscover, "from-discover", "", "a plan written by headroom discover, placeholders unfilled or not")
	f.StringVar(&o.OutFile, "out-file", "", "write the plan to this file (default: standard output)")
	f.BoolVar(&o.Force, "force", false, "overwrite --out-file if it exists")
	return cmd
}

// Validate checks the flags; it reads nothing.
func (o *planInitOptions) Validate() error {
	switch {
	case len(o.Manifests) == 0 && o.FromDiscover == "":
		return usageErrorf("give the manifests with -f (repeatable) or a discovered plan with --from-discover")
	case len(o.Manifests) > 0 && o.FromDiscover != "":
		return usageErrorf("-f and --from-discover exclude each other")
	case o.OutFile != "" && strings.HasSuffix(o.OutFile, string(os.PathSeparator)):
		return usageErrorf("-o/--out-file %q is a directory; give a file name such as plan.yaml", o.OutFile)
	}
	stdin := 0
	for _, m := range o.Manifests {
		if m == "-" {
			stdin++
		}
	}
	if stdin > 1 {
		return usageErrorf(`-f - (standard input) is given %d times; give it once`, stdin)
	}
	return nil
}

// Complete reads the manifests or the discovered plan and builds the
// services.
func (o *planInitOptions) Complete() error {
	if o.FromDiscover != "" {
		name, data, err := scenarios.ReadFile("plan", o.FromDiscover, o.streams.In, scenarios.MaxPlanBytes)
		if err != nil {
			return err
		}
		p, err := scenarios.DecodeDraft(name, data)
		if err != nil {
			return err
		}
		if len(p.Services) == 0 {
			return fmt.Errorf("%s has no services; nothing to plan", name)
		}
		o.discovery = cluster.FromPlan(p)
		o.sources = []string{name}
		return nil
	}
	var objs []scenarios.Manifest
	var errs []error
	for _, path := range o.Manifests {
		name, data, err := scenarios.ReadFile("manifest", path, o.streams.In, scenarios.MaxManifestBytes)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		got, skipped, err := scenarios.ParseManifests(name, data)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, s := range skipped {
			fmt.Fprintln(o.streams.ErrOut, "note:", s)
		}
		objs = append(objs, got...)
		o.sources = append(o.sources, name)
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	d, err := cluster.FromManifests(objs)
	if err != nil {
		return err
	}
	o.discovery = d
	return nil
}

// Run writes the plan and says what is left to fill.
func (o *planInitOptions) Run(cmd *cobra.Command) error {
	for _, n := range o.discovery.Notes {
		fmt.Fprintln(o.streams.ErrOut, "note:", n)
	}
	data, err := o.discovery.WriteStartingPlan(o.sources)
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
		if !o.Force {
			if _, err := os.Lstat(o.OutFile); err == nil {
				return fmt.Errorf("%s exists; give --force to overwrite it, or another -o", o.OutFile)
			} else if !errors.Is(err, fs.ErrNotExist) {
				return err
			}
		}
		if err := atomicfile.Write(o.OutFile, data, 0); err != nil {
			return err
		}
	}
	fmt.Fprintf(o.streams.ErrOut, "wrote a plan of %d service(s) to %s\n", len(o.discovery.Services), name)
	if _, err := scenarios.Parse(name, data); err != nil {
		fmt.Fprintf(o.streams.ErrOut, "before headroom can use the plan, fill in the TODOs:\n%s\n", err)
	}
	return nil
}
