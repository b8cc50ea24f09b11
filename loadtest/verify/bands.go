package verify

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"time"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/headroom-dev/headroom/loadtest"
	"github.com/headroom-dev/headroom/scenarios"
	"github.com/headroom-dev/headroom/sim"
)

// Sampling bands. A bucket of a load test holds a finite number of
// requests, so even a perfect model's prediction and the measurement
// differ by sampling noise, and at high load a few seconds' p95 is mostly
// noise. Rather than a fixed bar on the relative error, Compare replays
// the scenario through the request-level simulation (DES) R times with
// different seeds and, per bucket, takes the band between two order
// statistics of the R replicated values. For R replications and the k-th
// smallest and k-th largest as the band, a new draw from the same
// distribution falls outside it with probability exactly 2k/(R+1) (the
// ranks of R+1 exchangeable draws are uniform; David & Nagaraja, "Order
// Statistics", 3rd ed., §7.2 on distribution-free tolerance intervals).
//
// The verdict, per metric: the number of buckets whose measurement falls
// outside its band is Binomial(n, 2k/(R+1)) under a correct model; a
// one-sided binomial test rejects when that many or more misses have
// probability below the level. The whole run gets its own test: the
// measured whole-run statistic against the R replicated ones by a
// prediction interval (Student t with R−1 degrees of freedom, half-width
// t·s·√(1+1/R); on the logarithm of throughput, mean and p95, whose
// replicated values are right-skewed). The tests share the level by Holm's
// step-down procedure.
const (
	// DefaultReplications is R: with k = 2 the band is the 5.0 %–95.0 %
	// span of 39 replications, missed by a correct model with probability
	// 4/40 = 0.1.
	DefaultReplications = 39
	// MinReplications is the fewest replications a band is built from.
	MinReplications = 30
	// DefaultLevel is the family-wise level of the band verdict: a
	// correct model is called DISAGREE in at most about this fraction of
	// runs.
	DefaultLevel = 0.05
	// DefaultBandBudget bounds the time the replications may take.
	DefaultBandBudget = 2 * time.Minute
)

// Band is the spread of a statistic over the replications: the median and
// the band a correct model's measurement falls in with probability
// Coverage (Comparison.BandCoverage). Outside says the measurement did not.
type Band struct {
	Median  float64 `json:"median"`
	Low     float64 `json:"low"`
	High    float64 `json:"high"`
	Outside bool    `json:"outside,omitempty"`
}

// BandTest is the verdict of one metric: how many buckets fell outside
// their bands against how many chance allows, and the whole run.
type BandTest struct {
	Metric string `json:"metric"`
	// Buckets were tested; Outside fell outside their bands; Expected is
	// the outside fraction of a correct model.
	Buckets  int     `json:"buckets"`
	Outside  int     `json:"outside"`
	Expected float64 `json:"expected"`
	// PValue is P(Binomial(Buckets, Expected) ≥ Outside).
	PValue float64 `json:"pValue"`
	// Whole is the whole run: the measured statistic, the band of the
	// replicated ones and the prediction-interval p-value.
	WholeMeasured float64 `json:"wholeMeasured"`
	Whole         Band    `json:"whole"`
	WholePValue   float64 `json:"wholePValue"`
	// Pass: neither p-value was rejected by Holm's step-down procedure at
	// the comparison's level; Threshold is the level the smaller p-value
	// was held to.
	Pass      bool    `json:"pass"`
	Threshold float64 `json:"threshold"`
	// degenerate: every replication gave the same values (a service that
	// never fails predicts an error rate of 0): under a correct model the
	// test cannot fail, so it takes no share of the level, and it fails
	// only on a p-value of 0.
	degenerate bool
}

// holm judges the tests' p-values (two per test) by Holm's step-down
// procedure (Holm, "A simple sequentially rejective multiple test
// procedure", Scand. J. Statist. 6, 1979), which keeps the family-wise
// level like Bonferroni's and rejects at least as much: sorted ascending,
// the i-th smallest of m p-values is rejected while p_(i) < level/(m − i).
// Degenerate tests take no share of the level and fail only at p = 0.
func holm(tests []BandTest, level float64) {
	type pv struct {
		p    float64
		test int
	}
	var ps []pv
	for i := range tests {
		t := &tests[i]
		t.Pass = true
		if t.degenerate {
			t.Threshold = 0
			t.Pass = t.PValue > 0 && t.WholePValue > 0
			continue
		}
		ps = append(ps, pv{t.PValue, i}, pv{t.WholePValue, i})
	}
	slices.SortStableFunc(ps, func(a, b pv) int {
		switch {
		case a.p < b.p:
			return -1
		case a.p > b.p:
			return 1
		}
		return 0
	})
	m := len(ps)
	seen := make(map[int]bool)
	for i, x := range ps {
		th := level / float64(m-i)
		if !seen[x.test] {
			tests[x.test].Threshold = th
			seen[x.test] = true
		}
		if x.p >= th {
			break // Holm stops at the first p-value it keeps
		}
		tests[x.test].Pass = false
	}
}

// wholeP is the whole-run prediction-interval p-value: on the logarithm
// for the positive statistics (throughput, mean, p95), whose replicated
// values are right-skewed (a heavy-tailed service time makes a few runs
// much slower), on the value itself otherwise.
func wholeP(metric string, x float64, xs []float64) float64 {
	if metric == MetricThroughput || metric == MetricMean || metric == MetricP95 {
		if x > 0 && !slices.ContainsFunc(xs, func(y float64) bool { return !(y > 0) && !math.IsNaN(y) }) {
			lx := make([]float64, len(xs))
			for i, y := range xs {
				lx[i] = math.Log(y)
			}
			return predictionP(math.Log(x), lx)
		}
	}
	return predictionP(x, xs)
}

// constant: the finite values are all equal (or there are none).
func constant(xs []float64) bool {
	first, have := 0.0, false
	for _, x := range xs {
		if math.IsNaN(x) {
			continue
		}
		if have && x != first {
			return false
		}
		first, have = x, true
	}
	return true
}

// constantBuckets: in every compared bucket the replications agree.
func constantBuckets(reps []replica, rowBucket []int, pred func(replica, int) float64) bool {
	for _, i := range rowBucket {
		vals := make([]float64, len(reps))
		for r, rep := range reps {
			vals[r] = pred(rep, i)
		}
		if !constant(vals) {
			return false
		}
	}
	return true
}

// Metrics of the band tests.
const (
	MetricThroughput = "throughput"
	MetricMean       = "mean"
	MetricP95        = "p95"
	MetricErrorRate  = "errorRate"
	MetricReplicas   = "replicas"
)

// replica is what one replication predicts per bucket, NaN where it has
// no value (no request served in the bucket).
type replica struct {
	rate, mean, p95, errRate, ready []float64
	// served, seconds for the whole-run statistics.
	served []float64
}

// replicate runs R seeded DES replications of the scenario in parallel,
// within budget, sampled at width.
func replicate(ctx context.Context, plan *scenarios.Plan, svc, sc string, width, total time.Duration, opts CompareOptions) ([]replica, error) {
	r := opts.Replications
	if r == 0 {
		r = DefaultReplications
	}
	budget := opts.BandBudget
	if budget <= 0 {
		budget = DefaultBandBudget
	}
	ctx, cancel := context.WithTimeout(ctx, budget)
	defer cancel()
	base := plan.Seed
	if opts.Seed != 0 {
		base = opts.Seed
	}
	n := int(math.Ceil(float64(total) / float64(width)))
	out := make([]replica, r)
	errs := make([]error, r)
	workers := min(max(runtime.GOMAXPROCS(0), 1), r)
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				out[i], errs[i] = replicateOne(ctx, plan, svc, sc, width, n, replicaSeed(base, i), opts.Arrivals)
			}
		}()
	}
	for i := range r {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	// Keep the replications that finished, in seed order, up to the first
	// that did not: the same seeds give the same bands.
	var done []replica
	for i := range r {
		if errs[i] != nil || out[i].rate == nil {
			if errs[i] != nil && ctx.Err() == nil {
				return nil, errs[i]
			}
			break
		}
		done = append(done, out[i])
	}
	return done, nil
}

// replicaSeed is replication i's seed: distinct, and never 0 (which would
// mean the plan's).
func replicaSeed(base int64, i int) int64 {
	s := base*1_000_003 + int64(i) + 1
	if s == 0 {
		s = 1
	}
	return s
}

func replicateOne(ctx context.Context, plan *scenarios.Plan, svc, sc string, width time.Duration, n int, seed int64, arrivals string) (replica, error) {
	rep := replica{rate: nans(n), mean: nans(n), p95: nans(n), errRate: nans(n), ready: nans(n), served: make([]float64, n)}
	at := func(t time.Duration) int { return min(max(int((t-width)/width), 0), n-1) }
	res, err := sim.RunContext(ctx, plan, sim.Options{Scenario: sc, Services: []string{svc}, Seed: seed, SampleEvery: width,
		Mode: sim.ModeDES, Arrivals: sim.Arrivals(arrivals),
		OnInterval: func(iv sim.Interval) {
			if iv.Service != svc {
				return
			}
			i := at(iv.T)
			rep.served[i] = float64(iv.Served)
			rep.rate[i] = float64(iv.Served) / width.Seconds()
			if iv.Served > 0 {
				rep.mean[i], rep.p95[i] = iv.Mean, iv.P95
			}
			if iv.Arrivals > 0 {
				rep.errRate[i] = iv.Errors / iv.Arrivals
			} else {
				rep.errRate[i] = 0
			}
		}})
	if err != nil {
		return replica{}, err
	}
	for _, s := range res.Services {
		if s.Service == svc {
			for _, smp := range s.Series {
				rep.ready[at(smp.T.D())] = float64(smp.Ready)
			}
		}
	}
	return rep, nil
}

func nans(n int) []float64 {
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = math.NaN()
	}
	return xs
}

// bandOf is the median and the k-th smallest and largest of the finite
// values; ok is false when fewer than MinReplications have one.
func bandOf(xs []float64, k int) (Band, bool) {
	v := make([]float64, 0, len(xs))
	for _, x := range xs {
		if !math.IsNaN(x) {
			v = append(v, x)
		}
	}
	if len(v) < MinReplications {
		return Band{}, false
	}
	slices.Sort(v)
	med := v[len(v)/2]
	if len(v)%2 == 0 {
		med = (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	return Band{Median: med, Low: v[k-1], High: v[len(v)-k]}, true
}

// errorRatePad is added to either side of an error-rate band: the DES of
// a healthy service predicts no errors at all, and a stray transport error
// or two (0.5 % of a bucket at most) is no evidence against the model.
const errorRatePad = AgreeErrorRatePoints / 2

// pad widens an error-rate band by errorRatePad.
func (b Band) pad(metric string) Band {
	if metric == MetricErrorRate {
		b.Low, b.High = math.Max(b.Low-errorRatePad, 0), b.High+errorRatePad
	}
	return b
}

// widen stretches the band about its median by f.
func (b Band) widen(f float64) Band {
	if f == 1 {
		return b
	}
	b.Low, b.High = widenOne(b.Low, b.Median, f), widenOne(b.High, b.Median, f)
	return b
}

func widenOne(x, median, f float64) float64 { return median + (x-median)*f }

// bandK is the order statistic of the band for R replications: the k
// nearest to 5 % of R+1, at least 1.
func bandK(r int) int { return max(1, int(math.Round(0.05*float64(r+1)))) }

// binomialTail is P(X ≥ k) for X ~ Binomial(n, p).
func binomialTail(n, k int, p float64) float64 {
	if k <= 0 {
		return 1
	}
	if k > n {
		return 0
	}
	return 1 - distuv.Binomial{N: float64(n), P: p}.CDF(float64(k-1))
}

// predictionP is the two-sided p-value of x as one more draw from the
// distribution xs came from (Student t prediction interval).
func predictionP(x float64, xs []float64) float64 {
	var v []float64
	for _, y := range xs {
		if !math.IsNaN(y) {
			v = append(v, y)
		}
	}
	if len(v) < 2 || math.IsNaN(x) {
		return 1
	}
	m, s := 0.0, 0.0
	for _, y := range v {
		m += y
	}
	m /= float64(len(v))
	for _, y := range v {
		s += (y - m) * (y - m)
	}
	s = math.Sqrt(s / float64(len(v)-1))
	if s == 0 {
		if x == m {
			return 1
		}
		return 0
	}
	t := (x - m) / (s * math.Sqrt(1+1/float64(len(v))))
	return 2 * distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(len(v) - 1)}.CDF(-math.Abs(t))
}

// wholeRun is a run's whole-run statistics from its buckets: throughput
// the served over the seconds, mean and p95 the served-weighted means of
// the bucket means and p95s (the same statistic on both sides), error
// rate and replicas the bucket means.
func wholeRun(rate, mean, p95, errRate, ready, served, seconds []float64, use []bool) map[string]float64 {
	var sv, sec, mw, pw, mwN, er, erN, rd, rdN float64
	for i := range rate {
		if !use[i] {
			continue
		}
		if !math.IsNaN(rate[i]) {
			sv += rate[i] * seconds[i]
			sec += seconds[i]
		}
		if !math.IsNaN(mean[i]) && served[i] > 0 {
			mw += mean[i] * served[i]
			pw += p95[i] * served[i]
			mwN += served[i]
		}
		if !math.IsNaN(errRate[i]) {
			er += errRate[i]
			erN++
		}
		if !math.IsNaN(ready[i]) {
			rd += ready[i]
			rdN++
		}
	}
	div := func(a, b float64) float64 {
		if b == 0 {
			return math.NaN()
		}
		return a / b
	}
	return map[string]float64{MetricThroughput: div(sv, sec), MetricMean: div(mw, mwN), MetricP95: div(pw, mwN), MetricErrorRate: div(er, erN), MetricReplicas: div(rd, rdN)}
}

// measuredBucket is one bucket's measured statistics for the bands.
type measuredBucket struct {
	rate, mean, p95, errRate, ready, served, seconds float64
}

func measuredOf(bs *buckets, i int, row CompareRow) measuredBucket {
	a := bs.b[i]
	m := measuredBucket{rate: row.MeasuredRate, mean: math.NaN(), p95: math.NaN(), errRate: row.MeasuredErrorRate, ready: math.NaN(),
		served: float64(a.ok), seconds: a.wall}
	if a.hist != nil && a.hist.Count() > 0 {
		m.mean, m.p95 = a.hist.Mean(), row.MeasuredP95
	}
	if row.MeasuredReplicas != nil {
		m.ready = *row.MeasuredReplicas
	}
	return m
}

// applyBands fills the rows' bands from the replications and judges.
// rowBucket maps a row to its bucket index.
func (c *Comparison) applyBands(bs *buckets, rowBucket []int, reps []replica, level float64, res *loadtest.Result) {
	k := bandK(len(reps))
	c.Replications = len(reps)
	c.BandCoverage = 1 - 2*float64(k)/float64(len(reps)+1)
	c.Level = level
	expected := 1 - c.BandCoverage
	type metric struct {
		name string
		pred func(r replica, i int) float64
		meas func(m measuredBucket) float64
		set  func(row *CompareRow, b *Band)
	}
	metrics := []metric{
		{MetricThroughput, func(r replica, i int) float64 { return r.rate[i] }, func(m measuredBucket) float64 { return m.rate }, func(row *CompareRow, b *Band) { row.RateBand = b }},
		{MetricMean, func(r replica, i int) float64 { return r.mean[i] }, func(m measuredBucket) float64 { return m.mean }, func(row *CompareRow, b *Band) { row.MeanBand = b }},
		{MetricP95, func(r replica, i int) float64 { return r.p95[i] }, func(m measuredBucket) float64 { return m.p95 }, func(row *CompareRow, b *Band) { row.P95Band = b }},
		{MetricErrorRate, func(r replica, i int) float64 { return r.errRate[i] }, func(m measuredBucket) float64 { return m.errRate }, func(row *CompareRow, b *Band) { row.ErrorRateBand = b }},
		{MetricReplicas, func(r replica, i int) float64 { return r.ready[i] }, func(m measuredBucket) float64 { return m.ready }, func(row *CompareRow, b *Band) { row.ReplicasBand = b }},
	}
	// At speedup s a bucket of scenario time held 1/s of the requests the
	// replications put in it: the spread of its statistics is about √s
	// times theirs (the central limit theorem's 1/√n), so the bands are
	// widened by √s about their medians.
	stretch := 1.0
	if res.Speedup > 1 {
		stretch = math.Sqrt(res.Speedup)
	}
	nb := len(bs.b)
	use := make([]bool, nb)
	meas := make([]measuredBucket, nb)
	for j, i := range rowBucket {
		use[i] = true
		meas[i] = measuredOf(bs, i, c.Rows[j])
		c.Rows[j].MeasuredMean = meas[i].mean
	}
	// Whole-run statistics: measured, and per replication.
	col := func(f func(m measuredBucket) float64) []float64 {
		out := make([]float64, nb)
		for i := range out {
			out[i] = math.NaN()
			if use[i] {
				out[i] = f(meas[i])
			}
		}
		return out
	}
	seconds := make([]float64, nb)
	for i := range seconds {
		seconds[i] = bs.width.Seconds()
	}
	mw := wholeRun(col(func(m measuredBucket) float64 { return m.rate }), col(func(m measuredBucket) float64 { return m.mean }),
		col(func(m measuredBucket) float64 { return m.p95 }), col(func(m measuredBucket) float64 { return m.errRate }),
		col(func(m measuredBucket) float64 { return m.ready }), col(func(m measuredBucket) float64 { return m.served }),
		col(func(m measuredBucket) float64 { return m.seconds }), use)
	repWhole := make([]map[string]float64, len(reps))
	for r, rep := range reps {
		repWhole[r] = wholeRun(rep.rate, rep.mean, rep.p95, rep.errRate, rep.ready, rep.served, seconds, use)
	}

	var tests []BandTest
	for _, m := range metrics {
		t := BandTest{Metric: m.name, Expected: expected}
		for j, i := range rowBucket {
			x := m.meas(meas[i])
			if math.IsNaN(x) {
				continue
			}
			vals := make([]float64, len(reps))
			for r, rep := range reps {
				vals[r] = m.pred(rep, i)
			}
			b, ok := bandOf(vals, k)
			if !ok {
				continue
			}
			b = b.widen(stretch).pad(m.name)
			b.Outside = x < b.Low || x > b.High
			m.set(&c.Rows[j], &b)
			t.Buckets++
			if b.Outside {
				t.Outside++
			}
		}
		if t.Buckets == 0 {
			continue
		}
		t.PValue = binomialTail(t.Buckets, t.Outside, expected)
		t.WholeMeasured = mw[m.name]
		whole := make([]float64, len(reps))
		for r := range reps {
			whole[r] = repWhole[r][m.name]
		}
		if b, ok := bandOf(whole, k); ok {
			b = b.pad(m.name)
			b.Outside = t.WholeMeasured < b.Low || t.WholeMeasured > b.High
			t.Whole = b
		}
		t.WholePValue = wholeP(m.name, t.WholeMeasured, whole)
		t.degenerate = constant(whole) && constantBuckets(reps, rowBucket, m.pred)
		if m.name == MetricErrorRate && !t.Whole.Outside {
			// Within the padded band: a stray error or two against a
			// prediction of none is no evidence against the model.
			t.WholePValue = 1
		}
		tests = append(tests, t)
	}
	c.Tests = tests
	holm(c.Tests, level)
	for i := range c.Tests {
		t := &c.Tests[i]
		if !t.Pass {
			c.Reasons = append(c.Reasons, fmt.Sprintf("%s: %d of %d buckets outside their %.0f %% bands (a correct model: %.1f expected, p = %.2g); whole run %s, band %s–%s (p = %.2g); rejected at %.3g (Holm, level %g)",
				t.Metric, t.Outside, t.Buckets, c.BandCoverage*100, expected*float64(t.Buckets), t.PValue,
				fmtStat(t.Metric, t.WholeMeasured), fmtStat(t.Metric, t.Whole.Low), fmtStat(t.Metric, t.Whole.High), t.WholePValue, t.Threshold, level))
		}
	}
	if res.Speedup > 1 {
		c.Caveats = append(c.Caveats, fmt.Sprintf("at speedup %g a bucket of %s scenario time held %g× fewer requests than the replications' buckets: the bands are widened by √%g (an approximation; a run at speedup 1 has exact bands)", res.Speedup, bs.width, res.Speedup, res.Speedup))
	}
}

// fmtStat formats a statistic for a reason.
func fmtStat(metric string, x float64) string {
	switch metric {
	case MetricMean, MetricP95:
		return fmt.Sprintf("%.1f ms", x*1e3)
	case MetricErrorRate:
		return fmt.Sprintf("%.2f %%", x*100)
	case MetricThroughput:
		return fmt.Sprintf("%.2f/s", x)
	}
	return fmt.Sprintf("%.2f", x)
}
