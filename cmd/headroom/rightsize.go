package main

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/headroom-dev/headroom/capacity"
	"github.com/headroom-dev/headroom/model"
	"github.com/headroom-dev/headroom/prom"
	"github.com/headroom-dev/headroom/reports"
	"github.com/headroom-dev/headroom/review/record"
	"github.com/headroom-dev/headroom/scenarios"
)

// newPrometheusUsage builds the usage source behind --prometheus-url: the
// cAdvisor series of package prom's default queries.
var newPrometheusUsage = func(url string) (capacity.UsageSource, error) { return prom.NewClient(url, nil) }

// rightsizeOptions are the flags and state of `headroom rightsize`.
type rightsizeOptions struct {
	Filename      string
	Patches       string
	Force         bool
	Services      []string
	Strategy      string
	Usage         string
	PrometheusURL string
	Window        string
	Step          time.Duration
	CPUPercentile float64
	Buffer        float64
	Output        string
	Uncertainty   string

	plan       *scenarios.Plan
	cfg        model.RightsizeConfig
	window     time.Duration
	source     capacity.UsageSource
	sourceName string
	streams    ioStreams
}

func init() { registerCommand("plan", newRightsizeCmd) }

func newRightsizeCmd(streams ioStreams) *cobra.Command {
	o := &rightsizeOptions{Strategy: "vpa", Window: "14d", Step: time.Minute, CPUPercentile: 95, Buffer: 15, Output: "table", streams: streams}
	cmd := &cobra.Command{
		Use:   "rightsize -f PLAN (--usage FILE | --prometheus-url URL) [--strategy vpa|percentile|max] [--window 14d] [-o table|json|yaml] [--out-dir PATCHES]",
		Short: "Recommend CPU and memory requests from usage history, moving HPA targets to match",
		Long: `Recommend requests and limits for each service's container from its CPU and memory usage
history, and say by how much and why.

Strategies:
  vpa         (default) what a Vertical Pod Autoscaler's recommender would publish for the
              same history: decaying histograms (24 h half-life), p50 / p90 / p95 as lower
              bound / target / upper bound, +15 % margin, bounds widened while history is
              short, floors of 25m CPU and 250Mi memory, memory from one peak per 24 h.
  percentile  krr's "simple": CPU at the p95 of usage (--cpu-percentile), memory request
              and limit at the maximum usage +15 % (--buffer).
  max         both at their maximum usage + the buffer.

HPA-aware: when a request changes under an HPA with a CPU or memory Utilization target,
the target moves so that request × target, the usage per pod at which the HPA scales,
stays where it is, and the HPA proposes the same replicas at the observed peak. (With
the request lowered and the target unchanged the HPA would scale out more: the
feedback loop that makes krr skip HPA workloads.) A target would have to exceed 100 %
to keep the scale point: the request is raised instead.

Confidence is low when a resource has fewer than 100 samples or less than 3 hours of
history (krr's gates): such recommendations are shown but not proposed as changes.
Medium means less than a week of history.

Usage comes from a CSV file (--usage) with the header time,service,container,resource,value:
RFC 3339 times, a service and container of the plan, resource cpu (cores) or memory (bytes)
per container instance; or from Prometheus (--prometheus-url). --window keeps the last
WINDOW of the data (of the file's own data for --usage).

--out-dir DIR also writes headroom's recommender's proposal (the one report and tune make,
judged on the plan's uncertainty ensemble when it has one, or --uncertainty) as a patches
directory (the layout of report's patches/), and every output format shows that proposal next
to the estimators (JSON: "proposal", per service the chosen HPA point and resources, whether it
holds the SLO, the binding constraint, today's and the proposed burns): the estimators' requests
are its usage input (floors for the CPU limit and memory request), the patch is the
recommender's. The directory is written as a set with DIR/.headroom-manifest: a rerun
replaces headroom's files and keeps the others; a non-empty directory headroom did not
write is refused unless --force.`,
		Example: `  # The bundled example with its sample usage history
  headroom rightsize -f scenarios/examples/noa.yaml --usage testdata/noa-usage.csv

  # krr's simple strategy at p90, as JSON with the change list for patches
  headroom rightsize -f plan.yaml --usage usage.csv --strategy percentile --cpu-percentile 90 -o json

  # The changes as patches, to check with headroom apply -f rightsize-patches
  headroom rightsize -f scenarios/examples/noa.yaml --usage testdata/noa-usage.csv --out-dir rightsize-patches

  # Two weeks of history from Prometheus
  headroom rightsize -f plan.yaml --prometheus-url http://prometheus:9090 --window 14d`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return run(o, cmd) },
	}
	f := cmd.Flags()
	f.StringVarP(&o.Filename, "filename", "f", "", "the plan file (YAML); - reads standard input")
	f.StringSliceVar(&o.Services, "service", nil, "right-size only these services (repeat or comma-separate; default all)")
	f.StringVar(&o.Strategy, "strategy", o.Strategy, "vpa, percentile or max")
	f.StringVar(&o.Usage, "usage", "", "usage history CSV (time,service,container,resource,value); - reads standard input")
	f.StringVar(&o.PrometheusURL, "prometheus-url", "", "read usage history from this Prometheus")
	f.StringVar(&o.Window, "window", o.Window, "how much history to use, e.g. 14d, 36h, 1d12h")
	f.DurationVar(&o.Step, "step", o.Step, "query resolution for --prometheus-url")
	f.Float64Var(&o.CPUPercentile, "cpu-percentile", o.CPUPercentile, "CPU usage percentile of the percentile strategy, in (0, 100]")
	f.Float64Var(&o.Buffer, "buffer", o.Buffer, "percent added to maximum usage by the percentile (memory) and max strategies")
	bindFormat(cmd, &o.Output, []string{"table", "json", "yaml"}, "", "")
	bindOutDir(cmd, &o.Patches, &o.Force, "", "also write the changes as a patches directory, for headroom apply or a kustomize overlay (headroom's files of an earlier run are replaced, other files stay)")
	bindMoved(cmd, "patches", "--out-dir")
	bindUncertainty(f, &o.Uncertainty)
	return cmd
}

// Validate checks the flags; it reads nothing.
func (o *rightsizeOptions) Validate() error {
	if err := validateUncertainty(o.Uncertainty); err != nil {
		return err
	}
	if o.Filename == "" {
		return usageErrorf("-f/--filename is required: the plan whose services to right-size (try scenarios/examples/noa.yaml)")
	}
	switch {
	case o.Usage != "" && o.PrometheusURL != "":
		return usageErrorf("--usage and --prometheus-url are mutually exclusive")
	case o.Usage == "" && o.PrometheusURL == "":
		return usageErrorf("one of --usage FILE or --prometheus-url URL is required: where the usage history comes from (try --usage testdata/noa-usage.csv)")
	case o.Usage == "-" && o.Filename == "-":
		return usageErrorf("-f - and --usage - cannot both read standard input")
	}
	if o.Patches != "" {
		if err := checkOutDir(o.Patches, o.Force); err != nil {
			return err
		}
	}
	st, err := model.ParseStrategy(o.Strategy)
	if err != nil {
		return usageErrorf("--strategy: %v", err)
	}
	w, err := parseWindow(o.Window)
	if err != nil {
		return usageErrorf("--window %q: %v", o.Window, err)
	}
	o.window = w
	if o.Step <= 0 {
		return usageErrorf("--step must be positive, got %s", o.Step)
	}
	if !(o.CPUPercentile > 0 && o.CPUPercentile <= 100) {
		return usageErrorf("--cpu-percentile must be in (0, 100], got %g", o.CPUPercentile)
	}
	if !(o.Buffer >= 0 && o.Buffer <= 1000) {
		return usageErrorf("--buffer must be a percentage in [0, 1000], got %g", o.Buffer)
	}
	switch o.Output {
	case "table", "json", "yaml":
	default:
		return usageErrorf("--output must be table, json or yaml, got %q", o.Output)
	}
	o.cfg = model.DefaultRightsizeConfig()
	o.cfg.Strategy = st
	o.cfg.CPUPercentile = o.CPUPercentile / 100
	o.cfg.Buffer = o.Buffer / 100
	return nil
}

// parseWindow reads a duration with an optional leading whole number of
// days ("14d", "1d12h", "36h").
func parseWindow(s string) (time.Duration, error) {
	var d time.Duration
	rest := s
	if i := strings.IndexByte(s, 'd'); i >= 0 {
		days, err := strconv.ParseUint(s[:i], 10, 16)
		if err != nil {
			return 0, fmt.Errorf("days must be a whole number before 'd', as in 14d")
		}
		d, rest = time.Duration(days)*24*time.Hour, s[i+1:]
	}
	if rest != "" {
		x, err := time.ParseDuration(rest)
		if err != nil {
			return 0, fmt.Errorf("want a duration such as 14d, 36h or 1d12h")
		}
		d += x
	}
	if d <= 0 {
		return 0, fmt.Errorf("must be positive")
	}
	return d, nil
}

// Complete reads the plan and opens the usage source.
func (o *rightsizeOptions) Complete() error {
	p, err := scenarios.LoadFile(o.Filename, o.streams.In)
	if err != nil {
		return err
	}
	o.plan = p
	if err := applyUncertainty(p, o.Uncertainty); err != nil {
		return err
	}
	if err := checkServices(p, "--service", o.Services...); err != nil {
		return err
	}
	if o.PrometheusURL != "" {
		src, err := newPrometheusUsage(o.PrometheusURL)
		if err != nil {
			return err
		}
		o.source, o.sourceName = src, o.PrometheusURL
		return nil
	}
	src, err := openCSVUsage(o.Usage, o.streams.In, p)
	if err != nil {
		return err
	}
	o.source, o.sourceName = src, o.Usage
	return nil
}

// Run reads each service's usage, right-sizes and prints.
func (o *rightsizeOptions) Run(cmd *cobra.Command) error {
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	rep, err := capacity.RightsizePlan(ctx, o.plan, o.source, capacity.RightsizeOptions{
		Services: o.Services, Config: o.cfg, Window: o.window, Step: o.Step, SourceName: o.sourceName, WindowName: o.Window,
	})
	if err != nil {
		return err
	}
	var props capacity.Proposals
	if o.Patches != "" {
		// The patches are the recommender's proposal: searched first, so
		// every output format shows it next to the estimators.
		usage := capacity.UsagePeaks(rep, o.cfg.Buffer)
		if props, err = o.propose(ctx, usage); err != nil {
			return err
		}
		rep.Proposal = capacity.NewRightsizeProposals(props, usage)
	}
	switch o.Output {
	case "json":
		if err := printJSON(o.streams.Out, rep); err != nil {
			return err
		}
	case "yaml":
		if err := printYAML(o.streams.Out, rep); err != nil {
			return err
		}
	default:
		printRightsize(o.streams.Out, rep)
		printRightsizeProposal(o.streams.Out, o.plan, rep.Proposal)
	}
	if len(rep.Skipped) > 0 {
		fmt.Fprintf(o.streams.ErrOut, "warning: no usage data for %s in %s; left out\n", strings.Join(rep.Skipped, ", "), o.sourceName)
	}
	if o.Patches != "" {
		return o.writePatches(ctx, props)
	}
	return nil
}

// propose runs headroom's recommender — the one report and tune run —
// with the observed usage peaks as floors for the CPU limit and the
// memory request.
func (o *rightsizeOptions) propose(ctx context.Context, usage map[string]capacity.UsagePeak) (capacity.Proposals, error) {
	sizing, err := capacity.Size(o.plan, model.Queueing, "")
	if err != nil {
		return nil, err
	}
	fmt.Fprintln(o.streams.ErrOut, "searching each service's proposal (simulator as the oracle) for the patches")
	return capacity.Propose(ctx, o.plan, sizing, capacity.ProposeOptions{Services: o.Services, Usage: usage})
}

// writePatches writes the recommender's proposal as a patches directory
// (the layout of package reports: kubectl JSON patches, the hpa/ and
// requests/ kustomize components, whole HPAs) as one set: headroom's
// files of an earlier run are replaced, the user's own files in the
// directory kept. The usage estimators' requests are reported, not
// patched.
func (o *rightsizeOptions) writePatches(ctx context.Context, props capacity.Proposals) error {
	recs := props.Recommendations()
	rep := &record.Review{Plan: o.plan.Metadata.Name}
	for _, r := range recs {
		rep.Recommendations = append(rep.Recommendations, record.Recommendation(r))
	}
	files, _, err := reports.RenderPatches(o.plan, rep, reports.PatchOptions{Generator: "headroom " + currentVersion().Version + " rightsize"})
	if err != nil {
		return err
	}
	dir := filepath.Clean(o.Patches)
	if err := reports.WriteDir(ctx, dir, files); err != nil {
		return err
	}
	fmt.Fprintf(o.streams.ErrOut, "wrote %d change(s) to %s (check them with: headroom apply -f %s)\n", len(recs), dir, dir)
	return nil
}

// printRightsize writes one table row per container, then the rationale.
func printRightsize(w io.Writer, rep *capacity.RightsizeReport) {
	fmt.Fprintf(w, "Plan %s: strategy %s, usage %s, window %s\n\n", rep.Plan, rep.Strategy, rep.Source, rep.Window)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SERVICE\tCONTAINER\tCPU REQUEST\tCPU LIMIT\tCPU RANGE\tMEMORY REQUEST\tMEMORY LIMIT\tMEMORY RANGE\tCONFIDENCE\tHPA")
	for _, r := range rep.Recommendations {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Service, r.Container,
			arrow(r.CPU.Request, r.CPU.Target, rsCores), arrow(r.CPU.Limit, r.CPU.RecommendedLimit, rsCores),
			rangeOf(r.CPU, rsCores),
			arrow(r.Memory.Request, r.Memory.Target, rsBytes), arrow(r.Memory.Limit, r.Memory.RecommendedLimit, rsBytes),
			rangeOf(r.Memory, rsBytes),
			fmt.Sprintf("%s (%.1fd)", r.Confidence.Level, r.Confidence.HistoryDays), hpaSummary(r.HPA))
	}
	tw.Flush()
	for _, r := range rep.Recommendations {
		fmt.Fprintf(w, "\n%s/%s (%s):\n", r.Service, r.Container, r.Strategy)
		for _, line := range r.Rationale {
			fmt.Fprintf(w, "  - %s\n", line)
		}
		for _, reason := range r.Confidence.Reasons {
			fmt.Fprintf(w, "  ! confidence: %s\n", reason)
		}
		if r.Confidence.Level == model.ConfidenceLow {
			fmt.Fprintln(w, "  ! low confidence: not proposed as a change")
		}
	}
	fmt.Fprintf(w, "\n%d change(s) proposed. REQUEST and LIMIT are today → recommended; RANGE is the lower–upper bound\n", len(rep.Changes))
	fmt.Fprintln(w, "(the VPA's, widened while history is short; ∞ = no bound yet). HPA targets move so request × target stays put.")
}

func arrow(now, rec float64, format func(float64) string) string {
	switch {
	case now == 0 && rec == 0:
		return "—"
	case now == rec:
		return format(now) + " (=)"
	}
	return format(now) + " → " + format(rec)
}

func rangeOf(r model.ResourceRecommendation, format func(float64) string) string {
	if r.LowerBound == r.UpperBound {
		return format(r.LowerBound)
	}
	return format(r.LowerBound) + "–" + format(r.UpperBound)
}

func hpaSummary(a *model.HPAAdjustment) string {
	if a == nil {
		return "—"
	}
	var parts []string
	for _, t := range a.Targets {
		parts = append(parts, fmt.Sprintf("%s %d%%→%d%%", t.Resource, t.TargetUtilization, t.NewTargetUtilization))
	}
	if a.NewMaxReplicas != a.OldMaxReplicas {
		parts = append(parts, fmt.Sprintf("max %d→%d", a.OldMaxReplicas, a.NewMaxReplicas))
	}
	if len(parts) == 0 {
		return "see notes"
	}
	return strings.Join(parts, ", ")
}

// rsCores prints cores in millicores below 10 cores.
func rsCores(c float64) string {
	switch {
	case c >= model.VPAMaxResourceAmount/1e4:
		return "∞"
	case c < 10:
		return fmt.Sprintf("%.0fm", c*1000)
	}
	return strconv.FormatFloat(c, 'f', -1, 64)
}

// rsBytes prints bytes in Mi, or Gi when at least 10Gi.
func rsBytes(b float64) string {
	switch {
	case b >= model.VPAMaxResourceAmount/10:
		return "∞"
	case b >= 10<<30:
		return fmt.Sprintf("%.1fGi", b/(1<<30))
	}
	return fmt.Sprintf("%.0fMi", math.Ceil(b/(1<<20)))
}

// Usage history from CSV.

// usageCSVHeader is the one header a usage file may have.
var usageCSVHeader = []string{"time", "service", "container", "resource", "value"}

// maxUsageBytes bounds a usage file.
const maxUsageBytes = 1 << 30

// The largest usage a sample may give: more cores or memory than any
// machine has (the largest instance types are a few hundred cores and tens
// of TiB) is a unit mistake or a corrupt file, not a usage.
const (
	maxUsageCores  = 10_000  // cores
	maxUsageMemory = 1 << 50 // bytes, 1 PiB
)

// maxEchoBytes bounds a value quoted back in an error.
const maxEchoBytes = 80

// cut is s, or its first maxEchoBytes bytes and its length.
func cut(s string) string {
	if len(s) <= maxEchoBytes {
		return s
	}
	return fmt.Sprintf("%s… (%d bytes)", strings.ToValidUTF8(s[:maxEchoBytes], ""), len(s))
}

// echo quotes s for an error message, cut to maxEchoBytes bytes with its
// length when longer.
func echo(s string) string {
	if len(s) <= maxEchoBytes {
		return strconv.Quote(s)
	}
	return fmt.Sprintf("%s… (%d bytes)", strconv.Quote(strings.ToValidUTF8(s[:maxEchoBytes], "")), len(s))
}

// usageKey names one series of a usage file.
type usageKey struct{ service, container, resource string }

// usageSeries is one series and the line it starts on.
type usageSeries struct {
	line    int
	samples []model.UsageSample
}

// usageTable is a parsed usage file.
type usageTable struct {
	name   string
	series map[usageKey]*usageSeries
	order  []usageKey // in order of first appearance
}

// parseUsageCSV reads a usage file strictly: the exact header, five fields a
// row, RFC 3339 times, a non-empty service and container, resource cpu or
// memory, a finite value in [0, maxUsageCores] cores or [0, maxUsageMemory]
// bytes, and no two rows for the same series and time. Errors are
// "name:line:column: field: problem" ("name:line:" for a whole row), and
// quote at most maxEchoBytes of a value.
func parseUsageCSV(name string, r io.Reader) (*usageTable, error) {
	cr := csv.NewReader(&capReader{r: r, left: maxUsageBytes})
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	t := &usageTable{name: name, series: map[usageKey]*usageSeries{}}
	type at struct {
		key  usageKey
		nano int64
	}
	seen := map[at]int{}
	for row := 0; ; row++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, fmt.Errorf("%s:%d:%d: %v", name, pe.Line, pe.Column, pe.Err)
			}
			return nil, fmt.Errorf("read usage %s: %w", name, err)
		}
		line, _ := cr.FieldPos(0)
		pos := func(field int) string {
			l, c := cr.FieldPos(field)
			return fmt.Sprintf("%s:%d:%d", name, l, c)
		}
		if row == 0 {
			if !slices.Equal(rec, usageCSVHeader) {
				return nil, fmt.Errorf("%s:%d: header must be %q, got %s", name, line, strings.Join(usageCSVHeader, ","), echo(strings.Join(rec, ",")))
			}
			continue
		}
		if len(rec) != len(usageCSVHeader) {
			return nil, fmt.Errorf("%s:%d: want %d fields (%s), got %d", name, line, len(usageCSVHeader), strings.Join(usageCSVHeader, ","), len(rec))
		}
		ts, err := time.Parse(time.RFC3339, rec[0])
		if err != nil {
			return nil, fmt.Errorf("%s: time: %s is not an RFC 3339 time such as 2026-11-02T14:00:00Z", pos(0), echo(rec[0]))
		}
		key := usageKey{service: rec[1], container: rec[2], resource: rec[3]}
		switch {
		case key.service == "":
			return nil, fmt.Errorf("%s: service: empty", pos(1))
		case key.container == "":
			return nil, fmt.Errorf("%s: container: empty", pos(2))
		case key.resource != model.ResourceCPU && key.resource != model.ResourceMemory:
			return nil, fmt.Errorf("%s: resource: must be cpu or memory, got %s", pos(3), echo(key.resource))
		}
		unit, limit, most := "cores", float64(maxUsageCores), "10000 cores"
		if key.resource == model.ResourceMemory {
			unit, limit, most = "bytes", maxUsageMemory, "1 PiB"
		}
		v, err := strconv.ParseFloat(rec[4], 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
			return nil, fmt.Errorf("%s: value: %s is not a finite number ≥ 0 (%s)", pos(4), echo(rec[4]), unit)
		}
		if v > limit {
			return nil, fmt.Errorf("%s: value: %s is more %s than any machine has (at most %s)", pos(4), echo(rec[4]), key.resource, most)
		}
		k := at{key, ts.UnixNano()}
		if first, dup := seen[k]; dup {
			return nil, fmt.Errorf("%s:%d: a second %s sample for %s/%s at %s (the first is on line %d)", name, line, key.resource, cut(key.service), cut(key.container), rec[0], first)
		}
		seen[k] = line
		s := t.series[key]
		if s == nil {
			s = &usageSeries{line: line}
			t.series[key] = s
			t.order = append(t.order, key)
		}
		s.samples = append(s.samples, model.UsageSample{Time: ts, Value: v})
	}
	if len(t.series) == 0 {
		return nil, fmt.Errorf("%s: no samples after the header", name)
	}
	return t, nil
}

// capReader fails once more than left bytes have been read.
type capReader struct {
	r    io.Reader
	left int64
}

func (c *capReader) Read(p []byte) (int, error) {
	if c.left < 0 {
		return 0, fmt.Errorf("larger than %d MiB", maxUsageBytes>>20)
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	if c.left < 0 {
		return n, fmt.Errorf("larger than %d MiB", maxUsageBytes>>20)
	}
	return n, err
}

// csvUsage serves a usage table to the right-sizer, finding each plan
// service's series by its name and container.
type csvUsage struct {
	table *usageTable
	// service names the plan service of a (namespace, workload).
	service map[[2]string]string
}

var _ capacity.UsageSource = (*csvUsage)(nil)

// openCSVUsage reads a usage file ("-" is stdin) and checks that every
// series names a service of the plan and that service's container.
func openCSVUsage(path string, stdin io.Reader, p *scenarios.Plan) (*csvUsage, error) {
	r, name := stdin, "<stdin>"
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("read usage: %w", err)
		}
		defer f.Close()
		r, name = f, path
	}
	t, err := parseUsageCSV(name, r)
	if err != nil {
		return nil, err
	}
	u := &csvUsage{table: t, service: map[[2]string]string{}}
	for _, key := range t.order {
		s := p.Service(key.service)
		line := t.series[key].line
		switch {
		case s == nil:
			return nil, fmt.Errorf("%s:%d: service: %s is not a service of the plan", name, line, echo(key.service))
		case s.Container != key.container:
			return nil, fmt.Errorf("%s:%d: container: service %s runs container %q, not %s", name, line, s.Name, s.Container, echo(key.container))
		}
	}
	for _, s := range p.Services {
		u.service[[2]string{s.Namespace, s.WorkloadRef.Name}] = s.Name
	}
	return u, nil
}

// ContainerUsage returns the container's series, in time order, cut to the
// last window of its data. step is ignored: the file has its own resolution.
func (u *csvUsage) ContainerUsage(_ context.Context, namespace, workload, container string, window, _ time.Duration) (cpu, mem []model.UsageSample, err error) {
	svc, ok := u.service[[2]string{namespace, workload}]
	if !ok {
		return nil, nil, nil
	}
	get := func(resource string) []model.UsageSample {
		s := u.table.series[usageKey{svc, container, resource}]
		if s == nil {
			return nil
		}
		out := slices.Clone(s.samples)
		slices.SortStableFunc(out, func(a, b model.UsageSample) int { return a.Time.Compare(b.Time) })
		return out
	}
	cpu, mem = get(model.ResourceCPU), get(model.ResourceMemory)
	var last time.Time
	for _, s := range [][]model.UsageSample{cpu, mem} {
		if len(s) > 0 && s[len(s)-1].Time.After(last) {
			last = s[len(s)-1].Time
		}
	}
	from := last.Add(-window)
	cut := func(s []model.UsageSample) []model.UsageSample {
		i, _ := slices.BinarySearchFunc(s, from, func(x model.UsageSample, t time.Time) int {
			if x.Time.After(t) {
				return 1
			}
			return -1
		})
		return s[i:]
	}
	return cut(cpu), cut(mem), nil
}
