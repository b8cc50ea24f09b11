// Command k6standin stands in for the k6 binary in headroom's tests, since
// k6 itself cannot be installed where they run. It implements the two
// invocations headroom makes, in the formats of k6 v2.2.0 (k6 docs:
// Results output / JSON, End of test summary, k6 exit codes; grafana/k6
// internal/cmd/version.go):
//
//	k6 version --json     {"version":"v2.2.0","go_version":…,"commit":…,…}
//	k6 version            k6 v2.2.0 (commit/…, go1.…, linux/amd64)
//	k6 run [flags] SCRIPT replays an NDJSON file to --out json=FILE|-, paced
//	                      by its sample times, then writes a summary file to
//	                      the path handleSummary would (-e HEADROOM_SUMMARY=…)
//	                      and/or to stdout after the summary marker
//	                      (-e HEADROOM_SUMMARY_STDOUT=1), and exits.
//
// Like k6, the first SIGINT/SIGTERM stops the run, still writes the summary
// and exits 105; a second one exits 105 at once. It is stricter than k6 in
// one way: it refuses --vus/--duration/--iterations/--stage, which would
// silently replace a script's scenarios in k6 (exit 255, as k6 does for a bad
// flag).
//
// What to replay and how to end comes from the environment:
//
//	K6STANDIN_NDJSON   the NDJSON file to replay (required for run)
//	K6STANDIN_SUMMARY  the summary JSON to write (optional)
//	K6STANDIN_EXIT     the exit code after a full replay (default 0; 99 =
//	                   thresholds failed, 107 = script exception, …)
//	K6STANDIN_SPEED    time acceleration of the replay (default 1)
//	K6STANDIN_ARGS     a file to write the argv it got, one per line
//	K6STANDIN_STDERR   a file whose lines are written to stderr first (logs)
//	K6STANDIN_STUBBORN "1": ignore SIGINT (to test the kill after a timeout)
//	K6STANDIN_VERSION  the version to report (default v2.2.0)
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

const (
	exitThresholds = 99
	exitAbort      = 105
	exitBadFlag    = 255
)

func main() {
	args := os.Args[1:]
	if p := os.Getenv("K6STANDIN_ARGS"); p != "" {
		_ = os.WriteFile(p, []byte(strings.Join(args, "\n")+"\n"), 0o644)
	}
	if len(args) == 0 {
		fail(exitBadFlag, "usage: k6 version|run")
	}
	switch args[0] {
	case "version":
		version(args[1:])
	case "run":
		os.Exit(run(args[1:]))
	default:
		fail(exitBadFlag, fmt.Sprintf("unknown command %q for \"k6\"", args[0]))
	}
}

func fail(code int, msg string) {
	fmt.Fprintf(os.Stderr, "{\"level\":\"error\",\"msg\":%q,\"time\":\"2026-08-21T10:00:00Z\"}\n", msg)
	os.Exit(code)
}

func version(args []string) {
	v := os.Getenv("K6STANDIN_VERSION")
	if v == "" {
		v = "v2.2.0"
	}
	if len(args) == 1 && args[0] == "--json" {
		b, _ := json.Marshal(map[string]any{
			"version": v, "go_version": runtime.Version(), "go_os": runtime.GOOS, "go_arch": runtime.GOARCH,
			"commit": "87883075", "extensions": []any{},
		})
		fmt.Println(string(b))
		return
	}
	fmt.Printf("k6 %s (commit/87883075, %s, %s/%s)\n", v, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

// run parses k6 run's flags as headroom passes them and replays.
func run(args []string) int {
	var out, script, summaryExport string
	env := map[string]string{}
	valued := map[string]bool{"--log-format": true, "--summary-trend-stats": true, "--address": true, "--log-output": true, "--tag": true, "--summary-mode": true}
	for i := 0; i < len(args); i++ {
		a := args[i]
		name, val, hasVal := strings.Cut(a, "=")
		next := func() string {
			if hasVal {
				return val
			}
			i++
			if i >= len(args) {
				fail(exitBadFlag, "flag needs an argument: "+name)
			}
			return args[i]
		}
		switch {
		case name == "-q" || name == "--quiet" || name == "--no-color" || name == "--no-usage-report":
		case name == "-o" || name == "--out":
			o := next()
			kind, target, _ := strings.Cut(o, "=")
			if kind != "json" {
				fail(exitBadFlag, "the stand-in only implements --out json=…, got "+o)
			}
			out = target
		case name == "-e" || name == "--env":
			k, v, ok := strings.Cut(next(), "=")
			if !ok {
				fail(exitBadFlag, "invalid environment variable format, expected KEY=VALUE")
			}
			env[k] = v
		case name == "--summary-export":
			summaryExport = next()
		case valued[name]:
			next()
		case name == "-u" || name == "--vus" || name == "-d" || name == "--duration" ||
			name == "-i" || name == "--iterations" || name == "-s" || name == "--stage":
			fail(exitBadFlag, name+" would replace the script's scenarios; the stand-in refuses it")
		case strings.HasPrefix(a, "-") && a != "-":
			fail(exitBadFlag, "unknown flag: "+a)
		default:
			if script != "" {
				fail(exitBadFlag, "accepts 1 arg(s), received 2")
			}
			script = a
		}
	}
	if script == "" {
		fail(exitBadFlag, "accepts 1 arg(s), received 0")
	}
	if _, err := os.Stat(script); err != nil {
		fail(exitBadFlag, fmt.Sprintf("The moduleSpecifier %q couldn't be found on local disk", script))
	}

	sigs := make(chan os.Signal, 2)
	if os.Getenv("K6STANDIN_STUBBORN") == "1" {
		signal.Ignore(os.Interrupt, syscall.SIGTERM)
	} else {
		signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	}
	if p := os.Getenv("K6STANDIN_STDERR"); p != "" {
		if b, err := os.ReadFile(p); err == nil {
			os.Stderr.Write(b)
		}
	}

	var w io.Writer = io.Discard
	switch out {
	case "", "-":
		if out == "-" {
			w = os.Stdout
		}
	default:
		f, err := os.Create(out)
		if err != nil {
			fail(exitBadFlag, err.Error())
		}
		defer f.Close()
		w = f
	}
	code := exitCode()
	if interrupted := replay(w, sigs); interrupted {
		code = exitAbort
		go func() { // a second signal exits at once, as k6's does
			<-sigs
			os.Exit(exitAbort)
		}()
	}
	writeSummary(env, summaryExport)
	return code
}

func exitCode() int {
	s := os.Getenv("K6STANDIN_EXIT")
	if s == "" {
		return 0
	}
	c, err := strconv.Atoi(s)
	if err != nil {
		fail(exitBadFlag, "K6STANDIN_EXIT: "+err.Error())
	}
	return c
}

// replay copies the NDJSON file to w, pacing each Point by its time.
func replay(w io.Writer, sigs <-chan os.Signal) (interrupted bool) {
	path := os.Getenv("K6STANDIN_NDJSON")
	f, err := os.Open(path)
	if err != nil {
		fail(107, "K6STANDIN_NDJSON: "+err.Error())
	}
	defer f.Close()
	speed := 1.0
	if s := os.Getenv("K6STANDIN_SPEED"); s != "" {
		if speed, err = strconv.ParseFloat(s, 64); err != nil || speed <= 0 {
			fail(exitBadFlag, "K6STANDIN_SPEED must be a positive number")
		}
	}
	bw := bufio.NewWriter(w)
	defer bw.Flush()
	start := time.Now()
	var first time.Time
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if t, ok := pointTime(line); ok {
			if first.IsZero() {
				first = t
			}
			due := start.Add(time.Duration(float64(t.Sub(first)) / speed))
			if wait := time.Until(due); wait > 0 {
				bw.Flush() // k6 flushes its buffered samples every 200 ms
				select {
				case <-sigs:
					return true
				case <-time.After(wait):
				}
			}
		}
		select {
		case <-sigs:
			return true
		default:
		}
		bw.Write(line)
		bw.WriteByte('\n')
	}
	return false
}

// pointTime reads data.time of a Point line; malformed lines are replayed
// as they are (the reader under test must report them).
func pointTime(line []byte) (time.Time, bool) {
	if !bytes.Contains(line, []byte(`"Point"`)) {
		return time.Time{}, false
	}
	var p struct {
		Data struct {
			Time time.Time `json:"time"`
		} `json:"data"`
	}
	if json.Unmarshal(line, &p) != nil || p.Data.Time.IsZero() {
		return time.Time{}, false
	}
	return p.Data.Time, true
}

// writeSummary does what the generated script's handleSummary does.
func writeSummary(env map[string]string, export string) {
	path := os.Getenv("K6STANDIN_SUMMARY")
	if path == "" {
		return
	}
	b, err := os.ReadFile(path)
	if err != nil {
		fail(107, "K6STANDIN_SUMMARY: "+err.Error())
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, b); err != nil {
		fail(107, "K6STANDIN_SUMMARY: "+err.Error())
	}
	if p := env["HEADROOM_SUMMARY"]; p != "" {
		if err := os.WriteFile(p, compact.Bytes(), 0o644); err != nil {
			// k6 logs a failed summary write and keeps its exit code.
			fmt.Fprintf(os.Stderr, "{\"level\":\"error\",\"msg\":\"failed to handle the end-of-test summary: %s\"}\n", err)
		}
	}
	if env["HEADROOM_SUMMARY_STDOUT"] == "1" {
		fmt.Printf("headroom-summary %s\n", compact.Bytes())
	}
	if export != "" {
		_ = os.WriteFile(export, compact.Bytes(), 0o644)
	}
}
