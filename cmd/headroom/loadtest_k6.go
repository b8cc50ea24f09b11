package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/headroom-dev/headroom/cluster"
	"github.com/headroom-dev/headroom/internal/atomicfile"
	"github.com/headroom-dev/headroom/loadtest"
	"github.com/headroom-dev/headroom/loadtest/k6"
	"github.com/headroom-dev/headroom/scenarios"
)

// addK6Commands adds the k6 subcommands (script, operator) to
// `headroom loadtest`.
func addK6Commands(parent *cobra.Command, streams ioStreams) {
	parent.AddCommand(newLoadtestScriptCmd(streams), newLoadtestOperatorCmd(streams))
}

// k6CheckError turns failed thresholds of a k6 or k6-operator result into
// the error that exits 3; nil when every threshold passed.
func k6CheckError(res *loadtest.Result) error {
	var failed *k6.ThresholdsFailedError
	if err := k6.CheckThresholds(res); errors.As(err, &failed) {
		return &checkFailedError{msg: err.Error()}
	}
	return nil
}

// k6ForceStop returns a channel for k6.Options.ForceStop that
// fires on the second interrupt: the first cancels the command's context
// (main's signal.NotifyContext) and makes the k6 engine send k6 one SIGINT;
// the next one kills k6. It listens from the start, so a second Ctrl-C is
// never lost (nor kills headroom); the first signal, delivered to this
// channel before the context is cancelled, is drained when ctx is done.
// Call stop when the run is over.
func k6ForceStop(ctx context.Context) (force <-chan struct{}, stop func()) {
	ch := make(chan struct{})
	sigs := make(chan os.Signal, 1)
	quit := make(chan struct{})
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		defer signal.Stop(sigs)
		select {
		case <-ctx.Done():
		case <-quit:
			return
		}
		select {
		case <-sigs: // the interrupt that cancelled ctx
		default:
		}
		select {
		case <-sigs:
			close(ch)
		case <-quit:
		}
	}()
	var once sync.Once
	return ch, func() { once.Do(func() { close(quit) }) }
}

// k6ScriptFlags are the flags script and operator share.
type k6ScriptFlags struct {
	Filename string
	Service  string
	Scenario string
	Target   string
	Speedup  float64
	Step     time.Duration
	PreVUs   int
	MaxVUs   int

	plan *scenarios.Plan
}

func (f *k6ScriptFlags) bind(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVarP(&f.Filename, "filename", "f", "", "the plan file (YAML); - reads standard input")
	fl.StringVar(&f.Service, "service", "", "the service of the plan to load (required)")
	fl.StringVar(&f.Scenario, "scenario", "", "the traffic scenario to play (required)")
	fl.StringVar(&f.Target, "target", "", "the URL every request goes to (required), e.g. http://noa-mcp.noa-server:8080/health")
	fl.Float64Var(&f.Speedup, "speedup", 1, "play the scenario this many times faster (≥ 1); rates are kept, so the peak is the plan's peak")
	fl.DurationVar(&f.Step, "step", 0, "wall-clock width of a k6 stage (≥ 1s); 0 keeps the script under about 600 stages")
	fl.IntVar(&f.PreVUs, "pre-allocated-vus", 0, "override preAllocatedVUs (default: Little's law on the predicted p95, see the script header)")
	fl.IntVar(&f.MaxVUs, "max-vus", 0, "override maxVUs (default: peak rate × request timeout)")
}

func (f *k6ScriptFlags) validate() error {
	switch {
	case f.Filename == "":
		return usageErrorf("-f/--filename is required: the plan (try scenarios/examples/noa.yaml)")
	case f.Service == "":
		return usageErrorf("--service is required: the plan service to load")
	case f.Scenario == "":
		return usageErrorf("--scenario is required: the traffic scenario to play")
	case f.Target == "":
		return usageErrorf("--target is required: the URL to send requests to")
	case !strings.HasPrefix(f.Target, "http://") && !strings.HasPrefix(f.Target, "https://"):
		return usageErrorf("--target must be an http:// or https:// URL, got %q", loadtest.RedactURL(f.Target))
	case loadtest.CheckTarget(f.Target) != nil:
		// The script and its ConfigMap carry the target in clear.
		return usageErrorf("--target: %v", loadtest.CheckTarget(f.Target))
	case !(f.Speedup >= 1) || f.Speedup > loadtest.LimitSpeedup:
		return usageErrorf("--speedup must be a number from 1 to 1e6, got %v", f.Speedup)
	case f.Step != 0 && (f.Step < time.Second || f.Step > loadtest.LimitDuration):
		return usageErrorf("--step must be from 1s to %s, got %s", loadtest.LimitDuration, f.Step)
	case f.PreVUs < 0 || f.MaxVUs < 0 || f.PreVUs > k6.LimitVUs || f.MaxVUs > k6.LimitVUs:
		return usageErrorf("--pre-allocated-vus and --max-vus must be from 0 to %d, got %d and %d", k6.LimitVUs, f.PreVUs, f.MaxVUs)
	case f.PreVUs > 0 && f.MaxVUs > 0 && f.MaxVUs < f.PreVUs:
		return usageErrorf("--max-vus must be ≥ --pre-allocated-vus, got %d < %d", f.MaxVUs, f.PreVUs)
	}
	return nil
}

func (f *k6ScriptFlags) complete(streams ioStreams) error {
	p, err := scenarios.LoadFile(f.Filename, streams.In)
	if err != nil {
		return err
	}
	if err := checkServices(p, "--service", f.Service); err != nil {
		return err
	}
	if err := checkScenarios(p, "--scenario", f.Scenario); err != nil {
		return err
	}
	f.plan = p
	return nil
}

func (f *k6ScriptFlags) script() (*k6.Script, error) {
	s, err := k6.ScriptFor(f.plan, f.Service, f.Scenario, f.Target, f.Speedup, f.Step)
	if err != nil {
		return nil, err
	}
	if f.PreVUs > 0 {
		s.PreAllocatedVUs = f.PreVUs
		s.MaxVUs = max(s.MaxVUs, f.PreVUs)
		s.VUBasis = fmt.Sprintf("preAllocatedVUs = %d (--pre-allocated-vus); maxVUs = %d.", s.PreAllocatedVUs, s.MaxVUs)
	}
	if f.MaxVUs > 0 {
		if f.MaxVUs < s.PreAllocatedVUs {
			return nil, usageErrorf("--max-vus %d is below preAllocatedVUs %d: raise it or set --pre-allocated-vus", f.MaxVUs, s.PreAllocatedVUs)
		}
		s.MaxVUs = f.MaxVUs
		s.VUBasis += fmt.Sprintf("\nmaxVUs = %d (--max-vus).", f.MaxVUs)
	}
	return s, nil
}

// loadtestScriptOptions are the flags of `headroom loadtest script`.
type loadtestScriptOptions struct {
	k6ScriptFlags
	OutFile string

	streams ioStreams
}

func newLoadtestScriptCmd(streams ioStreams) *cobra.Command {
	o := &loadtestScriptOptions{streams: streams}
	cmd := &cobra.Command{
		Use:   "script -f PLAN --service S --scenario NAME --target URL [--speedup N] [--out-file script.js]",
		Short: "Write the k6 script that plays a scenario's traffic against a service",
		Long: `Write a k6 script for a plan's service and scenario, to run with k6 yourself.

The script uses k6's ramping-arrival-rate executor (an open model: arrivals do not
wait for responses) with stages that follow the scenario's λ(t), played --speedup
times faster with every rate kept, so the peak is the plan's peak. Its VUs come
from Little's law on the model's predicted p95 at the peak (the formula is in the
script's header), its thresholds from the service's SLOs (latency quantile, error
rate) plus dropped_iterations count==0, and its handleSummary writes the summary
JSON to the path given with -e HEADROOM_SUMMARY=path.

Only core k6 modules are imported. Never run it with --vus or --duration: k6 would
replace the scenario with a closed-model one.`,
		Example: `  # A day of noa-mcp traffic in 24 minutes
  headroom loadtest script -f scenarios/examples/noa.yaml --service noa-mcp --scenario daily \
    --target http://noa-mcp.noa-server:8080/health --speedup 60 --out-file noa-mcp-daily.js
  k6 run -e HEADROOM_SUMMARY=summary.json noa-mcp-daily.js`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return run(o, cmd) },
	}
	o.bind(cmd)
	cmd.Flags().StringVar(&o.OutFile, "out-file", "", "write the script to this file (default: standard output)")
	var format string
	bindFormat(cmd, &format, nil, "--out-file", "the script to a file")
	return cmd
}

// Validate checks the flags.
func (o *loadtestScriptOptions) Validate() error { return o.validate() }

// Complete reads the plan.
func (o *loadtestScriptOptions) Complete() error { return o.complete(o.streams) }

// Run writes the script.
func (o *loadtestScriptOptions) Run(*cobra.Command) error {
	s, err := o.script()
	if err != nil {
		return err
	}
	b, err := s.Render()
	if err != nil {
		return err
	}
	if o.OutFile == "" || o.OutFile == "-" {
		_, err = o.streams.Out.Write(b)
		return err
	}
	if err := atomicfile.Write(o.OutFile, b, 0); err != nil {
		return err
	}
	fmt.Fprintf(o.streams.ErrOut, "wrote %s: %s from %s, peak %.4g req/s, %d–%d VUs\n",
		o.OutFile, s.Schedule.Duration(), o.Scenario, s.Schedule.Peak(), s.PreAllocatedVUs, s.MaxVUs)
	return nil
}

// loadtestOperatorOptions are the flags of `headroom loadtest operator`.
type loadtestOperatorOptions struct {
	k6ScriptFlags
	Parallelism  int
	Apply        bool
	Namespace    string
	Name         string
	Image        string
	Separate     bool
	Kubeconfig   string
	Context      string
	StartTimeout time.Duration
	Result       string
	Watch        bool

	streams ioStreams
	// api reaches the cluster, and scale reads the service's workload
	// for --watch; Complete connects them with --apply, tests set them.
	api   k6.API
	scale loadtest.ScaleReader
}

func newLoadtestOperatorCmd(streams ioStreams) *cobra.Command {
	o := &loadtestOperatorOptions{streams: streams, StartTimeout: 10 * time.Minute, Watch: true}
	cmd := &cobra.Command{
		Use:   "operator -f PLAN --service S --scenario NAME --target URL --parallelism N [--apply] [-n NS]",
		Short: "Render (or run, with --apply) a distributed k6-operator TestRun for a scenario",
		Long: `Render the ConfigMap (the generated k6 script) and the k6-operator TestRun
(k6.io/v1alpha1) that play a scenario against a service from N runner pods.

Without --apply the two objects are printed as YAML for kubectl apply -f -.

With --apply headroom creates them, follows the TestRun through its stages
(initialization → initialized → created → started → finished, or error), and
then reads every runner pod's exit code and its summary from the pod log, where
the script prints it (HEADROOM_SUMMARY_STDOUT=1). The runners' latencies are
merged from per-bucket counters the script keeps (k6's summary has only
percentiles, and percentiles of parts do not make the percentile of the whole),
so the merged p95 is within ±4.4 % of the exact one; the SLO thresholds are
judged again on the merged numbers, since each runner judged only its share.
A run that does not finish within the schedule plus --start-timeout is reported
as stuck with what its runner pods are doing (OOM-killed, unschedulable).
Ctrl-C deletes the TestRun: the operator has no graceful stop.

The runner image is pinned (` + k6.RunnerImage + `), never latest.
Exits 3 when a merged threshold failed.`,
		Example: `  # Look at what would be created
  headroom loadtest operator -f scenarios/examples/noa.yaml --service noa-mcp --scenario event-spike \
    --target http://noa-mcp.noa-server:8080/health --speedup 12 --parallelism 4 -n loadtest

  # Create it, follow it, and write the merged result
  headroom loadtest operator -f plan.yaml --service noa-mcp --scenario event-spike \
    --target http://noa-mcp.noa-server:8080/health --speedup 12 --parallelism 4 -n loadtest \
    --apply --result result.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return run(o, cmd) },
	}
	o.bind(cmd)
	f := cmd.Flags()
	f.IntVar(&o.Parallelism, "parallelism", 0, "number of k6 runner pods (required)")
	f.BoolVar(&o.Apply, "apply", false, "create the objects and follow the run (default: print them)")
	f.StringVarP(&o.Namespace, "namespace", "n", "", "namespace of the TestRun (default: the service's namespace)")
	f.StringVar(&o.Name, "name", "", "name of the ConfigMap and TestRun (default headroom-<service>-<scenario>)")
	f.StringVar(&o.Image, "image", k6.RunnerImage, "k6 runner image (the runners run k6, not headroom)")
	f.BoolVar(&o.Separate, "separate", false, "put each runner on its own node")
	f.StringVar(&o.Kubeconfig, "kubeconfig", "", "path to the kubeconfig (default: $KUBECONFIG or ~/.kube/config)")
	f.StringVar(&o.Context, "context", "", "kubeconfig context to use")
	f.DurationVar(&o.StartTimeout, "start-timeout", o.StartTimeout, "time allowed beyond the schedule for the run to finish before it is reported stuck")
	f.StringVar(&o.Result, "result", "", "with --apply, write the merged result JSON here (default: standard output)")
	f.BoolVar(&o.Watch, "watch", o.Watch, "with --apply, sample the service's HPA and workload every 15s during the run")
	return cmd
}

// Validate checks the flags.
func (o *loadtestOperatorOptions) Validate() error {
	if err := o.validate(); err != nil {
		return err
	}
	if o.Parallelism < 1 || o.Parallelism > maxParallelism {
		return usageErrorf("--parallelism is required and must be from 1 to %d, got %d", maxParallelism, o.Parallelism)
	}
	if o.StartTimeout <= 0 || o.StartTimeout > loadtest.LimitDuration {
		return usageErrorf("--start-timeout must be above 0 and at most %s, got %s", loadtest.LimitDuration, o.StartTimeout)
	}
	if o.Result != "" && !o.Apply {
		return usageErrorf("--result needs --apply: without it nothing runs")
	}
	return validImage("--image", o.Image)
}

// maxParallelism bounds --parallelism: runner pods of one TestRun.
const maxParallelism = 1000

// Complete checks that --result can be written, reads the plan and, with
// --apply, builds the cluster clients.
func (o *loadtestOperatorOptions) Complete() error {
	if o.Result != "" {
		if err := checkWritable("--result", o.Result); err != nil {
			return err
		}
	}
	if err := o.complete(o.streams); err != nil {
		return err
	}
	if o.Namespace == "" {
		o.Namespace = o.plan.Service(o.Service).Namespace
	}
	if o.Namespace == "" {
		o.Namespace = "default"
	}
	if !o.Apply || o.api != nil {
		return nil
	}
	clients, err := cluster.NewClients(cluster.Flags{Kubeconfig: o.Kubeconfig, Context: o.Context})
	if err != nil {
		return err
	}
	o.api = clients
	if o.Watch {
		o.scale = workloadScale{cluster.NewWorkloadScale(clients.Kube, o.plan.Service(o.Service))}
	}
	return nil
}

// Run prints the objects or runs them.
func (o *loadtestOperatorOptions) Run(cmd *cobra.Command) error {
	s, err := o.script()
	if err != nil {
		return err
	}
	spec := k6.OperatorSpec{Name: o.Name, Namespace: o.Namespace, Parallelism: o.Parallelism,
		Separate: o.Separate, Image: o.Image, Script: s}
	objs, err := spec.Render()
	if err != nil {
		return err
	}
	if names := k6.SecretEnvNames(s.Endpoints); len(names) > 0 {
		fmt.Fprintf(o.streams.ErrOut, "note: the runners read the mix's secret headers from the Secret %s/%s, keys %s; headroom does not create it (kubectl create secret generic %s -n %s --from-literal=KEY=…)\n",
			o.Namespace, k6.SecretName(objs.TestRun.GetName()), strings.Join(names, ", "), k6.SecretName(objs.TestRun.GetName()), o.Namespace)
	}
	if !o.Apply {
		y, err := objs.YAML()
		if err != nil {
			return err
		}
		_, err = o.streams.Out.Write(y)
		return err
	}

	ctx := cmd.Context()
	runner := &k6.OperatorRunner{API: o.api, StartTimeout: o.StartTimeout, Progress: o.streams.ErrOut}
	var samples []loadtest.WatchSample
	watchDone := make(chan struct{})
	watchCtx, stopWatch := context.WithCancel(ctx)
	start := time.Now()
	if o.Watch && o.scale != nil {
		w := &loadtest.Watcher{Scale: o.scale, Warn: o.streams.ErrOut}
		go func() { defer close(watchDone); samples = w.Run(watchCtx, start) }()
	} else {
		close(watchDone)
	}
	res, err := runner.Run(ctx, spec, objs)
	stopWatch()
	<-watchDone
	if res == nil {
		return err
	}
	res.Watch = samples
	b, jerr := json.MarshalIndent(res, "", "  ")
	if jerr != nil {
		return errors.Join(err, jerr)
	}
	b = append(b, '\n')
	if o.Result == "" {
		_, werr := o.streams.Out.Write(b)
		err = errors.Join(err, werr)
	} else {
		err = errors.Join(err, atomicfile.Write(o.Result, b, 0))
	}
	if err != nil {
		return err
	}
	if res.Interrupted {
		return ctx.Err()
	}
	return k6CheckError(res)
}
