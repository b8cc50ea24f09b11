package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	autoscalingv2 "k8s.io/api/autoscaling/v2"

	"github.com/headroom-dev/headroom/scenarios"
	"github.com/headroom-dev/headroom/sim"
	"github.com/headroom-dev/headroom/sim/ensemble"
)

// compareOptions are the flags and state of `headroom compare`.
type compareOptions struct {
	Filename  string
	HPAFile   string
	Seed      int64
	MaxWork   float64
	ColdStart bool
	Output    string
	// FlapWindow is --flap-window.
	FlapWindow  time.Duration
	Uncertainty string

	plan     *scenarios.Plan
	proposed map[string]*autoscalingv2.HorizontalPodAutoscalerSpec
	streams  ioStreams
}

func init() { registerCommand("plan", newCompareCmd) }

func newCompareCmd(streams ioStreams) *cobra.Command {
	o := &compareOptions{Output: "table", streams: streams}
	cmd := &cobra.Command{
		Use:   "compare -f PLAN --hpa PROPOSED.yaml [-o table|json]",
		Short: "Current vs proposed HPA, side by side over every scenario",
		Long: `Simulate every scenario twice, once with each service's HPA as the plan has it and once
with the HorizontalPodAutoscaler manifests in --hpa (autoscaling/v2, as kubectl prints them; several
may be separated by ---; each is matched to the service whose workload its scaleTargetRef names),
and compare them measure by measure: the SLO's error-budget burn over the scenario and over its
worst slo.window, SLO-violation minutes, worst p95, errors, longest violation, pod-hours, cost,
scale events, flaps (within --flap-window) and time at maxReplicas. With the plan's uncertainty: section
(or --uncertainty) both runs of each scenario also run as an ensemble (member by member with the
same input factors) and the bracketed measures show their p10–p90.

Exits 3 when, in any scenario, the proposal spends more than its error budget (burn above 1 over
the scenario or its worst window) and more of it than today's HPA.`,
		Example: `  # Would a 60 % CPU target with a faster scale-up have held the SLO?
  headroom compare -f scenarios/examples/noa.yaml --hpa proposed-hpa.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return run(o, cmd) },
	}
	f := cmd.Flags()
	f.StringVarP(&o.Filename, "filename", "f", "", "the plan file (YAML)")
	f.StringVar(&o.HPAFile, "hpa", "", "the proposed HorizontalPodAutoscaler manifest(s)")
	f.Int64Var(&o.Seed, "seed", 0, "random seed (default: the plan's seed)")
	bindMaxWork(f, &o.MaxWork)
	f.BoolVar(&o.ColdStart, "cold-start", false, coldStartUsage)
	bindFlapWindow(f, &o.FlapWindow)
	bindUncertainty(f, &o.Uncertainty)
	bindFormat(cmd, &o.Output, []string{"table", "json"}, "", "")
	return cmd
}

// Validate checks the flags.
func (o *compareOptions) Validate() error {
	if err := validateFlapWindow(o.FlapWindow); err != nil {
		return err
	}
	if err := validateUncertainty(o.Uncertainty); err != nil {
		return err
	}
	if err := validateMaxWork(o.MaxWork); err != nil {
		return err
	}
	if o.Filename == "" {
		return usageErrorf("-f/--filename is required: the plan")
	}
	if o.HPAFile == "" {
		return usageErrorf("--hpa is required: the proposed HorizontalPodAutoscaler manifest")
	}
	if o.Output != "table" && o.Output != "json" {
		return usageErrorf("--output must be table or json, got %q", o.Output)
	}
	return nil
}

// Complete reads the plan and the manifests and matches them to services.
func (o *compareOptions) Complete() error {
	p, err := scenarios.LoadFile(o.Filename, o.streams.In)
	if err != nil {
		return err
	}
	o.plan = p
	applyColdStart(p, o.ColdStart)
	if err := applyUncertainty(p, o.Uncertainty); err != nil {
		return err
	}
	o.proposed, err = loadProposedHPAs(p, o.HPAFile)
	return err
}

// loadProposedHPAs reads HPA manifests and matches each to the service whose
// workload its scaleTargetRef names.
func loadProposedHPAs(p *scenarios.Plan, file string) (map[string]*autoscalingv2.HorizontalPodAutoscalerSpec, error) {
	hs, err := scenarios.LoadHPAManifests(file)
	if err != nil {
		return nil, err
	}
	out := map[string]*autoscalingv2.HorizontalPodAutoscalerSpec{}
	for _, h := range hs {
		name := ""
		for _, s := range p.Services {
			if s.WorkloadRef.Name == h.Spec.ScaleTargetRef.Name && s.WorkloadRef.Kind == h.Spec.ScaleTargetRef.Kind {
				name = s.Name
			}
		}
		if name == "" {
			return nil, fmt.Errorf("%s: HPA %q targets %s/%s, which no service of the plan runs as", file, h.Name, h.Spec.ScaleTargetRef.Kind, h.Spec.ScaleTargetRef.Name)
		}
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("%s: two HPAs target service %s", file, name)
		}
		spec := h.Spec
		out[name] = &spec
	}
	return out, nil
}

// Run compares and prints.
func (o *compareOptions) Run(cmd *cobra.Command) error {
	if err := checkWork(o.plan, scenarioRuns(o.plan, sim.Options{Seed: o.Seed}), 2*ensembleRuns(o.plan), o.MaxWork, true); err != nil {
		return ensembleHint(err, o.plan)
	}
	fmt.Fprintln(o.streams.ErrOut, "simulating current and proposed HPAs over every scenario…")
	if u := o.plan.Uncertainty; u != nil {
		fmt.Fprintf(o.streams.ErrOut, "running an ensemble of %d members per run (uncertainty %s)\n", u.Samples, u)
	}
	cs, err := ensemble.Compare(cmd.Context(), o.plan, o.proposed, sim.Options{Seed: o.Seed, FlapWindow: o.FlapWindow}, o.plan.Uncertainty, ensemble.Config{})
	if err != nil {
		return err
	}
	if len(cs) == 0 {
		return fmt.Errorf("no scenario of the plan covers the services the proposed HPAs target")
	}
	if o.Output == "json" {
		if err := printJSON(o.streams.Out, cs); err != nil {
			return err
		}
	} else {
		printComparison(o.streams.Out, cs)
	}
	var lost []string
	for _, c := range cs {
		if c.LosesSLO() {
			lost = append(lost, fmt.Sprintf("%s in %s: error-budget burn %.2f → %.2f, worst window %.2f → %.2f", c.Service, c.Scenario,
				c.Current.SLOBudgetBurn, c.Proposed.SLOBudgetBurn, c.Current.WorstWindowBurn, c.Proposed.WorstWindowBurn))
		}
	}
	if len(lost) > 0 {
		return &checkFailedError{msg: "the proposal spends more than its error budget, and more than today's HPA\n  " + strings.Join(capLines(lost, 10), "\n  ")}
	}
	return nil
}

func printComparison(w io.Writer, cs []sim.Comparison) {
	for i, c := range cs {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "%s in %s\n", c.Service, c.Scenario)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "MEASURE\tCURRENT\tPROPOSED\tVERDICT")
		for _, m := range c.Measures {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", m.Measure, withInterval("%.4g", m.Current, m.CurrentRange), withInterval("%.4g", m.Proposed, m.ProposedRange), m.Verdict)
		}
		tw.Flush()
	}
	better, worse := 0, 0
	for _, c := range cs {
		switch c.Measures[0].Verdict { // SLO budget burn
		case "better":
			better++
		case "worse":
			worse++
		}
	}
	if len(cs) > 0 && cs[0].Measures[0].CurrentRange != nil {
		fmt.Fprintln(w, "\nIn parentheses: p10–p90 over the plan's uncertainty ensemble; verdicts compare the runs as written.")
	}
	fmt.Fprintf(w, "\nVerdict: the proposal holds the SLO better in %d and worse in %d of %d service-scenario runs.\n", better, worse, len(cs))
}
