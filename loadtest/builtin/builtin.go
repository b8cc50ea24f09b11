package builtin

import (
	"context"
	"crypto/x509"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/headroom-dev/headroom/loadtest"
)

// Defaults of the built-in engine.
const (
	DefaultMaxWorkers = 1000
	// LimitMaxWorkers bounds MaxWorkers (--max-workers): each worker is a
	// goroutine or a connection with its buffers, and 100,000 requests in
	// flight carry 1e6 req/s (loadtest.LimitRate) at 100 ms.
	LimitMaxWorkers = 100_000
	// DefaultLagBound is the least send-lag p99 bound of a run (see
	// LagBoundFor: at low rates the bound is a fraction of the mean gap
	// between arrivals); beyond it the generator, not the target, set the
	// latencies.
	DefaultLagBound = 5 * time.Millisecond
	// DefaultMaxDropFraction is the share of dropped arrivals beyond which
	// a run is invalid: the latencies describe only the requests that were
	// sent.
	DefaultMaxDropFraction = 0.01
	defaultTimeout         = 30 * time.Second
)

// Options configure the built-in engine.
type Options struct {
	// MaxWorkers bounds the requests in flight. An arrival due while all
	// are busy is dropped and counted (Window.Dropped), never delayed.
	// Default DefaultMaxWorkers.
	MaxWorkers int
	// Seed seeds Poisson arrivals.
	Seed int64
	// LagBound (the floor of LagBoundFor) and MaxDropFraction decide
	// Result.Valid (defaults above).
	LagBound        time.Duration
	MaxDropFraction float64
	// Sender is SenderAuto (the default: SenderLoop for http targets on
	// Linux, else SenderRaw), SenderLoop (one event loop on non-blocking
	// sockets, see eventLoop), SenderRaw (a goroutine per request on
	// headroom's own HTTP/1.1 client, see rawSender) or SenderNetHTTP
	// (net/http's client). In hack/bench/engine-vs-wrk.sh the event loop
	// costs the least CPU per request and keeps the send lag under 5 ms
	// to the highest rate (docs/loadtest-engine.md).
	Sender string
	// Client, when set, sends the requests through net/http (implies
	// SenderNetHTTP); default a client with keep-alive connections for
	// every worker.
	Client *http.Client
	// Version labels Result.EngineVersion.
	Version string
	// InsecureSkipVerify and RootCAs (nil: the system's roots; see
	// LoadCAFile) set how an https target's certificate is checked.
	InsecureSkipVerify bool
	RootCAs            *x509.CertPool
	// Notes, when set, receives the engine's remarks on how it runs (the
	// sender it hands an https target to), once per run.
	Notes io.Writer
}

// Senders of the built-in engine.
const (
	SenderAuto    = "auto"
	SenderLoop    = "loop"
	SenderRaw     = "raw"
	SenderNetHTTP = "nethttp"
)

// Senders lists the values Options.Sender takes.
var Senders = []string{SenderAuto, SenderLoop, SenderRaw, SenderNetHTTP}

// Engine is headroom's own open-model load generator.
//
// Why not vegeta's Attacker: its Result.Timestamp is the time a worker
// began the hit, not the time the pacer meant it to go, and with a bounded
// MaxWorkers its scheduler blocks on the tick channel until a worker is
// free, so the schedule slips and then bursts (coordinated omission comes
// back, unmeasured). vegeta avoids that only with unbounded workers. So the
// built-in engine paces with vegeta's Pacer interface (SchedulePacer) but
// sends on net/http itself:
//
//   - one scheduler goroutine sleeps until each hit's intended offset t_n
//     (absolute from one monotonic start, never chained sleeps) and, on
//     waking, dispatches every hit that is due;
//   - a fixed pool of MaxWorkers workers sends; when all are busy a due hit
//     is dropped and counted, so the scheduler never blocks;
//   - latency is measured from the intended time t_n, so a stalled
//     generator shows up as latency and as send lag (actual start − t_n),
//     which has its own histogram and decides Result.Valid.
//
// Every request is attributed to the one-second window of its intended
// send time: its Sent, Completed, Errors and latency, so a window's Rate is
// the completions of the load offered in it.
type Engine struct{ opts Options }

var _ loadtest.Engine = (*Engine)(nil)

// New returns the built-in engine.
func New(opts Options) *Engine {
	if opts.MaxWorkers <= 0 {
		opts.MaxWorkers = DefaultMaxWorkers
	}
	if opts.LagBound <= 0 {
		opts.LagBound = DefaultLagBound
	}
	if opts.MaxDropFraction <= 0 {
		opts.MaxDropFraction = DefaultMaxDropFraction
	}
	if opts.Client != nil {
		opts.Sender = SenderNetHTTP
	}
	if opts.Sender == "" {
		opts.Sender = SenderAuto
	}
	return &Engine{opts: opts}
}

func (b *Engine) client(timeout time.Duration, host string) *http.Client {
	if b.opts.Client != nil {
		return b.opts.Client
	}
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			Proxy:               nil, // the target is the only host a run talks to
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConns:        b.opts.MaxWorkers,
			MaxIdleConnsPerHost: b.opts.MaxWorkers, // Go's default of 2 would reconnect per request
			IdleConnTimeout:     90 * time.Second,
			DisableCompression:  true,
			TLSClientConfig:     b.tlsConfig(host),
		},
	}
}

// Name implements Engine.
func (*Engine) Name() string { return "builtin" }

type job struct {
	intended time.Duration
	ep       int // index of the request (endpoint) to send
}

// Run implements Engine. It returns the result so far when ctx is
// cancelled, marked Interrupted.
func (b *Engine) Run(ctx context.Context, spec loadtest.RunSpec) (*loadtest.Result, error) {
	r, err := b.prepare(spec)
	if err != nil {
		return nil, err
	}
	rec := newRecorder(spec.Schedule, r.pacer, spec.Endpoints)
	rec.startFreezer()
	defer rec.stopFreezer()
	var progress *progressPrinter
	if spec.Progress != nil {
		progress = &progressPrinter{w: spec.Progress, rec: rec, every: time.Second}
	}
	if r.sender == SenderLoop {
		start, end, interrupted, err := b.runLoop(ctx, spec, r, rec, progress)
		if err != nil {
			return nil, fmt.Errorf("target %q: %w", spec.Target, err)
		}
		rec.stopFreezer()
		return b.result(spec, rec, start, end, interrupted), nil
	}
	start, end, interrupted := b.runWorkers(ctx, spec, r, rec, progress)
	rec.stopFreezer()
	return b.result(spec, rec, start, end, interrupted), nil
}

// run is what Run settled before sending: the pacer, the request, and
// the sender that sends it.
type run struct {
	pacer   *SchedulePacer
	picker  *picker // nil: one request
	reqs    []request
	method  string
	timeout time.Duration
	sender  string // SenderLoop, SenderRaw or SenderNetHTTP, never SenderAuto
	raw     *rawSender
	host    string // the target's host name (TLS server name)
}

// prepare checks the spec and the options and picks the sender.
func (b *Engine) prepare(spec loadtest.RunSpec) (*run, error) {
	if err := spec.CheckCaps(); err != nil {
		return nil, err
	}
	if b.opts.MaxWorkers > LimitMaxWorkers {
		return nil, fmt.Errorf("--max-workers must be at most %d, got %d", LimitMaxWorkers, b.opts.MaxWorkers)
	}
	arrivals := spec.Arrivals
	if arrivals == "" {
		arrivals = loadtest.ArrivalsPoisson
	}
	if !slices.Contains(Senders, b.opts.Sender) {
		return nil, fmt.Errorf("sender must be one of %s, got %q", strings.Join(Senders, ", "), b.opts.Sender)
	}
	pacer, err := NewSchedulePacer(spec.Schedule, arrivals, b.opts.Seed)
	if err != nil {
		return nil, err
	}
	r := &run{pacer: pacer, method: spec.Method, timeout: spec.Timeout}
	if r.method == "" {
		r.method = http.MethodGet
	}
	if r.timeout <= 0 {
		r.timeout = defaultTimeout
	}
	probe, err := http.NewRequest(r.method, spec.Target, nil)
	if err != nil {
		return nil, fmt.Errorf("target %q: %w", spec.Target, err)
	}
	if probe.URL.Scheme != "http" && probe.URL.Scheme != "https" {
		return nil, fmt.Errorf("target %q: the scheme must be http or https", spec.Target)
	}
	if probe.URL.Host == "" {
		return nil, fmt.Errorf("target %q: no host", spec.Target)
	}
	r.host = probe.URL.Hostname()
	if r.reqs, err = buildRequests(spec, r.method); err != nil {
		return nil, fmt.Errorf("target %q: %w", spec.Target, err)
	}
	r.picker = newPicker(spec.Endpoints, b.opts.Seed)
	if r.raw, err = newRawSenderFor(spec.Target, r.reqs, r.timeout, b.tlsConfig(r.host)); err != nil {
		return nil, fmt.Errorf("target %q: %w", spec.Target, err)
	}
	r.sender = b.opts.Sender
	if r.sender == SenderAuto {
		r.sender = SenderRaw
		if loopSupported && probe.URL.Scheme == "http" {
			r.sender = SenderLoop
		}
	}
	if r.sender == SenderLoop && (!loopSupported || probe.URL.Scheme != "http") {
		// The event loop speaks plain HTTP on Linux only; the raw sender
		// plays the same schedule and mix, over TLS too.
		why := "speaks plain http only"
		if !loopSupported {
			why = "runs on Linux only"
		}
		if b.opts.Notes != nil {
			fmt.Fprintf(b.opts.Notes, "note: the loop sender %s; the raw sender sends this run\n", why)
		}
		r.sender = SenderRaw
	}
	return r, nil
}

// runWorkers plays the schedule on a pool of MaxWorkers goroutines (the
// raw and net/http senders) and returns the start, the intended offset
// the run ended at, and whether it was interrupted.
func (b *Engine) runWorkers(ctx context.Context, spec loadtest.RunSpec, r *run, rec *recorder, progress *progressPrinter) (time.Time, time.Duration, bool) {
	// Requests outlive the schedule by up to their timeout (a graceful
	// stop); an interrupt cancels them at once.
	reqCtx, cancelReqs := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelReqs()
	stopInterrupt := context.AfterFunc(ctx, cancelReqs)
	defer stopInterrupt()

	client := b.client(r.timeout, r.host)
	jobs := make(chan job, b.opts.MaxWorkers)
	var inflight atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range b.opts.MaxWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				if r.sender == SenderRaw {
					b.sendRaw(reqCtx, r.raw, start, j, rec)
				} else {
					b.send(reqCtx, client, &r.reqs[j.ep], start, j, rec)
				}
				inflight.Add(-1)
			}
		}()
	}
	lastIntended, interrupted := b.schedule(ctx, r.pacer, r.picker, start, rec, progress, &inflight, jobs)
	close(jobs)
	wg.Wait()
	r.raw.closeIdle()
	if ctx.Err() != nil {
		interrupted = true
	}
	end := spec.Schedule.Duration()
	if interrupted {
		end = lastIntended
	}
	return start, end, interrupted
}

// schedule sleeps until each hit's intended offset and hands it to a free
// worker, or drops it when all are busy, until the pacer stops or ctx is
// done. It returns the last intended offset and whether ctx ended it.
func (b *Engine) schedule(ctx context.Context, pacer *SchedulePacer, pick *picker, start time.Time, rec *recorder, progress *progressPrinter,
	inflight *atomic.Int64, jobs chan<- job) (lastIntended time.Duration, interrupted bool) {
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for hits := uint64(0); ; hits++ {
		elapsed := time.Since(start)
		wait, stop := pacer.Pace(elapsed, hits)
		if stop {
			return lastIntended, false
		}
		intended := elapsed + wait
		lastIntended = intended
		if wait > 0 {
			progress.maybe(elapsed)
			timer.Reset(wait)
			select {
			case <-timer.C:
			case <-ctx.Done():
				timer.Stop()
				return lastIntended, true
			}
		} else if hits%256 == 0 {
			// A long catch-up burst still notices an interrupt and lets
			// the workers run on a small machine.
			if ctx.Err() != nil {
				return lastIntended, true
			}
			runtime.Gosched()
		}
		ep := pick.pick() // every arrival draws, dropped or not
		if inflight.Load() >= int64(b.opts.MaxWorkers) {
			rec.dropped(intended, ep)
			continue
		}
		inflight.Add(1)
		rec.sent(intended, ep)
		jobs <- job{intended: intended, ep: ep}
	}
}

// sendRaw makes one request on the worker's own connection and records it.
func (b *Engine) sendRaw(ctx context.Context, s *rawSender, start time.Time, j job, rec *recorder) {
	began := time.Since(start)
	status, err := s.doReq(ctx, &s.reqs[j.ep])
	done := time.Since(start)
	switch {
	case err != nil && ctx.Err() != nil:
		rec.interrupted(j.intended, began, j.ep)
	case err != nil:
		rec.finished(j.intended, began, done, j.ep, classify(err))
	case status >= 400:
		rec.finished(j.intended, began, done, j.ep, httpClass(status))
	default:
		rec.finished(j.intended, began, done, j.ep, outcomeOK)
	}
}

// send makes one request through net/http and records it.
func (b *Engine) send(ctx context.Context, client *http.Client, rq *request, start time.Time, j job, rec *recorder) {
	began := time.Since(start)
	req, err := rq.netHTTPRequest(ctx)
	if err != nil {
		rec.finished(j.intended, began, began, j.ep, loadtest.ErrorOther)
		return
	}
	resp, err := client.Do(req)
	out := outcomeOK
	if err == nil {
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode >= 400 {
			out = httpClass(resp.StatusCode)
		}
	}
	done := time.Since(start)
	if err != nil {
		if ctx.Err() != nil {
			rec.interrupted(j.intended, began, j.ep)
			return
		}
		out = classify(err)
	}
	rec.finished(j.intended, began, done, j.ep, out)
}

// outcomeOK is the error class of a request that succeeded; any other
// is the cause of a failure (loadtest.Error*, "http_<code>").
const outcomeOK = ""

// recorder accumulates per-window counts and histograms, in total and per
// endpoint of a mix; it is shared by the scheduler and every worker.
type recorder struct {
	mu      sync.Mutex
	windows []loadtest.Window
	widths  []float64
	lag     *loadtest.Histogram
	done    atomic.Int64 // completions, for progress
	// byEP holds the windows of each endpoint of a mix (nil without one):
	// the same requests as windows, split by endpoint.
	byEP [][]loadtest.Window
	// cur is the window the scheduler is in; earlier windows whose every
	// request has finished are frozen (Histogram.Freeze) to keep a long
	// run's memory flat.
	cur int
	// freezeQ feeds the freezer goroutine (nil: freeze in place). Freezing
	// encodes 23,552 counters (about 1–5 ms on the shared 2-core machine),
	// once per window and endpoint: on the sending thread it held the
	// schedule back by that much every second.
	freezeQ    chan *loadtest.Histogram
	freezeDone chan struct{}
}

// startFreezer starts the goroutine that freezes complete windows off the
// sending thread. A complete window (every request sent in it finished,
// and the scheduler past it) is never recorded into again, so its
// histogram is the freezer's alone until stopFreezer returns.
func (r *recorder) startFreezer() {
	r.freezeQ = make(chan *loadtest.Histogram, 4096)
	r.freezeDone = make(chan struct{})
	go func() {
		defer close(r.freezeDone)
		for h := range r.freezeQ {
			_ = h.Freeze() // encoding into memory does not fail
		}
	}()
}

// stopFreezer waits for the freezer to finish; after it, the histograms
// are the caller's. Call it once nothing records any more.
func (r *recorder) stopFreezer() {
	if r.freezeQ != nil {
		close(r.freezeQ)
		<-r.freezeDone
		r.freezeQ = nil
	}
}

// freeze freezes h, on the freezer when it runs; when its queue is full
// the histogram stays live (memory, not correctness).
func (r *recorder) freeze(h *loadtest.Histogram) {
	if r.freezeQ == nil {
		_ = h.Freeze()
		return
	}
	select {
	case r.freezeQ <- h:
	default:
	}
}

func newRecorder(s loadtest.Schedule, p *SchedulePacer, eps []loadtest.Endpoint) *recorder {
	total := s.Duration()
	n := int(math.Ceil(total.Seconds()))
	r := &recorder{windows: make([]loadtest.Window, n), widths: make([]float64, n), lag: loadtest.NewHistogram()}
	speedup := s.Speedup
	if speedup == 0 {
		speedup = 1
	}
	for i := range r.windows {
		from := time.Duration(i) * time.Second
		to := min(from+time.Second, total)
		w := &r.windows[i]
		w.Offset = float64(i)
		w.ScenarioTime = float64(i) * speedup
		r.widths[i] = (to - from).Seconds()
		w.TargetRate = (p.Expected(to) - p.Expected(from)) / r.widths[i]
	}
	var sum float64
	for _, e := range eps {
		sum += e.Weight
	}
	for _, e := range eps {
		ws := make([]loadtest.Window, n)
		for i := range ws {
			w := r.windows[i]
			ws[i] = loadtest.Window{Offset: w.Offset, ScenarioTime: w.ScenarioTime, TargetRate: w.TargetRate * e.Weight / sum}
		}
		r.byEP = append(r.byEP, ws)
	}
	return r
}

func (r *recorder) index(intended time.Duration) int {
	return min(max(int(intended/time.Second), 0), len(r.windows)-1)
}

// window returns the total window of intended and, in a mix, endpoint
// ep's (else nil), with their histograms.
func (r *recorder) window(intended time.Duration, ep int) (*loadtest.Window, *loadtest.Window) {
	i := r.index(intended)
	w := &r.windows[i]
	if w.Latency == nil {
		w.Latency = loadtest.NewHistogram()
	}
	if r.byEP == nil {
		return w, nil
	}
	e := &r.byEP[ep][i]
	if e.Latency == nil {
		e.Latency = loadtest.NewHistogram()
	}
	return w, e
}

// advance moves the scheduler's window to that of intended, freezing the
// windows it leaves that are complete.
func (r *recorder) advance(intended time.Duration) {
	for i := r.index(intended); r.cur < i; {
		r.cur++
		r.freezeIfDone(r.cur - 1)
		for k := range r.byEP {
			r.freezeEPIfDone(k, r.cur-1)
		}
	}
}

func (r *recorder) freezeIfDone(i int) {
	w := &r.windows[i]
	if i < r.cur && w.Completed == w.Sent && w.Latency != nil {
		r.freeze(w.Latency)
	}
}

func (r *recorder) freezeEPIfDone(ep, i int) {
	w := &r.byEP[ep][i]
	if i < r.cur && w.Completed == w.Sent && w.Latency != nil {
		r.freeze(w.Latency)
	}
}

func (r *recorder) sent(intended time.Duration, ep int) {
	r.mu.Lock()
	r.advance(intended)
	w, e := r.window(intended, ep)
	w.Sent++
	if e != nil {
		e.Sent++
	}
	r.mu.Unlock()
}

func (r *recorder) dropped(intended time.Duration, ep int) {
	r.mu.Lock()
	r.advance(intended)
	w, e := r.window(intended, ep)
	w.Dropped++
	if e != nil {
		e.Dropped++
	}
	r.mu.Unlock()
}

// interrupted undoes the Sent of a request an interrupt cancelled: it was
// neither answered nor failed.
func (r *recorder) interrupted(intended, began time.Duration, ep int) {
	r.mu.Lock()
	r.lag.Record((began - intended).Seconds())
	w, e := r.window(intended, ep)
	w.Sent--
	r.freezeIfDone(r.index(intended))
	if e != nil {
		e.Sent--
		r.freezeEPIfDone(ep, r.index(intended))
	}
	r.mu.Unlock()
}

// finished records a request that got an answer or failed (class is
// outcomeOK or the failure's cause): latency from the intended send time,
// send lag from the actual one.
func (r *recorder) finished(intended, began, done time.Duration, ep int, class string) {
	lat := (done - intended).Seconds()
	r.mu.Lock()
	w, e := r.window(intended, ep)
	count(w, lat, class)
	r.lag.Record((began - intended).Seconds())
	r.freezeIfDone(r.index(intended))
	if e != nil {
		count(e, lat, class)
		r.freezeEPIfDone(ep, r.index(intended))
	}
	r.mu.Unlock()
	r.done.Add(1)
}

// count adds one finished request to w.
func count(w *loadtest.Window, latency float64, class string) {
	w.Completed++
	if class != outcomeOK {
		w.Errors++
		if w.ErrorClasses == nil {
			w.ErrorClasses = make(map[string]int64, 2)
		}
		w.ErrorClasses[class]++
	}
	w.Latency.Record(latency)
}

// result assembles the Result of windows up to end.
func (b *Engine) result(spec loadtest.RunSpec, rec *recorder, start time.Time, end time.Duration, interrupted bool) *loadtest.Result {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	n := len(rec.windows)
	if interrupted {
		n = min(n, int(end/time.Second)+1)
	}
	res := &loadtest.Result{
		SchemaVersion: loadtest.ResultSchemaVersion,
		Engine:        b.Name(),
		EngineVersion: b.opts.Version,
		Target:        spec.Target,
		Service:       spec.Service,
		Scenario:      spec.Scenario,
		Speedup:       spec.Schedule.Speedup,
		Start:         start.UTC(),
		Planned:       loadtest.Duration{Duration: spec.Schedule.Duration()},
		Interrupted:   interrupted,
		Window:        loadtest.Duration{Duration: time.Second},
		Windows:       rec.windows[:n],
		SendLag:       rec.lag,
		Valid:         true,
	}
	if res.Speedup == 0 {
		res.Speedup = 1
	}
	res.Totals = summarise(res.Windows, rec.widths)
	res.Endpoints = endpointResults(spec.Endpoints, rec, n)
	res.Valid, res.InvalidReason = judge(res, b.opts.LagBound, b.opts.MaxDropFraction)
	res.Thresholds = thresholds(res.Totals, spec)
	return res
}

// summarise summarises each window over its width and returns their
// totals, the target rate averaged over the time the windows cover.
func summarise(ws []loadtest.Window, widths []float64) loadtest.Window {
	t := loadtest.Window{Latency: loadtest.NewHistogram()}
	var seconds float64
	for i := range ws {
		w := &ws[i]
		w.Summarise(widths[i])
		t.Add(*w)
		seconds += widths[i]
		t.TargetRate += w.TargetRate * widths[i]
	}
	if seconds > 0 {
		t.TargetRate /= seconds
	}
	t.Summarise(seconds)
	return t
}

// endpointResults assembles the first n windows of each endpoint of a
// mix, in the mix's order, with their totals.
func endpointResults(eps []loadtest.Endpoint, rec *recorder, n int) []loadtest.EndpointResult {
	var out []loadtest.EndpointResult
	for k, ep := range eps {
		er := loadtest.EndpointResult{Name: ep.Name, Method: ep.Method, Windows: rec.byEP[k][:n]}
		if er.Method == "" {
			er.Method = http.MethodGet
		}
		if u, err := url.Parse(ep.URL); err == nil {
			er.Path = u.Path // the query may carry a token: not written
		}
		er.Totals = summarise(er.Windows, rec.widths)
		out = append(out, er)
	}
	return out
}

// LagFraction is the share of the mean gap between arrivals the send-lag
// p99 may reach before a run is invalid, when that is more than the
// absolute bound: a lag well inside the gap between arrivals barely
// perturbs the arrival process the target sees, so at 20 req/s (a 50 ms
// mean gap) a 12.5 ms lag is still a faithful Poisson stream.
const LagFraction = 0.25

// LagBoundFor is the send-lag p99 bound of a run at meanRate requests per
// second: LagFraction of the mean gap between arrivals, with floor as the
// least (DefaultLagBound unless Options.LagBound says otherwise).
func LagBoundFor(floor time.Duration, meanRate float64) time.Duration {
	if !(meanRate > 0) {
		return floor
	}
	return max(floor, time.Duration(LagFraction/meanRate*float64(time.Second)))
}

// judge decides whether a run's latencies can be trusted.
func judge(res *loadtest.Result, lagBound time.Duration, maxDrop float64) (bool, string) {
	var reasons []string
	if res.SendLag != nil && res.SendLag.Count() > 0 {
		lagBound := LagBoundFor(lagBound, res.Totals.TargetRate)
		if p99 := res.SendLag.Quantile(0.99); p99 > lagBound.Seconds() {
			reasons = append(reasons, fmt.Sprintf("the generator fell behind its schedule: send-lag p99 %.1f ms > %.0f ms (lower the rate, or run the generator on a machine of its own)",
				p99*1e3, lagBound.Seconds()*1e3))
		}
	}
	offered := res.Totals.Sent + res.Totals.Dropped
	if offered > 0 {
		if f := float64(res.Totals.Dropped) / float64(offered); f > maxDrop {
			reasons = append(reasons, fmt.Sprintf("%.1f %% of arrivals were dropped because every worker was busy (raise --max-workers; the target may be saturated)", f*100))
		}
	}
	if len(reasons) == 0 {
		return true, ""
	}
	return false, strings.Join(reasons, "; ")
}

// thresholds evaluates the plan's SLO over the whole run.
func thresholds(t loadtest.Window, spec loadtest.RunSpec) []loadtest.Threshold {
	var out []loadtest.Threshold
	if spec.P95Target > 0 {
		out = append(out, loadtest.Threshold{Metric: "latency", Expression: fmt.Sprintf("p(95)<%gs", spec.P95Target), Passed: t.P95 < spec.P95Target})
	}
	if spec.ErrorRateTarget > 0 {
		rate := 0.0
		if t.Completed > 0 {
			rate = float64(t.Errors) / float64(t.Completed)
		}
		out = append(out, loadtest.Threshold{Metric: "errors", Expression: fmt.Sprintf("rate<%g", spec.ErrorRateTarget), Passed: rate < spec.ErrorRateTarget})
	}
	return out
}

// progressPrinter writes one line per second to the progress stream.
type progressPrinter struct {
	w     io.Writer
	rec   *recorder
	every time.Duration
	next  time.Duration
}

func (p *progressPrinter) maybe(elapsed time.Duration) {
	if p == nil || elapsed < p.next {
		return
	}
	p.next = elapsed.Truncate(p.every) + p.every
	p.rec.mu.Lock()
	var sent, dropped int64
	for _, w := range p.rec.windows {
		sent += w.Sent
		dropped += w.Dropped
	}
	lag := p.rec.lag.Quantile(0.99)
	p.rec.mu.Unlock()
	fmt.Fprintf(p.w, "t=%4.0fs  sent %d  done %d  dropped %d  send-lag p99 %.2f ms\n",
		elapsed.Seconds(), sent, p.rec.done.Load(), dropped, lag*1e3)
}
