package prom

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestWorkloadCPU(t *testing.T) {
	f := &fakeProm{t: t, rules: []fakeRule{{key: "container_cpu_usage_seconds_total", series: func(time.Time) ([]float64, bool) { return []float64{1.25}, true }}}}
	c, err := NewClient(f.start(), nil)
	if err != nil {
		t.Fatal(err)
	}
	src := c.WorkloadCPU("noa-server", "noa-mcp", "noa-mcp")
	if !strings.HasPrefix(src.Query(), "sum(rate(container_cpu_usage_seconds_total{") || !strings.Contains(src.Query(), `container="noa-mcp"`) {
		t.Errorf("query %s", src.Query())
	}
	got, err := src.CPU(context.Background(), time.Unix(1_800_000_000, 0))
	if err != nil || got != 1.25 {
		t.Errorf("CPU = %v, %v; want 1.25", got, err)
	}
	empty := &fakeProm{t: t, rules: []fakeRule{{key: "container_cpu_usage_seconds_total"}}}
	c2, _ := NewClient(empty.start(), nil)
	if _, err := c2.WorkloadCPU("ns", "w", "c").CPU(context.Background(), time.Unix(1_800_000_000, 0)); !errors.Is(err, ErrNoData) {
		t.Errorf("no series: %v, want ErrNoData", err)
	}
}
