package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/headroom-dev/headroom/internal/atomicfile"

	"github.com/spf13/cobra"

	"github.com/headroom-dev/headroom/prom"
	"github.com/headroom-dev/headroom/scenarios"
)

// observeOptions are the flags and state of `headroom observe`.
type observeOptions struct {
	PrometheusURL string
	Filename      string
	OutFile       string
	Report        string
	Namespace     string
	Services      []string
	Window        durationFlag
	Step          durationFlag
	RateWindow    durationFlag
	ReplayStep    durationFlag
	Horizon       durationFlag
	End           string
	Level         float64
	Rate          string
	MinPoints     int
	MinHistory    durationFlag
	MinR2         float64
	NoScenarios   bool

	plan    *scenarios.Plan
	src     []byte
	end     time.Time
	rate    prom.RateStatistic
	client  *prom.Client
	streams ioStreams
}

func newObserveOptions(streams ioStreams) *observeOptions {
	return &observeOptions{
		Report:     "table",
		Window:     durationFlag{prom.DefaultWindow, "window"},
		Step:       durationFlag{prom.DefaultStep, "step"},
		RateWindow: durationFlag{prom.DefaultRateWindow, "rate-window"},
		ReplayStep: durationFlag{prom.DefaultReplayStep, "replay-step"},
		Horizon:    durationFlag{prom.DefaultHorizon, "horizon"},
		MinHistory: durationFlag{time.Duration(prom.DefaultGate.MinHours * float64(time.Hour)), "min-history"},
		Level:      prom.DefaultLevel,
		Rate:       string(prom.RatePeak),
		MinPoints:  prom.DefaultGate.MinPoints,
		MinR2:      prom.DefaultGate.MinR2,
		streams:    streams,
	}
}

func init() { registerCommand("observe", newObserveCmd) }

func newObserveCmd(streams ioStreams) *cobra.Command {
	o := newObserveOptions(streams)
	cmd := &cobra.Command{
		Use:   "observe --prometheus-url URL -f PLAN [--window 14d] [-o OBSERVED-PLAN]",
		Short: "Fill a plan's rates, service times, CPU and memory from Prometheus; replay and forecast scenarios",
		Long: `Read what each service of a plan really does from Prometheus and write it into the plan.

For every service it runs range queries over the window (default the last 14 days) and fits:

  request rate   peak, p99, p95, p50 and mean of sum(rate(http_requests_total)); one of them
                 (--rate, default peak) becomes requestRate.
  service time   the request-weighted mean of the latency histogram's _sum/_count, and its p95
                 interpolated in the window's bucket counts. The histogram measures time inside
                 the pod, queueing included: it equals the service time while pods are not saturated.
  CPU            a least-squares line of a pod's CPU (cAdvisor) on its request rate (the service's
                 rate ÷ kube-state-metrics replicas): the slope is cpu.perRequest, the intercept
                 cpu.idle.
  memory         a line of a pod's working set on its in-flight requests (rate per pod × mean
                 latency, Little's law): the intercept is memory.base, the slope memory.perInFlight.

Each fit is printed with its quality — R², residual spread, points and hours — and written as a
comment beside the value. A fit with fewer than --min-points points, less than --min-history of
history or an R² below --min-r2 is marked LOW CONFIDENCE, like krr's history gate.

It also writes two scenarios per service: observed-<service>, the window's request rate as a
replay (the traffic exactly as it was, for simulate and loadtest), and forecast-<service>, the
last day's shape scaled to next quarter's peak: the linear trend of the daily peaks projected
--horizon ahead, at the upper bound of its --level prediction interval.

The default queries assume the kube-prometheus label conventions: application metrics from
client_golang (http_requests_total, http_request_duration_seconds) and cAdvisor metrics carry
namespace and pod; kube-state-metrics carries namespace and deployment / statefulset /
horizontalpodautoscaler. Pods are matched by name (<workload>-<hash>-<id>). Override any query in
the plan's observe: section, with $namespace, $workload, $kind, $pods, $container, $hpa, $rate
and $window placeholders:

  observe:
    queries:
      requestRate: sum(rate(nginx_ingress_controller_requests{exported_namespace="$namespace"}[$rate]))
    services:
      - name: api
        queries:
          cpu: avg(rate(container_cpu_usage_seconds_total{namespace="$namespace",pod=~"$pods",container="$container"}[$rate]))

Without --out-file the observed plan is not written; the table (-o table, or -o json) goes to
standard output (to standard error with --out-file -). Exits 1 if any service could not be observed (the others are still written).`,
		Example: `  # Fill a plan from the last 14 days and write the result beside it
  headroom observe --prometheus-url http://prometheus.monitoring:9090 -f plan.yaml --out-file plan.observed.yaml

  # Only print the fits for one service over the last week, at 5-minute resolution
  headroom observe --prometheus-url http://localhost:9090 -f plan.yaml --service api --window 7d --step 5m

  # A quarterly review: a 30-day window, sized for the p99 rate, forecast half a year ahead
  headroom observe --prometheus-url $PROM -f plan.yaml --window 30d --rate p99 --horizon 180d --out-file q3.yaml

  # Reproducible: pin the end of the window; JSON for a pipeline
  headroom observe --prometheus-url $PROM -f plan.yaml --end 2026-11-27T00:00:00Z -o json

  # Pipe the observed plan straight into sizing
  headroom observe --prometheus-url $PROM -f plan.yaml --out-file - | headroom size -f -`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return run(o, cmd) },
	}
	f := cmd.Flags()
	f.StringVar(&o.PrometheusURL, "prometheus-url", "", "base URL of the Prometheus HTTP API, e.g. http://prometheus.monitoring:9090")
	f.StringVarP(&o.Filename, "filename", "f", "", "the plan file (YAML); - reads standard input")
	f.StringVar(&o.OutFile, "out-file", "", "write the observed plan to this file (- for standard output)")
	bindFormat(cmd, &o.Report, []string{"table", "json"}, "--out-file", "the observed plan")
	bindMoved(cmd, "report", "-o/--output")
	f.StringVarP(&o.Namespace, "namespace", "n", "", "namespace of services that do not name one (default \"default\")")
	f.StringSliceVar(&o.Services, "service", nil, "observe only these services (repeatable; default all)")
	f.Var(&o.Window, "window", "how far back to look: 14d, 2w, 72h")
	f.Var(&o.Step, "step", "query resolution")
	f.Var(&o.RateWindow, "rate-window", "range of rate() ($rate in the queries); at least four scrape intervals")
	f.Var(&o.ReplayStep, "replay-step", "resolution of the replay and forecast scenarios")
	f.Var(&o.Horizon, "horizon", "how far past the last daily peak to project the trend")
	f.StringVar(&o.End, "end", "", "end of the window, RFC 3339 (default now)")
	f.Float64Var(&o.Level, "level", o.Level, "coverage of the forecast's prediction interval, in (0, 1)")
	f.StringVar(&o.Rate, "rate", o.Rate, "which observed rate becomes requestRate: peak, p99, p95, p50 or mean")
	f.IntVar(&o.MinPoints, "min-points", o.MinPoints, "fewest samples for a confident fit")
	f.Var(&o.MinHistory, "min-history", "shortest history for a confident fit")
	f.Float64Var(&o.MinR2, "min-r2", o.MinR2, "lowest R² for a confident regression")
	f.BoolVar(&o.NoScenarios, "no-scenarios", false, "do not write the observed-* and forecast-* scenarios")
	return cmd
}

// durationFlag is a duration flag that reads Prometheus durations (14d, 2w).
type durationFlag struct {
	d    time.Duration
	name string
}

func (f *durationFlag) String() string { return prom.FormatDuration(f.d) }
func (f *durationFlag) Type() string   { return "duration" }
func (f *durationFlag) Set(s string) error {
	d, err := prom.ParseDuration("--"+f.name, s)
	if err != nil {
		return err
	}
	f.d = d
	return nil
}

// Validate checks the flags; it reads nothing.
func (o *observeOptions) Validate() error {
	if o.PrometheusURL == "" {
		return usageErrorf("--prometheus-url is required: the base URL of Prometheus, e.g. http://prometheus.monitoring:9090 (kubectl port-forward -n monitoring svc/prometheus 9090 for a local one)")
	}
	if !strings.HasPrefix(o.PrometheusURL, "http://") && !strings.HasPrefix(o.PrometheusURL, "https://") {
		return usageErrorf("--prometheus-url must start with http:// or https://, got %q", o.PrometheusURL)
	}
	if o.Filename == "" {
		return usageErrorf("-f/--filename is required: the plan whose services to observe")
	}
	switch o.Report {
	case "table", "json":
	default:
		return usageErrorf("--report must be table or json, got %q", o.Report)
	}
	r, err := prom.ParseRateStatistic(o.Rate)
	if err != nil {
		return usageErrorf("--rate: %v", err)
	}
	o.rate = r
	if o.End != "" {
		t, err := time.Parse(time.RFC3339, o.End)
		if err != nil {
			return usageErrorf("--end %q is not an RFC 3339 time such as 2026-11-27T00:00:00Z", o.End)
		}
		o.end = t.UTC()
	}
	switch {
	case o.Step.d > o.Window.d/3:
		return usageErrorf("--step %s must be at most a third of --window %s", o.Step.String(), o.Window.String())
	case o.RateWindow.d < o.Step.d:
		return usageErrorf("--rate-window %s must be at least --step %s, or samples between steps are never read", o.RateWindow.String(), o.Step.String())
	case o.ReplayStep.d < o.Step.d:
		return usageErrorf("--replay-step %s must be at least --step %s", o.ReplayStep.String(), o.Step.String())
	case !(o.Level > 0 && o.Level < 1):
		return usageErrorf("--level must be between 0 and 1 exclusive (0.95 for 95 %%), got %g", o.Level)
	case o.MinPoints < 3:
		return usageErrorf("--min-points must be at least 3, got %d", o.MinPoints)
	case !(o.MinR2 >= 0 && o.MinR2 <= 1):
		return usageErrorf("--min-r2 must be between 0 and 1, got %g", o.MinR2)
	}
	return nil
}

// Complete reads the plan and builds the client.
func (o *observeOptions) Complete() error {
	name, src, err := scenarios.ReadFile("plan", o.Filename, o.streams.In, scenarios.MaxPlanBytes)
	if err != nil {
		return err
	}
	p, err := scenarios.Parse(name, src)
	if err != nil {
		return err
	}
	if err := checkServices(p, "--service", o.Services...); err != nil {
		return err
	}
	o.plan, o.src = p, src
	o.client, err = prom.NewClient(o.PrometheusURL, nil)
	return err
}

// Run observes, prints the fits and writes the plan.
func (o *observeOptions) Run(cmd *cobra.Command) error {
	opts := prom.Options{
		End: o.end, Window: o.Window.d, Step: o.Step.d, RateWindow: o.RateWindow.d,
		Namespace: o.Namespace, Services: o.Services,
		Gate:    &prom.Gate{MinPoints: o.MinPoints, MinHours: o.MinHistory.d.Hours(), MinR2: o.MinR2},
		Horizon: o.Horizon.d, Level: o.Level, ReplayStep: o.ReplayStep.d,
	}
	n := len(o.Services)
	if n == 0 {
		n = len(o.plan.Services)
	}
	fmt.Fprintf(o.streams.ErrOut, "observing %d service(s) in %s over %s…\n", n, o.PrometheusURL, o.Window.String())
	obs, obsErr := o.client.Observe(cmd.Context(), o.plan, opts)
	if len(obs) == 0 && obsErr != nil {
		return obsErr
	}
	var written []byte
	if o.OutFile != "" {
		out, err := prom.UpdatePlan(o.plan.File(), o.src, obs, prom.WriteOptions{Rate: o.rate, Source: o.PrometheusURL, NoScenarios: o.NoScenarios})
		if err != nil {
			return err
		}
		written = out
	}
	report := o.streams.Out
	if o.OutFile == "-" {
		report = o.streams.ErrOut
	}
	if o.Report == "json" {
		if err := printJSON(report, obs); err != nil {
			return err
		}
	} else {
		printObservations(report, obs, o.rate)
	}
	switch o.OutFile {
	case "":
	case "-":
		if _, err := o.streams.Out.Write(written); err != nil {
			return err
		}
	default:
		if err := atomicfile.Write(o.OutFile, written, 0); err != nil {
			return err
		}
		fmt.Fprintf(o.streams.ErrOut, "wrote %s\n", o.OutFile)
	}
	return obsErr
}

// printObservations writes one table row per observed quantity, then the
// problems and warnings.
func printObservations(w io.Writer, obs []*prom.Observation, rate prom.RateStatistic) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SERVICE\tQUANTITY\tVALUE\tDETAIL\tR²\tRESID SD\tPOINTS\tHOURS\tCONFIDENCE")
	conf := func(low bool, reasons []string) string {
		if low {
			return "LOW: " + strings.Join(reasons, "; ")
		}
		return "ok"
	}
	for _, o := range obs {
		r := o.Rate
		fmt.Fprintf(tw, "%s\trequest rate (%s)\t%s\tpeak %s at %s, p99 %s, p95 %s, p50 %s, mean %s, %d gaps\t—\t—\t%d\t%.1f\t%s\n",
			o.Service, rate, formatRate(r.Pick(rate)), formatRate(r.Peak), r.PeakAt.Format("2006-01-02 15:04"),
			formatRate(r.P99), formatRate(r.P95), formatRate(r.P50), formatRate(r.Mean), r.Gaps, r.Points, r.Hours, conf(r.LowConfidence, r.Reasons))
		if st := o.ServiceTime; st != nil {
			p95 := "—"
			if st.P95Seconds > 0 {
				p95 = fmt.Sprintf("p95 %s from %d buckets", formatSeconds(st.P95Seconds), st.Buckets)
				if st.P95Beyond {
					p95 = "p95 > " + formatSeconds(st.P95Seconds)
				}
			}
			fmt.Fprintf(tw, "%s\tservice time (mean)\t%s\t%s\t—\t—\t%d\t%.1f\t—\n", o.Service, formatSeconds(st.MeanSeconds), p95, st.Points, st.Hours)
		}
		if f := o.CPU; f != nil {
			fmt.Fprintf(tw, "%s\tCPU per request\t%s\tidle %s per pod; cores = idle + slope × req/s per pod\t%.3f\t%s\t%d\t%.1f\t%s\n",
				o.Service, (time.Duration(f.Slope * float64(time.Second))).Round(time.Microsecond), formatCores(f.Intercept), f.R2, formatCores(f.ResidualSD), f.Points, f.Hours, conf(f.LowConfidence, f.Reasons))
		}
		if f := o.Memory; f != nil {
			fmt.Fprintf(tw, "%s\tmemory base\t%s\t+%.3gMi per in-flight request (rate per pod × mean latency)\t%.3f\t%.3gMi\t%d\t%.1f\t%s\n",
				o.Service, formatBytes(f.Intercept), f.Slope/(1<<20), f.R2, f.ResidualSD/(1<<20), f.Points, f.Hours, conf(f.LowConfidence, f.Reasons))
		}
		if rs := o.Replicas; rs != nil {
			hpa := ""
			if h := o.HPADesired; h != nil {
				hpa = fmt.Sprintf("; HPA desired %g–%g", h.Min, h.Max)
			}
			fmt.Fprintf(tw, "%s\treplicas\t%g–%g\tmean %.3g%s\t—\t—\t—\t—\t—\n", o.Service, rs.Min, rs.Max, rs.Mean, hpa)
		}
		if f := o.Forecast; f != nil {
			fmt.Fprintf(tw, "%s\tforecast peak %s\t%s\t%.0f%% interval %s–%s; trend %+.3g/s per day over %d daily peaks\t%.3f\t%s\t%d\t%.1f\t%s\n",
				o.Service, f.Date.Format("2006-01-02"), formatRate(f.Point), 100*f.Level, formatRate(f.Lower), formatRate(f.Upper), f.Slope, len(f.Peaks),
				f.R2, formatRate(f.ResidualSD), f.Points, f.Hours, conf(f.LowConfidence, f.Reasons))
		}
	}
	tw.Flush()
	for _, o := range obs {
		for _, p := range o.Problems {
			fmt.Fprintf(w, "! %s: %s\n", o.Service, p)
		}
		for _, p := range o.Warnings {
			fmt.Fprintf(w, "warning: %s: %s\n", o.Service, p)
		}
	}
}
