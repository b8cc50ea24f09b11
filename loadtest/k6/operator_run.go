package k6

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/headroom-dev/headroom/loadtest"
)

// PodLogs reads a pod's log.
type PodLogs interface {
	Logs(ctx context.Context, namespace, pod string) (io.ReadCloser, error)
}

// API is the part of the Kubernetes API an operator run uses.
// cluster.Clients implements it with client-go; k6test.API is an
// in-memory fake for tests.
type API interface {
	// CreateConfigMap creates cm; when it exists already the error
	// satisfies apierrors.IsAlreadyExists.
	CreateConfigMap(ctx context.Context, cm *corev1.ConfigMap) error
	// CreateObject creates obj as a gvr resource in obj's namespace; when
	// the server does not serve gvr (its CRD is not installed) the error
	// satisfies apierrors.IsNotFound.
	CreateObject(ctx context.Context, gvr schema.GroupVersionResource, obj *unstructured.Unstructured) error
	// GetObject reads a gvr resource.
	GetObject(ctx context.Context, gvr schema.GroupVersionResource, namespace, name string) (*unstructured.Unstructured, error)
	// DeleteObject deletes a gvr resource and lets the garbage collector
	// delete what it owns in the background; a missing object is an
	// error that satisfies apierrors.IsNotFound.
	DeleteObject(ctx context.Context, gvr schema.GroupVersionResource, namespace, name string) error
	// ListPods lists the pods of a namespace that match a label selector.
	ListPods(ctx context.Context, namespace, selector string) ([]corev1.Pod, error)
	PodLogs
}

// OperatorRunner creates an operator run, follows it to the end and merges
// what its runners measured.
type OperatorRunner struct {
	API API
	// PollInterval is how often the TestRun's stage is read; default 2 s.
	PollInterval time.Duration
	// StartTimeout is how long the TestRun may take, beyond the schedule's
	// duration and the request timeout, to finish; default 10 min. A run
	// past it is reported as stuck (a runner OOM-killed or unschedulable
	// leaves the TestRun in "started" for ever: k6-operator#251).
	StartTimeout time.Duration
	// Progress receives stage changes.
	Progress io.Writer
}

// Operator stages, from the TestRun's status.stage enum (grafana/k6-operator
// api/v1alpha1/k6_types.go, type Stage: initialization, initialized,
// created, started, stopped, finished, error).
const (
	stageFinished = "finished"
	stageError    = "error"
)

// Run applies the objects, waits for the TestRun to finish and merges the
// runners' summaries. On ctx cancellation it deletes the TestRun — the
// open-source operator has no graceful stop, so the runners are killed and
// write no summary — and returns an interrupted result without data.
func (r *OperatorRunner) Run(ctx context.Context, spec OperatorSpec, objs *OperatorObjects) (*loadtest.Result, error) {
	ns, name := objs.TestRun.GetNamespace(), objs.TestRun.GetName()
	sc := spec.Script
	res := &loadtest.Result{
		SchemaVersion: loadtest.ResultSchemaVersion, Engine: "k6-operator", EngineVersion: runnerImage(objs.TestRun),
		Target: sc.Target, Service: sc.Service, Scenario: sc.Scenario,
		Speedup: max(sc.Schedule.Speedup, 1), Planned: loadtest.Duration{Duration: sc.Schedule.Duration()}, Valid: true,
		Start: time.Now().UTC(),
	}
	if err := r.create(ctx, objs); err != nil {
		return nil, err
	}
	r.logf("created configmap and testrun %s/%s (%d runners)", ns, name, spec.Parallelism)
	startTimeout := r.StartTimeout
	if startTimeout <= 0 {
		startTimeout = 10 * time.Minute
	}
	deadline := time.Now().Add(sc.Schedule.Duration() + sc.Timeout + startTimeout)
	finished, err := r.follow(ctx, ns, name, deadline)
	if err != nil {
		return nil, err
	}
	if !finished {
		return r.interrupted(ctx, res, ns, name)
	}
	return r.collect(ctx, spec, res, ns, name)
}

// create creates the ConfigMap, then the TestRun.
func (r *OperatorRunner) create(ctx context.Context, objs *OperatorObjects) error {
	ns, name := objs.TestRun.GetNamespace(), objs.TestRun.GetName()
	var cm corev1.ConfigMap
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(objs.ConfigMap.Object, &cm); err != nil {
		return err
	}
	if err := r.API.CreateConfigMap(ctx, &cm); err != nil {
		if apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("configmap %s/%s already exists: delete it (and the TestRun) or pass another --name", ns, name)
		}
		return fmt.Errorf("create configmap %s/%s: %w", ns, name, err)
	}
	if err := r.API.CreateObject(ctx, TestRunGVR, objs.TestRun); err != nil {
		if apierrors.IsNotFound(err) {
			return fmt.Errorf("create testrun %s/%s: %w (is the k6-operator installed? its CRD testruns.k6.io is missing)", ns, name, err)
		}
		return fmt.Errorf("create testrun %s/%s: %w", ns, name, err)
	}
	return nil
}

// follow polls the TestRun's stage until it is finished (true), ctx is
// done (false), or it fails: stage error, or not finished by deadline.
func (r *OperatorRunner) follow(ctx context.Context, ns, name string, deadline time.Time) (bool, error) {
	poll := r.PollInterval
	if poll <= 0 {
		poll = 2 * time.Second
	}
	ticker := time.NewTicker(poll)
	defer ticker.Stop()
	stage := ""
	for {
		obj, err := r.API.GetObject(ctx, TestRunGVR, ns, name)
		switch {
		case ctx.Err() != nil:
		case err != nil:
			return false, fmt.Errorf("read testrun %s/%s: %w", ns, name, err)
		default:
			s, _, _ := unstructured.NestedString(obj.Object, "status", "stage")
			if s != stage {
				r.logf("testrun %s: stage %s", name, s)
				stage = s
			}
		}
		if stage == stageFinished {
			return true, nil
		}
		if stage == stageError {
			return false, fmt.Errorf("testrun %s/%s reached stage error: %s", ns, name, r.diagnose(context.WithoutCancel(ctx), ns, name))
		}
		if time.Now().After(deadline) {
			return false, fmt.Errorf("testrun %s/%s stuck in stage %q past %s: %s; delete it with kubectl delete testrun -n %s %s",
				ns, name, stage, deadline.Format(time.RFC3339), r.diagnose(ctx, ns, name), ns, name)
		}
		select {
		case <-ctx.Done():
			return false, nil
		case <-ticker.C:
		}
	}
}

// interrupted deletes the TestRun of a cancelled run and marks res.
func (r *OperatorRunner) interrupted(ctx context.Context, res *loadtest.Result, ns, name string) (*loadtest.Result, error) {
	err := r.API.DeleteObject(context.WithoutCancel(ctx), TestRunGVR, ns, name)
	res.Interrupted = true
	res.Valid = false
	res.InvalidReason = "interrupted: the TestRun was deleted (k6-operator has no graceful stop), so the runners wrote no summary"
	if err != nil && !apierrors.IsNotFound(err) {
		return res, fmt.Errorf("interrupted, and deleting testrun %s/%s failed: %w", ns, name, err)
	}
	return res, nil
}

func runnerImage(tr *unstructured.Unstructured) string {
	img, _, _ := unstructured.NestedString(tr.Object, "spec", "runner", "image")
	return img
}

func (r *OperatorRunner) logf(format string, args ...any) {
	if r.Progress != nil {
		fmt.Fprintf(r.Progress, format+"\n", args...)
	}
}

// runnerPods lists the runner pods of a TestRun, sorted by name. The
// operator labels them k6_cr=<testrun> and runner=true (grafana/k6-operator
// pkg/resources/jobs: newLabels in helpers.go, NewRunnerJob in runner.go).
func (r *OperatorRunner) runnerPods(ctx context.Context, ns, name string) ([]corev1.Pod, error) {
	pods, err := r.API.ListPods(ctx, ns, "k6_cr="+name+",runner=true")
	if err != nil {
		return nil, fmt.Errorf("list runner pods of %s/%s: %w", ns, name, err)
	}
	sort.Slice(pods, func(i, j int) bool { return pods[i].Name < pods[j].Name })
	return pods, nil
}

// diagnose says what the runner pods are doing, for a stuck or failed run.
func (r *OperatorRunner) diagnose(ctx context.Context, ns, name string) string {
	pods, err := r.runnerPods(ctx, ns, name)
	if err != nil {
		return err.Error()
	}
	if len(pods) == 0 {
		return "no runner pods (see kubectl describe testrun and the initializer job's logs)"
	}
	var parts []string
	for _, p := range pods {
		parts = append(parts, p.Name+": "+podState(p))
	}
	return strings.Join(parts, "; ")
}

// podState describes a pod's phase and its container's state.
func podState(p corev1.Pod) string {
	s := string(p.Status.Phase)
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse {
			s += " (unschedulable: " + c.Message + ")"
		}
	}
	for _, cs := range p.Status.ContainerStatuses {
		switch {
		case cs.State.Waiting != nil:
			s += " waiting " + cs.State.Waiting.Reason
		case cs.State.Terminated != nil:
			s += fmt.Sprintf(" terminated %s exit %d", cs.State.Terminated.Reason, cs.State.Terminated.ExitCode)
		}
	}
	return s
}

// exitCode is the k6 container's exit code, or -1 while it runs.
func exitCode(p corev1.Pod) int {
	for _, cs := range p.Status.ContainerStatuses {
		if cs.State.Terminated != nil {
			return int(cs.State.Terminated.ExitCode)
		}
	}
	return -1
}

// collect reads each runner's exit code and summary and merges them.
func (r *OperatorRunner) collect(ctx context.Context, spec OperatorSpec, res *loadtest.Result, ns, name string) (*loadtest.Result, error) {
	pods, err := r.runnerPods(ctx, ns, name)
	if err != nil {
		return nil, err
	}
	if len(pods) != spec.Parallelism {
		return nil, fmt.Errorf("testrun %s/%s finished with %d runner pods, want %d (were they cleaned up? do not set cleanup: post)", ns, name, len(pods), spec.Parallelism)
	}
	var summaries []*Summary
	var problems, reasons []string
	for _, p := range pods {
		code := exitCode(p)
		switch code {
		case 0:
		case 99:
			reasons = append(reasons, fmt.Sprintf("%s: k6 exit 99, thresholds failed on its own segment", p.Name))
		default:
			meaning := ExitMeanings[code]
			if code == -1 {
				meaning = "no exit code: " + podState(p)
			}
			problems = append(problems, fmt.Sprintf("%s: k6 exit %d: %s", p.Name, code, meaning))
			continue
		}
		sum, err := readRunnerSummary(ctx, r.API, ns, p.Name)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		summaries = append(summaries, sum)
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%d of %d runners failed:\n  %s", len(problems), len(pods), strings.Join(problems, "\n  "))
	}
	total, err := MergeSummaries(summaries)
	if err != nil {
		return nil, err
	}
	span := 0.0
	for _, s := range summaries {
		span = math.Max(span, s.State.TestRunDurationMs/1000)
	}
	total.TargetRate = averageRate(spec.Script.Schedule)
	total.Summarise(span)
	res.Window = loadtest.Duration{Duration: time.Duration(span * float64(time.Second))}
	res.Totals = total
	res.ExitReason = strings.Join(reasons, "; ")
	res.Thresholds = mergedThresholds(spec.Script, total)
	if total.Dropped > 0 {
		res.Valid = false
		res.InvalidReason = fmt.Sprintf("the runners dropped %d iteration(s) for lack of free VUs: the offered load fell short", total.Dropped)
	}
	return res, nil
}

// averageRate is the schedule's mean offered rate.
func averageRate(s loadtest.Schedule) float64 {
	var area float64
	from := s.StartRate
	for _, st := range s.Stages {
		area += (from + st.Target) / 2 * st.Duration.Seconds()
		from = st.Target
	}
	if d := s.Duration().Seconds(); d > 0 {
		return area / d
	}
	return 0
}

// readRunnerSummary finds the summary line in a runner's log.
func readRunnerSummary(ctx context.Context, logs PodLogs, ns, pod string) (*Summary, error) {
	rc, err := logs.Logs(ctx, ns, pod)
	if err != nil {
		return nil, fmt.Errorf("%s: read log: %w", pod, err)
	}
	defer rc.Close()
	sc := bufio.NewScanner(rc)
	sc.Buffer(make([]byte, 64<<10), 64<<20)
	var last []byte
	for sc.Scan() {
		if rest, ok := bytes.CutPrefix(sc.Bytes(), []byte(SummaryMarker)); ok {
			last = append(last[:0], rest...)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: read log: %w", pod, err)
	}
	if last == nil {
		return nil, fmt.Errorf("%s: no %q line in the log (was the script generated by headroom, with %s=1?)", pod, strings.TrimSpace(SummaryMarker), EnvSummaryStdout)
	}
	s, err := ParseSummary(last)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", pod, err)
	}
	return s, nil
}

// MergeSummaries adds runners' summaries: request, error and drop counts
// sum, and the latency histogram is rebuilt from the bucket counters each
// runner's script kept, summed bucket by bucket — never by averaging
// percentiles. Each bucket's count is recorded at the bucket's geometric
// middle, so a merged quantile is within half a bucket (±4.4 %) of the
// exact one.
func MergeSummaries(sums []*Summary) (loadtest.Window, error) {
	w := loadtest.Window{Latency: loadtest.NewHistogram()}
	if len(sums) == 0 {
		return w, errors.New("no runner summaries to merge")
	}
	bounds := LatencyBucketBounds()
	for _, s := range sums {
		var inBuckets int64
		for name, m := range s.Metrics {
			idx, ok := strings.CutPrefix(name, k6LatencyCounterPrefix)
			if !ok {
				continue
			}
			i, err := strconv.Atoi(idx)
			if err != nil || i < 0 || i > len(bounds) {
				return w, fmt.Errorf("summary metric %q is not a latency bucket of this headroom", name)
			}
			n, err := summaryCount(name, "count", m.Values["count"])
			if err != nil {
				return w, err
			}
			w.Latency.RecordN(k6LatencyBucketValue(bounds, i), n)
			inBuckets += n
		}
		var counts [3]int64
		for j, mk := range [3][2]string{{k6MetricReqs, "count"}, {k6MetricFailed, "passes"}, {k6MetricDropped, "count"}} {
			v, _ := s.value(mk[0], mk[1]) // a Rate's passes are its non-zero samples: failed requests
			n, err := summaryCount(mk[0], mk[1], v)
			if err != nil {
				return w, err
			}
			counts[j] = n
		}
		w.Sent += counts[0]
		w.Completed += inBuckets
		w.Errors += counts[1]
		w.Dropped += counts[2]
	}
	return w, nil
}

// summaryCount checks that a summary count is a whole number a run can
// reach (0 to 10^15).
func summaryCount(metric, key string, v float64) (int64, error) {
	if !(v >= 0 && v <= 1e15) || v != math.Trunc(v) {
		return 0, fmt.Errorf("summary metric %s: %s = %v is not a count", metric, key, v)
	}
	return int64(v), nil
}

// mergedThresholds evaluates the script's thresholds on the merged
// measurements: each runner judged only its own segment.
func mergedThresholds(s *Script, w loadtest.Window) []loadtest.Threshold {
	var out []loadtest.Threshold
	if s.LatencyQuantile > 0 {
		q := strconv.FormatFloat(s.LatencyQuantile*100, 'f', -1, 64)
		out = append(out, loadtest.Threshold{
			Metric: k6MetricDuration, Expression: fmt.Sprintf("p(%s)<%s", q, fmtNum(s.LatencyTarget*1000)),
			Passed: w.Latency.Count() > 0 && w.Latency.Quantile(s.LatencyQuantile) < s.LatencyTarget,
		})
	}
	if s.ErrorRate > 0 {
		rate := 0.0
		if w.Sent > 0 {
			rate = float64(w.Errors) / float64(w.Sent)
		}
		out = append(out, loadtest.Threshold{Metric: k6MetricFailed, Expression: "rate<" + strconv.FormatFloat(s.ErrorRate, 'f', -1, 64), Passed: rate < s.ErrorRate})
	}
	out = append(out, loadtest.Threshold{Metric: k6MetricDropped, Expression: "count==0", Passed: w.Dropped == 0})
	return out
}
