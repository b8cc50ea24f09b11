package main

import (
	"fmt"

	"github.com/spf13/pflag"

	"github.com/headroom-dev/headroom/scenarios"
)

// uncertaintyHelp documents --uncertainty for every command that runs an
// ensemble.
const uncertaintyHelp = "relative ranges of the estimated inputs for an ensemble of simulations, p10/p50/p90 on every verdict: " +
	"KEY=VALUE,… with keys requestRate, serviceTime, cpu, memory (0 to 90%, e.g. 15% or 0.15) and samples (1 to 10000, default 32); " +
	"the keys given replace those of the plan's uncertainty: section; off runs each scenario once"

// bindUncertainty binds --uncertainty.
func bindUncertainty(f *pflag.FlagSet, p *string) {
	f.StringVar(p, "uncertainty", "", uncertaintyHelp)
}

// validateUncertainty checks --uncertainty's syntax and ranges before the
// plan is read.
func validateUncertainty(v string) error {
	if v == "" {
		return nil
	}
	if _, err := scenarios.ParseUncertainty(v, nil); err != nil {
		return usageErrorf("--uncertainty: %v", err)
	}
	return nil
}

// applyUncertainty puts --uncertainty over the plan's uncertainty: section.
func applyUncertainty(p *scenarios.Plan, v string) error {
	if v == "" {
		return nil
	}
	u, err := scenarios.ParseUncertainty(v, p.Uncertainty)
	if err != nil {
		return usageErrorf("--uncertainty: %v", err)
	}
	p.Uncertainty = u
	return nil
}

// ensembleRuns is how many simulations each run becomes: itself and, with
// an uncertainty section, one per member.
func ensembleRuns(p *scenarios.Plan) float64 {
	if p.Uncertainty == nil {
		return 1
	}
	return float64(1 + p.Uncertainty.Samples)
}

// ensembleHint adds to a refused work estimate that the plan's ensemble
// multiplies it, and how to run fewer members.
func ensembleHint(err error, p *scenarios.Plan) error {
	if err == nil || p.Uncertainty == nil {
		return err
	}
	return fmt.Errorf("%w (the plan's uncertainty ensemble runs each simulation %d times: --uncertainty samples=N runs fewer members, --uncertainty off one run)", err, p.Uncertainty.Samples+1)
}
