package main

import (
	"github.com/spf13/cobra"
)

func newRootCmd(streams ioStreams) *cobra.Command {
	root := &cobra.Command{
		Use:   "headroom",
		Short: "Capacity planning and HPA simulation for services on Kubernetes",
		Long: `headroom answers the questions of a capacity review:

  How much do we need?       headroom size      (queueing model, per service and scenario)
  Will the autoscaler cope?  headroom simulate  (exact HPA replica, pods, nodes)
  Is a new HPA better?       headroom compare / headroom tune
  Does the cluster agree?    headroom loadtest  (k6 or the built-in engine)        [planned]

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
	root.AddGroup(&cobra.Group{ID: "plan", Title: "Capacity planning:"}, &cobra.Group{ID: "other", Title: "Other:"})
	for _, c := range []*cobra.Command{newSizeCmd(streams), newSimulateCmd(streams), newCompareCmd(streams), newTuneCmd(streams)} {
		c.GroupID = "plan"
		root.AddCommand(c)
	}
	version := newVersionCmd(streams)
	version.GroupID = "other"
	root.AddCommand(version)
	root.SetHelpCommandGroupID("other")
	root.SetCompletionCommandGroupID("other")
	return root
}
