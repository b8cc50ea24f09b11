package sim

import (
	"context"
	"fmt"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"

	"github.com/headroom-dev/headroom/model"
	"github.com/headroom-dev/headroom/scenarios"
	"github.com/headroom-dev/headroom/sim/hpa"
)

// Options select what to simulate and how to record it.
type Options struct {
	// Scenario names the plan's scenario to replay (required).
	Scenario string
	// Services limits the run to these services (default: every service the
	// scenario covers).
	Services []string
	// Seed overrides the plan's seed when not 0.
	Seed int64
	// SampleEvery is the series resolution. Default 1m.
	SampleEvery time.Duration
	// FlapWindow: a scale event in the opposite direction of the previous
	// one, at most this long after it, is a flap. Default 10m; negative is
	// an error.
	FlapWindow time.Duration
	// HPA replaces a service's HPA spec (by service name), for comparing a
	// proposed autoscaler with today's.
	HPA map[string]*autoscalingv2.HorizontalPodAutoscalerSpec
	// FixedReplicas runs every service at a constant replica count with no
	// HPA (by service name), for steady-state checks.
	FixedReplicas map[string]int32
	// InitialReplicas starts a service (by name) at this replica count
	// instead of the plan's, keeping its HPA (a backtest's replay starts at
	// the first observed count).
	InitialReplicas map[string]int32

	// Mode is the per-pod model: ModeFluid (the default) or ModeDES.
	Mode Mode
	// Arrivals is DES mode's arrival process (default ArrivalsPoisson).
	Arrivals Arrivals
	// ServiceTimes choose, by service name, DES mode's service-time
	// distribution (default: the plan's serviceTime.distribution, else
	// exponential when the plan's service time has cv 1, else gamma with
	// the plan's mean and cv).
	ServiceTimes map[string]ServiceTime

	// OnInterval, when set, receives each sample interval of each service
	// in DES mode (ignored in fluid mode), in time order per service.
	OnInterval func(Interval)

	// Traffic shares traffic series between runs of the same scenarios
	// (a search's candidates); nil computes them for this run alone.
	Traffic *TrafficCache

	// Latency shares latency tables between runs (an ensemble's members
	// across its scenarios); nil uses the process-wide cache for a run of
	// the plan's own inputs (zero Factors) and builds the tables of a run
	// with Factors for it alone.
	Latency *LatencyCache

	// ColdStart starts every service at the plan's replica count (after
	// the scheduled actions that ran before t = 0) with empty queues and
	// metric windows, and the HPA without history; so does the plan's
	// simulation.coldStart. By default a run starts warm, in the steady
	// state of its first instant (warm.go).
	ColdStart bool
	// Factors scale the plan's estimated inputs (an uncertainty ensemble's
	// member); the zero value runs the plan as written.
	Factors Factors
	// Pool, in DES mode, is the pool of cores the run shares with the
	// runs started beside it: the run holds a slot while it runs and
	// serves its services on the slots left free (desparallel.go). nil
	// serves them one by one on the caller's goroutine. The results are
	// the same either way.
	Pool *Pool
}

const (
	defaultSampleEvery = time.Minute
	defaultFlapWindow  = 10 * time.Minute
	caScanInterval     = 10 * time.Second
	day                = 24 * time.Hour
	// prehistory is how long before t = 0 the initial pods started, so that
	// no CPU-initialisation rule applies to them.
	prehistory = time.Hour
)

// Run simulates one scenario of a validated plan.
func Run(plan *scenarios.Plan, opts Options) (*Result, error) {
	return RunContext(context.Background(), plan, opts)
}

// New builds the world at t = 0: every service at its current replicas,
// all Ready, on as many nodes of the cheapest type as they need.
func New(plan *scenarios.Plan, opts Options) (*World, error) {
	if opts.Traffic == nil {
		// The scenario's multiplier is the same for every service: compute
		// its series once per run rather than once per service and tick.
		opts.Traffic = NewTrafficCache()
	}
	opts.Latency = latencyCacheFor(&opts)
	var sc *scenarios.Scenario
	for i := range plan.Scenarios {
		if plan.Scenarios[i].Name == opts.Scenario {
			sc = &plan.Scenarios[i]
		}
	}
	if sc == nil {
		return nil, fmt.Errorf("no scenario named %q in the plan", opts.Scenario)
	}
	seed := plan.Seed
	if opts.Seed != 0 {
		seed = opts.Seed
	}
	if opts.SampleEvery == 0 {
		opts.SampleEvery = defaultSampleEvery
	}
	if opts.FlapWindow < 0 {
		return nil, fmt.Errorf("flap window %s must be positive", opts.FlapWindow)
	}
	if opts.FlapWindow == 0 {
		opts.FlapWindow = defaultFlapWindow
	}
	mode, err := ParseMode(string(opts.Mode))
	if err != nil {
		return nil, err
	}
	opts.Mode = mode
	if opts.Arrivals, err = ParseArrivals(string(opts.Arrivals)); err != nil {
		return nil, err
	}
	simCfg := plan.Simulation
	w := &World{
		plan: plan, scenario: sc,
		tick:         simCfg.Tick.D(),
		end:          sc.Duration.D(),
		start:        time.Duration(sc.Start),
		resolution:   simCfg.MetricsResolution.D(),
		window:       simCfg.MetricsWindow.D(),
		caPeriod:     caScanInterval,
		provisioning: plan.Cluster.Autoscaler.ProvisioningDelay.D(),
		unneeded:     plan.Cluster.Autoscaler.ScaleDownUnneeded.D(),
		seed:         seed,
		mode:         opts.Mode,
		cold:         opts.ColdStart || plan.Simulation.ColdStart,
		flapWindow:   opts.FlapWindow,
		sampleEvery:  opts.SampleEvery,
	}
	if opts.SampleEvery < w.tick || opts.SampleEvery%w.tick != 0 {
		return nil, fmt.Errorf("sample interval %s must be a multiple of the tick %s", opts.SampleEvery, w.tick)
	}
	w.windowTicks = max(1, int(w.window/w.tick))
	w.tickSeconds, w.tickMinutes, w.tickHours = w.tick.Seconds(), w.tick.Minutes(), w.tick.Hours()
	cfg := controllerConfig(plan.Simulation.Controller)
	w.syncPeriod = cfg.SyncPeriod
	w.nodeShape = plan.Cluster.NodeShapes()
	want, missing := map[string]bool{}, map[string]bool{}
	for _, s := range opts.Services {
		want[s], missing[s] = true, true
	}
	for i := range plan.Services {
		spec := &plan.Services[i]
		if !sc.AppliesTo(spec.Name) || (len(want) > 0 && !want[spec.Name]) {
			continue
		}
		delete(missing, spec.Name)
		svc, err := w.newService(spec, sc, seed, cfg, opts)
		if err != nil {
			return nil, fmt.Errorf("service %s: %w", spec.Name, err)
		}
		w.services = append(w.services, svc)
		w.scheduled = w.scheduled || len(spec.ScheduledScaling) > 0
	}
	for _, name := range opts.Services {
		if missing[name] {
			return nil, fmt.Errorf("no service named %q in scenario %s", name, sc.Name)
		}
	}
	if len(w.services) == 0 {
		return nil, fmt.Errorf("scenario %s covers no service", sc.Name)
	}
	if err := w.wireCalls(opts); err != nil {
		return nil, err
	}
	budgets := make([]*budget, len(w.order))
	for i, s := range w.order {
		budgets[i] = &s.rec.budget
	}
	shareRings(budgets)
	if err := w.start0(); err != nil {
		return nil, err
	}
	if opts.Mode == ModeDES && opts.Pool != nil {
		w.par = &parallelServe{pool: opts.Pool}
	}
	w.nodeRec.series = make([]NodeSample, 0, int(w.end/w.sampleEvery)+1)
	return w, nil
}

// controllerConfig maps the plan's controller flags onto hpa.Config.
func controllerConfig(f scenarios.ControllerFlags) hpa.Config {
	cfg := hpa.DefaultConfig()
	if f.SyncPeriod > 0 {
		cfg.SyncPeriod = f.SyncPeriod.D()
	}
	if f.Tolerance != nil {
		cfg.Tolerance = *f.Tolerance
	}
	if f.CPUInitializationPeriod > 0 {
		cfg.CPUInitializationPeriod = f.CPUInitializationPeriod.D()
	}
	if f.InitialReadinessDelay > 0 {
		cfg.InitialReadinessDelay = f.InitialReadinessDelay.D()
	}
	if f.DownscaleStabilization > 0 {
		cfg.DownscaleStabilizationWindow = f.DownscaleStabilization.D()
	}
	return cfg
}

func (w *World) newService(spec *scenarios.Service, sc *scenarios.Scenario, seed int64, cfg hpa.Config, opts Options) (*service, error) {
	wl, err := spec.Workload(0)
	if err != nil {
		return nil, err
	}
	rate := w.plan.ScenarioRate(sc, spec.Name)
	base, fixed := rate.Scaled, rate.Fixed
	opts.Factors.apply(&wl, &base)
	fixed *= orOne(opts.Factors.RequestRate)
	s := &service{
		spec: spec, traffic: sc.Traffic(seed), base: base, fixed: fixed, w: wl,
		cpuRequest:   wl.CPURequest,
		memRequest:   wl.MemoryRequest,
		cpuLimit:     wl.CPULimit,
		timeout:      spec.Timeout.Seconds(),
		startup:      spec.Startup.ImagePull.D() + spec.Startup.ContainerStart.D(),
		readiness:    spec.Startup.Readiness.D(),
		sloQuantile:  0.95,
		specReplicas: spec.Replicas,
		nodeShare:    -1,
	}
	if s.specReplicas, s.pinnedStart, err = initialReplicas(spec, opts); err != nil {
		return nil, err
	}
	if l := spec.SLO.Latency; l != nil {
		s.sloQuantile, s.sloTarget = float64(l.Quantile), l.Target.Seconds()
	}
	if spec.SLO.ErrorRate != nil {
		s.errorBudget = float64(*spec.SLO.ErrorRate)
	}
	// DES mode builds the fluid model too: its capacity and latency table
	// check the workload, so a plan fails alike in both modes.
	fm, err := newFluidModel(s, opts.Latency)
	if err != nil {
		return nil, err
	}
	s.model = fm
	hpaSpec := spec.HPA
	if o, ok := opts.HPA[spec.Name]; ok {
		hpaSpec = o
	}
	if n, ok := opts.FixedReplicas[spec.Name]; ok {
		hpaSpec, s.specReplicas = nil, n
	}
	if hpaSpec != nil {
		s.hpaSpec = hpaSpec.DeepCopy()
		if s.hpa, err = hpa.NewController(cfg, s.hpaSpec); err != nil {
			return nil, err
		}
		if err := s.compileSources(w); err != nil {
			return nil, err
		}
	}
	s.lambda, s.lambdaTicks = opts.Traffic.multipliers(sc, seed, w.tick)
	if len(s.lambda) < s.lambdaTicks {
		w.lambdaPeriod = len(s.lambda) // the same series for every service
	}
	s.rec = recorder{every: w.sampleEvery, next: w.sampleEvery, onInterval: opts.OnInterval, service: spec.Name}
	latencyBudget := 0.0
	if s.sloTarget > 0 {
		latencyBudget = 1 - s.sloQuantile
	}
	s.rec.budget = newBudget(latencyBudget, s.errorBudget, spec.SLO.BudgetWindow(), w.tick)
	s.rec.series = make([]Sample, 0, int(w.end/w.sampleEvery)+1)
	s.rec.sum.MinReplicas, s.rec.sum.MaxReplicas = s.specReplicas, s.specReplicas
	s.rec.reach = ReplicaRange{s.specReplicas, s.specReplicas}
	if opts.Mode == ModeDES {
		st, err := desServiceTime(opts.ServiceTimes[spec.Name], spec)
		if err != nil {
			return nil, err
		}
		if s.model, err = newDESModel(s, w.tick, seed, opts.Arrivals, opts.Factors.scaleServiceTime(st)); err != nil {
			return nil, err
		}
	}
	s.fluid = fm
	return s, nil
}

// start0 puts the world in its state at t = 0: cold, the plan's replicas
// Ready and then the scheduled actions of the day before replayed (which
// may create pods that start at t = 0); warm (the default), warmStart.
func (w *World) start0() error {
	if !w.cold {
		return w.warmStart()
	}
	for _, s := range w.services {
		w.addInitialPods(s, s.specReplicas)
	}
	if err := w.placeInitialPods(nil); err != nil {
		return err
	}
	for _, s := range w.services {
		w.replayActions(s)
	}
	return nil
}

// addInitialPods creates n pods of s that have been Ready since before
// the prehistory; placeInitialPods binds them.
func (w *World) addInitialPods(s *service, n int32) {
	for range n {
		p := w.newPod(s)
		p.created, p.boundAt, p.runningAt, p.readyAt = -prehistory, -prehistory, -prehistory, -prehistory
		p.phase = podReady
		p.customSince = -prehistory
	}
	s.podGen++
}

// compileSources maps each HPA metric to what produces it.
func (s *service) compileSources(w *World) error {
	s.sources = make([]metricSource, len(s.hpaSpec.Metrics))
	s.snapshot.Metrics = make([]hpa.MetricValues, max(1, len(s.hpaSpec.Metrics)))
	for i, m := range s.hpaSpec.Metrics {
		var name string
		switch m.Type {
		case autoscalingv2.ResourceMetricSourceType, autoscalingv2.ContainerResourceMetricSourceType:
			s.sources[i] = metricSource{kind: m.Type, ring: -1}
			continue
		case autoscalingv2.PodsMetricSourceType:
			name = m.Pods.Metric.Name
		case autoscalingv2.ObjectMetricSourceType:
			name = m.Object.Metric.Name
		case autoscalingv2.ExternalMetricSourceType:
			name = m.External.Metric.Name
		}
		var src *scenarios.MetricSource
		for j := range s.spec.MetricSources {
			if s.spec.MetricSources[j].Name == name {
				src = &s.spec.MetricSources[j]
			}
		}
		if src == nil {
			return fmt.Errorf("hpa metric %q has no metricSources entry saying what it measures", name)
		}
		lagTicks := int(src.Lag.D() / w.tick)
		s.custom = append(s.custom, newLagRing(lagTicks))
		s.sources[i] = metricSource{kind: m.Type, source: src.Source, factor: *src.Factor, ring: len(s.custom) - 1}
	}
	return nil
}

// latencyCache shares tables between runs of the plan's own workloads (a
// tune evaluates hundreds of HPA candidates against one service; a review
// runs every scenario). Runs with Factors (an ensemble member draws
// continuous ones, so each member is a workload of its own) never use it:
// they share Options.Latency, or build their tables for the run alone, so
// the process-wide cache holds a table per workload the plans name, not
// one per member. maxSharedTables bounds it still (a long-lived process
// reviewing many plans).
var latencyCache = newTableCache(maxSharedTables)

const maxSharedTables = 256

// latencyCacheFor is the cache a run with opts uses.
func latencyCacheFor(opts *Options) *LatencyCache {
	switch {
	case opts.Latency != nil:
		return opts.Latency
	case opts.Factors.IsZero():
		return latencyCache
	default:
		return NewLatencyCache()
	}
}

func (w *World) newPod(s *service) *pod {
	var p *pod
	if n := len(w.freePods); n > 0 {
		p = w.freePods[n-1]
		w.freePods = w.freePods[:n-1]
		cpu, mem := p.cpuRing, p.memRing
		*p = pod{cpuRing: cpu, memRing: mem}
		clear(p.cpuRing)
		clear(p.memRing)
	} else {
		p = &pod{cpuRing: make([]float64, w.windowTicks), memRing: make([]float64, w.windowTicks)}
	}
	s.nextID++
	p.id = s.nextID
	p.node = -1
	p.created = w.now
	p.phase = podPending
	s.pods = append(s.pods, p)
	s.podGen++
	s.model.add()
	return p
}

// placeInitialPods packs the initial pods onto the cheapest node type and
// binds them. counts, when not nil, are the pods to pack by if the initial
// pods fit no node type within its maxNodes (the warm start's, which can
// be more than the cluster holds): then the pods that fit no node stay
// Pending from t = 0, as they would in the cluster.
func (w *World) placeInitialPods(counts []int) error {
	var shapes []model.PodShape
	for _, s := range w.services {
		shapes = append(shapes, model.PodShape{Name: s.spec.Name, CPU: s.cpuRequest, Memory: s.memRequest, Count: len(s.pods)})
	}
	packing, err := model.Pack(shapes, w.nodeShape)
	if err != nil && counts != nil {
		for i := range shapes {
			shapes[i].Count = counts[i]
		}
		packing, err = model.Pack(shapes, w.nodeShape)
	}
	if err != nil {
		return fmt.Errorf("initial pods: %w", err)
	}
	for i, ns := range w.nodeShape {
		if ns.Name == packing.NodeType {
			w.newNode = i
		}
	}
	for range packing.Nodes {
		w.addNode(true)
	}
	// First fit in service order can need a node more than FFD did.
	maxNodes := w.nodeShape[w.newNode].MaxNodes
	for _, s := range w.services {
		for _, p := range s.pods {
			if !w.bind(s, p) {
				if counts != nil && maxNodes > 0 && len(w.nodes) >= maxNodes {
					*p = pod{id: p.id, node: -1, phase: podPending, cpuRing: p.cpuRing, memRing: p.memRing}
					continue
				}
				w.addNode(true)
				if !w.bind(s, p) {
					return fmt.Errorf("a %s pod fits no node of type %s", s.spec.Name, w.nodeShape[w.newNode].Name)
				}
			}
			p.boundAt, p.phase = -prehistory, podReady
		}
		s.podGen++
	}
	return nil
}

func (w *World) addNode(ready bool) {
	ns := w.nodeShape[w.newNode]
	n := node{typ: w.newNode, ready: ready, readyAt: w.now + w.provisioning, cpuFree: ns.CPU, memFree: ns.Memory, emptySince: w.now}
	if ready {
		n.readyAt = w.now
	}
	w.nodesChanged = true
	for i := range w.nodes {
		if w.nodes[i].removed {
			w.nodes[i] = n
			return
		}
	}
	w.nodes = append(w.nodes, n)
}

// bind places p on the first Ready node with room.
func (w *World) bind(s *service, p *pod) bool {
	const eps = 1e-9
	for i := range w.nodes {
		n := &w.nodes[i]
		if n.removed || !n.ready || n.cpuFree+eps < s.cpuRequest || n.memFree+eps*s.memRequest < s.memRequest {
			continue
		}
		n.cpuFree -= s.cpuRequest
		n.memFree -= s.memRequest
		n.pods++
		s.bound++
		p.node, p.boundAt, p.phase = i, w.now, podStarting
		s.podGen++
		return true
	}
	return false
}

func (w *World) unbind(s *service, p *pod) {
	if p.node < 0 {
		return
	}
	n := &w.nodes[p.node]
	n.cpuFree += s.cpuRequest
	n.memFree += s.memRequest
	n.pods--
	s.bound--
	if n.pods == 0 {
		n.emptySince = w.now
	}
	p.node = -1
	s.podGen++
}
