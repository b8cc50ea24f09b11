// Package scenarios owns headroom's input: the CapacityPlan schema
// (apiVersion headroom.dev/v1alpha1), its strict decoding with file:line
// errors, its validation, and the traffic profiles λ(t) of its scenarios.
//
// Everything downstream (model, sim, reports) receives a validated *Plan and
// never re-checks it. Units are SI inside: rates in requests per second,
// durations as time.Duration, CPU in cores, memory in bytes. Kubernetes
// quantities ("500m", "512Mi") and Go durations ("90s") appear only in the
// YAML.
//
// # Usage
//
//	plan, err := scenarios.LoadFile("plan.yaml")
//	if err != nil { ... }          // FieldErrors, each with file:line: path: message
//	for _, sc := range plan.Scenarios {
//		peak := sc.Peak(plan.Seed) // the scenario's peak multiplier and when it happens
//	}
package scenarios
