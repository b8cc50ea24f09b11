package scenarios

import (
	"fmt"
	"math"
	"regexp"
	"sort"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	k8svalidation "k8s.io/apimachinery/pkg/util/validation"

	"github.com/headroom-dev/headroom/model"
)

// Defaults applied by SetDefaults.
const (
	DefaultSeed              = 1
	DefaultProvisioningDelay = 3 * time.Minute
	DefaultScaleDownUnneeded = 10 * time.Minute
	DefaultTimeout           = 30 * time.Second
	DefaultMetricLag         = 30 * time.Second
	DefaultTick              = time.Second
	DefaultMetricsResolution = 15 * time.Second
	DefaultMetricsWindow     = 30 * time.Second
	// DefaultMaxUtilization is the utilisation ceiling, in percent, of a
	// service with neither an SLO ceiling nor an HPA CPU target.
	DefaultMaxUtilization = 80
	// MaxRatePerSecond bounds a request rate: beyond it, a unit is wrong.
	MaxRatePerSecond = 1e9
	// MaxConcurrency bounds a pod's worker slots (the queue maths is O(k)).
	MaxConcurrency = 100_000
	// MinTick bounds the simulator's tick from below; MaxMetricsWindow and
	// MaxMetricLag bound the delay lines it keeps per pod and metric.
	MinTick          = 10 * time.Millisecond
	MaxMetricsWindow = 10 * time.Minute
	MaxMetricLag     = time.Hour
	// AutoscalerScan is how often the simulated cluster autoscaler looks
	// for pending pods (cluster-autoscaler's --scan-interval).
	AutoscalerScan = 10 * time.Second
	// MaxScenarioDuration bounds a scenario's length.
	MaxScenarioDuration = 400 * day
)

// SetDefaults fills the fields a plan may leave out. It is idempotent.
func (p *Plan) SetDefaults() {
	if p.Seed == 0 {
		p.Seed = DefaultSeed
	}
	for i := range p.Services {
		s := &p.Services[i]
		if s.WorkloadRef.Kind == "" {
			s.WorkloadRef.Kind = "Deployment"
		}
		if s.WorkloadRef.Name == "" {
			s.WorkloadRef.Name = s.Name
		}
		if s.Container == "" {
			s.Container = s.Name
		}
		if s.Redundancy.Zones == 0 {
			s.Redundancy.Zones = 1
		}
		if s.Timeout == 0 {
			s.Timeout = Duration(DefaultTimeout)
		}
		s.ServiceTime.defaultMean()
		for j := range s.Endpoints {
			if st := s.Endpoints[j].ServiceTime; st != nil {
				st.defaultMean()
			}
		}
		for j := range s.MetricSources {
			m := &s.MetricSources[j]
			if m.Factor == nil {
				m.Factor = ptrOf(1.0)
			}
			if m.Lag == nil {
				m.Lag = ptrOf(Duration(DefaultMetricLag))
			}
		}
		if s.HPA != nil && s.HPA.ScaleTargetRef.Name == "" {
			s.HPA.ScaleTargetRef = autoscalingv2.CrossVersionObjectReference{
				APIVersion: "apps/v1", Kind: s.WorkloadRef.Kind, Name: s.WorkloadRef.Name,
			}
		}
	}
	for i := range p.Scenarios {
		if p.Scenarios[i].Mode == "" {
			p.Scenarios[i].Mode = ModeMultiplier
		}
	}
	sim := &p.Simulation
	if sim.Tick == 0 {
		sim.Tick = Duration(DefaultTick)
	}
	if sim.MetricsResolution == 0 {
		sim.MetricsResolution = Duration(DefaultMetricsResolution)
	}
	if sim.MetricsWindow == 0 {
		sim.MetricsWindow = Duration(DefaultMetricsWindow)
	}
	if p.Cluster.Autoscaler.ProvisioningDelay == 0 {
		p.Cluster.Autoscaler.ProvisioningDelay = Duration(DefaultProvisioningDelay)
	}
	if p.Cluster.Autoscaler.ScaleDownUnneeded == 0 {
		p.Cluster.Autoscaler.ScaleDownUnneeded = Duration(DefaultScaleDownUnneeded)
	}
	p.setCallRates()
	if u := p.Uncertainty; u != nil && u.Samples == 0 && (p.present == nil || !p.present("uncertainty.samples")) {
		u.Samples = DefaultSamples
	}
}

func ptrOf[T any](v T) *T { return &v }

var dnsLabel = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

// pathName is a name that can stand in a field path (services[api]): short,
// with nothing that reads as path syntax, whitespace or a control character.
var pathName = regexp.MustCompile(`^[A-Za-z0-9][-A-Za-z0-9_]{0,62}$`)

// label checks a name that becomes a file name, a label value, a
// Kubernetes object name or a line of a generated manifest: a DNS-1123
// label (RFC 1123; k8s.io/apimachinery/pkg/util/validation IsDNS1123Label),
// so it cannot carry a path separator, "..", a newline or a quote.
func (v *validator) label(path, name string) {
	if !dnsLabel.MatchString(name) || len(name) > 63 {
		v.add(path, "%s is not a valid name: use lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters", quoteName(name))
	}
}

// subdomain checks a name that may hold dots (a Kubernetes object name:
// IsDNS1123Subdomain).
func (v *validator) subdomain(path, name string) {
	if msgs := k8svalidation.IsDNS1123Subdomain(name); len(msgs) > 0 {
		v.add(path, "%s is not a valid name: %s", quoteName(name), msgs[0])
	}
}

// quoteName quotes a rejected name for an error message, shortened so that
// a 100 kB name does not flood the terminal.
func quoteName(name string) string {
	const max = 80
	if len(name) > max {
		return fmt.Sprintf("%q… (%d bytes)", name[:max], len(name))
	}
	return fmt.Sprintf("%q", name)
}

// Validate checks every field of a defaulted plan and returns all problems
// found, each with its field path (FieldErrors), or nil.
func (p *Plan) Validate() error {
	v := &validator{present: p.present}
	if p.APIVersion != APIVersion {
		v.add("apiVersion", "must be %q, got %q", APIVersion, p.APIVersion)
	}
	if p.Kind != Kind {
		v.add("kind", "must be %q, got %q", Kind, p.Kind)
	}
	if p.Metadata.Name != "" {
		v.subdomain("metadata.name", p.Metadata.Name)
	}
	if p.Seed < 0 {
		v.add("seed", "must not be negative, got %d", p.Seed)
	}
	if len(p.Services) == 0 {
		v.add("services", "a plan needs at least one service")
	}
	names := map[string]bool{}
	v.called = p.calledServices()
	dup := duplicates(len(p.Services), func(i int) string { return p.Services[i].Name })
	paths := make([]string, len(p.Services))
	for i := range p.Services {
		s := &p.Services[i]
		path := listPath("services", i, s.Name, dup)
		paths[i] = path
		if names[s.Name] && s.Name != "" {
			v.add(path+".name", "duplicate service name %q; names must be unique", s.Name)
		}
		names[s.Name] = true
		v.service(path, s)
	}
	v.calls(p, paths, names)
	if len(p.Scenarios) == 0 {
		v.add("scenarios", "a plan needs at least one scenario (a constant one is `- {name: steady, duration: 1h}`)")
	}
	scNames := map[string]bool{}
	dup = duplicates(len(p.Scenarios), func(i int) string { return p.Scenarios[i].Name })
	for i := range p.Scenarios {
		sc := &p.Scenarios[i]
		path := listPath("scenarios", i, sc.Name, dup)
		if scNames[sc.Name] && sc.Name != "" {
			v.add(path+".name", "duplicate scenario name %q; names must be unique", sc.Name)
		}
		scNames[sc.Name] = true
		v.scenario(path, sc, names)
	}
	v.cluster("cluster", &p.Cluster)
	v.simulation(p)
	if p.Observe != nil {
		v.observe("observe", p.Observe, names)
	}
	if p.Uncertainty != nil {
		v.uncertainty(p.Uncertainty)
	}
	if len(v.errs) == 0 {
		return nil
	}
	return v.errs
}

type validator struct {
	errs FieldErrors
	// present, when set, says whether a path was given in the source (the
	// decoder's index), so that an absent required field reads "is
	// required" rather than a complaint about its zero.
	present func(path string) bool
	// called are the services some service calls: their requestRate may
	// be 0.
	called map[string]bool
}

// absent reports, and says, that a required field was not given.
func (v *validator) absent(path, hint string) bool {
	if v.present == nil || v.present(path) {
		return false
	}
	v.add(path, "is required (%s)", hint)
	return true
}

func (v *validator) add(path, format string, args ...any) {
	v.errs = append(v.errs, fieldErrorf(path, format, args...))
}

// duplicates returns the names that occur more than once among n items.
func duplicates(n int, name func(int) string) map[string]bool {
	seen, dup := map[string]bool{}, map[string]bool{}
	for i := range n {
		if seen[name(i)] {
			dup[name(i)] = true
		}
		seen[name(i)] = true
	}
	return dup
}

// listPath names a list item by its name when that is unambiguous, by its
// index otherwise.
func listPath(list string, i int, name string, dup map[string]bool) string {
	if !dup[name] && pathName.MatchString(name) {
		return fmt.Sprintf("%s[%s]", list, name)
	}
	return fmt.Sprintf("%s[%d]", list, i)
}

func (v *validator) positive(path string, x float64, what string) {
	if !(x > 0) || math.IsInf(x, 0) {
		v.add(path, "%s must be greater than 0, got %g", what, x)
	}
}

func (v *validator) service(path string, s *Service) {
	switch {
	case s.Name == "":
		v.add(path+".name", "is required")
	default:
		v.label(path+".name", s.Name)
	}
	if s.Namespace != "" {
		v.label(path+".namespace", s.Namespace)
	}
	if s.WorkloadRef.Name != "" {
		v.subdomain(path+".workloadRef.name", s.WorkloadRef.Name)
	}
	if s.HPAName != "" {
		for _, msg := range k8svalidation.IsDNS1123Subdomain(s.HPAName) {
			v.add(path+".hpaName", "%q: %s", s.HPAName, msg)
		}
	}
	if s.WorkloadRef.Kind != "Deployment" && s.WorkloadRef.Kind != "StatefulSet" {
		v.add(path+".workloadRef.kind", "must be Deployment or StatefulSet, got %q", s.WorkloadRef.Kind)
	}
	if s.Replicas < 1 {
		v.add(path+".replicas", "must be at least 1, got %d", s.Replicas)
	}
	v.resources(path+".resources", &s.Resources)
	switch {
	case v.called[s.Name] && s.RequestRate.PerSecond == 0:
		// A called service without traffic of its own (absent or 0).
	case v.absent(path+".requestRate", "the observed request rate, e.g. \"1000/min\""):
	case !(s.RequestRate.PerSecond > 0):
		v.add(path+".requestRate", "must be greater than 0, got %s; give the observed rate, e.g. \"1000/min\"", s.RequestRate)
	case s.RequestRate.PerSecond > MaxRatePerSecond:
		v.add(path+".requestRate", "%s is more than a billion requests per second; check the unit", s.RequestRate)
	}
	// A service whose endpoints all have a serviceTime needs none of its
	// own (endpoints checks it is not given).
	if !s.everyEndpointServiceTime() {
		v.serviceTime(path+".serviceTime", &s.ServiceTime)
	}
	switch {
	case v.absent(path+".concurrency", "requests one pod serves at once, e.g. 4"):
	case s.Concurrency < 1 || s.Concurrency > MaxConcurrency:
		v.add(path+".concurrency", "must be between 1 and %d (requests one pod serves at once), got %d", MaxConcurrency, s.Concurrency)
	}
	v.loadBalancing(path+".loadBalancing", s)
	switch c := &s.CPU; {
	case c.PerRequest != nil && c.ObservedPerPod != nil:
		v.add(path+".cpu", "give either perRequest or observedPerPod, not both")
	case c.PerRequest != nil:
		v.positive(path+".cpu.perRequest", c.PerRequest.Seconds(), "CPU time per request")
	case c.ObservedPerPod != nil:
		v.positive(path+".cpu.observedPerPod", Cores(*c.ObservedPerPod), "observed CPU per pod")
	case s.everyEndpointCPU():
	default:
		v.add(path+".cpu", "give perRequest (CPU time per request, e.g. \"20ms\") or observedPerPod (CPU per pod at requestRate, e.g. \"350m\")")
	}
	if c := s.CPU.Idle; c != nil && c.Sign() < 0 {
		v.add(path+".cpu.idle", "must not be negative, got %s", c.String())
	}
	if s.CPU.ObservedPerPod != nil && s.CPU.Idle != nil && s.CPU.ObservedPerPod.Cmp(*s.CPU.Idle) <= 0 {
		v.add(path+".cpu.idle", "must be below observedPerPod %s, got %s", s.CPU.ObservedPerPod.String(), s.CPU.Idle.String())
	}
	switch {
	case v.absent(path+".memory.base", "an idle pod's memory, e.g. 256Mi"):
	case s.Memory.Base.Sign() <= 0:
		v.add(path+".memory.base", "must be greater than 0, got %s", s.Memory.Base.String())
	}
	if m := s.Memory.PerInFlight; m != nil && m.Sign() < 0 {
		v.add(path+".memory.perInFlight", "must not be negative, got %s", m.String())
	}
	v.durations(path+".startup", []string{"imagePull", "containerStart", "readiness"},
		s.Startup.ImagePull, s.Startup.ContainerStart, s.Startup.Readiness)
	if s.HPA != nil {
		for i, m := range s.HPA.Metrics {
			mp := fmt.Sprintf("%s.hpa.metrics[%d]", path, i)
			switch {
			case m.Resource != nil && m.Resource.Name != corev1.ResourceCPU && m.Resource.Name != corev1.ResourceMemory:
				v.add(mp+".resource.name", "headroom simulates cpu and memory, got %q", m.Resource.Name)
			case m.ContainerResource != nil && m.ContainerResource.Name != corev1.ResourceCPU && m.ContainerResource.Name != corev1.ResourceMemory:
				v.add(mp+".containerResource.name", "headroom simulates cpu and memory, got %q", m.ContainerResource.Name)
			case m.ContainerResource != nil && m.ContainerResource.Container != s.Container:
				v.add(mp+".containerResource.container", "headroom models one container, %q (the service's container); got %q", s.Container, m.ContainerResource.Container)
			}
		}
		if s.Fixed {
			v.add(path+".hpa", "a fixed service cannot have an HPA; remove fixed: true or the hpa")
		}
		v.errs = append(v.errs, ValidateHPASpec(s.HPA, path+".hpa")...)
	}
	if l := s.SLO.Latency; l != nil {
		switch {
		case v.absent(path+".slo.latency.quantile", "the fraction of requests within target, e.g. 0.95"):
		case !(l.Quantile > 0 && l.Quantile < 1):
			v.add(path+".slo.latency.quantile", "must be between 0 and 1 exclusive (0.95 or 95%% for p95), got %g", l.Quantile)
		}
		if !v.absent(path+".slo.latency.target", "the response time the quantile must stay below, e.g. 1s") {
			v.positive(path+".slo.latency.target", l.Target.Seconds(), "the latency target")
		}
	}
	if e := s.SLO.ErrorRate; e != nil && !(*e > 0 && *e < 1) {
		v.add(path+".slo.errorRate", "must be between 0%% and 100%% exclusive (1%% or 0.01), got %g", float64(*e))
	}
	if u := s.SLO.MaxUtilization; u != nil && !(*u >= 1 && *u <= 99) {
		v.add(path+".slo.maxUtilization", "must be between 1%% and 99%% (80%% or 0.8), got %g%%", float64(*u))
	}
	if w := s.SLO.Window; w != nil && (w.D() < MinSLOWindow || w.D() > MaxSLOWindow) {
		v.add(path+".slo.window", "the error-budget window must be between %s and %s, got %s", MinSLOWindow, MaxSLOWindow, w)
	}
	if s.Timeout <= 0 {
		v.add(path+".timeout", "must be greater than 0, got %s", s.Timeout)
	}
	v.metricSources(path, s)
	v.endpoints(path, s)
	for i, a := range s.ScheduledScaling {
		ap := fmt.Sprintf("%s.scheduledScaling[%d]", path, i)
		if a.Replicas == nil && a.MinReplicas == nil && a.MaxReplicas == nil {
			v.add(ap, "set replicas, minReplicas or maxReplicas")
		}
		if a.Replicas != nil && *a.Replicas < 0 {
			v.add(ap+".replicas", "must not be negative, got %d", *a.Replicas)
		}
		if (a.MinReplicas != nil || a.MaxReplicas != nil) && s.HPA == nil {
			v.add(ap, "minReplicas and maxReplicas patch the HPA, and this service has none")
		}
		if a.MinReplicas != nil && *a.MinReplicas < 1 {
			v.add(ap+".minReplicas", "must be at least 1, got %d", *a.MinReplicas)
		}
		if a.MaxReplicas != nil && *a.MaxReplicas < 1 {
			v.add(ap+".maxReplicas", "must be at least 1, got %d", *a.MaxReplicas)
		}
		if s.HPA != nil && (a.MinReplicas != nil || a.MaxReplicas != nil) {
			lo, hi := int32(1), s.HPA.MaxReplicas
			if s.HPA.MinReplicas != nil {
				lo = *s.HPA.MinReplicas
			}
			if a.MinReplicas != nil {
				lo = *a.MinReplicas
			}
			if a.MaxReplicas != nil {
				hi = *a.MaxReplicas
			}
			if lo > hi {
				v.add(ap, "leaves minReplicas %d above maxReplicas %d, which the API server refuses; patch both", lo, hi)
			}
		}
	}
	r := &s.Redundancy
	if r.Zones < 1 {
		v.add(path+".redundancy.zones", "must be at least 1, got %d", r.Zones)
	}
	if r.ZoneLosses < 0 || (r.Zones >= 1 && r.ZoneLosses >= r.Zones) {
		v.add(path+".redundancy.zoneLosses", "must be between 0 and zones-1 (%d), got %d", max(r.Zones-1, 0), r.ZoneLosses)
	}
	if r.Spare < 0 {
		v.add(path+".redundancy.spare", "must not be negative, got %d", r.Spare)
	}
	if r.MinReplicas < 0 {
		v.add(path+".redundancy.minReplicas", "must not be negative, got %d", r.MinReplicas)
	}
}

// loadBalancing checks a service's load-balancing policy and its choices.
func (v *validator) loadBalancing(path string, s *Service) {
	lb := s.LoadBalancing
	if lb == nil {
		return
	}
	policy := model.BalancingPolicy(lb.Policy)
	known := lb.Policy == ""
	for _, p := range model.BalancingPolicies {
		known = known || p == policy
	}
	if !known {
		v.add(path+".policy", "unknown policy %q; use random, round-robin, least-request, least-connection or shared-queue", lb.Policy)
		return
	}
	if lb.Choices == nil {
		return
	}
	n := *lb.Choices
	switch {
	case policy != model.BalanceLeastRequest:
		name := lb.Policy
		if name == "" {
			name = "random, the default"
		}
		v.add(path+".choices", "applies to least-request only (policy is %s); remove it or set policy: least-request", name)
	case n < 2:
		v.add(path+".choices", "must be at least 2 (one choice is random), got %d", n)
	case s.MaxReplicas() >= 1 && n > s.MaxReplicas():
		v.add(path+".choices", "must be at most the %d pods the service can run (maxReplicas, or replicas without an HPA), got %d", s.MaxReplicas(), n)
	}
}

// serviceTime checks a service's or an endpoint's serviceTime at path.
func (v *validator) serviceTime(path string, st *ServiceTime) {
	// With an empirical histogram the mean is optional: SetDefaults takes
	// it from the histogram (a mean still 0 means a bad histogram, which
	// serviceFamily reports).
	switch {
	case st.Distribution == model.FamilyEmpirical:
		if st.Mean != 0 {
			v.positive(path+".mean", st.Mean.Seconds(), "the mean service time")
		}
	case !v.absent(path+".mean", "the mean time one request takes to serve, e.g. 200ms"):
		v.positive(path+".mean", st.Mean.Seconds(), "the mean service time")
	}
	if st.P95 != nil && st.CV != nil {
		v.add(path, "give either p95 or cv, not both")
	}
	if st.P95 != nil && *st.P95 <= st.Mean {
		v.add(path+".p95", "must be above the mean %s, got %s", st.Mean, *st.P95)
	}
	if st.CV != nil && (!(*st.CV > 0) || *st.CV > 10) {
		v.add(path+".cv", "must be in (0, 10], got %g", *st.CV)
	}
	v.serviceFamily(path, st)
}

func (v *validator) resources(path string, r *corev1.ResourceRequirements) {
	for _, list := range []struct {
		name string
		rl   corev1.ResourceList
	}{{"requests", r.Requests}, {"limits", r.Limits}} {
		keys := make([]string, 0, len(list.rl))
		for k := range list.rl {
			keys = append(keys, string(k))
		}
		sort.Strings(keys)
		for _, k := range keys {
			q := list.rl[corev1.ResourceName(k)]
			if k != "cpu" && k != "memory" {
				v.add(path+"."+list.name+"."+k, "headroom models cpu and memory only; remove %q", k)
			} else if q.Sign() <= 0 {
				v.add(path+"."+list.name+"."+k, "must be greater than 0, got %s", q.String())
			}
		}
	}
	for _, k := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		req, ok := r.Requests[k]
		if !ok {
			v.add(path+".requests."+string(k), "is required: the model sizes against requests")
			continue
		}
		if lim, ok := r.Limits[k]; ok && lim.Cmp(req) < 0 {
			v.add(path+".limits."+string(k), "%s is below the request %s; a limit must be at least the request", lim.String(), req.String())
		}
	}
	if len(r.Claims) > 0 {
		v.add(path+".claims", "resource claims are not modelled; remove them")
	}
}

func (v *validator) scenario(path string, sc *Scenario, services map[string]bool) {
	if sc.Name == "" {
		v.add(path+".name", "is required")
	} else {
		v.label(path+".name", sc.Name)
	}
	switch {
	case v.absent(path+".duration", "how long the scenario runs, e.g. 24h"):
	case sc.Duration <= 0 || sc.Duration.D() > MaxScenarioDuration:
		v.add(path+".duration", "must be greater than 0 and at most 400 days (9600h), got %s", sc.Duration)
	}
	if w := sc.Weight; w != nil && (!(*w >= 0) || *w > MaxScenarioWeight) {
		v.add(path+".weight", "must be a number from 0 to %g (how often the scenario occurs relative to the others), got %g", float64(MaxScenarioWeight), *w)
	}
	for j, name := range sc.Services {
		if !services[name] {
			v.add(fmt.Sprintf("%s.services[%d]", path, j), "no service named %q in this plan", name)
		}
	}
	switch sc.Mode {
	case ModeMultiplier:
		if sc.Rate != nil {
			v.add(path+".rate", "is only used with mode: absolute")
		}
	case ModeAbsolute:
		if sc.Rate == nil || !(sc.Rate.PerSecond > 0) {
			v.add(path+".rate", "mode: absolute needs a base rate greater than 0, e.g. rate: \"500/s\"")
		}
		if len(sc.Services) == 0 {
			v.add(path+".services", "mode: absolute needs the services the rate is for")
		}
	default:
		v.add(path+".mode", "must be multiplier or absolute, got %q", sc.Mode)
	}
	for j := range sc.Profile {
		v.component(fmt.Sprintf("%s.profile[%d]", path, j), &sc.Profile[j])
	}
}

// MaxScenarioWeight bounds a scenario's weight.
const MaxScenarioWeight = 1000

// durations checks that each named duration is not negative.
func (v *validator) durations(path string, names []string, ds ...Duration) {
	for i, d := range ds {
		if d < 0 {
			v.add(path+"."+names[i], "must not be negative, got %s", d)
		}
	}
}

// MaxMultiplier bounds each traffic component's multiplier: a million
// times today's traffic is far past any plan, and a bound keeps products of
// components finite.
const MaxMultiplier = 1e6

// multiplier checks a traffic component's multiplier: finite, ≥ 0 (> 0
// when positive is set) and at most MaxMultiplier.
func (v *validator) multiplier(path string, m Multiplier, positive bool) {
	x := float64(m)
	switch {
	case !(x >= 0) || math.IsInf(x, 0) || (positive && x == 0):
		v.nonNegative(path, x)
		if positive && x == 0 {
			v.add(path, "must be greater than 0, got 0")
		}
	case x > MaxMultiplier:
		v.add(path, "must be at most %g (times today's traffic), got %g; check the unit", float64(MaxMultiplier), x)
	}
}

func (v *validator) nonNegative(path string, x float64) {
	if !(x >= 0) || math.IsInf(x, 0) {
		v.add(path, "must be a finite number ≥ 0, got %g", x)
	}
}

func (v *validator) component(path string, c *Component) {
	set := 0
	for _, b := range []bool{c.Schedule != nil, c.Diurnal != nil, c.Ramp != nil, c.Step != nil, c.Spike != nil, c.Growth != nil, c.Noise != nil, c.Replay != nil} {
		if b {
			set++
		}
	}
	if set != 1 {
		v.add(path, "set exactly one of schedule, diurnal, ramp, step, spike, growth, noise, replay (got %d)", set)
		return
	}
	switch {
	case c.Schedule != nil:
		s := c.Schedule
		if s.Default != nil {
			v.multiplier(path+".schedule.default", *s.Default, false)
		}
		if len(s.Windows) == 0 {
			v.add(path+".schedule.windows", "a schedule needs at least one window")
		}
		for i, w := range s.Windows {
			wp := fmt.Sprintf("%s.schedule.windows[%d]", path, i)
			v.multiplier(wp+".multiplier", w.Multiplier, false)
			if w.From == w.To {
				v.add(wp, "from and to are both %s; a window must have a length", w.From)
			}
			for j := 0; j < i; j++ {
				if windowsOverlap(s.Windows[j], w) {
					v.add(wp, "%s–%s overlaps window %d (%s–%s)", w.From, w.To, j, s.Windows[j].From, s.Windows[j].To)
				}
			}
		}
	case c.Diurnal != nil:
		d := c.Diurnal
		v.multiplier(path+".diurnal.min", d.Min, false)
		v.multiplier(path+".diurnal.max", d.Max, true)
		if d.Max < d.Min {
			v.add(path+".diurnal", "max %g is below min %g", d.Max, d.Min)
		}
	case c.Ramp != nil:
		r := c.Ramp
		v.multiplier(path+".ramp.from", r.From, false)
		v.multiplier(path+".ramp.to", r.To, false)
		if r.Start < 0 || r.End <= r.Start {
			v.add(path+".ramp", "needs 0 ≤ start < end, got start %s, end %s", r.Start, r.End)
		}
	case c.Step != nil:
		v.multiplier(path+".step.multiplier", c.Step.Multiplier, false)
		if c.Step.At < 0 {
			v.add(path+".step.at", "must not be negative, got %s", c.Step.At)
		}
	case c.Spike != nil:
		s := c.Spike
		v.multiplier(path+".spike.multiplier", s.Multiplier, true)
		v.durations(path+".spike", []string{"at", "rise", "hold", "fall"}, s.At, s.Rise, s.Hold, s.Fall)
	case c.Growth != nil:
		g := c.Growth
		if !(g.Percent > -100) || !(g.Percent <= (MaxMultiplier-1)*100) {
			v.add(path+".growth.percent", "must be above -100 and at most %g (100 doubles the traffic), got %g", (MaxMultiplier-1)*100, g.Percent)
		}
		if g.Over != nil && *g.Over <= 0 {
			v.add(path+".growth.over", "must be greater than 0, got %s", *g.Over)
		}
	case c.Noise != nil:
		n := c.Noise
		if !(n.CV >= 0 && n.CV <= 2) {
			v.add(path+".noise.cv", "must be between 0 and 2, got %g", n.CV)
		}
		if !v.absent(path+".noise.interval", "how long each random factor holds, e.g. 1m") && n.Interval.D() < time.Second {
			v.add(path+".noise.interval", "must be at least 1s, got %s", n.Interval)
		}
	case c.Replay != nil:
		v.replay(path+".replay", c.Replay)
	}
}

// windowsOverlap reports whether two daily windows share any minute.
func windowsOverlap(a, b Window) bool {
	covers := func(w Window, t TimeOfDay) bool {
		if w.From <= w.To {
			return t >= w.From && t < w.To
		}
		return t >= w.From || t < w.To
	}
	return covers(a, b.From) || covers(b, a.From)
}

func (v *validator) cluster(path string, c *Cluster) {
	if len(c.NodeTypes) == 0 {
		v.add(path+".nodeTypes", "a plan needs at least one node type to pack pods onto")
	}
	seen := map[string]bool{}
	dupTypes := duplicates(len(c.NodeTypes), func(i int) string { return c.NodeTypes[i].Name })
	for i := range c.NodeTypes {
		n := &c.NodeTypes[i]
		np := listPath(path+".nodeTypes", i, n.Name, dupTypes)
		if n.Name == "" {
			v.add(np+".name", "is required")
		} else if seen[n.Name] {
			v.add(np+".name", "duplicate node type %q", n.Name)
		}
		seen[n.Name] = true
		for _, k := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
			q, ok := n.Allocatable[k]
			if !ok || q.Sign() <= 0 {
				v.add(np+".allocatable."+string(k), "is required and must be greater than 0")
			}
		}
		v.nonNegative(np+".pricePerHour", n.PricePerHour)
		if n.MaxNodes < 0 {
			v.add(np+".maxNodes", "must not be negative (0 means no cap), got %d", n.MaxNodes)
		}
	}
	if c.Autoscaler.ProvisioningDelay < 0 {
		v.add(path+".autoscaler.provisioningDelay", "must not be negative, got %s", c.Autoscaler.ProvisioningDelay)
	}
	if c.Autoscaler.ScaleDownUnneeded < 0 {
		v.add(path+".autoscaler.scaleDownUnneeded", "must not be negative, got %s", c.Autoscaler.ScaleDownUnneeded)
	}
}

// metricSources checks the custom-metric mapping and that every custom
// metric of the HPA has one.
func (v *validator) metricSources(path string, s *Service) {
	known := map[string]bool{}
	for i, m := range s.MetricSources {
		mp := fmt.Sprintf("%s.metricSources[%d]", path, i)
		if m.Name == "" {
			v.add(mp+".name", "is required")
		} else if known[m.Name] {
			v.add(mp+".name", "duplicate metric %q", m.Name)
		}
		known[m.Name] = true
		switch m.Source {
		case SourceRequestRate, SourceInFlight, SourceQueueDepth, SourceCPU, SourceMemory:
		default:
			v.add(mp+".source", "must be one of requestRate, inFlight, queueDepth, cpu, memory; got %q", m.Source)
		}
		if m.Factor != nil && (!(*m.Factor > 0) || math.IsInf(*m.Factor, 0)) {
			v.add(mp+".factor", "must be greater than 0, got %g", *m.Factor)
		}
		if m.Lag != nil && *m.Lag < 0 {
			v.add(mp+".lag", "must not be negative, got %s", *m.Lag)
		}
	}
	if s.HPA == nil {
		return
	}
	for i, m := range s.HPA.Metrics {
		var name string
		switch {
		case m.Pods != nil:
			name = m.Pods.Metric.Name
		case m.Object != nil:
			name = m.Object.Metric.Name
		case m.External != nil:
			name = m.External.Metric.Name
		default:
			continue
		}
		if name != "" && !known[name] {
			v.add(fmt.Sprintf("%s.hpa.metrics[%d]", path, i),
				"the simulator cannot produce metric %q; say what it measures in %s.metricSources, e.g. {name: %s, source: requestRate}", name, path, name)
		}
	}
}

func (v *validator) simulation(p *Plan) {
	const path = "simulation"
	s := &p.Simulation
	tick := s.Tick.D()
	if tick < MinTick || tick > time.Minute {
		v.add(path+".tick", "must be between %s and 1m, got %s", MinTick, s.Tick)
		return
	}
	// Every period must be a whole number of ticks: events fire on tick
	// boundaries.
	divides := func(field string, d time.Duration) {
		if d%tick != 0 {
			v.add(field, "%s is not a whole number of ticks (%s); use a multiple of the tick", Duration(d), s.Tick)
		}
	}
	if AutoscalerScan%tick != 0 {
		v.add(path+".tick", "must divide the cluster autoscaler's 10s scan interval, got %s", s.Tick)
	}
	if s.MetricsResolution < s.Tick {
		v.add(path+".metricsResolution", "must be at least the tick %s, got %s", s.Tick, s.MetricsResolution)
	} else {
		divides(path+".metricsResolution", s.MetricsResolution.D())
	}
	if s.MetricsWindow < s.Tick || s.MetricsWindow.D() > MaxMetricsWindow {
		v.add(path+".metricsWindow", "must be between the tick %s and %s, got %s", s.Tick, Duration(MaxMetricsWindow), s.MetricsWindow)
	} else {
		divides(path+".metricsWindow", s.MetricsWindow.D())
	}
	c := &s.Controller
	if c.SyncPeriod < 0 || (c.SyncPeriod > 0 && c.SyncPeriod < s.Tick) {
		v.add(path+".controller.syncPeriod", "must be at least the tick %s, got %s", s.Tick, c.SyncPeriod)
	} else if c.SyncPeriod > 0 {
		divides(path+".controller.syncPeriod", c.SyncPeriod.D())
	} else {
		divides(path+".tick", 15*time.Second) // the default sync period
	}
	if c.Tolerance != nil && !(*c.Tolerance >= 0 && *c.Tolerance < 1) {
		v.add(path+".controller.tolerance", "must be in [0, 1), got %g", *c.Tolerance)
	}
	v.durations(path+".controller", []string{"cpuInitializationPeriod", "initialReadinessDelay", "downscaleStabilization"},
		c.CPUInitializationPeriod, c.InitialReadinessDelay, c.DownscaleStabilization)
	for i := range p.Services {
		for j, m := range p.Services[i].MetricSources {
			if m.Lag == nil {
				continue
			}
			lp := fmt.Sprintf("%s.metricSources[%d].lag", listPath("services", i, p.Services[i].Name, nil), j)
			if m.Lag.D() > MaxMetricLag {
				v.add(lp, "must be at most %s, got %s", Duration(MaxMetricLag), *m.Lag)
			} else if m.Lag.D() >= 0 {
				divides(lp, m.Lag.D())
			}
		}
	}
	for i := range p.Scenarios {
		if d := p.Scenarios[i].Duration.D(); d > 0 {
			divides(listPath("scenarios", i, p.Scenarios[i].Name, nil)+".duration", d)
		}
	}
}
