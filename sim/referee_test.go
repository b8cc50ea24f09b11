package sim

import (
	"flag"
	"fmt"
	"math"
	"testing"

	"github.com/headroom-dev/headroom/internal/genplan"
	"github.com/headroom-dev/headroom/scenarios"
)

// -referee-long runs the referee's long replications and every NOA scenario in both
// modes (minutes of CPU): go test ./sim -run Referee -referee-long -v
var refereeLong = flag.Bool("referee-long", false, "run the long DES referee replications")

// agreement is how the fluid and DES runs of one service compare.
type agreement struct {
	service, scenario string
	// fluidP95, desP95: arrival-weighted means of the per-window p95,
	// seconds, over the settled windows (see settled): the same queue in
	// both modes, so the same answer is due; windows is how many.
	fluidP95, desP95 float64
	windows          int
	// sameReplicas is the fraction of windows with equal desired replicas.
	sameReplicas     float64
	fluidErr, desErr float64 // error percent
	fluidSLO, desSLO float64 // SLO-violation minutes
}

func (a agreement) relP95() float64 { return (a.desP95 - a.fluidP95) / a.fluidP95 }

func (a agreement) String() string {
	return fmt.Sprintf("%-16s %-16s p95 fluid %.4gs des %.4gs (%+.1f%%, %d windows), same replicas %.0f%%, errors %.3g%% / %.3g%%, SLO minutes %.1f / %.1f",
		a.scenario, a.service, a.fluidP95, a.desP95, 100*a.relP95(), a.windows, 100*a.sameReplicas, a.fluidErr, a.desErr, a.fluidSLO, a.desSLO)
}

// settledWindows is how long both modes must have run the same Ready pods
// without errors before a window counts: overload transients depend on the
// exact moment of each scale event and the backlog built until then.
const settledWindows = 5

// settled reports whether window j and the settledWindows before it had
// the same Ready pods in both modes, served requests and failed none.
func settled(f, d []Sample, j int) bool {
	if j < settledWindows {
		return false
	}
	for k := j - settledWindows; k <= j; k++ {
		x, y := f[k], d[k]
		if x.Ready != y.Ready || x.P95 < 0 || y.P95 < 0 || x.Errors > 1e-9*x.Lambda || y.Errors > 0 {
			return false
		}
	}
	return true
}

func compareModes(fluid, des *Result) []agreement {
	var out []agreement
	for i := range fluid.Services {
		f, d := fluid.Services[i], des.Services[i]
		a := agreement{service: f.Service, scenario: fluid.Scenario, fluidErr: f.Summary.ErrorPercent, desErr: d.Summary.ErrorPercent,
			fluidSLO: f.Summary.SLOViolationMinutes, desSLO: d.Summary.SLOViolationMinutes}
		var wf, wd, w float64
		same := 0
		for j := range f.Series {
			x, y := f.Series[j], d.Series[j]
			if x.Desired == y.Desired {
				same++
			}
			if !settled(f.Series, d.Series, j) {
				continue
			}
			wf += x.P95 * x.Lambda
			wd += y.P95 * x.Lambda
			w += x.Lambda
			a.windows++
		}
		a.fluidP95, a.desP95 = wf/w, wd/w
		a.sameReplicas = float64(same) / float64(len(f.Series))
		out = append(out, a)
	}
	return out
}

// nagreement is what the referee expects of one service: p95 within
// p95Tol, and at least sameReplicas of the windows with equal replicas.
// where the modes differ by design, why says so (docs-pending/des.md has
// the numbers).
type expectation struct {
	p95Tol, sameReplicas float64
	// desAbove: the difference is known and one-sided; DES's p95 must be
	// at least the fluid's (the test then checks the direction only).
	desAbove bool
	why      string
}

var refereeExpect = map[string]expectation{
	// Exponential or gamma service, CPU limit above what the worker slots
	// use: the same queue in both modes.
	"noa-claude-flow": {p95Tol: 0.10, sameReplicas: 1},
	"noa-ui":          {p95Tol: 0.10, sameReplicas: 1},
	"noa-workers":     {p95Tol: 0.10, sameReplicas: 1},
	// Gamma service (cs² 1.9, fitted to p95 600 ms) on 2 slots at the
	// CPU limit; the fluid mode's G/G/2 response time is the two-moment
	// (Allen–Cunneen) approximation. And the HPA differs: at 7 pods the
	// fluid CPU utilisation ratio is 0.857, just below the 0.9 tolerance
	// band; DES's per-pod Poisson noise puts single samples inside the
	// band, and the 300 s scale-down stabilisation window keeps the
	// highest recommendation, so DES often holds 7 where fluid goes to 6.
	"noa-mcp": {p95Tol: 0.25, sameReplicas: 0.30,
		why: "G/G/2 two-moment approximation; HPA near its tolerance band sees DES noise"},
	// A running request needs more CPU than the limit gives it (redis:
	// 0.75 cores against 250m; postgres: 2.5 requests at full speed against
	// 20 connections). DES shares the limit among running requests
	// (processor sharing); the fluid mode reads the pod as ⌈x⌉ slots at the
	// limit's throughput (throttledWorkload): exact for redis's one slot,
	// where the modes agree within 2 % below capacity (+21 % in
	// daily-growth-2x's overload, where DES's FCFS queue also spends its
	// capacity on requests whose clients left); for postgres three FCFS
	// slots stand in for sharing among twenty, and its p95 is 16–21 %
	// above DES's (the burn within 7 %).
	"noa-postgres": {p95Tol: 0.25, sameReplicas: 1, why: "⌈x⌉ = 3 FCFS slots for a CPU limit shared by 20 connections"},
	"noa-redis":    {p95Tol: 0.25, sameReplicas: 1, why: "one slot at the CPU limit's speed; overload: DES goodput collapse"},
}

// refereeOverride holds the scenario-specific exceptions.
var refereeOverride = map[[2]string]expectation{
	// Pinned at maxReplicas 4 in the high window with ρ > 1: a backlog
	// builds for minutes before the 10-minute timeout fails anything, so
	// windows count as settled while it grows; its latency is the fluid
	// mode's drain estimate (idle p95 + backlog/μ) against DES's FCFS wait.
	{"daily-growth-2x", "noa-workers"}: {p95Tol: 1.0, sameReplicas: 0.8, why: "overloaded at maxReplicas: backlog drain estimate"},
}

// TestReferee_FluidAgainstDES_NOA runs the bundled NOA plan in both modes
// and holds the fluid mode to the DES referee service by service. By
// default one scenario (growth-2x, without the two database services whose
// request volume is highest); -referee-long runs every scenario and service.
func TestReferee_FluidAgainstDES_NOA(t *testing.T) {
	scs := []string{"growth-2x"}
	svcs := []string{"noa-mcp", "noa-claude-flow", "noa-ui", "noa-workers"}
	if *refereeLong {
		scs, svcs = []string{"daily", "growth-2x", "daily-growth-2x", "event-spike"}, nil
	}
	p := noa(t)
	for _, sc := range scs {
		var use []string
		for _, s := range svcs {
			if p.Scenario(sc).AppliesTo(s) {
				use = append(use, s)
			}
		}
		fl, err := Run(p, Options{Scenario: sc, Services: use})
		if err != nil {
			t.Fatal(err)
		}
		de, err := Run(p, Options{Scenario: sc, Services: use, Mode: ModeDES})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range compareModes(fl, de) {
			e, ok := refereeOverride[[2]string{sc, a.service}]
			if !ok {
				e = refereeExpect[a.service]
			}
			t.Logf("%s  %s", a, e.why)
			switch {
			case a.windows == 0:
				t.Errorf("%s %s: no window with equal Ready pods to compare", sc, a.service)
			case e.desAbove && a.desP95 < a.fluidP95:
				t.Errorf("%s %s: DES p95 %.4g below fluid %.4g, but throttling should only slow DES", sc, a.service, a.desP95, a.fluidP95)
			case !e.desAbove && math.Abs(a.relP95()) > e.p95Tol:
				t.Errorf("%s %s: p95 fluid %.4g, DES %.4g: %+.1f%% off, bound %.0f%%", sc, a.service, a.fluidP95, a.desP95, 100*a.relP95(), 100*e.p95Tol)
			}
			if a.sameReplicas < e.sameReplicas {
				t.Errorf("%s %s: replicas equal in %.0f%% of windows, want ≥ %.0f%%", sc, a.service, 100*a.sameReplicas, 100*e.sameReplicas)
			}
		}
	}
}

// burnRow is one service-scenario's error-budget burn in both modes.
type burnRow struct {
	scenario, service string
	fluid             float64
	des               []float64 // one per seeded replication
	fluidWorst        float64
	desWorst          []float64
	// fluidPodHours and desPodHours are the pod-hours the HPA ran.
	fluidPodHours float64
	desPodHours   []float64
}

func mean(xs []float64) float64 {
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

func (r burnRow) desMean() float64 { return mean(r.des) }

// agrees is the referee's bound on the burn: within 15 % of DES's mean, or
// within 0.05 where the burn is below 0.3.
func (r burnRow) agrees() bool {
	d := r.desMean()
	if math.Max(d, r.fluid) < 0.3 {
		return math.Abs(r.fluid-d) <= 0.05
	}
	return math.Abs(r.fluid-d) <= 0.15*d
}

func (r burnRow) String() string {
	rel := "       —"
	if d := r.desMean(); d > 0 {
		rel = fmt.Sprintf("%+7.1f%%", 100*(r.fluid-d)/d)
	}
	return fmt.Sprintf("| %-16s | %-16s | %8.4f | %8.4f | %s | %8.4f | %8.4f | %v |", r.scenario, r.service, r.fluid, r.desMean(), rel,
		r.fluidWorst, mean(r.desWorst), r.des)
}

// burns runs scenario sc of plan p in fluid mode once and in DES mode with
// the given seeds.
func burns(t *testing.T, p *scenarios.Plan, sc string, services []string, seeds []int64) []burnRow {
	fl, err := Run(p, Options{Scenario: sc, Services: services})
	if err != nil {
		t.Fatal(err)
	}
	rows := make([]burnRow, len(fl.Services))
	for i, s := range fl.Services {
		rows[i] = burnRow{scenario: sc, service: s.Service, fluid: s.Summary.SLOBudgetBurn, fluidWorst: s.Summary.WorstWindowBurn,
			fluidPodHours: s.Summary.PodHours}
	}
	for _, seed := range seeds {
		de, err := Run(p, Options{Scenario: sc, Services: services, Mode: ModeDES, Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		for i, s := range de.Services {
			rows[i].des = append(rows[i].des, s.Summary.SLOBudgetBurn)
			rows[i].desWorst = append(rows[i].desWorst, s.Summary.WorstWindowBurn)
			rows[i].desPodHours = append(rows[i].desPodHours, s.Summary.PodHours)
		}
	}
	return rows
}

// burnException is a service-scenario where the fluid burn is known to
// miss the referee's bound, why, and the looser relative bound it is held
// to instead (docs/des-and-sweeps.md has the numbers).
type burnException struct {
	rel float64
	why string
}

var burnExceptions = map[[2]string]burnException{
	// noa-workers in daily-growth-2x's high window (-referee-long): 14
	// jobs/s against 12/s on 3 pods and 16/s on 4 (maxReplicas), the HPA
	// on a lagged queue-depth metric flipping 3 ↔ 4 every 10–15 minutes
	// with 300–1000 jobs queued; which flips DES makes, and when, follows
	// its queue's noise. Fluid counts 8.10, DES 6.80–7.23 (+16 %).
	{"daily-growth-2x", "noa-workers"}: {rel: 0.20, why: "drain at maxReplicas, HPA flipping 3 ↔ 4 on a noisy queue-depth metric"},
}

// checkBurns holds the rows to the referee's bound, or to their exception's.
func checkBurns(t *testing.T, rows []burnRow) {
	t.Helper()
	for _, r := range rows {
		e, known := burnExceptions[[2]string{r.scenario, r.service}]
		t.Logf("%s %s", r, e.why)
		switch d := r.desMean(); {
		case r.agrees():
		case known && math.Abs(r.fluid-d) <= e.rel*d:
		default:
			t.Errorf("%s %s: fluid burn %.4g, DES mean %.4g over %d seeds (%v): outside 15%% (0.05 below 0.3)", r.scenario, r.service, r.fluid, d, len(r.des), r.des)
		}
	}
}

// TestReferee_BurnNOA holds the fluid mode's error-budget burn to DES's
// mean over three seeds on every service of the NOA plan: growth-2x by
// default, every scenario with -referee-long (minutes).
func TestReferee_BurnNOA(t *testing.T) {
	scs := []string{"growth-2x"}
	if *refereeLong {
		scs = []string{"growth-2x", "event-spike", "daily", "daily-growth-2x"}
	}
	p := noa(t)
	for _, sc := range scs {
		checkBurns(t, burns(t, p, sc, nil, []int64{1, 2, 3}))
	}
}

// TestReferee_BurnGenerated holds the fluid burn to DES's on small plans
// from internal/genplan (the generator behind hack/genplan): six
// services, three plan seeds, the one-hour growth scenario by default and
// the six-hour 3× spike with -referee-long.
func TestReferee_BurnGenerated(t *testing.T) {
	scs := []string{"sc-3"}
	if *refereeLong {
		scs = []string{"sc-3", "sc-2"}
	}
	for _, seed := range []uint64{1, 2, 3} {
		p, err := scenarios.Parse(fmt.Sprintf("genplan-%d.yaml", seed), []byte(genplan.Generate(6, 4, seed)))
		if err != nil {
			t.Fatal(err)
		}
		for _, sc := range scs {
			rows := burns(t, p, sc, nil, []int64{1, 2, 3})
			for i := range rows {
				rows[i].scenario = fmt.Sprintf("%s/%d", sc, seed)
			}
			checkBurns(t, rows)
		}
	}
}
