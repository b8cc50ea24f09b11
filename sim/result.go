package sim

import (
	"math"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/headroom-dev/headroom/model"
	"github.com/headroom-dev/headroom/scenarios"
)

// Result is a simulation's output: per-service series and summaries and the
// cluster's nodes and cost.
type Result struct {
	Plan     string `json:"plan"`
	Scenario string `json:"scenario"`
	Seed     int64  `json:"seed"`
	// Duration is the scenario's length, Tick the simulation step and
	// SampleEvery the series' resolution.
	Duration    scenarios.Seconds `json:"durationSeconds"`
	Tick        scenarios.Seconds `json:"tickSeconds"`
	SampleEvery scenarios.Seconds `json:"sampleEverySeconds"`
	Services    []ServiceResult   `json:"services"`
	Cluster     ClusterResult     `json:"cluster"`
	// Mode is the per-pod model, "des" for the discrete-event mode; empty
	// for the fluid mode (the default).
	Mode Mode `json:"mode,omitempty"`
	// ColdStart is true when the run started cold (Options.ColdStart or the
	// plan's simulation.coldStart); absent for the default warm start.
	ColdStart bool `json:"coldStart,omitempty"`
}

// ServiceResult is one service's run.
type ServiceResult struct {
	Service string       `json:"service"`
	Summary Summary      `json:"summary"`
	Events  []ScaleEvent `json:"scaleEvents"`
	// Conditions are the HPA's status conditions after its last sync (nil
	// without an HPA), as `kubectl describe hpa` would show them.
	Conditions *HPAConditions `json:"hpaConditions,omitempty"`
	Series     []Sample       `json:"series"`
	// Bands are the spread of Series over an uncertainty ensemble, nil
	// for a single run.
	Bands *SeriesBands `json:"-"`
	// Reach is the range of replica counts the run held or its HPA moved
	// to, the warm start's settling included: what ReachSameRun reads.
	Reach ReplicaRange `json:"-"`
}

// SeriesBands spread a service's series over an uncertainty ensemble: for
// each sample interval of the nominal run, the p10 / p50 / p90 over the
// members of its latency quantiles and Ready pods. A latency no member
// measured in an interval (nothing served) is NaN.
type SeriesBands struct {
	P50, P95, P99 []model.Interval
	Ready         []model.Interval
}

// Sample aggregates one SampleEvery interval of a service. Latencies are
// arrival-weighted means of the per-tick values in fluid mode and the
// quantiles of the interval's response times in DES mode; -1 where no
// request was served in the interval.
type Sample struct {
	// T is the end of the interval, from the scenario start.
	T scenarios.Seconds `json:"tSeconds"`
	// Lambda is the mean offered request rate, per second.
	Lambda float64 `json:"lambda"`
	// Desired is spec.replicas at the end of the interval; Ready and Pending
	// (created but not Ready) are pod counts there.
	Desired int32 `json:"desired"`
	Ready   int   `json:"ready"`
	Pending int   `json:"pending"`
	// CPUUtilisation and MemoryUtilisation are the mean use of a Ready pod
	// over its request.
	CPUUtilisation    float64 `json:"cpuUtilization"`
	MemoryUtilisation float64 `json:"memoryUtilization"`
	// HPAMetrics are, per HPA metric, the last reconcile's usage over target
	// (1 is on target); NaN-free: -1 where the metric gave no value.
	HPAMetrics []float64 `json:"hpaMetrics,omitempty"`
	P50        float64   `json:"p50"`
	P95        float64   `json:"p95"`
	P99        float64   `json:"p99"`
	// Queue is the mean number of requests waiting over all pods.
	Queue float64 `json:"queue"`
	// Errors counts failed requests (timeouts, no Ready pod) in the interval.
	Errors float64 `json:"errors"`
	// ErrorRate is Errors over arrivals.
	ErrorRate float64 `json:"errorRate"`
	// Slow counts the requests served in the interval slower than the
	// latency target (0 without a latency SLO): with Errors, the
	// interval's bad requests of the error budget.
	Slow float64 `json:"slow"`
	// SLOViolated is true when any tick of the interval violated the SLO.
	SLOViolated bool `json:"sloViolated"`
}

// Summary is what a reviewer reads first.
type Summary struct {
	// SLOBudgetBurn is the error budget the scenario spent: the fraction of
	// requests that were bad over the fraction the SLO allows (budget.go);
	// at most 1 meets the SLO over the scenario. With a latency and an
	// error-rate objective it is the larger of the two burns. 0 without an
	// SLO.
	SLOBudgetBurn float64 `json:"sloBudgetBurn"`
	// WorstWindowBurn is the highest burn over any window of
	// SLOWindowSeconds (slo.window) in the scenario; the scenario's burn
	// when it is shorter than the window.
	WorstWindowBurn  float64 `json:"worstWindowBurn"`
	SLOWindowSeconds float64 `json:"sloWindowSeconds"`
	// BadRequests counts the requests that failed or took longer than the
	// latency target (failed ones only without a latency objective);
	// BadFraction is BadRequests over Requests.
	BadRequests float64 `json:"badRequests"`
	BadFraction float64 `json:"badFraction"`
	// SLOViolationMinutes is the time the latency quantile exceeded its
	// target or the error rate its budget: a secondary view of the SLO,
	// each such minute counted whole however many requests it held.
	SLOViolationMinutes float64 `json:"sloViolationMinutes"`
	// WorstP95 is the highest per-tick p95 latency of served requests,
	// seconds (0 when none was served); in DES mode the highest p95 of a
	// sample interval.
	WorstP95 float64 `json:"worstP95Seconds"`
	// ErrorPercent is failed requests over all requests, in percent.
	ErrorPercent float64 `json:"errorPercent"`
	// Requests counts arrivals, Served those answered, Errors those that
	// failed (timed out, dropped, or found no Ready pod).
	Requests float64 `json:"requests"`
	Served   float64 `json:"served"`
	Errors   float64 `json:"errors"`
	// LongestViolation is the longest continuous SLO violation: the time to
	// recover from the worst spike.
	LongestViolation scenarios.Seconds `json:"longestViolationSeconds"`
	// PodHours counts pods bound to nodes; Cost is their share of node cost
	// (by their larger share of a node's CPU or memory).
	PodHours float64 `json:"podHours"`
	Cost     float64 `json:"cost"`
	// ScaleEvents counts replica changes; Flaps those in the opposite
	// direction of the previous change and within the flap window of it;
	// ScaleEventsPerHour is ScaleEvents over the scenario's hours.
	ScaleEvents        int     `json:"scaleEvents"`
	Flaps              int     `json:"flaps"`
	ScaleEventsPerHour float64 `json:"scaleEventsPerHour"`
	// PinnedAtMaxMinutes is the time spent at the HPA's maxReplicas.
	PinnedAtMaxMinutes float64 `json:"pinnedAtMaxMinutes"`
	MinReplicas        int32   `json:"minReplicas"`
	MaxReplicas        int32   `json:"maxReplicas"`
	// MeanCPUUtilisation is the time-averaged CPU use over request of Ready pods.
	MeanCPUUtilisation float64 `json:"meanCpuUtilization"`

	// SLOBudgetBurnRange, WorstWindowBurnRange, SLOViolationMinutesRange,
	// WorstP95Range, ErrorPercentRange and CostRange are the p10 / p50 /
	// p90 of those measures over the plan's uncertainty ensemble (package
	// sim/ensemble); nil for a single run.
	SLOBudgetBurnRange       *model.Interval `json:"sloBudgetBurnRange,omitempty"`
	WorstWindowBurnRange     *model.Interval `json:"worstWindowBurnRange,omitempty"`
	SLOViolationMinutesRange *model.Interval `json:"sloViolationMinutesRange,omitempty"`
	WorstP95Range            *model.Interval `json:"worstP95SecondsRange,omitempty"`
	ErrorPercentRange        *model.Interval `json:"errorPercentRange,omitempty"`
	CostRange                *model.Interval `json:"costRange,omitempty"`
}

// ReplicaRange is the replica counts from Lo to Hi.
type ReplicaRange struct{ Lo, Hi int32 }

// include widens the range to hold n.
func (r *ReplicaRange) include(n int32) { r.Lo, r.Hi = min(r.Lo, n), max(r.Hi, n) }

// ReachSameRun reports whether a run with the HPA's minReplicas m and
// maxReplicas M changed to m2 and M2, and nothing else, is the same run, bit
// for bit, given the first run's Reach. The HPA reads its bounds only to
// clamp the count it moves to (normalizeDesiredReplicasWithBehaviors and
// convertDesiredReplicasWithRules in
// pkg/controller/podautoscaler/horizontal.go; the stabilisation windows
// record the count before the clamp), as does the warm start's settling:
// a bound that never clamped, because the counts stayed clear of it, would
// not clamp at any value the counts also stay clear of. maxReplicas
// clamps a count that reaches it, minReplicas one at or below it, and at 0
// replicas minReplicas also decides whether scaling is disabled. So each
// bound is unchanged, or the run never met it and does not meet the new
// one: M2 above Reach.Hi (then the time pinned at maxReplicas is 0 in
// both), and m2 at most Reach.Lo with Reach.Lo above m and at least 1.
// It holds only when no scheduled action patches the HPA's bounds (the
// caller checks): a patch that would leave minReplicas above maxReplicas
// is refused, which depends on the bounds.
func ReachSameRun(reach ReplicaRange, m, M, m2, M2 int32) bool {
	if m2 > M2 {
		return false
	}
	maxOK := M2 == M || (reach.Hi < M && reach.Hi < M2)
	minOK := m2 == m || (reach.Lo > m && reach.Lo >= 1 && m2 <= reach.Lo)
	return maxOK && minOK
}

// ClusterResult is the cluster's nodes over the run.
type ClusterResult struct {
	NodeType  string            `json:"nodeType"`
	NodeHours float64           `json:"nodeHours"`
	Cost      float64           `json:"cost"`
	PeakNodes int               `json:"peakNodes"`
	Series    []NodeSample      `json:"series"`
	Added     int               `json:"nodesAdded"`
	Removed   int               `json:"nodesRemoved"`
	Unplaced  scenarios.Seconds `json:"unschedulableSeconds"`
}

// NodeSample is the cluster at the end of one SampleEvery interval.
type NodeSample struct {
	T            scenarios.Seconds `json:"tSeconds"`
	Ready        int               `json:"ready"`
	Provisioning int               `json:"provisioning"`
	// CostPerHour of the nodes that exist (ready or provisioning).
	CostPerHour float64 `json:"costPerHour"`
}

// recorder accumulates a service's ticks into samples and its summary.
type recorder struct {
	every  time.Duration
	next   time.Duration
	series []Sample
	// metrics is the chunk the samples' HPAMetrics are cut from.
	metrics []float64
	cur     interval // the open sample interval
	// hist holds the open interval's response times in microseconds (DES
	// only; nil in fluid mode, which averages per-tick quantiles instead).
	hist *hdrhistogram.Histogram
	// onInterval, when set, receives every DES interval (Options.OnInterval).
	onInterval func(Interval)
	service    string

	sum         Summary
	reach       ReplicaRange // ServiceResult.Reach
	budget      budget
	violStart   time.Duration
	inViolation bool
	// Run-long CPU utilisation of Ready pods, for the summary's mean.
	cpuTimeSum, cpuTimeTicks float64
	lastDir                  int32
	lastEventAt              time.Duration
}

// interval accumulates the ticks of one sample interval.
type interval struct {
	ticks            int
	lamSum, arrivals float64
	cpuSum, memSum   float64
	utilTicks        int
	p50w, p95w, p99w float64
	served           float64
	queueSum, errs   float64
	slow             float64
	violated         bool
}

// tickStats is one service's tick.
type tickStats struct {
	lambda, arrivals, errors float64
	served                   float64 // arrivals that got a response
	p50, p95, p99, pSLO      float64
	// mean is the mean response time of the tick's requests (fluid mode).
	mean             float64
	queue            float64
	cpuUtil, memUtil float64
	ready            int
	violated         bool
	// slow counts the requests served this tick slower than the latency
	// target (0 without one): with errors, the error budget's bad requests.
	slow float64
	// byCount: the latency verdict comes from overSLO, the fraction of the
	// last minute's completed requests slower than the target (DES),
	// instead of pSLO.
	byCount bool
	overSLO float64
}

func (r *recorder) add(now, tick time.Duration, tickMinutes float64, s *tickStats) {
	c := &r.cur
	c.ticks++
	c.lamSum += s.lambda
	c.arrivals += s.arrivals
	c.errs += s.errors
	c.slow += s.slow
	c.queueSum += s.queue
	if s.ready > 0 {
		c.cpuSum += s.cpuUtil
		c.memSum += s.memUtil
		c.utilTicks++
		r.cpuTimeSum += s.cpuUtil
		r.cpuTimeTicks++
	}
	if s.served > 0 && r.hist == nil {
		c.p50w += s.p50 * s.served
		c.p95w += s.p95 * s.served
		c.p99w += s.p99 * s.served
		c.served += s.served
		r.sum.WorstP95 = math.Max(r.sum.WorstP95, s.p95)
	}
	r.sum.Requests += s.arrivals
	r.sum.Served += s.served
	r.sum.Errors += s.errors
	r.budget.add(budgetTick{requests: s.arrivals, bad: s.errors + s.slow, errors: s.errors})
	if s.violated {
		c.violated = true
		r.sum.SLOViolationMinutes += tickMinutes
		if !r.inViolation {
			r.inViolation, r.violStart = true, now-tick
		}
	} else if r.inViolation {
		r.inViolation = false
		r.sum.LongestViolation = max(r.sum.LongestViolation, scenarios.Seconds(now-tick-r.violStart))
	}
}

// flush closes the interval ending at now.
func (r *recorder) flush(now time.Duration, desired int32, ready, pending int, hpaMetrics []float64) {
	c := &r.cur
	s := Sample{T: scenarios.Seconds(now), Desired: desired, Ready: ready, Pending: pending, P50: -1, P95: -1, P99: -1,
		SLOViolated: c.violated, Errors: c.errs, Slow: c.slow}
	if c.ticks > 0 {
		s.Lambda = c.lamSum / float64(c.ticks)
		s.Queue = c.queueSum / float64(c.ticks)
	}
	if c.utilTicks > 0 {
		s.CPUUtilisation = c.cpuSum / float64(c.utilTicks)
		s.MemoryUtilisation = c.memSum / float64(c.utilTicks)
	}
	if c.served > 0 {
		s.P50, s.P95, s.P99 = c.p50w/c.served, c.p95w/c.served, c.p99w/c.served
	}
	r.reportInterval(now)
	if h := r.hist; h != nil {
		// DES: quantiles of the interval's recorded response times.
		s.P50, s.P95, s.P99 = -1, -1, -1
		if h.TotalCount() > 0 {
			q := func(p float64) float64 { return float64(h.ValueAtQuantile(p)) / 1e6 }
			s.P50, s.P95, s.P99 = q(50), q(95), q(99)
			r.sum.WorstP95 = math.Max(r.sum.WorstP95, s.P95)
		}
		h.Reset()
	}
	if c.arrivals > 0 {
		s.ErrorRate = c.errs / c.arrivals
	}
	if n := len(hpaMetrics); n > 0 {
		// The samples' HPA ratios share chunks of one backing array
		// instead of one allocation each.
		if len(r.metrics)+n > cap(r.metrics) {
			r.metrics = make([]float64, 0, max(n*256, 1024))
		}
		i := len(r.metrics)
		r.metrics = append(r.metrics, hpaMetrics...)
		s.HPAMetrics = r.metrics[i : i+n : i+n]
	}
	r.series = append(r.series, s)
	r.cur = interval{}
	r.next += r.every
}

// nodeRecorder samples the cluster.
type nodeRecorder struct {
	series    []NodeSample
	nodeHours float64
	cost      float64
	peak      int
	added     int
	removed   int
	unplaced  time.Duration
}
