package k6

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/headroom-dev/headroom/loadtest"
	"github.com/headroom-dev/headroom/model"
	"github.com/headroom-dev/headroom/scenarios"
)

// LimitVUs bounds the VU pool a user may ask for (--pre-allocated-vus,
// --max-vus): a k6 VU is a JavaScript runtime of a few MB.
const LimitVUs = 100_000

// Script is everything a generated k6 script says: a ramping-arrival-rate
// scenario that follows a Schedule, VUs sized by Little's law, and thresholds
// from the plan's SLOs. Render writes it as JavaScript that imports only core
// k6 modules (k6, k6/http, and k6/metrics for the latency buckets).
type Script struct {
	// Target is the URL every iteration requests; Method is GET by default.
	Target string
	Method string
	// Timeout is the per-request timeout; also the scenario's gracefulStop.
	Timeout time.Duration
	// Schedule is the offered load in wall-clock time.
	Schedule loadtest.Schedule
	// PreAllocatedVUs and MaxVUs are the k6 VU pool (see SizeVUs).
	PreAllocatedVUs, MaxVUs int
	// VUBasis explains where the VU numbers came from; it is written into
	// the script's header comment.
	VUBasis string
	// LatencyQuantile and LatencyTarget (seconds) give the
	// http_req_duration threshold; zero means none.
	LatencyQuantile, LatencyTarget float64
	// ErrorRate is the http_req_failed threshold (a fraction); zero means
	// none.
	ErrorRate float64
	// Service, Scenario and Plan label the script.
	Service, Scenario, Plan string
	// Endpoints, when set, is the request mix each iteration picks from
	// (Target and Method are then unused): one request by weight, tagged
	// endpoint:<name>, with a threshold per endpoint; secret headers are
	// read from __ENV (SecretEnv).
	Endpoints []loadtest.Endpoint
	// LatencyBuckets adds one k6 Counter per latency bucket
	// (LatencyBucketBounds), so runners' summaries merge into one exact
	// bucket histogram (used by the k6-operator mode).
	LatencyBuckets bool
}

// Environment variables a generated script reads.
const (
	// EnvSummary is the path handleSummary writes the summary JSON to.
	EnvSummary = "HEADROOM_SUMMARY"
	// EnvSummaryStdout = "1" makes handleSummary print the summary JSON
	// on standard output after SummaryMarker, one line, for pod logs.
	EnvSummaryStdout = "HEADROOM_SUMMARY_STDOUT"
	// SummaryMarker starts the summary line on standard output.
	SummaryMarker = "headroom-summary "
	// k6ScenarioName is the scenario key in the generated options.
	k6ScenarioName = "load"
	// k6LatencyCounterPrefix names the latency bucket counters.
	k6LatencyCounterPrefix = "headroom_latency_bucket_"
)

// SummaryTrendStats are the trend statistics the script asks k6 to keep.
var SummaryTrendStats = []string{"avg", "min", "med", "max", "p(50)", "p(90)", "p(95)", "p(99)", "p(99.9)", "count"}

// LatencyBucketBounds are the upper bounds, in milliseconds, of the
// latency buckets a script with LatencyBuckets counts into: 2^(i/8) ms for
// i = 0 … 136 (1 ms to 131 s, each bucket 9.05 % wider than the last), plus
// one overflow bucket above the last bound. A value v falls in the first
// bucket whose bound is ≥ v.
func LatencyBucketBounds() []float64 {
	b := make([]float64, 137)
	for i := range b {
		// Three decimals: the same numbers the script prints.
		b[i] = math.Round(math.Pow(2, float64(i)/8)*1000) / 1000
	}
	return b
}

// k6LatencyBucketValue is the latency in seconds a bucket's count stands
// for when merged into a Histogram: the geometric middle of the bucket, so
// the error of any quantile is at most ±4.4 % (half a bucket's width).
func k6LatencyBucketValue(bounds []float64, i int) float64 {
	switch {
	case i == 0:
		return bounds[0] / 1000
	case i >= len(bounds):
		return bounds[len(bounds)-1] / 1000
	}
	return math.Sqrt(bounds[i-1]*bounds[i]) / 1000
}

// ScriptFor builds the script for a service and scenario of a plan: the
// schedule from ScheduleFor (time compressed by speedup, rates kept), the
// per-request timeout and SLO thresholds from the service, and VUs from
// SizeVUs on the model's predicted latency. step is the wall-clock width
// of a stage; 0 picks one that keeps the script under about 600 stages.
func ScriptFor(plan *scenarios.Plan, service, scenario, target string, speedup float64, step time.Duration) (*Script, error) {
	if err := checkTarget(target); err != nil {
		return nil, err
	}
	svc := plan.Service(service)
	if svc == nil {
		return nil, fmt.Errorf("plan %s has no service %q", plan.File(), service)
	}
	sc := plan.Scenario(scenario)
	if sc == nil {
		return nil, fmt.Errorf("plan %s has no scenario %q", plan.File(), scenario)
	}
	if step == 0 && speedup >= 1 {
		wall := time.Duration(float64(sc.Duration.D()) / speedup)
		step = max(time.Second, (wall / 600).Round(time.Second))
	}
	sched, err := loadtest.ScheduleFor(plan, service, scenario, speedup, step)
	if err != nil {
		return nil, err
	}
	s := &Script{
		Target:   target,
		Timeout:  svc.Timeout.D(),
		Schedule: sched,
		Service:  service, Scenario: scenario, Plan: plan.Metadata.Name,
	}
	if l := svc.SLO.Latency; l != nil {
		s.LatencyQuantile, s.LatencyTarget = float64(l.Quantile), l.Target.Seconds()
	}
	if svc.SLO.ErrorRate != nil {
		s.ErrorRate = float64(*svc.SLO.ErrorRate)
	}
	// A service with endpoints plays its mix, target being the base URL;
	// the script reads secret headers from __ENV, so none is read here.
	if s.Endpoints, err = loadtest.PlanEndpoints(svc, target, loadtest.PlanDir(plan), nil); err != nil {
		return nil, err
	}
	lat, basis, err := PredictedLatency(svc, sched.Peak())
	if err != nil {
		return nil, err
	}
	s.PreAllocatedVUs, s.MaxVUs, s.VUBasis = SizeVUs(sched.Peak(), lat, basis, s.Timeout)
	return s, nil
}

// PredictedLatency is the response time, in seconds, k6's VUs are sized on
// (SizeVUs): the model's p95 at the peak rate on the replicas the HPA can
// reach (what the peak needs, between minReplicas and maxReplicas), or the
// request timeout when the pods are predicted to be overloaded there. basis
// says which, for the script's header. The run command passes it to the k6
// engine as Options.Latency / LatencyBasis.
func PredictedLatency(svc *scenarios.Service, peak float64) (float64, string, error) {
	w, err := svc.Workload(peak)
	if err != nil {
		return 0, "", fmt.Errorf("service %s: %w", svc.Name, err)
	}
	n := int(svc.Replicas)
	if svc.HPA != nil {
		req := svc.Requirement()
		if sz, err := model.Size(w, req, model.Queueing); err == nil {
			n = sz.Replicas
		} else {
			n = svc.MaxReplicas()
		}
		n = min(max(n, 1), svc.MaxReplicas())
		if svc.HPA.MinReplicas != nil {
			n = max(n, int(*svc.HPA.MinReplicas))
		}
	}
	n = max(n, 1)
	pr, err := model.Predict(w, n, 0.95)
	if err != nil {
		return 0, "", fmt.Errorf("service %s: %w", svc.Name, err)
	}
	if !pr.Stable || pr.P95Response >= svc.Timeout.Seconds() {
		t := svc.Timeout.Seconds()
		return t, fmt.Sprintf("the request timeout (the model predicts overload at the peak on %d replicas)", n), nil
	}
	return pr.P95Response, fmt.Sprintf("the predicted p95 at the peak on %d replicas", n), nil
}

// SizeVUs sizes the VU pool of an arrival-rate executor by Little's law,
// in-flight requests L = λ·W, with λ the peak rate (req/s) and W a response
// time (seconds):
//
//	preAllocatedVUs = ceil(2 · λ · W) + 5
//	maxVUs          = max(preAllocatedVUs, ceil(λ · timeout))
//
// The factor 2 and the 5 cover the variance around the mean occupancy (k6's
// docs: "median_iteration_duration * rate + constant_for_variance"); maxVUs
// is enough that no arrival is dropped even if every request ran to its
// timeout, since a VU holds an iteration at most that long. basis names W
// for the script's header.
func SizeVUs(peak, latency float64, basis string, timeout time.Duration) (pre, maxVUs int, explain string) {
	pre = int(math.Ceil(2*peak*latency-1e-9)) + 5
	maxVUs = max(pre, int(math.Ceil(peak*timeout.Seconds()-1e-9)))
	explain = fmt.Sprintf("preAllocatedVUs = ceil(2 × %s req/s × %s s) + 5 = %d, W being %s;\n"+
		"maxVUs = max(preAllocatedVUs, ceil(%s req/s × %s s timeout)) = %d, so no arrival is dropped even if every request ran to its timeout.",
		fmtNum(peak), fmtNum(latency), pre, basis, fmtNum(peak), fmtNum(timeout.Seconds()), maxVUs)
	return pre, maxVUs, explain
}

// ScriptForRun builds the script for an engine run: the RunSpec's
// schedule, target and thresholds, VUs sized on latency seconds (basis says
// where it came from; the RunSpec's p95 target when latency is 0, else 1 s).
func ScriptForRun(spec loadtest.RunSpec, latency float64, basis string) (*Script, error) {
	if err := checkTarget(spec.Target); err != nil {
		return nil, err
	}
	timeout := spec.Timeout
	if timeout <= 0 {
		timeout = scenarios.DefaultTimeout
	}
	if basis == "" {
		basis = "the given latency"
	}
	if latency <= 0 {
		latency, basis = spec.P95Target, "the p95 SLO target"
	}
	if latency <= 0 {
		latency, basis = 1, "1 s (no prediction and no SLO given)"
	}
	s := &Script{
		Target: spec.Target, Method: spec.Method, Timeout: timeout, Schedule: spec.Schedule,
		Service: spec.Service, Scenario: spec.Scenario,
		ErrorRate: spec.ErrorRateTarget, Endpoints: spec.Endpoints,
	}
	if spec.P95Target > 0 {
		s.LatencyQuantile, s.LatencyTarget = 0.95, spec.P95Target
	}
	s.PreAllocatedVUs, s.MaxVUs, s.VUBasis = SizeVUs(spec.Schedule.Peak(), latency, basis, timeout)
	return s, nil
}

func checkTarget(target string) error {
	if target == "" {
		return fmt.Errorf("a target URL is required (--target http://host:port/path)")
	}
	if !strings.HasPrefix(target, "http://") && !strings.HasPrefix(target, "https://") {
		return fmt.Errorf("target %q must be an http:// or https:// URL", target)
	}
	return nil
}

// k6TimeUnit picks the scenario's timeUnit: k6 stage targets are integers
// per timeUnit, so below 100 req/s at the peak a longer unit keeps the
// rounding under 0.5 %: 1s from 100 req/s, 10s from 10 req/s, 1m below.
func k6TimeUnit(peak float64) time.Duration {
	switch {
	case peak >= 100:
		return time.Second
	case peak >= 10:
		return 10 * time.Second
	}
	return time.Minute
}

// k6Stage is one stage as the script writes it.
type k6Stage struct {
	target   int64
	duration time.Duration
}

// k6Stages converts the schedule into integer targets per unit and merges
// consecutive stages with the same slope, which is exact: k6 ramps
// linearly within a stage.
func k6Stages(s loadtest.Schedule, unit time.Duration) (start int64, out []k6Stage, err error) {
	toUnit := func(r float64) (int64, error) {
		if !(r >= 0) || math.IsInf(r, 0) {
			return 0, fmt.Errorf("schedule rate %v is not a finite rate ≥ 0", r)
		}
		return int64(math.Round(r * unit.Seconds())), nil
	}
	if start, err = toUnit(s.StartRate); err != nil {
		return 0, nil, err
	}
	prev := start     // the rate at the end of the last stage
	lastFrom := start // the rate at the start of the last output stage
	for i, st := range s.Stages {
		if st.Duration < 0 {
			return 0, nil, fmt.Errorf("stage %d: duration %s is negative", i, st.Duration)
		}
		t, err := toUnit(st.Target)
		if err != nil {
			return 0, nil, fmt.Errorf("stage %d: %w", i, err)
		}
		d := st.Duration.Round(time.Millisecond)
		if n := len(out); n > 0 && (t-prev)*int64(out[n-1].duration/time.Millisecond) == (prev-lastFrom)*int64(d/time.Millisecond) {
			// Same slope as the last stage (flat included): k6 ramps
			// linearly, so one longer stage is the same schedule.
			out[n-1].target = t
			out[n-1].duration += d
		} else {
			out = append(out, k6Stage{target: t, duration: d})
			lastFrom = prev
		}
		prev = t
	}
	if len(out) == 0 {
		return 0, nil, fmt.Errorf("the schedule has no stages")
	}
	return start, out, nil
}

// k6Duration writes a duration the way k6 reads it ("90s", "1500ms").
func k6Duration(d time.Duration) string {
	if d%time.Second == 0 {
		return strconv.FormatInt(int64(d/time.Second), 10) + "s"
	}
	return strconv.FormatInt(int64(d/time.Millisecond), 10) + "ms"
}

// fmtNum writes a number with up to 4 decimals and no trailing zeros.
func fmtNum(x float64) string {
	s := strconv.FormatFloat(x, 'f', 4, 64)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// jsString is a JavaScript string literal (JSON strings are valid JS).
func jsString(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return strings.TrimSuffix(b.String(), "\n")
}

// Validate checks that the script can be rendered.
func (s *Script) Validate() error {
	if err := checkTarget(s.Target); err != nil {
		return err
	}
	switch {
	case s.Timeout <= 0:
		return fmt.Errorf("timeout must be greater than 0, got %s", s.Timeout)
	case s.PreAllocatedVUs < 1:
		return fmt.Errorf("preAllocatedVUs must be at least 1, got %d", s.PreAllocatedVUs)
	case s.MaxVUs < s.PreAllocatedVUs:
		return fmt.Errorf("maxVUs %d is below preAllocatedVUs %d", s.MaxVUs, s.PreAllocatedVUs)
	case s.LatencyQuantile < 0 || s.LatencyQuantile >= 1:
		return fmt.Errorf("latency quantile must be in [0, 1), got %v", s.LatencyQuantile)
	case s.LatencyQuantile > 0 && !(s.LatencyTarget > 0):
		return fmt.Errorf("latency target must be greater than 0, got %v", s.LatencyTarget)
	case s.ErrorRate < 0 || s.ErrorRate >= 1:
		return fmt.Errorf("error rate must be in [0, 1), got %v", s.ErrorRate)
	}
	return validateMix(s.Endpoints)
}

// Render writes the script. The same Script gives the same bytes.
func (s *Script) Render() ([]byte, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	method := strings.ToUpper(s.Method)
	if method == "" {
		method = "GET"
	}
	peak := s.Schedule.Peak()
	unit := k6TimeUnit(peak)
	start, stages, err := k6Stages(s.Schedule, unit)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }

	p("// Generated by headroom; regenerate rather than edit.\n")
	label := []string{}
	if s.Plan != "" {
		label = append(label, "plan "+s.Plan)
	}
	if s.Service != "" {
		label = append(label, "service "+s.Service)
	}
	if s.Scenario != "" {
		label = append(label, "scenario "+s.Scenario)
	}
	if len(label) > 0 {
		p("// Load test of %s.\n", strings.Join(label, ", "))
	}
	p("//\n// Offered load (open model): k6's ramping-arrival-rate executor starts iterations\n")
	p("// at the scheduled rate whatever the responses do, ramping linearly between stages.\n")
	sp := s.Schedule.Speedup
	if sp == 0 {
		sp = 1
	}
	plural := "s"
	if len(stages) == 1 {
		plural = ""
	}
	p("// %d stage%s over %s of wall time, the scenario played %s× faster, peak %s req/s kept.\n",
		len(stages), plural, s.Schedule.Duration().Round(time.Millisecond), fmtNum(sp), fmtNum(peak))
	p("// Targets are iterations per timeUnit %s (integers in k6), one HTTP request each.\n", k6Duration(unit))
	p("//\n// VUs by Little's law (in-flight = rate × response time):\n")
	for _, line := range strings.Split(s.VUBasis, "\n") {
		p("//   %s\n", line)
	}
	p("//\n// Run: k6 run -e %s=summary.json script.js   (never with --vus/--duration, which replace the scenario)\n", EnvSummary)
	p("import http from 'k6/http';\n")
	p("import { check } from 'k6';\n")
	if s.LatencyBuckets {
		p("import { Counter } from 'k6/metrics';\n")
	}
	if len(s.Endpoints) > 0 {
		s.renderMixConsts(p)
	} else {
		p("\nconst TARGET = %s;\n", jsString(s.Target))
		p("const METHOD = %s;\n", jsString(method))
		p("const PARAMS = { timeout: %s, tags: { name: %s } };\n", jsString(k6Duration(s.Timeout)), jsString(method+" "+s.Target))
	}

	p("\nexport const options = {\n")
	p("  discardResponseBodies: true,\n")
	stats := make([]string, len(SummaryTrendStats))
	for i, st := range SummaryTrendStats {
		stats[i] = jsString(st)
	}
	p("  summaryTrendStats: [%s],\n", strings.Join(stats, ", "))
	p("  scenarios: {\n")
	p("    %s: {\n", k6ScenarioName)
	p("      executor: 'ramping-arrival-rate',\n")
	p("      startRate: %d,\n", start)
	p("      timeUnit: %s,\n", jsString(k6Duration(unit)))
	p("      preAllocatedVUs: %d,\n", s.PreAllocatedVUs)
	p("      maxVUs: %d,\n", s.MaxVUs)
	p("      gracefulStop: %s,\n", jsString(k6Duration(s.Timeout)))
	p("      stages: [\n")
	for _, st := range stages {
		p("        { target: %d, duration: %s },\n", st.target, jsString(k6Duration(st.duration)))
	}
	p("      ],\n")
	p("    },\n")
	p("  },\n")
	p("  thresholds: {\n")
	if s.LatencyQuantile > 0 {
		q := strconv.FormatFloat(s.LatencyQuantile*100, 'f', -1, 64)
		p("    http_req_duration: [%s],\n", jsString(fmt.Sprintf("p(%s)<%s", q, fmtNum(s.LatencyTarget*1000))))
	}
	if s.ErrorRate > 0 {
		p("    http_req_failed: [%s],\n", jsString("rate<"+strconv.FormatFloat(s.ErrorRate, 'f', -1, 64)))
	}
	s.renderMixThresholds(p)
	p("    // Any dropped arrival means k6 did not offer the planned load: the run fails.\n")
	p("    dropped_iterations: ['count==0'],\n")
	p("  },\n")
	p("};\n")

	if s.LatencyBuckets {
		bounds := LatencyBucketBounds()
		p("\n// Latency histogram as one Counter per bucket, so the summaries of several runners\n")
		p("// add up bucket by bucket (k6's summary only has percentiles, which do not merge).\n")
		p("// Bucket i counts durations ≤ LAT_BOUNDS_MS[i] (and above the previous bound);\n")
		p("// the last counter counts everything above the last bound.\n")
		p("const LAT_BOUNDS_MS = [\n")
		for i := 0; i < len(bounds); i += 8 {
			row := []string{}
			for _, v := range bounds[i:min(i+8, len(bounds))] {
				row = append(row, strconv.FormatFloat(v, 'f', -1, 64))
			}
			p("  %s,\n", strings.Join(row, ", "))
		}
		p("];\n")
		p("const LAT_BUCKETS = [];\n")
		p("for (let i = 0; i <= LAT_BOUNDS_MS.length; i++) {\n")
		p("  LAT_BUCKETS.push(new Counter(%s + String(i).padStart(3, '0')));\n", jsString(k6LatencyCounterPrefix))
		p("}\n")
		p("\nfunction latencyBucket(ms) {\n")
		p("  let lo = 0;\n")
		p("  let hi = LAT_BOUNDS_MS.length;\n")
		p("  while (lo < hi) {\n")
		p("    const mid = (lo + hi) >> 1;\n")
		p("    if (ms <= LAT_BOUNDS_MS[mid]) { hi = mid; } else { lo = mid + 1; }\n")
		p("  }\n")
		p("  return lo;\n")
		p("}\n")
	}

	p("\nexport default function () {\n")
	if len(s.Endpoints) > 0 {
		s.renderMixRequest(p)
	} else {
		p("  const res = http.request(METHOD, TARGET, null, PARAMS);\n")
	}
	p("  check(res, { 'status 2xx': (r) => r.status >= 200 && r.status < 300 });\n")
	if s.LatencyBuckets {
		p("  LAT_BUCKETS[latencyBucket(res.timings.duration)].add(1);\n")
	}
	p("}\n")

	p("\n// The summary goes to the file headroom names (-e %s=path) and, with\n", EnvSummary)
	p("// -e %s=1, to standard output as one line after %s (read from pod logs).\n", EnvSummaryStdout, jsString(SummaryMarker))
	p("export function handleSummary(data) {\n")
	p("  const out = {};\n")
	p("  if (__ENV.%s) {\n", EnvSummary)
	p("    out[__ENV.%s] = JSON.stringify(data);\n", EnvSummary)
	p("  }\n")
	p("  if (__ENV.%s === '1') {\n", EnvSummaryStdout)
	p("    out.stdout = %s + JSON.stringify(data) + '\\n';\n", jsString(SummaryMarker))
	p("  }\n")
	p("  return out;\n")
	p("}\n")
	return b.Bytes(), nil
}
