package verify

import (
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/headroom-dev/headroom/loadtest"
	"github.com/headroom-dev/headroom/model"
	"github.com/headroom-dev/headroom/scenarios"
)

// FamilyFit is one service-time family fitted to a mean and a p95: its cv,
// and how far its p50, p90 and p99 are from the measured ones (the root
// mean square of the log ratios; 0.1 is about 10 % off).
type FamilyFit struct {
	Family string  `json:"family"`
	CV     float64 `json:"cv"`
	Error  float64 `json:"error"`
}

// fitQuantiles are the quantiles a family is judged on besides the p95 it
// is fitted to.
var fitQuantiles = []float64{0.5, 0.9, 0.99}

// FitFamilies fits every family of model.Families to the mean and p95 of
// measured service times (exactly: two parameters, two figures), scores
// each by its p50, p90 and p99 against quantile (the measured service-time
// quantile function), and returns the fits, best first. Families that
// cannot have that mean and p95 are left out.
func FitFamilies(mean, p95 float64, quantile func(p float64) float64) []FamilyFit {
	var fits []FamilyFit
	for _, fam := range model.Families {
		cs2 := 1.0
		if fam != model.FamilyExponential {
			var err error
			if cs2, err = model.FamilyCS2FromQuantile(fam, mean, p95, 0.95); err != nil {
				continue
			}
		}
		var ss float64
		n := 0
		for _, p := range fitQuantiles {
			m, f := quantile(p), model.FamilyQuantile(fam, mean, cs2, p)
			if m > 0 && f > 0 {
				d := math.Log(f / m)
				ss += d * d
				n++
			}
		}
		if n == 0 {
			continue
		}
		fits = append(fits, FamilyFit{Family: fam, CV: math.Sqrt(cs2), Error: math.Sqrt(ss / float64(n))})
	}
	slices.SortStableFunc(fits, func(a, b FamilyFit) int {
		switch {
		case a.Error < b.Error:
			return -1
		case a.Error > b.Error:
			return 1
		}
		return 0
	})
	return fits
}

// fitFamily fills the calibration's family from the low-load response
// histogram, less the mean wait (the same constant-shift approximation as
// its p95).
func (cal *Calibration) fitFamily(merged *loadtest.Histogram, meanWait float64) {
	q := func(p float64) float64 { return merged.Quantile(p) - meanWait }
	cal.Families = FitFamilies(cal.MeanService, cal.P95Service, q)
	if len(cal.Families) > 0 {
		cal.Distribution = cal.Families[0].Family
	}
}

// Explanation is how much of a comparison's disagreement the calibrated
// inputs remove, bucket by bucket: the measured mean and p95 against the
// predicted medians of the plan as it is and of the plan with the
// calibrated service time.
type Explanation struct {
	Service string                `json:"service"`
	Rows    []ExplanationRow      `json:"rows"`
	Before  *Comparison           `json:"before"`
	After   *Comparison           `json:"after"`
	Input   scenarios.ServiceTime `json:"calibratedServiceTime"`
	// MeanRemoved and P95Removed are the share of the summed absolute
	// deviations (over the buckets) the calibration removed; negative when
	// it made them worse.
	MeanRemoved float64 `json:"meanRemoved"`
	P95Removed  float64 `json:"p95Removed"`
}

// ExplanationRow is one bucket: the relative deviation of the measured
// mean and p95 from the predicted median before and after, and the share
// removed.
type ExplanationRow struct {
	FromSeconds float64 `json:"fromSeconds"`
	ToSeconds   float64 `json:"toSeconds"`
	MeanBefore  float64 `json:"meanBefore"`
	MeanAfter   float64 `json:"meanAfter"`
	MeanRemoved float64 `json:"meanRemoved"`
	P95Before   float64 `json:"p95Before"`
	P95After    float64 `json:"p95After"`
	P95Removed  float64 `json:"p95Removed"`
}

// Calibrated returns a copy of the plan whose service has the calibrated
// service time: the mean, and the p95 with the fitted distribution (or the
// cv without one).
func Calibrated(plan *scenarios.Plan, cal *Calibration) (*scenarios.Plan, error) {
	p := *plan
	p.Services = slices.Clone(plan.Services)
	for i := range p.Services {
		s := &p.Services[i]
		if s.Name != cal.Service {
			continue
		}
		st := scenarios.ServiceTime{Mean: scenarios.Duration(durationOf(cal.MeanService)), Distribution: cal.Distribution}
		switch cal.Distribution {
		case model.FamilyExponential:
		case "":
			cv := cal.CV
			st.CV = &cv
		default:
			p95 := scenarios.Duration(durationOf(cal.P95Service))
			st.P95 = &p95
		}
		s.ServiceTime = st
		if _, err := s.ServiceCS2(); err != nil {
			return nil, fmt.Errorf("the calibrated service time: %w", err)
		}
		return &p, nil
	}
	return nil, fmt.Errorf("plan %s has no service %q", plan.File(), cal.Service)
}

// Explain compares the run with the plan and with the calibrated plan
// (Compare, with opts) and says, per bucket, how much of the measured
// mean's and p95's deviation from the predicted median the calibration
// removes. A deviation that stays is what the service time does not
// explain: routing, the load balancer, an autoscaler, the network.
func Explain(ctx context.Context, plan *scenarios.Plan, res *loadtest.Result, cal *Calibration, opts CompareOptions) (*Explanation, error) {
	after, err := Calibrated(plan, cal)
	if err != nil {
		return nil, err
	}
	opts.Service = cal.Service
	b, err := Compare(ctx, plan, res, opts)
	if err != nil {
		return nil, err
	}
	a, err := Compare(ctx, after, res, opts)
	if err != nil {
		return nil, err
	}
	ex := &Explanation{Service: cal.Service, Before: b, After: a, Input: after.Service(cal.Service).ServiceTime}
	var mb, ma, pb, pa float64
	for i := range b.Rows {
		if i >= len(a.Rows) {
			break
		}
		rb, ra := b.Rows[i], a.Rows[i]
		row := ExplanationRow{FromSeconds: rb.FromSeconds, ToSeconds: rb.ToSeconds}
		row.MeanBefore, row.MeanAfter = deviation(rb.MeasuredMean, rb.MeanBand), deviation(ra.MeasuredMean, ra.MeanBand)
		row.P95Before, row.P95After = deviation(rb.MeasuredP95, rb.P95Band), deviation(ra.MeasuredP95, ra.P95Band)
		row.MeanRemoved, row.P95Removed = removed(row.MeanBefore, row.MeanAfter), removed(row.P95Before, row.P95After)
		mb, ma = mb+math.Abs(row.MeanBefore), ma+math.Abs(row.MeanAfter)
		pb, pa = pb+math.Abs(row.P95Before), pa+math.Abs(row.P95After)
		ex.Rows = append(ex.Rows, row)
	}
	ex.MeanRemoved, ex.P95Removed = removed(mb, ma), removed(pb, pa)
	return ex, nil
}

// deviation is (measured − median)/median, 0 without a band.
func deviation(m float64, b *Band) float64 {
	if b == nil || !(b.Median > 0) {
		return 0
	}
	return (m - b.Median) / b.Median
}

// removed is 1 − |after|/|before|, 0 when there was nothing to remove.
func removed(before, after float64) float64 {
	if before == 0 {
		return 0
	}
	return 1 - math.Abs(after)/math.Abs(before)
}
