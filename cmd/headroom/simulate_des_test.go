package main

import (
	"runtime"
	"testing"
)

// TestSimulateDES_SameOnOneAndTwoCores: `simulate --mode des -o json` is
// byte-identical whether it runs on one core (GOMAXPROCS=1: one worker,
// the services served one by one) or two (the services of a tick dealt
// over both).
func TestSimulateDES_SameOnOneAndTwoCores(t *testing.T) {
	args := []string{"simulate", "-f", noaPlan, "--mode", "des", "--scenario", "growth-2x", "--uncertainty", "off", "-o", "json"}
	run := func(procs int) string {
		t.Helper()
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		out, errOut, code := runCLI(t, "", args...)
		if code != exitOK && code != exitCheckFailed {
			t.Fatalf("GOMAXPROCS=%d: exit %d\n%s", procs, code, errOut)
		}
		return out
	}
	one, two := run(1), run(2)
	if len(one) < 1000 {
		t.Fatalf("simulate -o json printed %d bytes", len(one))
	}
	if one != two {
		t.Errorf("simulate --mode des -o json differs on one and two cores (%d vs %d bytes)", len(one), len(two))
	}
}
