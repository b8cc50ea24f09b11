package verify

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/headroom-dev/headroom/scenarios"
)

// mg3Plan is an M/G/3 service on one replica with lognormal service times
// of the given mean and cv 1.5, offered rate λ for secs seconds.
const mg3Plan = `apiVersion: headroom.dev/v1alpha1
kind: CapacityPlan
metadata: {name: mg3-loopback}
seed: 7
services:
  - name: mg3
    replicas: 1
    resources:
      requests: {cpu: "1", memory: 256Mi}
      limits: {cpu: "2", memory: 256Mi}
    requestRate: %g/s
    serviceTime: {mean: %s, cv: 1.5, distribution: lognormal}
    concurrency: 3
    cpu: {perRequest: 1ms}
    memory: {base: 64Mi}
    slo:
      latency: {quantile: 0.95, target: 2s}
scenarios:
  - name: steady
    duration: %ds
cluster:
  nodeTypes:
    - name: loopback
      allocatable: {cpu: "2", memory: 4Gi}
      pricePerHour: 0.01
`

func mg3(t testing.TB, lambda float64, mean time.Duration, secs int) *scenarios.Plan {
	t.Helper()
	p, err := scenarios.Parse("mg3.yaml", []byte(fmt.Sprintf(mg3Plan, lambda, mean, secs)))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestAdviseRunLength: at ρ = 0.8 on the lognormal M/G/3 a 60 s run's p95
// varies by more than 10 %, so the advice asks for a longer run, and the
// advice scales as the square of the spread over the error.
func TestAdviseRunLength(t *testing.T) {
	plan := mg3(t, 48, 50*time.Millisecond, 60)
	rl, err := AdviseRunLength(context.Background(), plan, "mg3", "steady", 0.10, CompareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(rl)
	if rl.Replications != DefaultReplications || !(rl.WholeSpread > 0.10) || !(rl.BucketSpread > rl.WholeSpread) {
		t.Errorf("spreads whole %.3f bucket %.3f over %d replications", rl.WholeSpread, rl.BucketSpread, rl.Replications)
	}
	if want := math.Ceil(60 * math.Pow(rl.WholeSpread/0.10, 2)); rl.NeedSeconds != want || rl.NeedSeconds <= 60 {
		t.Errorf("need %g s, want %g (> 60)", rl.NeedSeconds, want)
	}
	if !strings.Contains(rl.String(), "to tell a 10 % p95 error from that noise, run at least") {
		t.Errorf("advice %q", rl)
	}
	if _, err := AdviseRunLength(context.Background(), plan, "mg3", "steady", 0, CompareOptions{}); err == nil {
		t.Error("error 0: no error")
	}
}
