package k6

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/headroom-dev/headroom/loadtest"
)

// Options configure the k6 engine.
type Options struct {
	// Binary is the k6 executable; empty looks "k6" up on PATH.
	Binary string
	// WorkDir holds the generated script and k6's summary; empty makes a
	// temporary directory that Run removes afterwards.
	WorkDir string
	// Latency is the response time in seconds the VUs are sized on
	// (SizeVUs), normally the model's predicted p95 at the peak
	// (PredictedLatency); 0 uses the RunSpec's p95 target, else 1 s.
	// LatencyBasis says where it came from, for the script's header.
	Latency      float64
	LatencyBasis string
	// PreAllocatedVUs and MaxVUs, when set, replace the Little's-law sizing.
	PreAllocatedVUs, MaxVUs int
	// Window is the width of a result window; default 1 s.
	Window time.Duration
	// StopTimeout is how long k6 may take, after the SIGINT that stops it,
	// to run teardown and write its summary before it is killed; default
	// 60 s.
	StopTimeout time.Duration
	// ForceStop, when closed or sent to (a second Ctrl-C), kills k6 at
	// once; k6 then writes no summary.
	ForceStop <-chan struct{}
	// Stderr receives the progress line of every window and k6's warnings;
	// nil uses the RunSpec's Progress, and none prints nothing.
	Stderr io.Writer
}

// NewEngine returns the engine that runs k6 as a subprocess (never
// linked: k6 is AGPL). It writes the script for the RunSpec (ScriptForRun),
// runs
//
//	k6 run --quiet --no-color --no-usage-report --log-format=json --out json=- \
//	  --summary-trend-stats=avg,min,…,count -e HEADROOM_SUMMARY=<dir>/summary.json script.js
//
// and reads the NDJSON samples from k6's standard output as they come into
// windows (rate, latency histogram, errors from http_req_failed, drops from
// dropped_iterations). Its standard error carries k6's JSON log lines.
//
// Run's result: the windows and the summary's thresholds. Thresholds that
// failed (k6 exit 99) are in Result.Thresholds and ExitReason, with no
// error: CheckThresholds turns them into the error the CLI exits 3 on. A
// cancelled ctx sends k6 one SIGINT — k6 stops, runs teardown and still
// writes its summary — and Run returns the partial result with Interrupted
// set; a ForceStop or StopTimeout then kills k6. Any other failure (k6
// missing, a bad script, a malformed output line) returns an error, and the
// partial result too when something was measured.
func NewEngine(opts Options) loadtest.Engine {
	if opts.Window <= 0 {
		opts.Window = time.Second
	}
	if opts.StopTimeout <= 0 {
		opts.StopTimeout = 60 * time.Second
	}
	return &k6Engine{opts: opts}
}

type k6Engine struct{ opts Options }

func (e *k6Engine) Name() string { return "k6" }

// ExitMeanings maps k6's exit codes to words (k6 docs: k6 exit codes;
// grafana/k6 errext/exitcodes/codes.go).
var ExitMeanings = map[int]string{
	97:  "the cloud test run failed",
	98:  "k6 could not sync progress with the cloud",
	99:  "thresholds failed",
	100: "setup() timed out",
	101: "teardown() timed out",
	102: "a timeout (unspecified)",
	103: "the run was stopped through k6's REST API",
	104: "the k6 configuration is invalid",
	105: "the run was aborted by a signal (SIGINT/SIGTERM)",
	106: "k6's REST API could not start (is the --address port in use?)",
	107: "the script threw an exception (in init, setup or an iteration)",
	108: "the script called test.abort()",
	109: "k6 panicked (a k6 bug)",
	110: "the script marked the test as failed (execution.test.fail())",
	255: "k6 failed without an exit code of its own (e.g. a bad command-line flag)",
}

// ExitError is k6 ending with an exit code that means the run failed.
type ExitError struct {
	Code    int
	Meaning string
	// Log holds k6's last error and warning messages.
	Log []string
}

func (e *ExitError) Error() string {
	msg := fmt.Sprintf("k6 exited with code %d: %s", e.Code, e.Meaning)
	if len(e.Log) > 0 {
		msg += "\n  k6 said: " + strings.Join(e.Log, "\n  k6 said: ")
	}
	return msg
}

// Version is what `k6 version --json` reports (grafana/k6
// internal/cmd/version.go, versionDetails).
type Version struct {
	Version   string `json:"version"`
	GoVersion string `json:"go_version"`
	Commit    string `json:"commit"`
}

var k6VersionText = regexp.MustCompile(`\bv?(\d+\.\d+\.\d+[0-9A-Za-z.+-]*)`)

// BinaryVersion runs `k6 version --json`, falling back to the plain
// `k6 version` line of releases before v0.56.
func BinaryVersion(ctx context.Context, binary string) (Version, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, binary, "version", "--json").Output()
	if err == nil {
		var v Version
		if json.Unmarshal(bytes.TrimSpace(out), &v) == nil && v.Version != "" {
			return v, nil
		}
	}
	out, err2 := exec.CommandContext(ctx, binary, "version").Output()
	if err2 != nil {
		return Version{}, fmt.Errorf("%s version: %w", binary, errors.Join(err, err2))
	}
	m := k6VersionText.FindSubmatch(out)
	if m == nil {
		return Version{}, fmt.Errorf("%s version printed %q, not a k6 version", binary, bytes.TrimSpace(out))
	}
	return Version{Version: "v" + string(m[1])}, nil
}

// FindBinary resolves the k6 binary: the given path, or "k6" on PATH.
func FindBinary(binary string) (string, error) {
	if binary != "" {
		p, err := exec.LookPath(binary)
		if err != nil {
			return "", fmt.Errorf("--k6-binary %s: %w", binary, err)
		}
		return p, nil
	}
	p, err := exec.LookPath("k6")
	if err != nil {
		return "", fmt.Errorf("k6 is not on PATH: install k6 (v1.0 or later) or pass --k6-binary PATH, or use --engine builtin")
	}
	return p, nil
}

// k6Args are the arguments of `k6 run`. Never --vus or --duration: they
// replace the script's scenarios (k6 docs: Scenarios; grafana/k6
// lib/executor/execution_config_shortcuts.go, DeriveScenariosFromShortcuts).
func k6Args(script, summary string) []string {
	return []string{
		"run", "--quiet", "--no-color", "--no-usage-report", "--log-format=json",
		"--out", "json=-",
		"--summary-trend-stats=" + strings.Join(SummaryTrendStats, ","),
		"-e", EnvSummary + "=" + summary,
		// k6 passes the system environment to __ENV: make sure a stray
		// HEADROOM_SUMMARY_STDOUT=1 cannot put the summary into the NDJSON.
		"-e", EnvSummaryStdout + "=0",
		script,
	}
}

// Run runs the test; see NewEngine.
func (e *k6Engine) Run(ctx context.Context, spec loadtest.RunSpec) (*loadtest.Result, error) {
	if err := spec.CheckCaps(); err != nil {
		return nil, err
	}
	bin, err := FindBinary(e.opts.Binary)
	if err != nil {
		return nil, err
	}
	ver, err := BinaryVersion(ctx, bin)
	if err != nil {
		return nil, err
	}
	script, err := e.script(spec)
	if err != nil {
		return nil, err
	}
	src, err := script.Render()
	if err != nil {
		return nil, err
	}
	dir := e.opts.WorkDir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "headroom-k6-"); err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
	}
	scriptPath, summaryPath := filepath.Join(dir, "script.js"), filepath.Join(dir, "summary.json")
	if err := os.WriteFile(scriptPath, src, 0o644); err != nil {
		return nil, err
	}
	_ = os.Remove(summaryPath) // a stale summary must not pass for this run's

	progress := e.progress(spec)
	res := &loadtest.Result{
		SchemaVersion: loadtest.ResultSchemaVersion, Engine: "k6", EngineVersion: ver.Version,
		Target: spec.Target, Service: spec.Service, Scenario: spec.Scenario,
		Speedup: max(spec.Schedule.Speedup, 1), Planned: loadtest.Duration{Duration: spec.Schedule.Duration()},
		Valid: true,
	}
	if progress != nil && spec.Arrivals == loadtest.ArrivalsPoisson {
		fmt.Fprintln(progress, "note: k6's arrival-rate executors space arrivals evenly (D/G/k), not as a Poisson process (M/G/k)")
	}
	if progress != nil {
		fmt.Fprintf(progress, "k6 %s: %s for %s, peak %s req/s, %d–%d VUs\n", ver.Version, spec.Target,
			spec.Schedule.Duration(), fmtNum(spec.Schedule.Peak()), script.PreAllocatedVUs, script.MaxVUs)
	}

	agg := newK6Windows(e.opts.Window, spec.Schedule)
	// Iterations end within the graceful stop (the request timeout) after
	// the schedule, k6 within StopTimeout of an interrupt.
	agg.late = script.Timeout + e.opts.StopTimeout + time.Minute
	agg.endpoints(spec.Endpoints)
	// Secret headers reach the script through k6's environment (__ENV),
	// which k6 run fills from the process's: never through -e, which
	// would put them on a command line.
	p, err := startK6(bin, dir, k6Args(scriptPath, summaryPath), SecretEnvs(spec.Endpoints), agg, progress)
	if err != nil {
		return nil, err
	}
	parseErr, waitErr := e.supervise(ctx, p, res, progress)
	agg.finish(res)
	summary := readSummary(res, summaryPath, progress)
	if parseErr == nil && !agg.started && !summary && !res.Interrupted && exitCodeOf(waitErr) == 0 {
		// k6 exited 0 having printed nothing: not a run that measured
		// nothing, but a run that did not happen (or whose output was lost).
		return nil, fmt.Errorf("k6 exited 0 but printed no samples and wrote no summary: nothing was measured (is %s a k6 binary?)", bin)
	}
	return judgeK6Run(res, parseErr, waitErr, p.logs)
}

// script is the k6 script for spec, with the VU overrides of the options.
func (e *k6Engine) script(spec loadtest.RunSpec) (*Script, error) {
	script, err := ScriptForRun(spec, e.opts.Latency, e.opts.LatencyBasis)
	if err != nil {
		return nil, err
	}
	if e.opts.PreAllocatedVUs > 0 {
		script.PreAllocatedVUs = e.opts.PreAllocatedVUs
		script.MaxVUs = max(script.MaxVUs, script.PreAllocatedVUs)
		script.VUBasis = fmt.Sprintf("preAllocatedVUs = %d as given", script.PreAllocatedVUs)
	}
	if e.opts.MaxVUs > 0 {
		script.MaxVUs = e.opts.MaxVUs
		script.VUBasis += fmt.Sprintf("; maxVUs = %d as given", script.MaxVUs)
	}
	return script, nil
}

// progress is where the run reports: Stderr, else the RunSpec's Progress,
// else nowhere (nil). Written to from several goroutines, so locked.
func (e *k6Engine) progress(spec loadtest.RunSpec) io.Writer {
	switch {
	case e.opts.Stderr != nil:
		return &lockedWriter{w: e.opts.Stderr}
	case spec.Progress != nil:
		return &lockedWriter{w: spec.Progress}
	}
	return nil
}

// k6Process is a running k6: streamErr delivers the NDJSON reader's
// outcome, then exited the process's once its output is drained.
type k6Process struct {
	cmd       *exec.Cmd
	logs      *k6Log
	streamErr chan error
	exited    chan error
}

// startK6 starts k6 in its own process group, reads its standard output
// into agg (printing each closed window to progress) and its standard
// error into a log.
func startK6(bin, dir string, args, env []string, agg *k6Windows, progress io.Writer) (*k6Process, error) {
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	if len(env) > 0 {
		cmd.Env = append(os.Environ(), env...)
	}
	ownProcessGroup(cmd)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	p := &k6Process{cmd: cmd, logs: &k6Log{w: progress}, streamErr: make(chan error, 1), exited: make(chan error, 1)}
	var logDone sync.WaitGroup
	logDone.Add(1)
	go func() { defer logDone.Done(); p.logs.read(stderr) }()
	go func() {
		p.streamErr <- readK6Stream(stdout, agg, func(ws []loadtest.Window) {
			if progress != nil {
				for _, w := range ws {
					fmt.Fprintln(progress, describeWindow(w))
				}
			}
		})
		_, _ = io.Copy(io.Discard, stdout) // after an error, let k6 finish writing
		logDone.Wait()
		p.exited <- cmd.Wait()
	}()
	return p, nil
}

// supervise waits for k6 to exit. A cancelled ctx or a malformed output
// line sends it one interrupt (k6 stops and writes its summary); ForceStop,
// or StopTimeout after the interrupt, kills it. It returns the NDJSON
// reader's error and the process's.
func (e *k6Engine) supervise(ctx context.Context, p *k6Process, res *loadtest.Result, progress io.Writer) (parseErr, waitErr error) {
	var stopping bool
	var stopTimer <-chan time.Time
	done := ctx.Done()
	stop := func() {
		if !stopping {
			stopping = true
			_ = interruptProcess(p.cmd)
			stopTimer = time.After(e.opts.StopTimeout)
		}
	}
	streamErr := p.streamErr
	force := e.opts.ForceStop
	for {
		select {
		case <-done:
			done = nil
			res.Interrupted = true
			if progress != nil {
				fmt.Fprintln(progress, "stopping k6 (it writes its summary first; interrupt again to kill it)")
			}
			stop()
		case err := <-streamErr:
			streamErr = nil
			if err != nil {
				parseErr = err
				stop()
			}
		case <-force:
			force = nil // fires once (a closed channel would spin)
			_ = p.cmd.Process.Kill()
			res.Interrupted = true
			res.ExitReason = "k6 killed by a second interrupt: no summary"
		case <-stopTimer:
			stopTimer = nil
			_ = p.cmd.Process.Kill()
			res.ExitReason = fmt.Sprintf("k6 did not stop within %s of the interrupt and was killed: no summary", e.opts.StopTimeout)
		case waitErr = <-p.exited:
			return parseErr, waitErr
		}
	}
}

// readSummary puts the thresholds of k6's summary file, when it wrote one,
// into res, and says whether it did; a summary that does not parse is a
// warning.
func readSummary(res *loadtest.Result, path string, progress io.Writer) bool {
	b, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	if sum, err := ParseSummary(b); err == nil {
		res.Thresholds = sum.Thresholds()
	} else if progress != nil {
		fmt.Fprintf(progress, "warning: %v\n", err)
	}
	return true
}

// judgeK6Run decides the run's validity, exit reason and error from what
// was measured and how k6 ended. The result is returned with an error only
// when it holds windows.
func judgeK6Run(res *loadtest.Result, parseErr, waitErr error, logs *k6Log) (*loadtest.Result, error) {
	if res.Totals.Dropped > 0 {
		res.Valid = false
		res.InvalidReason = fmt.Sprintf("k6 dropped %d iteration(s) for lack of free VUs: the offered load fell short of the schedule (raise --max-vus)", res.Totals.Dropped)
	}
	measured := len(res.Windows) > 0
	if !measured && !res.Interrupted && res.Valid {
		res.Valid = false
		res.InvalidReason = "k6 reported no request: nothing was measured"
	}
	if parseErr != nil {
		if measured {
			return res, parseErr
		}
		return nil, parseErr
	}

	code := exitCodeOf(waitErr)
	if code != 0 && res.ExitReason == "" {
		res.ExitReason = fmt.Sprintf("k6 exit %d: %s", code, ExitMeanings[code])
	}
	if code == 99 && CheckThresholds(res) == nil {
		// k6 says thresholds failed but no summary said which (it was
		// not written, or killed): the run must still fail.
		res.Thresholds = append(res.Thresholds, loadtest.Threshold{Metric: "k6", Expression: "exit code 99 (no summary to say which threshold)", Passed: false})
	}
	var err error
	switch {
	case code == 0, code == 99:
		return res, nil
	case code == 105 || res.Interrupted:
		res.Interrupted = true
		return res, nil
	case code == -1 && waitErr != nil:
		err = fmt.Errorf("k6: %w", waitErr)
	default:
		meaning := ExitMeanings[code]
		if meaning == "" {
			meaning = "an exit code k6 does not document"
		}
		err = &ExitError{Code: code, Meaning: meaning, Log: logs.last()}
	}
	if measured {
		return res, err
	}
	return nil, err
}

// exitCodeOf is a process's exit code, 0 for nil, -1 when it has none.
func exitCodeOf(err error) int {
	if err == nil {
		return 0
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	return -1
}

// readK6Stream parses NDJSON from r into agg and calls onWindows with the
// windows as they close. A malformed line is an error naming its number.
func readK6Stream(r io.Reader, agg *k6Windows, onWindows func([]loadtest.Window)) error {
	br := bufio.NewReaderSize(r, 256<<10)
	var p k6LineParser
	var long []byte
	for n := 1; ; n++ {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			long = append(long[:0], line...)
			for errors.Is(err, bufio.ErrBufferFull) {
				line, err = br.ReadSlice('\n')
				long = append(long, line...)
			}
			line = long
		}
		if len(line) > 0 {
			trimmed := bytes.TrimRight(line, "\r\n")
			if len(bytes.TrimSpace(trimmed)) > 0 {
				l, perr := p.parse(trimmed)
				if perr != nil {
					return fmt.Errorf("k6 output line %d: %w: %.200q", n, perr, trimmed)
				}
				if l.Point {
					if err := agg.add(l, n); err != nil {
						return fmt.Errorf("k6 output line %d: %w", n, err)
					}
					if ws := agg.ready(); len(ws) > 0 {
						onWindows(ws)
					}
				}
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read k6 output: %w", err)
		}
	}
}

// describeWindow is a window's progress line.
func describeWindow(w loadtest.Window) string {
	return fmt.Sprintf("t=%4.0fs  target %7s/s  done %7s/s  p50 %s  p95 %s  errors %d  dropped %d",
		w.Offset, fmtNum(w.TargetRate), fmtNum(w.Rate), formatLatency(w.P50), formatLatency(w.P95), w.Errors, w.Dropped)
}

func formatLatency(s float64) string {
	if s < 1 {
		return fmt.Sprintf("%5.0fms", s*1000)
	}
	return fmt.Sprintf("%6.2fs", s)
}

// lockedWriter serialises the writes of the stream reader, the log reader
// and the run loop.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// k6Log reads k6's JSON log lines (--log-format=json), passes warnings and
// errors on, and keeps the last few for error messages.
type k6Log struct {
	w     io.Writer
	mu    sync.Mutex
	lines []string
}

func (l *k6Log) read(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		text := sc.Text()
		var entry struct {
			Level string `json:"level"`
			Msg   string `json:"msg"`
			Error string `json:"error"`
		}
		msg, level := text, "error"
		if json.Unmarshal(sc.Bytes(), &entry) == nil && entry.Msg != "" {
			msg, level = entry.Msg, entry.Level
			if entry.Error != "" {
				msg += ": " + entry.Error
			}
		}
		if level != "warning" && level != "error" && level != "fatal" && level != "panic" {
			continue
		}
		l.mu.Lock()
		l.lines = append(l.lines, msg)
		if len(l.lines) > 10 {
			l.lines = l.lines[1:]
		}
		l.mu.Unlock()
		if l.w != nil {
			fmt.Fprintf(l.w, "k6 %s: %s\n", level, msg)
		}
	}
	_, _ = io.Copy(io.Discard, r)
}

func (l *k6Log) last() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.lines...)
}
