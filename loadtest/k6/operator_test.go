package k6

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/headroom-dev/headroom/loadtest"
	"github.com/headroom-dev/headroom/loadtest/k6/k6test"
)

func operatorFixture(t *testing.T, parallelism int) (OperatorSpec, *OperatorObjects) {
	t.Helper()
	s, err := ScriptFor(k6NoaPlan(t), "noa-mcp", "daily", "http://noa-mcp.noa-server:8080/", 60, 0)
	if err != nil {
		t.Fatal(err)
	}
	spec := OperatorSpec{Namespace: "loadtest", Parallelism: parallelism, Separate: true, Script: s}
	objs, err := spec.Render()
	if err != nil {
		t.Fatal(err)
	}
	return spec, objs
}

func TestOperatorRender_GoldenAndDecodes(t *testing.T) {
	_, objs := operatorFixture(t, 4)
	y, err := objs.YAML()
	if err != nil {
		t.Fatal(err)
	}
	k6Golden(t, "operator-noa-mcp-daily.golden.yaml", y)

	docs := strings.Split(string(y), "\n---\n")
	if len(docs) != 2 {
		t.Fatalf("%d YAML documents, want 2", len(docs))
	}
	var cm corev1.ConfigMap
	if err := yaml.UnmarshalStrict([]byte(docs[0]), &cm); err != nil {
		t.Fatalf("the ConfigMap does not decode strictly: %v", err)
	}
	if cm.Name != "headroom-noa-mcp-daily" || cm.Namespace != "loadtest" {
		t.Errorf("configmap %s/%s", cm.Namespace, cm.Name)
	}
	script := cm.Data["test.js"]
	for _, want := range []string{"import { Counter } from 'k6/metrics'", "LAT_BUCKETS[latencyBucket(res.timings.duration)].add(1)", "out.stdout"} {
		if !strings.Contains(script, want) {
			t.Errorf("script lacks %q", want)
		}
	}
	k6NodeCheck(t, []byte(script))

	var tr unstructured.Unstructured
	if err := yaml.Unmarshal([]byte(docs[1]), &tr.Object); err != nil {
		t.Fatal(err)
	}
	if tr.GetAPIVersion() != "k6.io/v1alpha1" || tr.GetKind() != "TestRun" {
		t.Errorf("%s %s", tr.GetAPIVersion(), tr.GetKind())
	}
	par, _, _ := unstructured.NestedFieldNoCopy(tr.Object, "spec", "parallelism") // YAML numbers decode as float64
	img, _, _ := unstructured.NestedString(tr.Object, "spec", "runner", "image")
	file, _, _ := unstructured.NestedString(tr.Object, "spec", "script", "configMap", "file")
	args, _, _ := unstructured.NestedString(tr.Object, "spec", "arguments")
	if par != float64(4) || img != RunnerImage || file != "test.js" || strings.Contains(img, "latest") {
		t.Errorf("parallelism %d image %q file %q", par, img, file)
	}
	if strings.Contains(args, "--vus") || strings.Contains(args, "--duration") || !strings.Contains(args, "--summary-trend-stats=") {
		t.Errorf("arguments %q", args)
	}
	if _, found, _ := unstructured.NestedString(tr.Object, "spec", "cleanup"); found {
		t.Error("cleanup: post would delete the runner pods and their logs before headroom reads them")
	}
}

func TestOperatorRender_Refuses(t *testing.T) {
	s := &Script{Target: "http://x/", Timeout: time.Second, PreAllocatedVUs: 1, MaxVUs: 1, Service: "svc", Scenario: "s",
		Schedule: loadtest.Schedule{Stages: []loadtest.Stage{{Duration: time.Second, Target: 1}}}}
	for _, tc := range []struct {
		name string
		spec OperatorSpec
		want string
	}{
		{"zero parallelism", OperatorSpec{Namespace: "n", Script: s}, "--parallelism"},
		{"bad name", OperatorSpec{Namespace: "n", Parallelism: 1, Name: "Bad_Name", Script: s}, "--name"},
		{"no namespace", OperatorSpec{Parallelism: 1, Script: s}, "namespace"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := tc.spec.Render(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
	if got := operatorName(strings.Repeat("very-long-service-", 4), "scenario"); len(got) > 40 || !dns1123Label.MatchString(got) {
		t.Errorf("derived name %q invalid", got)
	}
	// A parallelism above the VUs raises the VUs: each runner needs one.
	objs, err := OperatorSpec{Namespace: "n", Parallelism: 8, Script: s}.Render()
	if err != nil {
		t.Fatal(err)
	}
	data, _, _ := unstructured.NestedString(objs.ConfigMap.Object, "data", "test.js")
	if !strings.Contains(data, "preAllocatedVUs: 8,") {
		t.Error("preAllocatedVUs not raised to the parallelism")
	}
}

// runnerSummary is a runner's handleSummary output for these latencies
// (ms): bucket counters as the script counts them, plus k6's own metrics.
func runnerSummary(lat []float64, failed, dropped int) *Summary {
	bounds := LatencyBucketBounds()
	s := &Summary{Metrics: map[string]SummaryMetric{}}
	s.State.TestRunDurationMs = 1440e3
	counts := map[int]float64{}
	for _, v := range lat {
		counts[sort.SearchFloat64s(bounds, v)]++ // first bound ≥ v, as latencyBucket() in the script
	}
	for i, n := range counts {
		s.Metrics[fmt.Sprintf("%s%03d", k6LatencyCounterPrefix, i)] = SummaryMetric{Type: "counter", Contains: "default", Values: map[string]float64{"count": n, "rate": n / 1440}}
	}
	n := float64(len(lat))
	s.Metrics["http_reqs"] = SummaryMetric{Type: "counter", Values: map[string]float64{"count": n}}
	s.Metrics["http_req_failed"] = SummaryMetric{Type: "rate", Values: map[string]float64{"rate": float64(failed) / n, "passes": float64(failed), "fails": n - float64(failed)}}
	if dropped > 0 {
		s.Metrics["dropped_iterations"] = SummaryMetric{Type: "counter", Values: map[string]float64{"count": float64(dropped)}}
	}
	return s
}

func TestMergeK6Summaries_BucketsNotPercentiles(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var all []float64
	var sums []*Summary
	// Runners with very different latency: averaging their p95s would be
	// far off the p95 of all requests.
	for r, scale := range []float64{20, 50, 400} {
		lat := make([]float64, 5000)
		for i := range lat {
			lat[i] = scale * rng.ExpFloat64()
		}
		all = append(all, lat...)
		sums = append(sums, runnerSummary(lat, r, 0))
	}
	w, err := MergeSummaries(sums)
	if err != nil {
		t.Fatal(err)
	}
	if w.Completed != 15000 || w.Sent != 15000 || w.Errors != 3 {
		t.Errorf("completed %d sent %d errors %d", w.Completed, w.Sent, w.Errors)
	}
	sort.Float64s(all)
	for _, q := range []float64{0.5, 0.95, 0.99} {
		exact := all[int(q*float64(len(all)-1))] / 1000
		got := w.Latency.Quantile(q)
		if math.Abs(got-exact)/exact > 0.05 {
			t.Errorf("merged p%g = %v s, exact %v s: more than half a bucket off", q*100, got, exact)
		}
	}
	bad := runnerSummary([]float64{1}, 0, 0)
	bad.Metrics[k6LatencyCounterPrefix+"999"] = SummaryMetric{Values: map[string]float64{"count": 1}}
	if _, err := MergeSummaries([]*Summary{bad}); err == nil {
		t.Error("an unknown bucket index was accepted")
	}
}

var _ API = (*k6test.API)(nil)

// operate plays the operator on f: walks the TestRun through stages and,
// at the end, creates runner pods with exit codes and logs.
func operate(t *testing.T, f *k6test.API, ns, name string, stages []string, exits []int, sums []*Summary) {
	ctx := context.Background()
	for {
		if _, err := f.GetObject(ctx, TestRunGVR, ns, name); err == nil {
			break
		}
		time.Sleep(2 * time.Millisecond)
	}
	for _, st := range stages {
		if st == stageFinished || st == "stuck" {
			for i, code := range exits {
				pod := corev1.Pod{
					ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("%s-%d-abcde", name, i+1), Namespace: ns,
						Labels: map[string]string{"app": "k6", "k6_cr": name, "runner": "true"}},
					Status: corev1.PodStatus{Phase: corev1.PodSucceeded, ContainerStatuses: []corev1.ContainerStatus{{
						Name: "k6", State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: int32(code)}}}}},
				}
				if code == 137 {
					pod.Status.Phase = corev1.PodFailed
					pod.Status.ContainerStatuses[0].State.Terminated.Reason = "OOMKilled"
				}
				log := `{"level":"info","msg":"starting"}` + "\n"
				if i < len(sums) {
					b, _ := json.Marshal(sums[i])
					log += SummaryMarker + string(b) + "\n"
				}
				f.AddPod(pod, log)
			}
			if st == "stuck" {
				return
			}
		}
		if err := f.SetNestedString(TestRunGVR, ns, name, st, "status", "stage"); err != nil {
			t.Error(err)
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

var operatorStages = []string{"initialization", "initialized", "created", "started", "stopped", "finished"}

func TestOperatorRunner(t *testing.T) {
	lat := []float64{10, 20, 30, 40, 50, 60, 70, 80, 90, 2000}
	for _, tc := range []struct {
		name        string
		stages      []string
		exits       []int
		sums        []*Summary
		wantErr     string
		wantSent    int64
		wantPassed  map[string]bool
		wantReasons string
	}{
		{name: "finished", stages: operatorStages, exits: []int{0, 0}, sums: []*Summary{runnerSummary(lat, 0, 0), runnerSummary(lat, 1, 0)},
			wantSent: 20, wantPassed: map[string]bool{"http_req_duration": false, "http_req_failed": false, "dropped_iterations": true}},
		{name: "a runner's thresholds failed", stages: operatorStages, exits: []int{99, 0}, sums: []*Summary{runnerSummary(lat[:9], 0, 2), runnerSummary(lat[:9], 0, 0)},
			wantSent: 18, wantPassed: map[string]bool{"http_req_duration": true, "http_req_failed": true, "dropped_iterations": false},
			wantReasons: "exit 99"},
		{name: "script exception", stages: operatorStages, exits: []int{107, 0}, sums: []*Summary{nil, runnerSummary(lat, 0, 0)},
			wantErr: "exit 107: the script threw an exception"},
		{name: "no summary in the log", stages: operatorStages, exits: []int{0}, wantErr: "no \"headroom-summary\" line"},
		{name: "error stage", stages: []string{"initialization", "error"}, wantErr: "reached stage error"},
		{name: "stuck with an OOM-killed runner", stages: []string{"initialization", "created", "started", "stuck"}, exits: []int{137},
			wantErr: "stuck in stage \"started\""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec, objs := operatorFixture(t, max(len(tc.exits), 1))
			// A short run so the stuck case times out quickly.
			spec.Script.Schedule = loadtest.Schedule{Stages: []loadtest.Stage{{Duration: time.Millisecond, Target: 1}}}
			spec.Script.Timeout = time.Millisecond
			f := k6test.New()
			r := &OperatorRunner{API: f, PollInterval: 5 * time.Millisecond, StartTimeout: 300 * time.Millisecond}
			done := make(chan struct{})
			go func() {
				defer close(done)
				operate(t, f, "loadtest", objs.TestRun.GetName(), tc.stages, tc.exits, tc.sums)
			}()
			res, err := r.Run(context.Background(), spec, objs)
			<-done
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				if strings.Contains(tc.name, "OOM") && !strings.Contains(err.Error(), "OOMKilled") {
					t.Errorf("the stuck error does not say the runner was OOM-killed: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.Engine != "k6-operator" || res.EngineVersion != RunnerImage || res.Totals.Sent != tc.wantSent {
				t.Errorf("engine %q %q sent %d, want %d", res.Engine, res.EngineVersion, res.Totals.Sent, tc.wantSent)
			}
			for _, th := range res.Thresholds {
				if want, ok := tc.wantPassed[th.Metric]; !ok || want != th.Passed {
					t.Errorf("threshold %s %s passed=%v, want %v", th.Metric, th.Expression, th.Passed, want)
				}
			}
			if !strings.Contains(res.ExitReason, tc.wantReasons) {
				t.Errorf("exit reason %q, want %q", res.ExitReason, tc.wantReasons)
			}
			if _, ok := f.ConfigMap("loadtest", objs.ConfigMap.GetName()); !ok {
				t.Error("no configmap")
			}
		})
	}
}

func TestOperatorRunner_CancelDeletesTheTestRun(t *testing.T) {
	spec, objs := operatorFixture(t, 2)
	f := k6test.New()
	r := &OperatorRunner{API: f, PollInterval: 5 * time.Millisecond}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		operate(t, f, "loadtest", objs.TestRun.GetName(), []string{"initialization", "created", "started"}, nil, nil)
		cancel()
	}()
	res, err := r.Run(ctx, spec, objs)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Interrupted {
		t.Error("not interrupted")
	}
	if _, err := f.GetObject(context.Background(), TestRunGVR, "loadtest", objs.TestRun.GetName()); err == nil {
		t.Error("the TestRun is still there")
	}
}

func TestOperatorRunner_ExistingConfigMap(t *testing.T) {
	spec, objs := operatorFixture(t, 1)
	f := k6test.New()
	_ = f.CreateConfigMap(context.Background(), &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: objs.ConfigMap.GetName(), Namespace: "loadtest"}})
	r := &OperatorRunner{API: f}
	if _, err := r.Run(context.Background(), spec, objs); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("err = %v", err)
	}
}

// FuzzRunnerSummary: whatever a runner's log holds, reading and merging
// its summary never panics, and a merged window never has negative counts.
func FuzzRunnerSummary(f *testing.F) {
	b, _ := json.Marshal(runnerSummary([]float64{1, 5, 50, 500}, 1, 2))
	f.Add(SummaryMarker + string(b) + "\n")
	f.Add(`{"level":"info"}` + "\n" + SummaryMarker + `{"metrics":{"headroom_latency_bucket_137":{"values":{"count":1e300}}}}`)
	f.Add(SummaryMarker + `{"metrics":{"http_reqs":{"values":{"count":-1}}}}`)
	f.Fuzz(func(t *testing.T, log string) {
		logs := operatorFakeLogs{"ns/p": log}
		s, err := readRunnerSummary(context.Background(), logs, "ns", "p")
		if err != nil {
			return
		}
		w, err := MergeSummaries([]*Summary{s})
		if err != nil {
			return
		}
		if w.Sent < 0 || w.Completed < 0 || w.Errors < 0 || w.Dropped < 0 {
			t.Fatalf("negative counts %+v", w)
		}
	})
}

type operatorFakeLogs map[string]string

func (l operatorFakeLogs) Logs(_ context.Context, ns, pod string) (io.ReadCloser, error) {
	return io.NopCloser(strings.NewReader(l[ns+"/"+pod])), nil
}
