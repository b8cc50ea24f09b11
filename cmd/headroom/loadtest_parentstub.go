package main

// DELETE AT MERGE: this file stands in for the `headroom loadtest` parent
// command, which the engine helper builds on its own branch (with `run`,
// compare and calibrate). It exists only so the k6 subcommands can be run
// and tested on this branch; the real parent calls addK6Commands itself.

import "github.com/spf13/cobra"

func init() { registerCommand("load", newLoadtestParentStub) }

func newLoadtestParentStub(streams ioStreams) *cobra.Command {
	c := &cobra.Command{
		Use:   "loadtest",
		Short: "Load tests (stub parent; replaced at merge)",
		Args:  cobra.NoArgs,
	}
	addK6Commands(c, streams)
	return c
}
