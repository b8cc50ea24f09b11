package model

import (
	"fmt"
	"math"
)

// MixtureComponent is one component of a service-time mixture: a request
// kind with its own service-time mean (seconds) and squared coefficient of
// variation, drawn with probability Weight / Σ Weight.
type MixtureComponent struct {
	Weight float64
	Mean   float64
	CS2    float64
}

// Mixture is the exact mean and squared coefficient of variation of a
// finite mixture of service times (a request picks component i with
// probability pᵢ = wᵢ / Σw, then takes that component's time). With
// mᵢ and c²ᵢ the components' means and squared CVs, by the law of total
// expectation:
//
//	E[S]  = Σ pᵢ mᵢ
//	E[S²] = Σ pᵢ mᵢ² (1 + c²ᵢ)
//	c²_S  = E[S²] / E[S]² − 1
//
// (Feller, "An Introduction to Probability Theory and Its Applications",
// vol. II, §II.5 on mixtures). A single component returns its own mean and
// cs2 unchanged.
func Mixture(parts []MixtureComponent) (mean, cs2 float64, err error) {
	if len(parts) == 0 {
		return 0, 0, &InputError{Arg: "parts", Value: 0, Want: "at least one component"}
	}
	total := 0.0
	for i, c := range parts {
		if !(c.Weight > 0) || math.IsInf(c.Weight, 0) {
			return 0, 0, fmt.Errorf("mixture component %d: weight must be a finite number above 0, got %g", i, c.Weight)
		}
		if !(c.Mean > 0) || math.IsInf(c.Mean, 0) {
			return 0, 0, fmt.Errorf("mixture component %d: mean must be a finite number above 0, got %g", i, c.Mean)
		}
		if !(c.CS2 >= 0) || math.IsInf(c.CS2, 0) {
			return 0, 0, fmt.Errorf("mixture component %d: cs2 must be a finite number ≥ 0, got %g", i, c.CS2)
		}
		total += c.Weight
	}
	if len(parts) == 1 {
		return parts[0].Mean, parts[0].CS2, nil
	}
	var m1, m2 float64
	for _, c := range parts {
		p := c.Weight / total
		m1 += p * c.Mean
		m2 += p * c.Mean * c.Mean * (1 + c.CS2)
	}
	cs2 = m2/(m1*m1) - 1
	// Rounding can leave a mixture of equal constants a hair below 0.
	return m1, math.Max(cs2, 0), nil
}
