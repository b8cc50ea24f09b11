package model

import (
	"math"
	"testing"
)

func TestWithCallDelay(t *testing.T) {
	w := Workload{ServiceMean: 0.03, ServiceCS2: 0.25, ServiceFamily: FamilyLognormal, Concurrency: 4}
	if got := w.WithCallDelay(0, 1); got != w {
		t.Errorf("no delay changed the workload: %+v", got)
	}
	// Two exponential calls of 10 ms: delay mean 0.02, variance 2·0.01².
	got := w.WithCallDelay(0.02, 0.5)
	wantVar := 0.25*0.03*0.03 + 2*0.01*0.01
	if math.Abs(got.ServiceMean-0.05) > 1e-15 || math.Abs(got.ServiceCS2*0.05*0.05-wantVar) > 1e-15 {
		t.Errorf("mean %g cs² %g, want 0.05 and variance %g", got.ServiceMean, got.ServiceCS2, wantVar)
	}
	if got.ServiceFamily != "" || got.Concurrency != 4 {
		t.Errorf("family %q, concurrency %d", got.ServiceFamily, got.Concurrency)
	}
}
