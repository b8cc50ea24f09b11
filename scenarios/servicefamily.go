package scenarios

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/headroom-dev/headroom/model"
)

// serviceFamily checks serviceTime.distribution against its mean and p95
// or cv.
func (v *validator) serviceFamily(path string, st *ServiceTime) {
	fam := st.Distribution
	if fam != model.FamilyEmpirical && st.Histogram != nil {
		v.add(path+".histogram", "is only read with distribution: empirical; set it or drop the histogram")
	}
	if fam == "" {
		return
	}
	if fam == model.FamilyEmpirical {
		v.empirical(path, st)
		return
	}
	if !slices.Contains(model.Families, fam) {
		v.add(path+".distribution", "must be one of %s or %s, got %q", strings.Join(model.Families, ", "), model.FamilyEmpirical, fam)
		return
	}
	if fam == model.FamilyExponential && st.CV != nil && *st.CV != 1 {
		v.add(path+".cv", "an exponential service time has cv 1, got %g; name another distribution or drop cv", *st.CV)
	}
	if fam == model.FamilyWeibull && st.CV != nil && model.WeibullShape(*st.CV**st.CV) == 0 {
		v.add(path+".cv", "no Weibull service time with shape in [0.1, 50] has cv %g", *st.CV)
	}
	if st.P95 != nil && *st.P95 > st.Mean && st.Mean > 0 {
		if _, err := model.FamilyCS2FromQuantile(fam, st.Mean.Seconds(), st.P95.Seconds(), 0.95); err != nil {
			v.add(path+".p95", "%v", err)
		}
	}
}

// MaxHistogramBuckets bounds serviceTime.histogram.
const MaxHistogramBuckets = 10_000

// maxHistogramCount bounds one bucket's count.
const maxHistogramCount = 1e15

// empirical checks a serviceTime with distribution empirical: a histogram
// with increasing bounds and a positive total, no p95 or cv, and a mean, if
// given, within 2 % of the histogram's.
func (v *validator) empirical(path string, st *ServiceTime) {
	if st.P95 != nil {
		v.add(path+".p95", "must not be given with distribution: empirical (the histogram gives the tail)")
	}
	if st.CV != nil {
		v.add(path+".cv", "must not be given with distribution: empirical (the histogram gives the variance)")
	}
	if len(st.Histogram) == 0 {
		v.add(path+".histogram", "is required with distribution: empirical: buckets like [{le: 10ms, count: 40}, {le: 25ms, count: 50}]")
		return
	}
	if len(st.Histogram) > MaxHistogramBuckets {
		v.add(path+".histogram", "has %d buckets, more than %d", len(st.Histogram), MaxHistogramBuckets)
		return
	}
	bad := false
	var prev Duration
	total := 0.0
	for i, b := range st.Histogram {
		at := fmt.Sprintf("%s.histogram[%d]", path, i)
		if b.Le <= prev {
			what := "0"
			if i > 0 {
				what = fmt.Sprintf("the previous bucket's %s", prev)
			}
			v.add(at+".le", "must be above %s, got %s (bounds increase strictly)", what, b.Le)
			bad = true
		}
		if !(b.Count >= 0 && b.Count <= maxHistogramCount) {
			v.add(at+".count", "must be in [0, %g], got %g", maxHistogramCount, b.Count)
			bad = true
		} else {
			total += b.Count
		}
		prev = max(prev, b.Le)
	}
	if bad {
		return
	}
	if !(total > 0) || math.IsInf(total, 0) {
		v.add(path+".histogram", "the counts must have a positive, finite total, got %g", total)
		return
	}
	m, _, err := model.HistogramMoments(st.ModelHistogram())
	if err != nil {
		v.add(path+".histogram", "%v", err)
		return
	}
	if st.Mean != 0 && math.Abs(st.Mean.Seconds()/m-1) > 0.02 {
		v.add(path+".mean", "%s disagrees with the histogram's mean %s by %+.1f %% (more than 2 %%); drop mean to use the histogram's",
			st.Mean, time.Duration(math.Round(m*1e9)), (st.Mean.Seconds()/m-1)*100)
	}
}

// ModelHistogram is serviceTime.histogram in seconds, for the model.
func (st *ServiceTime) ModelHistogram() []model.HistogramBucket {
	if len(st.Histogram) == 0 {
		return nil
	}
	out := make([]model.HistogramBucket, len(st.Histogram))
	for i, b := range st.Histogram {
		out[i] = model.HistogramBucket{Upper: b.Le.Seconds(), Count: b.Count}
	}
	return out
}

// defaultMean fills an empirical serviceTime's mean from its histogram.
func (st *ServiceTime) defaultMean() {
	if st.Distribution == model.FamilyEmpirical && st.Mean == 0 {
		if m, _, err := model.HistogramMoments(st.ModelHistogram()); err == nil {
			st.Mean = Duration(math.Round(m * 1e9))
		}
	}
}

func (st *ServiceTime) modelHistogramPtr() *model.Histogram {
	if st.Distribution != model.FamilyEmpirical {
		return nil
	}
	return &model.Histogram{Buckets: st.ModelHistogram()}
}

// ServiceFamily is the service time's family: serviceTime.distribution,
// else gamma (exponential when the plan gives neither p95 nor cv).
func (s *Service) ServiceFamily() string {
	st := s.ServiceTime
	switch {
	case st.Distribution != "":
		return st.Distribution
	case st.P95 == nil && st.CV == nil:
		return model.FamilyExponential
	}
	return model.FamilyGamma
}

// ServiceTimeWarning is a note for a plan whose service time has a heavy
// tail (cv above 1) but no named distribution, where the family decides
// the answer: with a p95, the cv a lognormal and a gamma of that mean and
// p95 have, and the response-time p95 of each at the service's observed
// rate per replica; with a cv, the service-time p95 of each. "" when the
// family is named or the tail is light.
func (s *Service) ServiceTimeWarning() string {
	st := s.ServiceTime
	if st.Distribution != "" {
		return ""
	}
	mean := st.Mean.Seconds()
	switch {
	case st.CV != nil && *st.CV > 1:
		cs2 := *st.CV * *st.CV
		g, l := model.FamilyQuantile(model.FamilyGamma, mean, cs2, 0.95), model.FamilyQuantile(model.FamilyLognormal, mean, cs2, 0.95)
		return fmt.Sprintf("service %s: serviceTime has cv %.2g (a heavy tail) and no distribution: its p95 is %s as a gamma (the default) and %s as a lognormal (%+.0f %%); set serviceTime.distribution",
			s.Name, *st.CV, fmtSeconds(g), fmtSeconds(l), (l/g-1)*100)
	case st.P95 != nil:
		p95 := st.P95.Seconds()
		g, err := model.FamilyCS2FromQuantile(model.FamilyGamma, mean, p95, 0.95)
		if err != nil || g <= 1 {
			return ""
		}
		msg := fmt.Sprintf("service %s: serviceTime mean %s and p95 %s imply a heavy tail (cv %.2f as a gamma, the default) and no distribution is named", s.Name, st.Mean, *st.P95, math.Sqrt(g))
		l, err := model.FamilyCS2FromQuantile(model.FamilyLognormal, mean, p95, 0.95)
		if err != nil {
			return msg + "; set serviceTime.distribution"
		}
		msg += fmt.Sprintf("; as a lognormal its cv is %.2f", math.Sqrt(l))
		if s.Replicas > 0 && s.Concurrency > 0 {
			lam := s.TotalRate() / float64(s.Replicas)
			rg, e1 := model.ResponseQuantileGGc(lam, 1/mean, s.Concurrency, 1, g, 0.95)
			rl, e2 := model.ResponseQuantileGGcFamily(model.FamilyLognormal, lam, 1/mean, s.Concurrency, 1, l, 0.95)
			if e1 == nil && e2 == nil {
				msg += fmt.Sprintf(", and the response-time p95 at %.3g req/s per replica is %s as a gamma, %s as a lognormal (%+.0f %%)", lam, fmtSeconds(rg), fmtSeconds(rl), (rl/rg-1)*100)
			}
		}
		return msg + "; set serviceTime.distribution"
	}
	return ""
}

func fmtSeconds(s float64) string {
	if s < 1 {
		return fmt.Sprintf("%.1f ms", s*1e3)
	}
	return fmt.Sprintf("%.3g s", s)
}
