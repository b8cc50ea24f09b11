package sim

import (
	"math"
	"math/rand/v2"

	"github.com/headroom-dev/headroom/model"
	"github.com/headroom-dev/headroom/scenarios"
)

// This file couples the services of a call graph (scenarios.Call).
//
// Rates: a service's request rate is its ScenarioRate, the scaled part
// times the scenario's multiplier plus the fixed part, with its callers'
// calls already added (scenarios.Plan.ScenarioRates), so the coupling of
// rates is exact and needs nothing at run time.
//
// Synchronous calls: each tick the services serve in callee-first order
// (World.serveOrder), so a caller reads what its callees did in the same
// tick. A caller's request holds its worker slot for its own service time
// plus, for each synchronous call, the callee's response time: its time in
// service is S_eff = S + Σ perRequest·R_callee. A callee's failed request
// (timeout, no Ready pod) fails the caller's request that made it: a
// fraction 1 − Π (1 − e_callee)^perRequest of the caller's requests the
// caller did not fail itself.
//
// Fluid mode reads R_callee as the callee's mean response this tick and
// looks the caller's latency up in the table of a pod whose service time
// has mean S_eff, quantised to steps of callQuantum (a table per step,
// built once), and its squared coefficient of variation
// (cs²·S² + cs²_callee·D²/n)/S_eff², D = S_eff − S, n = Σ perRequest (at
// least 1): n calls of the callee's service-time variability, a
// two-moment approximation labelled as one; the table fits a gamma to it.
// The pod's capacity is k/S_eff. CPU stays per request: a slot waiting
// for a callee uses none.
//
// DES mode draws each call's response time from the callee's own recent
// responses (the last callRingSize it completed, timeouts counted as the
// timeout; before any, the callee's mean response in its stationary
// state): a caller's request holds its slot for its own draw plus
// ⌊p⌋ or ⌈p⌉ such draws (⌈p⌉ with probability p − ⌊p⌋). The callee's
// requests are its own arrival stream at its propagated rate, not the
// caller's requests themselves: the coupling is by rate and by the
// callee's empirical response-time distribution. As in fluid mode a
// request's CPU is its CPU per request whatever its calls take: each
// tick a running request's CPU rate is the CPU per request over the
// caller's current mean time in service, its own mean plus Σ perRequest
// times the mean of the callee's recent responses (callSampler.current),
// and the pod's CPU limit runs (limit − idle) over that rate at full
// speed (desModel.retimeCPU).
//
// A callee outside the run (a scenario's or Options.Services' subset)
// answers in its stationary mean response at today's rate on the plan's
// replicas, without errors.

// callQuantum is the relative step S_eff is quantised to in fluid mode.
const callQuantum = 0.005

// callRingSize is how many recent responses of a callee DES draws from.
const callRingSize = 1024

// syncCall is one synchronous call of a service in the run.
type syncCall struct {
	callee     *service // nil: the callee is not in the run
	perRequest float64
	// fixedResp is the response time of a callee outside the run, and the
	// fallback before a callee has answered, seconds.
	fixedResp float64
}

// response is the callee's mean response this tick and its error
// fraction.
func (c *syncCall) response() (float64, float64) {
	if c.callee == nil {
		return c.fixedResp, 0
	}
	r := c.callee.respMean
	if !(r > 0) {
		r = c.fixedResp
	}
	return r, c.callee.errFrac
}

// callState is a caller's coupling to its synchronous callees.
type callState struct {
	calls []syncCall
	// own is the caller's service time: mean and cs².
	ownMean, ownCS2 float64
	// calleeCS2 is the callees' service-time cs², weighted by their share
	// of the calls' time at rest; perRequest is Σ perRequest.
	calleeCS2, perRequest float64
	// errFrac is the fraction of the caller's requests failing in a call
	// this tick; seff its time in service, S + Σ perRequest·R_callee.
	errFrac, seff float64
	// key is the quantised S_eff of the fluid table in use; tables holds
	// one per key met.
	// pods is the Ready-pod count the table is for under a balancing
	// policy other than random (0 otherwise).
	key    int
	pods   int
	tables map[[2]int]fluidTable
	// lo and hi bound the S_eff that quantise to key.
	lo, hi float64
}

// fluidTable is a latency table with its pod capacity.
type fluidTable struct {
	lat *latencyTable
	mu  float64
}

// callDelay is Σ perRequest·R over the calls and the error fraction the
// callees pass on.
func (c *callState) callDelay() (d, errFrac float64) {
	surv := 1.0
	for i := range c.calls {
		e := &c.calls[i]
		r, ef := e.response()
		d += e.perRequest * r
		if ef > 0 {
			surv *= math.Pow(1-math.Min(ef, 1), e.perRequest)
		}
	}
	return d, 1 - surv
}

// serveOrder is the order the services serve in each tick: callees before
// their callers; the plan's order for a plan without calls.
func serveOrder(plan *scenarios.Plan, services []*service) []*service {
	if !plan.HasCalls() {
		return services
	}
	order, _ := plan.CallOrder()
	byName := make(map[string]*service, len(services))
	for _, s := range services {
		byName[s.spec.Name] = s
	}
	out := make([]*service, 0, len(services))
	for k := len(order) - 1; k >= 0; k-- {
		if s := byName[plan.Services[order[k]].Name]; s != nil {
			out = append(out, s)
		}
	}
	return out
}

// wireCalls sets up the synchronous calls of every service of the run,
// after all of them exist.
func (w *World) wireCalls(opts Options) error {
	w.order = serveOrder(w.plan, w.services)
	w.coupled = w.plan.HasCalls()
	if !w.coupled {
		return nil
	}
	byName := make(map[string]*service, len(w.services))
	for _, s := range w.services {
		byName[s.spec.Name] = s
	}
	for _, s := range w.services {
		for _, c := range s.spec.Calls {
			if callee := byName[c.Service]; callee != nil && c.Sync() && c.PerRequest > 0 {
				callee.called = true
				if m, ok := callee.model.(*desModel); ok && m.req.ring == nil {
					m.req.ring = &respRing{}
				}
			}
		}
	}
	// Callees first (w.order), each retimed before its callers read its
	// response at rest: a caller that is itself a callee answers in its
	// time in service with its own calls.
	for _, s := range w.order {
		var cs *callState
		for _, c := range s.spec.Calls {
			if !c.Sync() || c.PerRequest == 0 {
				continue
			}
			if cs == nil {
				cs = &callState{ownMean: s.w.ServiceMean, ownCS2: s.w.ServiceCS2, key: math.MinInt, tables: map[[2]int]fluidTable{}}
			}
			sc := syncCall{callee: byName[c.Service], perRequest: c.PerRequest}
			var err error
			if sc.fixedResp, err = w.restingResponse(c.Service, sc.callee); err != nil {
				return err
			}
			cs.calls = append(cs.calls, sc)
			cs.perRequest += c.PerRequest
			cs2 := 1.0
			if sc.callee != nil {
				cs2 = sc.callee.w.ServiceCS2
			} else if spec := w.plan.Service(c.Service); spec != nil {
				if v, err := spec.ServiceCS2(); err == nil {
					cs2 = v
				}
			}
			cs.calleeCS2 += cs2 * c.PerRequest * sc.fixedResp
		}
		if cs == nil {
			continue
		}
		if rest := cs.restingDelay(); rest > 0 {
			cs.calleeCS2 /= rest
		} else {
			cs.calleeCS2 = 1
		}
		s.calls = cs
		if err := s.fluid.retime(s); err != nil {
			return err
		}
		if m, ok := s.model.(*desModel); ok {
			m.callThrough(s)
		}
	}
	return nil
}

// restingDelay is Σ perRequest·R at rest (each callee's fixedResp).
func (c *callState) restingDelay() float64 {
	d := 0.0
	for _, e := range c.calls {
		d += e.perRequest * e.fixedResp
	}
	return d
}

// restingResponse is a callee's mean response in its stationary state at
// today's rate (its TotalRate) on the plan's replicas, its CPU limit
// throttling it as in the fluid mode; the timeout if that rate is beyond
// their capacity.
func (w *World) restingResponse(name string, callee *service) (float64, error) {
	spec := w.plan.Service(name)
	if spec == nil {
		return 0, nil
	}
	perPod := spec.TotalRate() / float64(max(spec.Replicas, 1))
	if callee != nil {
		if m := callee.fluid; perPod < m.mu {
			pt := m.lat.at(perPod / m.mu)
			return math.Min(m.calleeMean(callee, perPod, &pt), callee.timeout), nil
		}
		return callee.timeout, nil
	}
	wl, err := spec.Workload(0)
	if err != nil {
		return 0, err
	}
	if !(perPod < podCapacity(&wl)) {
		return spec.Timeout.Seconds(), nil
	}
	r, err := throttledWorkload(wl).PodMeanResponse(perPod)
	if err != nil || !(r > 0) || math.IsInf(r, 0) {
		return spec.Timeout.Seconds(), nil
	}
	return math.Min(r, spec.Timeout.Seconds()), nil
}

// retime points a caller's fluid model at the table of its current S_eff,
// from its callees' responses this tick, and sets the error fraction the
// calls pass on.
func (m *fluidModel) retime(s *service) error {
	c := s.calls
	d, ef := c.callDelay()
	c.errFrac = ef
	seff := c.ownMean + d
	c.seff = seff
	pods := 0
	if m.balanced {
		pods = max(int(s.ready), 1)
	}
	if seff >= c.lo && seff < c.hi && pods == c.pods {
		return nil // the same step as the last tick's: no logarithm
	}
	key := int(math.Round(math.Log(seff/c.ownMean) / math.Log1p(callQuantum)))
	c.lo = c.ownMean * math.Pow(1+callQuantum, float64(key)-0.5)
	c.hi = c.ownMean * math.Pow(1+callQuantum, float64(key)+0.5)
	if key == c.key && pods == c.pods {
		return nil
	}
	ft, ok := c.tables[[2]int{key, pods}]
	if !ok {
		dq := c.ownMean*math.Pow(1+callQuantum, float64(key)) - c.ownMean
		wl := s.w.WithCallDelay(dq, c.calleeCS2/math.Max(c.perRequest, 1))
		// Under a balancing policy other than random the table is the
		// one for this many Ready pods (podsChanged).
		wl.Pods = pods
		var err error
		if ft.lat, err = m.tables.get(throttledWorkload(wl), s.sloQuantile, s.timeout, s.sloTarget); err != nil {
			return err
		}
		ft.mu = podCapacity(&wl)
		c.tables[[2]int{key, pods}] = ft
	}
	c.key, c.pods = key, pods
	m.setTable(ft.lat)
	m.mu = ft.mu
	m.latPods = max(pods, m.latPods)
	return nil
}

// podCapacity is a pod's capacity μ, requests per second: its worker slots
// over the mean service time, or what its CPU limit allows when less.
func podCapacity(wl *model.Workload) float64 {
	mu := float64(wl.Concurrency) / wl.ServiceMean
	if wl.CPULimit > 0 && wl.CPUPerRequest > 0 {
		mu = math.Min(mu, (wl.CPULimit-wl.CPUIdle)/wl.CPUPerRequest)
	}
	return mu
}

// finishCalls ends a tick of a service in a call graph: a caller fails the
// share of its requests whose calls failed, and a callee keeps its mean
// response and error fraction for its callers (DES: its responses are in
// its ring).
func (s *service) finishCalls(st *tickStats, meanResp float64) {
	if c := s.calls; c != nil && c.errFrac > 0 {
		extra := math.Max(0, st.arrivals-st.errors) * c.errFrac
		st.errors += extra
		st.served -= extra
	}
	if !s.called {
		return
	}
	s.respMean = meanResp
	s.errFrac = 0
	if st.arrivals > 0 {
		s.errFrac = math.Min(1, st.errors/st.arrivals)
	}
}

// respRing holds a callee's most recent response times, seconds.
type respRing struct {
	v   [callRingSize]float64
	n   int     // responses held, at most callRingSize
	i   int     // next slot
	sum float64 // Σ v over the responses held
	// pushes counts pushes since sum was last summed afresh: a running
	// sum of a million pushes drifts by their rounding errors.
	pushes int
}

func (r *respRing) push(x float64) {
	if r.n == callRingSize {
		r.sum -= r.v[r.i]
	}
	r.sum += x
	r.v[r.i] = x
	r.i = (r.i + 1) % callRingSize
	if r.n < callRingSize {
		r.n++
	}
	if r.pushes++; r.pushes == 64*callRingSize {
		r.pushes, r.sum = 0, 0
		for _, y := range r.v[:r.n] {
			r.sum += y
		}
	}
}

// mean is the mean of the responses held (0 with none).
func (r *respRing) mean() float64 {
	if r.n == 0 {
		return 0
	}
	return r.sum / float64(r.n)
}

// callSampler is a caller's time in service in DES mode: its own service
// time plus the responses of its synchronous calls.
type callSampler struct {
	own   sampler
	calls []desCall
	m     float64 // mean at rest, for the CPU rate
}

type desCall struct {
	whole int     // ⌊perRequest⌋
	frac  float64 // perRequest − ⌊perRequest⌋
	ring  *respRing
	rest  float64 // the response before the callee has answered
}

func (c *callSampler) sample(rng *rand.Rand) float64 {
	x := c.own.sample(rng)
	for i := range c.calls {
		d := &c.calls[i]
		n := d.whole
		if d.frac > 0 && rng.Float64() < d.frac {
			n++
		}
		for range n {
			if d.ring == nil || d.ring.n == 0 {
				x += d.rest
				continue
			}
			x += d.ring.v[rng.IntN(d.ring.n)]
		}
	}
	return x
}

func (c *callSampler) mean() float64 { return c.m }

// current is the caller's mean time in service now: its own mean plus,
// for each call, perRequest times the mean of the callee's recent
// responses (its response at rest before it has any).
func (c *callSampler) current() float64 {
	t := c.own.mean()
	for i := range c.calls {
		d := &c.calls[i]
		r := d.rest
		if d.ring != nil && d.ring.n > 0 {
			r = d.ring.mean()
		}
		t += (float64(d.whole) + d.frac) * r
	}
	return t
}

// callThrough makes a caller's requests hold their slots through their
// synchronous calls. The CPU a running request uses is its CPU per request
// spread over its whole time in service (a slot waiting for a callee uses
// less, running more: the mean is kept), set for the time at rest here and
// each tick from the callees' recent responses (retimeCPU).
func (m *desModel) callThrough(s *service) {
	cs := &callSampler{own: m.req.service, m: m.req.service.mean()}
	for _, c := range s.calls.calls {
		d := desCall{whole: int(c.perRequest), rest: c.fixedResp}
		d.frac = c.perRequest - float64(d.whole)
		if c.callee != nil {
			if cm, ok := c.callee.model.(*desModel); ok {
				d.ring = cm.req.ring
			}
		}
		cs.calls = append(cs.calls, d)
		cs.m += c.perRequest * c.fixedResp
	}
	m.req.service = cs
	m.calls = cs
	m.retimeCPU(s, cs.m)
}

// retimeCPU sets a caller's CPU rate per running request for a mean time
// in service t, seconds, and how many requests its CPU limit runs at full
// speed, in every queue. A request's CPU is its CPU per request: were the
// rate fixed at rest, a request held longer by slower callees would use
// more, and the HPA would scale on CPU the requests did not use.
func (m *desModel) retimeCPU(s *service, t float64) {
	wl := &s.w
	m.cpuRate = wl.CPUPerRequest / t
	x := math.Inf(1)
	if s.cpuLimit > 0 && m.cpuRate > 0 {
		if v := (s.cpuLimit - wl.CPUIdle) / m.cpuRate; v < float64(wl.Concurrency) {
			x = v
		}
	}
	if x == m.fullSpeed {
		return
	}
	m.fullSpeed = x
	for _, q := range m.queues {
		if q != nil {
			q.x = x
		}
	}
	for _, q := range m.pool {
		q.x = x
	}
	if m.shared != nil {
		m.shared.x = x
	}
}

// calleeMean is the mean response of a called service's stationary pod at
// per-pod rate perPod, what its callers wait. Without a binding CPU limit
// it is the latency table's. A pod whose CPU limit runs only x < k
// requests at full speed shares it among its running requests (processor
// sharing, as DES mode runs it), and the table's FCFS stand-in, good for
// its tail against a target, overstates its mean when service times vary
// (PS does not make a short request wait behind a long one). Its mean is
// that of the birth–death chain of requests in the pod, served at total
// rate min(n, x)/E[S]: exact for exponential service and, processor
// sharing being insensitive to the service-time distribution beyond its
// mean (Kelly, Reversibility and Stochastic Networks, 1979, ch. 3), for
// the states where every request runs; E[T] = E[N]/λ by Little's law.
//
// A callee that calls others holds its slots through its own calls: its
// time in service is its S_eff (retime), the CPU per request spread over
// it, as its latency table has it.
func (m *fluidModel) calleeMean(s *service, perPod float64, pt *point) float64 {
	wl := &s.w
	if !(wl.CPULimit > 0 && wl.CPUPerRequest > 0) || !(perPod > 0) {
		return pt.row[latMean]
	}
	sm := wl.ServiceMean
	if s.calls != nil && s.calls.seff > 0 {
		sm = s.calls.seff
	}
	x := (wl.CPULimit - wl.CPUIdle) / (wl.CPUPerRequest / sm)
	if !(x > 0) || x >= float64(wl.Concurrency) {
		return pt.row[latMean]
	}
	if perPod == m.psRate && sm == m.psS {
		return m.psMean
	}
	m.psRate, m.psS, m.psMean = perPod, sm, psMeanResponse(perPod, sm, x)
	return m.psMean
}

// psMeanResponse is the mean response of the birth–death chain with
// arrivals at lam and service at rate min(n, x)/s in state n (stable
// when lam·s < x), seconds.
func psMeanResponse(lam, s, x float64) float64 {
	a := lam * s
	rho := a / x
	if !(rho < 1) {
		return math.Inf(1)
	}
	n0 := int(math.Ceil(x))
	// States below n0 run every request at full speed: π_n ∝ aⁿ/n!.
	p, sum, mean := 1.0, 1.0, 0.0
	for n := 1; n < n0; n++ {
		p *= a / float64(n)
		sum += p
		mean += float64(n) * p
	}
	// From n0 on the rate is x/s: a geometric tail of ratio ρ.
	p *= a / x
	sum += p / (1 - rho)
	mean += p * (float64(n0)/(1-rho) + rho/((1-rho)*(1-rho)))
	return mean / sum / lam
}
