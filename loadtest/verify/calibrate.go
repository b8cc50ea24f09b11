package verify

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/headroom-dev/headroom/loadtest"
	"github.com/headroom-dev/headroom/model"
	"github.com/headroom-dev/headroom/scenarios"
)

// Calibration estimator constants.
const (
	// CalibrateLowLoad is the per-pod utilisation below which a window
	// counts as low-load: queueing is small there, so the response time is
	// mostly service time and the M/M/c inversion is insensitive to the
	// exponential assumption.
	CalibrateLowLoad = 0.3
	// calibrateMinWindows is how many low-load windows an estimate needs.
	calibrateMinWindows = 3
	// calibrateMinRequests is the fewest completions a window needs.
	calibrateMinRequests = 20
)

// Calibration is what a measured run says about a service's parameters.
type Calibration struct {
	Service string `json:"service"`
	// Windows is how many low-load blocks of windows (each of at least 20
	// completions) the service-time estimate used, of WindowsSeen usable
	// ones; MaxUtilisation the highest ρ among them.
	Windows        int     `json:"windows"`
	WindowsSeen    int     `json:"windowsSeen"`
	MaxUtilisation float64 `json:"maxUtilisation"`
	// MeanService, P95Service in seconds; CV the coefficient of variation.
	MeanService float64 `json:"meanServiceSeconds"`
	P95Service  float64 `json:"p95ServiceSeconds"`
	CV          float64 `json:"cv"`
	// Distribution is the family that fits the low-load service times
	// best (Families[0]); Families every family fitted to the mean and
	// p95, best first.
	Distribution string      `json:"distribution,omitempty"`
	Families     []FamilyFit `json:"families,omitempty"`
	// Explanation, when asked for (Explain), is how much of the run's
	// disagreement with the plan the calibrated inputs remove.
	Explanation *Explanation `json:"explanation,omitempty"`
	// CPUPerRequest (CPU-seconds per request) and IdleCoresPerPod are set
	// when the run watched CPU; CPUSamples is how many samples the fit used.
	CPUPerRequest   *float64 `json:"cpuPerRequestSeconds,omitempty"`
	IdleCoresPerPod *float64 `json:"idleCoresPerPod,omitempty"`
	CPUSamples      int      `json:"cpuSamples,omitempty"`
	Notes           []string `json:"notes,omitempty"`
}

// Calibrate estimates a service's service time (and CPU per request, when
// CPU was watched) from a measured run.
//
// Service time. Consecutive windows are joined into blocks of at least 20
// completions (one window when it has them). For each block with under 1 %
// errors, the per-pod arrival rate λ = completions/s ÷ Ready replicas (from
// the watch samples, else the plan's replicas) and the window's mean
// response time R are known; the mean service time s is the one at which
// the M/M/c mean response at c = the plan's concurrency equals R:
//
//	R = W_MMc(λ, 1/s, c) + s, solved for s by bisection on (0, R]
//
// (W grows with s, so the root is unique). Windows at ρ = λs/c < 0.3 are
// kept; the estimate is their completion-weighted mean of s. There the
// wait is a small correction, so a service that is not exponential biases
// it little. The p95 is the low-load windows' merged response p95 less their
// mean wait (R̄ − s̄), and the CV their response standard deviation over s̄:
// both treat the remaining wait as a constant shift, an approximation that
// is good at low load. The same shifted quantiles choose the family
// (FitFamilies: each family fitted exactly to the mean and p95, judged by
// its p50, p90 and p99). Latency here is what the client saw, network
// included.
//
// CPU. With watch samples carrying CPUCores (taken as the service's total
// over its Ready pods), ordinary least squares of cores = a + k·rate over the
// samples (rate: the completions per second of the window holding the
// sample) gives k CPU-seconds per request and a ÷ mean Ready the idle cores
// per pod.
//
// A cancelled ctx stops it between windows and returns ctx's error.
func Calibrate(ctx context.Context, plan *scenarios.Plan, res *loadtest.Result, service string) (*Calibration, error) {
	svc := plan.Service(service)
	if svc == nil {
		return nil, fmt.Errorf("plan %s has no service %q", plan.File(), service)
	}
	if res.Service != "" && res.Service != service {
		return nil, fmt.Errorf("the result measured service %q, not %q", res.Service, service)
	}
	if len(svc.Endpoints) > 0 {
		// Calibration fits one serviceTime; a mix's lives on its endpoints.
		return nil, fmt.Errorf("service %s has a request mix (endpoints:): calibration fits one serviceTime and cannot say which endpoint's is off; compare per endpoint (loadtest run --compare) and edit the endpoints' serviceTime", service)
	}
	c := svc.Concurrency
	if c < 1 {
		return nil, fmt.Errorf("services[%s].concurrency must be ≥ 1 to invert the queue, got %d", service, c)
	}
	cal := &Calibration{Service: service}
	width := res.Window.Seconds()
	type est struct {
		s, rho float64
		w      *loadtest.Window
	}
	var ests []est
	bs, err := blocks(ctx, res.Windows, width)
	if err != nil {
		return nil, err
	}
	for _, b := range bs {
		w := b.w
		if float64(w.Errors) > 0.01*float64(w.Completed) {
			continue
		}
		replicas := float64(svc.Replicas)
		if r, ok := readyAt(res.Watch, w.Offset, w.Offset+b.width); ok {
			replicas = r
		}
		if replicas < 1 {
			continue
		}
		lam := float64(w.Completed) / b.width / replicas
		R := w.Latency.Mean()
		s, err := invertMMc(lam, R, c)
		if err != nil {
			continue
		}
		ests = append(ests, est{s: s, rho: lam * s / float64(c), w: w})
	}
	cal.WindowsSeen = len(ests)
	var low []est
	for _, e := range ests {
		if e.rho < CalibrateLowLoad {
			low = append(low, e)
		}
	}
	if len(low) < calibrateMinWindows {
		if len(ests) == 0 {
			return nil, fmt.Errorf("no stretch of the run has %d completions with under 1 %% errors: nothing to calibrate from", calibrateMinRequests)
		}
		sort.Slice(ests, func(i, j int) bool { return ests[i].rho < ests[j].rho })
		return nil, fmt.Errorf("only %d block(s) of windows ran below ρ = %.1f (the lowest was %.2f), %d needed: run a low-rate stage (e.g. --rate at a quarter of the capacity)",
			len(low), CalibrateLowLoad, ests[0].rho, calibrateMinWindows)
	}
	merged := loadtest.NewHistogram()
	var sw, sn, rw float64
	for _, e := range low {
		n := float64(e.w.Completed)
		sw += e.s * n
		rw += e.w.Latency.Mean() * n
		sn += n
		merged.Merge(e.w.Latency)
		cal.MaxUtilisation = math.Max(cal.MaxUtilisation, e.rho)
	}
	cal.Windows = len(low)
	cal.MeanService = sw / sn
	meanWait := rw/sn - cal.MeanService
	cal.P95Service = math.Max(merged.Quantile(0.95)-meanWait, cal.MeanService)
	cal.CV = merged.StdDev() / cal.MeanService
	if cal.P95Service <= cal.MeanService*1.0001 {
		cal.Notes = append(cal.Notes, "the service-time p95 is not above its mean: the latency is nearly constant")
	} else {
		cal.fitFamily(merged, meanWait)
	}
	if err := cal.fitCPU(res); err != nil {
		cal.Notes = append(cal.Notes, err.Error())
	}
	return cal, nil
}

type block struct {
	w     *loadtest.Window
	width float64
}

// blocks joins consecutive windows until each block has at least
// calibrateMinRequests completions (a slow service at low load may answer
// only a few requests a second); a short remainder is dropped.
func blocks(ctx context.Context, windows []loadtest.Window, width float64) ([]block, error) {
	var out []block
	var cur *loadtest.Window
	n := 0
	for i := range windows {
		if i%64 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		w := &windows[i]
		if cur == nil {
			cur = &loadtest.Window{Offset: w.Offset, ScenarioTime: w.ScenarioTime, Latency: loadtest.NewHistogram()}
			n = 0
		}
		cur.Add(*w)
		n++
		if cur.Completed >= calibrateMinRequests {
			out = append(out, block{w: cur, width: float64(n) * width})
			cur = nil
		}
	}
	return out, nil
}

// invertMMc solves W_MMc(λ, 1/s, c) + s = R for s.
func invertMMc(lam, R float64, c int) (float64, error) {
	if !(R > 0) || !(lam > 0) {
		return 0, errors.New("no load or no latency")
	}
	f := func(s float64) float64 {
		q := model.MMc{Lambda: lam, Mu: 1 / s, C: c}
		if q.Validate() != nil {
			return math.Inf(1)
		}
		return q.MeanResponse() - R
	}
	lo, hi := 0.0, R
	if f(hi) < 0 {
		return 0, errors.New("no root")
	}
	for range 80 {
		mid := (lo + hi) / 2
		if mid <= 0 {
			break
		}
		if f(mid) < 0 {
			lo = mid
		} else {
			hi = mid
		}
	}
	return (lo + hi) / 2, nil
}

// readyAt is the mean Ready replicas of the watch samples in [from, to).
func readyAt(watch []loadtest.WatchSample, from, to float64) (float64, bool) {
	var sum, n float64
	for _, s := range watch {
		if s.Offset >= from && s.Offset < to {
			sum += float64(s.ReadyReplicas)
			n++
		}
	}
	if n == 0 {
		return 0, false
	}
	return sum / n, true
}

func (cal *Calibration) fitCPU(res *loadtest.Result) error {
	width := res.Window.Seconds()
	var xs, ys, ready []float64
	for _, s := range res.Watch {
		if s.CPUCores <= 0 {
			continue
		}
		i := int(s.Offset / width)
		if i < 0 || i >= len(res.Windows) {
			continue
		}
		xs = append(xs, float64(res.Windows[i].Completed)/width)
		ys = append(ys, s.CPUCores)
		ready = append(ready, float64(s.ReadyReplicas))
	}
	if len(xs) == 0 {
		return errors.New("CPU was not watched: cpu.perRequest left as it is")
	}
	if len(xs) < 3 {
		return fmt.Errorf("only %d CPU samples: cpu.perRequest left as it is", len(xs))
	}
	mx, my, mr := mean(xs), mean(ys), mean(ready)
	var sxx, sxy float64
	for i := range xs {
		sxx += (xs[i] - mx) * (xs[i] - mx)
		sxy += (xs[i] - mx) * (ys[i] - my)
	}
	if sxx == 0 {
		return errors.New("the request rate did not vary across CPU samples: cannot separate idle from per-request CPU")
	}
	k := sxy / sxx
	a := my - k*mx
	if k <= 0 {
		return fmt.Errorf("CPU did not rise with the request rate (slope %.3g): cpu.perRequest left as it is", k)
	}
	cal.CPUPerRequest = &k
	cal.CPUSamples = len(xs)
	if mr > 0 && a > 0 {
		idle := a / mr
		cal.IdleCoresPerPod = &idle
	}
	return nil
}

// DurationText formats seconds as a Go duration rounded to 10 µs, the form
// plan files use.
func DurationText(seconds float64) string {
	return time.Duration(seconds * 1e9).Round(10 * time.Microsecond).String()
}
