package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/headroom-dev/headroom/capacity"
	"github.com/headroom-dev/headroom/model"
	"github.com/headroom-dev/headroom/scenarios"
)

// sizeOptions are the flags and state of `headroom size`.
type sizeOptions struct {
	Filename string
	Scenario string
	Mode     string
	Output   string

	plan    *scenarios.Plan
	mode    model.Mode
	streams ioStreams
}

func newSizeOptions(streams ioStreams) *sizeOptions {
	return &sizeOptions{Mode: "queueing", Output: "table", streams: streams}
}

func init() { registerCommand("plan", newSizeCmd) }

func newSizeCmd(streams ioStreams) *cobra.Command {
	o := newSizeOptions(streams)
	cmd := &cobra.Command{
		Use:   "size -f PLAN [--scenario NAME] [--mode queueing|utilization] [-o table|json|yaml]",
		Short: "Replicas, CPU, memory, nodes and cost each service needs at each scenario's peak",
		Long: `Size every service of a plan at the peak of each traffic scenario.

For each service and scenario it prints today's replicas and the HPA's maxReplicas
against what the peak needs, the constraint that sets that number, the predicted
utilisation and p95 latency there, the CPU and memory requests, and, per scenario,
the nodes those pods pack onto and what they cost.

Two modes:
  queueing     (default) each pod is its own queue with λ/N arrivals (exact M/M/k for
               exponential service times, the Allen–Cunneen two-moment approximation
               otherwise, marked ~). Sizes for the utilisation ceiling AND the latency SLO.
  utilization  the runbook arithmetic: load ÷ (capacity per pod × ceiling). Ignores
               queueing, so it can leave the latency SLO broken at the count it gives.

Both then add zone-loss survival, N+k spare and the minimum from the plan.

Exits 3 when a scenario peak needs more replicas than an HPA's maxReplicas, a fixed-size
service misses its objectives, or no replica count can meet an SLO: use it as a review
gate in CI.`,
		Example: `  # Size the bundled NOA example for every scenario
  headroom size -f scenarios/examples/noa.yaml

  # Only the 2x growth scenario, with the runbook's utilisation arithmetic
  headroom size -f scenarios/examples/noa.yaml --scenario growth-2x --mode utilization

  # Machine-readable, for a pipeline
  headroom size -f plan.yaml -o json | jq '.scenarios[].services[] | select(.status != "ok")'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return run(o, cmd) },
	}
	f := cmd.Flags()
	f.StringVarP(&o.Filename, "filename", "f", "", "the plan file (YAML); - reads standard input")
	f.StringVar(&o.Scenario, "scenario", "", "size only this scenario (default: all)")
	f.StringVar(&o.Mode, "mode", o.Mode, "sizing method: queueing or utilization")
	bindFormat(cmd, &o.Output, []string{"table", "json", "yaml"}, "", "")
	return cmd
}

// Validate checks the flags; it reads nothing.
func (o *sizeOptions) Validate() error {
	if o.Filename == "" {
		return usageErrorf("-f/--filename is required: the plan to size (try scenarios/examples/noa.yaml)")
	}
	mode, err := parseMode(o.Mode)
	if err != nil {
		return err
	}
	o.mode = mode
	switch o.Output {
	case "table", "json", "yaml":
	default:
		return usageErrorf("--output must be table, json or yaml, got %q", o.Output)
	}
	return nil
}

// Complete reads the plan.
func (o *sizeOptions) Complete() error {
	p, err := scenarios.LoadFile(o.Filename, o.streams.In)
	if err != nil {
		return err
	}
	o.plan = p
	if o.Scenario == "" {
		return nil
	}
	return checkScenarios(p, "--scenario", o.Scenario)
}

// Run sizes and prints.
func (o *sizeOptions) Run(cmd *cobra.Command) error {
	rep, err := capacity.Size(o.plan, o.mode, o.Scenario)
	if err != nil {
		return err
	}
	// Sizing takes under a second even for hundreds of services (0.5 s for
	// 200 services × 5 scenarios); an interrupt during it prints nothing.
	if err := cmd.Context().Err(); err != nil {
		return err
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
		printSizing(o.streams.Out, rep)
	}
	if rep.Failed() {
		return &checkFailedError{msg: failureSummary(rep)}
	}
	return nil
}

func failureSummary(rep *capacity.SizingReport) string {
	var lines []string
	for _, sc := range rep.Scenarios {
		for _, s := range sc.Services {
			if s.Status != capacity.StatusOK {
				lines = append(lines, fmt.Sprintf("%s at %s peak: %s", s.Service, sc.Scenario, s.Problem))
			}
		}
	}
	return fmt.Sprintf("%d service peak(s) not covered\n  %s", len(lines), strings.Join(capLines(lines, 10), "\n  "))
}

// printSizing writes the sizing as one table per scenario.
func printSizing(w io.Writer, rep *capacity.SizingReport) {
	fmt.Fprintf(w, "Plan %s, %s mode\n", rep.Plan, rep.Mode)
	approx := false
	for _, sc := range rep.Scenarios {
		fmt.Fprintf(w, "\nSCENARIO %s: peak ×%.2f at %s UTC (t+%s)\n", sc.Scenario, sc.PeakMultiplier, sc.PeakTime, sc.PeakAt)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "SERVICE\tPEAK RATE\tNOW\tMAX\tNEED\tBINDING\tCPU\tSLOTS\tP95\tCPU REQ\tMEM REQ\tPOD REQ\tSTATUS")
		for _, s := range sc.Services {
			need, binding := fmt.Sprint(s.Required), s.Binding
			switch {
			case s.Status == capacity.StatusInfeasible:
				need, binding = "—", "infeasible"
			case s.Fixed:
				need += " (fixed)"
			}
			p95 := "unstable"
			if s.P95Seconds != nil {
				p95 = formatSeconds(*s.P95Seconds)
				if s.Approximate {
					p95 = "~" + p95
					approx = true
				}
			}
			podReq := "—"
			if s.RecommendedCPU != "" {
				podReq = s.RecommendedCPU + "/" + s.RecommendedMemory
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%s\t%.0f%%\t%.0f%%\t%s\t%s\t%s\t%s\t%s\n",
				s.Service, formatRate(s.PeakRate), s.Current, s.Max, need, binding,
				s.CPUUtilisation*100, s.SlotUtilisation*100, p95,
				formatCores(s.CPUCores), formatBytes(s.MemoryBytes), podReq, s.Status)
		}
		tw.Flush()
		fmt.Fprintf(w, "Total requests %s CPU, %s memory → %d × %s, %s/hour, %s/month\n",
			formatCores(sc.CPUCores), formatBytes(sc.MemoryBytes), sc.Nodes.Nodes, sc.Nodes.NodeType,
			formatMoney(sc.Nodes.CostPerHour), formatMoney(sc.Nodes.CostPerMonth))
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "NOW is today's replicas, MAX the HPA's maxReplicas (today's replicas without an HPA),")
	fmt.Fprintln(w, "NEED what the peak needs; CPU, SLOTS and P95 are at NEED (a fixed or infeasible service at NOW).")
	fmt.Fprintln(w, "CPU REQ and MEM REQ are the requests of those pods at today's per-pod requests; POD REQ the per-pod request the model")
	fmt.Fprintln(w, "suggests: CPU at the utilisation ceiling, memory by Little's law at the SLO quantile.")
	if approx {
		fmt.Fprintln(w, "~ marks latency from the G/G/k two-moment approximation (service-time CV ≠ 1).")
	}
	for _, sc := range rep.Scenarios {
		for _, s := range sc.Services {
			if s.Problem != "" {
				fmt.Fprintf(w, "! %s at %s peak: %s\n", s.Service, sc.Scenario, s.Problem)
			}
		}
	}
}

func formatRate(perSecond float64) string {
	if perSecond < 10 {
		return fmt.Sprintf("%.0f/min", perSecond*60)
	}
	return fmt.Sprintf("%.4g/s", perSecond)
}

func formatSeconds(s float64) string {
	if s < 1 {
		return fmt.Sprintf("%.0fms", s*1000)
	}
	return fmt.Sprintf("%.2fs", s)
}

func formatCores(c float64) string {
	if c < 1 {
		return fmt.Sprintf("%.0fm", c*1000)
	}
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.2f", c), "0"), ".")
}

func formatBytes(b float64) string {
	const gi, mi = 1 << 30, 1 << 20
	if b >= gi {
		return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.2f", b/gi), "0"), ".") + "Gi"
	}
	return fmt.Sprintf("%.0fMi", b/mi)
}

func formatMoney(x float64) string { return fmt.Sprintf("$%.2f", x) }

// capLines keeps the first n lines and says how many it left out.
func capLines(lines []string, n int) []string {
	if len(lines) <= n {
		return lines
	}
	return append(lines[:n:n], fmt.Sprintf("… and %d more (see the output above)", len(lines)-n))
}
