package loadtest

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"http://u:p@host:8080/x?y=1": "http://u:xxxxx@host:8080/x?y=1",
		"https://token@host/":        "https://xxxxx@host/",
		"http://u:xxxxx@host":        "http://u:xxxxx@host",
		"http://a@b:c@host/p@q":      "http://a@b:xxxxx@host/p@q",
		"http://host/p@q":            "http://host/p@q",
		"u:secret@host":              "u:xxxxx@host",
		"http://host":                "http://host",
		"":                           "",
	} {
		if got := RedactURL(in); got != want {
			t.Errorf("RedactURL(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestCheckTarget: credentials in the target are refused, and the error
// does not repeat them.
func TestCheckTarget(t *testing.T) {
	for _, target := range []string{"http://u:s3cret@host/", "https://s3cret@host/", "http://u:s3cret@host%zz/", "ftp://u:s3cret@host/"} {
		err := CheckTarget(target)
		if err == nil || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("CheckTarget(%q) = %v: want an error without the secret", target, err)
		}
		spec := RunSpec{Target: target}
		if err := spec.CheckCaps(); err == nil || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("CheckCaps(%q) = %v: want an error without the secret", target, err)
		}
	}
	if err := CheckTarget("http://u:xxxxx@host/"); err == nil {
		t.Error("a password that looks redacted is still a password")
	}
	if err := CheckTarget("http://host:8080/a@b"); err != nil {
		t.Errorf("an @ in the path: %v", err)
	}
}

// TestCheckCaps_Limits: the caps cannot switch the safety off.
func TestCheckCaps_Limits(t *testing.T) {
	s := Schedule{StartRate: 10, Stages: []Stage{{Duration: time.Minute, Target: 10}}}
	for _, tc := range []struct {
		spec RunSpec
		want string
	}{
		{RunSpec{Schedule: s, MaxRate: math.Inf(1)}, "--max-rate must be from 0 to 1e+06"},
		{RunSpec{Schedule: s, MaxRate: math.NaN()}, "--max-rate must be from 0 to 1e+06"},
		{RunSpec{Schedule: s, MaxDuration: 2562047 * time.Hour}, "--max-duration must be from 0 to 24h0m0s"},
		{RunSpec{Schedule: s, Timeout: 2 * time.Hour}, "timeout must be from 0 to 1h0m0s"},
		{RunSpec{Schedule: Schedule{StartRate: 2e6, Stages: s.Stages}}, "above the limit of 1e+06 req/s"},
		{RunSpec{Schedule: Schedule{Stages: []Stage{{Duration: 25 * time.Hour}}}}, "longer than the limit of 24h0m0s"},
	} {
		tc.spec.Target = "http://127.0.0.1:1/"
		if err := tc.spec.CheckCaps(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("CheckCaps = %v, want %q", err, tc.want)
		}
	}
}
