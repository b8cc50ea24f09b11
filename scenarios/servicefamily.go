package scenarios

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/headroom-dev/headroom/model"
)

// serviceFamily checks serviceTime.distribution against its mean and p95
// or cv.
func (v *validator) serviceFamily(path string, st *ServiceTime) {
	fam := st.Distribution
	if fam == "" {
		return
	}
	if !slices.Contains(model.Families, fam) {
		v.add(path+".distribution", "must be one of %s, got %q (an empirical histogram goes to `headroom sim --service-time`)", strings.Join(model.Families, ", "), fam)
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
			lam := s.RequestRate.PerSecond / float64(s.Replicas)
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
