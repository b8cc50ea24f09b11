package k6

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/yaml"

	"github.com/headroom-dev/headroom/loadtest"
)

// K6RunnerImage is the k6 image the TestRun's runners use, pinned: the
// operator's default is grafana/k6:latest, which floats across major
// versions (reference/k6.md §5.1, k6-operator#452).
const RunnerImage = "grafana/k6:2.2.0"

// TestRunGVR is the k6-operator's TestRun resource (k6.io/v1alpha1).
var TestRunGVR = schema.GroupVersionResource{Group: "k6.io", Version: "v1alpha1", Resource: "testruns"}

// k6ScriptFile is the ConfigMap key of the script.
const k6ScriptFile = "test.js"

// OperatorSpec is a distributed run through the k6-operator.
type OperatorSpec struct {
	// Name of the ConfigMap and the TestRun; empty derives
	// "headroom-<service>-<scenario>". At most 40 characters, so the
	// operator's "<name>-initializer" and "<name>-service-<i>" stay valid
	// names.
	Name      string
	Namespace string
	// Parallelism is the number of runner pods; the load is split between
	// them by k6 execution segments.
	Parallelism int
	// Separate puts runners on different nodes (podAntiAffinity).
	Separate bool
	// Image is the runner image; default K6RunnerImage.
	Image string
	// Script is the load test; Render turns on its latency buckets.
	Script *Script
}

// OperatorObjects are what an operator run creates.
type OperatorObjects struct {
	ConfigMap *unstructured.Unstructured
	TestRun   *unstructured.Unstructured
}

var dns1123Label = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

// operatorName derives a valid name from the service and scenario.
func operatorName(service, scenario string) string {
	raw := "headroom-" + service + "-" + scenario
	var b strings.Builder
	for _, r := range strings.ToLower(raw) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	name := strings.Trim(b.String(), "-")
	if len(name) > 40 {
		sum := sha256.Sum256([]byte(raw))
		name = strings.TrimRight(name[:33], "-") + "-" + hex.EncodeToString(sum[:3])
	}
	return name
}

// Render builds the ConfigMap holding the script and the TestRun. The
// script's handleSummary prints the summary to standard output (runner env
// HEADROOM_SUMMARY_STDOUT=1) so it is read from each runner pod's log, and
// it counts latencies into buckets (K6LatencyBucketBounds) because k6's
// summary has only percentiles, which cannot be merged across runners;
// bucket counts add up exactly. Raw NDJSON (--out json) would also merge
// exactly but floods the pod logs (about 13 lines per request) or needs a
// shared volume.
func (s OperatorSpec) Render() (*OperatorObjects, error) {
	if s.Script == nil {
		return nil, fmt.Errorf("operator: no script")
	}
	if s.Parallelism < 1 {
		return nil, fmt.Errorf("--parallelism must be at least 1, got %d", s.Parallelism)
	}
	name := s.Name
	if name == "" {
		name = operatorName(s.Script.Service, s.Script.Scenario)
	}
	if len(name) > 40 || !dns1123Label.MatchString(name) {
		return nil, fmt.Errorf("--name %q must be a DNS label (lowercase letters, digits, '-') of at most 40 characters", name)
	}
	if s.Namespace == "" {
		return nil, fmt.Errorf("a namespace is required (-n)")
	}
	image := s.Image
	if image == "" {
		image = RunnerImage
	}
	script := *s.Script
	script.LatencyBuckets = true
	// Every runner gets a segment of the VUs: at least one each, or a
	// runner has nothing to do and exits at once (k6-operator#90).
	if script.PreAllocatedVUs < s.Parallelism {
		script.PreAllocatedVUs = s.Parallelism
		script.VUBasis += fmt.Sprintf("\npreAllocatedVUs raised to the parallelism, %d, so each runner has a VU.", s.Parallelism)
	}
	script.MaxVUs = max(script.MaxVUs, script.PreAllocatedVUs)
	src, err := script.Render()
	if err != nil {
		return nil, err
	}
	if len(src) > 1<<20 {
		return nil, fmt.Errorf("the script is %d bytes, above a ConfigMap's 1 MiB: use a larger stage step", len(src))
	}
	labels := map[string]any{
		"app.kubernetes.io/managed-by": "headroom",
		"headroom.dev/service":         labelValue(script.Service),
		"headroom.dev/scenario":        labelValue(script.Scenario),
	}
	cm := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1",
		"kind":       "ConfigMap",
		"metadata":   map[string]any{"name": name, "namespace": s.Namespace, "labels": labels},
		"data":       map[string]any{k6ScriptFile: string(src)},
	}}
	tr := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "k6.io/v1alpha1",
		"kind":       "TestRun",
		"metadata":   map[string]any{"name": name, "namespace": s.Namespace, "labels": runtime.DeepCopyJSONValue(labels)},
		"spec": map[string]any{
			"parallelism": int64(s.Parallelism),
			"separate":    s.Separate,
			"script": map[string]any{
				"configMap": map[string]any{"name": name, "file": k6ScriptFile},
			},
			// Split on whitespace by the operator: no quoting needed here.
			"arguments": "--no-usage-report --log-format=json --summary-trend-stats=" + strings.Join(SummaryTrendStats, ","),
			"runner": map[string]any{
				"image": image,
				"env": []any{
					map[string]any{"name": EnvSummaryStdout, "value": "1"},
				},
			},
		},
	}}
	return &OperatorObjects{ConfigMap: cm, TestRun: tr}, nil
}

// labelValue trims a string to a valid label value.
func labelValue(s string) string {
	if len(s) > 63 {
		s = s[:63]
	}
	return strings.Trim(s, "-_.")
}

// YAML writes the objects as one multi-document YAML stream.
func (o *OperatorObjects) YAML() ([]byte, error) {
	var b bytes.Buffer
	for i, obj := range []*unstructured.Unstructured{o.ConfigMap, o.TestRun} {
		y, err := yaml.Marshal(obj.Object)
		if err != nil {
			return nil, err
		}
		if i > 0 {
			b.WriteString("---\n")
		}
		b.Write(y)
	}
	return b.Bytes(), nil
}

// PodLogs reads a pod's log.
type PodLogs interface {
	Logs(ctx context.Context, namespace, pod string) (io.ReadCloser, error)
}

// clientsetLogs reads logs through the core API.
type clientsetLogs struct{ c kubernetes.Interface }

func (l clientsetLogs) Logs(ctx context.Context, ns, pod string) (io.ReadCloser, error) {
	return l.c.CoreV1().Pods(ns).GetLogs(pod, &corev1.PodLogOptions{}).Stream(ctx)
}

// OperatorRunner creates an operator run, follows it to the end and merges
// what its runners measured.
type OperatorRunner struct {
	Dynamic dynamic.Interface
	Client  kubernetes.Interface
	// Logs reads runner logs; default through Client.
	Logs PodLogs
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

// Operator stages, from the TestRun CRD's status.stage enum.
const (
	stageFinished = "finished"
	stageError    = "error"
)

// Run applies the objects, waits for the TestRun to finish and merges the
// runners' summaries. On ctx cancellation it deletes the TestRun — the
// open-source operator has no graceful stop, so the runners are killed and
// write no summary — and returns an interrupted result without data.
func (r *OperatorRunner) Run(ctx context.Context, spec OperatorSpec, objs *OperatorObjects) (*loadtest.Result, error) {
	poll := r.PollInterval
	if poll <= 0 {
		poll = 2 * time.Second
	}
	startTimeout := r.StartTimeout
	if startTimeout <= 0 {
		startTimeout = 10 * time.Minute
	}
	logs := r.Logs
	if logs == nil {
		logs = clientsetLogs{r.Client}
	}
	ns, name := objs.TestRun.GetNamespace(), objs.TestRun.GetName()
	sc := spec.Script
	res := &loadtest.Result{
		SchemaVersion: loadtest.ResultSchemaVersion, Engine: "k6-operator", EngineVersion: runnerImage(objs.TestRun),
		Target: sc.Target, Service: sc.Service, Scenario: sc.Scenario,
		Speedup: max(sc.Schedule.Speedup, 1), Planned: loadtest.Duration{Duration: sc.Schedule.Duration()}, Valid: true,
		Start: time.Now().UTC(),
	}

	var cm corev1.ConfigMap
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(objs.ConfigMap.Object, &cm); err != nil {
		return nil, err
	}
	if _, err := r.Client.CoreV1().ConfigMaps(ns).Create(ctx, &cm, metav1.CreateOptions{}); err != nil {
		if apierrors.IsAlreadyExists(err) {
			return nil, fmt.Errorf("configmap %s/%s already exists: delete it (and the TestRun) or pass another --name", ns, name)
		}
		return nil, fmt.Errorf("create configmap %s/%s: %w", ns, name, err)
	}
	if _, err := r.Dynamic.Resource(TestRunGVR).Namespace(ns).Create(ctx, objs.TestRun, metav1.CreateOptions{}); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, fmt.Errorf("create testrun %s/%s: %w (is the k6-operator installed? its CRD testruns.k6.io is missing)", ns, name, err)
		}
		return nil, fmt.Errorf("create testrun %s/%s: %w", ns, name, err)
	}
	r.logf("created configmap and testrun %s/%s (%d runners)", ns, name, spec.Parallelism)

	deadline := time.Now().Add(sc.Schedule.Duration() + sc.Timeout + startTimeout)
	ticker := time.NewTicker(poll)
	defer ticker.Stop()
	stage := ""
	for {
		obj, err := r.Dynamic.Resource(TestRunGVR).Namespace(ns).Get(ctx, name, metav1.GetOptions{})
		switch {
		case ctx.Err() != nil:
		case err != nil:
			return nil, fmt.Errorf("read testrun %s/%s: %w", ns, name, err)
		default:
			s, _, _ := unstructured.NestedString(obj.Object, "status", "stage")
			if s != stage {
				r.logf("testrun %s: stage %s", name, s)
				stage = s
			}
		}
		if stage == stageFinished {
			break
		}
		if stage == stageError {
			return nil, fmt.Errorf("testrun %s/%s reached stage error: %s", ns, name, r.diagnose(context.WithoutCancel(ctx), ns, name))
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("testrun %s/%s stuck in stage %q past %s: %s; delete it with kubectl delete testrun -n %s %s",
				ns, name, stage, deadline.Format(time.RFC3339), r.diagnose(ctx, ns, name), ns, name)
		}
		select {
		case <-ctx.Done():
			del := context.WithoutCancel(ctx)
			policy := metav1.DeletePropagationBackground
			err := r.Dynamic.Resource(TestRunGVR).Namespace(ns).Delete(del, name, metav1.DeleteOptions{PropagationPolicy: &policy})
			res.Interrupted = true
			res.Valid = false
			res.InvalidReason = "interrupted: the TestRun was deleted (k6-operator has no graceful stop), so the runners wrote no summary"
			if err != nil && !apierrors.IsNotFound(err) {
				return res, fmt.Errorf("interrupted, and deleting testrun %s/%s failed: %w", ns, name, err)
			}
			return res, nil
		case <-ticker.C:
		}
	}
	return r.collect(ctx, spec, res, ns, name, logs)
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

// runnerPods lists the runner pods of a TestRun, sorted by name.
func (r *OperatorRunner) runnerPods(ctx context.Context, ns, name string) ([]corev1.Pod, error) {
	pods, err := r.Client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "k6_cr=" + name + ",runner=true"})
	if err != nil {
		return nil, fmt.Errorf("list runner pods of %s/%s: %w", ns, name, err)
	}
	out := pods.Items
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
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
func (r *OperatorRunner) collect(ctx context.Context, spec OperatorSpec, res *loadtest.Result, ns, name string, logs PodLogs) (*loadtest.Result, error) {
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
		sum, err := readRunnerSummary(ctx, logs, ns, p.Name)
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

// MergeK6Summaries adds runners' summaries: request, error and drop counts
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
