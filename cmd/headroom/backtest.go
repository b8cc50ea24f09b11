package main

import (
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/headroom-dev/headroom/internal/atomicfile"
	"github.com/headroom-dev/headroom/prom"
	"github.com/headroom-dev/headroom/reports"
	"github.com/headroom-dev/headroom/review/backtest"
	"github.com/headroom-dev/headroom/review/record"
	"github.com/headroom-dev/headroom/scenarios"
)

// backtestOptions are the flags and state of `headroom backtest`.
type backtestOptions struct {
	PrometheusURL string
	Filename      string
	Output        string
	OutFile       string
	Plots         string
	Namespace     string
	Services      []string
	Window        durationFlag
	Step          durationFlag
	RateWindow    durationFlag
	End           string
	Seed          int64

	plan    *scenarios.Plan
	end     time.Time
	client  *prom.Client
	streams ioStreams
}

func init() { registerCommand("observe", newBacktestCmd) }

func newBacktestCmd(streams ioStreams) *cobra.Command {
	o := &backtestOptions{
		Window:     durationFlag{prom.DefaultWindow, "window"},
		Step:       durationFlag{prom.DefaultStep, "step"},
		RateWindow: durationFlag{prom.DefaultRateWindow, "rate-window"},
		streams:    streams,
	}
	cmd := &cobra.Command{
		Use:   "backtest -f PLAN --prometheus-url URL [--window 14d] [--service S] [--step 1m] [-o table|json] [--plots DIR]",
		Short: "Replay production's own history through the simulator and show how well it matched",
		Long: `Check the model behind a plan against what the cluster actually did.

For each service, over the window (default the last 14 days, at least a day), it reads from
Prometheus — with observe's label conventions and the plan's observe: query overrides — the
request rate, the Ready replicas (and the HPA's status), the CPU utilisation of the request,
the latency histogram per step (p95, and requests slower than the SLO target where a bucket bound
equals it), the error rate and the pods' creation-to-Ready times. It replays the observed request
rate through the simulator with the plan's HPA, scheduled scaling and nodes, starting at the first
observed Ready replica count, and compares:

  replicas     share of steps within ±1 (and equal), mean absolute error, lag of matched scale events
  cpu          mean absolute percentage error of the utilisation, and the median ratio of the CPU
               of all Ready pods (which an HPA on CPU cannot hide by scaling)
  p95          median simulated/observed ratio (and at low load)
  budgetBurn   error-budget burn, observed and simulated
  startup      the pods' median creation-to-Ready time against the plan's start-up delay

A service agrees when every measure is within its tolerance (docs/backtest.md). Otherwise the most
likely cause is named with the value that would fit: a CPU bias -> cpu.perRequest (observe's fit),
start-up delays off the plan's -> startup, scale events late with start-ups as planned -> the
metrics pipeline, a latency bias at low load -> serviceTime.mean (observe's fit).

Exits 3 when a service disagrees, 1 when a service could not be backtested (the others still are).`,
		Example: `  # The last 14 days of every service
  headroom backtest -f plan.yaml --prometheus-url http://prometheus.monitoring:9090

  # One service over a pinned week, as JSON, with figures
  headroom backtest -f plan.yaml --prometheus-url $PROM --service api --window 7d \
    --end 2026-11-27T00:00:00Z -o json --out-file backtest.json --plots backtest-plots`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return run(o, cmd) },
	}
	f := cmd.Flags()
	f.StringVar(&o.PrometheusURL, "prometheus-url", "", "base URL of the Prometheus HTTP API, e.g. http://prometheus.monitoring:9090")
	f.StringVarP(&o.Filename, "filename", "f", "", "the plan file (YAML); - reads standard input")
	bindFormat(cmd, &o.Output, []string{"table", "json"}, "--out-file", "the result")
	f.StringVar(&o.OutFile, "out-file", "", "also write the result as JSON to this file")
	f.StringVar(&o.Plots, "plots", "", "write one figure per service (PNG and SVG) to this directory")
	f.StringVarP(&o.Namespace, "namespace", "n", "", "namespace of services that do not name one (default \"default\")")
	f.StringSliceVar(&o.Services, "service", nil, "backtest only these services (repeatable; default all)")
	f.Var(&o.Window, "window", "how far back to look, at least 1d: 14d, 2w, 72h")
	f.Var(&o.Step, "step", "query and comparison resolution")
	f.Var(&o.RateWindow, "rate-window", "range of rate() ($rate in the queries)")
	f.StringVar(&o.End, "end", "", "end of the window, RFC 3339 (default now)")
	f.Int64Var(&o.Seed, "seed", 0, "simulation seed (default the plan's)")
	return cmd
}

// Validate checks the flags; it reads nothing.
func (o *backtestOptions) Validate() error {
	if o.PrometheusURL == "" {
		return usageErrorf("--prometheus-url is required: the base URL of Prometheus, e.g. http://prometheus.monitoring:9090")
	}
	if !strings.HasPrefix(o.PrometheusURL, "http://") && !strings.HasPrefix(o.PrometheusURL, "https://") {
		return usageErrorf("--prometheus-url must start with http:// or https://, got %q", o.PrometheusURL)
	}
	if o.Filename == "" {
		return usageErrorf("-f/--filename is required: the plan to backtest")
	}
	if o.End != "" {
		t, err := time.Parse(time.RFC3339, o.End)
		if err != nil {
			return usageErrorf("--end %q is not an RFC 3339 time such as 2026-11-27T00:00:00Z", o.End)
		}
		o.end = t.UTC()
	}
	switch {
	case o.Window.d < backtest.MinWindow:
		return usageErrorf("--window %s is shorter than a day; a backtest needs at least one daily cycle (--window 1d or more)", o.Window.String())
	case o.Step.d > o.Window.d/3:
		return usageErrorf("--step %s must be at most a third of --window %s", o.Step.String(), o.Window.String())
	case o.Step.d%time.Second != 0:
		return usageErrorf("--step %s must be a whole number of seconds", o.Step.String())
	case o.RateWindow.d < o.Step.d:
		return usageErrorf("--rate-window %s must be at least --step %s", o.RateWindow.String(), o.Step.String())
	}
	return nil
}

// Complete reads the plan and builds the client.
func (o *backtestOptions) Complete() error {
	name, src, err := scenarios.ReadFile("plan", o.Filename, o.streams.In, scenarios.MaxPlanBytes)
	if err != nil {
		return err
	}
	if o.plan, err = scenarios.Parse(name, src); err != nil {
		return err
	}
	if err := checkServices(o.plan, "--service", o.Services...); err != nil {
		return err
	}
	o.client, err = prom.NewClient(o.PrometheusURL, nil)
	return err
}

// Run reads the history, backtests, prints and writes.
func (o *backtestOptions) Run(cmd *cobra.Command) error {
	end := o.end
	if end.IsZero() {
		end = time.Now().UTC().Truncate(o.Step.d)
	}
	fmt.Fprintf(o.streams.ErrOut, "reading %s of history from %s…\n", o.Window.String(), o.PrometheusURL)
	hs, fails, err := o.client.History(cmd.Context(), o.plan, prom.Options{
		End: end, Window: o.Window.d, Step: o.Step.d, RateWindow: o.RateWindow.d, Namespace: o.Namespace, Services: o.Services,
	})
	if err != nil {
		return err
	}
	obs := make([]backtest.Observed, len(hs))
	for i, h := range hs {
		obs[i] = observedFromHistory(h)
	}
	fmt.Fprintf(o.streams.ErrOut, "replaying %d service(s)…\n", len(obs))
	bt, err := backtest.Run(cmd.Context(), o.plan, obs, backtest.Options{Seed: o.Seed})
	if err != nil {
		return err
	}
	bt.Start, bt.End, bt.StepSeconds = end.Add(-o.Window.d), end, o.Step.d.Seconds()
	for _, f := range fails {
		bt.Failures = append(bt.Failures, record.BacktestFailure{Service: f.Service, Query: f.Query, From: f.From, To: f.To, Error: f.Err.Error()})
	}
	if o.Output == "json" {
		if err := printJSON(o.streams.Out, bt); err != nil {
			return err
		}
	} else {
		printBacktest(o.streams.Out, bt)
	}
	if o.OutFile != "" {
		if err := writeJSONFile(o.OutFile, bt); err != nil {
			return err
		}
		fmt.Fprintf(o.streams.ErrOut, "wrote %s\n", o.OutFile)
	}
	if o.Plots != "" {
		var figs []reports.Figure
		for i := range bt.Services {
			f, err := reports.BacktestFigure(bt, &bt.Services[i])
			if err != nil {
				return err
			}
			figs = append(figs, f)
		}
		if err := reports.WriteFigures(o.Plots, figs); err != nil {
			return err
		}
		fmt.Fprintf(o.streams.ErrOut, "wrote %d figure(s) to %s\n", len(figs), o.Plots)
	}
	if len(bt.Failures) > 0 {
		var errs []error
		for _, f := range bt.Failures {
			errs = append(errs, fmt.Errorf("service %s could not be backtested: %s", f.Service, f.Error))
		}
		return errors.Join(errs...)
	}
	if bt.Verdict == record.BacktestIncomplete {
		return errors.New("no service was backtested")
	}
	if bt.Verdict == record.BacktestDisagrees {
		var why []string
		for _, s := range bt.Services {
			if s.Verdict == record.BacktestDisagrees {
				why = append(why, s.Service+": "+causeText(s.Cause))
			}
		}
		return &checkFailedError{msg: "the model disagrees with production\n  " + strings.Join(why, "\n  ")}
	}
	return nil
}

func writeJSONFile(path string, v any) error {
	var b strings.Builder
	if err := printJSON(&b, v); err != nil {
		return err
	}
	return atomicfile.Write(path, []byte(b.String()), 0)
}

// observedFromHistory hands prom's series to the pure backtest.
func observedFromHistory(h *prom.History) backtest.Observed {
	q := h.Queries
	return backtest.Observed{
		Service: h.Service, Start: h.Start, Step: h.Step, RateWindow: h.RateWindow,
		Rate: h.Rate, Ready: h.Ready, CPU: h.CPU, P95: h.P95, SlowRate: h.SlowRate, ErrorRate: h.ErrorRate,
		StartupSeconds: h.StartupSeconds, CPUPerRequest: h.CPUPerRequest, ServiceTimeSeconds: h.ServiceTimeSeconds,
		Queries: map[string]string{"requestRate": q.RequestRate, "ready": q.ReadyReplicas, "cpu": q.CPU,
			"p95": q.LatencyBucketRates, "slow": q.LatencyBucketRates, "errors": q.ErrorRate, "startup": q.PodStartup},
		Notes: h.Notes,
	}
}

func causeText(c *record.BacktestCause) string {
	if c == nil {
		return "no cause named"
	}
	s := c.Cause + ": " + c.Evidence
	if c.Fitted != nil && c.Planned != nil {
		s += fmt.Sprintf("; %s would fit %s (the plan has %s)", c.Field, causeValue(*c.Fitted, c.Unit), causeValue(*c.Planned, c.Unit))
	}
	return s
}

func causeValue(v float64, unit string) string {
	if unit == "seconds" && !math.IsNaN(v) {
		return time.Duration(v * float64(time.Second)).Round(10 * time.Microsecond).String()
	}
	return fmt.Sprintf("%g %s", v, unit)
}

// printBacktest writes one block per service: the checks, the cause, the
// notes; then the services that could not be backtested.
func printBacktest(w io.Writer, bt *record.Backtest) {
	fmt.Fprintf(w, "backtest of %s from %s to %s at %gs steps: %s\n", bt.Plan, bt.Start.Format(time.RFC3339), bt.End.Format(time.RFC3339), bt.StepSeconds, strings.ToUpper(bt.Verdict))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SERVICE\tMEASURE\tVALUE\tTOLERANCE\tRESULT")
	for _, s := range bt.Services {
		for _, c := range s.Checks {
			res := "ok"
			switch {
			case c.Skipped:
				res = "—"
			case !c.OK:
				res = "FAIL"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", s.Service, c.Measure, c.Value, c.Tolerance, res)
		}
	}
	tw.Flush()
	for _, s := range bt.Services {
		fmt.Fprintf(w, "%s: %s (replay started at %d Ready replicas)\n", s.Service, s.Verdict, s.InitialReplicas)
		if s.Cause != nil {
			fmt.Fprintf(w, "  likely cause: %s\n", causeText(s.Cause))
		}
		for _, n := range s.Notes {
			fmt.Fprintf(w, "  note: %s\n", n)
		}
	}
	for _, f := range bt.Failures {
		fmt.Fprintf(w, "! %s: not backtested: %s\n", f.Service, f.Error)
	}
}
