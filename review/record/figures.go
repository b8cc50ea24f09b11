package record

// Plots selects the figures a review shows.
type Plots int

// Figure selections.
const (
	// PlotsAll shows every figure.
	PlotsAll Plots = iota
	// PlotsAtRisk shows, for each service at risk, the scenario where it is
	// worst and its capacity curve; the cluster figures still show.
	PlotsAtRisk
	// PlotsNone shows none.
	PlotsNone
)

// Shows reports whether the review's figures include those of a service
// in a scenario, scenario "" standing for the service's capacity curve.
func (r *Review) Shows(service, scenario string) bool {
	switch r.Plots {
	case PlotsNone:
		return false
	case PlotsAtRisk:
		return r.WorstOnly(service, scenario)
	}
	return true
}

// WorstOnly accepts, for each service at risk, the scenario where it is
// worst (the highest error-budget burn, else the first at risk) and its
// capacity curve: the figures a review of a large plan needs.
func (r *Review) WorstOnly(service, scenario string) bool {
	worst, most := "", -1.0
	for _, risk := range r.Summary.Risks {
		if risk.Service == service && risk.Burn > most {
			worst, most = risk.Scenario, risk.Burn
		}
	}
	return worst != "" && (scenario == "" || scenario == worst)
}

// CapacityCurve is the replicas a service needs against its request rate,
// from zero to beyond its highest scenario peak, by the utilisation ceiling
// alone and by queueing (which also holds the latency SLO).
type CapacityCurve struct {
	Service string
	// Rates are the request rates, per second; Utilization and Queueing the
	// replicas each sizing needs at each, NaN where no replica count meets
	// the objectives (Infeasible counts those of the queueing curve).
	Rates       []float64
	Utilization []float64
	Queueing    []float64
	Infeasible  int
	// Marks are today's rate, then each scenario's peak (scenarios that
	// peak at the same rate share one mark).
	Marks []RateMark
	// Err says why there is no curve; drawing it fails with Err.
	Err error
}

// RateMark is a labelled request rate on a capacity curve.
type RateMark struct {
	Name string
	Rate float64
}

// ServiceRow is one line of the CLI's table of a review.
type ServiceRow struct {
	Service string
	// AtRisk names the scenarios in which the service is at risk: it
	// spends more than its error budget in the simulation with today's
	// settings, or its sizing is not ok.
	AtRisk []string
	// BurnToday and BurnProposed are its highest error-budget burn (over a
	// scenario or its worst window) over the scenarios, with today's
	// settings and with the proposal (today's where nothing is proposed).
	BurnToday, BurnProposed float64
	// Today and Proposed are its SLO-violation minutes summed over the
	// scenarios, with today's settings and with the proposal (today's
	// where nothing is proposed).
	Today, Proposed float64
	// Changes counts the changes proposed for it: the rationale lines of
	// its recommendation and its events' pre-scales.
	Changes int
}
