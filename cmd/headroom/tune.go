package main

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/headroom-dev/headroom/capacity"
	"github.com/headroom-dev/headroom/internal/atomicfile"
	"github.com/headroom-dev/headroom/reports"
	"github.com/headroom-dev/headroom/scenarios"
	"github.com/headroom-dev/headroom/sim"
)

// tuneOptions are the flags and state of `headroom tune`.
type tuneOptions struct {
	Filename    string
	Service     string
	Output      string
	MaxWork     float64
	ColdStart   bool
	Uncertainty string
	Plot        string

	plan    *scenarios.Plan
	streams ioStreams
}

func init() { registerCommand("plan", newTuneCmd) }

func newTuneCmd(streams ioStreams) *cobra.Command {
	o := &tuneOptions{Output: "table", streams: streams}
	cmd := &cobra.Command{
		Use:   "tune -f PLAN --service S [-o table|json|yaml]",
		Short: "Search HPA settings for the cheapest that holds the SLO in every scenario",
		Long: `Run headroom's recommender (the one behind report and rightsize --patches) for one
service: it searches the HPA's CPU target, minReplicas and maxReplicas jointly, by bisection
with the simulator as the oracle, for the cheapest setting whose error-budget burn and
worst-window burn stay at most 1 in every scenario covering the service — also with the
estimated inputs moved 3 % in the adverse direction — and that is no worse than today in any
scenario; minReplicas never goes below the plan's redundancy (zones, spare, minimum). With an
uncertainty: section in the plan (or --uncertainty) the budget is judged at the p90 of its
ensemble, and "no worse than today" at its p50 and p90, as report does. Prints
today's HPA and the chosen one, and the Pareto front of cost against worst burn with the
chosen point marked. Exits 3 when no setting holds the SLO; the binding constraint is named.

Each setting simulates the service alone: its pods do not share nodes with other services.
-o yaml prints the recommended HPA spec, ready to paste. --plot FILE.png or FILE.svg also
draws every simulated setting on cost against worst burn, with the Pareto front, today's
setting and the chosen one marked.`,
		Example: `  # Tune noa-mcp's HPA over the bundled scenarios
  headroom tune -f scenarios/examples/noa.yaml --service noa-mcp

  # The recommended spec, for a pull request
  headroom tune -f scenarios/examples/noa.yaml --service noa-mcp -o yaml > noa-mcp-hpa-spec.yaml

  # The Pareto front as a figure
  headroom tune -f scenarios/examples/noa.yaml --service noa-mcp --plot noa-mcp-pareto.svg`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return run(o, cmd) },
	}
	f := cmd.Flags()
	f.StringVarP(&o.Filename, "filename", "f", "", "the plan file (YAML)")
	f.StringVar(&o.Service, "service", "", "the service whose HPA to tune")
	bindFormat(cmd, &o.Output, []string{"table", "json", "yaml"}, "", "")
	bindMaxWork(f, &o.MaxWork)
	f.BoolVar(&o.ColdStart, "cold-start", false, coldStartUsage)
	bindUncertainty(f, &o.Uncertainty)
	f.StringVar(&o.Plot, "plot", "", "also draw the Pareto front (cost against worst burn, the chosen setting marked) to this file, .png or .svg")
	return cmd
}

// Validate checks the flags.
func (o *tuneOptions) Validate() error {
	if err := validateMaxWork(o.MaxWork); err != nil {
		return err
	}
	if err := validateUncertainty(o.Uncertainty); err != nil {
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
	if o.Plot != "" {
		switch strings.ToLower(filepath.Ext(o.Plot)) {
		case ".png", ".svg":
		default:
			return usageErrorf("--plot %q: the file must end in .png or .svg", o.Plot)
		}
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
	return applyUncertainty(p, o.Uncertainty)
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
	if spec.Fixed {
		return fmt.Errorf("service %s is fixed-size: it has no HPA to tune (headroom report proposes its vertical size)", o.Service)
	}
	// The search simulates some 30 settings, each at the point and with the
	// margin: about 60 runs of each scenario.
	if err := checkWork(o.plan, serviceRuns(o.plan, o.Service, nil, sim.ModeFluid), 60, o.MaxWork, false); err != nil {
		return ensembleHint(err, o.plan)
	}
	fmt.Fprintf(o.streams.ErrOut, "tune %s: searching target, minReplicas and maxReplicas (simulator as the oracle)\n", o.Service)
	p, err := capacity.ProposeService(cmd.Context(), o.plan, o.Service, capacity.ProposeOptions{})
	if err != nil {
		return err
	}
	res := capacity.TuneReport{Proposal: *p, Pareto: p.Pareto()}
	if o.Plot != "" {
		if err := writeParetoPlot(o.Plot, &res); err != nil {
			return err
		}
		fmt.Fprintf(o.streams.ErrOut, "wrote the Pareto front to %s\n", o.Plot)
	}
	switch o.Output {
	case "json":
		if err := printJSON(o.streams.Out, res); err != nil {
			return err
		}
	case "yaml":
		spec := p.Recommendation.HPA
		if spec == nil {
			spec = o.plan.Services[serviceIndex(o.plan, o.Service)].HPA
		}
		if err := printYAML(o.streams.Out, spec); err != nil {
			return err
		}
	default:
		printTune(o.streams.Out, res)
	}
	if !p.Met {
		return &checkFailedError{msg: fmt.Sprintf("no candidate holds %s's SLO in every scenario: %s", o.Service, p.Binding)}
	}
	return nil
}

func serviceIndex(p *scenarios.Plan, name string) int {
	for i := range p.Services {
		if p.Services[i].Name == name {
			return i
		}
	}
	return -1
}

func printTune(w io.Writer, r capacity.TuneReport) {
	p := &r.Proposal
	fmt.Fprintf(w, "Tuned %s: %d settings simulated over scenarios", p.Service, len(p.Evaluated))
	for _, o := range p.Current.Outcomes {
		fmt.Fprintf(w, " %s", o.Scenario)
	}
	ens := ""
	if len(p.Current.Outcomes) > 0 && p.Current.Outcomes[0].BurnRange != nil {
		ens = " and at the uncertainty ensemble's p90 (no worse also at its p50 and p90)"
	}
	fmt.Fprintf(w, "; each must hold burn ≤ 1 and worst-window burn ≤ 1, also with the inputs 3 %% adverse%s, and be no worse than today\n", ens)
	fmt.Fprintln(w)
	header := "\tCPU TARGET\tMIN\tMAX\tSCALE-UP\tWORST BURN\tSLO-MIN\tCOST\tSCALE EVENTS\tHOLDS"
	row := func(tw io.Writer, label string, c capacity.Point) {
		minutes := 0.0
		for _, o := range c.Outcomes {
			minutes += o.Minutes
		}
		target := "-"
		if c.CPUTarget > 0 {
			target = fmt.Sprintf("%d%%", c.CPUTarget)
		}
		holds := "no"
		if c.Meets && c.NeverWorse {
			holds = "yes"
		}
		up := "today's"
		if c.ScaleUp != "" {
			up = c.ScaleUp
		}
		worst := fmt.Sprintf("%.2f", c.WorstBurn)
		if c.Screened {
			worst = fmt.Sprintf("≥ %.2f", c.WorstBurn) // dropped before every ensemble member ran
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%s\t%.1f\t%s\t%d\t%s\n", label, target, c.MinReplicas, c.MaxReplicas, up, worst, minutes, formatMoney(c.Cost), c.ScaleEvents, holds)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, header)
	row(tw, "current", p.Current)
	row(tw, "chosen", p.Chosen)
	tw.Flush()
	fmt.Fprintln(w, "\nPareto front, cost against worst burn (* the chosen point):")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, header)
	for _, c := range r.Pareto {
		label := ""
		if p.IsChosen(c) {
			label = "*"
		}
		row(tw, label, c)
	}
	tw.Flush()
	for _, why := range p.Recommendation.HPARationale {
		fmt.Fprintln(w, "  "+why)
	}
	if !p.Met {
		fmt.Fprintln(w, "\nNo candidate holds the SLO in every scenario: "+p.Binding)
	}
}

// writeParetoPlot draws the tune's settings, front and choice
// (reports.ParetoFigure) to path, as PNG or SVG by its extension.
func writeParetoPlot(path string, r *capacity.TuneReport) error {
	p := &r.Proposal
	pt := func(q capacity.Point) reports.ParetoPoint {
		return reports.ParetoPoint{Label: settingLabel(q), Cost: q.Cost, WorstBurn: q.WorstBurn, Holds: q.Meets && q.NeverWorse}
	}
	pp := &reports.ParetoPlot{Service: p.Service, Current: pt(p.Current)}
	for _, q := range p.Evaluated {
		pp.Evaluated = append(pp.Evaluated, pt(q))
	}
	for _, q := range r.Pareto {
		pp.Front = append(pp.Front, pt(q))
	}
	chosen := pt(p.Chosen)
	pp.Chosen = &chosen
	fig, err := reports.ParetoFigure(pp)
	if err != nil {
		return err
	}
	b := fig.SVG
	if strings.EqualFold(filepath.Ext(path), ".png") {
		b = fig.PNG
	}
	return atomicfile.Write(path, b, 0)
}

// settingLabel names an HPA setting: target, bounds, scale-up.
func settingLabel(q capacity.Point) string {
	s := fmt.Sprintf("min %d, max %d", q.MinReplicas, q.MaxReplicas)
	if q.CPUTarget > 0 {
		s = fmt.Sprintf("%d %%, ", q.CPUTarget) + s
	}
	if q.ScaleUp != "" {
		s += ", scale-up " + q.ScaleUp
	}
	return s
}
