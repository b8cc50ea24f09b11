// Package planfile is the one place that writes into a user's plan file.
// Every edit keeps what it does not touch: comments, key order, the other
// services and scenarios.
//
// The edits are typed, one per command that writes findings back:
//
//	observe    File.SetInputs     a service's requestRate, serviceTime, cpu and memory,
//	                              each with a note on where it came from
//	           File.PutScenarios  replay and forecast scenarios, replacing same-named ones
//	calibrate  ApplyCalibration   serviceTime (mean and cv or p95), cpu.perRequest and
//	                              cpu.idle, spliced into the text so that alignment and
//	                              blank lines stay, else re-encoded
//	discover   Render             a new plan with a header, per-service notes and a TODO
//	                              above each placeholder
//
// Their inputs are this package's own plain structs (Inputs, Scenario,
// Calibration, Annotations): callers map their measurements into them and
// keep their decisions (which values, which notes). Values are written in
// the plan's units: Go durations ("21.34ms"), millicores ("45m"), binary-SI
// bytes ("200Mi"), rates per second ("16.6667/s").
//
// Edits work on go.yaml.in/yaml/v3 node trees through a handful of mapping
// primitives (mapping.go) and encode with two-space indentation. They check
// only the shape they need (a mapping with a services list); validating the
// result is the caller's job, with scenarios.Parse, since a discovered plan
// is meant not to validate until its placeholders are filled.
//
// # Usage
//
//	f, err := planfile.Parse("plan.yaml", data)
//	err = f.SetInputs("api", planfile.Inputs{RequestRate: 16.7, RequestRateNote: "observed peak"})
//	f.PutScenarios(planfile.Scenario{Name: "observed-api", Duration: 24 * time.Hour, Replay: pts})
//	out, err := f.Bytes()
//	_, err = scenarios.Parse("plan.yaml", out)
package planfile
