package prom

import (
	"context"
	"fmt"
	"time"
)

// WorkloadCPU reads a workload's CPU use, summed over its pods, at an
// instant: the load-test watcher's CPU source (loadtest.CPUSource).
type WorkloadCPU struct {
	c     *Client
	query string
}

// WorkloadCPU returns the CPU source for one container of a workload's
// pods (cAdvisor's container_cpu_usage_seconds_total, a 1-minute rate).
func (c *Client) WorkloadCPU(namespace, workload, container string) *WorkloadCPU {
	sel := fmt.Sprintf(`namespace=%q,pod=~"%s",container=%q`, namespace, PodRegexp("", workload), container)
	return &WorkloadCPU{c: c, query: fmt.Sprintf(`sum(rate(container_cpu_usage_seconds_total{%s}[1m]))`, sel)}
}

// Query is the PromQL the source runs.
func (w *WorkloadCPU) Query() string { return w.query }

// CPU returns the cores in use at t.
func (w *WorkloadCPU) CPU(ctx context.Context, t time.Time) (float64, error) {
	// A two-step range ending at t: the API wants end after start.
	s, _, err := w.c.QuerySingle(ctx, w.query, t.Add(-15*time.Second), t, 15*time.Second)
	if err != nil {
		return 0, err
	}
	if len(s.Points) == 0 {
		return 0, fmt.Errorf("query %s: no sample at %s: %w", w.query, t.Format(time.RFC3339), ErrNoData)
	}
	return s.Points[len(s.Points)-1].V, nil
}
