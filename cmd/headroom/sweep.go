package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/headroom-dev/headroom/capacity"
	"github.com/headroom-dev/headroom/cluster"
	"github.com/headroom-dev/headroom/internal/atomicfile"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/headroom-dev/headroom/scenarios"
)

func init() { registerCommand("plan", newSweepCmd) }

// maxGridBytes bounds a grid file.
const maxGridBytes = 1 << 20

// sweepOptions are the flags and state of `headroom sweep`.
type sweepOptions struct {
	Filename    string
	Grid        string
	Shard       string
	Output      string
	Quiet       bool
	MaxWork     float64
	ColdStart   bool
	Uncertainty string

	plan    *scenarios.Plan
	grid    *capacity.SweepGrid
	shard   *capacity.Shard
	streams ioStreams
}

func newSweepCmd(streams ioStreams) *cobra.Command {
	o := &sweepOptions{Output: "-", streams: streams}
	cmd := &cobra.Command{
		Use:   "sweep -f PLAN --grid GRID.yaml [--shard i/N] [--out-file FILE]",
		Short: "Evaluate a grid of HPA and resource settings, on this machine or sharded over a cluster",
		Long: `Evaluate every combination of a grid of HPA settings (CPU target, minReplicas,
maxReplicas, stabilisation windows, scale-up Percent) and container resources (CPU request and
limit, memory request) for one service over the plan's scenarios with the recommender's
evaluation — budget burn, worst-window burn and SLO minutes at the point estimate, the burns with
the inputs moved 3 %, the plan's uncertainty ensemble when it has one, cost weighted by
scenarios[].weight, scale events, and whether the cell holds the SLO and is never worse than
today — so a cell reports exactly what 'headroom tune' reports for the same setting. The JSON
has today's point, every cell, the best cell (chosen as the recommender chooses, never below the
plan's replica floor) and the Pareto front of cost against worst burn. With the plan's
uncertainty: section each cell runs its whole ensemble (--uncertainty off or samples=N for fewer
runs; both are part of the sweep's digest, so shards of different settings never merge; for
'sweep job', put the setting in the plan the ConfigMap carries).

--shard i/N evaluates only the candidates whose grid index is i modulo N and writes a shard
file; 'headroom sweep merge' joins the N shard files, in any order, into exactly the bytes the
unsharded sweep writes. 'headroom sweep job' renders a Kubernetes Indexed Job that runs the
shards on a cluster.

The grid file (kind SweepGrid) is decoded strictly; mistakes are reported with file:line.`,
		Example: `  # The whole grid here
  headroom sweep -f scenarios/examples/noa.yaml --grid grid.yaml --out-file sweep.json

  # The same grid in four shards (on four machines), then merged
  headroom sweep -f plan.yaml --grid grid.yaml --shard 0/4 --out-file shard-0.json
  headroom sweep merge shard-*.json --out-file sweep.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return run(o, cmd) },
	}
	f := cmd.Flags()
	f.StringVarP(&o.Filename, "filename", "f", "", "the plan file (YAML); - reads standard input")
	f.StringVar(&o.Grid, "grid", "", "the grid file (YAML, kind SweepGrid)")
	f.StringVar(&o.Shard, "shard", "", "evaluate only shard i of N (i/N, from 0) and write a shard file")
	f.StringVar(&o.Output, "out-file", o.Output, "the output file (JSON); - is standard output")
	format := "json"
	bindFormat(cmd, &format, []string{"json"}, "--out-file", "the results to a file")
	f.BoolVar(&o.Quiet, "quiet", false, "no progress on standard error")
	bindMaxWork(f, &o.MaxWork)
	f.BoolVar(&o.ColdStart, "cold-start", false, coldStartUsage)
	bindUncertainty(f, &o.Uncertainty)
	cmd.AddCommand(newSweepMergeCmd(streams), newSweepJobCmd(streams))
	return cmd
}

// Validate checks the flags.
func (o *sweepOptions) Validate() error {
	if o.Filename == "" {
		return usageErrorf("-f/--filename is required: the plan")
	}
	if o.Grid == "" {
		return usageErrorf("--grid is required: the grid file (kind SweepGrid)")
	}
	if err := validateMaxWork(o.MaxWork); err != nil {
		return err
	}
	if err := validateUncertainty(o.Uncertainty); err != nil {
		return err
	}
	if o.Output == "" {
		return usageErrorf("--out-file must name a file or - for standard output")
	}
	if o.Shard != "" {
		s, err := capacity.ParseShard(o.Shard)
		if err != nil {
			return usageErrorf("--shard: %v", err)
		}
		o.shard = &s
	}
	return nil
}

// Complete reads the plan and the grid and checks one against the other.
func (o *sweepOptions) Complete() error {
	var err error
	if o.plan, o.grid, _, _, err = loadSweepInputs(o.Filename, o.Grid, o.streams.In); err != nil {
		return err
	}
	applyColdStart(o.plan, o.ColdStart)
	if err := applyUncertainty(o.plan, o.Uncertainty); err != nil {
		return err
	}
	n, err := capacity.SweepSize(o.plan, o.grid)
	if err != nil {
		return err
	}
	if o.shard != nil {
		n = (n + o.shard.Count - 1) / o.shard.Count
	}
	// Each cell (and today's point) runs the point estimate, the margin's
	// variants and the ensemble's members.
	runs := capacity.EvaluationRuns(o.plan, capacity.ProposeOptions{Mode: o.grid.Mode})
	return ensembleHint(checkWork(o.plan, serviceRuns(o.plan, o.grid.Service, o.grid.Scenarios, o.grid.Mode), float64((n+1)*runs), o.MaxWork, false), o.plan)
}

// loadSweepInputs reads and decodes the plan and the grid, returning
// their bytes too (for the Job's ConfigMap).
func loadSweepInputs(planPath, gridPath string, stdin io.Reader) (*scenarios.Plan, *capacity.SweepGrid, []byte, []byte, error) {
	name, planBytes, err := scenarios.ReadFile("plan", planPath, stdin, scenarios.MaxPlanBytes)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	plan, err := scenarios.Parse(name, planBytes)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	_, gridBytes, err := scenarios.ReadFile("grid", gridPath, nil, maxGridBytes)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	grid, err := capacity.ParseSweepGrid(gridPath, gridBytes)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	return plan, grid, planBytes, gridBytes, nil
}

// Run sweeps and writes the result.
func (o *sweepOptions) Run(cmd *cobra.Command) error {
	var progress func(done, total int)
	if !o.Quiet {
		label := "sweep"
		if o.shard != nil {
			label = "sweep shard " + o.shard.String()
		}
		progress = func(done, total int) {
			if done%10 == 0 || done == total {
				fmt.Fprintf(o.streams.ErrOut, "\r%s: %d/%d candidates", label, done, total)
				if done == total {
					fmt.Fprintln(o.streams.ErrOut)
				}
			}
		}
	}
	var out any
	if o.shard != nil {
		s, err := capacity.Sweep(cmd.Context(), o.plan, o.grid, *o.shard, progress)
		if err != nil {
			return err
		}
		out = s
	} else {
		r, err := capacity.SweepAll(cmd.Context(), o.plan, o.grid, progress)
		if err != nil {
			return err
		}
		out = r
	}
	return writeJSON(o.Output, o.streams.Out, out)
}

// writeJSON writes v as indented JSON to path (atomically: a temporary
// file renamed into place) or to out for "-".
func writeJSON(path string, out io.Writer, v any) error {
	if path == "-" {
		return printJSON(out, v)
	}
	var buf bytes.Buffer
	if err := printJSON(&buf, v); err != nil {
		return err
	}
	return atomicfile.Write(path, buf.Bytes(), 0)
}

// sweepMergeOptions are the flags of `headroom sweep merge`.
type sweepMergeOptions struct {
	Files  []string
	Output string

	shards  []*capacity.SweepShard
	streams ioStreams
}

func newSweepMergeCmd(streams ioStreams) *cobra.Command {
	o := &sweepMergeOptions{Output: "-", streams: streams}
	cmd := &cobra.Command{
		Use:   "merge SHARD.json... [--out-file FILE]",
		Short: "Join a sweep's shard files, in any order, into the whole sweep",
		Long: `Join the N shard files of one sweep (written by 'headroom sweep --shard i/N') into the
result the unsharded sweep writes, byte for byte, with the best candidate and the Pareto front
over all of them. Every shard must be given exactly once, from the same plan and grid.`,
		Example: `  headroom sweep merge shard-0.json shard-1.json shard-2.json shard-3.json --out-file sweep.json`,
		Args:    cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Files = args
			return run(o, cmd)
		},
	}
	cmd.Flags().StringVar(&o.Output, "out-file", o.Output, "the output file (JSON); - is standard output")
	format := "json"
	bindFormat(cmd, &format, []string{"json"}, "--out-file", "the merged sweep to a file")
	return cmd
}

// Validate checks the arguments.
func (o *sweepMergeOptions) Validate() error {
	if len(o.Files) == 0 {
		return usageErrorf("merge needs the shard files as arguments")
	}
	if o.Output == "" {
		return usageErrorf("--out-file must name a file or - for standard output")
	}
	return nil
}

// Complete reads the shard files strictly.
func (o *sweepMergeOptions) Complete() error {
	for _, path := range o.Files {
		_, b, err := scenarios.ReadFile("shard", path, nil, 1<<30)
		if err != nil {
			return err
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		var s capacity.SweepShard
		if err := dec.Decode(&s); err != nil {
			return fmt.Errorf("shard file %s: %w", path, err)
		}
		if dec.More() {
			return fmt.Errorf("shard file %s: more than one JSON document (a log of two pods?)", path)
		}
		if err := s.Verify(); err != nil {
			return fmt.Errorf("shard file %s: %w", path, err)
		}
		o.shards = append(o.shards, &s)
	}
	return nil
}

// Run merges and writes.
func (o *sweepMergeOptions) Run(*cobra.Command) error {
	res, err := capacity.MergeSweep(o.shards)
	if err != nil {
		return err
	}
	return writeJSON(o.Output, o.streams.Out, res)
}

// sweepJobOptions are the flags of `headroom sweep job`.
type sweepJobOptions struct {
	Filename    string
	Grid        string
	Name        string
	Namespace   string
	Image       string
	Shards      int
	Parallelism int
	CPU         string
	Memory      string

	job     cluster.SweepJobOptions
	streams ioStreams
}

func newSweepJobCmd(streams ioStreams) *cobra.Command {
	image, _ := defaultImage(currentVersion().Version)
	o := &sweepJobOptions{Name: "headroom-sweep", Image: image, CPU: "1", Memory: "1Gi", streams: streams}
	cmd := &cobra.Command{
		Use:   "job -f PLAN --grid GRID.yaml --shards N [--parallelism P] [--image IMAGE] [-n NAMESPACE]",
		Short: "Render a Kubernetes Indexed Job that runs a sweep's shards on a cluster",
		Long: `Print a ConfigMap holding the plan and the grid and an Indexed Job with N completions:
pod i runs 'headroom sweep --shard i/N' and writes its shard file to standard output, so
'kubectl logs' of the succeeded pod of each index is that shard. Standard output needs no
storage on the cluster (no PVC, no ReadWriteMany storage class). Standard error gets the
commands that collect the logs and merge them once the Job completes.`,
		Example: `  headroom sweep job -f plan.yaml --grid grid.yaml --shards 20 --parallelism 5 -n capacity | kubectl apply -f -`,
		Args:    cobra.NoArgs,
		RunE:    func(cmd *cobra.Command, args []string) error { return run(o, cmd) },
	}
	f := cmd.Flags()
	f.StringVarP(&o.Filename, "filename", "f", "", "the plan file (YAML)")
	f.StringVar(&o.Grid, "grid", "", "the grid file (YAML, kind SweepGrid)")
	f.StringVar(&o.Name, "name", o.Name, "the Job's name (the ConfigMap is NAME-input)")
	f.StringVarP(&o.Namespace, "namespace", "n", "", "the namespace (default: kubectl's)")
	f.StringVar(&o.Image, "image", o.Image, "the headroom container image (the default is the tag of this version; make image builds one)")
	f.IntVar(&o.Shards, "shards", 0, "the number of shards (the Job's completions)")
	f.IntVar(&o.Parallelism, "parallelism", 0, "shards running at once (default: all)")
	f.StringVar(&o.CPU, "cpu", o.CPU, "each pod's CPU request")
	f.StringVar(&o.Memory, "memory", o.Memory, "each pod's memory request and limit")
	return cmd
}

// Validate checks the flags.
func (o *sweepJobOptions) Validate() error {
	if o.Filename == "" || o.Filename == "-" {
		return usageErrorf("-f/--filename is required: the plan file (not standard input: it goes into the ConfigMap)")
	}
	if o.Grid == "" {
		return usageErrorf("--grid is required: the grid file (kind SweepGrid)")
	}
	if o.Shards < 1 {
		return usageErrorf("--shards is required and must be ≥ 1, got %d", o.Shards)
	}
	if o.Parallelism < 0 || o.Parallelism > o.Shards {
		return usageErrorf("--parallelism must be in [1, --shards %d], got %d", o.Shards, o.Parallelism)
	}
	if err := validImage("--image", o.Image); err != nil {
		return err
	}
	cpu, err := resource.ParseQuantity(o.CPU)
	if err != nil || cpu.Sign() <= 0 {
		return usageErrorf("--cpu %q must be a positive quantity such as 500m or 2", o.CPU)
	}
	mem, err := resource.ParseQuantity(o.Memory)
	if err != nil || mem.Sign() <= 0 {
		return usageErrorf("--memory %q must be a positive quantity such as 512Mi", o.Memory)
	}
	o.job = cluster.SweepJobOptions{Name: o.Name, Namespace: o.Namespace, Image: o.Image, Shards: o.Shards,
		Parallelism: o.Parallelism, CPU: cpu, Memory: mem}
	return nil
}

// Complete reads the plan and grid and checks them as a shard would.
func (o *sweepJobOptions) Complete() error {
	plan, grid, pb, gb, err := loadSweepInputs(o.Filename, o.Grid, nil)
	if err != nil {
		return err
	}
	n, err := capacity.SweepSize(plan, grid)
	if err != nil {
		return err
	}
	if o.Shards > n {
		return usageErrorf("--shards %d is more than the grid's %d candidates", o.Shards, n)
	}
	o.job.PlanFile, o.job.GridFile = pb, gb
	return nil
}

// Run renders the Job.
func (o *sweepJobOptions) Run(cmd *cobra.Command) error {
	warnDevImage(o.streams.ErrOut, cmd.Flags().Changed("image"), o.Image)
	j, err := cluster.RenderSweepJob(o.job)
	if err != nil {
		return usageErrorf("%v", err) // every error is about a flag's value
	}
	if _, err := o.streams.Out.Write(j.YAML); err != nil {
		return err
	}
	fmt.Fprintf(o.streams.ErrOut, "# Once applied, collect and merge the shards with:\n%s", cluster.SweepCollectScript(o.Name, o.Namespace, o.Shards))
	return nil
}
