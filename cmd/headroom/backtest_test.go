package main

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/headroom-dev/headroom/review/record"
)

// fakeProm answers the Prometheus HTTP API
// (https://prometheus.io/docs/prometheus/latest/querying/api/) for
// backtest's queries with a diurnal service: rate λ(t), Ready replicas
// ⌈λ·20 ms / (0.6 × 250m)⌉, CPU (20m + 20 ms·λ/replicas) per pod,
// 50 ms latency, pods Ready 90 s after creation. Queries naming "ghost"
// match no series.
func fakeProm(tb testing.TB) string {
	rate := func(t float64) float64 {
		h := math.Mod(t/3600, 24)
		return 60 * (0.6 + 0.4*math.Cos(2*math.Pi*(h-15)/24))
	}
	ready := func(t float64) float64 { return math.Max(2, math.Ceil(rate(t)*0.020/(0.6*0.25))) }
	les := []float64{0.05, 0.1, 0.25, 0.5, math.Inf(1)}
	frac := []float64{0.6, 0.85, 0.97, 0.995, 1}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		q := r.Form.Get("query")
		type series struct {
			Metric map[string]string `json:"metric"`
			Values [][]any           `json:"values,omitempty"`
			Value  []any             `json:"value,omitempty"`
		}
		var out []series
		num := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
		le := func(i int) string {
			if math.IsInf(les[i], 1) {
				return "+Inf"
			}
			return num(les[i])
		}
		kind := "matrix"
		switch {
		case strings.Contains(q, "ghost"):
		case strings.HasSuffix(r.URL.Path, "/query"):
			kind = "vector"
			ts, _ := strconv.ParseFloat(r.Form.Get("time"), 64)
			if strings.Contains(q, "kube_pod_created") {
				for i, v := range []float64{88, 90, 93} {
					out = append(out, series{Metric: map[string]string{"pod": fmt.Sprint("p", i)}, Value: []any{ts, num(v)}})
				}
			} else {
				for i := range les {
					out = append(out, series{Metric: map[string]string{"le": le(i)}, Value: []any{ts, num(1e6 * frac[i])}})
				}
			}
		default:
			start, _ := strconv.ParseFloat(r.Form.Get("start"), 64)
			end, _ := strconv.ParseFloat(r.Form.Get("end"), 64)
			step, _ := strconv.ParseFloat(r.Form.Get("step"), 64)
			val := func(t float64) []float64 {
				switch {
				case strings.Contains(q, "sum by (le)"):
					v := make([]float64, len(les))
					for i := range les {
						v[i] = frac[i] * rate(t)
					}
					return v
				case strings.Contains(q, `code=~`):
					return []float64{0.001 * rate(t)}
				case strings.Contains(q, "replicas"):
					return []float64{ready(t)}
				case strings.Contains(q, "container_cpu"):
					return []float64{0.020 + 0.020*rate(t)/ready(t)}
				case strings.Contains(q, "container_memory"):
					return []float64{300 << 20}
				case strings.Contains(q, "_sum"):
					return []float64{0.05}
				}
				return []float64{rate(t)}
			}
			n := int(math.Round((end-start)/step)) + 1
			for k := range n {
				t := start + float64(k)*step
				for i, v := range val(t) {
					for len(out) <= i {
						m := map[string]string{}
						if strings.Contains(q, "sum by (le)") {
							m["le"] = le(len(out))
						}
						out = append(out, series{Metric: m})
					}
					out[i].Values = append(out[i].Values, []any{t, num(v)})
				}
			}
		}
		if out == nil {
			out = []series{}
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"status": "success", "data": map[string]any{"resultType": kind, "result": out}})
	}))
	tb.Cleanup(srv.Close)
	return srv.URL
}

// backtestPlan is the e2e suite's truth plan with n copies of its service
// (api, api-2, …) and, with ghost, one Prometheus knows nothing of.
func backtestPlan(tb testing.TB, n int, ghost bool) string {
	src, err := os.ReadFile("../../hack/backtestgen/testdata/truth.yaml")
	if err != nil {
		tb.Fatal(err)
	}
	s := string(src)
	i, j := strings.Index(s, "  - name: api\n"), strings.Index(s, "scenarios:\n")
	svc := s[i:j]
	var more strings.Builder
	for k := 2; k <= n; k++ {
		more.WriteString(strings.ReplaceAll(svc, "name: api", fmt.Sprintf("name: api-%d", k)))
	}
	if ghost {
		more.WriteString(strings.ReplaceAll(svc, "name: api", "name: ghost"))
	}
	s = s[:j] + more.String() + s[j:]
	path := filepath.Join(tb.TempDir(), "plan.yaml")
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		tb.Fatal(err)
	}
	return path
}

const backtestEnd = "2026-11-27T00:00:00Z"

// TestBacktest_CLI: a service Prometheus has no samples for fails alone,
// named with its query and range, the other is backtested, and the command
// exits 1; the JSON result and the figures are written.
func TestBacktest_CLI(t *testing.T) {
	url := fakeProm(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "bt.json")
	stdout, stderr, code := runCLI(t, "", "backtest", "-f", backtestPlan(t, 1, true), "--prometheus-url", url, "--end", backtestEnd,
		"--window", "2d", "--out-file", out, "--plots", filepath.Join(dir, "plots"))
	if code != exitError {
		t.Fatalf("exit %d, want 1\n%s%s", code, stdout, stderr)
	}
	var bt record.Backtest
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &bt); err != nil {
		t.Fatal(err)
	}
	if len(bt.Services) != 1 || bt.Services[0].Service != "api" || len(bt.Failures) != 1 {
		t.Fatalf("services %d, failures %+v", len(bt.Services), bt.Failures)
	}
	f := bt.Failures[0]
	if f.Service != "ghost" || !strings.Contains(f.Query, `pod=~"ghost-`) || !strings.Contains(f.Error, "matched no series") || f.From.Format(time.RFC3339) != "2026-11-25T00:00:00Z" {
		t.Errorf("failure %+v", f)
	}
	if !strings.Contains(stderr, "service ghost could not be backtested") || !strings.Contains(stdout, "! ghost: not backtested") {
		t.Errorf("stderr:\n%s\nstdout:\n%s", stderr, stdout)
	}
	if _, err := os.Stat(filepath.Join(dir, "plots", "api-backtest.svg")); err != nil {
		t.Error(err)
	}
	s := bt.Services[0]
	if s.Measures.ObservedStartupSeconds == nil || *s.Measures.ObservedStartupSeconds != 90 || s.InitialReplicas < 2 {
		t.Errorf("startup %v, initial replicas %d", s.Measures.ObservedStartupSeconds, s.InitialReplicas)
	}
}

func TestBacktest_Usage(t *testing.T) {
	plan := "../../hack/backtestgen/testdata/truth.yaml"
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-f", plan}, "--prometheus-url is required"},
		{[]string{"-f", plan, "--prometheus-url", "localhost:9090"}, "must start with http://"},
		{[]string{"-f", plan, "--prometheus-url", "http://x", "--window", "12h"}, "shorter than a day"},
		{[]string{"--prometheus-url", "http://x"}, "-f/--filename is required"},
		{[]string{"-f", plan, "--prometheus-url", "http://x", "--end", "yesterday"}, "not an RFC 3339 time"},
		{[]string{"-f", plan, "--prometheus-url", "http://x", "--service", "nope"}, `--service "nope"`},
	} {
		_, stderr, code := runCLI(t, "", append([]string{"backtest"}, tc.args...)...)
		if code != exitUsage || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tc.args, code, stderr, tc.want)
		}
	}
}

// TestReport_BacktestFile: report refuses a backtest result that is not
// one, or is of another plan.
func TestReport_BacktestFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := `{"plan":"p","start":"2026-11-25T00:00:00Z","end":"2026-11-27T00:00:00Z","stepSeconds":60,"verdict":"agrees","tolerances":{"replicasAgreeShare":0.9,"cpuMape":0.15,"p95RatioMin":0.8,"p95RatioMax":1.25,"startupRatioMin":0.75,"startupRatioMax":1.33,"scaleLagSeconds":120,"budgetBurnAbs":0.1,"budgetBurnRel":0.25},"services":[SVC]}`
	for _, tc := range []struct{ body, want string }{
		{`{"verdict":"agrees","extra":1}`, `unknown field "extra"`},
		{strings.Replace(strings.Replace(good, "SVC", "", 1), `"agrees"`, `"maybe"`, 1), `verdict "maybe"`},
		{strings.Replace(good, "SVC", `{"service":"checkout","verdict":"agrees","initialReplicas":2,"hpa":true,"measures":{"points":0,"replicasMae":0,"replicasEqualShare":0,"replicasWithinOneShare":0,"replicasWithinBandShare":0,"replicasBand":0.1,"observedScaleEvents":0,"simulatedScaleEvents":0,"matchedScaleEvents":0,"planStartupSeconds":0},"checks":[],"series":[]}`, 1), `"checkout" is not a service of the plan`},
	} {
		_, stderr, code := runCLI(t, "", "report", "-f", noaPlan, "--backtest", write("bt.json", tc.body), "--out-dir", filepath.Join(dir, "r"), "--plots", "none")
		if code != exitError || !strings.Contains(stderr, tc.want) {
			t.Errorf("exit %d, stderr %q; want 1 and %q", code, stderr, tc.want)
		}
	}
}

// BenchmarkBacktestCLI20Services is the speed target end to end:
// 14 days at one-minute steps for 20 services against a fake Prometheus
// (its answers, JSON decoding included, are part of the time).
func BenchmarkBacktestCLI20Services(b *testing.B) {
	url := fakeProm(b)
	plan := backtestPlan(b, 20, false)
	for range b.N {
		out, errOut, code := runCLI(b, "", "backtest", "-f", plan, "--prometheus-url", url, "--end", backtestEnd, "--window", "14d", "-o", "json")
		if code != exitOK && code != exitCheckFailed {
			b.Fatalf("exit %d: %s", code, errOut)
		}
		if !strings.Contains(out, `"service": "api-20"`) {
			b.Fatal("api-20 missing")
		}
	}
}
