package review

import (
	"github.com/headroom-dev/headroom/review/record"
	"github.com/headroom-dev/headroom/sim"
)

// The review's record repeats the types of sim and capacity field for
// field; these conversions are plain Go type conversions, which the
// compiler refuses as soon as the two sides differ.

// convertAll converts each element, keeping nil as nil.
func convertAll[S, T any](in []S, f func(S) T) []T {
	if in == nil {
		return nil
	}
	out := make([]T, len(in))
	for i, x := range in {
		out[i] = f(x)
	}
	return out
}

func recordSamples(ss []sim.Sample) []record.Sample {
	return convertAll(ss, func(s sim.Sample) record.Sample { return record.Sample(s) })
}

// RecordRun is a simulation as a review records it: its services'
// summaries and series, and the cluster's.
func RecordRun(res *sim.Result, v record.Variant) record.Run {
	r := record.Run{Scenario: res.Scenario, Variant: v}
	for _, s := range res.Services {
		r.Services = append(r.Services, record.ServiceRun{
			Service: s.Service, Summary: record.RunSummary(s.Summary), Series: recordSamples(s.Series),
			Bands: (*record.SeriesBands)(s.Bands),
		})
	}
	c := res.Cluster
	r.Cluster = record.ClusterSeries{
		NodeType: c.NodeType, NodeHours: c.NodeHours, Cost: c.Cost, PeakNodes: c.PeakNodes,
		Added: c.Added, Removed: c.Removed, Unplaced: c.Unplaced,
		Series: convertAll(c.Series, func(s sim.NodeSample) record.NodeSample { return record.NodeSample(s) }),
	}
	return r
}

// recordRuns are the builder's simulations as the review keeps them: per
// scenario of the plan today's run and the proposed one, then each event's
// run with its pre-scale.
func (b *builder) recordRuns() []record.Run {
	var out []record.Run
	for _, v := range []record.Variant{record.Current, record.Proposed, record.PreScaled} {
		for i := range b.plan.Scenarios {
			if r := b.run(b.plan.Scenarios[i].Name, v); r != nil {
				out = append(out, RecordRun(r, v))
			}
		}
	}
	return out
}
