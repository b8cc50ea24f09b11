package main

import (
	"encoding/json"
	"testing"

	"github.com/headroom-dev/headroom/sim"
)

// TestSimulate_ColdStartFlag: by default noa-mcp opens growth-2x at the 6
// pods its HPA settles on and never scales; --cold-start opens at the
// plan's 3 and scales up through a start-up violation.
func TestSimulate_ColdStartFlag(t *testing.T) {
	run := func(extra ...string) sim.ServiceResult {
		t.Helper()
		args := append([]string{"simulate", "-f", noaPlan, "--service", "noa-mcp", "--scenario", "growth-2x", "-o", "json"}, extra...)
		out, errOut, code := runCLI(t, "", args...)
		if code != exitOK && code != exitCheckFailed {
			t.Fatalf("exit %d\n%s", code, errOut)
		}
		var res []sim.Result
		if err := json.Unmarshal([]byte(out), &res); err != nil || len(res) != 1 || len(res[0].Services) != 1 {
			t.Fatalf("not one result: %v\n%.300s", err, out)
		}
		return res[0].Services[0]
	}
	warm, cold := run(), run("--cold-start")
	if warm.Series[0].Desired != 6 || len(warm.Events) != 0 || warm.Summary.WorstP95 > 2 {
		t.Errorf("warm: %d replicas at 1m, %d scale events, worst p95 %.2f s; want 6, none, the steady 1.1 s",
			warm.Series[0].Desired, len(warm.Events), warm.Summary.WorstP95)
	}
	if len(cold.Events) == 0 || cold.Events[0].From != 3 || cold.Summary.WorstP95 < 10 {
		t.Errorf("cold: events %+v, worst p95 %.2f s; want a scale-up from 3 through a start-up backlog", cold.Events, cold.Summary.WorstP95)
	}
}
