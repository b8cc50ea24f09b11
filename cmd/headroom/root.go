package main

import (
	"github.com/spf13/cobra"
)

func newRootCmd(streams ioStreams) *cobra.Command {
	root := &cobra.Command{
		Use:   "headroom",
		Short: "Capacity planning and HPA simulation for services on Kubernetes",
		Long: `headroom answers the questions of a capacity review:

  The review, in one go:     headroom report    (plots, report.html/.md/.json, patches, event pre-scale)
  How much do we need?       headroom size      (queueing model, per service and scenario)
  Will the autoscaler cope?  headroom simulate  (exact HPA replica, pods, nodes; --mode des per request)
  Is a new HPA better?       headroom compare / headroom tune / headroom sweep (sharded grids)
  What do we run on today?   headroom observe   (Prometheus)   headroom discover (a cluster)
  Are the requests right?    headroom rightsize (VPA-compatible, HPA-aware)
  Does the cluster agree?    headroom loadtest  (k6 or the built-in engine)
  Change the cluster:        headroom apply     (server-side dry run; --apply writes)

Everything starts from a plan (apiVersion headroom.dev/v1alpha1, kind CapacityPlan):
the services with their observed rates, resources and HPAs, the traffic scenarios,
and the node types. scenarios/examples/noa.yaml is a complete one.

Exit codes: 0 ok, 1 error, 2 usage, 3 a check failed (a peak beyond maxReplicas,
an SLO breached).`,
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.SetOut(streams.Out)
	root.SetErr(streams.ErrOut)
	root.SetIn(streams.In)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &usageError{err: err}
	})
	used := map[string]bool{"other": true} // help and completion live there
	for _, reg := range commandRegistry {
		used[reg.group] = true
	}
	for _, g := range commandGroups {
		if used[g.id] {
			root.AddGroup(&cobra.Group{ID: g.id, Title: g.title})
		}
	}
	for _, reg := range commandRegistry {
		c := reg.build(streams)
		c.GroupID = reg.group
		root.AddCommand(c)
	}
	root.SetHelpCommandGroupID("other")
	root.SetCompletionCommandGroupID("other")
	return root
}

// commandGroups orders the sections of `headroom --help`.
var commandGroups = []struct{ id, title string }{
	{"plan", "Capacity planning:"},
	{"observe", "Observed inputs and the cluster:"},
	{"load", "Load tests:"},
	{"other", "Other:"},
}

// commandRegistry holds every verb; each command file registers its own in an
// init function, so adding a verb touches only its file.
var commandRegistry []registeredCommand

type registeredCommand struct {
	group string
	build func(ioStreams) *cobra.Command
}

func registerCommand(group string, build func(ioStreams) *cobra.Command) {
	commandRegistry = append(commandRegistry, registeredCommand{group: group, build: build})
}
