// Package ensemble puts an interval on every simulated verdict. A plan's
// `uncertainty:` section says how far its estimated inputs (request rate,
// service time, CPU per request, memory) may be off; Design draws a seeded
// Latin hypercube of input factors over those ranges, and Run simulates
// each run of a command once as written (the nominal run, whose series and
// numbers the output shows) and once per member, then writes into the
// nominal run's summaries the p10 / p50 / p90 of each headline measure
// over the members (Measures), and into its services the per-sample spread
// of their series (sim.SeriesBands) for the figures.
//
// In DES mode each member also draws its own seed, so the interval covers
// the arrival and service-time noise of the request-level model as well as
// the inputs (seed replications).
//
// Members run on a bounded pool of goroutines (one per core); every run is
// deterministic on its own and writes its own slot, and the intervals are
// assembled in member order, so the output is byte-identical whatever the
// scheduling.
package ensemble

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"

	"golang.org/x/sync/errgroup"
	autoscalingv2 "k8s.io/api/autoscaling/v2"

	"github.com/headroom-dev/headroom/model"
	"github.com/headroom-dev/headroom/scenarios"
	"github.com/headroom-dev/headroom/sim"
)

// Member is one run of an ensemble: the factors its inputs are scaled by
// and, in DES mode, its own seed (0 keeps the run's seed).
type Member struct {
	Factors sim.Factors
	Seed    int64
}

// designStream names the random stream of a design, so that it shares
// nothing with the simulation's streams of the same seed.
const designStream = 0x656e73656d626c65 // "ensemble"

// Design draws u.Samples members for a run seeded with seed: a Latin
// hypercube over the four relative ranges (McKay, Beckman and Conover, "A
// comparison of three methods for selecting values of input variables in
// the analysis of output from a computer code", Technometrics 21(2), 1979).
// Each dimension's [0, 1) is cut into n equal strata; a seeded permutation
// gives each member its stratum and a uniform draw its place inside, so
// every stratum of every dimension holds exactly one member:
//
//	u(i, d) = (π_d(i) + U(i, d)) / n,   factor(i, d) = 1 + r_d · (2·u(i, d) − 1)
//
// The four permutations and jitters are always drawn in the same order, so
// a dimension's factors do not change when another dimension's range does.
// In DES mode member i also gets a seed of its own derived from seed and i.
// A nil u designs no member.
func Design(u *scenarios.Uncertainty, seed int64, mode sim.Mode) []Member {
	if u == nil || u.Samples < 1 {
		return nil
	}
	n := u.Samples
	rng := rand.New(rand.NewPCG(uint64(seed), designStream))
	ranges := u.Ranges()
	var factors [4][]float64
	for d := range ranges {
		perm := rng.Perm(n)
		factors[d] = make([]float64, n)
		for i := range n {
			x := (float64(perm[i]) + rng.Float64()) / float64(n)
			factors[d][i] = 1 + ranges[d]*(2*x-1)
		}
	}
	out := make([]Member, n)
	for i := range out {
		out[i].Factors = sim.Factors{RequestRate: factors[0][i], ServiceTime: factors[1][i], CPU: factors[2][i], Memory: factors[3][i]}
		if mode == sim.ModeDES {
			out[i].Seed = replicationSeed(seed, i)
		}
	}
	return out
}

// replicationSeed is member i's seed: a SplitMix64 step (Steele, Lea and
// Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014)
// over the run's seed and i, positive and never 0 (which would mean "the
// plan's seed").
func replicationSeed(seed int64, i int) int64 {
	z := uint64(seed) + uint64(i+1)*0x9e3779b97f4a7c15
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	z ^= z >> 31
	if s := int64(z >> 1); s != 0 {
		return s
	}
	return 1
}

// Measure is a headline number of a service's run that an ensemble
// brackets: how to read it from a summary and which field of the summary
// holds its interval.
type Measure struct {
	// Name is the measure's JSON name, without "Range".
	Name string
	// Get reads the measure from a run's summary.
	Get func(sim.Summary) float64
	// Range is the summary's field that holds its interval.
	Range func(*sim.Summary) **model.Interval
}

// Measures are the measures every ensemble brackets, in output order.
var Measures = []Measure{
	{"sloBudgetBurn", func(s sim.Summary) float64 { return s.SLOBudgetBurn }, func(s *sim.Summary) **model.Interval { return &s.SLOBudgetBurnRange }},
	{"worstWindowBurn", func(s sim.Summary) float64 { return s.WorstWindowBurn }, func(s *sim.Summary) **model.Interval { return &s.WorstWindowBurnRange }},
	{"sloViolationMinutes", func(s sim.Summary) float64 { return s.SLOViolationMinutes }, func(s *sim.Summary) **model.Interval { return &s.SLOViolationMinutesRange }},
	{"worstP95Seconds", func(s sim.Summary) float64 { return s.WorstP95 }, func(s *sim.Summary) **model.Interval { return &s.WorstP95Range }},
	{"errorPercent", func(s sim.Summary) float64 { return s.ErrorPercent }, func(s *sim.Summary) **model.Interval { return &s.ErrorPercentRange }},
	{"cost", func(s sim.Summary) float64 { return s.Cost }, func(s *sim.Summary) **model.Interval { return &s.CostRange }},
}

// Config tunes Run.
type Config struct {
	// Workers bounds the runs in flight, and with them the goroutines
	// that serve DES runs' services (sim.Pool); 0 is GOMAXPROCS.
	Workers int
	// Started, when set, is called as the nominal run i starts (from the
	// pool's goroutines, so it must be safe for concurrent use).
	Started func(i int)
}

// Run simulates each of runs as written and, with an uncertainty section,
// each member of its Design (seeded by the run's seed, opts.Seed or the
// plan's), and returns the nominal results in order with the intervals of
// Measures in their service summaries and the spread of their series in
// their services' Bands. Without uncertainty (nil), it is the runs alone.
// The first error in run order wins; it stops with ctx's error when ctx is
// done.
func Run(ctx context.Context, plan *scenarios.Plan, runs []sim.Options, u *scenarios.Uncertainty, cfg Config) ([]*sim.Result, error) {
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	runs = slices.Clone(runs)
	traffic := sim.NewTrafficCache()
	// One cache of latency tables for the ensemble: a member's factors
	// are the same in every run (scenario), so its tables are built once,
	// and they go with the ensemble instead of filling the process-wide
	// cache with one table per member and service.
	tables := sim.NewLatencyCache()
	// DES runs share the workers: a run holds one while it runs and serves
	// its services on those left free (sim.Pool), so the last long
	// scenario uses the cores the short ones gave back.
	pool := sim.NewPool(cfg.Workers)
	designs := make([][]Member, len(runs))
	for i := range runs {
		if runs[i].Traffic == nil {
			runs[i].Traffic = traffic
		}
		if runs[i].Latency == nil {
			runs[i].Latency = tables
		}
		if runs[i].Pool == nil {
			runs[i].Pool = pool
		}
		seed := runs[i].Seed
		if seed == 0 {
			seed = plan.Seed
		}
		designs[i] = Design(u, seed, runs[i].Mode)
	}
	nominal := make([]*sim.Result, len(runs))
	nominalErr := make([]error, len(runs))
	members := make([][]memberRun, len(runs))
	memberErr := make([][]error, len(runs))
	var g errgroup.Group
	g.SetLimit(cfg.Workers)
	for _, i := range longestFirst(plan, runs) {
		opts := runs[i]
		members[i] = make([]memberRun, len(designs[i]))
		memberErr[i] = make([]error, len(designs[i]))
		g.Go(func() error {
			if cfg.Started != nil {
				cfg.Started(i)
			}
			nominal[i], nominalErr[i] = sim.RunContext(ctx, plan, opts)
			return nil
		})
		for j, m := range designs[i] {
			g.Go(func() error {
				if ctx.Err() != nil {
					return nil
				}
				o := opts
				o.Factors = m.Factors
				if m.Seed != 0 {
					o.Seed = m.Seed
				}
				res, err := sim.RunContext(ctx, plan, o)
				if err != nil {
					memberErr[i][j] = fmt.Errorf("ensemble member %d (%s): %w", j+1, describe(m), err)
					return nil
				}
				members[i][j] = keep(res)
				return nil
			})
		}
	}
	g.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for i := range runs {
		if nominalErr[i] != nil {
			return nil, &RunError{Run: i, Err: nominalErr[i]}
		}
		for _, err := range memberErr[i] {
			if err != nil {
				return nil, &RunError{Run: i, Err: err}
			}
		}
		if len(members[i]) > 0 {
			bracket(nominal[i], members[i])
		}
	}
	return nominal, nil
}

// longestFirst is the order to start runs in: DES runs by their estimated
// requests (sim.EstimateWork), the most first, so that a long scenario
// started last does not run alone while the other workers idle (Graham's
// LPT rule); fluid runs, ties and runs it cannot estimate keep their given
// order. The order changes when runs finish, never what they compute.
func longestFirst(plan *scenarios.Plan, runs []sim.Options) []int {
	cost := make([]float64, len(runs))
	for i, o := range runs {
		if o.Mode != sim.ModeDES {
			continue
		}
		if w, err := sim.EstimateWork(plan, o); err == nil {
			cost[i] = w.DESRequests
		}
	}
	order := make([]int, len(runs))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(cost[b], cost[a]) })
	return order
}

// RunError is the first error of Run, in run order: Run is the index of
// the run (in the runs given) that failed, as itself or as one of its
// members.
type RunError struct {
	Run int
	Err error
}

func (e *RunError) Error() string { return e.Err.Error() }

// Unwrap returns the run's error.
func (e *RunError) Unwrap() error { return e.Err }

// Compare is sim.Compare with the uncertainty ensemble: every run of the
// comparison as written and per member (a member scales today's run and
// the proposed one by the same factors), the summaries bracketed.
func Compare(ctx context.Context, plan *scenarios.Plan, proposed map[string]*autoscalingv2.HorizontalPodAutoscalerSpec, base sim.Options, u *scenarios.Uncertainty, cfg Config) ([]sim.Comparison, error) {
	runs, names := sim.ComparisonRuns(plan, proposed, base)
	res, err := Run(ctx, plan, runs, u, cfg)
	if re, ok := err.(*RunError); ok {
		what := "current HPA"
		if re.Run%2 == 1 {
			what = "proposed HPA"
		}
		return nil, fmt.Errorf("scenario %s, %s: %w", runs[re.Run].Scenario, what, re.Err)
	}
	if err != nil {
		return nil, err
	}
	var out []sim.Comparison
	for i := range names {
		out = append(out, sim.CompareRuns(res[2*i], res[2*i+1], names[i])...)
	}
	return out, nil
}

// describe writes a member's factors for an error message.
func describe(m Member) string {
	f := m.Factors
	s := fmt.Sprintf("requestRate ×%.3f, serviceTime ×%.3f, cpu ×%.3f, memory ×%.3f", f.RequestRate, f.ServiceTime, f.CPU, f.Memory)
	if m.Seed != 0 {
		s += fmt.Sprintf(", seed %d", m.Seed)
	}
	return s
}

// memberRun is what an ensemble keeps of a member's run: per service (in
// the run's order) its summary and the series the bands spread.
type memberRun struct {
	summaries []sim.Summary
	series    [][]bandSample
}

// bandSample is one sample interval of a member, as the bands read it.
type bandSample struct{ p50, p95, p99, ready float64 }

func keep(res *sim.Result) memberRun {
	m := memberRun{summaries: make([]sim.Summary, len(res.Services)), series: make([][]bandSample, len(res.Services))}
	for k, s := range res.Services {
		m.summaries[k] = s.Summary
		bs := make([]bandSample, len(s.Series))
		for t, x := range s.Series {
			bs[t] = bandSample{p50: x.P50, p95: x.P95, p99: x.P99, ready: float64(x.Ready)}
		}
		m.series[k] = bs
	}
	return m
}

// bracket writes the members' intervals into the nominal result.
func bracket(res *sim.Result, members []memberRun) {
	xs := make([]float64, len(members))
	for k := range res.Services {
		sum := &res.Services[k].Summary
		for _, m := range Measures {
			for j, mr := range members {
				xs[j] = m.Get(mr.summaries[k])
			}
			iv := model.IntervalOf(xs)
			*m.Range(sum) = &iv
		}
		res.Services[k].Bands = bands(members, k, len(res.Services[k].Series))
	}
}

// bands spreads service k's series over the members, sample by sample; a
// latency no member measured in a sample (no request served) is NaN.
func bands(members []memberRun, k, n int) *sim.SeriesBands {
	b := &sim.SeriesBands{
		P50: make([]model.Interval, n), P95: make([]model.Interval, n),
		P99: make([]model.Interval, n), Ready: make([]model.Interval, n),
	}
	xs := make([]float64, 0, len(members))
	spread := func(t int, get func(bandSample) float64) model.Interval {
		xs = xs[:0]
		for _, m := range members {
			if s := m.series[k]; t < len(s) {
				if v := get(s[t]); v >= 0 {
					xs = append(xs, v)
				}
			}
		}
		if len(xs) == 0 {
			return model.Interval{P10: math.NaN(), P50: math.NaN(), P90: math.NaN()}
		}
		return model.IntervalOf(xs)
	}
	for t := range n {
		b.P50[t] = spread(t, func(s bandSample) float64 { return s.p50 })
		b.P95[t] = spread(t, func(s bandSample) float64 { return s.p95 })
		b.P99[t] = spread(t, func(s bandSample) float64 { return s.p99 })
		b.Ready[t] = spread(t, func(s bandSample) float64 { return s.ready })
	}
	return b
}
