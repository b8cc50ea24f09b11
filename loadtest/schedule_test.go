package loadtest

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/headroom-dev/headroom/scenarios"
)

func TestScheduleForKeepsPeakAndCompressesTime(t *testing.T) {
	plan, err := scenarios.Example("noa.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s, err := ScheduleFor(plan, "noa-mcp", "daily", 60, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Duration(); got != 24*time.Minute {
		t.Errorf("a day at 60x plays in %v, want 24m", got)
	}
	sc := plan.Scenario("daily")
	peak := sc.Peak(plan.Seed)
	want := peak.Multiplier * plan.Service("noa-mcp").RequestRate.PerSecond
	if got := s.Peak(); math.Abs(got-want)/want > 0.02 {
		t.Errorf("peak %v req/s, plan peak %v", got, want)
	}
	if r := s.RateAt(s.Duration() + time.Second); r != 0 {
		t.Errorf("rate after the end = %v", r)
	}
}

func TestCheckCapsRefuses(t *testing.T) {
	s := Schedule{StartRate: 10, Stages: []Stage{{Duration: time.Minute, Target: 100}}}
	spec := RunSpec{Target: "http://127.0.0.1:1", Schedule: s, MaxRate: 50}
	if err := spec.CheckCaps(); err == nil || !strings.Contains(err.Error(), "--max-rate") {
		t.Errorf("rate above cap: %v", err)
	}
	spec.MaxRate, spec.MaxDuration = 0, 30*time.Second
	if err := spec.CheckCaps(); err == nil || !strings.Contains(err.Error(), "--max-duration") {
		t.Errorf("duration above cap: %v", err)
	}
	spec.Target = ""
	if err := spec.CheckCaps(); err == nil {
		t.Error("no target accepted")
	}
}
