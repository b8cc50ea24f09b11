package mmcserver

import "testing"

// RetryInvalid runs measure, which returns what missed and whether the
// run was valid, for the e2e suites that hold a measurement against the
// queue. A run the generator itself spoiled (send lag beyond its bound:
// the lag is part of what it measured, since latency counts from the
// intended time) that misses is measured once more; a valid run that
// misses fails at once.
func RetryInvalid(t testing.TB, measure func() (fails []string, valid bool)) {
	t.Helper()
	for attempt := 1; ; attempt++ {
		fails, valid := measure()
		if len(fails) == 0 {
			return
		}
		if valid || attempt == 2 {
			for _, f := range fails {
				t.Error(f)
			}
			return
		}
		t.Logf("attempt %d: %v; the run was invalid, measuring again", attempt, fails)
	}
}
