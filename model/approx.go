package model

import (
	"errors"
	"math"
)

// This file holds closed-form mean-wait formulas for queues that are not
// M/M/c. Pollaczek–Khinchine (M/G/1) and the M/G/1-PS mean are exact; all
// the others are approximations, and their names and docs say so.
//
// Arguments, in the same order everywhere: lambda is the arrival rate, mu the
// service rate of one server (1/E[S]), c the number of servers, ca2 the
// squared coefficient of variation of the inter-arrival times (1 for Poisson
// arrivals) and cs2 that of the service times (1 for exponential, 0 for
// constant). Times come out in the unit of 1/lambda.

// stableQueue validates lambda, mu and c and returns the offered load
// a = λ/μ, or an error wrapping ErrUnstable when a ≥ c.
func stableQueue(lambda, mu float64, c int) (float64, error) {
	if err := errors.Join(checkRates(lambda, mu), checkServers("c", c)); err != nil {
		return 0, err
	}
	a := lambda / mu
	if a >= float64(c) {
		return 0, unstableError(a, c)
	}
	return a, nil
}

// mmcMeanWait returns E[W] of M/M/c for a validated, stable queue.
func mmcMeanWait(mu, a float64, c int) float64 {
	return ErlangC(c, a) / (mu * (float64(c) - a))
}

// MeanWaitMG1 returns the mean wait in queue of an M/G/1 FCFS queue by the
// Pollaczek–Khinchine formula, which is exact (Gross and Harris,
// Fundamentals of Queueing Theory, §5.1):
//
//	E[W] = ρ·E[S]·(1 + c_s²) / (2(1 − ρ)),  ρ = λ/μ, E[S] = 1/μ.
//
// It returns an *InputError for invalid arguments and an error wrapping
// ErrUnstable when ρ ≥ 1.
func MeanWaitMG1(lambda, mu, cs2 float64) (float64, error) {
	if err := checkNonNegative("cs2", cs2); err != nil {
		return 0, err
	}
	rho, err := stableQueue(lambda, mu, 1)
	if err != nil {
		return 0, err
	}
	return rho / mu * (1 + cs2) / (2 * (1 - rho)), nil
}

// MeanWaitKingman returns Kingman's heavy-traffic approximation of the mean
// wait in a G/G/1 queue (J. F. C. Kingman, "The single server queue in heavy
// traffic", Proc. Cambridge Philosophical Society 57(4):902–904, 1961):
//
//	E[W] ≈ (ρ/(1 − ρ)) · ((c_a² + c_s²)/2) · E[S].
//
// It is an approximation (an upper-bound-like heavy-traffic limit), exact for
// M/M/1 and equal to Pollaczek–Khinchine when c_a² = 1. Errors as for
// MeanWaitMG1.
func MeanWaitKingman(lambda, mu, ca2, cs2 float64) (float64, error) {
	if err := errors.Join(checkNonNegative("ca2", ca2), checkNonNegative("cs2", cs2)); err != nil {
		return 0, err
	}
	rho, err := stableQueue(lambda, mu, 1)
	if err != nil {
		return 0, err
	}
	return rho / (1 - rho) * (ca2 + cs2) / 2 / mu, nil
}

// MeanWaitAllenCunneen returns the Allen–Cunneen approximation of the mean
// wait in a G/G/c queue (A. O. Allen, Probability, Statistics, and Queueing
// Theory, 2nd ed., 1990):
//
//	E[W] ≈ E[W_{M/M/c}] · (c_a² + c_s²)/2 = (C(c, a)/(cμ − λ)) · (c_a² + c_s²)/2.
//
// It is an approximation; it is exact for M/M/c and reduces to
// Pollaczek–Khinchine for M/G/1. It is headroom's default for non-exponential
// service. It returns an *InputError for invalid arguments and an error
// wrapping ErrUnstable when λ/μ ≥ c.
func MeanWaitAllenCunneen(lambda, mu float64, c int, ca2, cs2 float64) (float64, error) {
	if err := errors.Join(checkNonNegative("ca2", ca2), checkNonNegative("cs2", cs2)); err != nil {
		return 0, err
	}
	a, err := stableQueue(lambda, mu, c)
	if err != nil {
		return 0, err
	}
	return mmcMeanWait(mu, a, c) * (ca2 + cs2) / 2, nil
}

// MeanWaitWhitt returns Whitt's (1993) approximation of the mean wait in a
// GI/G/m queue (W. Whitt, "Approximations for the GI/G/m queue", Production
// and Operations Management 2(2):114–161, eqs. 2.24–2.25):
//
//	E[W] ≈ φ(ρ, c_a², c_s², m) · ((c_a² + c_s²)/2) · E[W_{M/M/m}]
//
// with γ = min(0.24, (1−ρ)(m−1)(√(4+5m) − 2)/(16mρ)), φ₁ = 1 + γ,
// φ₂ = 1 − 4γ, φ₃ = φ₂·e^{−2(1−ρ)/(3ρ)}, φ₄ = min(1, (φ₁+φ₃)/2),
// ψ(x) = 1 for x ≥ 1 and φ₄^{2(1−x)} otherwise, and
//
//	φ = 4(c_a²−c_s²)/(4c_a²−3c_s²)·φ₁ + c_s²/(4c_a²−3c_s²)·ψ((c_a²+c_s²)/2)      if c_a² ≥ c_s²,
//	φ = (c_s²−c_a²)/(2(c_a²+c_s²))·φ₃ + (c_s²+3c_a²)/(2(c_a²+c_s²))·ψ((c_a²+c_s²)/2)  otherwise.
//
// It is an approximation. It refines Allen–Cunneen for many servers, but for
// m = 1 and c_s² > c_a² it does not reduce to Pollaczek–Khinchine (M/G/1 with
// c_s² = 4, ρ = 0.8 gives 9.54 instead of 10). Errors as for
// MeanWaitAllenCunneen.
func MeanWaitWhitt(lambda, mu float64, c int, ca2, cs2 float64) (float64, error) {
	if err := errors.Join(checkNonNegative("ca2", ca2), checkNonNegative("cs2", cs2)); err != nil {
		return 0, err
	}
	a, err := stableQueue(lambda, mu, c)
	if err != nil {
		return 0, err
	}
	if ca2+cs2 == 0 {
		return 0, nil // D/D/m: nobody waits
	}
	return whittPhi(a/float64(c), ca2, cs2, float64(c)) * (ca2 + cs2) / 2 * mmcMeanWait(mu, a, c), nil
}

// whittPhi is φ(ρ, c_a², c_s², m) of Whitt (1993) eq. 2.25 (see MeanWaitWhitt).
func whittPhi(rho, ca2, cs2, m float64) float64 {
	gamma := math.Min(0.24, (1-rho)*(m-1)*(math.Sqrt(4+5*m)-2)/(16*m*rho))
	phi1 := 1 + gamma
	phi2 := 1 - 4*gamma
	phi3 := phi2 * math.Exp(-2*(1-rho)/(3*rho))
	phi4 := math.Min(1, (phi1+phi3)/2)
	psi := func(x float64) float64 {
		if x >= 1 {
			return 1
		}
		return math.Pow(phi4, 2*(1-x))
	}
	mid := (ca2 + cs2) / 2
	if ca2 >= cs2 {
		den := 4*ca2 - 3*cs2
		return 4*(ca2-cs2)/den*phi1 + cs2/den*psi(mid)
	}
	den := 2 * (ca2 + cs2)
	return (cs2-ca2)/den*phi3 + (cs2+3*ca2)/den*psi(mid)
}

// MeanWaitCosmetatos returns Cosmetatos' (1975) approximation of the mean
// wait in an M/D/c queue (constant service time 1/μ), as tabulated by Kimura
// (1991, JORS 42:595–603, Table 1):
//
//	E[W_{M/D/c}] ≈ ½·[1 + (c−1)(√(4+5c) − 2)/(16c) · (1−ρ)/ρ] · E[W_{M/M/c}].
//
// It is an approximation, exact for c = 1 (M/D/1). Errors as for
// MeanWaitAllenCunneen.
func MeanWaitCosmetatos(lambda, mu float64, c int) (float64, error) {
	a, err := stableQueue(lambda, mu, c)
	if err != nil {
		return 0, err
	}
	return cosmetatos(mu, a, c), nil
}

func cosmetatos(mu, a float64, c int) float64 {
	return cosmetatosFactor(a, c) * mmcMeanWait(mu, a, c)
}

// cosmetatosFactor returns E[W_{M/D/c}]/E[W_{M/M/c}] by Cosmetatos,
// ½·[1 + (c−1)(√(4+5c) − 2)/(16c)·(1−ρ)/ρ].
func cosmetatosFactor(a float64, c int) float64 {
	cf := float64(c)
	rho := a / cf
	return (1 + (cf-1)*(math.Sqrt(4+5*cf)-2)/(16*cf)*(1-rho)/rho) / 2
}

// MeanWaitKimura returns Kimura's (1994) two-moment approximation of the mean
// wait in an M/G/c queue, a harmonic interpolation in c_s² between M/M/c and
// M/D/c (T. Kimura, "Approximations for multi-server queues: system interpolations",
// Queueing Systems 17:347–382):
//
//	E[W] ≈ (1 + c_s²) / (2c_s²/E[W_{M/M/c}] + (1 − c_s²)/E[W_{M/D/c}]),
//
// with E[W_{M/D/c}] from Cosmetatos (see MeanWaitCosmetatos). It is an
// approximation, exact at c_s² = 1. Errors as for MeanWaitAllenCunneen.
func MeanWaitKimura(lambda, mu float64, c int, cs2 float64) (float64, error) {
	if err := checkNonNegative("cs2", cs2); err != nil {
		return 0, err
	}
	a, err := stableQueue(lambda, mu, c)
	if err != nil {
		return 0, err
	}
	// Divided through by E[W_{M/M/c}], which may underflow.
	return mmcMeanWait(mu, a, c) * (1 + cs2) / (2*cs2 + (1-cs2)/cosmetatosFactor(a, c)), nil
}

// MeanWaitBjorklundElldin returns the Björklund–Elldin approximation of the
// mean wait in an M/G/c queue, a linear interpolation in c_s² between M/M/c
// and M/D/c (as compared by Kimura 1994, Table 1):
//
//	E[W] ≈ c_s²·E[W_{M/M/c}] + (1 − c_s²)·E[W_{M/D/c}],
//
// with E[W_{M/D/c}] from Cosmetatos. It is an approximation, exact at
// c_s² = 1. Errors as for MeanWaitAllenCunneen.
func MeanWaitBjorklundElldin(lambda, mu float64, c int, cs2 float64) (float64, error) {
	if err := checkNonNegative("cs2", cs2); err != nil {
		return 0, err
	}
	a, err := stableQueue(lambda, mu, c)
	if err != nil {
		return 0, err
	}
	return mmcMeanWait(mu, a, c) * (cs2 + (1-cs2)*cosmetatosFactor(a, c)), nil
}

// MeanResponseMG1PS returns the mean response time of an M/G/1
// processor-sharing queue, which is insensitive to the service-time
// distribution beyond its mean (Kleinrock 1976, Queueing Systems Vol. 2,
// ch. 4):
//
//	E[T] = E[S]/(1 − ρ),  E[T | S = x] = x/(1 − ρ).
//
// It is exact. Response-time quantiles under PS are not this simple and are
// not provided. Errors as for MeanWaitMG1.
func MeanResponseMG1PS(lambda, mu float64) (float64, error) {
	rho, err := stableQueue(lambda, mu, 1)
	if err != nil {
		return 0, err
	}
	return 1 / mu / (1 - rho), nil
}
