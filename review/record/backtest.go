package record

import "time"

// Backtest is what `headroom backtest` found: per service, production's
// own history replayed through the simulator and compared with what the
// cluster did. Package review/backtest fills it; reports renders it.
type Backtest struct {
	Plan string `json:"plan"`
	// Start and End bound the observed window; StepSeconds is the query
	// resolution.
	Start       time.Time `json:"start"`
	End         time.Time `json:"end"`
	StepSeconds float64   `json:"stepSeconds"`
	// Verdict is BacktestDisagrees when a backtested service disagrees;
	// otherwise BacktestIncomplete when a service could not be backtested
	// (Failures) or none was, and BacktestAgrees when every service was
	// backtested and agrees.
	Verdict    string             `json:"verdict"`
	Tolerances BacktestTolerances `json:"tolerances"`
	Services   []BacktestService  `json:"services"`
	// Failures are the services that could not be backtested, each with the
	// query and time range that failed.
	Failures []BacktestFailure `json:"failures,omitempty"`
}

// Backtest verdicts.
const (
	BacktestAgrees    = "agrees"
	BacktestDisagrees = "disagrees"
	// BacktestIncomplete: nothing disagrees, but not every service was
	// judged, so the result cannot say the model agrees.
	BacktestIncomplete = "incomplete"
)

// BacktestTolerances are the bounds a measure must hold for a service to
// agree (docs/backtest.md justifies them).
type BacktestTolerances struct {
	// ReplicasAgreeShare is the least share of steps whose simulated Ready
	// replicas are within the HPA's dead band of the observed: ±max(1,
	// ⌈tolerance × observed⌉), tolerance the controller's (default 0.1).
	ReplicasAgreeShare float64 `json:"replicasAgreeShare"`
	// CPUMAPE is the largest mean absolute percentage error of the CPU
	// utilisation, as a fraction.
	CPUMAPE float64 `json:"cpuMape"`
	// P95RatioMin and P95RatioMax bound the median simulated/observed p95.
	P95RatioMin float64 `json:"p95RatioMin"`
	P95RatioMax float64 `json:"p95RatioMax"`
	// StartupRatioMin and StartupRatioMax bound the observed median
	// start-up delay over the plan's.
	StartupRatioMin float64 `json:"startupRatioMin"`
	StartupRatioMax float64 `json:"startupRatioMax"`
	// ScaleLagSeconds bounds the median lag between matched scale events.
	ScaleLagSeconds float64 `json:"scaleLagSeconds"`
	// BudgetBurnAbs and BudgetBurnRel bound |simulated − observed| burn:
	// within BudgetBurnAbs, or within BudgetBurnRel of the observed.
	BudgetBurnAbs float64 `json:"budgetBurnAbs"`
	BudgetBurnRel float64 `json:"budgetBurnRel"`
}

// BacktestService is one service's backtest.
type BacktestService struct {
	Service string `json:"service"`
	Verdict string `json:"verdict"`
	// InitialReplicas is the first observed Ready count the replay started
	// from.
	InitialReplicas int32            `json:"initialReplicas"`
	HPA             bool             `json:"hpa"`
	Measures        BacktestMeasures `json:"measures"`
	// Checks are the measures held against their tolerances, in table order.
	Checks []BacktestCheck `json:"checks"`
	// Cause is the most likely reason for a disagreement (nil when it
	// agrees).
	Cause *BacktestCause `json:"cause,omitempty"`
	// Notes are gaps, missing series and approximations, each naming the
	// query and time range.
	Notes []string `json:"notes,omitempty"`
	// Series is observed against simulated at every step, for the figures.
	Series []BacktestPoint `json:"series"`
}

// BacktestMeasures are the comparisons of one service. Pointers are nil
// when a measure could not be computed (Notes say why).
type BacktestMeasures struct {
	// Points is how many steps have both an observed and a simulated value
	// of the Ready replicas.
	Points int `json:"points"`
	// ReplicasMAE is the mean absolute error of the Ready replicas;
	// ReplicasEqualShare and ReplicasWithinOneShare the shares of steps
	// equal and within ±1.
	ReplicasMAE            float64 `json:"replicasMae"`
	ReplicasEqualShare     float64 `json:"replicasEqualShare"`
	ReplicasWithinOneShare float64 `json:"replicasWithinOneShare"`
	// ReplicasWithinBandShare is the share within the HPA's dead band,
	// ±max(1, ⌈ReplicasBand × observed⌉), ReplicasBand the controller's
	// tolerance.
	ReplicasWithinBandShare float64 `json:"replicasWithinBandShare"`
	ReplicasBand            float64 `json:"replicasBand"`
	// ObservedScaleEvents and SimulatedScaleEvents count changes of the
	// Ready replicas; MatchedScaleEvents the observed ones paired with a
	// simulated event that crossed the same replica level in the same
	// direction within 15 minutes; ScaleLagSeconds is the median of
	// simulated minus observed time over the pairs (positive: the
	// simulation is late).
	ObservedScaleEvents  int      `json:"observedScaleEvents"`
	SimulatedScaleEvents int      `json:"simulatedScaleEvents"`
	MatchedScaleEvents   int      `json:"matchedScaleEvents"`
	ScaleLagSeconds      *float64 `json:"scaleLagSeconds,omitempty"`
	// CPUMAPE is the mean absolute percentage error of the simulated CPU
	// utilisation against the observed (fraction); CPURatio the median of
	// simulated/observed (its bias).
	CPUMAPE  *float64 `json:"cpuMape,omitempty"`
	CPURatio *float64 `json:"cpuRatio,omitempty"`
	// P95Ratio is the median of simulated/observed p95 over the steps with
	// both; P95RatioLowLoad the same over the steps below the window's
	// median request rate.
	P95Ratio        *float64 `json:"p95Ratio,omitempty"`
	P95RatioLowLoad *float64 `json:"p95RatioLowLoad,omitempty"`
	// ObservedBudgetBurn is the observed bad fraction (slower than the SLO
	// target at a histogram bucket bound, or failed) over the budget
	// 1 − quantile; SimulatedBudgetBurn the simulation's, when it reports
	// a bad fraction.
	ObservedBudgetBurn  *float64 `json:"observedBudgetBurn,omitempty"`
	SimulatedBudgetBurn *float64 `json:"simulatedBudgetBurn,omitempty"`
	// ObservedStartupSeconds is the median creation-to-Ready time of the
	// pods seen (StartupPods of them); PlanStartupSeconds the plan's image
	// pull + container start + readiness.
	ObservedStartupSeconds *float64 `json:"observedStartupSeconds,omitempty"`
	StartupPods            int      `json:"startupPods,omitempty"`
	PlanStartupSeconds     float64  `json:"planStartupSeconds"`
}

// BacktestCheck is one measure against its tolerance.
type BacktestCheck struct {
	// Measure names it: replicas, cpu, p95, budgetBurn, startup, scaleLag.
	Measure string `json:"measure"`
	// Value is the measure as the table shows it; Tolerance the bound.
	Value     string `json:"value"`
	Tolerance string `json:"tolerance"`
	// OK is true when the measure holds; Skipped when it could not be
	// computed (it then neither holds nor fails).
	OK      bool `json:"ok"`
	Skipped bool `json:"skipped,omitempty"`
}

// BacktestCause is the most likely reason a service disagrees and the value
// that would fit.
type BacktestCause struct {
	// Cause is one of BacktestCause* below.
	Cause string `json:"cause"`
	// Field is the plan field to change, e.g. services[api].cpu.perRequest.
	Field string `json:"field,omitempty"`
	// Planned is the plan's value and Fitted the value observed history
	// fits, in Unit.
	Planned *float64 `json:"planned,omitempty"`
	Fitted  *float64 `json:"fitted,omitempty"`
	Unit    string   `json:"unit,omitempty"`
	// Evidence is the pattern that names the cause.
	Evidence string `json:"evidence"`
}

// Backtest causes.
const (
	BacktestCauseCPU         = "cpuPerRequest"
	BacktestCauseStartup     = "startupDelay"
	BacktestCauseServiceTime = "serviceTime"
	BacktestCauseMetricLag   = "metricLag"
	BacktestCauseAutoscaling = "autoscaling"
)

// BacktestPoint is one step, observed and simulated; -1 where a value is
// missing (a gap, or no request served).
type BacktestPoint struct {
	// TSeconds is the offset from Start.
	TSeconds           float64 `json:"tSeconds"`
	Rate               float64 `json:"rate"`
	ObservedReplicas   float64 `json:"observedReplicas"`
	SimulatedReplicas  float64 `json:"simulatedReplicas"`
	ObservedCPU        float64 `json:"observedCpuUtilization"`
	SimulatedCPU       float64 `json:"simulatedCpuUtilization"`
	ObservedP95Seconds float64 `json:"observedP95Seconds"`
	SimulatedP95Secs   float64 `json:"simulatedP95Seconds"`
}

// BacktestFailure is a service that could not be backtested.
type BacktestFailure struct {
	Service string `json:"service"`
	// Query is the PromQL that failed or came back short, when one did.
	Query string `json:"query,omitempty"`
	// From and To bound the time range concerned.
	From  time.Time `json:"from"`
	To    time.Time `json:"to"`
	Error string    `json:"error"`
}
