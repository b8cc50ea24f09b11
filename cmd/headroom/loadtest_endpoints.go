package main

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/headroom-dev/headroom/loadtest/verify"
)

// printEndpointComparison writes the per-endpoint part of a comparison: a
// row per endpoint and bucket, measured / predicted by the mixture model,
// and what the failures look like.
func printEndpointComparison(w io.Writer, c *verify.Comparison) {
	if c.Errors != nil {
		fmt.Fprintf(w, "errors: %s — %s\n", c.Errors.Cause, c.Errors.Detail)
	}
	if len(c.Endpoints) == 0 {
		return
	}
	fmt.Fprintln(w, "PER ENDPOINT (measured / predicted: the service's shared wait + the endpoint's own service time)")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ENDPOINT\tSCENARIO TIME\tREQUESTS\tMEAN\tP95\tERRORS")
	for _, e := range c.Endpoints {
		for _, r := range e.Rows {
			mean, p95 := formatSeconds(r.MeasuredMean)+" / "+formatSeconds(r.PredictedMean), formatSeconds(r.MeasuredP95)+" / "+formatSeconds(r.PredictedP95)
			if r.Overloaded {
				mean, p95 = formatSeconds(r.MeasuredMean)+" / overload", formatSeconds(r.MeasuredP95)+" / overload"
			}
			fmt.Fprintf(tw, "%s\t%s–%s\t%d\t%s\t%s\t%s\n", e.Name,
				time.Duration(r.FromSeconds*1e9), time.Duration(r.ToSeconds*1e9), r.Requests, mean, p95, formatPercent(r.MeasuredErrorRate))
		}
	}
	tw.Flush()
	for _, e := range c.Endpoints {
		fmt.Fprintf(w, "endpoint %s: share %.1f %% (planned %.1f %%), MAPE mean %.1f %% p95 %.1f %%; errors %s",
			e.Name, e.MeasuredShare*100, e.PlannedShare*100, e.MeanMAPE*100, e.P95MAPE*100, e.Errors.Cause)
		if e.Errors.Detail != "" {
			fmt.Fprintf(w, " — %s", e.Errors.Detail)
		}
		fmt.Fprintln(w)
	}
}
