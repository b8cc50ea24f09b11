// Package scenarios owns headroom's input: the CapacityPlan schema
// (apiVersion headroom.dev/v1alpha1), its validation, the traffic profiles
// λ(t) of its scenarios, events (a dated peak and the pre-scaling it asks
// for), HPA manifests read on their own, provenance annotations, and the
// bundled example plans (examples/*.yaml).
//
// A plan is decoded strictly by internal/strictyaml: unknown or duplicate
// fields, wrong types and invalid values are reported together, each as a
// FieldError with file:line:column, the field path and what is allowed;
// validation errors found after decoding are located the same way.
// Writing findings back into a plan file, comments kept, is
// scenarios/planfile's job.
//
// Everything downstream (model, sim, reports) receives a validated *Plan and
// never re-checks it. Units are SI inside: rates in requests per second,
// durations as time.Duration, CPU in cores, memory in bytes. Kubernetes
// quantities ("500m", "512Mi") and Go durations ("90s") appear only in the
// YAML.
//
// # Usage
//
//	plan, err := scenarios.LoadFile("plan.yaml", os.Stdin) // "-" reads stdin
//	if err != nil { ... }   // FieldErrors, each with file:line:column: path: message
//	for i := range plan.Scenarios {
//		sc := &plan.Scenarios[i]
//		peak := sc.Peak(plan.Seed) // the peak multiplier and when it happens
//		m := sc.Traffic(plan.Seed).Multiplier(peak.At)
//	}
//
// Parse(file, data) does the same for bytes already read; Example(name)
// loads a bundled example.
package scenarios
