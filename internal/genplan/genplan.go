// Package genplan generates synthetic capacity plans of many services and
// scenarios: hack/genplan writes them for benchmarks on plans larger than
// the examples, and the fluid-versus-DES referee (package sim's tests) runs
// small ones.
package genplan

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// Generate returns the plan as YAML. Services vary in rate, service time
// (exponential, given CV, or p95), concurrency and CPU; every service has a
// CPU HPA; scenarios cycle through schedule, diurnal, spike, growth, ramp.
func Generate(services, scenarios int, seed uint64) string {
	rng := rand.New(rand.NewPCG(seed, seed^0x5eed))
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: headroom.dev/v1alpha1\nkind: CapacityPlan\nmetadata: {name: generated-%d}\nservices:\n", services)
	for i := range services {
		st := fmt.Sprintf("{mean: %dms}", 20+rng.IntN(300))
		switch i % 3 {
		case 1:
			st = fmt.Sprintf("{mean: %dms, cv: %.2f}", 20+rng.IntN(300), 0.5+rng.Float64())
		case 2:
			m := 20 + rng.IntN(300)
			st = fmt.Sprintf("{mean: %dms, p95: %dms}", m, m*(2+rng.IntN(3)))
		}
		replicas := 2 + rng.IntN(8)
		fmt.Fprintf(&b, `  - name: svc-%03d
    replicas: %d
    resources:
      requests: {cpu: %dm, memory: %dMi}
    requestRate: %d/s
    serviceTime: %s
    concurrency: %d
    cpu: {perRequest: %dms}
    memory: {base: 200Mi, perInFlight: 1Mi}
    hpa:
      minReplicas: 2
      maxReplicas: %d
      metrics:
        - type: Resource
          resource: {name: cpu, target: {type: Utilization, averageUtilization: 70}}
    slo:
      latency: {quantile: 0.95, target: 2s}
    redundancy: {zones: 3, zoneLosses: %d}
`, i, replicas, 250*(1+rng.IntN(4)), 256*(1+rng.IntN(4)), 5+rng.IntN(500), st,
			1+rng.IntN(16), 1+rng.IntN(20), 20+rng.IntN(80), i%2)
	}
	b.WriteString("scenarios:\n")
	for j := range scenarios {
		switch j % 5 {
		case 0:
			fmt.Fprintf(&b, "  - name: sc-%d\n    duration: 24h\n    profile:\n      - schedule: {windows: [{from: \"12:00\", to: \"20:00\", multiplier: 2}]}\n", j)
		case 1:
			fmt.Fprintf(&b, "  - name: sc-%d\n    duration: 168h\n    profile:\n      - diurnal: {min: 0.3, max: 1.5, peak: \"15:00\"}\n", j)
		case 2:
			fmt.Fprintf(&b, "  - name: sc-%d\n    duration: 6h\n    profile:\n      - spike: {at: 1h, rise: 5m, hold: 30m, fall: 10m, multiplier: 3}\n", j)
		case 3:
			fmt.Fprintf(&b, "  - name: sc-%d\n    duration: 1h\n    profile:\n      - growth: {percent: 100}\n", j)
		case 4:
			fmt.Fprintf(&b, "  - name: sc-%d\n    duration: 12h\n    profile:\n      - ramp: {from: 1, to: 2.5, start: 1h, end: 10h}\n", j)
		}
	}
	b.WriteString("cluster:\n  nodeTypes:\n    - {name: m-4x16, allocatable: {cpu: 3920m, memory: 14Gi}, pricePerHour: 0.192}\n    - {name: m-16x64, allocatable: {cpu: 15890m, memory: 58Gi}, pricePerHour: 0.768}\n")
	return b.String()
}
