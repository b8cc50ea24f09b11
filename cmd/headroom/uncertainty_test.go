package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestSimulate_Uncertainty: --uncertainty runs the ensemble and the JSON
// carries the intervals; off runs once; bad values are usage errors naming
// the flag.
func TestSimulate_Uncertainty(t *testing.T) {
	args := []string{"simulate", "-f", noaPlan, "--scenario", "growth-2x", "--service", "noa-mcp", "-o", "json"}
	out, errOut, code := runCLI(t, "", append(args, "--uncertainty", "cpu=20%,samples=4")...)
	if code != exitCheckFailed {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
	var res []struct {
		Services []struct {
			Summary map[string]json.RawMessage `json:"summary"`
		} `json:"services"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	var r struct{ P10, P50, P90 *float64 }
	if err := json.Unmarshal(res[0].Services[0].Summary["sloViolationMinutesRange"], &r); err != nil || r.P10 == nil || r.P50 == nil || r.P90 == nil {
		t.Fatalf("sloViolationMinutesRange = %s (%v), want {p10, p50, p90}", res[0].Services[0].Summary["sloViolationMinutesRange"], err)
	}
	if !strings.Contains(errOut, "ensemble of 4 members") {
		t.Errorf("stderr does not announce the ensemble:\n%s", errOut)
	}
	out, _, _ = runCLI(t, "", append(args, "--uncertainty", "off")...)
	if strings.Contains(out, "sloViolationMinutesRange") {
		t.Error("--uncertainty off still wrote intervals")
	}
	table, _, _ := runCLI(t, "", "simulate", "-f", noaPlan, "--scenario", "growth-2x", "--service", "noa-mcp", "--uncertainty", "samples=2")
	if !strings.Contains(table, "In parentheses: p10–p90") {
		t.Errorf("the table does not explain its intervals:\n%s", table)
	}
	for _, bad := range []struct{ v, want string }{
		{"cpu=95%", "--uncertainty: cpu must be in [0, 90%]"},
		{"samples=0", "--uncertainty: samples must be between 1 and 10000, got 0"},
		{"load=10%", `--uncertainty: unknown key "load"`},
	} {
		_, errOut, code := runCLI(t, "", append(args, "--uncertainty", bad.v)...)
		if code != exitUsage || !strings.Contains(errOut, bad.want) {
			t.Errorf("--uncertainty %s: exit %d, stderr %q, want usage error %q", bad.v, code, errOut, bad.want)
		}
	}
}
