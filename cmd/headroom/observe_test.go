package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestObserve_Validate(t *testing.T) {
	ok := func() *observeOptions {
		o := newObserveOptions(ioStreams{})
		o.PrometheusURL, o.Filename = "http://localhost:9090", "plan.yaml"
		return o
	}
	tests := []struct {
		name string
		edit func(o *observeOptions)
		want string
	}{
		{"defaults", func(*observeOptions) {}, ""},
		{"no url", func(o *observeOptions) { o.PrometheusURL = "" }, "--prometheus-url is required"},
		{"url without scheme", func(o *observeOptions) { o.PrometheusURL = "localhost:9090" }, `--prometheus-url must start with http:// or https://, got "localhost:9090"`},
		{"no plan", func(o *observeOptions) { o.Filename = "" }, "-f/--filename is required"},
		{"bad report", func(o *observeOptions) { o.Report = "yaml" }, `--report must be table or json, got "yaml"`},
		{"bad rate", func(o *observeOptions) { o.Rate = "max" }, `--rate: rate statistic must be peak, p99, p95, p50 or mean, got "max"`},
		{"bad end", func(o *observeOptions) { o.End = "yesterday" }, `--end "yesterday" is not an RFC 3339 time`},
		{"step too long", func(o *observeOptions) { o.Step.d = 5 * 24 * time.Hour }, "--step 5d must be at most a third of --window 14d"},
		{"rate window below step", func(o *observeOptions) { o.Step.d = 10 * time.Minute }, "--rate-window 5m must be at least --step 10m"},
		{"level", func(o *observeOptions) { o.Level = 95 }, "--level must be between 0 and 1 exclusive"},
		{"min points", func(o *observeOptions) { o.MinPoints = 1 }, "--min-points must be at least 3, got 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := ok()
			tt.edit(o)
			err := o.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Validate() = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestObserve_Help(t *testing.T) {
	out, _, code := runCLI(t, "", "observe", "--help")
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"--prometheus-url", "--window", "# Fill a plan from the last 14 days", "observe:\n    queries:", "LOW CONFIDENCE"} {
		if !strings.Contains(out, want) {
			t.Errorf("help lacks %q", want)
		}
	}
}

func TestObserve_Exits(t *testing.T) {
	empty := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"status":"success","data":{"resultType":"matrix","result":[]}}`))
	}))
	defer empty.Close()
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"bad window", []string{"--window", "14x"}, exitUsage, `--window "14x" is not a duration`},
		{"unknown service", []string{"--service", "web"}, exitUsage, `--service "web": the plan has no such service`},
		{"no data", nil, exitError, "service noa-mcp: request rate: query sum(rate(http_requests_total{namespace=\"noa-server\",pod=~\"noa-mcp-[a-z0-9]+-[a-z0-9]+\"}[5m])) matched no series"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"observe", "--prometheus-url", empty.URL, "-f", noaPlan, "--end", "2026-11-27T00:00:00Z"}, tt.args...)
			_, errOut, code := runCLI(t, "", args...)
			if code != tt.code || !strings.Contains(errOut, tt.want) {
				t.Errorf("exit %d, stderr:\n%s\nwant exit %d and %q", code, errOut, tt.code, tt.want)
			}
		})
	}
}
