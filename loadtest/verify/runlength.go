package verify

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/headroom-dev/headroom/scenarios"
)

// RunLength is the advice on how long a load test must run to tell a
// relative error of the model from sampling noise, from the spread of the
// DES replications of the scenario at the planned load.
type RunLength struct {
	Service, Scenario string
	// Error is the relative error to tell (0.10: 10 % on the p95).
	Error float64 `json:"error"`
	// Seconds is the scenario's length, BucketSeconds its buckets'.
	Seconds       float64 `json:"seconds"`
	BucketSeconds float64 `json:"bucketSeconds"`
	// WholeSpread and BucketSpread are the half-widths of the p95's bands
	// (5 %–95 % of the replications) relative to the median, for the whole
	// run and for the median bucket.
	WholeSpread  float64 `json:"wholeSpread"`
	BucketSpread float64 `json:"bucketSpread"`
	// NeedSeconds is the run length whose whole-run p95 band is ±Error,
	// NeedBucketSeconds the bucket length whose band is (the spread
	// shrinks as 1/√length, the central limit theorem's rate).
	NeedSeconds       float64 `json:"needSeconds"`
	NeedBucketSeconds float64 `json:"needBucketSeconds"`
	Replications      int     `json:"replications"`
}

// AdviseRunLength replicates the scenario through the DES (as Compare's
// bands do, in buckets of opts.Buckets) and says how long a run and its
// buckets must be for a relative error relErr of the p95 to stand out of
// the noise.
func AdviseRunLength(ctx context.Context, plan *scenarios.Plan, service, scenario string, relErr float64, opts CompareOptions) (*RunLength, error) {
	if !(relErr > 0 && relErr < 1) {
		return nil, fmt.Errorf("the error to tell must be in (0, 1), got %g", relErr)
	}
	sc := plan.Scenario(scenario)
	if sc == nil {
		return nil, fmt.Errorf("plan %s has no scenario %q", plan.File(), scenario)
	}
	if plan.Service(service) == nil {
		return nil, fmt.Errorf("plan %s has no service %q", plan.File(), service)
	}
	n := opts.Buckets
	if n <= 0 {
		n = 10
	}
	total := sc.Duration.D()
	width := max((total / time.Duration(n)).Truncate(time.Second), time.Second)
	reps, err := replicate(ctx, plan, service, scenario, width, total, opts)
	if err != nil {
		return nil, err
	}
	if len(reps) < MinReplications {
		return nil, fmt.Errorf("only %d DES replications finished within the budget, %d are needed", len(reps), MinReplications)
	}
	k := bandK(len(reps))
	nb := len(reps[0].p95)
	use := make([]bool, nb)
	seconds := make([]float64, nb)
	for i := range use {
		use[i], seconds[i] = true, width.Seconds()
	}
	whole := make([]float64, len(reps))
	for r, rep := range reps {
		whole[r] = wholeRun(rep.rate, rep.mean, rep.p95, rep.errRate, rep.ready, rep.served, seconds, use)[MetricP95]
	}
	rl := &RunLength{Service: service, Scenario: scenario, Error: relErr, Seconds: total.Seconds(), BucketSeconds: width.Seconds(), Replications: len(reps)}
	if b, ok := bandOf(whole, k); ok && b.Median > 0 {
		rl.WholeSpread = (b.High - b.Low) / 2 / b.Median
	}
	var spreads []float64
	for i := range nb {
		vals := make([]float64, len(reps))
		for r, rep := range reps {
			vals[r] = rep.p95[i]
		}
		if b, ok := bandOf(vals, k); ok && b.Median > 0 {
			spreads = append(spreads, (b.High-b.Low)/2/b.Median)
		}
	}
	if len(spreads) > 0 {
		rl.BucketSpread = median(spreads)
	}
	rl.NeedSeconds = math.Ceil(rl.Seconds * math.Pow(rl.WholeSpread/relErr, 2))
	rl.NeedBucketSeconds = math.Ceil(rl.BucketSeconds * math.Pow(rl.BucketSpread/relErr, 2))
	return rl, nil
}

func median(xs []float64) float64 {
	v := append([]float64(nil), xs...)
	if len(v) == 0 {
		return math.NaN()
	}
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

// String is the advice in one paragraph.
func (r *RunLength) String() string {
	return fmt.Sprintf("run length for %s/%s: a correct model's p95 varies by ±%.0f %% over the whole %s run and ±%.0f %% in a %s bucket (%d DES replications); to tell a %.0f %% p95 error from that noise, run at least %s (buckets of at least %s)",
		r.Service, r.Scenario, r.WholeSpread*100, time.Duration(r.Seconds*1e9), r.BucketSpread*100, time.Duration(r.BucketSeconds*1e9),
		r.Replications, r.Error*100, time.Duration(r.NeedSeconds*1e9), time.Duration(r.NeedBucketSeconds*1e9))
}
