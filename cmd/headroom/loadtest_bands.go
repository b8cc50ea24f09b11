package main

import (
	"time"

	"github.com/spf13/pflag"

	"github.com/headroom-dev/headroom/loadtest"
	"github.com/headroom-dev/headroom/loadtest/verify"
	"github.com/headroom-dev/headroom/sim"
)

// bandFlags are the sampling-band flags of a comparison.
type bandFlags struct {
	Replications int
	Budget       time.Duration
	Level        float64
	// ErrorToTell is the relative p95 error the run-length advice is for.
	ErrorToTell float64
}

func (b *bandFlags) bind(f *pflag.FlagSet) {
	f.IntVar(&b.Replications, "replications", verify.DefaultReplications,
		"seeded DES replications behind the sampling bands of the comparison (at least 30; 0 turns the bands off and judges by fixed MAPE bounds)")
	f.DurationVar(&b.Budget, "band-budget", verify.DefaultBandBudget, "the most time the replications may take")
	f.Float64Var(&b.Level, "level", verify.DefaultLevel, "level of the band verdict: a correct model is called DISAGREE in about this fraction of runs")
}

// bindAdvice adds loadtest run's --error-to-tell.
func (b *bandFlags) bindAdvice(f *pflag.FlagSet) {
	f.Float64Var(&b.ErrorToTell, "error-to-tell", b.ErrorToTell, "with --compare on a plan, print before the run how long it must be to tell this relative p95 error from sampling noise")
}

func (b *bandFlags) validate() error {
	if b.Replications != 0 && (b.Replications < verify.MinReplications || b.Replications > 10_000) {
		return usageErrorf("--replications must be 0 (no bands) or from %d to 10000, got %d", verify.MinReplications, b.Replications)
	}
	if b.Budget <= 0 {
		return usageErrorf("--band-budget must be positive, got %s", b.Budget)
	}
	if b.ErrorToTell != 0 && !(b.ErrorToTell > 0 && b.ErrorToTell < 1) {
		return usageErrorf("--error-to-tell must be in (0, 1), got %g", b.ErrorToTell)
	}
	if !(b.Level > 0 && b.Level < 0.5) {
		return usageErrorf("--level must be in (0, 0.5), got %g", b.Level)
	}
	return nil
}

// options adds the band settings to o.
func (b *bandFlags) options(o verify.CompareOptions) verify.CompareOptions {
	o.Replications, o.BandBudget, o.Level = b.Replications, b.Budget, b.Level
	if b.Replications == 0 {
		o.Replications = -1
	}
	return o
}

// desArrivals is the DES arrival process of the built-in engine's.
func desArrivals(a string) string {
	if a == loadtest.ArrivalsConstant {
		return string(sim.ArrivalsDeterministic)
	}
	return string(sim.ArrivalsPoisson)
}
