package main

import (
	"fmt"
	"io"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/headroom-dev/headroom/internal/atomicfile"
	"github.com/headroom-dev/headroom/loadtest"
	"github.com/headroom-dev/headroom/loadtest/verify"
	"github.com/headroom-dev/headroom/scenarios"
)

// calibrateOptions are the flags and state of `headroom calibrate`.
type calibrateOptions struct {
	Filename string
	Result   string
	Service  string
	Out      string
	Shape    string
	Output   string
	MaxBytes int64
	Explain  bool
	bands    bandFlags

	planBytes []byte
	plan      *scenarios.Plan
	res       *loadtest.Result
	streams   ioStreams
}

func init() { registerCommand("load", newCalibrateCmd) }

func newCalibrateCmd(streams ioStreams) *cobra.Command {
	o := &calibrateOptions{Shape: verify.ShapeCV, Output: "table", MaxBytes: loadtest.MaxResultFileBytes, streams: streams}
	cmd := &cobra.Command{
		Use:   "calibrate -f PLAN --result RUN.json --service S [--out-file plan.yaml] [-o table|json]",
		Short: "Fit a service's service time (and CPU per request) from a load-test result into the plan",
		Long: `Estimate a service's service time from the low-load windows of a measured run and,
when the run watched CPU, its CPU per request, and write them into the plan.

Service time: consecutive one-second windows are joined into blocks of at least 20
completions; each block's mean response R and per-pod rate λ (Ready replicas from the
watch samples, else the plan's replicas) are inverted through M/M/c at the plan's
concurrency c (R = W(λ, 1/s, c) + s, solved for s). Blocks at utilisation ρ = λs/c < 0.3
are kept and their s averaged, weighted by completions; the p95 is their response p95 less
their mean wait, the CV their response spread over s (approximations that hold at low load).
The run therefore needs at least three such blocks at low load (60 requests or more).

CPU: a least-squares line of the watched service CPU against the request rate: its slope
is cpu.perRequest, its intercept per Ready pod cpu.idle.

The plan is rewritten as a YAML node tree, so comments and layout stay; the written values
carry a comment naming the result. The output is validated before it is written (atomically).`,
		Example: `  # Measure at a low rate, then calibrate noa-mcp's service time into a copy of the plan
  headroom loadtest run --target http://noa-mcp.staging:8080/api --rate 5 --duration 2m --out-file low.json
  headroom calibrate -f plan.yaml --result low.json --service noa-mcp --out-file plan-calibrated.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return run(o, cmd) },
	}
	f := cmd.Flags()
	f.StringVarP(&o.Filename, "filename", "f", "", "the plan file (YAML)")
	f.StringVar(&o.Result, "result", "", "the result file written by headroom loadtest run")
	f.StringVar(&o.Service, "service", "", "the service the run measured")
	f.StringVar(&o.Out, "out-file", "", "write the calibrated plan to this file (default: print the estimates only)")
	f.StringVar(&o.Shape, "shape", o.Shape, "how to write the service-time spread: cv or p95 (a plan takes one)")
	bindFormat(cmd, &o.Output, []string{"table", "json"}, "--out-file", "the calibrated plan")
	bindMoved(cmd, "out", "--out-file")
	bindMaxResultBytes(f, &o.MaxBytes)
	f.BoolVar(&o.Explain, "explain", false, "compare the run with the plan and with the calibrated plan (sampling bands) and say how much of each bucket's deviation the calibration removes")
	o.bands.bind(f)
	return cmd
}

// Validate checks the flags.
func (o *calibrateOptions) Validate() error {
	if o.Filename == "" || o.Result == "" || o.Service == "" {
		return usageErrorf("-f/--filename, --result and --service are required")
	}
	if o.Filename == "-" {
		return usageErrorf("-f must name a file: calibrate rewrites it")
	}
	if o.Shape != verify.ShapeCV && o.Shape != verify.ShapeP95 {
		return usageErrorf("--shape must be cv or p95, got %q", o.Shape)
	}
	if err := o.bands.validate(); err != nil {
		return err
	}
	return validateMaxResultBytes(o.MaxBytes)
}

// Complete reads the plan and the result.
func (o *calibrateOptions) Complete() error {
	_, b, err := scenarios.ReadFile("plan", o.Filename, nil, scenarios.MaxPlanBytes)
	if err != nil {
		return err
	}
	o.planBytes = b
	p, err := scenarios.Parse(o.Filename, b)
	if err != nil {
		return err
	}
	o.plan = p
	if err := checkServices(p, "--service", o.Service); err != nil {
		return err
	}
	o.res, err = loadtest.ReadResultFileLimit(o.Result, o.MaxBytes)
	return err
}

// Run estimates, prints and writes; Ctrl-C stops it between windows and
// before the plan is written.
func (o *calibrateOptions) Run(cmd *cobra.Command) error {
	ctx := cmd.Context()
	if err := ctx.Err(); err != nil {
		return err
	}
	cal, err := verify.Calibrate(ctx, o.plan, o.res, o.Service)
	if err != nil {
		return err
	}
	if o.Explain {
		if cal.Explanation, err = verify.Explain(ctx, o.plan, o.res, cal, o.bands.options(verify.CompareOptions{})); err != nil {
			return err
		}
	}
	if o.Output == "json" {
		if err := printJSON(o.streams.Out, cal); err != nil {
			return err
		}
	} else {
		printCalibration(o.streams.Out, cal)
		if cal.Explanation != nil {
			printExplanation(o.streams.Out, cal.Explanation)
		}
	}
	if o.Out == "" {
		return nil
	}
	note := "calibrated from " + filepath.Base(o.Result)
	out, err := verify.ApplyCalibration(o.Filename, o.planBytes, cal, o.Shape, note)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := atomicfile.Write(o.Out, out, 0); err != nil {
		return err
	}
	fmt.Fprintf(o.streams.ErrOut, "wrote %s\n", o.Out)
	return nil
}

func printCalibration(w io.Writer, c *verify.Calibration) {
	fmt.Fprintf(w, "service %s: %d low-load windows (ρ ≤ %.2f) of %d usable\n", c.Service, c.Windows, c.MaxUtilisation, c.WindowsSeen)
	fmt.Fprintf(w, "service time: mean %s  p95 %s  cv %.2f\n", formatSeconds(c.MeanService), formatSeconds(c.P95Service), c.CV)
	for i, f := range c.Families {
		best := ""
		if i == 0 {
			best = "  ← best, written with --out-file"
		}
		fmt.Fprintf(w, "  fitted %-11s cv %.2f, p50/p90/p99 off by %.0f %% (rms of log ratios)%s\n", f.Family, f.CV, f.Error*100, best)
	}
	if c.CPUPerRequest != nil {
		fmt.Fprintf(w, "CPU per request: %s (from %d samples)", verify.DurationText(*c.CPUPerRequest), c.CPUSamples)
		if c.IdleCoresPerPod != nil {
			fmt.Fprintf(w, ", idle %s per pod", formatCores(*c.IdleCoresPerPod))
		}
		fmt.Fprintln(w)
	}
	for _, n := range c.Notes {
		fmt.Fprintln(w, "note:", n)
	}
}

func printExplanation(w io.Writer, ex *verify.Explanation) {
	fmt.Fprintf(w, "\nEXPLAINED: measured against the predicted median, before and after calibration (%s → %s)\n", ex.Before.Verdict, ex.After.Verdict)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SCENARIO TIME\tMEAN before/after\tREMOVED\tP95 before/after\tREMOVED")
	for _, r := range ex.Rows {
		fmt.Fprintf(tw, "%s–%s\t%+.0f %% / %+.0f %%\t%.0f %%\t%+.0f %% / %+.0f %%\t%.0f %%\n",
			time.Duration(r.FromSeconds*1e9), time.Duration(r.ToSeconds*1e9),
			r.MeanBefore*100, r.MeanAfter*100, r.MeanRemoved*100, r.P95Before*100, r.P95After*100, r.P95Removed*100)
	}
	tw.Flush()
	fmt.Fprintf(w, "the calibrated service time removes %.0f %% of the mean's deviation and %.0f %% of the p95's over the buckets\n", ex.MeanRemoved*100, ex.P95Removed*100)
}
