package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	autoscalingv2 "k8s.io/api/autoscaling/v2"

	"github.com/headroom-dev/headroom/model"
	"github.com/headroom-dev/headroom/reports"
	"github.com/headroom-dev/headroom/review"
	"github.com/headroom-dev/headroom/review/record"
	"github.com/headroom-dev/headroom/scenarios"
)

// reportOptions are the flags and state of `headroom report`.
type reportOptions struct {
	Filename     string
	OutDir       string
	Output       string
	Force        bool
	HPAFile      string
	Mode         string
	Seed         int64
	MaxWork      float64
	ColdStart    bool
	FlapWindow   time.Duration
	Series       string
	KubectlImage string
	Uncertainty  string
	Plots        string
	VPA          bool
	PrescaleWith string
	Backtest     string

	EventName     string
	EventStart    string
	EventEnd      string
	EventPeak     string
	EventRamp     time.Duration
	EventServices []string

	plan     *scenarios.Plan
	mode     model.Mode
	proposed map[string]*autoscalingv2.HorizontalPodAutoscalerSpec
	event    *scenarios.Event
	backtest *record.Backtest
	series   record.SeriesDetail
	streams  ioStreams
}

func init() { registerCommand("plan", newReportCmd) }

func newReportCmd(streams ioStreams) *cobra.Command {
	o := &reportOptions{OutDir: "report", Mode: "queueing", Plots: "auto", Series: string(record.SeriesDownsampled), EventRamp: 10 * time.Minute, streams: streams}
	cmd := &cobra.Command{
		Use:   "report -f PLAN [--out-dir DIR] [-o table|json|md] [--hpa PROPOSED.yaml] [--event NAME --event-start T --event-end T --event-peak 5x]",
		Short: "The capacity review: plots, report.html/.md/.json and right-sizing patches",
		Long: `Size every service at each scenario's peak, simulate every scenario with today's HPAs and
with the proposed ones, plan the pre-scale of each event, and write a review to DIR:

  report.html   one self-contained page (plots embedded; prints well)
  report.md     the same for a wiki or a pull request (plots linked from plots/)
  report.json   everything, with a schema version (headroom.dev/report/v3); each time
                series downsampled to at most 100 points (--series full keeps them all)
  plots/        every figure as PNG and SVG
  patches/      kubectl-patches.sh (kubectl patch --type=json, as in a runbook), and kustomize
                Components to take one by one or all (kustomization.yaml): hpa/, requests/,
                vpa/ (--vpa; needs the VPA CRDs), prescale/ (--prescale-with cronjob: restricted
                CronJobs; keda: ScaledObjects; git: dated raise/restore patches);
                manifests/ (whole autoscaling/v2 HPAs for repositories without kustomize)

The proposed HPAs are headroom's own recommendations (maxReplicas raised to what the peaks
need) unless --hpa gives yours. An event is a scenario of the plan with a spike, or one given
with --event: headroom then says when to raise each floor (minReplicas) so pods and nodes are
Ready before the rise, writes the CronJobs that raise and restore it, and prices the event.

DIR (--out-dir, default report) is written as a set, with DIR/.headroom-manifest listing
headroom's files: a rerun replaces those and keeps every other file. A non-empty directory
without that manifest is refused unless --force. -o picks what goes to standard output: the
table (default), report.json (json) or report.md (md); DIR is written either way.

With an uncertainty: section in the plan (or --uncertainty), every simulation runs as a seeded
ensemble over the estimated inputs' ranges: the tables show "765 (540–810)" (the run as written,
then p10–p90), report.json carries sloViolationMinutesRange (and worstP95SecondsRange,
errorPercentRange, costRange) beside each summary, and the figures shade the p10–p90 band.
Without one, the summary recommends adding it.

Nothing touches a cluster: check the patches with 'headroom apply -f DIR/patches' (a
server-side dry run). The same plan and seed give byte-identical files.

Exits 3 when a service is at risk in some scenario (the report is still written).`,
		Example: `  # The review of the bundled example
  headroom report -f scenarios/examples/noa.yaml --out-dir report

  # The same, with report.json on standard output
  headroom report -f scenarios/examples/noa.yaml -o json | jq .summary

  # Without the plan's uncertainty ensemble (one run per scenario), or with a larger one
  headroom report -f scenarios/examples/noa.yaml --uncertainty off
  headroom report -f scenarios/examples/noa.yaml --uncertainty samples=128

  # With a proposed HPA of your own
  headroom report -f scenarios/examples/noa.yaml --hpa scenarios/examples/noa-mcp-proposed-hpa.yaml

  # Before a launch: five times today's traffic for two hours
  headroom report -f scenarios/examples/noa.yaml --event launch \
      --event-start 2026-12-01T18:00:00Z --event-end 2026-12-01T20:00:00Z --event-peak 5x`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return run(o, cmd) },
	}
	f := cmd.Flags()
	f.StringVarP(&o.Filename, "filename", "f", "", "the plan file (YAML); - reads standard input")
	bindOutDir(cmd, &o.OutDir, &o.Force, o.OutDir, "directory to write the report into (created, or replaced as a set: headroom's files of an earlier report go, other files stay; not /, home or the current directory)")
	bindFormat(cmd, &o.Output, []string{"table", "json", "md"}, "--out-dir", "the report directory")
	bindMoved(cmd, "output-dir", "--out-dir")
	f.StringVar(&o.HPAFile, "hpa", "", "proposed HorizontalPodAutoscaler manifest(s) to compare instead of headroom's recommendations")
	f.StringVar(&o.Mode, "mode", o.Mode, "sizing method: queueing or utilization")
	f.Int64Var(&o.Seed, "seed", 0, "random seed (default: the plan's seed)")
	bindMaxWork(f, &o.MaxWork)
	f.BoolVar(&o.ColdStart, "cold-start", false, coldStartUsage)
	bindFlapWindow(f, &o.FlapWindow)
	bindUncertainty(f, &o.Uncertainty)
	f.StringVar(&o.Series, "series", o.Series, "the simulated time series in report.json: downsampled (at most 100 points per service and scenario, each saying its resolution and how it was merged), full (every sample) or none")
	_ = cmd.RegisterFlagCompletionFunc("series", cobra.FixedCompletions(record.SeriesDetails, cobra.ShellCompDirectiveNoFileComp))
	f.StringVar(&o.Plots, "plots", o.Plots, "which figures to draw: all; at-risk (each service at risk, in its worst scenario); none; auto (all up to 12 services, else at-risk)")
	f.StringVar(&o.KubectlImage, "kubectl-image", reports.DefaultKubectlImage, "image the scheduled-scaling CronJobs run kubectl from")
	f.BoolVar(&o.VPA, "vpa", false, "also write patches/vpa/: VerticalPodAutoscalers in Off mode (needs the VPA CRDs in the cluster)")
	f.StringVar(&o.Backtest, "backtest", "", "a `headroom backtest -o json` result (FILE) to show as \"Does the model match production?\" near the top")
	f.StringVar(&o.PrescaleWith, "prescale-with", reports.PrescaleCronJob, "how events are pre-scaled: "+strings.Join(reports.PrescaleWithValues, ", ")+" (docs/report.md: which to choose under Argo CD or Flux)")
	_ = cmd.RegisterFlagCompletionFunc("prescale-with", cobra.FixedCompletions(reports.PrescaleWithValues, cobra.ShellCompDirectiveNoFileComp))
	f.StringVar(&o.EventName, "event", "", "name of a pre-announced event to size for (a DNS label)")
	f.StringVar(&o.EventStart, "event-start", "", "when the event's traffic starts to rise (RFC 3339, e.g. 2026-12-01T18:00:00Z)")
	f.StringVar(&o.EventEnd, "event-end", "", "when it starts to fall back (RFC 3339)")
	f.StringVar(&o.EventPeak, "event-peak", "", "the event's traffic as a multiple of today's: 5x, 5 or 500%")
	f.DurationVar(&o.EventRamp, "event-ramp", o.EventRamp, "how long the rise (and the fall) takes")
	f.StringSliceVar(&o.EventServices, "event-services", nil, "services the event affects (default all)")
	return cmd
}

// Validate checks the flags.
func (o *reportOptions) Validate() error {
	if err := validateFlapWindow(o.FlapWindow); err != nil {
		return err
	}
	if err := validateMaxWork(o.MaxWork); err != nil {
		return err
	}
	if err := validateUncertainty(o.Uncertainty); err != nil {
		return err
	}
	series, err := record.ParseSeriesDetail(o.Series)
	if err != nil {
		return usageErrorf("--series %v", err)
	}
	o.series = series
	if o.Filename == "" {
		return usageErrorf("-f/--filename is required: the plan to review (try scenarios/examples/noa.yaml)")
	}
	if err := checkOutDir(o.OutDir, o.Force); err != nil {
		return err
	}
	if !slices.Contains(reports.PrescaleWithValues, o.PrescaleWith) {
		return usageErrorf("--prescale-with must be one of %s, got %q", strings.Join(reports.PrescaleWithValues, ", "), o.PrescaleWith)
	}
	if err := pinnedImage("--kubectl-image", o.KubectlImage); err != nil {
		return err
	}
	switch o.Plots {
	case "auto", "all", "at-risk", "none":
	default:
		return usageErrorf("--plots must be auto, all, at-risk or none, got %q", o.Plots)
	}
	mode, err := parseMode(o.Mode)
	if err != nil {
		return err
	}
	o.mode = mode
	given := 0
	for _, v := range []string{o.EventName, o.EventStart, o.EventEnd, o.EventPeak} {
		if v != "" {
			given++
		}
	}
	if given == 0 {
		return nil
	}
	if given < 4 {
		return usageErrorf("an event needs all of --event, --event-start, --event-end and --event-peak")
	}
	start, err := parseEventTime(o.EventStart)
	if err != nil {
		return usageErrorf("--event-start: %v", err)
	}
	end, err := parseEventTime(o.EventEnd)
	if err != nil {
		return usageErrorf("--event-end: %v", err)
	}
	peak, err := scenarios.ParseMultiplier(o.EventPeak)
	if err != nil {
		return usageErrorf("--event-peak: %v", err)
	}
	ev, err := scenarios.NewEvent(o.EventName, start, end, peak, o.EventRamp, o.EventServices)
	if err != nil {
		return usageErrorf("%v", err)
	}
	o.event = ev
	return nil
}

// autoPlotServices is the largest plan --plots auto draws every service of.
const autoPlotServices = 12

// parseEventTime reads RFC 3339, or "2006-01-02 15:04" / "2006-01-02T15:04" taken as UTC.
func parseEventTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02 15:04", "2006-01-02T15:04Z"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a time: use RFC 3339 like 2026-12-01T18:00:00Z", s)
}

// Complete reads the plan and the proposed HPAs.
func (o *reportOptions) Complete() error {
	p, err := scenarios.LoadFile(o.Filename, o.streams.In)
	if err != nil {
		return err
	}
	o.plan = p
	applyColdStart(p, o.ColdStart)
	if err := applyUncertainty(p, o.Uncertainty); err != nil {
		return err
	}
	if o.event != nil {
		if err := checkServices(p, "--event-services", o.event.Services...); err != nil {
			return err
		}
		if p.Scenario(o.event.Scenario) != nil {
			return usageErrorf("--event %q: the plan already has a scenario of that name", o.event.Name)
		}
	}
	if o.HPAFile != "" {
		o.proposed, err = loadProposedHPAs(p, o.HPAFile)
		if err != nil {
			return err
		}
	}
	if o.Backtest != "" {
		if o.backtest, err = loadBacktest(p, o.Backtest, o.streams.In); err != nil {
			return err
		}
	}
	return nil
}

// Run builds the review, renders it, writes it and prints its table.
func (o *reportOptions) Run(cmd *cobra.Command) error {
	started := time.Now()
	progress := func(format string, args ...any) {
		fmt.Fprintf(o.streams.ErrOut, "%5.1fs  %s\n", time.Since(started).Seconds(), fmt.Sprintf(format, args...))
	}
	plots := record.PlotsAll
	switch {
	case o.Plots == "none":
		plots = record.PlotsNone
	case o.Plots == "at-risk" || (o.Plots == "auto" && len(o.plan.Services) > autoPlotServices):
		plots = record.PlotsAtRisk
	}
	ropts := review.Options{
		Mode: o.mode, Seed: o.Seed, Proposed: o.proposed, ProposedSource: o.HPAFile, Event: o.event,
		Version: currentVersion().Version, Progress: progress, Series: o.series, Plots: plots,
		Backtest:   o.backtest,
		FlapWindow: o.FlapWindow,
	}
	w, err := review.EstimateWork(o.plan, ropts)
	if err != nil {
		return err
	}
	if err := checkBudget(w, o.MaxWork); err != nil {
		return ensembleHint(err, o.plan)
	}
	rev, err := review.Build(cmd.Context(), o.plan, ropts)
	if err != nil {
		return err
	}
	if err := cmd.Context().Err(); err != nil {
		return fmt.Errorf("interrupted before writing: %w", err)
	}
	switch plots {
	case record.PlotsAtRisk:
		progress("drawing the figures of each service at risk in its worst scenario (--plots all draws everything)")
	case record.PlotsAll:
		progress("drawing the figures")
	}
	progress("writing the report to %s", o.OutDir)
	out, err := reports.Write(cmd.Context(), o.OutDir, rev, reports.PatchOptions{KubectlImage: o.KubectlImage, Generator: "headroom " + currentVersion().Version,
		VPA: o.VPA, PrescaleWith: o.PrescaleWith})
	if err != nil {
		return err
	}
	progress("wrote %d files to %s", out.Files, o.OutDir)
	switch o.Output {
	case "json", "md":
		if err := copyFile(o.streams.Out, filepath.Join(o.OutDir, "report."+o.Output)); err != nil {
			return err
		}
		fmt.Fprintf(o.streams.ErrOut, "wrote %s (open in a browser), report.md, report.json, %d plots and %d patch files\n",
			filepath.Join(o.OutDir, "report.html"), out.Figures, out.Patches)
	default:
		fmt.Fprintf(o.streams.Out, "%s\n\n", rev.Summary.Verdict)
		tw := tabwriter.NewWriter(o.streams.Out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "SERVICE\tSCENARIOS AT RISK\tBURN TODAY\tBURN PROPOSED\tSLO-MIN TODAY\tSLO-MIN PROPOSED\tCHANGES")
		for _, r := range rev.Rows {
			risk := "-"
			if len(r.AtRisk) > 0 {
				risk = strings.Join(r.AtRisk, ",")
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%.0f\t%.0f\t%d\n", r.Service, risk, formatBurn(r.BurnToday), formatBurn(r.BurnProposed), r.Today, r.Proposed, r.Changes)
		}
		fmt.Fprintln(tw, "BURN: the highest error-budget burn over a scenario or its worst slo.window (above 1 breaks the SLO).")
		tw.Flush()
		fmt.Fprintln(o.streams.Out)
		fmt.Fprintf(o.streams.Out, "wrote %s (open in a browser), report.md, report.json, %d plots and %d patch files\n",
			filepath.Join(o.OutDir, "report.html"), out.Figures, out.Patches)
	}
	var risks []string
	for _, r := range rev.Summary.Risks {
		risks = append(risks, fmt.Sprintf("%s in %s (%s): %s", r.Service, r.Scenario, r.Severity, r.What))
	}
	if len(risks) > 0 {
		return &checkFailedError{msg: fmt.Sprintf("%d service-scenario(s) at risk\n  %s", len(risks), strings.Join(capLines(risks, 10), "\n  "))}
	}
	return nil
}

// copyFile copies the file at path to w.
func copyFile(w io.Writer, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(w, f)
	return err
}
