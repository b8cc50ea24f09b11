package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/headroom-dev/headroom/scenarios"
)

func init() { registerCommand("plan", newExplainCmd) }

// explainOptions are the flags of `headroom explain`.
type explainOptions struct {
	Recursive bool
	path      string
	streams   ioStreams
}

func newExplainCmd(streams ioStreams) *cobra.Command {
	o := &explainOptions{streams: streams}
	cmd := &cobra.Command{
		Use:   "explain [PATH]",
		Short: "Describe the fields of a capacity plan",
		Long: `Describe a field of the CapacityPlan schema and the fields under it, as
kubectl explain does for Kubernetes resources: its type, whether it is
required, its unit and spellings, default, range and an example. PATH is
dot-separated from the plan's top (list items need no index); with no PATH
the plan's top-level fields are listed. The same text is in docs/plan.md.`,
		Example: `  # The plan's top-level fields
  headroom explain

  # The HPA's scaling behavior, pasted from autoscaling/v2
  headroom explain services.hpa.behavior

  # Every field under a service's SLO, as a tree
  headroom explain services.slo --recursive`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				o.path = args[0]
			}
			return o.Run()
		},
	}
	cmd.Flags().BoolVar(&o.Recursive, "recursive", false, "list every field below PATH as a tree of names and types")
	return cmd
}

// Run looks the path up and prints it.
func (o *explainOptions) Run() error {
	root, err := scenarios.Reference()
	if err != nil {
		return err
	}
	f, err := root.Lookup(o.path)
	if err != nil {
		return usageErrorf("%v", err)
	}
	writeExplain(o.streams.Out, f, o.Recursive)
	return nil
}

// writeExplain prints f in kubectl explain's layout: a header, FIELD,
// DESCRIPTION with the facts, then FIELDS.
func writeExplain(w io.Writer, f *scenarios.FieldDoc, recursive bool) {
	fmt.Fprintf(w, "KIND:       %s\nVERSION:    %s\n\n", scenarios.Kind, scenarios.APIVersion)
	if f.Path != "" {
		fmt.Fprintf(w, "FIELD: %s <%s>%s\n\n", f.Path, f.Type, requiredMark(f))
	}
	fmt.Fprintln(w, "DESCRIPTION:")
	desc := f.Description
	if desc == "" {
		desc = "<empty>"
	}
	wrap(w, desc, "    ", 80)
	first := true
	for _, fact := range []struct{ name, value string }{
		{"Unit", f.Unit},
		{"One of", strings.Join(f.Values, ", ")},
		{"Default", f.Default},
		{"Range", f.Range},
		{"Example", exampleLine(f)},
		{"See", f.Link},
	} {
		if fact.value != "" {
			if first {
				fmt.Fprintln(w)
				first = false
			}
			wrap(w, fact.name+": "+fact.value, "    ", 80)
		}
	}
	if len(f.Fields) == 0 {
		return
	}
	fmt.Fprintln(w, "\nFIELDS:")
	if recursive {
		writeTree(w, f.Fields, "  ")
		return
	}
	for i, c := range f.Fields {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "  %s\t<%s>%s\n", c.Name, c.Type, requiredMark(c))
		d := c.Description
		if c.Default != "" {
			d += " Default: " + c.Default + "."
		}
		wrap(w, strings.TrimSpace(d), "    ", 80)
	}
}

func writeTree(w io.Writer, fields []*scenarios.FieldDoc, indent string) {
	for _, c := range fields {
		fmt.Fprintf(w, "%s%s\t<%s>%s\n", indent, c.Name, c.Type, requiredMark(c))
		writeTree(w, c.Fields, indent+"  ")
	}
}

func requiredMark(f *scenarios.FieldDoc) string {
	if f.Required {
		return " -required-"
	}
	return ""
}

func exampleLine(f *scenarios.FieldDoc) string {
	if f.Example == "" {
		return ""
	}
	return f.Name + ": " + f.Example
}

// wrap writes text as lines of at most width columns (a longer word stands
// alone), each prefixed by indent.
func wrap(w io.Writer, text, indent string, width int) {
	line := indent
	for _, word := range strings.Fields(text) {
		if line != indent && len(line)+1+len(word) > width {
			fmt.Fprintln(w, line)
			line = indent
		}
		if line != indent {
			line += " "
		}
		line += word
	}
	if line != indent {
		fmt.Fprintln(w, line)
	}
}
