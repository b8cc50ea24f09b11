package scenarios

import (
	"os"
	"strings"
	"testing"
)

func readTestdata(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestParse_Minimal(t *testing.T) {
	p, err := Parse("minimal.yaml", []byte(readTestdata(t, "minimal.yaml")))
	if err != nil {
		t.Fatal(err)
	}
	s := p.Services[0]
	if s.WorkloadRef.Kind != "Deployment" || s.WorkloadRef.Name != "api" || s.Container != "api" {
		t.Errorf("defaults not applied: %+v", s.WorkloadRef)
	}
	if s.HPA.ScaleTargetRef.Name != "api" {
		t.Errorf("HPA scaleTargetRef not defaulted: %+v", s.HPA.ScaleTargetRef)
	}
	if got := s.RequestRate.PerSecond; got != 1000.0/60 {
		t.Errorf("requestRate = %g/s", got)
	}
	if p.Seed != DefaultSeed || p.Scenarios[0].Mode != ModeMultiplier {
		t.Errorf("plan defaults not applied: seed %d, mode %q", p.Seed, p.Scenarios[0].Mode)
	}
}

// TestParse_BadInput checks one message for every class of bad input: the
// position, the field path and what is allowed.
func TestParse_BadInput(t *testing.T) {
	tests := []struct {
		name     string
		old, new string // replace old by new in minimal.yaml
		want     string
	}{
		{"wrong apiVersion", "headroom.dev/v1alpha1", "headroom.dev/v2",
			`bad.yaml:1:13: apiVersion: must be "headroom.dev/v1alpha1", got "headroom.dev/v2"`},
		{"unknown field", "    concurrency: 4", "    concurrency: 4\n    concurency: 4",
			`bad.yaml:16:5: services[api].concurency: unknown field "concurency"; did you mean "concurrency"?`},
		{"zero rate", "1000/min", "0/min",
			`bad.yaml:11:18: services[api].requestRate: must be greater than 0, got 0/min; give the observed rate, e.g. "1000/min"`},
		{"negative rate", "1000/min", "-5/s",
			`bad.yaml:11:18: services[api].requestRate: invalid value "-5/s": rate "-5/s" is negative`},
		{"rate without unit", "1000/min", "1000",
			`bad.yaml:11:18: services[api].requestRate: invalid value 1000: a rate is a string such as "1000/min" or "16.7/s", got 1000`},
		{"zero concurrency", "concurrency: 4", "concurrency: 0",
			`bad.yaml:15:18: services[api].concurrency: must be between 1 and 100000 (requests one pod serves at once), got 0`},
		{"utilisation target 100", "averageUtilization: 70", "averageUtilization: 100",
			``}, // the API server allows > 100; the SLO ceiling does not: see next case
		{"utilisation ceiling 100", "errorRate: 0.01", "errorRate: 0.01\n      maxUtilization: 100",
			`bad.yaml:32:23: services[api].slo.maxUtilization: must be between 1% and 99% (80% or 0.8), got 100%`},
		{"quantile outside (0,1)", "quantile: 0.95", "quantile: 95",
			`bad.yaml:30:27: services[api].slo.latency.quantile: must be between 0 and 1 exclusive (0.95 or 95% for p95), got 95`},
		{"error rate", "errorRate: 0.01", "errorRate: 2",
			`bad.yaml:31:18: services[api].slo.errorRate: must be between 0% and 100% exclusive (1% or 0.01), got 2`},
		{"slo window too long", "errorRate: 0.01", "errorRate: 0.01\n      window: 25h",
			`bad.yaml:32:15: services[api].slo.window: the error-budget window must be between 1m0s and 24h0m0s, got 25h0m0s`},
		{"slo window too short", "errorRate: 0.01", "errorRate: 0.01\n      window: 30s",
			`bad.yaml:32:15: services[api].slo.window: the error-budget window must be between 1m0s and 24h0m0s, got 30s`},
		{"slo window zero", "errorRate: 0.01", "errorRate: 0.01\n      window: 0s",
			`bad.yaml:32:15: services[api].slo.window: the error-budget window must be between 1m0s and 24h0m0s, got 0s`},
		{"p95 below mean", "p95: 500ms", "p95: 100ms",
			`bad.yaml:14:12: services[api].serviceTime.p95: must be above the mean 200ms, got 100ms`},
		{"bad duration", "mean: 200ms", "mean: 200",
			`bad.yaml:13:13: services[api].serviceTime.mean: invalid value 200: a duration is a string such as "250ms", "90s" or "1h30m", got 200`},
		{"bad quantity", "cpu: 500m, memory", "cpu: 5x, memory",
			`bad.yaml:9:23: services[api].resources.requests.cpu: invalid quantity "5x"; write a number with an optional suffix, such as 500m, 2, 1.5 or 512Mi`},
		{"limit below request", `limits: {cpu: "1"`, `limits: {cpu: "100m"`,
			`bad.yaml:10:21: services[api].resources.limits.cpu: 100m is below the request 500m; a limit must be at least the request`},
		{"missing memory request", "requests: {cpu: 500m, memory: 512Mi}", "requests: {cpu: 500m}",
			`bad.yaml:9:17: services[api].resources.requests.memory: is required: the model sizes against requests`},
		{"HPA min above max", "maxReplicas: 10", "maxReplicas: 2",
			`bad.yaml:23:20: services[api].hpa.maxReplicas: must be greater than or equal to ` + "`minReplicas`" + `, got 2 < minReplicas 3; raise maxReplicas or lower minReplicas`},
		{"duplicate service", "scenarios:", "  - name: api\n" + strings.Repeat(" ", 0) + "scenarios:",
			`bad.yaml:32:11: services[1].name: duplicate service name "api"; names must be unique`},
		{"zone losses", "    slo:", "    redundancy: {zones: 2, zoneLosses: 2}\n    slo:",
			`bad.yaml:29:40: services[api].redundancy.zoneLosses: must be between 0 and zones-1 (1), got 2`},
		{"two profile kinds", "- spike: {at: 1h, hold: 30m, multiplier: 3}", "- spike: {at: 1h, hold: 30m, multiplier: 3}\n        step: {at: 1h, multiplier: 2}",
			`bad.yaml:38:9: scenarios[peak].profile[0]: set exactly one of schedule, diurnal, ramp, step, spike, growth, noise, replay (got 2)`},
		{"scenario duration", "duration: 1h", "duration: 0s",
			`bad.yaml:34:15: scenarios[steady].duration: must be greater than 0 and at most 400 days (9600h), got 0s`},
		{"negative scenario weight", "    duration: 1h", "    duration: 1h\n    weight: -1",
			`bad.yaml:35:13: scenarios[steady].weight: must be a number from 0 to 1000 (how often the scenario occurs relative to the others), got -1`},
		{"unknown service in scenario", "    duration: 1h", "    duration: 1h\n    services: [web]",
			`bad.yaml:35:16: scenarios[steady].services[0]: no service named "web" in this plan`},
		{"tick that does not divide the periods", "pricePerHour: 0.2\n", "pricePerHour: 0.2\nsimulation: {tick: 7s}\n",
			`bad.yaml:44:20: simulation.tick: must divide the cluster autoscaler's 10s scan interval, got 7s`},
		{"tick too small", "pricePerHour: 0.2\n", "pricePerHour: 0.2\nsimulation: {tick: 1us}\n",
			`bad.yaml:44:20: simulation.tick: must be between 10ms and 1m, got 1µs`},
		{"metrics window too long", "pricePerHour: 0.2\n", "pricePerHour: 0.2\nsimulation: {metricsWindow: 2h}\n",
			`bad.yaml:44:29: simulation.metricsWindow: must be between the tick 1s and 10m0s, got 2h0m0s`},
		{"scheduled min above max", "    slo:", "    scheduledScaling: [{at: \"08:00\", minReplicas: 12}]\n    slo:",
			`bad.yaml:29:24: services[api].scheduledScaling[0]: leaves minReplicas 12 above maxReplicas 10, which the API server refuses; patch both`},
		{"container resource of another container", "        - type: Resource\n          resource:\n            name: cpu",
			"        - type: ContainerResource\n          containerResource:\n            container: sidecar\n            name: cpu",
			`bad.yaml:27:24: services[api].hpa.metrics[0].containerResource.container: headroom models one container, "api" (the service's container); got "sidecar"`},
		{"resource the simulator cannot produce", "            name: cpu\n", "            name: nvidia.com/gpu\n",
			`bad.yaml:27:19: services[api].hpa.metrics[0].resource.name: headroom simulates cpu and memory, got "nvidia.com/gpu"`},
		{"absurd rate", "1000/min", "1e12/s",
			`bad.yaml:11:18: services[api].requestRate: 1e12/s is more than a billion requests per second; check the unit`},
		{"scenario name with a path", "  - name: peak", "  - name: ../../../../pwn",
			`bad.yaml:35:11: scenarios[1].name: "../../../../pwn" is not a valid name: use lowercase letters, digits and '-'`},
		{"scenario name with a newline", "  - name: peak", "  - name: \"peak\\nkind: ClusterRoleBinding\"",
			`scenarios[1].name: "peak\nkind: ClusterRoleBinding" is not a valid name`},
		{"scenario name with a slash", "  - name: peak", "  - name: a/b",
			`bad.yaml:35:11: scenarios[1].name: "a/b" is not a valid name`},
		{"long scenario name", "  - name: peak", "  - name: " + strings.Repeat("a", 100000),
			`bad.yaml:35:11: scenarios[1].name: "aaaa`},
		{"plan name with NUL", "  name: minimal", "  name: \"mini\\0mal\"",
			`bad.yaml:4:9: metadata.name: "mini\x00mal" is not a valid name`},
		{"namespace", "  - name: api", "  - name: api\n    namespace: \"team a\"",
			`services[api].namespace: "team a" is not a valid name`},
		{"spike of 1e308", "multiplier: 3}", "multiplier: 1e308}",
			`bad.yaml:38:48: scenarios[peak].profile[0].spike.multiplier: must be at most 1e+06 (times today's traffic), got 1e+308; check the unit`},
		{"growth of 1e308 percent", "- spike: {at: 1h, hold: 30m, multiplier: 3}", "- growth: {percent: 1e308}",
			`scenarios[peak].profile[0].growth.percent: must be above -100 and at most 9.99999e+07 (100 doubles the traffic), got 1e+308`},
		{"missing request rate", "    requestRate: 1000/min\n", "",
			`services[api].requestRate: is required (the observed request rate, e.g. "1000/min")`},
		{"missing scenario duration", "    duration: 1h\n", "",
			`scenarios[steady].duration: is required (how long the scenario runs, e.g. 24h)`},
		{"missing concurrency", "    concurrency: 4\n", "",
			`services[api].concurrency: is required (requests one pod serves at once, e.g. 4)`},
		{"unknown load-balancing policy", "    concurrency: 4\n", "    concurrency: 4\n    loadBalancing: {policy: fastest}\n",
			`bad.yaml:16:29: services[api].loadBalancing.policy: unknown policy "fastest"; use random, round-robin, least-request, least-connection or shared-queue`},
		{"one choice", "    concurrency: 4\n", "    concurrency: 4\n    loadBalancing: {policy: least-request, choices: 1}\n",
			`bad.yaml:16:53: services[api].loadBalancing.choices: must be at least 2 (one choice is random), got 1`},
		{"more choices than pods", "    concurrency: 4\n", "    concurrency: 4\n    loadBalancing: {policy: least-request, choices: 11}\n",
			`bad.yaml:16:53: services[api].loadBalancing.choices: must be at most the 10 pods the service can run (maxReplicas, or replicas without an HPA), got 11`},
		{"choices without least-request", "    concurrency: 4\n", "    concurrency: 4\n    loadBalancing:\n      policy: round-robin\n      choices: 2\n",
			`bad.yaml:18:16: services[api].loadBalancing.choices: applies to least-request only (policy is round-robin); remove it or set policy: least-request`},
		{"choices with the default policy", "    concurrency: 4\n", "    concurrency: 4\n    loadBalancing: {choices: 2}\n",
			`bad.yaml:16:30: services[api].loadBalancing.choices: applies to least-request only (policy is random, the default); remove it or set policy: least-request`},
		{"ten choices of ten pods", "    concurrency: 4\n", "    concurrency: 4\n    loadBalancing: {policy: least-request, choices: 10}\n", ``},
		{"no node types", "  nodeTypes:\n    - name: small\n      allocatable: {cpu: \"4\", memory: 16Gi}\n      pricePerHour: 0.2\n", "  nodeTypes: []\n",
			`bad.yaml:40:14: cluster.nodeTypes: a plan needs at least one node type to pack pods onto`},
	}
	base := readTestdata(t, "minimal.yaml")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !strings.Contains(base, tt.old) {
				t.Fatalf("minimal.yaml has no %q", tt.old)
			}
			_, err := Parse("bad.yaml", []byte(strings.Replace(base, tt.old, tt.new, 1)))
			if tt.want == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, want %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error:\n%v\nwant it to contain:\n%s", err, tt.want)
			}
		})
	}
}

func TestExample_NOA(t *testing.T) {
	p, err := Example("noa.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Services) != 6 || len(p.Scenarios) < 3 {
		t.Errorf("noa.yaml has %d services and %d scenarios", len(p.Services), len(p.Scenarios))
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(readTestdata(f, "minimal.yaml")))
	noa, err := examples.ReadFile("examples/noa.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(noa)
	f.Add([]byte("apiVersion: headroom.dev/v1alpha1\nkind: CapacityPlan\nservices: [{name: a}]\n"))
	f.Add([]byte(strings.Replace(readTestdata(f, "minimal.yaml"), "      mean: 200ms\n      p95: 500ms\n", "      distribution: empirical\n      histogram: [{le: 10ms, count: 40}, {le: 25ms, count: 50}]\n", 1)))
	f.Add([]byte(strings.Replace(readTestdata(f, "minimal.yaml"), "    concurrency: 4\n", "    concurrency: 4\n    loadBalancing: {policy: least-request, choices: 3}\n", 1)))
	f.Add([]byte(strings.Replace(readTestdata(f, "minimal.yaml"), "    concurrency: 4\n", "    concurrency: 4\n"+mixYAML, 1)))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := Parse("fuzz.yaml", data)
		if err != nil {
			if strings.Contains(err.Error(), "NaN") && !strings.Contains(string(data), "nan") && !strings.Contains(string(data), "NaN") {
				t.Fatalf("error mentions NaN the input did not have: %v", err)
			}
		}
		// capacity.FuzzSize sizes the plans that validate.
	})
}
