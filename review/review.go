package review

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"

	"github.com/headroom-dev/headroom/capacity"
	"github.com/headroom-dev/headroom/model"
	"github.com/headroom-dev/headroom/review/record"
	"github.com/headroom-dev/headroom/scenarios"
	"github.com/headroom-dev/headroom/sim"
	"github.com/headroom-dev/headroom/sim/ensemble"
)

// Options select what Build computes.
type Options struct {
	Mode model.Mode
	// Seed overrides the plan's seed when not 0.
	Seed int64
	// Proposed replaces headroom's own HPA recommendations with the user's
	// (by service name); ProposedSource names the file.
	Proposed       map[string]*autoscalingv2.HorizontalPodAutoscalerSpec
	ProposedSource string
	// Event adds a command-line event to the plan's own event scenarios.
	Event *scenarios.Event
	// Version is headroom's version, written as the generator.
	Version string
	// Progress, when set, receives one line per long step.
	Progress func(format string, args ...any)
	// Series says how much of each time series the JSON report keeps: ""
	// is record.SeriesNone.
	Series record.SeriesDetail
	// Plots selects the figures the review shows; Build computes the
	// capacity curves of the services it shows.
	Plots record.Plots
	// Backtest is a `headroom backtest` result to show near the top of the
	// review (nil for none).
	Backtest *record.Backtest
	// FlapWindow is the flap window of every run (sim.Options.FlapWindow;
	// 0 is its default).
	FlapWindow time.Duration
}

// runKey names a simulation of Build: a scenario with today's HPAs, with
// the proposed ones, or (the event's scenario) with the pre-scale.
type runKey struct {
	scenario string
	variant  record.Variant
}

// builder carries what the steps of Build share.
type builder struct {
	ctx      context.Context
	plan     *scenarios.Plan
	opts     Options
	seed     int64
	progress func(format string, args ...any)
	// proposed are the proposed HPAs by service.
	proposed map[string]*autoscalingv2.HorizontalPodAutoscalerSpec
	// proposedPlan is the plan the proposed runs use: with headroom's
	// requests and limits when the proposal is headroom's.
	proposedPlan *scenarios.Plan
	runs         map[runKey]*sim.Result
	rev          *record.Review
	// tables are the latency tables of every run: the recommender's
	// search judges today's settings and its proposal on the same
	// ensemble members the review's runs simulate.
	tables *sim.LatencyCache
}

// run returns the simulation of a scenario in a variant, nil when there is
// none.
func (b *builder) run(scenario string, v record.Variant) *sim.Result {
	return b.runs[runKey{scenario, v}]
}

// Build makes a capacity review of a validated plan: it sizes every
// service at each scenario's peak (in opts.Mode and by utilisation alone),
// recommends changes, simulates every scenario with today's HPAs and the
// proposed ones, plans each event's pre-scale and simulates it, and
// summarises the risks, the changes and their cost. It stops, with ctx's
// error, when ctx is done.
func Build(ctx context.Context, plan *scenarios.Plan, opts Options) (*record.Review, error) {
	b := &builder{ctx: ctx, opts: opts, progress: func(string, ...any) {}, runs: map[runKey]*sim.Result{}, tables: sim.NewLatencyCache()}
	if opts.Progress != nil {
		var mu sync.Mutex // the simulations report from several goroutines
		b.progress = func(format string, args ...any) {
			mu.Lock()
			defer mu.Unlock()
			opts.Progress(format, args...)
		}
	}
	if opts.Event != nil {
		p, err := plan.WithScenario(opts.Event.ScenarioFor())
		if err != nil {
			return nil, fmt.Errorf("event %s: %w", opts.Event.Name, err)
		}
		plan = p
	}
	b.plan = plan
	b.seed = plan.Seed
	if opts.Seed != 0 {
		b.seed = opts.Seed
	}
	rev := &record.Review{
		SchemaVersion: record.SchemaVersion, Generator: "headroom " + opts.Version,
		Plan: plan.Metadata.Name, PlanFile: plan.File(), Seed: b.seed, Mode: opts.Mode.String(),
		Input: plan, Plots: opts.Plots, Backtest: opts.Backtest,
	}
	b.rev = rev
	b.progress("sizing %d services over %d scenarios", len(plan.Services), len(plan.Scenarios))
	sizing, err := capacity.Size(plan, opts.Mode, "")
	if err != nil {
		return nil, err
	}
	utilSizing, err := capacity.Size(plan, model.Utilization, "")
	if err != nil {
		return nil, err
	}
	b.progress("searching each service's proposal (simulator as the oracle)")
	props, err := capacity.Propose(ctx, plan, sizing, capacity.ProposeOptions{Seed: b.seed, FlapWindow: opts.FlapWindow, Latency: b.tables})
	if err != nil {
		return nil, err
	}
	recs := props.Recommendations()
	rev.Recommendations = convertAll(recs, func(r capacity.Recommendation) record.Recommendation { return record.Recommendation(r) })
	proposed, source := opts.Proposed, opts.ProposedSource
	b.proposedPlan = plan
	if proposed == nil {
		proposed, source = capacity.ProposedHPAs(recs), "headroom"
		// headroom's proposal runs with its requests and limits too.
		b.proposedPlan = capacity.WithResources(plan, recs)
	}
	if len(proposed) > 0 {
		rev.ProposedHPASource = source
	}
	b.proposed = proposed
	rev.ProposedHPAs = proposed

	if err := b.simulate(); err != nil {
		return nil, err
	}
	rev.Scenarios = b.scenarioSections(sizing)
	rev.CallGraph = callGraph(b.plan)
	rev.Services = b.serviceSections(sizing, utilSizing)
	if err := b.buildEvents(sizing); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rev.Summary = summarise(plan, rev, b.run)
	if anns, err := scenarios.Annotations(plan.Source()); err == nil {
		rev.Assumptions = anns
	}
	rev.ModelNotes = modelNotes(plan)
	rev.DependsOn = dependencies
	rev.Rows = rows(rev)
	rev.Runs = b.recordRuns()
	rev.Curves = curves(plan, rev)
	return rev, nil
}

// simulate runs every scenario with today's HPAs and, when there are any,
// the proposed ones, each with the plan's uncertainty ensemble when it has
// one (package sim/ensemble): independent runs, at most GOMAXPROCS at a
// time. Each run is deterministic on its own and writes its own slot, so
// the review does not depend on their order; the first error in job order
// wins.
func (b *builder) simulate() error {
	type job struct {
		key  runKey
		opts sim.Options
	}
	var jobs []job
	for i := range b.plan.Scenarios {
		sc := &b.plan.Scenarios[i]
		opts := runOptions(b.plan, sc, b.seed, b.opts.FlapWindow)
		jobs = append(jobs, job{runKey{sc.Name, record.Current}, opts})
		if len(b.proposed) > 0 || b.proposedPlan != b.plan {
			opts.HPA = b.proposed
			jobs = append(jobs, job{runKey{sc.Name, record.Proposed}, opts})
		}
	}
	runs := make([]sim.Options, len(jobs))
	for i, j := range jobs {
		runs[i] = j.opts
	}
	if u := b.plan.Uncertainty; u != nil {
		b.progress("running an ensemble of %d members per simulation (uncertainty %s)", u.Samples, u)
	}
	results, err := b.runAll(jobs2plans(b, jobs, func(j job) record.Variant { return j.key.variant }), runs, func(i int) {
		what := "today's HPAs"
		if jobs[i].key.variant == record.Proposed {
			what = "the proposed HPAs"
		}
		b.progress("simulating %s with %s", jobs[i].key.scenario, what)
	})
	if err := b.ctx.Err(); err != nil {
		return err
	}
	var re *ensemble.RunError
	if errors.As(err, &re) {
		j := jobs[re.Run]
		what := ""
		if j.key.variant == record.Proposed {
			what = " with the proposed HPAs"
		}
		return fmt.Errorf("simulate %s%s: %w", j.key.scenario, what, re.Err)
	}
	if err != nil {
		return err
	}
	for i, j := range jobs {
		b.runs[j.key] = results[i]
	}
	return nil
}

// jobs2plans is the plan of each job: the proposed plan for a proposed
// run.
func jobs2plans[J any](b *builder, jobs []J, variant func(J) record.Variant) []*scenarios.Plan {
	out := make([]*scenarios.Plan, len(jobs))
	for i, j := range jobs {
		out[i] = b.plan
		if variant(j) == record.Proposed {
			out[i] = b.proposedPlan
		}
	}
	return out
}

// runAll runs the ensembles of runs, each on its plan: one ensemble.Run
// per distinct plan, the results (and a *ensemble.RunError's index) in
// the order of runs.
func (b *builder) runAll(plans []*scenarios.Plan, runs []sim.Options, started func(i int)) ([]*sim.Result, error) {
	results := make([]*sim.Result, len(runs))
	var order []*scenarios.Plan
	for _, p := range plans {
		if !slices.Contains(order, p) {
			order = append(order, p)
		}
	}
	for _, p := range order {
		var idx []int
		var sub []sim.Options
		for i := range runs {
			if plans[i] == p {
				o := runs[i]
				if o.Latency == nil {
					o.Latency = b.tables
				}
				idx, sub = append(idx, i), append(sub, o)
			}
		}
		res, err := ensemble.Run(b.ctx, p, sub, b.plan.Uncertainty, ensemble.Config{Started: func(k int) { started(idx[k]) }})
		var re *ensemble.RunError
		if errors.As(err, &re) {
			re.Run = idx[re.Run]
			return nil, re
		}
		if err != nil {
			return nil, err
		}
		for k, i := range idx {
			results[i] = res[k]
		}
	}
	return results, nil
}

// sampleEvery picks the series resolution: about 300 points per run (5
// minutes over a day), at least a minute, a multiple of the tick.
// runOptions are the options of every run of scenario sc a review makes
// (and estimates): the seed, and about 300 samples.
func runOptions(plan *scenarios.Plan, sc *scenarios.Scenario, seed int64, flapWindow time.Duration) sim.Options {
	return sim.Options{Scenario: sc.Name, Seed: seed, SampleEvery: sampleEvery(sc.Duration.D(), plan.Simulation.Tick.D()), FlapWindow: flapWindow}
}

func sampleEvery(d, tick time.Duration) time.Duration {
	every := max(time.Minute, d/300)
	every = every.Round(time.Minute)
	if tick > 0 && every%tick != 0 {
		every = (every/tick + 1) * tick
	}
	return every
}
