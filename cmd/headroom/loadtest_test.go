package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/headroom-dev/headroom/loadtest"
)

const mmcPlan = "../../loadtest/testdata/mmc-plan.yaml"

func TestLoadtestRun_Refuses(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no target", []string{"--rate", "10", "--duration", "1s"}, "--target is required"},
		{"not http", []string{"--target", "ftp://x/", "--rate", "10", "--duration", "1s"}, "--target must be"},
		{"nothing to play", []string{"--target", "http://127.0.0.1:1/"}, "say what to play"},
		{"both", []string{"--target", "http://127.0.0.1:1/", "--rate", "1", "--duration", "1s", "-f", mmcPlan}, "mutually exclusive"},
		{"above the rate cap", []string{"--target", "http://127.0.0.1:1/", "--rate", "2000", "--duration", "1s"}, "above --max-rate 1000"},
		{"longer than the cap", []string{"--target", "http://127.0.0.1:1/", "--rate", "1", "--duration", "1h"}, "longer than --max-duration"},
		{"scenario too long uncompressed", []string{"--target", "http://127.0.0.1:1/", "-f", mmcPlan, "--service", "mmc", "--scenario", "steps", "--max-duration", "1m"}, "raise --speedup"},
		{"unknown service", []string{"--target", "http://127.0.0.1:1/", "-f", mmcPlan, "--service", "nope", "--scenario", "steps"}, `no service "nope"`},
		{"compare without a plan", []string{"--target", "http://127.0.0.1:1/", "--rate", "1", "--duration", "1s", "--compare"}, "--compare needs"},
		{"max-workers 2e9", []string{"--target", "http://127.0.0.1:1/", "--rate", "1", "--duration", "1s", "--max-workers", "2000000000"}, "--max-workers must be from 1 to 100000"},
		{"max-rate +Inf", []string{"--target", "http://127.0.0.1:1/", "--rate", "1", "--duration", "1s", "--max-rate", "+Inf"}, "--max-rate must be above 0 and at most 1e+06"},
		{"max-rate NaN", []string{"--target", "http://127.0.0.1:1/", "--rate", "1", "--duration", "1s", "--max-rate", "NaN"}, "--max-rate must be above 0 and at most 1e+06"},
		{"max-duration 2562047h", []string{"--target", "http://127.0.0.1:1/", "--rate", "1", "--duration", "1s", "--max-duration", "2562047h"}, "--max-duration must be above 0 and at most 24h0m0s"},
		{"rate 1e300", []string{"--target", "http://127.0.0.1:1/", "--rate", "1e300", "--duration", "1s"}, "--rate must be a positive number"},
		{"duration of years", []string{"--target", "http://127.0.0.1:1/", "--rate", "1", "--duration", "2562047h"}, "--duration must be from 1s to 24h0m0s"},
		{"timeout of years", []string{"--target", "http://127.0.0.1:1/", "--rate", "1", "--duration", "1s", "--timeout", "2562047h"}, "--timeout must be above 0 and at most 1h0m0s"},
		{"speedup 1e300", []string{"--target", "http://127.0.0.1:1/", "-f", mmcPlan, "--service", "mmc", "--scenario", "steps", "--speedup", "1e300"}, "--speedup must be from 1 to 1e+06"},
		{"buckets", []string{"--target", "http://127.0.0.1:1/", "--rate", "1", "--duration", "1s", "--buckets", "2000000000"}, "--buckets must be from 1 to 10000"},
		{"credentials in the target", []string{"--target", "http://u:s3cret@127.0.0.1:1/", "--rate", "1", "--duration", "1s"}, "http://u:xxxxx@127.0.0.1:1/ carries credentials"},
		{"bad arrivals", []string{"--target", "http://127.0.0.1:1/", "--rate", "1", "--duration", "1s", "--arrivals", "burst"}, "--arrivals"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, errOut, code := runCLI(t, "", append([]string{"loadtest", "run"}, tc.args...)...)
			if code != exitUsage || !strings.Contains(errOut, tc.want) {
				t.Errorf("exit %d, stderr %q; want exit 2 mentioning %q", code, errOut, tc.want)
			}
			if strings.Contains(errOut, "s3cret") {
				t.Errorf("the password is printed: %q", errOut)
			}
		})
	}
}

// TestLoadtestRun_UnwritableOut: an --out-file that cannot be written is found
// before the run, and no request reaches the target.
func TestLoadtestRun_UnwritableOut(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	defer srv.Close()
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ out, want string }{
		{filepath.Join(dir, "missing", "run.json"), "no such file or directory"},
		{filepath.Join(file, "run.json"), "not a directory"},
		{dir, "is a directory"},
	} {
		start := time.Now()
		_, errOut, code := runCLI(t, "", "loadtest", "run", "--engine", "builtin", "--target", srv.URL, "--rate", "50", "--duration", "5s", "--out-file", tc.out)
		if code != exitError || !strings.Contains(errOut, "--out-file "+tc.out) || !strings.Contains(errOut, tc.want) {
			t.Errorf("--out-file %s: exit %d, stderr %q; want exit 1 naming --out-file and %q", tc.out, code, errOut, tc.want)
		}
		if time.Since(start) > 2*time.Second {
			t.Errorf("--out-file %s: found after %s, not before the run", tc.out, time.Since(start))
		}
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("%d requests were sent", n)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("the probe left files behind: %v", ents)
	}
}

func TestLoadtestRun_WritesTheResult(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	out := filepath.Join(t.TempDir(), "run.json")
	stdout, errOut, code := runCLI(t, "", "loadtest", "run", "--engine", "builtin", "--target", srv.URL+"/x",
		"--rate", "20", "--duration", "2s", "--arrivals", "constant", "--out-file", out)
	if code != exitOK && code != exitCheckFailed { // a loaded machine may lag: exit 3, still a result
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	if !strings.HasPrefix(errOut, "target GET "+srv.URL+"/x\n") {
		t.Errorf("the target is not printed first: %q", errOut)
	}
	res, err := loadtest.ReadResultFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if res.Totals.Sent+res.Totals.Dropped != 40 || len(res.Windows) != 2 {
		t.Errorf("sent %d dropped %d in %d windows, want 40 in 2", res.Totals.Sent, res.Totals.Dropped, len(res.Windows))
	}
	if !strings.Contains(stdout, "latency from intended send time") {
		t.Errorf("summary: %s", stdout)
	}
}

// TestLoadtestRun_InterruptWritesPartial cancels the command's context, as
// main.go's signal.NotifyContext does on Ctrl-C.
func TestLoadtestRun_InterruptWritesPartial(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	out := filepath.Join(t.TempDir(), "run.json")
	var sink strings.Builder
	cmd := newRootCmd(ioStreams{In: strings.NewReader(""), Out: &sink, ErrOut: &sink})
	cmd.SetArgs([]string{"loadtest", "run", "--engine", "builtin", "--target", srv.URL, "--rate", "10", "--duration", "1m", "--out-file", out})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(500*time.Millisecond, cancel)
	err := cmd.ExecuteContext(ctx)
	if err == nil || !strings.Contains(err.Error(), "interrupted") {
		t.Fatalf("err %v", err)
	}
	res, rerr := loadtest.ReadResultFile(out)
	if rerr != nil {
		t.Fatal(rerr)
	}
	if !res.Interrupted || len(res.Windows) >= 60 {
		t.Errorf("interrupted %v, %d windows", res.Interrupted, len(res.Windows))
	}
}

func TestLoadtestCompare_SavedRun(t *testing.T) {
	out, errOut, code := runCLI(t, "", "loadtest", "compare", "-f", mmcPlan, "--result", "../../loadtest/testdata/run-steps.json")
	// The saved run lagged (a loaded machine), so it is invalid: exit 3.
	if code != exitCheckFailed || !strings.Contains(errOut, "invalid") {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	for _, want := range []string{"MEASURED vs PREDICTED: mmc, scenario steps", "5m0s–6m0s", "MAPE: throughput", "verdict: DISAGREE"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestCalibrate_WritesPlan(t *testing.T) {
	out := filepath.Join(t.TempDir(), "plan.yaml")
	stdout, errOut, code := runCLI(t, "", "calibrate", "-f", mmcPlan, "--result", "../../loadtest/testdata/run-low.json", "--service", "mmc", "--out-file", out)
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	if !strings.Contains(stdout, "service time: mean") {
		t.Errorf("stdout %q", stdout)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "# calibrated from run-low.json") || !strings.Contains(string(b), "# mmcserver -workers 8") {
		t.Errorf("calibrated plan lost comments or lacks the note:\n%s", b)
	}
	_, errOut, code = runCLI(t, "", "calibrate", "-f", mmcPlan, "--result", "../../loadtest/testdata/run-steps.json", "--service", "other")
	if code != exitUsage || !strings.Contains(errOut, `--service "other"`) {
		t.Errorf("unknown service: exit %d %q", code, errOut)
	}
}

// TestLoadtestCompare_HostileResults: a result file whose histogram would
// panic, loop or inflate without bound in the HDR library, or with a
// negative latency, is an error (exit 1) naming the window, from both
// commands that read results; never a panic (exit 2) or a hang.
func TestLoadtestCompare_HostileResults(t *testing.T) {
	dir := "../../loadtest/testdata/hostile"
	ents, err := os.ReadDir(dir)
	if err != nil || len(ents) < 8 {
		t.Fatalf("hostile results: %v (%d)", err, len(ents))
	}
	for _, e := range ents {
		path := filepath.Join(dir, e.Name())
		for _, args := range [][]string{
			{"loadtest", "compare", "-f", mmcPlan, "--result", path, "--service", "mmc", "--scenario", "steps"},
			{"calibrate", "-f", mmcPlan, "--result", path, "--service", "mmc"},
		} {
			t.Run(args[0]+" "+e.Name(), func(t *testing.T) {
				_, errOut, code := runCLI(t, "", args...)
				if code != exitError || !strings.Contains(errOut, path+":") || !strings.Contains(errOut, "windows[3]") {
					t.Errorf("exit %d, stderr %q; want exit 1 naming %s and windows[3]", code, errOut, path)
				}
			})
		}
	}
	_, errOut, code := runCLI(t, "", "loadtest", "compare", "-f", mmcPlan, "--result", "../../loadtest/testdata/run-steps.json", "--max-result-bytes", "1000")
	if code != exitError || !strings.Contains(errOut, "larger than 1000") {
		t.Errorf("size cap: exit %d, stderr %q", code, errOut)
	}
	_, errOut, code = runCLI(t, "", "calibrate", "-f", mmcPlan, "--result", "../../loadtest/testdata/run-low.json", "--service", "mmc", "--max-result-bytes", "0")
	if code != exitUsage || !strings.Contains(errOut, "--max-result-bytes must be from 1") {
		t.Errorf("--max-result-bytes 0: exit %d, stderr %q", code, errOut)
	}
}

// TestLoadtestCompare_Interrupted: loadtest compare and calibrate stop on
// a cancelled context (Ctrl-C) with exit 130, and calibrate writes no plan.
func TestLoadtestCompare_Interrupted(t *testing.T) {
	out := filepath.Join(t.TempDir(), "plan.yaml")
	for _, args := range [][]string{
		{"loadtest", "compare", "-f", mmcPlan, "--result", "../../loadtest/testdata/run-steps.json"},
		{"calibrate", "-f", mmcPlan, "--result", "../../loadtest/testdata/run-low.json", "--service", "mmc", "--out-file", out},
	} {
		t.Run(args[0], func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			var stdout, stderr strings.Builder
			cmd := newRootCmd(ioStreams{In: strings.NewReader(""), Out: &stdout, ErrOut: &stderr})
			cmd.SetArgs(args)
			if code := exitCode(cmd.ExecuteContext(ctx), &stderr); code != exitInterrupted {
				t.Fatalf("exit %d, want %d\n%s", code, exitInterrupted, stderr.String())
			}
		})
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("the interrupted calibrate wrote %s (%v)", out, err)
	}
}
