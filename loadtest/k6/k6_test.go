package k6

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/headroom-dev/headroom/loadtest"
)

// k6StandIn builds testdata/k6standin once per source version into the
// temp directory and returns the path of the executable, named k6.
func k6StandIn(t *testing.T) string {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("testdata", "k6standin", "main.go"))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(src)
	dir := filepath.Join(os.TempDir(), "headroom-k6standin-"+hex.EncodeToString(sum[:6]))
	bin := filepath.Join(dir, "k6")
	k6StandInOnce.Do(func() {
		if _, err := os.Stat(bin); err == nil {
			return
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			k6StandInErr = err
			return
		}
		tmp := bin + ".tmp"
		out, err := exec.Command("go", "build", "-o", tmp, "./testdata/k6standin").CombinedOutput()
		if err != nil {
			k6StandInErr = errors.New(string(out))
			return
		}
		k6StandInErr = os.Rename(tmp, bin)
	})
	if k6StandInErr != nil {
		t.Fatalf("build the k6 stand-in: %v", k6StandInErr)
	}
	return bin
}

var (
	k6StandInOnce sync.Once
	k6StandInErr  error
)

// fixtureSpec is a RunSpec matching the fixture: 6 s at 10 req/s.
func k6FixtureSpec() loadtest.RunSpec {
	return loadtest.RunSpec{
		Target: "http://sut:8080/api", Service: "noa-mcp", Scenario: "daily",
		Schedule:  loadtest.Schedule{StartRate: 10, Stages: []loadtest.Stage{{Duration: 6 * time.Second, Target: 10}}, Speedup: 1},
		Timeout:   5 * time.Second,
		P95Target: 1, ErrorRateTarget: 0.02,
	}
}

// standInEnv sets the stand-in's environment for one test.
func k6StandInEnv(t *testing.T, ndjson, summary string, exit int, speed string) string {
	args := filepath.Join(t.TempDir(), "args.txt")
	t.Setenv("K6STANDIN_NDJSON", filepath.Join("testdata", "k6", ndjson))
	if summary != "" {
		abs, _ := filepath.Abs(filepath.Join("testdata", "k6", summary))
		t.Setenv("K6STANDIN_SUMMARY", abs)
	} else {
		t.Setenv("K6STANDIN_SUMMARY", "")
	}
	abs, _ := filepath.Abs(filepath.Join("testdata", "k6", ndjson))
	t.Setenv("K6STANDIN_NDJSON", abs)
	t.Setenv("K6STANDIN_EXIT", k6Itoa(exit))
	t.Setenv("K6STANDIN_SPEED", speed)
	t.Setenv("K6STANDIN_ARGS", args)
	t.Setenv("K6STANDIN_STUBBORN", "")
	t.Setenv("K6STANDIN_STDERR", "")
	return args
}

func k6Itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

// k6SyncBuffer is a progress writer tests can read while the run writes.
type k6SyncBuffer struct {
	mu     sync.Mutex
	b      strings.Builder
	window chan struct{} // closed at the first window line
	once   sync.Once
}

func newK6SyncBuffer() *k6SyncBuffer { return &k6SyncBuffer{window: make(chan struct{})} }

func (s *k6SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if strings.Contains(string(p), "t=") {
		s.once.Do(func() { close(s.window) })
	}
	return s.b.Write(p)
}

func (s *k6SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestK6Engine_FullRun(t *testing.T) {
	bin := k6StandIn(t)
	argsFile := k6StandInEnv(t, "run.ndjson", "summary-fail.json", 99, "20")
	progress := newK6SyncBuffer()
	eng := NewEngine(Options{Binary: bin, Stderr: progress})
	res, err := eng.Run(context.Background(), k6FixtureSpec())
	if err != nil {
		t.Fatal(err)
	}
	if res.Engine != "k6" || res.EngineVersion != "v2.2.0" {
		t.Errorf("engine %q %q, want k6 v2.2.0", res.Engine, res.EngineVersion)
	}
	if res.Interrupted {
		t.Error("a full run marked interrupted")
	}
	tot := res.Totals
	if tot.Completed != k6FixtureRequests || tot.Sent != k6FixtureRequests || tot.Errors != k6FixtureFailures || tot.Dropped != k6FixtureDropped {
		t.Errorf("totals completed %d sent %d errors %d dropped %d, want %d %d %d %d",
			tot.Completed, tot.Sent, tot.Errors, tot.Dropped, k6FixtureRequests, k6FixtureRequests, k6FixtureFailures, k6FixtureDropped)
	}
	// 60 latencies: 10..55 ms six times each, three of them +200 ms. The
	// median of the histogram is 30 ms or 35 ms (3 significant digits).
	if p50 := tot.P50; p50 < 0.0299 || p50 > 0.0351 {
		t.Errorf("p50 = %v s, want 30–35 ms", p50)
	}
	if got := tot.Latency.Max(); got < 0.255*0.999 || got > 0.255*1.001 {
		t.Errorf("max latency %v s, want 255 ms", got)
	}
	if len(res.Windows) < 6 || len(res.Windows) > 7 {
		t.Errorf("%d windows, want 6 (plus the tail of the last second)", len(res.Windows))
	}
	// Samples are stamped at the end of the request: window
	// floor(i/10 + latency) from the origin, the first sample at 10:00:00.
	perWindow := make([]int64, 8)
	for i := 0; i < k6FixtureRequests; i++ {
		perWindow[int(float64(i)/k6FixtureRate+k6FixtureLatencyMs(i)/1000)]++
	}
	for i, w := range res.Windows {
		if w.Completed != perWindow[i] {
			t.Errorf("window %v s: %d completed, want %d", w.Offset, w.Completed, perWindow[i])
		}
		if w.Offset < 6 && w.TargetRate != 10 {
			t.Errorf("window %v s: target rate %v, want 10", w.Offset, w.TargetRate)
		}
	}
	if res.Valid || !strings.Contains(res.InvalidReason, "dropped 3") {
		t.Errorf("valid %v (%q): drops must invalidate the run", res.Valid, res.InvalidReason)
	}
	if !strings.Contains(res.ExitReason, "99") || !strings.Contains(res.ExitReason, "thresholds failed") {
		t.Errorf("exit reason %q", res.ExitReason)
	}
	var failed *ThresholdsFailedError
	if err := CheckThresholds(res); !errors.As(err, &failed) || len(failed.Failed) != 2 {
		t.Errorf("CheckThresholds = %v, want the two failed thresholds", err)
	} else if !strings.Contains(err.Error(), "dropped_iterations count==0") || !strings.Contains(err.Error(), "http_req_failed rate<0.02") {
		t.Errorf("threshold error %q", err)
	}
	if !strings.Contains(progress.String(), "t=") {
		t.Errorf("no progress lines:\n%s", progress)
	}
	args, _ := os.ReadFile(argsFile)
	for _, want := range []string{"--out\njson=-\n", "--log-format=json", "--no-usage-report", "-e\nHEADROOM_SUMMARY=", "p(99.9)"} {
		if !strings.Contains(string(args), want) {
			t.Errorf("k6 args lack %q:\n%s", want, args)
		}
	}
	for _, bad := range []string{"--vus", "--duration", "-u\n", "-d\n"} {
		if strings.Contains(string(args), bad) {
			t.Errorf("k6 args contain %q, which would replace the scenarios", bad)
		}
	}
	b, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	k6Golden(t, "k6-run-result.golden.json", append(b, '\n'))
}

func TestK6Engine_PassingRun(t *testing.T) {
	bin := k6StandIn(t)
	k6StandInEnv(t, "run.ndjson", "summary-pass.json", 0, "50")
	res, err := NewEngine(Options{Binary: bin}).Run(context.Background(), k6FixtureSpec())
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckThresholds(res); err != nil {
		t.Errorf("thresholds: %v", err)
	}
	if len(res.Thresholds) != 3 || res.ExitReason != "" {
		t.Errorf("thresholds %v, exit reason %q", res.Thresholds, res.ExitReason)
	}
}

func TestK6Engine_CtrlCWritesPartialResult(t *testing.T) {
	bin := k6StandIn(t)
	k6StandInEnv(t, "run.ndjson", "summary-pass.json", 0, "1")
	progress := newK6SyncBuffer()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-progress.window // the first window closed: the run is under way
		cancel()
	}()
	res, err := NewEngine(Options{Binary: bin, Stderr: progress}).Run(ctx, k6FixtureSpec())
	if err != nil {
		t.Fatal(err)
	}
	if !res.Interrupted {
		t.Error("not marked interrupted")
	}
	if !strings.Contains(res.ExitReason, "105") {
		t.Errorf("exit reason %q, want k6's interrupt code 105", res.ExitReason)
	}
	if res.Totals.Completed == 0 || res.Totals.Completed >= k6FixtureRequests {
		t.Errorf("partial run completed %d, want some but not all of %d", res.Totals.Completed, k6FixtureRequests)
	}
	if len(res.Thresholds) == 0 {
		t.Error("k6 writes its summary after a SIGINT; the thresholds are missing")
	}
}

func TestK6Engine_KillsAStuckK6(t *testing.T) {
	bin := k6StandIn(t)
	k6StandInEnv(t, "run.ndjson", "summary-pass.json", 0, "1")
	t.Setenv("K6STANDIN_STUBBORN", "1")
	progress := newK6SyncBuffer()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { <-progress.window; cancel() }()
	res, err := NewEngine(Options{Binary: bin, Stderr: progress, StopTimeout: 300 * time.Millisecond}).Run(ctx, k6FixtureSpec())
	if err != nil {
		t.Fatal(err)
	}
	if !res.Interrupted || !strings.Contains(res.ExitReason, "killed") {
		t.Errorf("interrupted %v, exit reason %q: want a kill after the stop timeout", res.Interrupted, res.ExitReason)
	}
}

func TestK6Engine_ForceStop(t *testing.T) {
	bin := k6StandIn(t)
	k6StandInEnv(t, "run.ndjson", "summary-pass.json", 0, "1")
	t.Setenv("K6STANDIN_STUBBORN", "1")
	progress := newK6SyncBuffer()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	force := make(chan struct{})
	go func() {
		<-progress.window
		cancel()
		time.Sleep(50 * time.Millisecond)
		close(force) // the second Ctrl-C
	}()
	res, err := NewEngine(Options{Binary: bin, Stderr: progress, ForceStop: force}).Run(ctx, k6FixtureSpec())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(res.ExitReason, "second interrupt") {
		t.Errorf("exit reason %q", res.ExitReason)
	}
}

func TestK6Engine_Failures(t *testing.T) {
	bin := k6StandIn(t)
	for _, tc := range []struct {
		name    string
		binary  string
		ndjson  string
		exit    int
		stderr  string
		wantErr string
		partial bool
	}{
		{name: "k6 missing", binary: "/nonexistent/k6", ndjson: "run.ndjson", wantErr: "--k6-binary /nonexistent/k6"},
		{name: "malformed line", binary: bin, ndjson: "broken.ndjson", wantErr: "k6 output line 40:", partial: true},
		{name: "script exception", binary: bin, ndjson: "run.ndjson", exit: 107, wantErr: "code 107: the script threw an exception", partial: true},
		{name: "insufficient VUs logged", binary: bin, ndjson: "run.ndjson", exit: 104, stderr: "stderr-insufficient.jsonl",
			wantErr: "k6 said: Insufficient VUs", partial: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k6StandInEnv(t, tc.ndjson, "", tc.exit, "50")
			if tc.stderr != "" {
				abs, _ := filepath.Abs(filepath.Join("testdata", "k6", tc.stderr))
				t.Setenv("K6STANDIN_STDERR", abs)
			}
			res, err := NewEngine(Options{Binary: tc.binary}).Run(context.Background(), k6FixtureSpec())
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want %q", err, tc.wantErr)
			}
			if tc.partial && (res == nil || len(res.Windows) == 0) {
				t.Errorf("no partial result with the error")
			}
		})
	}
	t.Run("k6 not on PATH", func(t *testing.T) {
		t.Setenv("PATH", t.TempDir())
		_, err := NewEngine(Options{}).Run(context.Background(), k6FixtureSpec())
		if err == nil || !strings.Contains(err.Error(), "k6 is not on PATH") {
			t.Errorf("err = %v", err)
		}
	})
}

func TestK6BinaryVersion(t *testing.T) {
	bin := k6StandIn(t)
	t.Setenv("K6STANDIN_VERSION", "v1.4.2")
	v, err := BinaryVersion(context.Background(), bin)
	if err != nil || v.Version != "v1.4.2" || v.Commit == "" {
		t.Errorf("version %+v, %v", v, err)
	}
}

// k6 exit 99 without a summary (its write failed) still fails the run.
func TestK6Engine_ThresholdsFailedWithoutSummary(t *testing.T) {
	bin := k6StandIn(t)
	k6StandInEnv(t, "run.ndjson", "", 99, "50")
	res, err := NewEngine(Options{Binary: bin}).Run(context.Background(), k6FixtureSpec())
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckThresholds(res); err == nil || !strings.Contains(err.Error(), "exit code 99") {
		t.Errorf("CheckThresholds = %v, want the exit-99 failure", err)
	}
}

// A k6 that exits 0 having printed nothing (no sample, no summary) did not
// run: an error, not a valid empty result.
func TestK6Engine_PrintedNothing(t *testing.T) {
	bin := k6StandIn(t)
	k6StandInEnv(t, "empty.ndjson", "", 0, "50")
	res, err := NewEngine(Options{Binary: bin}).Run(context.Background(), k6FixtureSpec())
	if err == nil || !strings.Contains(err.Error(), "printed no samples and wrote no summary") || res != nil {
		t.Errorf("res %v, err %v; want no result and the error", res, err)
	}
}
