package main

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/headroom-dev/headroom/capacity"
	"github.com/headroom-dev/headroom/scenarios"
	"github.com/headroom-dev/headroom/sim"
)

// tuneOptions are the flags and state of `headroom tune`.
type tuneOptions struct {
	Filename  string
	Service   string
	Output    string
	MaxWork   float64
	ColdStart bool

	plan    *scenarios.Plan
	streams ioStreams
}

func init() { registerCommand("plan", newTuneCmd) }

func newTuneCmd(streams ioStreams) *cobra.Command {
	o := &tuneOptions{Output: "table", streams: streams}
	cmd := &cobra.Command{
		Use:   "tune -f PLAN --service S [-o table|json|yaml]",
		Short: "Search HPA settings for the cheapest that holds the SLO in every scenario",
		Long: `Search a grid of HPA settings for one service — CPU target utilisation (40–90 %),
minReplicas (around today's), scale-up and scale-down stabilisation windows and the scale-up
Percent policy (with a 4-pods-per-minute floor) — simulating each candidate over every scenario
that covers the service, in parallel on every core. Prints the candidate that costs least with
no SLO-violation minutes (or the fewest minutes when none reaches zero), the Pareto front of
cost against SLO minutes, and today's HPA evaluated the same way.

Each candidate simulates the service alone: its pods do not share nodes with other services.
-o yaml prints the recommended HPA spec, ready to paste.`,
		Example: `  # Tune noa-mcp's HPA over the bundled scenarios
  headroom tune -f scenarios/examples/noa.yaml --service noa-mcp

  # The recommended spec, for a pull request
  headroom tune -f scenarios/examples/noa.yaml --service noa-mcp -o yaml > noa-mcp-hpa-spec.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return run(o, cmd) },
	}
	f := cmd.Flags()
	f.StringVarP(&o.Filename, "filename", "f", "", "the plan file (YAML)")
	f.StringVar(&o.Service, "service", "", "the service whose HPA to tune")
	bindFormat(cmd, &o.Output, []string{"table", "json", "yaml"}, "", "")
	bindMaxWork(f, &o.MaxWork)
	f.BoolVar(&o.ColdStart, "cold-start", false, coldStartUsage)
	return cmd
}

// Validate checks the flags.
func (o *tuneOptions) Validate() error {
	if err := validateMaxWork(o.MaxWork); err != nil {
		return err
	}
	if o.Filename == "" {
		return usageErrorf("-f/--filename is required: the plan")
	}
	if o.Service == "" {
		return usageErrorf("--service is required: the service whose HPA to tune")
	}
	switch o.Output {
	case "table", "json", "yaml":
	default:
		return usageErrorf("--output must be table, json or yaml, got %q", o.Output)
	}
	return nil
}

// Complete reads the plan.
func (o *tuneOptions) Complete() error {
	p, err := scenarios.LoadFile(o.Filename, o.streams.In)
	if err != nil {
		return err
	}
	if err := checkServices(p, "--service", o.Service); err != nil {
		return err
	}
	o.plan = p
	applyColdStart(p, o.ColdStart)
	return nil
}

// Run searches and prints.
func (o *tuneOptions) Run(cmd *cobra.Command) error {
	var spec *scenarios.Service
	for i := range o.plan.Services {
		if o.plan.Services[i].Name == o.Service {
			spec = &o.plan.Services[i]
		}
	}
	if spec.HPA == nil {
		return fmt.Errorf("service %s has no HPA to tune", o.Service)
	}
	grid := capacity.DefaultTuneGrid(spec.HPA)
	if err := checkWork(o.plan, serviceRuns(o.plan, o.Service, nil, sim.ModeFluid), float64(grid.Size(spec.HPA)+1), o.MaxWork, false); err != nil {
		return err
	}
	progress := func(done, total int) {
		if done%25 == 0 || done == total {
			fmt.Fprintf(o.streams.ErrOut, "\rtune %s: %d/%d candidates", o.Service, done, total)
			if done == total {
				fmt.Fprintln(o.streams.ErrOut)
			}
		}
	}
	res, err := capacity.Tune(cmd.Context(), o.plan, o.Service, grid, progress)
	if err != nil {
		return err
	}
	switch o.Output {
	case "json":
		if err := printJSON(o.streams.Out, res); err != nil {
			return err
		}
	case "yaml":
		if err := printYAML(o.streams.Out, res.Best.Spec); err != nil {
			return err
		}
	default:
		printTune(o.streams.Out, res)
	}
	return nil
}

func printTune(w io.Writer, r *capacity.TuneResult) {
	fmt.Fprintf(w, "Tuned %s over %d candidates × scenarios %v\n\n", r.Service, r.Candidates, r.Scenarios)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "\tCPU TARGET\tMIN\tUP WINDOW\tDOWN WINDOW\tUP %/60s\tSLO-MIN\tPOD-H\tCOST\tFLAPS")
	row := func(label string, c capacity.Candidate) {
		fmt.Fprintf(tw, "%s\t%d%%\t%d\t%ds\t%ds\t%d%%\t%.1f\t%.1f\t%s\t%d\n", label, c.CPUTarget, c.MinReplicas,
			c.ScaleUpWindow, c.ScaleDownWindow, c.ScaleUpPercent, c.SLOViolationMinutes, c.PodHours, formatMoney(c.Cost), c.Flaps)
	}
	row("current", r.Current)
	row("best", r.Best)
	tw.Flush()
	fmt.Fprintln(w, "\nPareto front (no candidate is both cheaper and fewer SLO minutes):")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "\tCPU TARGET\tMIN\tUP WINDOW\tDOWN WINDOW\tUP %/60s\tSLO-MIN\tPOD-H\tCOST\tFLAPS")
	for _, c := range r.Pareto {
		row("", c)
	}
	tw.Flush()
	if r.Best.SLOViolationMinutes > 0 {
		fmt.Fprintln(w, "\nNo candidate holds the SLO in every scenario: the best one shown has the fewest SLO minutes.")
		fmt.Fprintln(w, "The limit is elsewhere (maxReplicas, the CPU limit, start-up time): see headroom size.")
	}
}
