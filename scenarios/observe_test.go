package scenarios

import (
	"math"
	"os"
	"strings"
	"testing"
	"time"
)

func TestReplay_Multiplier(t *testing.T) {
	m := time.Minute
	r := &Replay{Points: []ReplayPoint{
		{At: Duration(10 * m), Multiplier: 1},
		{At: Duration(20 * m), Multiplier: 3},
		{At: Duration(30 * m), Multiplier: 0.5},
	}}
	tests := []struct {
		name string
		at   time.Duration
		want float64
	}{
		{"before the first point holds the first value", 0, 1},
		{"at the first point", 10 * m, 1},
		{"halfway up", 15 * m, 2},
		{"at a middle point", 20 * m, 3},
		{"a fifth of the way down", 22 * m, 2.5},
		{"at the last point", 30 * m, 0.5},
		{"after the last point holds the last value", 5 * time.Hour, 0.5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc := &Scenario{Name: "r", Duration: Duration(time.Hour), Profile: []Component{{Replay: r}}}
			if got := sc.Traffic(1).Multiplier(tt.at); math.Abs(got-tt.want) > 1e-12 {
				t.Errorf("Multiplier(%s) = %g, want %g", tt.at, got, tt.want)
			}
		})
	}
}

func TestReplay_PeakFindsPointBetweenMinutes(t *testing.T) {
	// The peak sits at 90 s, between the one-minute samples of Peak: only
	// the breakpoints find it.
	sc := &Scenario{Name: "r", Duration: Duration(time.Hour), Profile: []Component{{Replay: &Replay{Points: []ReplayPoint{
		{At: 0, Multiplier: 1}, {At: Duration(90 * time.Second), Multiplier: 7}, {At: Duration(3 * time.Minute), Multiplier: 1},
	}}}}}
	p := sc.Peak(1)
	if p.Multiplier != 7 || p.At != 90*time.Second {
		t.Errorf("Peak = %+v, want 7 at 1m30s", p)
	}
}

func TestParse_ObserveAndReplay(t *testing.T) {
	p, err := Parse("observe.yaml", []byte(readTestdata(t, "observe.yaml")))
	if err != nil {
		t.Fatal(err)
	}
	if p.Observe == nil || p.Observe.Queries.RequestRate == "" || len(p.Observe.Services) != 1 {
		t.Fatalf("observe section not decoded: %+v", p.Observe)
	}
	sc := p.Scenario("replayed")
	if sc == nil || sc.Profile[0].Replay == nil || len(sc.Profile[0].Replay.Points) != 3 {
		t.Fatalf("replay not decoded: %+v", sc)
	}
	if got := sc.Peak(p.Seed).Multiplier; got != 1.5 {
		t.Errorf("replay peak = %g, want 1.5", got)
	}
}

func TestParse_ObserveAndReplayErrors(t *testing.T) {
	tests := []struct {
		name     string
		old, new string
		want     string
	}{
		{"unknown query name", "    requestRate: 'sum", "    requestRates: 'sum",
			`bad.yaml:54:5: observe.queries.requestRates: unknown field "requestRates"; did you mean "requestRate"?`},
		{"unknown placeholder", `namespace="$namespace"`, `namespace="$ns"`,
			`bad.yaml:54:18: observe.queries.requestRate: unknown placeholder $ns at position 39; known: namespace, workload, kind, pods, container, hpa, rate, window`},
		{"unclosed brace", `[${rate}]`, `[${rate]`,
			`bad.yaml:54:18: observe.queries.requestRate: ${ at position 66 is not closed by }`},
		{"unknown service", "    - name: api\n      queries:", "    - name: web\n      queries:",
			`bad.yaml:56:13: observe.services[0].name: no service named "web" in this plan`},
		{"points out of order", "- {at: 20m, multiplier: 1.5}", "- {at: 5m, multiplier: 1.5}",
			`scenarios[replayed].profile[0].replay.points[1]: at 5m0s is not after the previous point's 10m0s; points must be in increasing time order`},
		{"negative multiplier", "- {at: 20m, multiplier: 1.5}", "- {at: 20m, multiplier: -1}",
			`scenarios[replayed].profile[0].replay.points[1]: multiplier must be a finite number ≥ 0, got -1`},
		{"no points", "replay:\n          points:\n", "replay:\n          points: []\n          x:\n",
			`unknown field "x"`},
	}
	base := readTestdata(t, "observe.yaml")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !strings.Contains(base, tt.old) {
				t.Fatalf("observe.yaml has no %q", tt.old)
			}
			_, err := Parse("bad.yaml", []byte(strings.Replace(base, tt.old, tt.new, 1)))
			if err == nil {
				t.Fatalf("no error, want %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error:\n%v\nwant it to contain:\n%s", err, tt.want)
			}
		})
	}
}

func TestValidate_ReplayNeedsPoints(t *testing.T) {
	v := &validator{}
	v.replay("r", &Replay{})
	if len(v.errs) != 1 || !strings.Contains(v.errs[0].Error(), "r.points: a replay needs at least one point") {
		t.Errorf("errors = %v", v.errs)
	}
}

func TestParseQueryTemplate(t *testing.T) {
	vars := map[string]string{"namespace": "shop", "workload": "api", "rate": "5m", "pods": "api-.*"}
	tests := []struct {
		name, in, want, err string
	}{
		{"plain", `up`, `up`, ""},
		{"dollar names", `rate(x{namespace="$namespace",pod=~"$pods"}[$rate])`, `rate(x{namespace="shop",pod=~"api-.*"}[5m])`, ""},
		{"braced names", `a_${workload}_b`, `a_api_b`, ""},
		{"escaped dollar", `x$$y`, `x$y`, ""},
		{"name ends at a non-identifier byte", `$workload-x`, `api-x`, ""},
		{"empty", `  `, "", "the query is empty"},
		{"lone dollar", `x $ y`, "", "$ at position 3 must be followed by a placeholder name"},
		{"trailing dollar", `x$`, "", "$ at position 2 must be followed"},
		{"unknown", `$nope`, "", "unknown placeholder $nope at position 1"},
		{"unclosed", `${rate`, "", "${ at position 1 is not closed by }"},
		{"empty braces", `${}`, "", "$ at position 1 must be followed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := ParseQueryTemplate(tt.in)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("ParseQueryTemplate(%q) error = %v, want %q", tt.in, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, err := q.Expand(vars)
			if err != nil || got != tt.want {
				t.Errorf("Expand = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
	q, _ := ParseQueryTemplate(`$container`)
	if _, err := q.Expand(vars); err == nil || !strings.Contains(err.Error(), "no value for $container") {
		t.Errorf("Expand without a value: %v", err)
	}
}

func TestObserveQueries_Merge(t *testing.T) {
	got := ObserveQueries{CPU: "mine"}.Merge(ObserveQueries{CPU: "default", Memory: "mem"})
	if got.CPU != "mine" || got.Memory != "mem" || got.RequestRate != "" {
		t.Errorf("Merge = %+v", got)
	}
}

func FuzzParseQueryTemplate(f *testing.F) {
	b, err := os.ReadFile("testdata/observe.yaml")
	if err != nil {
		f.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if _, q, ok := strings.Cut(line, ": "); ok && strings.Contains(q, "$") {
			f.Add(strings.Trim(q, `'`))
		}
	}
	f.Add("$$ ${ $ $x ${window}")
	vars := map[string]string{}
	for _, p := range QueryPlaceholders {
		vars[p] = "<" + p + ">"
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := ParseQueryTemplate(s)
		if err != nil {
			return
		}
		out, err := q.Expand(vars)
		if err != nil {
			t.Fatalf("a parsed template does not expand: %v", err)
		}
		// Without placeholders the template is its own text, $$ aside.
		if !strings.Contains(s, "$") && out != s {
			t.Fatalf("Expand(%q) = %q", s, out)
		}
	})
}
