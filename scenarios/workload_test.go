package scenarios

import (
	"errors"
	"strings"
	"testing"

	"github.com/headroom-dev/headroom/model"
)

func TestSizeAt_Curve(t *testing.T) {
	p, err := Example("noa.yaml")
	if err != nil {
		t.Fatal(err)
	}
	svc := p.Service("noa-mcp")
	// Utilisation mode is the runbook's arithmetic: replicas = rate · CPU per
	// request / (request · ceiling). 350m at 1000/min on 3 pods is 63 ms of
	// CPU a request; at 70 % of 500m a pod takes 5.56 req/s.
	tests := []struct {
		rate float64
		mode model.Mode
		want int
	}{
		{16.6, model.Utilization, 3},
		{33.34, model.Utilization, 7}, // 6.0012 pods: just over six
		{50, model.Utilization, 9},
	}
	for _, tt := range tests {
		got, err := svc.SizeAt(tt.rate, tt.mode)
		if err != nil {
			t.Fatal(err)
		}
		if got.Replicas != tt.want {
			t.Errorf("%s at %g/s: %d replicas (%s), want %d", tt.mode, tt.rate, got.Replicas, got.Binding, tt.want)
		}
	}
	// Queueing never needs fewer than utilisation, and both grow with the rate.
	prev := [2]int{}
	for rate := 0.5; rate <= 80; rate += 0.5 {
		var n [2]int
		for i, mode := range []model.Mode{model.Utilization, model.Queueing} {
			sz, err := svc.SizeAt(rate, mode)
			if err != nil {
				t.Fatalf("%s at %g/s: %v", mode, rate, err)
			}
			n[i] = sz.Replicas
			if n[i] < prev[i] {
				t.Errorf("%s: %d replicas at %g/s, fewer than %d just below", mode, n[i], rate, prev[i])
			}
		}
		if n[1] < n[0] {
			t.Errorf("at %g/s queueing needs %d, utilisation %d", rate, n[1], n[0])
		}
		prev = n
	}
}

func TestSizeAt_Errors(t *testing.T) {
	p, err := Example("noa.yaml")
	if err != nil {
		t.Fatal(err)
	}
	svc := *p.Service("noa-mcp")
	if _, err := svc.SizeAt(-1, model.Queueing); err == nil || !strings.Contains(err.Error(), "arrival rate") {
		t.Errorf("negative rate: got %v, want an arrival-rate error", err)
	}
	slo := *svc.SLO.Latency
	slo.Target = Duration(300e6) // 300 ms: below the 600 ms service-time p95
	svc.SLO.Latency = &slo
	_, err = svc.SizeAt(10, model.Queueing)
	var inf *model.InfeasibleError
	if !errors.As(err, &inf) {
		t.Errorf("SLO below the service time: got %v, want an InfeasibleError", err)
	}
}
