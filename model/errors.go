package model

import (
	"errors"
	"fmt"
	"math"
)

// ErrUnstable reports a queue whose offered load a = λ/μ is at least its
// number of servers c (utilisation ρ = a/c ≥ 1). Such a queue grows without
// bound: there is no steady state, so no waiting time, queue length or
// quantile exists. Functions wrap it with the numbers that made the queue
// unstable; test for it with errors.Is.
var ErrUnstable = errors.New("queue is unstable: offered load is not below the number of servers")

// ErrInvalidInput is the sentinel every *InputError matches with errors.Is, so
// callers can tell "the arguments were wrong" from "the arguments were fine
// but the queue is unstable or the target cannot be met".
var ErrInvalidInput = errors.New("invalid input")

// InputError reports one argument outside its domain, so that a caller can
// map it back to the field of its own input that carried the value.
type InputError struct {
	// Arg is the argument or field name as it appears in the Go API
	// ("lambda", "cs2", "MMc.Mu", "ms[3].Throughput").
	Arg string
	// Value is the offending value (integers converted to float64).
	Value float64
	// Want describes the domain Value must lie in ("a positive finite
	// number").
	Want string
}

// Error returns a message of the form "invalid lambda -1: must be a positive
// finite number".
func (e *InputError) Error() string {
	return fmt.Sprintf("invalid %s %g: must be %s", e.Arg, e.Value, e.Want)
}

// Is reports whether target is ErrInvalidInput, so that
// errors.Is(err, ErrInvalidInput) holds for every *InputError.
func (e *InputError) Is(target error) bool { return target == ErrInvalidInput }

// Domain descriptions shared by the argument checks, so that every function
// words the same domain the same way.
const (
	wantPositive    = "a positive finite number"
	wantNonNegative = "a finite number ≥ 0"
	wantProb        = "a probability strictly between 0 and 1"
	wantServers     = "an integer ≥ 1"
)

// isPositive reports whether x is finite and > 0.
func isPositive(x float64) bool { return x > 0 && !math.IsInf(x, 1) }

// checkPositive returns an *InputError unless x is finite and > 0.
func checkPositive(arg string, x float64) error {
	if !isPositive(x) {
		return &InputError{Arg: arg, Value: x, Want: wantPositive}
	}
	return nil
}

// checkNonNegative returns an *InputError unless x is finite and ≥ 0.
func checkNonNegative(arg string, x float64) error {
	if !(x >= 0) || math.IsInf(x, 1) {
		return &InputError{Arg: arg, Value: x, Want: wantNonNegative}
	}
	return nil
}

// checkProb returns an *InputError unless 0 < x < 1.
func checkProb(arg string, x float64) error {
	if !(x > 0 && x < 1) {
		return &InputError{Arg: arg, Value: x, Want: wantProb}
	}
	return nil
}

// checkServers returns an *InputError unless c ≥ 1.
func checkServers(arg string, c int) error {
	if c < 1 {
		return &InputError{Arg: arg, Value: float64(c), Want: wantServers}
	}
	return nil
}

// checkRates validates an arrival rate and a per-server service rate.
func checkRates(lambda, mu float64) error {
	return errors.Join(checkPositive("lambda", lambda), checkPositive("mu", mu))
}

// unstableError wraps ErrUnstable with the offered load and server count.
func unstableError(a float64, c int) error {
	return fmt.Errorf("offered load λ/μ = %g erlangs on c = %d servers: %w", a, c, ErrUnstable)
}
