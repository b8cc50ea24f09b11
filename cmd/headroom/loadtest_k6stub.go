package main

import "github.com/spf13/cobra"

// addK6Commands is a placeholder for the k6 branch's `loadtest script` and
// `loadtest operator`; this file is deleted at merge.
func addK6Commands(*cobra.Command, ioStreams) {}
