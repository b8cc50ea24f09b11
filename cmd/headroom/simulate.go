package main

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/headroom-dev/headroom/model"
	"github.com/headroom-dev/headroom/scenarios"
	"github.com/headroom-dev/headroom/sim"
	"github.com/headroom-dev/headroom/sim/ensemble"
)

// simulateOptions are the flags and state of `headroom simulate`.
type simulateOptions struct {
	Filename    string
	Services    []string
	Scenarios   []string
	Seed        int64
	Output      string
	SampleEvery time.Duration
	Mode        string
	Arrivals    string
	ServiceTime []string
	MaxWork     float64
	ColdStart   bool
	FlapWindow  time.Duration
	Uncertainty string

	plan         *scenarios.Plan
	mode         sim.Mode
	arrivals     sim.Arrivals
	serviceTimes map[string]sim.ServiceTime
	streams      ioStreams
	progressMu   sync.Mutex
}

// progress writes a line to standard error; the ensemble's workers call it
// concurrently.
func (o *simulateOptions) progress(format string, args ...any) {
	o.progressMu.Lock()
	defer o.progressMu.Unlock()
	fmt.Fprintf(o.streams.ErrOut, format+"\n", args...)
}

func init() { registerCommand("plan", newSimulateCmd) }

func newSimulateCmd(streams ioStreams) *cobra.Command {
	o := &simulateOptions{Output: "table", SampleEvery: time.Minute, streams: streams}
	cmd := &cobra.Command{
		Use:   "simulate -f PLAN [--service S] [--scenario NAME] [--seed N] [--mode fluid|des] [-o table|json|csv]",
		Short: "Replay traffic scenarios through the HPA, pod start-up and node provisioning",
		Long: `Replay each scenario of a plan on a virtual clock: traffic spread over Ready pods with
per-pod queues, pods that take time to start, metrics that lag, an exact replica of the
Kubernetes HPA controller syncing every 15 s, nodes that take minutes to arrive, and the
plan's scheduled scaling. A scenario starts warm, in the steady state of its first
instant (replicas where the HPA settles at the opening rate, queues and metric windows
stationary); --cold-start starts at the plan's replica counts instead. Prints, per service and scenario, the SLO-violation minutes, the
worst p95, errors, the longest violation, pod-hours and cost, scale events and flaps, and the
time pinned at maxReplicas.

--mode des simulates every request instead of the fluid per-pod queues: Poisson (or, with
--arrivals deterministic, k6-style evenly spaced) arrivals, a FCFS queue with the service's
worker slots per pod, service times drawn from a distribution (--service-time), latency
quantiles from HDR histograms per sample interval. It is slower (millions of requests per
second) and is the referee for the fluid mode; pods, metrics, the HPA and nodes are the same.

-o json adds the full time series; -o csv prints only the series, one row per service and
sample interval (--sample-every). The same plan and seed give byte-identical output.

With an uncertainty: section in the plan (or --uncertainty), each scenario also runs as a
seeded Latin-hypercube ensemble over the estimated inputs' ranges (in DES mode each member
with its own seed too): the table shows p10–p90 beside the SLO-violation minutes, and -o json
adds sloViolationMinutesRange, worstP95SecondsRange, errorPercentRange and costRange
({"p10", "p50", "p90"}) to every summary. The plain numbers stay those of the inputs as written.

Exits 3 when any service spends time in SLO violation.`,
		Example: `  # Every scenario of the bundled example
  headroom simulate -f scenarios/examples/noa.yaml

  # One service through the daily schedule, as a time series for a spreadsheet
  headroom simulate -f scenarios/examples/noa.yaml --service noa-mcp --scenario daily -o csv > mcp.csv

  # How far does the verdict move if the CPU and service-time estimates are 25 % off?
  headroom simulate -f scenarios/examples/noa.yaml --scenario daily --uncertainty cpu=25%,serviceTime=25%,samples=32

  # Request by request, with lognormal service times for noa-mcp
  headroom simulate -f scenarios/examples/noa.yaml --scenario growth-2x --mode des --service-time noa-mcp=lognormal

  # Service times drawn from a measured histogram (lines "upper,count", e.g. "250ms,1200")
  headroom simulate -f plan.yaml --mode des --service-time api=empirical:api-latency.csv`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return run(o, cmd) },
	}
	f := cmd.Flags()
	f.StringVarP(&o.Filename, "filename", "f", "", "the plan file (YAML); - reads standard input")
	f.StringSliceVar(&o.Services, "service", nil, "simulate only these services (repeat or comma-separate; default all)")
	f.StringSliceVar(&o.Scenarios, "scenario", nil, "simulate only these scenarios (default all)")
	f.Int64Var(&o.Seed, "seed", 0, "random seed (default: the plan's seed)")
	bindFormat(cmd, &o.Output, []string{"table", "json", "csv"}, "", "")
	f.DurationVar(&o.SampleEvery, "sample-every", o.SampleEvery, "time-series resolution")
	f.StringVar(&o.Mode, "mode", "fluid", "per-pod model: fluid or des (every request simulated)")
	f.StringVar(&o.Arrivals, "arrivals", "poisson", "DES arrivals: poisson or deterministic (k6 arrival-rate style)")
	f.StringArrayVar(&o.ServiceTime, "service-time", nil, "DES service-time distribution, SERVICE=exponential|gamma|lognormal|deterministic|empirical:FILE (repeatable)")
	bindMaxWork(f, &o.MaxWork)
	f.BoolVar(&o.ColdStart, "cold-start", false, coldStartUsage)
	bindFlapWindow(f, &o.FlapWindow)
	bindUncertainty(f, &o.Uncertainty)
	return cmd
}

// Validate checks the flags.
func (o *simulateOptions) Validate() error {
	if err := validateFlapWindow(o.FlapWindow); err != nil {
		return err
	}
	if err := validateUncertainty(o.Uncertainty); err != nil {
		return err
	}
	if o.Filename == "" {
		return usageErrorf("-f/--filename is required: the plan to simulate (try scenarios/examples/noa.yaml)")
	}
	switch o.Output {
	case "table", "json", "csv":
	default:
		return usageErrorf("--output must be table, json or csv, got %q", o.Output)
	}
	if o.SampleEvery <= 0 {
		return usageErrorf("--sample-every must be positive, got %s", o.SampleEvery)
	}
	if err := validateMaxWork(o.MaxWork); err != nil {
		return err
	}
	var err error
	if o.mode, err = sim.ParseMode(o.Mode); err != nil {
		return usageErrorf("--mode: %v", err)
	}
	if o.arrivals, err = sim.ParseArrivals(o.Arrivals); err != nil {
		return usageErrorf("--arrivals: %v", err)
	}
	if o.mode != sim.ModeDES && (len(o.ServiceTime) > 0 || o.Arrivals != "poisson") {
		return usageErrorf("--arrivals and --service-time apply to --mode des only")
	}
	return nil
}

// parseServiceTime reads one --service-time value; empirical reads its
// histogram file.
func parseServiceTime(v string) (string, sim.ServiceTime, error) {
	name, kind, ok := strings.Cut(v, "=")
	if !ok || name == "" || kind == "" {
		return "", sim.ServiceTime{}, usageErrorf("--service-time %q must be SERVICE=KIND", v)
	}
	st := sim.ServiceTime{Kind: sim.ServiceTimeKind(kind)}
	if k, file, ok := strings.Cut(kind, ":"); ok {
		if k != string(sim.ServiceEmpirical) {
			return "", st, usageErrorf("--service-time %q: only empirical takes a file", v)
		}
		_, data, err := scenarios.ReadFile("service-time histogram", file, nil, 16<<20)
		if err != nil {
			return "", st, fmt.Errorf("--service-time %s: %w", name, err)
		}
		if st.Buckets, err = sim.ParseServiceHistogram(file, data); err != nil {
			return "", st, fmt.Errorf("--service-time %s: %w", name, err)
		}
		st.Kind = sim.ServiceEmpirical
	}
	switch st.Kind {
	case sim.ServiceExponential, sim.ServiceGamma, sim.ServiceLognormal, sim.ServiceDeterministic:
	case sim.ServiceEmpirical:
		if st.Buckets == nil {
			return "", st, usageErrorf("--service-time %q: empirical needs a histogram file, empirical:FILE", v)
		}
	default:
		return "", st, usageErrorf("--service-time %q: unknown distribution %q; use exponential, gamma, lognormal, deterministic or empirical:FILE", v, kind)
	}
	return name, st, nil
}

// Complete reads the plan and checks the names given.
func (o *simulateOptions) Complete() error {
	p, err := scenarios.LoadFile(o.Filename, o.streams.In)
	if err != nil {
		return err
	}
	o.plan = p
	applyColdStart(p, o.ColdStart)
	if err := applyUncertainty(p, o.Uncertainty); err != nil {
		return err
	}
	if err := checkScenarios(p, "--scenario", o.Scenarios...); err != nil {
		return err
	}
	if err := checkServices(p, "--service", o.Services...); err != nil {
		return err
	}
	if len(selectedScenarios(p, o.Scenarios, o.Services)) == 0 {
		return usageErrorf("no selected scenario covers the selected services (%s)", strings.Join(o.Services, ", "))
	}
	for _, v := range o.ServiceTime {
		name, st, err := parseServiceTime(v)
		if err != nil {
			return err
		}
		if p.Service(name) == nil {
			return usageErrorf("--service-time %q: the plan has no service %q", v, name)
		}
		if o.serviceTimes == nil {
			o.serviceTimes = map[string]sim.ServiceTime{}
		}
		o.serviceTimes[name] = st
	}
	if tick := p.Simulation.Tick.D(); o.SampleEvery%tick != 0 {
		return usageErrorf("--sample-every %s must be a multiple of the plan's tick %s", o.SampleEvery, tick)
	}
	return nil
}

// selectedScenarios are the scenarios to run that cover a selected service.
func selectedScenarios(p *scenarios.Plan, names, services []string) []string {
	var out []string
	for _, sc := range p.Scenarios {
		if len(names) > 0 && !slices.Contains(names, sc.Name) {
			continue
		}
		covers := len(services) == 0
		for _, s := range services {
			covers = covers || sc.AppliesTo(s)
		}
		if covers {
			out = append(out, sc.Name)
		}
	}
	return out
}

// Run simulates and prints.
func (o *simulateOptions) Run(cmd *cobra.Command) error {
	var runs []sim.Options
	for _, name := range selectedScenarios(o.plan, o.Scenarios, o.Services) {
		var svcs []string
		for _, s := range o.Services {
			if sc := o.plan.Scenario(name); sc.AppliesTo(s) {
				svcs = append(svcs, s)
			}
		}
		runs = append(runs, sim.Options{Scenario: name, Services: svcs, Seed: o.Seed, SampleEvery: o.SampleEvery,
			Mode: o.mode, Arrivals: o.arrivals, ServiceTimes: o.serviceTimes, FlapWindow: o.FlapWindow})
	}
	if err := checkWork(o.plan, runs, ensembleRuns(o.plan), o.MaxWork, true); err != nil {
		return ensembleHint(err, o.plan)
	}
	if u := o.plan.Uncertainty; u != nil {
		fmt.Fprintf(o.streams.ErrOut, "running an ensemble of %d members per scenario (uncertainty %s)\n", u.Samples, u)
	}
	if o.Output == "json" && o.plan.Uncertainty == nil {
		return o.streamJSON(cmd.Context(), runs)
	}
	results, err := ensemble.Run(cmd.Context(), o.plan, runs, o.plan.Uncertainty, ensemble.Config{
		Started: func(i int) { o.progress("simulating %s…", runs[i].Scenario) },
	})
	var re *ensemble.RunError
	if errors.As(err, &re) {
		return fmt.Errorf("scenario %s: %w", runs[re.Run].Scenario, re.Err)
	}
	if err != nil {
		return err
	}
	switch o.Output {
	case "json":
		if err := printJSON(o.streams.Out, results); err != nil {
			return err
		}
	case "csv":
		if err := writeSeriesCSV(o.streams.Out, results); err != nil {
			return err
		}
	default:
		printSimulation(o.streams.Out, o.plan, results)
	}
	var bad []string
	for _, r := range results {
		bad = append(bad, overBudget(r)...)
	}
	return budgetCheck(bad)
}

// overBudget lists the services of r that spent more than their error
// budget, over the scenario or a window.
func overBudget(r *sim.Result) []string {
	var bad []string
	for _, s := range r.Services {
		if m := &s.Summary; m.SLOBudgetBurn > 1 || m.WorstWindowBurn > 1 {
			bad = append(bad, fmt.Sprintf("%s in %s: error-budget burn %.2f, worst %s window %.2f (%.1f SLO-violation minutes)",
				s.Service, r.Scenario, m.SLOBudgetBurn, shortDuration(time.Duration(m.SLOWindowSeconds*float64(time.Second))), m.WorstWindowBurn, m.SLOViolationMinutes))
		}
	}
	return bad
}

// budgetCheck fails the command when a service run spent more than its
// error budget.
func budgetCheck(bad []string) error {
	if len(bad) > 0 {
		return &checkFailedError{msg: fmt.Sprintf("%d service run(s) spent more than their error budget\n  %s", len(bad), strings.Join(capLines(bad, 10), "\n  "))}
	}
	return nil
}

func printSimulation(w io.Writer, p *scenarios.Plan, results []*sim.Result) {
	for i, r := range results {
		if i > 0 {
			fmt.Fprintln(w)
		}
		mode := ""
		if r.Mode == sim.ModeDES {
			mode = ", discrete-event"
		}
		fmt.Fprintf(w, "SCENARIO %s (%s, seed %d%s)\n", r.Scenario, r.Duration, r.Seed, mode)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "SERVICE\tBURN\tWORST WIN\tBAD\tSLO-MIN\tWORST P95\tERRORS\tLONGEST\tREPLICAS\tEVENTS\tFLAPS\tAT MAX\tPOD-H\tCOST")
		for _, s := range r.Services {
			m := s.Summary
			worst := "—"
			if m.Served > 0 {
				worst = formatSeconds(m.WorstP95)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%.2f%%\t%s\t%d–%d\t%d\t%d\t%.0fm\t%.1f\t%s\n",
				s.Service, burnWithInterval(m.SLOBudgetBurn, m.SLOBudgetBurnRange), burnWithInterval(m.WorstWindowBurn, m.WorstWindowBurnRange), formatPercent(m.BadFraction),
				withInterval("%.1f", m.SLOViolationMinutes, m.SLOViolationMinutesRange), worst, m.ErrorPercent,
				shortDuration(m.LongestViolation.D()), m.MinReplicas, m.MaxReplicas, m.ScaleEvents, m.Flaps,
				m.PinnedAtMaxMinutes, m.PodHours, formatMoney(m.Cost))
		}
		tw.Flush()
		c := r.Cluster
		fmt.Fprintf(w, "Nodes: peak %d × %s, %d added, %d removed, %.1f node-hours, %s; pods waited for nodes %s\n",
			c.PeakNodes, c.NodeType, c.Added, c.Removed, c.NodeHours, formatMoney(c.Cost), shortDuration(c.Unplaced.D()))
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "BURN: bad requests (failed, or slower than the latency target) over the SLO's error budget, over")
	fmt.Fprintln(w, "the scenario (≤ 1 holds the SLO); WORST WIN: the highest burn over any slo.window (default 1h); BAD:")
	fmt.Fprintln(w, "bad requests of all. SLO-MIN: minutes with the latency quantile above target or errors above budget;")
	fmt.Fprintln(w, "LONGEST: the longest continuous violation; EVENTS, FLAPS: scale events, and those reversing the previous")
	fmt.Fprintln(w, "one within --flap-window; AT MAX: time at the HPA's maxReplicas; COST: the pods' share of nodes.")
	if len(results) > 0 && len(results[0].Services) > 0 && results[0].Services[0].Summary.SLOViolationMinutesRange != nil {
		fmt.Fprintln(w, "In parentheses: p10–p90 over the plan's uncertainty ensemble; the number before them is the run as written.")
	}
}

// withInterval formats v, followed by its ensemble's p10–p90 when there is
// one: "765.0 (540.0–810.0)".
func withInterval(format string, v float64, r *model.Interval) string {
	s := tiny(format, v)
	if r != nil {
		s += " (" + tiny(format, r.P10) + "–" + tiny(format, r.P90) + ")"
	}
	return s
}

// tiny formats v, or "<1e-6" for a positive value below a millionth: the
// fluid model's far tails (an error share of 3e-39 %) are zero to a reader.
func tiny(format string, v float64) string {
	if v > 0 && v < 1e-6 {
		return "<1e-6"
	}
	return fmt.Sprintf(format, v)
}

// burnWithInterval formats a burn, followed by its ensemble's p10–p90 when
// there is one: "1.17 (0.80–2.10)".
func burnWithInterval(v float64, r *model.Interval) string {
	s := formatBurn(v)
	if r != nil {
		s += " (" + formatBurn(r.P10) + "–" + formatBurn(r.P90) + ")"
	}
	return s
}

// shortDuration prints whole seconds without zero units: 8m40s, 2h, 1h0m5s.
func shortDuration(d time.Duration) string {
	d = d.Round(time.Second)
	if d == 0 {
		return "0"
	}
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

func writeSeriesCSV(w io.Writer, results []*sim.Result) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"scenario", "service", "t_seconds", "lambda", "desired", "ready", "pending",
		"cpu_utilization", "memory_utilization", "p50", "p95", "p99", "queue", "errors", "error_rate", "slo_violated"})
	f := func(x float64) string { return strconv.FormatFloat(x, 'g', 6, 64) }
	for _, r := range results {
		for _, s := range r.Services {
			for _, x := range s.Series {
				cw.Write([]string{r.Scenario, s.Service, f(x.T.Seconds()), f(x.Lambda), strconv.Itoa(int(x.Desired)),
					strconv.Itoa(x.Ready), strconv.Itoa(x.Pending), f(x.CPUUtilisation), f(x.MemoryUtilisation),
					f(x.P50), f(x.P95), f(x.P99), f(x.Queue), f(x.Errors), f(x.ErrorRate), strconv.FormatBool(x.SLOViolated)})
			}
		}
	}
	cw.Flush()
	return cw.Error()
}
