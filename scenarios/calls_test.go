package scenarios

import (
	"math"
	"strings"
	"testing"
)

func TestCalls_RatesAddAlongTheGraph(t *testing.T) {
	p, err := Parse("calls.yaml", []byte(readTestdata(t, "calls.yaml")))
	if err != nil {
		t.Fatal(err)
	}
	// web 100/s external; api 20/s + 100·1; db 2·api; audit 0.5·api.
	want := map[string]float64{"web": 100, "api": 120, "db": 240, "audit": 60}
	for name, w := range want {
		if got := p.Service(name).TotalRate(); math.Abs(got-w) > 1e-9 {
			t.Errorf("%s: TotalRate = %g, want %g", name, got, w)
		}
	}
	order, cycle := p.CallOrder()
	if cycle != nil {
		t.Fatalf("cycle %v", cycle)
	}
	pos := map[string]int{}
	for k, i := range order {
		pos[p.Services[i].Name] = k
	}
	for i := range p.Services {
		for _, c := range p.Services[i].Calls {
			if pos[p.Services[i].Name] > pos[c.Service] {
				t.Errorf("order %v puts %s after its callee %s", order, p.Services[i].Name, c.Service)
			}
		}
	}
	// A scenario covering every service scales everything.
	rates := p.ScenarioRates(p.Scenario("double"))
	for name, w := range want {
		if got := rates[name].At(2); math.Abs(got-2*w) > 1e-9 || rates[name].Fixed != 0 {
			t.Errorf("double: %s = %+v, want %g scaled", name, rates[name], w)
		}
	}
	// web-only covers web and db: api keeps its own 20/s unscaled but
	// passes web's calls on scaled; db gets 2·(100·m) scaled + 2·20 fixed.
	rates = p.ScenarioRates(p.Scenario("web-only"))
	wantParts := map[string]ScenarioRate{
		"web": {Scaled: 100}, "api": {Scaled: 100, Fixed: 20},
		"db": {Scaled: 200, Fixed: 40}, "audit": {Scaled: 50, Fixed: 10},
	}
	for name, w := range wantParts {
		if got := rates[name]; math.Abs(got.Scaled-w.Scaled) > 1e-9 || math.Abs(got.Fixed-w.Fixed) > 1e-9 {
			t.Errorf("web-only: %s = %+v, want %+v", name, got, w)
		}
	}
	if got := p.ScenarioRate(p.Scenario("web-only"), "db"); got != rates["db"] {
		t.Errorf("ScenarioRate = %+v, want %+v", got, rates["db"])
	}
}

func TestCalls_NoCallsIsBaseRate(t *testing.T) {
	p, err := Parse("minimal.yaml", []byte(readTestdata(t, "minimal.yaml")))
	if err != nil {
		t.Fatal(err)
	}
	sc := p.Scenario("peak")
	if got := p.ScenarioRate(sc, "api"); got.Scaled != sc.BaseRate(&p.Services[0]) || got.Fixed != 0 {
		t.Errorf("ScenarioRate = %+v", got)
	}
	if got := p.Services[0].TotalRate(); got != p.Services[0].RequestRate.PerSecond {
		t.Errorf("TotalRate %g", got)
	}
}

func TestCalls_BadInput(t *testing.T) {
	tests := []struct {
		name, old, new, want string
	}{
		{"unknown service", "{service: db, perRequest: 2}", "{service: dbx, perRequest: 2}",
			`bad.yaml:31:19: services[api].calls[0].service: no service named "dbx" in the plan`},
		{"self call", "{service: db, perRequest: 2}", "{service: api, perRequest: 2}",
			`bad.yaml:31:19: services[api].calls[0].service: a service cannot call itself ("api")`},
		{"negative", "{service: db, perRequest: 2}", "{service: db, perRequest: -1}",
			`bad.yaml:31:35: services[api].calls[0].perRequest: must be in [0, 1000] calls per request, got -1`},
		{"too many", "{service: db, perRequest: 2}", "{service: db, perRequest: 1001}",
			`services[api].calls[0].perRequest: must be in [0, 1000] calls per request, got 1001`},
		{"unknown mode", "perRequest: 0.5, mode: async}", "perRequest: 0.5, mode: later}",
			`services[api].calls[1].mode: must be sync or async, got "later"`},
		{"cycle", "    slo:\n      latency: {quantile: 0.95, target: 100ms}\n  - name: audit",
			"    slo:\n      latency: {quantile: 0.95, target: 100ms}\n    calls: [{service: web, perRequest: 1}]\n  - name: audit",
			`bad.yaml:18:19: services[web].calls[0].service: the calls form a cycle: web -> api -> db -> web; a call graph must have none`},
		{"missing perRequest", "{service: db, perRequest: 2}", "{service: db}",
			`services[api].calls[0].perRequest: is required`},
		{"uncalled service without rate", "    requestRate: 100/s\n", "",
			`services[web].requestRate: is required`},
	}
	src := readTestdata(t, "calls.yaml")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !strings.Contains(src, tt.old) {
				t.Fatalf("%q not in calls.yaml", tt.old)
			}
			_, err := Parse("bad.yaml", []byte(strings.Replace(src, tt.old, tt.new, 1)))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v\nwant it to contain %s", err, tt.want)
			}
			if !strings.Contains(err.Error(), "bad.yaml:") {
				t.Errorf("error %v has no file:line", err)
			}
		})
	}
}

// FuzzParseCalls: any calls list given to the database service either
// parses into an acyclic graph with finite rates or is refused with an
// error naming the file; it never panics.
func FuzzParseCalls(f *testing.F) {
	for _, seed := range []string{
		"[{service: web, perRequest: 1}]",
		"[{service: audit, perRequest: 0.25, mode: async}]",
		"[{service: db, perRequest: 1}]",
		"[{service: audit, perRequest: 1e309}]",
		"[{service: audit, perRequest: -0}]",
		"[{service: audit}]",
		"{}",
	} {
		f.Add(seed)
	}
	src := readTestdata(f, "calls.yaml")
	const anchor = "      latency: {quantile: 0.95, target: 100ms}\n"
	f.Fuzz(func(t *testing.T, calls string) {
		if strings.ContainsAny(calls, "\n\r") {
			return
		}
		data := strings.Replace(src, anchor, anchor+"    calls: "+calls+"\n", 1)
		p, err := Parse("fuzz.yaml", []byte(data))
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz.yaml") {
				t.Fatalf("error without the file: %v", err)
			}
			return
		}
		if _, cycle := p.CallOrder(); cycle != nil {
			t.Fatalf("accepted a cycle %v", cycle)
		}
		for i := range p.Services {
			if r := p.Services[i].TotalRate(); math.IsNaN(r) || math.IsInf(r, 0) || r < 0 {
				t.Fatalf("%s: rate %g", p.Services[i].Name, r)
			}
		}
	})
}
