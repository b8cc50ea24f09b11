// Package record holds the data of a capacity review: Review and the
// sections, risks, costs, events, sizings, recommendations, simulated
// series and capacity curves it carries. Package review fills one; package
// reports renders it; report.json is its JSON encoding (SchemaVersion).
//
// It depends on nothing that computes: not on package sim nor capacity,
// only on the plan's types (scenarios, model). Where a review reports a
// result of sim or capacity (RunSummary, Sample, NodeSample,
// ServiceSizing, Recommendation), the type here repeats the other's field
// for field, with the same JSON names, so that review converts one into
// the other with a plain type conversion.
package record
