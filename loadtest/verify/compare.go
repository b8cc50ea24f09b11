package verify

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/headroom-dev/headroom/loadtest"
	"github.com/headroom-dev/headroom/scenarios"
	"github.com/headroom-dev/headroom/sim"
)

// Agreement thresholds of a comparison: the measurement agrees with the
// prediction when every one holds.
const (
	// AgreeThroughputMAPE bounds the mean absolute percentage error of the
	// successful-request rate over the buckets.
	AgreeThroughputMAPE = 0.10
	// AgreeP95MAPE bounds it for the p95 response time.
	AgreeP95MAPE = 0.25
	// AgreeReplicasMAPE bounds it for Ready replicas (when watched).
	AgreeReplicasMAPE = 0.20
	// AgreeErrorRatePoints bounds the error rate's largest absolute
	// difference in any bucket (0.01 = one percentage point).
	AgreeErrorRatePoints = 0.01
)

// CompareOptions select what to compare a result with.
type CompareOptions struct {
	Service, Scenario string
	// Seed overrides the plan's seed when not 0.
	Seed int64
	// Buckets is how many rows the run is aggregated to (default 10).
	Buckets int
	// Replications is how many seeded DES replications make the sampling
	// bands the verdict uses (default DefaultReplications, at least
	// MinReplications); negative turns the bands off and the verdict
	// back to the fixed Agree* bounds on the MAPEs.
	Replications int
	// BandBudget bounds the replications' time (default
	// DefaultBandBudget); Level is the verdict's level (default
	// DefaultLevel).
	BandBudget time.Duration
	Level      float64
	// Arrivals is the run's arrival process for the replications:
	// "poisson" (the default) or "deterministic" (a constant-rate run).
	Arrivals string
}

// Comparison is a measured run held against the simulator's prediction of
// the same scenario, bucket by bucket in scenario time.
type Comparison struct {
	Service  string  `json:"service"`
	Scenario string  `json:"scenario"`
	Speedup  float64 `json:"speedup"`
	// BucketSeconds is the width of a row in scenario seconds.
	BucketSeconds float64      `json:"bucketSeconds"`
	Rows          []CompareRow `json:"rows"`
	// MAPE per metric (fraction); ErrorRateMaxDiff the largest absolute
	// difference of the error rate; ReplicasMAPE is nil when no replica
	// counts were watched.
	ThroughputMAPE   float64  `json:"throughputMAPE"`
	P95MAPE          float64  `json:"p95MAPE"`
	ErrorRateMaxDiff float64  `json:"errorRateMaxDiff"`
	ReplicasMAPE     *float64 `json:"replicasMAPE,omitempty"`
	// Worst names the largest relative deviation: metric and bucket.
	Worst   Deviation `json:"worst"`
	Agree   bool      `json:"agree"`
	Verdict string    `json:"verdict"`
	// Replications made the bands (0: no bands, the verdict is on the
	// MAPEs); BandCoverage is the probability a correct model's bucket
	// falls inside its band; Level the verdict's family-wise level; Tests
	// the per-metric band tests.
	Replications int        `json:"replications,omitempty"`
	BandCoverage float64    `json:"bandCoverage,omitempty"`
	Level        float64    `json:"level,omitempty"`
	Tests        []BandTest `json:"tests,omitempty"`
	Reasons      []string   `json:"reasons,omitempty"`
	Caveats      []string   `json:"caveats,omitempty"`
	Predicted    string     `json:"predictedBy"`
	// Errors says what the run's failures look like (nil without any);
	// informational for a single-endpoint run.
	Errors *ErrorDiagnosis `json:"errors,omitempty"`
	// Endpoints compares each endpoint of a request mix with the mixture
	// model; their reasons join the verdict.
	Endpoints []EndpointComparison `json:"endpoints,omitempty"`
}

// Deviation is one metric's deviation in one bucket.
type Deviation struct {
	Metric   string  `json:"metric"`
	Bucket   int     `json:"bucket"`
	Relative float64 `json:"relative"`
}

// CompareRow is one bucket. Rates are successful requests per second,
// latencies seconds, error rates fractions; Measured replicas are nil
// without watch samples in the bucket.
type CompareRow struct {
	FromSeconds        float64  `json:"fromSeconds"`
	ToSeconds          float64  `json:"toSeconds"`
	MeasuredRate       float64  `json:"measuredRate"`
	PredictedRate      float64  `json:"predictedRate"`
	MeasuredP95        float64  `json:"measuredP95"`
	PredictedP95       float64  `json:"predictedP95"`
	MeasuredErrorRate  float64  `json:"measuredErrorRate"`
	PredictedErrorRate float64  `json:"predictedErrorRate"`
	MeasuredReplicas   *float64 `json:"measuredReplicas,omitempty"`
	PredictedReplicas  float64  `json:"predictedReplicas"`
	Requests           int64    `json:"requests"`
	// MeasuredMean is the bucket's mean response time (NaN-free: 0
	// without requests); the bands are the replications' spread of each
	// statistic (nil without bands).
	MeasuredMean  float64 `json:"measuredMean"`
	RateBand      *Band   `json:"rateBand,omitempty"`
	MeanBand      *Band   `json:"meanBand,omitempty"`
	P95Band       *Band   `json:"p95Band,omitempty"`
	ErrorRateBand *Band   `json:"errorRateBand,omitempty"`
	ReplicasBand  *Band   `json:"replicasBand,omitempty"`
}

// Compare simulates the result's scenario with package sim and holds the
// measurement against it. The simulator plays the scenario at scenario
// time; measured windows map onto it by Window.ScenarioTime. With a
// speedup above 1 the real cluster saw the traffic compressed while its
// pods started and its HPA synced in real time, which the simulator does
// not reproduce: the comparison says so (Caveats). A cancelled ctx stops
// the simulation and returns ctx's error.
func Compare(ctx context.Context, plan *scenarios.Plan, res *loadtest.Result, opts CompareOptions) (*Comparison, error) {
	svcName, scName := opts.Service, opts.Scenario
	if svcName == "" {
		svcName = res.Service
	}
	if scName == "" {
		scName = res.Scenario
	}
	if svcName == "" || scName == "" {
		return nil, fmt.Errorf("the result names no service or scenario; give them (--service, --scenario)")
	}
	svc := plan.Service(svcName)
	if svc == nil {
		return nil, fmt.Errorf("plan %s has no service %q", plan.File(), svcName)
	}
	sc := plan.Scenario(scName)
	if sc == nil {
		return nil, fmt.Errorf("plan %s has no scenario %q", plan.File(), scName)
	}
	if len(res.Windows) == 0 {
		return nil, fmt.Errorf("the result has no windows: nothing was measured")
	}
	n := opts.Buckets
	if n <= 0 {
		n = 10
	}
	total := sc.Duration.D()
	width := max(total/time.Duration(n), time.Duration(math.Ceil(res.Speedup*res.Window.Seconds()))*time.Second)
	width = max(width.Truncate(time.Second), time.Second)

	sr, err := sim.RunContext(ctx, plan, sim.Options{Scenario: scName, Services: []string{svcName}, Seed: opts.Seed, SampleEvery: width})
	if err != nil {
		return nil, fmt.Errorf("simulate %s/%s: %w", svcName, scName, err)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	bs := newBuckets(total, width)
	bs.addMeasured(res)
	for _, s := range sr.Services {
		if s.Service == svcName {
			bs.addPredicted(s.Series)
		}
	}
	bs.addWatched(res)

	cmp := &Comparison{
		Service: svcName, Scenario: scName, Speedup: res.Speedup, BucketSeconds: width.Seconds(),
		Predicted: fmt.Sprintf("headroom sim, seed %d, sample %s", sr.Seed, width),
	}
	rowBucket := cmp.score(bs)
	if len(cmp.Rows) == 0 {
		return nil, fmt.Errorf("no measured window falls inside scenario %q (%s)", scName, total)
	}
	bands := opts.Replications >= 0
	if bands {
		if opts.Replications > 0 && opts.Replications < MinReplications {
			return nil, fmt.Errorf("replications must be at least %d, got %d", MinReplications, opts.Replications)
		}
		reps, err := replicate(ctx, plan, svcName, scName, width, total, opts)
		if err != nil {
			return nil, fmt.Errorf("replicate %s/%s: %w", svcName, scName, err)
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if len(reps) < MinReplications {
			cmp.Caveats = append(cmp.Caveats, fmt.Sprintf("only %d DES replications finished within the band budget (at least %d make a band): the verdict falls back to the fixed MAPE bounds; raise --band-budget", len(reps), MinReplications))
			bands = false
		} else {
			level := opts.Level
			if level <= 0 {
				level = DefaultLevel
			}
			cmp.applyBands(bs, rowBucket, reps, level, res)
			cmp.Predicted += fmt.Sprintf("; bands from %d DES replications", len(reps))
		}
	}
	if d := DiagnoseErrors(res.Windows); d.Cause != ErrorCauseNone {
		cmp.Errors = &d
	}
	var caveats []string
	cmp.Endpoints, caveats = compareEndpoints(svc, res, bs)
	cmp.Caveats = append(cmp.Caveats, caveats...)
	cmp.judgeEndpoints()
	cmp.judge(res, svc.HPA != nil, !bands)
	return cmp, nil
}

// bucket accumulates one row: what was measured (histogram and counts over
// wall seconds), what the simulation predicted (per sample), and the ready
// replicas watched.
type bucket struct {
	hist                           *loadtest.Histogram
	ok, completed, errors, dropped int64
	wall                           float64
	predOK, predArr, predErr       float64
	predP95w, predP95n             float64
	predReady, predSamples         float64
	watchReady, watchN             float64
	seen                           bool
}

// buckets split the scenario into rows of width scenario seconds.
type buckets struct {
	total, width time.Duration
	b            []bucket
}

func newBuckets(total, width time.Duration) *buckets {
	return &buckets{total: total, width: width, b: make([]bucket, int(math.Ceil(float64(total)/float64(width))))}
}

// at is the bucket of an instant in scenario seconds; instants outside the
// scenario go to the first or last.
func (bs *buckets) at(scenarioSeconds float64) *bucket {
	i := int(scenarioSeconds / bs.width.Seconds())
	return &bs.b[min(max(i, 0), len(bs.b)-1)]
}

// addMeasured adds the result's windows by their scenario time.
func (bs *buckets) addMeasured(res *loadtest.Result) {
	for _, w := range res.Windows {
		a := bs.at(w.ScenarioTime)
		if a.hist == nil {
			a.hist = loadtest.NewHistogram()
		}
		a.hist.Merge(w.Latency)
		a.completed += w.Completed
		a.errors += w.Errors
		a.dropped += w.Dropped
		a.ok += w.Completed - w.Errors
		a.wall += res.Window.Seconds()
		a.seen = true
	}
	// The last window may be shorter than Window: the planned length says.
	if last := res.Windows[len(res.Windows)-1]; !res.Interrupted {
		if extra := last.Offset + res.Window.Seconds() - res.Planned.Seconds(); extra > 0 && extra < res.Window.Seconds() {
			bs.at(last.ScenarioTime).wall -= extra
		}
	}
}

// addPredicted adds the simulation's samples, each of which covers the
// width before its instant.
func (bs *buckets) addPredicted(series []sim.Sample) {
	for _, s := range series {
		from := s.T.D() - bs.width
		a := bs.at(from.Seconds())
		every := bs.width.Seconds()
		arr := s.Lambda * every
		a.predArr += arr
		a.predErr += s.Errors
		a.predOK += math.Max(arr-s.Errors, 0)
		if s.P95 >= 0 && s.Lambda > 0 {
			a.predP95w += s.P95 * s.Lambda
			a.predP95n += s.Lambda
		}
		a.predReady += float64(s.Ready)
		a.predSamples++
	}
}

// addWatched adds the watch samples, their wall offsets mapped to
// scenario time.
func (bs *buckets) addWatched(res *loadtest.Result) {
	for _, ws := range res.Watch {
		a := bs.at(ws.Offset * res.Speedup)
		a.watchReady += float64(ws.ReadyReplicas)
		a.watchN++
	}
}

// row is bucket i's measured and predicted values.
func (bs *buckets) row(i int) CompareRow {
	a, width := bs.b[i], bs.width.Seconds()
	row := CompareRow{
		FromSeconds: float64(i) * width,
		ToSeconds:   math.Min(float64(i+1)*width, bs.total.Seconds()),
		Requests:    a.completed,
	}
	row.MeasuredRate = float64(a.ok) / a.wall
	row.MeasuredP95 = a.hist.Quantile(0.95)
	if a.completed > 0 {
		row.MeasuredErrorRate = float64(a.errors) / float64(a.completed)
	}
	scenarioSeconds := a.predSamples * width
	if scenarioSeconds > 0 {
		row.PredictedRate = a.predOK / scenarioSeconds
		row.PredictedReplicas = a.predReady / a.predSamples
	}
	if a.predP95n > 0 {
		row.PredictedP95 = a.predP95w / a.predP95n
	}
	if a.predArr > 0 {
		row.PredictedErrorRate = a.predErr / a.predArr
	}
	if a.watchN > 0 {
		m := a.watchReady / a.watchN
		row.MeasuredReplicas = &m
	}
	return row
}

// score makes a row of every bucket that was measured, and the errors:
// MAPE per metric, the error rate's largest difference, the worst
// deviation. It returns each row's bucket index.
func (c *Comparison) score(bs *buckets) []int {
	var rowBucket []int
	var tpErr, p95Err, repErr []float64
	worst := Deviation{Relative: -1}
	note := func(metric string, bucket int, rel float64) {
		if rel > worst.Relative {
			worst = Deviation{Metric: metric, Bucket: bucket, Relative: rel}
		}
	}
	for i, a := range bs.b {
		if !a.seen || a.wall <= 0 {
			continue
		}
		row := bs.row(i)
		b := len(c.Rows)
		if rel, ok := relErr(row.MeasuredRate, row.PredictedRate); ok {
			tpErr = append(tpErr, rel)
			note("throughput", b, rel)
		}
		if rel, ok := relErr(row.MeasuredP95, row.PredictedP95); ok && a.completed > 0 {
			p95Err = append(p95Err, rel)
			note("p95", b, rel)
		}
		if row.MeasuredReplicas != nil {
			if rel, ok := relErr(*row.MeasuredReplicas, row.PredictedReplicas); ok {
				repErr = append(repErr, rel)
				note("replicas", b, rel)
			}
		}
		c.ErrorRateMaxDiff = math.Max(c.ErrorRateMaxDiff, math.Abs(row.MeasuredErrorRate-row.PredictedErrorRate))
		if a.hist != nil && a.hist.Count() > 0 {
			row.MeasuredMean = a.hist.Mean()
		}
		c.Rows = append(c.Rows, row)
		rowBucket = append(rowBucket, i)
	}
	c.ThroughputMAPE = mean(tpErr)
	c.P95MAPE = mean(p95Err)
	if len(repErr) > 0 {
		m := mean(repErr)
		c.ReplicasMAPE = &m
	}
	if worst.Relative >= 0 {
		c.Worst = worst
	}
	return rowBucket
}

// judge gives the verdict: agree when the run is valid and, with bands,
// every band test passed (applyBands gave the reasons), or, without,
// every MAPE and the error-rate difference are within the Agree* bounds.
func (c *Comparison) judge(res *loadtest.Result, autoscaled, byMAPE bool) {
	if byMAPE {
		c.judgeMAPE()
	}
	if !res.Valid {
		c.Reasons = append(c.Reasons, "the measurement is invalid: "+res.InvalidReason)
	}
	if res.Speedup > 1 && autoscaled {
		c.Caveats = append(c.Caveats, fmt.Sprintf("the run played the scenario %g× faster than real time while pods started and the HPA synced in real time; the simulation plays it at scenario time", res.Speedup))
	}
	if c.ReplicasMAPE == nil {
		c.Caveats = append(c.Caveats, "replicas were not watched: only the prediction is shown")
	}
	if res.Interrupted {
		c.Caveats = append(c.Caveats, "the run was interrupted: only the buckets it reached are compared")
	}
	c.Agree = len(c.Reasons) == 0
	if c.Agree {
		c.Verdict = "agree"
	} else {
		c.Verdict = "disagree"
	}
}

// judgeMAPE gives the reasons of the fixed bounds on the MAPEs.
func (c *Comparison) judgeMAPE() {
	if c.ThroughputMAPE > AgreeThroughputMAPE {
		c.Reasons = append(c.Reasons, fmt.Sprintf("throughput MAPE %.1f %% > %.0f %%", c.ThroughputMAPE*100, AgreeThroughputMAPE*100))
	}
	if c.P95MAPE > AgreeP95MAPE {
		c.Reasons = append(c.Reasons, fmt.Sprintf("p95 MAPE %.1f %% > %.0f %%", c.P95MAPE*100, AgreeP95MAPE*100))
	}
	if c.ReplicasMAPE != nil && *c.ReplicasMAPE > AgreeReplicasMAPE {
		c.Reasons = append(c.Reasons, fmt.Sprintf("replicas MAPE %.1f %% > %.0f %%", *c.ReplicasMAPE*100, AgreeReplicasMAPE*100))
	}
	if c.ErrorRateMaxDiff > AgreeErrorRatePoints {
		c.Reasons = append(c.Reasons, fmt.Sprintf("error rate differs by up to %.1f points > %.0f", c.ErrorRateMaxDiff*100, AgreeErrorRatePoints*100))
	}
}

// relErr is |m − p| / p, false when p is 0 (no prediction to be off from).
func relErr(m, p float64) (float64, bool) {
	if p <= 0 {
		return 0, false
	}
	return math.Abs(m-p) / p, true
}

func mean(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}
