package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/headroom-dev/headroom/cluster"
	"github.com/headroom-dev/headroom/loadtest"
	"github.com/headroom-dev/headroom/loadtest/builtin"
	"github.com/headroom-dev/headroom/loadtest/k6"
	"github.com/headroom-dev/headroom/loadtest/verify"
	"github.com/headroom-dev/headroom/prom"
	"github.com/headroom-dev/headroom/scenarios"
)

func init() { registerCommand("load", newLoadtestCmd) }

func newLoadtestCmd(streams ioStreams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "loadtest",
		Short: "Drive a plan's traffic scenario against a real service and compare with the simulation",
		Long: `Load tests that play a plan scenario's λ(t) against a real endpoint, open model
(arrivals never wait for responses), and hold what was measured against what the simulator
predicts for the same scenario.

  run       play a scenario (or a constant rate) with the built-in engine or k6
  compare   compare a saved result with the simulation`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(newLoadtestRunCmd(streams), newLoadtestCompareCmd(streams))
	addK6Commands(cmd, streams)
	return cmd
}

// loadtestRunOptions are the flags and state of `headroom loadtest run`.
type loadtestRunOptions struct {
	Filename    string
	Service     string
	Scenario    string
	Speedup     float64
	Step        time.Duration
	Rate        float64
	Duration    time.Duration
	Target      string
	Method      string
	Timeout     time.Duration
	Engine      string
	Arrivals    string
	MaxRate     float64
	MaxDuration time.Duration
	MaxWorkers  int
	Sender      string
	Seed        int64
	Targets     string
	TargetsFmt  string
	Insecure    bool
	CAFile      string
	Out         string
	Compare     bool
	Buckets     int
	Output      string
	ColdStart   bool
	bands       bandFlags

	K6Binary string
	VUs      int
	MaxVUs   int
	Watch    bool
	Kube     cluster.Flags
	PromURL  string

	plan    *scenarios.Plan
	spec    loadtest.RunSpec
	engine  loadtest.Engine
	k6      *k6.Options
	watcher *loadtest.Watcher
	streams ioStreams
}

func newLoadtestRunCmd(streams ioStreams) *cobra.Command {
	o := &loadtestRunOptions{
		Speedup: 1, Step: time.Second, Method: "GET", Timeout: 30 * time.Second, Engine: "auto",
		Arrivals: loadtest.ArrivalsPoisson, MaxRate: 1000, MaxDuration: 30 * time.Minute,
		MaxWorkers: builtin.DefaultMaxWorkers, Sender: builtin.SenderAuto, Out: "loadtest-result.json", Buckets: 10, Output: "table",
		streams: streams,
	}
	cmd := &cobra.Command{
		Use:   "run --target URL (-f PLAN --service S --scenario SC [--speedup K] | --rate R --duration D) [--compare]",
		Short: "Play a scenario's offered load against a URL; write the measured result",
		Long: `Play the offered load of a plan scenario for one service — compressed by --speedup, every
rate kept — or a constant --rate for --duration, against --target, and write the result file
(per-second windows with HDR latency histograms; see loadtest.Result) atomically to --out.

Engines:
  builtin  headroom's own open-model generator: arrivals follow λ(t) exactly (Poisson by
           default, or evenly spaced with --arrivals constant), latency is measured from each
           request's intended send time, so a generator that falls behind shows up as latency
           and as send lag; at most --max-workers requests are in flight and an arrival due when
           all are busy is dropped and counted, never delayed. A run whose send-lag p99 exceeds
           5 ms, or that dropped over 1 % of its arrivals, is marked invalid.
  k6       a generated k6 script run as a subprocess (arrival-rate executors, evenly spaced).
  auto     k6 when it is on PATH, else builtin.

Safety: the target is printed before the start; a schedule above --max-rate or longer than
--max-duration is refused, never clipped. The caps can be raised to 1e6 req/s and 24h, no
further (--max-workers to 100000, --timeout to 1h). --out-file is checked for writability before
the first request. Ctrl-C stops the run and still writes the
measured part, marked interrupted.

--compare simulates the same scenario with the plan and prints measured against predicted
throughput, p95, error rate and replicas per bucket of scenario time, with MAPE, the worst
deviation and a verdict.

Exits 3 when the run is invalid, a plan SLO threshold fails, or --compare disagrees.`,
		Example: `  # Play noa-mcp's daily scenario 60x compressed (24 minutes) against a staging URL
  headroom loadtest run -f scenarios/examples/noa.yaml --service noa-mcp --scenario daily \
    --speedup 60 --target http://noa-mcp.staging:8080/api --out-file daily.json --compare

  # A constant 200 req/s for 30 s with Poisson arrivals
  headroom loadtest run --target http://127.0.0.1:8080/ --rate 200 --duration 30s`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return run(o, cmd) },
	}
	f := cmd.Flags()
	f.StringVarP(&o.Filename, "filename", "f", "", "the plan file (YAML)")
	f.StringVar(&o.Service, "service", "", "the plan's service whose traffic to play")
	f.StringVar(&o.Scenario, "scenario", "", "the plan's scenario to play")
	f.Float64Var(&o.Speedup, "speedup", o.Speedup, "play the scenario this many times faster than real time (≥ 1)")
	f.DurationVar(&o.Step, "step", o.Step, "wall-clock resolution of the sampled λ(t) (≥ 1s)")
	f.Float64Var(&o.Rate, "rate", 0, "a constant rate in requests per second, instead of a plan scenario")
	f.DurationVar(&o.Duration, "duration", 0, "how long to play --rate")
	f.StringVar(&o.Target, "target", "", "the URL every request goes to (required; a URL with user:password@ is refused: headroom prints and stores the target and sends no credentials)")
	f.StringVar(&o.Method, "method", o.Method, "HTTP method")
	f.DurationVar(&o.Timeout, "timeout", o.Timeout, "per-request timeout; a timed-out request counts as an error")
	f.StringVar(&o.Engine, "engine", o.Engine, "builtin, k6 or auto")
	f.StringVar(&o.Arrivals, "arrivals", o.Arrivals, "arrival process of the built-in engine: poisson or constant")
	f.Float64Var(&o.MaxRate, "max-rate", o.MaxRate, "refuse a schedule whose peak exceeds this rate (req/s)")
	f.DurationVar(&o.MaxDuration, "max-duration", o.MaxDuration, "refuse a schedule longer than this")
	f.IntVar(&o.MaxWorkers, "max-workers", o.MaxWorkers, "requests in flight at most (built-in engine)")
	f.StringVar(&o.Sender, "sender", o.Sender, "HTTP sender of the built-in engine: auto (loop for http:// on Linux, else raw), loop (one epoll event loop, least CPU per request), raw (a goroutine per request) or nethttp (net/http's client)")
	f.Int64Var(&o.Seed, "seed", 0, "seed of the Poisson arrivals and of the mix's picks (default: the plan's seed, else 1)")
	f.StringVar(&o.Targets, "targets", "", "a vegeta targets file (http or json format): each arrival sends one of its requests, picked with equal weights; every URL must be on --target's host (built-in engine)")
	f.StringVar(&o.TargetsFmt, "targets-format", "", "format of --targets: http or json (default: json when the first target starts with '{', else http)")
	f.BoolVar(&o.Insecure, "insecure-skip-verify", false, "https targets: do not check the server's certificate (built-in engine)")
	f.StringVar(&o.CAFile, "ca-file", "", "https targets: trust only the CA certificates of this PEM file (built-in engine)")
	f.BoolVar(&o.Watch, "watch", false, "every 15 s, record the target's HPA (desired, current, metrics) and workload (ready replicas) from the cluster (read-only)")
	bindKubeFlags(f, &o.Kube)
	f.StringVar(&o.PromURL, "prometheus-url", "", "with --watch, also record the target pods' CPU from this Prometheus")
	f.StringVar(&o.K6Binary, "k6-binary", "", "the k6 executable (default: k6 on PATH)")
	f.IntVar(&o.VUs, "pre-allocated-vus", 0, "k6 preAllocatedVUs (default: Little's law on the predicted p95 at the peak)")
	f.IntVar(&o.MaxVUs, "max-vus", 0, "k6 maxVUs (default: Little's law on the request timeout)")
	f.StringVar(&o.Out, "out-file", o.Out, "where to write the result (JSON)")
	bindMoved(cmd, "out", "--out-file")
	f.BoolVar(&o.Compare, "compare", false, "simulate the same scenario and compare (needs -f, --service, --scenario)")
	f.IntVar(&o.Buckets, "buckets", o.Buckets, "rows of the --compare table")
	f.BoolVar(&o.ColdStart, "cold-start", false, "with --compare: "+coldStartUsage)
	o.bands.bind(f)
	o.bands.ErrorToTell = 0.10
	o.bands.bindAdvice(f)
	bindFormat(cmd, &o.Output, []string{"table", "json"}, "--out-file", "the result")
	return cmd
}

// Validate checks the flags.
func (o *loadtestRunOptions) Validate() error {
	if o.Target == "" {
		return usageErrorf("--target is required: the URL the load goes to")
	}
	u, err := url.Parse(o.Target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usageErrorf("--target must be an http:// or https:// URL with a host, got %q", loadtest.RedactURL(o.Target))
	}
	if err := loadtest.CheckTarget(o.Target); err != nil {
		return usageErrorf("--target: %v", err)
	}
	if o.Watch && (o.Filename == "" || o.Service == "") {
		return usageErrorf("--watch needs -f and --service: the plan says which workload and HPA to watch")
	}
	if o.PromURL != "" && !o.Watch {
		return usageErrorf("--prometheus-url feeds the watcher: add --watch")
	}
	fromPlan := o.Filename != "" || o.Scenario != ""
	constant := o.Rate != 0 || o.Duration != 0
	switch {
	case fromPlan && constant:
		return usageErrorf("--rate/--duration and -f/--scenario are mutually exclusive: play either a constant rate or a plan scenario")
	case fromPlan:
		if o.Filename == "" || o.Service == "" || o.Scenario == "" {
			return usageErrorf("playing a plan scenario needs -f, --service and --scenario")
		}
		if !(o.Speedup >= 1) || o.Speedup > loadtest.LimitSpeedup {
			return usageErrorf("--speedup must be from 1 to %g, got %v", float64(loadtest.LimitSpeedup), o.Speedup)
		}
		if o.Step > loadtest.LimitDuration {
			return usageErrorf("--step must be at most %s, got %s", loadtest.LimitDuration, o.Step)
		}
	case constant:
		if !(o.Rate > 0) || o.Rate > loadtest.LimitRate {
			return usageErrorf("--rate must be a positive number of requests per second up to %g, got %v", float64(loadtest.LimitRate), o.Rate)
		}
		if o.Duration < time.Second || o.Duration > loadtest.LimitDuration {
			return usageErrorf("--duration must be from 1s to %s, got %s", loadtest.LimitDuration, o.Duration)
		}
	default:
		return usageErrorf("say what to play: -f PLAN --service S --scenario SC, or --rate R --duration D")
	}
	if o.Compare && !fromPlan {
		return usageErrorf("--compare needs a plan scenario (-f, --service, --scenario) to simulate")
	}
	// Finite upper bounds: +Inf, NaN or a huge value would switch the
	// safety caps off or exhaust memory (loadtest.Limit*).
	if !(o.MaxRate > 0) || o.MaxRate > loadtest.LimitRate {
		return usageErrorf("--max-rate must be above 0 and at most %g req/s, got %v", float64(loadtest.LimitRate), o.MaxRate)
	}
	if o.MaxDuration <= 0 || o.MaxDuration > loadtest.LimitDuration {
		return usageErrorf("--max-duration must be above 0 and at most %s, got %s", loadtest.LimitDuration, o.MaxDuration)
	}
	if o.MaxWorkers < 1 || o.MaxWorkers > builtin.LimitMaxWorkers {
		return usageErrorf("--max-workers must be from 1 to %d, got %d", builtin.LimitMaxWorkers, o.MaxWorkers)
	}
	if o.Timeout <= 0 || o.Timeout > loadtest.LimitTimeout {
		return usageErrorf("--timeout must be above 0 and at most %s, got %s", loadtest.LimitTimeout, o.Timeout)
	}
	if o.VUs < 0 || o.VUs > k6.LimitVUs || o.MaxVUs < 0 || o.MaxVUs > k6.LimitVUs {
		return usageErrorf("--pre-allocated-vus and --max-vus must be from 0 to %d, got %d and %d", k6.LimitVUs, o.VUs, o.MaxVUs)
	}
	if !slices.Contains(builtin.Senders, o.Sender) {
		return usageErrorf("--sender must be one of %s, got %q", strings.Join(builtin.Senders, ", "), o.Sender)
	}
	if o.Arrivals != loadtest.ArrivalsPoisson && o.Arrivals != loadtest.ArrivalsConstant {
		return usageErrorf("--arrivals must be poisson or constant, got %q", o.Arrivals)
	}
	switch o.Engine {
	case "auto", "builtin", "k6":
	default:
		return usageErrorf("--engine must be builtin, k6 or auto, got %q", o.Engine)
	}
	if o.Out == "" {
		return usageErrorf("--out-file must name a file")
	}
	if o.Buckets < 1 || o.Buckets > maxBuckets {
		return usageErrorf("--buckets must be from 1 to %d, got %d", maxBuckets, o.Buckets)
	}
	if err := o.bands.validate(); err != nil {
		return err
	}
	if o.Output != "table" && o.Output != "json" {
		return usageErrorf("--output must be table or json, got %q", o.Output)
	}
	if o.Engine == "k6" && (o.Targets != "" || o.Insecure || o.CAFile != "") {
		return usageErrorf("--targets, --insecure-skip-verify and --ca-file are options of the built-in engine: add --engine builtin")
	}
	if o.Insecure && o.CAFile != "" {
		return usageErrorf("--insecure-skip-verify checks no certificate, so --ca-file would not be used: give one of them")
	}
	if o.TargetsFmt != "" && o.Targets == "" {
		return usageErrorf("--targets-format says how to read --targets: add --targets FILE")
	}
	return nil
}

// Complete checks that --out-file can be written, reads the plan, builds the
// schedule, checks the caps and picks the engine: all before any request.
func (o *loadtestRunOptions) Complete() error {
	if err := checkWritable("--out-file", o.Out); err != nil {
		return err
	}
	spec := loadtest.RunSpec{
		Target: o.Target, Method: o.Method, Timeout: o.Timeout, Arrivals: o.Arrivals,
		MaxRate: o.MaxRate, MaxDuration: o.MaxDuration, Progress: o.streams.ErrOut,
	}
	seed := o.Seed
	if o.Filename != "" {
		p, err := scenarios.LoadFile(o.Filename, o.streams.In)
		if err != nil {
			return err
		}
		o.plan = p
		applyColdStart(p, o.ColdStart)
		s, err := loadtest.ScheduleFor(p, o.Service, o.Scenario, o.Speedup, o.Step)
		if err != nil {
			return usageErrorf("%v", err)
		}
		spec.Schedule, spec.Service, spec.Scenario = s, o.Service, o.Scenario
		svc := p.Service(o.Service)
		if svc.SLO.Latency != nil && svc.SLO.Latency.Quantile == 0.95 {
			spec.P95Target = svc.SLO.Latency.Target.Seconds()
		}
		if svc.SLO.ErrorRate != nil {
			spec.ErrorRateTarget = float64(*svc.SLO.ErrorRate)
		}
		// A service with endpoints sends its request mix, --target being
		// the base URL the endpoints' paths are appended to; secret
		// headers are read now, from the environment or files.
		if spec.Endpoints, err = loadtest.PlanEndpoints(svc, o.Target, loadtest.PlanDir(p), os.LookupEnv); err != nil {
			return err
		}
		if seed == 0 {
			seed = p.Seed
		}
	} else {
		spec.Schedule = loadtest.Schedule{StartRate: o.Rate, Speedup: 1, Stages: []loadtest.Stage{{Duration: o.Duration, Target: o.Rate}}}
	}
	if seed == 0 {
		seed = 1
	}
	if err := spec.CheckCaps(); err != nil {
		return usageErrorf("%v", err)
	}
	if o.Targets != "" {
		eps, err := loadtest.ReadTargetsFile(o.Targets, o.TargetsFmt, o.Target)
		if err != nil {
			return usageErrorf("%v", err)
		}
		spec.Endpoints = eps
	}
	o.spec = spec
	name := o.Engine
	if name == "auto" {
		name = "builtin"
		if _, err := exec.LookPath("k6"); (err == nil || o.K6Binary != "") && o.Targets == "" && !o.Insecure && o.CAFile == "" {
			name = "k6"
		}
	}
	if o.Watch {
		clients, err := cluster.NewClients(o.Kube)
		if err != nil {
			return err
		}
		svc := o.plan.Service(o.Service)
		scale := cluster.NewWorkloadScale(clients.Kube, svc)
		if o.Kube.Namespace != "" {
			scale.Namespace = o.Kube.Namespace
		}
		w := &loadtest.Watcher{Scale: workloadScale{scale}}
		if o.PromURL != "" {
			pc, err := prom.NewClient(o.PromURL, nil)
			if err != nil {
				return err
			}
			w.CPU = pc.WorkloadCPU(scale.Namespace, scale.Name, svc.Container)
		}
		o.watcher = w
	}
	switch name {
	case "k6":
		k := k6.Options{Binary: o.K6Binary, Stderr: o.streams.ErrOut, PreAllocatedVUs: o.VUs, MaxVUs: o.MaxVUs}
		if o.plan != nil {
			lat, basis, err := k6.PredictedLatency(o.plan.Service(o.Service), spec.Schedule.Peak())
			if err != nil {
				return err
			}
			k.Latency, k.LatencyBasis = lat, basis
		}
		o.k6 = &k
	default:
		bo := builtin.Options{
			MaxWorkers: o.MaxWorkers, Seed: seed, Sender: o.Sender,
			Version:            "headroom " + currentVersion().Version + " (pacing: vegeta/v12 Pacer)",
			InsecureSkipVerify: o.Insecure, Notes: o.streams.ErrOut,
		}
		if o.CAFile != "" {
			pool, err := builtin.LoadCAFile(o.CAFile)
			if err != nil {
				return usageErrorf("%v", err)
			}
			bo.RootCAs = pool
		}
		o.engine = builtin.New(bo)
	}
	return nil
}

// Run prints the target, runs, writes the result, and compares.
func (o *loadtestRunOptions) Run(cmd *cobra.Command) error {
	if o.k6 != nil {
		// The first Ctrl-C stops k6 gracefully (it still writes its
		// summary); a second one kills it.
		force, stop := k6ForceStop(cmd.Context())
		defer stop()
		k := *o.k6
		k.ForceStop = force
		o.engine = k6.NewEngine(k)
	}
	s := o.spec.Schedule
	fmt.Fprintf(o.streams.ErrOut, "target %s %s\nengine %s, %s arrivals, peak %s, %s (caps: %s, %s); writing %s\n",
		o.spec.Method, o.spec.Target, o.engine.Name(), o.spec.Arrivals, formatRate(s.Peak()), s.Duration(),
		formatRate(o.MaxRate), o.MaxDuration, o.Out)
	printMix(o.streams.ErrOut, o.spec.Endpoints)
	if o.plan != nil {
		if w := o.plan.Service(o.Service).ServiceTimeWarning(); w != "" {
			fmt.Fprintln(o.streams.ErrOut, "warning:", w)
		}
	}
	if o.Compare && o.plan != nil && o.bands.Replications > 0 {
		// Before the run: how long it must be for the comparison to tell
		// an error of --error-to-tell from sampling noise.
		rl, err := verify.AdviseRunLength(cmd.Context(), o.plan, o.Service, o.Scenario, o.bands.ErrorToTell,
			o.bands.options(verify.CompareOptions{Seed: o.Seed, Buckets: o.Buckets, Arrivals: desArrivals(o.Arrivals)}))
		if err != nil {
			fmt.Fprintln(o.streams.ErrOut, "run-length advice unavailable:", err)
		} else {
			fmt.Fprintln(o.streams.ErrOut, rl)
		}
	}
	res, err := loadtest.RunWatched(cmd.Context(), o.engine, o.spec, o.watcher)
	if res != nil {
		// Whatever was measured is written, even when the run failed.
		if werr := loadtest.WriteResultFile(o.Out, res); werr != nil {
			return werr
		}
	}
	if err != nil {
		if res != nil {
			return fmt.Errorf("%w (the measured part is in %s)", err, o.Out)
		}
		return err
	}
	var cmp *verify.Comparison
	if o.Compare {
		fmt.Fprintln(o.streams.ErrOut, "simulating the same scenario for comparison…")
		cmp, err = verify.Compare(cmd.Context(), o.plan, res, o.bands.options(verify.CompareOptions{Seed: o.Seed, Buckets: o.Buckets, Arrivals: desArrivals(o.Arrivals)}))
		if err != nil {
			return err
		}
	}
	if o.Output == "json" {
		if err := printJSON(o.streams.Out, struct {
			Result     *loadtest.Result   `json:"result"`
			Comparison *verify.Comparison `json:"comparison,omitempty"`
		}{res, cmp}); err != nil {
			return err
		}
	} else {
		printRunSummary(o.streams.Out, res, o.Out)
		if cmp != nil {
			fmt.Fprintln(o.streams.Out)
			printComparisonTable(o.streams.Out, cmp)
		}
	}
	if res.Interrupted {
		return fmt.Errorf("interrupted: the partial result (%d of %s) is in %s", len(res.Windows), res.Planned.Duration, o.Out)
	}
	return runVerdict(res, cmp)
}

// runVerdict turns an invalid run, a failed threshold or a disagreeing
// comparison into exit 3.
func runVerdict(res *loadtest.Result, cmp *verify.Comparison) error {
	var fails []string
	if !res.Valid {
		fails = append(fails, "invalid run: "+res.InvalidReason)
	}
	for _, t := range res.Thresholds {
		if !t.Passed {
			fails = append(fails, fmt.Sprintf("threshold %s %s failed", t.Metric, t.Expression))
		}
	}
	if cmp != nil && !cmp.Agree {
		fails = append(fails, "measurement and simulation disagree: "+strings.Join(cmp.Reasons, "; "))
	}
	if len(fails) > 0 {
		return &checkFailedError{msg: strings.Join(fails, "\n  ")}
	}
	return nil
}

func printRunSummary(w io.Writer, r *loadtest.Result, path string) {
	t := r.Totals
	state := "complete"
	if r.Interrupted {
		state = "INTERRUPTED"
	}
	fmt.Fprintf(w, "%s run against %s: %s, %d windows of %s (planned %s); result in %s\n",
		r.Engine, r.Target, state, len(r.Windows), r.Window.Duration, r.Planned.Duration, path)
	fmt.Fprintf(w, "offered %s, sent %d, completed %d (%s), errors %d, dropped %d\n",
		formatRate(t.TargetRate), t.Sent, t.Completed, formatRate(t.Rate), t.Errors, t.Dropped)
	if len(t.ErrorClasses) > 0 {
		fmt.Fprintln(w, "errors by cause:", formatErrorClasses(t.ErrorClasses))
	}
	fmt.Fprintf(w, "latency from intended send time: mean %s  p50 %s  p95 %s  p99 %s  max %s\n",
		formatMillis(t.Mean), formatMillis(t.P50), formatMillis(t.P95), formatMillis(t.P99), formatMillis(t.Latency.Max()))
	if r.SendLag != nil {
		fmt.Fprintf(w, "send lag (generator lateness): p50 %s  p99 %s  max %s\n",
			formatMillis(r.SendLag.Quantile(0.5)), formatMillis(r.SendLag.Quantile(0.99)), formatMillis(r.SendLag.Max()))
	}
	if len(r.Endpoints) > 0 {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "ENDPOINT\tSENT\tCOMPLETED\tMEAN\tP95\tP99\tERRORS")
		for _, e := range r.Endpoints {
			et := e.Totals
			errs := strconv.FormatInt(et.Errors, 10)
			if len(et.ErrorClasses) > 0 {
				errs += " (" + formatErrorClasses(et.ErrorClasses) + ")"
			}
			fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%s\t%s\n", e.Name, et.Sent, et.Completed,
				formatMillis(et.Mean), formatMillis(et.P95), formatMillis(et.P99), errs)
		}
		tw.Flush()
	}
	for _, th := range r.Thresholds {
		v := "pass"
		if !th.Passed {
			v = "FAIL"
		}
		fmt.Fprintf(w, "threshold %s %s: %s\n", th.Metric, th.Expression, v)
	}
	if r.Valid {
		fmt.Fprintln(w, "valid: yes")
	} else {
		fmt.Fprintln(w, "valid: NO —", r.InvalidReason)
	}
}

// formatErrorClasses lists error classes by count, largest first.
func formatErrorClasses(m map[string]int64) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		if m[a] != m[b] {
			return cmp.Compare(m[b], m[a])
		}
		return strings.Compare(a, b)
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}

// printMix lists the run's request mix before it starts, secrets
// redacted.
func printMix(w io.Writer, eps []loadtest.Endpoint) {
	if len(eps) == 0 {
		return
	}
	fmt.Fprintf(w, "request mix of %d endpoints (--method unused):\n%s", len(eps), loadtest.DescribeMix(eps))
}

func printComparisonTable(w io.Writer, c *verify.Comparison) {
	fmt.Fprintf(w, "MEASURED vs PREDICTED: %s, scenario %s (speedup %g, buckets of %s scenario time; %s)\n",
		c.Service, c.Scenario, c.Speedup, time.Duration(c.BucketSeconds*float64(time.Second)), c.Predicted)
	if c.Replications > 0 {
		fmt.Fprintf(w, "each cell: measured / predicted median [band a correct model's bucket falls in with probability %.0f %%]; ✗ outside\n", c.BandCoverage*100)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SCENARIO TIME\tREQUESTS\tTHROUGHPUT\tMEAN\tP95\tERRORS\tREPLICAS")
	for _, r := range c.Rows {
		rep := "—"
		if r.MeasuredReplicas != nil {
			rep = fmt.Sprintf("%.1f", *r.MeasuredReplicas)
		}
		fmt.Fprintf(tw, "%s–%s\t%d\t%s\t%s\t%s\t%s\t%s\n",
			time.Duration(r.FromSeconds*1e9), time.Duration(r.ToSeconds*1e9), r.Requests,
			bandCell(formatRate(r.MeasuredRate), formatRate(r.PredictedRate), r.RateBand, formatRate),
			bandCell(formatSeconds(r.MeasuredMean), "", r.MeanBand, formatSeconds),
			bandCell(formatSeconds(r.MeasuredP95), formatSeconds(r.PredictedP95), r.P95Band, formatSeconds),
			bandCell(formatPercent(r.MeasuredErrorRate), formatPercent(r.PredictedErrorRate), r.ErrorRateBand, formatPercent),
			bandCell(rep, fmt.Sprintf("%.1f", r.PredictedReplicas), r.ReplicasBand, func(x float64) string { return fmt.Sprintf("%.1f", x) }))
	}
	tw.Flush()
	rep := "not watched"
	if c.ReplicasMAPE != nil {
		rep = fmt.Sprintf("%.1f %%", *c.ReplicasMAPE*100)
	}
	fmt.Fprintf(w, "MAPE: throughput %.1f %%, p95 %.1f %%, replicas %s; error rate max difference %.2f points (descriptive)\n",
		c.ThroughputMAPE*100, c.P95MAPE*100, rep, c.ErrorRateMaxDiff*100)
	if c.Worst.Metric != "" {
		fmt.Fprintf(w, "worst deviation: %s in bucket %d, %.1f %%\n", c.Worst.Metric, c.Worst.Bucket+1, c.Worst.Relative*100)
	}
	printEndpointComparison(w, c)
	if c.Replications > 0 {
		for _, t := range c.Tests {
			mark := "ok"
			if !t.Pass {
				mark = "✗"
			}
			fmt.Fprintf(w, "band test %-10s %d of %d buckets outside (chance: %.1f, p = %.2g); whole run %s vs %s [%s–%s] (p = %.2g); held to %.2g  %s\n",
				t.Metric, t.Outside, t.Buckets, t.Expected*float64(t.Buckets), t.PValue,
				statCell(t.Metric, t.WholeMeasured), statCell(t.Metric, t.Whole.Median), statCell(t.Metric, t.Whole.Low), statCell(t.Metric, t.Whole.High), t.WholePValue, t.Threshold, mark)
		}
		fmt.Fprintf(w, "verdict: %s (agree when no metric's bucket count or whole run is too unlikely under a correct model: Holm's procedure at level %.2g over the tests)\n",
			strings.ToUpper(c.Verdict), c.Level)
	} else {
		fmt.Fprintf(w, "verdict: %s (agree when throughput MAPE ≤ %.0f %%, p95 MAPE ≤ %.0f %%, replicas MAPE ≤ %.0f %%, error rate within %.0f point in every bucket)\n",
			strings.ToUpper(c.Verdict), verify.AgreeThroughputMAPE*100, verify.AgreeP95MAPE*100, verify.AgreeReplicasMAPE*100, verify.AgreeErrorRatePoints*100)
	}
	for _, r := range c.Reasons {
		fmt.Fprintln(w, "  ✗", r)
	}
	for _, cv := range c.Caveats {
		fmt.Fprintln(w, "  note:", cv)
	}
}

// bandCell is "measured / predicted [low–high]", the predicted median when
// there is a band, with ✗ when the measurement is outside it.
func bandCell(meas, pred string, b *verify.Band, f func(float64) string) string {
	if b == nil {
		if pred == "" {
			return meas
		}
		return meas + " / " + pred
	}
	out := fmt.Sprintf("%s / %s [%s–%s]", meas, f(b.Median), f(b.Low), f(b.High))
	if b.Outside {
		out += " ✗"
	}
	return out
}

func statCell(metric string, x float64) string {
	switch metric {
	case verify.MetricThroughput:
		return formatRate(x)
	case verify.MetricMean, verify.MetricP95:
		return formatSeconds(x)
	case verify.MetricErrorRate:
		return formatPercent(x)
	}
	return fmt.Sprintf("%.1f", x)
}

// loadtestCompareOptions are the flags and state of `headroom loadtest compare`.
type loadtestCompareOptions struct {
	Filename  string
	Result    string
	Service   string
	Scenario  string
	Seed      int64
	Buckets   int
	Output    string
	MaxBytes  int64
	ColdStart bool
	bands     bandFlags

	plan    *scenarios.Plan
	res     *loadtest.Result
	streams ioStreams
}

func newLoadtestCompareCmd(streams ioStreams) *cobra.Command {
	o := &loadtestCompareOptions{Buckets: 10, Output: "table", MaxBytes: loadtest.MaxResultFileBytes, streams: streams}
	cmd := &cobra.Command{
		Use:   "compare -f PLAN --result RUN.json [--service S --scenario SC]",
		Short: "Hold a saved load-test result against the simulation of its scenario",
		Long: `Simulate the scenario a saved result played and print measured against predicted
throughput, p95, error rate and replicas per bucket of scenario time, with MAPE, the worst
deviation and a verdict. Exits 3 when they disagree.`,
		Example: `  headroom loadtest compare -f plan.yaml --result daily.json`,
		Args:    cobra.NoArgs,
		RunE:    func(cmd *cobra.Command, args []string) error { return run(o, cmd) },
	}
	f := cmd.Flags()
	f.StringVarP(&o.Filename, "filename", "f", "", "the plan file (YAML)")
	f.StringVar(&o.Result, "result", "", "the result file written by headroom loadtest run")
	f.StringVar(&o.Service, "service", "", "the service (default: the one the result names)")
	f.StringVar(&o.Scenario, "scenario", "", "the scenario (default: the one the result names)")
	f.Int64Var(&o.Seed, "seed", 0, "simulation seed (default: the plan's)")
	f.IntVar(&o.Buckets, "buckets", o.Buckets, "rows of the table")
	o.bands.bind(f)
	bindFormat(cmd, &o.Output, []string{"table", "json"}, "", "")
	bindMaxResultBytes(f, &o.MaxBytes)
	f.BoolVar(&o.ColdStart, "cold-start", false, coldStartUsage)
	return cmd
}

// Validate checks the flags.
func (o *loadtestCompareOptions) Validate() error {
	if o.Filename == "" || o.Result == "" {
		return usageErrorf("-f/--filename and --result are required")
	}
	if o.Buckets < 1 || o.Buckets > maxBuckets {
		return usageErrorf("--buckets must be from 1 to %d, got %d", maxBuckets, o.Buckets)
	}
	if err := validateMaxResultBytes(o.MaxBytes); err != nil {
		return err
	}
	if err := o.bands.validate(); err != nil {
		return err
	}
	if o.Output != "table" && o.Output != "json" {
		return usageErrorf("--output must be table or json, got %q", o.Output)
	}
	return nil
}

// Complete reads the plan and the result.
func (o *loadtestCompareOptions) Complete() error {
	p, err := scenarios.LoadFile(o.Filename, o.streams.In)
	if err != nil {
		return err
	}
	o.plan = p
	applyColdStart(p, o.ColdStart)
	o.res, err = loadtest.ReadResultFileLimit(o.Result, o.MaxBytes)
	return err
}

// Run compares and prints; Ctrl-C stops the simulation.
func (o *loadtestCompareOptions) Run(cmd *cobra.Command) error {
	ctx := cmd.Context()
	if err := ctx.Err(); err != nil {
		return err
	}
	cmp, err := verify.Compare(ctx, o.plan, o.res, o.bands.options(verify.CompareOptions{Service: o.Service, Scenario: o.Scenario, Seed: o.Seed, Buckets: o.Buckets}))
	if err != nil {
		return err
	}
	if o.Output == "json" {
		if err := printJSON(o.streams.Out, cmp); err != nil {
			return err
		}
	} else {
		printComparisonTable(o.streams.Out, cmp)
	}
	if !cmp.Agree {
		return &checkFailedError{msg: "measurement and simulation disagree: " + strings.Join(cmp.Reasons, "; ")}
	}
	return nil
}

// checkWritable finds out before a long run, not after it, that path
// cannot be written as atomicfile writes it (a temporary file beside it,
// renamed over it): its directory must exist and take a new file, and path
// must not be a directory. Nothing is left behind.
func checkWritable(flag, path string) error {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return fmt.Errorf("%s %s is a directory: name a file", flag, path)
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".headroom-probe-*")
	if err != nil {
		return fmt.Errorf("%s %s cannot be written: %w", flag, path, err)
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}

// maxBuckets bounds --buckets: rows of a table a person reads.
const maxBuckets = 10000

// maxResultBytesLimit bounds --max-result-bytes.
const maxResultBytesLimit = 4 << 30

// bindMaxResultBytes binds --max-result-bytes, the size cap of a result
// file read (loadtest.MaxResultFileBytes by default).
func bindMaxResultBytes(f *pflag.FlagSet, p *int64) {
	f.Int64Var(p, "max-result-bytes", *p, fmt.Sprintf("refuse a result file larger than this many bytes (at most %d)", int64(maxResultBytesLimit)))
}

func validateMaxResultBytes(v int64) error {
	if v < 1 || v > maxResultBytesLimit {
		return usageErrorf("--max-result-bytes must be from 1 to %d, got %d", int64(maxResultBytesLimit), v)
	}
	return nil
}

// formatMillis prints seconds as milliseconds with two decimals: a send
// lag or a loopback latency is often below one.
func formatMillis(s float64) string { return fmt.Sprintf("%.2fms", s*1e3) }

// workloadScale adapts cluster.WorkloadScale to loadtest.ScaleReader: the
// two packages do not import each other, and their ScaleState types have
// the same fields.
type workloadScale struct{ *cluster.WorkloadScale }

func (w workloadScale) ReadScale(ctx context.Context) (loadtest.ScaleState, error) {
	s, err := w.WorkloadScale.ReadScale(ctx)
	return loadtest.ScaleState(s), err
}
