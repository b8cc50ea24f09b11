package sim

import (
	"fmt"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"

	"github.com/headroom-dev/headroom/model"
	"github.com/headroom-dev/headroom/scenarios"
	"github.com/headroom-dev/headroom/sim/hpa"
)

// podPhase is where a pod is in its life.
type podPhase uint8

const (
	// podPending: created, not yet bound to a node.
	podPending podPhase = iota
	// podStarting: bound; pulling the image and starting the container.
	podStarting
	// podRunning: container running, readiness probe not yet passed.
	podRunning
	// podReady: serving traffic.
	podReady
)

func (p podPhase) String() string {
	return [...]string{"pending", "starting", "running", "ready"}[p]
}

// pod is one replica. Its rings hold the last metrics-window of CPU and
// memory use, one entry per tick.
type pod struct {
	// The fields the scrape and the cohort's sync read for every pod
	// come first, side by side: a service's pods are read one after the
	// other at every scrape.
	phase podPhase
	// cohort: the pod is a member of its service's steady cohort since
	// step cohortFrom, its sums holding the steps before syncedTo
	// (cohort.go).
	cohort               bool
	hasSample            bool
	node                 int
	runningAt            time.Duration
	cohortFrom, syncedTo int
	cpuSum, memSum       float64
	// The latest metrics-server sample (hasSample: there is one). After
	// the warm start only the scrape writes it: the runs it finds for the
	// HPA (podRun) stay true while the pods do not change (podGen).
	sampleCPU float64
	sampleMem float64
	sampleAt  time.Duration
	ringLen   int
	cpuRing   []float64

	id      int
	created time.Duration
	boundAt time.Duration
	readyAt time.Duration

	memRing []float64
	ringPos int

	customSince      time.Duration // custom metrics exist for samples after this
	lastInFlight     float64
	lastCPU, lastMem float64
}

// node is one node of the cluster.
type node struct {
	typ        int
	ready      bool
	readyAt    time.Duration
	cpuFree    float64
	memFree    float64
	pods       int
	emptySince time.Duration
	removed    bool
}

// service is one simulated service with its pods and HPA.
type service struct {
	spec    *scenarios.Service
	traffic scenarios.Traffic
	// base is the rate the scenario's multiplier scales and fixed the rate
	// it does not (calls from services outside the run), requests per
	// second: the rate at t is base·λ(t) + fixed.
	base, fixed float64
	w           model.Workload

	// calls couples a caller to its synchronous callees (calls.go), nil
	// for a service without any; called marks a service some service of
	// the run calls synchronously, which keeps for its callers its mean
	// response (respMean, seconds; fluid mode) and the fraction of its
	// requests that failed (errFrac) each tick.
	calls             *callState
	called            bool
	respMean, errFrac float64

	cpuRequest   float64 // cores
	memRequest   float64 // bytes
	cpuLimit     float64 // cores, 0 = none
	timeout      float64 // seconds
	startup      time.Duration
	readiness    time.Duration
	sloQuantile  float64
	sloTarget    float64 // seconds; 0 = no latency SLO
	errorBudget  float64 // fraction; 0 = none
	specReplicas int32
	// pinnedStart: specReplicas came from Options.InitialReplicas, and a
	// warm start keeps it (settleReplicas) rather than settling the HPA.
	pinnedStart bool

	pods   []*pod
	nextID int
	// bound counts pods bound to a node, kept by bind and unbind; ready
	// counts Ready pods, recounted by advancePods every tick.
	bound, ready int
	// podGen counts the changes to the pods that reconcile's snapshot and
	// advancePods read (a pod created, bound, unbound, deleted, or moved to
	// a later phase). settledGen is podGen+1 when advancePods last found
	// no pod starting or running-not-Ready, so that, until the pods
	// change, it has nothing to advance.
	podGen, settledGen uint64
	// lostOnDelete are requests queued on deleted pods that they could not
	// serve within the grace period; the next tick counts them as errors.
	lostOnDelete float64
	// lambda holds the scenario's multiplier per tick, shared by every run
	// of the scenario (a tune's candidates), for lambdaTicks ticks; one
	// day of them when the profile repeats daily (TrafficCache.multipliers).
	lambda      []float64
	lambdaTicks int

	hpa      *hpa.Controller
	hpaSpec  *autoscalingv2.HorizontalPodAutoscalerSpec
	snapshot hpa.Snapshot
	sources  []metricSource // per HPA metric, nil for resource metrics
	lastDec  hpa.Decision
	events   []ScaleEvent

	// Rings of per-tick values for lagged custom metrics.
	custom []lagRing

	rec recorder
	// model is the per-pod model, fluid or DES, and holds the pods' queues.
	model podModel
	// fluid is the fluid model, in DES mode too: the warm start reads the
	// stationary state from it in both modes.
	fluid *fluidModel

	snapshotContainers []hpa.Container
	samplers           []metricSampler // reconcile's, one per metric with per-pod samples
	// runs are the last scrape's runs of pods the HPA cannot tell apart;
	// runsGen is podGen+1 when it took them.
	runs    []podRun
	runsGen uint64

	// nodeShare is a pod's larger share of a new node's CPU or memory, what
	// it pays of the node's price (−1 until recordNodes first computes it).
	nodeShare float64

	// The tick's stats, reused.
	tickStats tickStats
	ratioBuf  []float64
}

// metricSource produces one HPA metric.
type metricSource struct {
	kind   autoscalingv2.MetricSourceType
	source string
	factor float64
	ring   int // index into service.custom
}

// lagRing is a delay line: push one value per tick, read the value from
// lag ticks ago.
type lagRing struct {
	vals []float64
	pos  int
	n    int
}

func newLagRing(lagTicks int) lagRing { return lagRing{vals: make([]float64, lagTicks+1)} }

func (r *lagRing) push(v float64) {
	r.vals[r.pos] = v
	r.pos = (r.pos + 1) % len(r.vals)
	if r.n < len(r.vals) {
		r.n++
	}
}

// lagged returns the value pushed len−1 pushes ago, or the oldest one.
func (r *lagRing) lagged() float64 {
	if r.n < len(r.vals) {
		return r.vals[0]
	}
	return r.vals[r.pos]
}

// World is the simulated cluster: services, nodes and the clock.
type World struct {
	plan     *scenarios.Plan
	scenario *scenarios.Scenario
	now      time.Duration
	// step counts the ticks: now = step·tick.
	step int
	// lambdaPhase is step modulo lambdaPeriod, the length of the
	// services' daily multiplier series (0: none is daily).
	lambdaPhase, lambdaPeriod int
	clock                     clock
	tick                      time.Duration
	// The tick in seconds, minutes and hours, converted once.
	tickSeconds, tickMinutes, tickHours float64
	// scheduled: a service has scheduled actions (runScheduledActions).
	scheduled bool
	end       time.Duration
	start     time.Duration // wall time of day at t = 0

	services []*service
	// order is services in the order they serve each tick: callees before
	// their callers (the same slice without calls).
	order     []*service
	nodeShape []model.NodeShape
	nodes     []node
	newNode   int // node type the autoscaler adds

	resolution   time.Duration
	window       time.Duration
	windowTicks  int
	syncPeriod   time.Duration
	caPeriod     time.Duration
	provisioning time.Duration
	unneeded     time.Duration

	seed int64
	mode Mode
	cold bool // Options.ColdStart
	// priming is set while the warm start replays the scheduled actions
	// before t = 0: scaleTo then only sets spec.replicas.
	priming bool
	// eachPod lists every pod in its own entry of the HPA's snapshots:
	// the reference the shared entries (reconcile) are tested against.
	eachPod     bool
	flapWindow  time.Duration
	sampleEvery time.Duration

	freePods []*pod
	nodeRec  nodeRecorder
	// nodeCount is the nodes' count and cost as recordNodes reads them,
	// recounted only when nodesChanged (a node added, Ready or removed).
	nodeCount    nodeCount
	nodesChanged bool
	scratch      []float64 // the cluster autoscaler's free-capacity estimate
	// par serves a DES world's services on a pool's free slots; nil
	// without a pool.
	par *parallelServe
	// coupled is true when services call each other: they serve one by
	// one, callees first, never in parallel.
	coupled bool
}

// nodeCount is the nodes that exist, Ready or provisioning, and their
// price per hour.
type nodeCount struct {
	ready, provisioning int
	cost                float64
}

// ScaleEvent is one change of a workload's replicas.
type ScaleEvent struct {
	At     scenarios.Seconds `json:"atSeconds"`
	From   int32             `json:"from"`
	To     int32             `json:"to"`
	Reason string            `json:"reason"`
}

func (w *World) String() string { return fmt.Sprintf("world t=%s", w.now) }
