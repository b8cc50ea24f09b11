package scenarios

import (
	"math"
	"strings"
	"testing"

	"github.com/headroom-dev/headroom/model"
)

// mixYAML replaces minimal.yaml's serviceTime by a two-endpoint mix: a
// cheap read (no serviceTime: the service's 200 ms / p95 500 ms) and an
// expensive write with its own.
const mixYAML = `    endpoints:
      - name: read
        path: /api/items
        weight: 3
        headers:
          - {name: Accept, value: application/json}
          - name: Authorization
            valueFrom: {env: API_TOKEN}
      - name: write
        method: POST
        path: /api/items
        weight: 1
        body: '{"id": 7}'
        serviceTime: {mean: 600ms, cv: 0.5}
        cpuPerRequest: 50ms
`

func mixPlan(t *testing.T, edit func(string) string) (*Plan, error) {
	t.Helper()
	src := strings.Replace(readTestdata(t, "minimal.yaml"), "    concurrency: 4\n", "    concurrency: 4\n"+mixYAML, 1)
	if edit != nil {
		src = edit(src)
	}
	return Parse("mix.yaml", []byte(src))
}

func TestEndpoints_Workload(t *testing.T) {
	p, err := mixPlan(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := &p.Services[0]
	readCS2, err := s.ServiceTime.cs2() // the service's: mean 200ms, p95 500ms
	if err != nil {
		t.Fatal(err)
	}
	mean, cs2, err := model.Mixture([]model.MixtureComponent{{Weight: 3, Mean: 0.2, CS2: readCS2}, {Weight: 1, Mean: 0.6, CS2: 0.25}})
	if err != nil {
		t.Fatal(err)
	}
	w, err := s.Workload(10)
	if err != nil {
		t.Fatal(err)
	}
	// 0.75·0.2 + 0.25·0.6 = 0.3 s.
	if math.Abs(mean-0.3) > 1e-12 || w.ServiceMean != mean || w.ServiceCS2 != cs2 || w.ServiceFamily != "" {
		t.Errorf("workload mean %g cs2 %g family %q; mixture %g %g", w.ServiceMean, w.ServiceCS2, w.ServiceFamily, mean, cs2)
	}
	// CPU: 0.75·20ms (the service's) + 0.25·50ms.
	if got, want := w.CPUPerRequest, 0.75*0.02+0.25*0.05; math.Abs(got-want) > 1e-15 {
		t.Errorf("cpu per request %g, want %g", got, want)
	}
	if s.ServiceMean() != mean {
		t.Errorf("ServiceMean %g, want %g", s.ServiceMean(), mean)
	}
	if s.Endpoints[1].EndpointMethod() != "POST" || s.Endpoints[0].EndpointMethod() != "GET" {
		t.Errorf("methods %q %q", s.Endpoints[0].EndpointMethod(), s.Endpoints[1].EndpointMethod())
	}
}

// TestEndpoints_Optional: with every endpoint's serviceTime and cpu, the
// service needs neither, and giving them is refused as unused.
func TestEndpoints_Optional(t *testing.T) {
	own := func(src string) string {
		src = strings.Replace(src, "    serviceTime:\n      mean: 200ms\n      p95: 500ms\n", "", 1)
		src = strings.Replace(src, "    cpu:\n      perRequest: 20ms\n", "", 1)
		return strings.Replace(src, "        weight: 3\n", "        weight: 3\n        serviceTime: {mean: 100ms}\n        cpuPerRequest: 10ms\n", 1)
	}
	p, err := mixPlan(t, own)
	if err != nil {
		t.Fatal(err)
	}
	w, err := p.Services[0].Workload(1)
	if err != nil {
		t.Fatal(err)
	}
	if got := w.ServiceMean; math.Abs(got-(0.75*0.1+0.25*0.6)) > 1e-12 {
		t.Errorf("mean %g", got)
	}
	_, err = mixPlan(t, func(src string) string {
		return strings.Replace(src, "        weight: 3\n", "        weight: 3\n        serviceTime: {mean: 100ms}\n        cpuPerRequest: 10ms\n", 1)
	})
	for _, want := range []string{
		"mix.yaml:12:5: services[api].serviceTime: is unused: every endpoint has its own serviceTime",
		"mix.yaml:33:5: services[api].cpu: perRequest and observedPerPod are unused",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v\nwant %q", err, want)
		}
	}
}

func TestEndpoints_BadInput(t *testing.T) {
	for _, tc := range []struct {
		name, old, new, want string
	}{
		{"duplicate name", "      - name: write", "      - name: read",
			"services[api].endpoints[1].name: duplicate endpoint name \"read\""},
		{"zero weight", "weight: 1\n", "weight: 0\n",
			"mix.yaml:27:17: services[api].endpoints[write].weight: must be a finite number greater than 0, got 0"},
		{"missing weight", "        weight: 1\n", "",
			"services[api].endpoints[write].weight: is required"},
		{"body and bodyFile", "        body: '{\"id\": 7}'\n", "        body: '{\"id\": 7}'\n        bodyFile: b.json\n",
			"services[api].endpoints[write]: give either body or bodyFile, not both"},
		{"unknown method", "method: POST", "method: post",
			"mix.yaml:25:17: services[api].endpoints[write].method: must be one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS, got \"post\""},
		{"relative path", "        path: /api/items\n        weight: 1", "        path: api/items\n        weight: 1",
			"services[api].endpoints[write].path: must start with '/'"},
		{"valueFrom both", "{env: API_TOKEN}", "{env: API_TOKEN, file: tok}",
			"mix.yaml:23:24: services[api].endpoints[read].headers[Authorization].valueFrom: give either env or file, not both"},
		{"valueFrom neither", "{env: API_TOKEN}", "{}",
			"services[api].endpoints[read].headers[Authorization].valueFrom: give env (an environment variable) or file"},
		{"value and valueFrom", "            valueFrom: {env: API_TOKEN}", "            value: x\n            valueFrom: {env: API_TOKEN}",
			"services[api].endpoints[read].headers[Authorization]: give either value or valueFrom, not both"},
		{"bad env", "{env: API_TOKEN}", "{env: 1TOKEN}",
			"services[api].endpoints[read].headers[Authorization].valueFrom.env: \"1TOKEN\" is not a valid environment variable name"},
		{"bad header name", "{name: Accept, value", "{name: \"Acc ept\", value",
			"services[api].endpoints[read].headers[0].name: \"Acc ept\" is not a valid header name"},
		{"header without value", "{name: Accept, value: application/json}", "{name: Accept}",
			"services[api].endpoints[read].headers[Accept]: give value or valueFrom"},
		{"bad endpoint serviceTime", "{mean: 600ms, cv: 0.5}", "{mean: 600ms, cv: 0.5, p95: 1s}",
			"services[api].endpoints[write].serviceTime: give either p95 or cv, not both"},
		{"endpoint p95 below mean", "{mean: 600ms, cv: 0.5}", "{mean: 600ms, p95: 100ms}",
			"services[api].endpoints[write].serviceTime.p95: must be above the mean 600ms, got 100ms"},
		{"negative cpu", "cpuPerRequest: 50ms", "cpuPerRequest: -5ms",
			"services[api].endpoints[write].cpuPerRequest: CPU time per request must be greater than 0"},
		{"unknown field", "        body: '", "        bdy: x\n        body: '",
			"services[api].endpoints[write].bdy: unknown field \"bdy\""},
		{"no service serviceTime", "    serviceTime:\n      mean: 200ms\n      p95: 500ms\n", "",
			"services[api].serviceTime.mean: is required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := mixPlan(t, func(src string) string {
				if !strings.Contains(src, tc.old) {
					t.Fatalf("%q not in the plan", tc.old)
				}
				return strings.Replace(src, tc.old, tc.new, 1)
			})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v\nwant %q", err, tc.want)
			}
		})
	}
}

// TestEndpoints_None: a service without endpoints keeps today's workload.
func TestEndpoints_None(t *testing.T) {
	p, err := Parse("minimal.yaml", []byte(readTestdata(t, "minimal.yaml")))
	if err != nil {
		t.Fatal(err)
	}
	s := &p.Services[0]
	w, err := s.Workload(1)
	if err != nil {
		t.Fatal(err)
	}
	cs2, _ := s.ServiceTime.cs2()
	if w.ServiceMean != 0.2 || w.ServiceCS2 != cs2 || w.CPUPerRequest != 0.02 || s.ServiceMean() != 0.2 {
		t.Errorf("workload %+v", w)
	}
}
