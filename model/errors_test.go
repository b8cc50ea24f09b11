package model

import (
	"errors"
	"math"
	"testing"
)

func TestInputError(t *testing.T) {
	err := error(&InputError{Arg: "lambda", Value: -1, Want: wantPositive})
	if got, want := err.Error(), "invalid lambda -1: must be a positive finite number"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if !errors.Is(err, ErrInvalidInput) {
		t.Error("errors.Is(*InputError, ErrInvalidInput) = false")
	}
	if errors.Is(err, ErrUnstable) {
		t.Error("errors.Is(*InputError, ErrUnstable) = true")
	}
	// Several bad arguments: each is reported, and the result still matches.
	joined := checkRates(math.NaN(), 0)
	if !errors.Is(joined, ErrInvalidInput) {
		t.Errorf("joined errors %v do not match ErrInvalidInput", joined)
	}
	if got, want := joined.Error(), "invalid lambda NaN: must be a positive finite number\ninvalid mu 0: must be a positive finite number"; got != want {
		t.Errorf("joined Error() = %q, want %q", got, want)
	}
}

func TestUnstableError(t *testing.T) {
	err := unstableError(12.5, 10)
	if !errors.Is(err, ErrUnstable) || errors.Is(err, ErrInvalidInput) {
		t.Errorf("unstableError = %v: want it to match ErrUnstable only", err)
	}
	if got, want := err.Error(), "offered load λ/μ = 12.5 erlangs on c = 10 servers: queue is unstable: offered load is not below the number of servers"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestChecks(t *testing.T) {
	for _, tt := range []struct {
		name string
		err  error
		ok   bool
	}{
		{"positive 1", checkPositive("x", 1), true},
		{"positive 0", checkPositive("x", 0), false},
		{"positive +Inf", checkPositive("x", math.Inf(1)), false},
		{"non-negative 0", checkNonNegative("x", 0), true},
		{"non-negative -0.1", checkNonNegative("x", -0.1), false},
		{"non-negative NaN", checkNonNegative("x", math.NaN()), false},
		{"prob 0.5", checkProb("p", 0.5), true},
		{"prob 0", checkProb("p", 0), false},
		{"prob 1", checkProb("p", 1), false},
		{"servers 1", checkServers("c", 1), true},
		{"servers 0", checkServers("c", 0), false},
		{"cs2 MaxCS2", checkCS2(MaxCS2), true},
		{"cs2 above", checkCS2(MaxCS2 + 1), false},
	} {
		if (tt.err == nil) != tt.ok {
			t.Errorf("%s: err = %v, want ok = %v", tt.name, tt.err, tt.ok)
		}
	}
}
