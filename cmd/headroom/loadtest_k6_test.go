package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/headroom-dev/headroom/loadtest"
	"github.com/headroom-dev/headroom/loadtest/k6"
	"github.com/headroom-dev/headroom/loadtest/k6/k6test"
)

func TestLoadtestK6Script(t *testing.T) {
	out, errOut, code := runCLI(t, "", "loadtest", "script", "-f", noaPlan, "--service", "noa-mcp", "--scenario", "daily",
		"--target", "http://noa-mcp.noa-server:8080/health", "--speedup", "60")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"executor: 'ramping-arrival-rate'", `http_req_duration: ["p(95)<1000"]`, "export function handleSummary"} {
		if !strings.Contains(out, want) {
			t.Errorf("script lacks %q", want)
		}
	}
	if node, err := exec.LookPath("node"); err == nil {
		p := filepath.Join(t.TempDir(), "s.mjs")
		os.WriteFile(p, []byte(out), 0o644)
		if b, err := exec.Command(node, "--check", p).CombinedOutput(); err != nil {
			t.Errorf("node --check: %v\n%s", err, b)
		}
	}

	path := filepath.Join(t.TempDir(), "noa.js")
	_, errOut, code = runCLI(t, "", "loadtest", "script", "-f", noaPlan, "--service", "noa-mcp", "--scenario", "daily",
		"--target", "http://noa-mcp.noa-server:8080/health", "--speedup", "60", "--out-file", path)
	b, err := os.ReadFile(path)
	if code != exitOK || err != nil || !bytes.Equal(b, []byte(out)) {
		t.Errorf("-o: exit %d, err %v, same bytes as stdout: %v", code, err, bytes.Equal(b, []byte(out)))
	}
	if !strings.Contains(errOut, "wrote "+path) {
		t.Errorf("stderr %q", errOut)
	}

	out, _, code = runCLI(t, "", "loadtest", "script", "-f", noaPlan, "--service", "noa-mcp", "--scenario", "daily",
		"--target", "http://x/", "--pre-allocated-vus", "40", "--max-vus", "80")
	if code != exitOK || !strings.Contains(out, "preAllocatedVUs: 40,") || !strings.Contains(out, "maxVUs: 80,") {
		t.Errorf("VU overrides: exit %d\n%.1500s", code, out)
	}
}

func TestLoadtestK6_UsageErrors(t *testing.T) {
	base := []string{"-f", noaPlan, "--service", "noa-mcp", "--scenario", "daily", "--target", "http://x/"}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no target", []string{"loadtest", "script", "-f", noaPlan, "--service", "noa-mcp", "--scenario", "daily"}, "--target is required"},
		{"ftp target", append([]string{"loadtest", "script"}, append(base[:6:6], "--target", "ftp://x")...), "--target must be"},
		{"slow down", append([]string{"loadtest", "script", "--speedup", "0.5"}, base...), "--speedup"},
		{"unknown service", []string{"loadtest", "script", "-f", noaPlan, "--service", "nope", "--scenario", "daily", "--target", "http://x/"}, `--service "nope"`},
		{"unknown scenario", []string{"loadtest", "script", "-f", noaPlan, "--service", "noa-mcp", "--scenario", "nope", "--target", "http://x/"}, `--scenario "nope"`},
		{"max below pre", append([]string{"loadtest", "script", "--pre-allocated-vus", "10", "--max-vus", "5"}, base...), "--max-vus must be"},
		{"max below derived pre", append([]string{"loadtest", "script", "--max-vus", "5"}, base...), "--max-vus 5 is below preAllocatedVUs"},
		{"no parallelism", append([]string{"loadtest", "operator"}, base...), "--parallelism is required"},
		{"credentials in the target", append([]string{"loadtest", "script"}, append(base[:6:6], "--target", "http://u:s3cret@x/")...), "u:xxxxx@x"},
		{"too many VUs", append([]string{"loadtest", "script", "--max-vus", "2000000000"}, base...), "--pre-allocated-vus and --max-vus must be from 0 to 100000"},
		{"step of years", append([]string{"loadtest", "script", "--step", "2562047h"}, base...), "--step must be from 1s to 24h0m0s"},
		{"parallelism", append([]string{"loadtest", "operator", "--parallelism", "2000000"}, base...), "--parallelism is required and must be from 1 to 1000"},
		{"start timeout", append([]string{"loadtest", "operator", "--parallelism", "2", "--start-timeout", "2562047h"}, base...), "--start-timeout must be above 0 and at most 24h0m0s"},
		{"result without apply", append([]string{"loadtest", "operator", "--parallelism", "2", "--result", "x.json"}, base...), "--result needs --apply"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, errOut, code := runCLI(t, "", tc.args...)
			if code != exitUsage || !strings.Contains(errOut, tc.want) {
				t.Errorf("exit %d, stderr %q, want 2 and %q", code, errOut, tc.want)
			}
		})
	}
	_, errOut, code := runCLI(t, "", "loadtest", "script", "-f", noaPlan, "--service", "noa-workers", "--scenario", "event-spike", "--target", "http://x/")
	if code != exitError || !strings.Contains(errOut, "does not cover service") {
		t.Errorf("a scenario that skips the service: exit %d %q", code, errOut)
	}
}

func TestLoadtestOperator_Render(t *testing.T) {
	out, errOut, code := runCLI(t, "", "loadtest", "operator", "-f", noaPlan, "--service", "noa-mcp", "--scenario", "event-spike",
		"--target", "http://noa-mcp.noa-server:8080/health", "--speedup", "12", "--parallelism", "4", "-n", "loadtest", "--separate")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	docs := strings.Split(out, "\n---\n")
	if len(docs) != 2 {
		t.Fatalf("%d documents", len(docs))
	}
	var cm corev1.ConfigMap
	if err := yaml.UnmarshalStrict([]byte(docs[0]), &cm); err != nil || cm.Namespace != "loadtest" || cm.Data["test.js"] == "" {
		t.Errorf("configmap: %v %+v", err, cm.ObjectMeta)
	}
	var tr unstructured.Unstructured
	if err := yaml.Unmarshal([]byte(docs[1]), &tr.Object); err != nil || tr.GetKind() != "TestRun" {
		t.Fatalf("testrun: %v", err)
	}
	sep, _, _ := unstructured.NestedBool(tr.Object, "spec", "separate")
	if !sep || tr.GetName() != "headroom-noa-mcp-event-spike" {
		t.Errorf("separate %v name %s", sep, tr.GetName())
	}
}

// TestLoadtestOperator_Apply runs --apply against fake clients while a
// goroutine plays the operator: the TestRun finishes, two runner pods
// exit 0 and log a summary whose merged p95 breaks the SLO, so the
// command writes the result and exits 3.
func TestLoadtestOperator_Apply(t *testing.T) {
	api := k6test.New()
	// Each runner: 10 requests, 5 in the 1 ms bucket and 5 above 131 s.
	summary := `{"state":{"testRunDurationMs":60000},"metrics":{` +
		`"http_reqs":{"type":"counter","values":{"count":10}},` +
		`"http_req_failed":{"type":"rate","values":{"rate":0,"passes":0,"fails":10}},` +
		`"headroom_latency_bucket_000":{"type":"counter","values":{"count":5}},` +
		`"headroom_latency_bucket_137":{"type":"counter","values":{"count":5}}}}`
	var out, errOut bytes.Buffer
	result := filepath.Join(t.TempDir(), "result.json")
	o := &loadtestOperatorOptions{
		k6ScriptFlags: k6ScriptFlags{Filename: noaPlan, Service: "noa-mcp", Scenario: "growth-2x", Target: "http://noa-mcp:8080/", Speedup: 3600},
		Parallelism:   2, Apply: true, Namespace: "loadtest", Image: k6.RunnerImage, StartTimeout: time.Minute, Result: result,
		streams: ioStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}, api: api,
	}
	go func() {
		ctx := context.Background()
		name := "headroom-noa-mcp-growth-2x"
		for {
			if _, err := api.GetObject(ctx, k6.TestRunGVR, "loadtest", name); err == nil {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		for i := 1; i <= 2; i++ {
			api.AddPod(corev1.Pod{
				ObjectMeta: metav1.ObjectMeta{Name: name + "-" + string(rune('0'+i)), Namespace: "loadtest", Labels: map[string]string{"k6_cr": name, "runner": "true"}},
				Status: corev1.PodStatus{ContainerStatuses: []corev1.ContainerStatus{{Name: "k6",
					State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 0}}}}},
			}, `{"level":"info","msg":"x"}`+"\n"+k6.SummaryMarker+summary+"\n")
		}
		_ = api.SetNestedString(k6.TestRunGVR, "loadtest", name, "finished", "status", "stage")
	}()
	cmd := &cobra.Command{}
	cmd.SetContext(context.Background())
	err := run(o, cmd)
	if code := exitCode(err, &errOut); code != exitCheckFailed {
		t.Fatalf("exit %d (%v), want 3: the merged p95 is far above 1 s\n%s", code, err, errOut.String())
	}
	b, rerr := os.ReadFile(result)
	if rerr != nil {
		t.Fatal(rerr)
	}
	var res loadtest.Result
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	if res.Engine != "k6-operator" || res.Totals.Sent != 20 || res.Totals.Completed != 20 {
		t.Errorf("engine %q sent %d completed %d, want k6-operator 20 20", res.Engine, res.Totals.Sent, res.Totals.Completed)
	}
	if !strings.Contains(errOut.String(), "stage finished") {
		t.Errorf("no stage progress on stderr: %q", errOut.String())
	}
}

func TestK6CheckError(t *testing.T) {
	res := &loadtest.Result{Thresholds: []loadtest.Threshold{{Metric: "http_req_duration", Expression: "p(95)<1000", Passed: false}}}
	if code := exitCode(k6CheckError(res), &bytes.Buffer{}); code != exitCheckFailed {
		t.Errorf("failed threshold: exit %d, want 3", code)
	}
	res.Thresholds[0].Passed = true
	if err := k6CheckError(res); err != nil {
		t.Errorf("passed thresholds: %v", err)
	}
}

func TestK6ForceStop(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	force, stop := k6ForceStop(ctx)
	defer stop()
	cancel() // the first Ctrl-C
	time.Sleep(100 * time.Millisecond)
	select {
	case <-force:
		t.Fatal("fired without a second interrupt")
	default:
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil { // the second
		t.Fatal(err)
	}
	select {
	case <-force:
	case <-time.After(5 * time.Second):
		t.Fatal("the second interrupt did not fire ForceStop")
	}
}

// TestLoadtestRun_K6StandIn drives `headroom loadtest run --engine k6` end
// to end against the stand-in k6 (loadtest/k6/testdata/k6standin), which
// replays NDJSON and a summary in k6's documented formats: the result file
// is written, and failed thresholds give exit 3.
func TestLoadtestRun_K6StandIn(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the stand-in k6")
	}
	bin := filepath.Join(t.TempDir(), "k6")
	if out, err := exec.Command("go", "build", "-o", bin, "../../loadtest/k6/testdata/k6standin").CombinedOutput(); err != nil {
		t.Fatalf("build the stand-in: %v\n%s", err, out)
	}
	fixture := func(name string) string {
		abs, _ := filepath.Abs(filepath.Join("..", "..", "loadtest", "k6", "testdata", "k6", name))
		return abs
	}
	// The fixture's run drops 3 iterations for lack of VUs, so even a
	// passing summary makes an invalid run; k6's exit 99 adds the thresholds.
	for _, tc := range []struct {
		summary string
		exit    int
		code    int
		want    string
	}{
		{"summary-pass.json", 0, exitCheckFailed, "k6 dropped 3 iteration(s)"},
		{"summary-fail.json", 99, exitCheckFailed, "threshold"},
	} {
		t.Run(tc.summary, func(t *testing.T) {
			t.Setenv("K6STANDIN_NDJSON", fixture("run.ndjson"))
			t.Setenv("K6STANDIN_SUMMARY", fixture(tc.summary))
			t.Setenv("K6STANDIN_EXIT", strconv.Itoa(tc.exit))
			t.Setenv("K6STANDIN_SPEED", "")
			t.Setenv("K6STANDIN_ARGS", filepath.Join(t.TempDir(), "args.txt"))
			t.Setenv("K6STANDIN_STUBBORN", "")
			t.Setenv("K6STANDIN_STDERR", "")
			out := filepath.Join(t.TempDir(), "result.json")
			_, errOut, code := runCLI(t, "", "loadtest", "run", "--engine", "k6", "--k6-binary", bin,
				"--target", "http://127.0.0.1:1/api", "--rate", "10", "--duration", "6s", "--out-file", out)
			if code != tc.code || !strings.Contains(errOut, tc.want) {
				t.Fatalf("exit %d, want %d with %q\n%s", code, tc.code, tc.want, errOut)
			}
			res, err := loadtest.ReadResultFile(out)
			if err != nil {
				t.Fatal(err)
			}
			if res.Engine != "k6" || len(res.Windows) == 0 || res.Totals.Completed == 0 {
				t.Errorf("result: engine %q, %d windows, %d completed", res.Engine, len(res.Windows), res.Totals.Completed)
			}
		})
	}
}
