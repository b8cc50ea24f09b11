// Package simtest builds the small plans the simulator's tests and the
// searches' tests and benchmarks run: one service, api, on one node type,
// at a constant rate or under a diurnal cycle.
package simtest

import (
	"fmt"
	"testing"
	"time"

	"github.com/headroom-dev/headroom/scenarios"
)

// CPUHPA is a plain CPU-utilisation HPA (50 %, 2 to 20 replicas), as YAML
// lines to append to SteadyPlan's service.
const CPUHPA = `    hpa:
      minReplicas: 2
      maxReplicas: 20
      metrics:
        - type: Resource
          resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}`

// SteadyPlan is one service, api, at a constant rate through a two-hour
// scenario "flat" on one node type. serviceTime is appended to the
// service-time mapping (", cv: 1.5", ", p95: 900ms", or "" for
// exponential); extra is YAML appended to the service.
func SteadyPlan(t testing.TB, rate, serviceTime, extra string) *scenarios.Plan {
	t.Helper()
	doc := fmt.Sprintf(`apiVersion: headroom.dev/v1alpha1
kind: CapacityPlan
metadata: {name: steady}
services:
  - name: api
    replicas: 4
    resources:
      requests: {cpu: "1", memory: 1Gi}
    requestRate: %s
    serviceTime: {mean: 200ms%s}
    concurrency: 4
    cpu: {perRequest: 50ms}
    memory: {base: 256Mi, perInFlight: 1Mi}
%s
scenarios:
  - {name: flat, duration: 2h}
cluster:
  nodeTypes:
    - {name: n, allocatable: {cpu: "16", memory: 64Gi}, pricePerHour: 1}
`, rate, serviceTime, extra)
	p, err := scenarios.Parse("steady.yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// DiurnalPlan is SteadyPlan at 40/s with CPUHPA under a diurnal cycle
// (0.3 to 1.2, peak at 15:00) for days.
func DiurnalPlan(t testing.TB, days int) *scenarios.Plan {
	t.Helper()
	p := SteadyPlan(t, "40/s", "", CPUHPA)
	p.Scenarios[0].Duration = scenarios.Duration(time.Duration(days) * 24 * time.Hour)
	p.Scenarios[0].Profile = []scenarios.Component{{Diurnal: &scenarios.Diurnal{Min: 0.3, Max: 1.2, Peak: scenarios.TimeOfDay(15 * time.Hour)}}}
	return p
}
