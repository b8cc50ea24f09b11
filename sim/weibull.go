package sim

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/headroom-dev/headroom/model"
	"github.com/headroom-dev/headroom/scenarios"
)

// ServiceWeibull: a Weibull service time with the plan's mean and cv.
const ServiceWeibull ServiceTimeKind = "weibull"

// weibullSampler draws a Weibull service time of shape k and scale λ by
// inversion: λ·(−ln U)^(1/k) (Devroye, "Non-Uniform Random Variate
// Generation", 1986, §II.2), the power by powFixed (math.Pow's bits).
type weibullSampler struct {
	k, scale, m float64
	pow         powFixed // x^(1/k)
}

func newWeibull(mean, cs2 float64) (*weibullSampler, error) {
	k := model.WeibullShape(cs2)
	if k == 0 {
		return nil, fmt.Errorf("no Weibull service time with shape in [0.1, 50] has cv %g", math.Sqrt(cs2))
	}
	lg, _ := math.Lgamma(1 + 1/k)
	return &weibullSampler{k: k, scale: mean / math.Exp(lg), m: mean, pow: newPowFixed(1 / k)}, nil
}

func (s *weibullSampler) sample(rng *rand.Rand) float64 {
	return s.scale * s.pow.of(rng.ExpFloat64())
}
func (s *weibullSampler) mean() float64 { return s.m }

// planServiceTime is the DES service time of a service: the one Options
// gave, else the plan's serviceTime.distribution, with the plan's
// histogram as the buckets of an empirical one.
func planServiceTime(st ServiceTime, plan scenarios.ServiceTime) ServiceTime {
	if st.Kind != "" || plan.Distribution == "" {
		return st
	}
	st.Kind = ServiceTimeKind(plan.Distribution)
	if st.Kind == ServiceEmpirical {
		st.Buckets = make([]ServiceBucket, len(plan.Histogram))
		for i, b := range plan.Histogram {
			st.Buckets[i] = ServiceBucket{UpperSeconds: b.Le.Seconds(), Count: b.Count}
		}
	}
	return st
}
