package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"

	"github.com/headroom-dev/headroom/capacity"
	"github.com/headroom-dev/headroom/model"
	"github.com/headroom-dev/headroom/scenarios"
	"github.com/headroom-dev/headroom/sim/hpa"
)

// -update-rightsize rewrites testdata/noa-usage.csv and the rightsize golden
// files (a flag of its own, so it cannot clash with other commands' tests).
var updateRightsize = flag.Bool("update-rightsize", false, "rewrite testdata/noa-usage*.{csv,golden.*}")

const (
	noaUsage       = "testdata/noa-usage.csv" // relative to the repository root
	noaUsageGolden = "testdata/noa-usage.rightsize.golden"
)

// writeNOAUsage writes 14 days of one-minute usage for noa-mcp, seeded: the
// runbook's daily schedule (low 02–08 ×0.4, medium ×1, high 12–20 ×2) with
// 30-minute ramps, quieter weekends, noise and short bursts; 1.05 cores in
// all at ×1 (350m on each of 3 pods, the plan's observedPerPod); replicas
// following the 70 % CPU HPA a minute late (outside its 10 % tolerance it
// proposes ⌈total / 350m⌉ in [3, 10]; down only after 5 minutes); memory per pod 300Mi + 16Mi per request in flight
// (250 ms each) + 1Mi an hour of heap growth reset by a daily 03:00
// restart, with noise.
func writeNOAUsage(w io.Writer) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, strings.Join(usageCSVHeader, ","))
	rng := rand.New(rand.NewPCG(2026, 11))
	start := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC) // a Monday
	level := func(h float64) float64 {
		// Window multipliers with 30-minute linear ramps centred on the edges.
		edges := []struct{ at, from, to float64 }{{2, 1, 0.4}, {8, 0.4, 1}, {12, 1, 2}, {20, 2, 1}}
		m := 1.0
		if h >= 2 && h < 8 {
			m = 0.4
		} else if h >= 12 && h < 20 {
			m = 2
		}
		for _, e := range edges {
			if d := h - e.at; d > -0.25 && d < 0.25 {
				m = e.from + (e.to-e.from)*(d+0.25)/0.5
			}
		}
		return m
	}
	var recent []int // the HPA's proposals of the last 5 minutes
	burst, replicas := 0, 3
	for i := range 14 * 24 * 60 {
		t := start.Add(time.Duration(i) * time.Minute)
		h := float64(t.Hour()) + float64(t.Minute())/60
		m := level(h)
		if wd := t.Weekday(); wd == time.Saturday || wd == time.Sunday {
			m *= 0.6
		}
		if burst == 0 && rng.Float64() < 0.002 {
			burst = 10
		}
		if burst > 0 {
			m *= 1.4
			burst--
		}
		m *= math.Max(0.7, 1+0.06*rng.NormFloat64())
		total := 1.05 * m
		// Usage this minute is on the replicas the HPA chose from the
		// previous minute; its proposal acts from the next minute.
		perPod := total / float64(replicas)
		proposal := replicas
		if ratio := perPod / 0.35; ratio > 1.1 || ratio < 0.9 {
			proposal = min(max(int(math.Ceil(total/0.35)), 3), 10)
		}
		recent = append(recent, proposal)
		if len(recent) > 5 {
			recent = recent[1:]
		}
		cpuNow, podsNow := perPod, replicas
		replicas = 0
		for _, d := range recent {
			replicas = max(replicas, d)
		}
		cpu := math.Min(cpuNow, 0.5) // the 500m limit throttles
		inFlight := 1000.0 / 60 * m / float64(podsNow) * 0.25
		sinceRestart := math.Mod(h-3+24, 24)
		mem := (300 + 16*inFlight + 1*sinceRestart + 3*rng.NormFloat64()) * (1 << 20)
		ts := t.Format(time.RFC3339)
		fmt.Fprintf(bw, "%s,noa-mcp,noa-mcp,cpu,%.4f\n", ts, cpu)
		fmt.Fprintf(bw, "%s,noa-mcp,noa-mcp,memory,%.0f\n", ts, mem)
	}
	return bw.Flush()
}

// TestNOAUsageFile: the bundled usage file is what the generator writes.
func TestNOAUsageFile(t *testing.T) {
	var buf bytes.Buffer
	if err := writeNOAUsage(&buf); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("..", "..", noaUsage)
	if *updateRightsize {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, buf.Bytes()) {
		t.Fatalf("%s differs from the generator's output; run go test ./cmd/headroom -run TestNOAUsageFile -update-rightsize", noaUsage)
	}
	if lines := bytes.Count(got, []byte("\n")); lines != 1+2*14*24*60 {
		t.Errorf("%d lines, want a header and 2 × 20160 rows", lines)
	}
}

// TestRightsize_NOAGolden runs the README's command from the repository
// root and compares the table and the JSON with the golden files.
func TestRightsize_NOAGolden(t *testing.T) {
	t.Chdir("../..")
	for _, tt := range []struct{ output, ext string }{{"table", "txt"}, {"json", "json"}} {
		t.Run(tt.output, func(t *testing.T) {
			out, errOut, code := runCLI(t, "", "rightsize", "-f", "scenarios/examples/noa.yaml", "--usage", noaUsage, "-o", tt.output)
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			golden := noaUsageGolden + "." + tt.ext
			if *updateRightsize {
				if err := os.WriteFile(golden, []byte(out), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if out != string(want) {
				t.Errorf("output differs from %s (rerun with -update-rightsize and review the diff):\n%s", golden, out)
			}
			if !strings.Contains(errOut, "warning: no usage data for noa-claude-flow, noa-ui, noa-workers, noa-postgres, noa-redis") {
				t.Errorf("stderr %q lacks the skipped services", errOut)
			}
		})
	}
}

// TestRightsize_NOAHPA checks the bundled example's recommendation: requests
// move, both HPA targets move with them, and the HPA's proposal at the
// observed peak is unchanged; then cross-checks both proposals with the HPA
// controller replica in sim/hpa.
func TestRightsize_NOAHPA(t *testing.T) {
	out, _, code := runCLI(t, "", "rightsize", "-f", noaPlan, "--usage", "../../"+noaUsage, "-o", "json")
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	var rep struct {
		Recommendations []capacity.ServiceRecommendation `json:"recommendations"`
		Changes         []capacity.ResourceChange        `json:"changes"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Recommendations) != 1 || len(rep.Changes) != 1 {
		t.Fatalf("%d recommendations, %d changes; want one each (noa-mcp)", len(rep.Recommendations), len(rep.Changes))
	}
	rec := rep.Recommendations[0]
	if rec.Confidence.Level != model.ConfidenceHigh || rec.HPA == nil || len(rec.HPA.Targets) != 2 {
		t.Fatalf("confidence %s, HPA %+v; want high and both targets moved", rec.Confidence.Level, rec.HPA)
	}
	p, err := scenarios.LoadFile(noaPlan, nil)
	if err != nil {
		t.Fatal(err)
	}
	spec := p.Service("noa-mcp").HPA
	for _, c := range rec.HPA.Targets {
		if c.DesiredBefore != c.DesiredAfter || c.Preserved != c.Checked {
			t.Errorf("%s: proposal %d → %d, preserved %d of %d", c.Resource, c.DesiredBefore, c.DesiredAfter, c.Preserved, c.Checked)
		}
		before := simProposal(t, spec, c.MetricIndex, c.TargetUtilization, c.Resource, c.OldRequest, c.PeakUsage, c.PeakReplicas)
		after := simProposal(t, spec, c.MetricIndex, c.NewTargetUtilization, c.Resource, c.NewRequest, c.PeakUsage, c.PeakReplicas)
		if before != c.DesiredBefore || after != c.DesiredAfter {
			t.Errorf("%s: sim/hpa proposes %d → %d, model %d → %d", c.Resource, before, after, c.DesiredBefore, c.DesiredAfter)
		}
	}
}

// simProposal is sim/hpa's proposal for metric i of spec, with its target
// set to target, when replicas ready pods with the given request each use
// usage (cores or bytes).
func simProposal(t *testing.T, spec *autoscalingv2.HorizontalPodAutoscalerSpec, i int, target int32, resource string, request, usage float64, replicas int32) int32 {
	t.Helper()
	s := spec.DeepCopy()
	s.Metrics[i].Resource.Target.AverageUtilization = &target
	// A replica count outside [min, max] skips the metrics; the range does
	// not enter a metric's proposal.
	one := int32(1)
	s.MinReplicas, s.MaxReplicas = &one, 1000
	c, err := hpa.NewController(hpa.DefaultConfig(), s)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Hour
	snap := hpa.Snapshot{SpecReplicas: replicas, StatusReplicas: replicas, Metrics: make([]hpa.MetricValues, len(s.Metrics))}
	for p := range replicas {
		snap.Pods = append(snap.Pods, hpa.Pod{
			Name: fmt.Sprintf("pod-%d", p), Phase: hpa.PodRunning, Ready: hpa.Ready,
			StartTime: now - time.Hour, ReadyTransitionTime: now - time.Hour,
			Containers: []hpa.Container{{Name: "app", Requests: []hpa.ResourceAmount{
				{Name: corev1.ResourceName(resource), Milli: int64(math.Round(request * 1000))},
			}}},
		})
		snap.Metrics[i].Samples = append(snap.Metrics[i].Samples, hpa.Sample{
			Present: true, Milli: int64(math.Round(usage * 1000)), Timestamp: now - 15*time.Second, Window: 30 * time.Second,
		})
	}
	d := c.Reconcile(now, &snap)
	if d.Metrics[i].Err != nil {
		t.Fatalf("sim/hpa metric %d: %v", i, d.Metrics[i].Err)
	}
	return d.Metrics[i].Replicas
}

// TestHPAUtilizationProposal_MatchesSim cross-checks model's closed-form
// proposal with the controller replica over seeded random states, for CPU
// and memory.
func TestHPAUtilizationProposal_MatchesSim(t *testing.T) {
	p, err := scenarios.LoadFile(noaPlan, nil)
	if err != nil {
		t.Fatal(err)
	}
	spec := p.Service("noa-mcp").HPA // cpu 70 % (metric 0), memory 80 % (metric 1)
	rng := rand.New(rand.NewPCG(3, 5))
	for range 400 {
		i := rng.IntN(2)
		resource, scale := model.ResourceCPU, 1.0
		if i == 1 {
			resource, scale = model.ResourceMemory, 1<<30
		}
		request := math.Round((0.05+2*rng.Float64())*scale*1000) / 1000
		usage := math.Round(request*(0.1+1.5*rng.Float64())*1000) / 1000
		target := int32(20 + rng.IntN(100))
		n := int32(1 + rng.IntN(20))
		want := simProposal(t, spec, i, target, resource, request, usage, n)
		got := model.HPAUtilizationProposal(n, int64(math.Round(usage*1000)), int64(math.Round(request*1000)), target, 0.1, 0.1)
		if got != want {
			t.Fatalf("%s request %v usage %v target %d on %d pods: model %d, sim/hpa %d", resource, request, usage, target, n, got, want)
		}
	}
}

func TestRightsize_Strategies(t *testing.T) {
	for _, tt := range []struct {
		strategy string
		want     []string
	}{
		{"percentile", []string{"cpu: p95 of 20160 samples", "memory limit 512Mi → ", "equal to the request (krr)"}},
		{"max", []string{"cpu: max of 20160 samples", "+15% buffer"}},
	} {
		t.Run(tt.strategy, func(t *testing.T) {
			out, _, code := runCLI(t, "", "rightsize", "-f", noaPlan, "--usage", "../../"+noaUsage, "--strategy", tt.strategy, "--service", "noa-mcp")
			if code != exitOK {
				t.Fatalf("exit %d\n%s", code, out)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
	// The window keeps the last 2 hours: low confidence, no change proposed.
	out, _, code := runCLI(t, "", "rightsize", "-f", noaPlan, "--usage", "../../"+noaUsage, "--window", "2h", "-o", "yaml")
	if code != exitOK || !strings.Contains(out, "level: low") || !strings.Contains(out, "changes: []") {
		t.Errorf("exit %d, a 2h window should give low confidence and no changes:\n%.600s", code, out)
	}
}

func TestRightsize_Errors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	header := "time,service,container,resource,value\n"
	unknown := write("unknown.csv", header+"2026-11-02T00:00:00Z,noa-mcp,noa-mcp,cpu,0.3\n2026-11-02T00:00:00Z,noa-api,noa-api,cpu,0.3\n")
	wrongContainer := write("container.csv", header+"2026-11-02T00:00:00Z,noa-mcp,sidecar,cpu,0.3\n")
	badValue := write("value.csv", header+"2026-11-02T00:00:00Z,noa-mcp,noa-mcp,memory,-5\n")
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no source", []string{"rightsize", "-f", noaPlan}, exitUsage, "one of --usage FILE or --prometheus-url URL is required"},
		{"two sources", []string{"rightsize", "-f", noaPlan, "--usage", "x.csv", "--prometheus-url", "http://p:9090"}, exitUsage, "--usage and --prometheus-url are mutually exclusive"},
		{"bad strategy", []string{"rightsize", "-f", noaPlan, "--usage", "x.csv", "--strategy", "median"}, exitUsage, `--strategy: unknown strategy "median": use vpa, percentile or max`},
		{"bad window", []string{"rightsize", "-f", noaPlan, "--usage", "x.csv", "--window", "2w"}, exitUsage, `--window "2w": want a duration such as 14d`},
		{"bad percentile", []string{"rightsize", "-f", noaPlan, "--usage", "x.csv", "--cpu-percentile", "0"}, exitUsage, "--cpu-percentile must be in (0, 100], got 0"},
		{"both stdin", []string{"rightsize", "-f", "-", "--usage", "-"}, exitUsage, "cannot both read standard input"},
		{"prometheus unreachable", []string{"rightsize", "-f", noaPlan, "--service", "noa-mcp", "--prometheus-url", "http://127.0.0.1:1"}, exitError, "usage of noa-mcp/noa-mcp"},
		{"unknown service flag", []string{"rightsize", "-f", noaPlan, "--usage", "x.csv", "--service", "nope"}, exitUsage, `--service "nope": the plan has no such service`},
		{"missing file", []string{"rightsize", "-f", noaPlan, "--usage", filepath.Join(dir, "nope.csv")}, exitError, "read usage: open"},
		{"unknown service in file", []string{"rightsize", "-f", noaPlan, "--usage", unknown}, exitError, unknown + `:3: service: "noa-api" is not a service of the plan`},
		{"wrong container", []string{"rightsize", "-f", noaPlan, "--usage", wrongContainer}, exitError, wrongContainer + `:2: container: service noa-mcp runs container "noa-mcp", not "sidecar"`},
		{"negative value", []string{"rightsize", "-f", noaPlan, "--usage", badValue}, exitError, badValue + `:2:45: value: "-5" is not a finite number ≥ 0 (bytes)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, errOut, code := runCLI(t, "", tt.args...)
			if code != tt.code || !strings.Contains(errOut, tt.want) {
				t.Errorf("exit %d, stderr %q; want exit %d containing %q", code, errOut, tt.code, tt.want)
			}
		})
	}
}

func TestParseUsageCSV(t *testing.T) {
	const h = "time,service,container,resource,value\n"
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", "u.csv: no samples after the header"},
		{"header only", h, "u.csv: no samples after the header"},
		{"wrong header", "time,service,resource,value\n", `u.csv:1: header must be "time,service,container,resource,value"`},
		{"short row", h + "2026-11-02T00:00:00Z,a,a,cpu\n", "u.csv:2: want 5 fields"},
		{"bad time", h + "2026-11-02 00:00,a,a,cpu,1\n", `u.csv:2:1: time: "2026-11-02 00:00" is not an RFC 3339 time`},
		{"empty service", h + "2026-11-02T00:00:00Z,,a,cpu,1\n", "u.csv:2:22: service: empty"},
		{"empty container", h + "2026-11-02T00:00:00Z,a,,cpu,1\n", "u.csv:2:24: container: empty"},
		{"bad resource", h + "2026-11-02T00:00:00Z,a,a,gpu,1\n", `u.csv:2:26: resource: must be cpu or memory, got "gpu"`},
		{"NaN", h + "2026-11-02T00:00:00Z,a,a,cpu,NaN\n", `u.csv:2:30: value: "NaN" is not a finite number ≥ 0 (cores)`},
		{"Inf", h + "2026-11-02T00:00:00Z,a,a,cpu,+Inf\n", `u.csv:2:30: value: "+Inf"`},
		{"duplicate", h + "2026-11-02T00:00:00Z,a,a,cpu,1\n2026-11-02T01:00:00+01:00,a,a,cpu,2\n", "u.csv:3: a second cpu sample for a/a at 2026-11-02T01:00:00+01:00 (the first is on line 2)"},
		{"1e308 cores", h + "2026-11-02T00:00:00Z,a,a,cpu,1e308\n", `u.csv:2:30: value: "1e308" is more cpu than any machine has (at most 10000 cores)`},
		{"1e308 bytes", h + "2026-11-02T00:00:00Z,a,a,memory,1e308\n", `u.csv:2:33: value: "1e308" is more memory than any machine has (at most 1 PiB)`},
		{"negative", h + "2026-11-02T00:00:00Z,a,a,memory,-1\n", `u.csv:2:33: value: "-1" is not a finite number ≥ 0 (bytes)`},
		{"-Inf", h + "2026-11-02T00:00:00Z,a,a,cpu,-Inf\n", `u.csv:2:30: value: "-Inf" is not`},
		{"60 MB value", h + "2026-11-02T00:00:00Z,a,a,cpu," + strings.Repeat("9", 60<<20) + "x\n", `u.csv:2:30: value: "` + strings.Repeat("9", 80) + `"… (62914561 bytes) is not a finite number`},
		{"1 MB time", h + strings.Repeat("2", 1<<20) + ",a,a,cpu,1\n", `u.csv:2:1: time: "` + strings.Repeat("2", 80) + `"… (1048576 bytes) is not`},
		{"1 MB resource", h + "2026-11-02T00:00:00Z,a,a," + strings.Repeat("g", 1<<20) + ",1\n", `(1048576 bytes)`},
		{"1 MB header", strings.Repeat("h", 1<<20) + "\n", `(1048576 bytes)`},
		{"bare quote", h + "2026-11-02T00:00:00Z,a\"b,a,cpu,1\n", `u.csv:2:23: bare " in non-quoted-field`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseUsageCSV("u.csv", strings.NewReader(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) || len(err.Error()) > 400 {
				msg := fmt.Sprint(err)
				if len(msg) > 400 {
					msg = msg[:400] + "…"
				}
				t.Errorf("err = %s (%d bytes), want one containing %q, at most 400 bytes", msg, len(fmt.Sprint(err)), tt.want)
			}
		})
	}
	tab, err := parseUsageCSV("u.csv", strings.NewReader(h+"2026-11-02T00:01:00Z,a,a,cpu,0.25\n2026-11-02T00:00:00.5Z,a,a,cpu,1e-1\n2026-11-02T00:00:00Z,a,a,memory,1048576\n"))
	if err != nil {
		t.Fatal(err)
	}
	if s := tab.series[usageKey{"a", "a", "cpu"}]; s == nil || len(s.samples) != 2 || s.samples[1].Value != 0.1 || s.line != 2 {
		t.Errorf("cpu series %+v", s)
	}
}

func TestParseWindow(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want time.Duration
	}{{"14d", 14 * 24 * time.Hour}, {"36h", 36 * time.Hour}, {"1d12h", 36 * time.Hour}, {"90m", 90 * time.Minute}} {
		if got, err := parseWindow(tt.in); err != nil || got != tt.want {
			t.Errorf("parseWindow(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "0d", "-1h", "d", "1.5d", "2w", "14dd"} {
		if _, err := parseWindow(bad); err == nil {
			t.Errorf("parseWindow(%q) accepted", bad)
		}
	}
}

// FuzzParseUsageCSV: any input gives samples in [0, the resource's bound] with
// their series non-empty, or an error that names the file and echoes at
// most a few hundred bytes of it; never a panic.
func FuzzParseUsageCSV(f *testing.F) {
	data, err := os.ReadFile(filepath.Join("..", "..", noaUsage))
	if err != nil {
		f.Fatal(err)
	}
	lines := strings.SplitAfter(string(data), "\n")
	f.Add(strings.Join(lines[:7], ""))
	f.Add(lines[0] + "2026-11-02T00:00:00Z,a,a,cpu,1\n2026-11-02T00:00:00Z,a,a,cpu,2\n")
	f.Add(lines[0] + "\"2026-11-02T00:00:00Z\",\"a\",\"a\",\"memory\",\"1e9\"\n")
	f.Add("time,service,container,resource,value\r\n2026-11-02T00:00:00+02:00,x,y,cpu,0x1p-2\r\n")
	for _, v := range []string{"1e308", "NaN", "-Inf", "-0", "-1e-300", "10000.000001", "1125899906842625", strings.Repeat("9", 4096)} {
		f.Add(lines[0] + "2026-11-02T00:00:00Z,a,a,cpu," + v + "\n2026-11-02T00:00:00Z,a,a,memory," + v + "\n")
	}
	f.Fuzz(func(t *testing.T, in string) {
		tab, err := parseUsageCSV("f.csv", strings.NewReader(in))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "f.csv") && !strings.HasPrefix(err.Error(), "read usage f.csv") {
				t.Fatalf("error does not name the file: %v", err)
			}
			if len(err.Error()) > 1024 {
				t.Fatalf("an error of %d bytes echoes the input", len(err.Error()))
			}
			return
		}
		for k, s := range tab.series {
			if len(s.samples) == 0 || k.service == "" || k.container == "" {
				t.Fatalf("empty series or name: %+v", k)
			}
			for _, u := range s.samples {
				limit := float64(maxUsageCores)
				if k.resource == "memory" {
					limit = maxUsageMemory
				}
				if !(u.Value >= 0) || u.Value > limit {
					t.Fatalf("value %v accepted", u.Value)
				}
			}
		}
	})
}

func TestRightsize_Help(t *testing.T) {
	out, _, code := runCLI(t, "", "rightsize", "--help")
	if code != exitOK || !strings.Contains(out, "Examples:") || !strings.Contains(out, "headroom rightsize -f scenarios/examples/noa.yaml --usage testdata/noa-usage.csv") {
		t.Errorf("exit %d, help without the bundled example:\n%s", code, out)
	}
}

// TestRightsize_MatchesUpstreamVPA holds the vpa strategy's estimate for the
// bundled usage against testdata/noa-usage.vpa-upstream.json: what the
// upstream recommender (k8s.io/autoscaler/vertical-pod-autoscaler v1.8.1,
// logic.CreatePodResourceRecommender with its default flags, fed the same
// CSV through model.ContainerState.AddSample) returned for it.
func TestRightsize_MatchesUpstreamVPA(t *testing.T) {
	data, err := os.ReadFile("../../testdata/noa-usage.vpa-upstream.json")
	if err != nil {
		t.Fatal(err)
	}
	var upstream map[string]struct {
		LowerBound model.VPAResources `json:"lowerBound"`
		Target     model.VPAResources `json:"target"`
		UpperBound model.VPAResources `json:"upperBound"`
	}
	if err := json.Unmarshal(data, &upstream); err != nil {
		t.Fatal(err)
	}
	want, ok := upstream["noa-mcp/noa-mcp"]
	if !ok {
		t.Fatal("no noa-mcp/noa-mcp entry")
	}
	out, _, code := runCLI(t, "", "rightsize", "-f", noaPlan, "--usage", "../../"+noaUsage, "-o", "json")
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	var rep struct {
		Recommendations []capacity.ServiceRecommendation `json:"recommendations"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	got := rep.Recommendations[0].VPA
	if got.LowerBound != want.LowerBound || got.Target != want.Target || got.UpperBound != want.UpperBound {
		t.Errorf("headroom lower %+v target %+v upper %+v\nupstream lower %+v target %+v upper %+v",
			got.LowerBound, got.Target, got.UpperBound, want.LowerBound, want.Target, want.UpperBound)
	}
}

// TestRightsize_Prometheus reads usage through package prom from a server
// that speaks the Prometheus HTTP API: three pods, 14 days at 5 minutes.
func TestRightsize_Prometheus(t *testing.T) {
	var queries []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil || r.URL.Path != "/api/v1/query_range" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		q := r.Form.Get("query")
		queries = append(queries, q)
		start, _ := strconv.ParseFloat(r.Form.Get("start"), 64)
		end, _ := strconv.ParseFloat(r.Form.Get("end"), 64)
		step, _ := strconv.ParseFloat(r.Form.Get("step"), 64)
		if step <= 0 {
			d, _ := time.ParseDuration(r.Form.Get("step"))
			step = d.Seconds()
		}
		if step <= 0 {
			http.Error(w, "bad step", http.StatusBadRequest)
			return
		}
		var series []string
		for pod := 0; pod < 3; pod++ {
			var vals []string
			for ts := start; ts <= end; ts += step {
				day := math.Sin(2 * math.Pi * ts / 86400)
				v := 0.25 + 0.1*day + 0.01*float64(pod)
				if strings.Contains(q, "memory") {
					v = (400 + 20*day) * (1 << 20)
				}
				vals = append(vals, fmt.Sprintf("[%.3f,\"%g\"]", ts, v))
			}
			series = append(series, fmt.Sprintf(`{"metric":{"pod":"noa-mcp-7c9f8-%c%c%c%c%c","container":"noa-mcp"},"values":[%s]}`,
				'a'+pod, 'b', 'c', 'd', 'e', strings.Join(vals, ",")))
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"status":"success","data":{"resultType":"matrix","result":[%s]}}`, strings.Join(series, ","))
	}))
	defer srv.Close()
	out, errOut, code := runCLI(t, "", "rightsize", "-f", noaPlan, "--service", "noa-mcp", "--prometheus-url", srv.URL, "--window", "14d", "--step", "5m", "-o", "json")
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	if len(queries) != 2 || !strings.Contains(queries[0], "container_cpu_usage_seconds_total") || !strings.Contains(queries[1], "container_memory_working_set_bytes") {
		t.Errorf("queries %q", queries)
	}
	if !strings.Contains(out, `"noa-mcp"`) || !strings.Contains(out, "vpa") {
		t.Errorf("output lacks noa-mcp's VPA recommendation:\n%.2000s", out)
	}
}

// TestRightsize_Patches writes the recommender's proposal (the report's)
// through the report's patch writer, not the usage estimator's request and
// target: noa-mcp's usage peaks stay below its limits, so the patch is the
// HPA the report proposes.
func TestRightsize_Patches(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "patches")
	_, errOut, code := runCLI(t, "", "rightsize", "-f", noaPlan, "--usage", "../../testdata/noa-usage.csv", "--service", "noa-mcp", "--uncertainty", "off", "--out-dir", dir)
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	script, err := os.ReadFile(filepath.Join(dir, "kubectl-patches.sh"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(script), `"value": 85`) || strings.Contains(string(script), `"value": "410m"`) {
		t.Errorf("kubectl-patches.sh carries the VPA estimator's request or target, not the proposal:\n%s", script)
	}
	if !strings.Contains(string(script), "/spec/metrics/0/resource/target/averageUtilization") {
		t.Errorf("kubectl-patches.sh does not retarget noa-mcp's HPA:\n%s", script)
	}
	for _, f := range []string{"kustomization.yaml", "hpa/noa-mcp-hpa.yaml", "manifests/hpa-noa-mcp-hpa.yaml"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
}

// TestRightsize_PatchesDirIsNotReplacedWhole: --out-dir refuses a directory
// headroom did not write unless --force, writes its own files and keeps the
// user's; a regular file, /, .., the current and the
// home directory are refused.
func TestRightsize_PatchesDirIsNotReplacedWhole(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "patches")
	os.MkdirAll(filepath.Join(dir, "strategic"), 0o755)
	user := map[string]string{"README": "mine", "strategic/mine.yaml": "kind: Mine\n"}
	for p, data := range user {
		os.WriteFile(filepath.Join(dir, filepath.FromSlash(p)), []byte(data), 0o644)
	}
	sibling := filepath.Join(parent, "sibling.txt")
	os.WriteFile(sibling, []byte("s"), 0o644)
	args := []string{"rightsize", "-f", noaPlan, "--usage", "../../testdata/noa-usage.csv", "--service", "noa-mcp", "--uncertainty", "off", "--out-dir"}
	// Not headroom's directory: refused, then written into with --force;
	// the rerun finds its manifest and needs no --force.
	if _, errOut, code := runCLI(t, "", append(args, dir)...); code != exitError || !strings.Contains(errOut, "--force") {
		t.Fatalf("a directory headroom did not write: exit %d, stderr %q; want exit 1 naming --force", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "kubectl-patches.sh")); err == nil {
		t.Fatal("the refused run wrote its files")
	}
	for _, extra := range [][]string{{"--force"}, nil} {
		if _, errOut, code := runCLI(t, "", append(append(args, dir), extra...)...); code != exitOK {
			t.Fatalf("%v: exit %d\n%s", extra, code, errOut)
		}
	}
	for p, data := range user {
		if b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(p))); err != nil || string(b) != data {
			t.Errorf("the user's %s: %q %v", p, b, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "kubectl-patches.sh")); err != nil {
		t.Error(err)
	}
	if es, _ := os.ReadDir(parent); len(es) != 2 {
		t.Errorf("beside the patches: %v", es)
	}
	for _, tc := range []struct{ dir, want string }{
		{sibling, "not a directory"},
		{"/", "root directory"},
		{"..", "parent of the current directory"},
		{".", "is the current directory"},
		{os.Getenv("HOME"), "home directory"},
	} {
		_, errOut, code := runCLI(t, "", append(args, tc.dir)...)
		if code == exitOK || !strings.Contains(errOut, tc.want) {
			t.Errorf("--out-dir %s: exit %d, stderr %q; want %q", tc.dir, code, errOut, tc.want)
		}
	}
	if b, _ := os.ReadFile(sibling); string(b) != "s" {
		t.Errorf("the regular file changed: %q", b)
	}
}
