// Command headroom sizes Kubernetes services from observed rates, replays
// traffic scenarios through an exact HPA replica, and load-tests the result.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
)

// Exit codes, decided here and only here.
const (
	exitOK          = 0
	exitError       = 1
	exitUsage       = 2
	exitCheckFailed = 3
	// exitInterrupted is the shell's code for a process stopped by SIGINT
	// (128 + 2): the command was cancelled by Ctrl-C or SIGTERM.
	exitInterrupted = 130
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	stopProfile := startCPUProfile(os.Getenv("HEADROOM_CPUPROFILE"))
	err := newRootCmd(defaultStreams()).ExecuteContext(ctx)
	stopProfile()
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

// startCPUProfile writes a CPU profile of the whole command to path (the
// HEADROOM_CPUPROFILE environment variable, for `go tool pprof`) and
// returns the function that ends it; without a path it does nothing.
func startCPUProfile(path string) func() {
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "warning: HEADROOM_CPUPROFILE:", err)
		return func() {}
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		fmt.Fprintln(os.Stderr, "warning: HEADROOM_CPUPROFILE:", err)
		f.Close()
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}

// exitCode prints err and maps it to the process exit code.
func exitCode(err error, stderr interface{ Write([]byte) (int, error) }) int {
	if err == nil {
		return exitOK
	}
	if errors.Is(err, context.Canceled) {
		fmt.Fprintln(stderr, "interrupted:", err)
		return exitInterrupted
	}
	var check *checkFailedError
	if errors.As(err, &check) {
		fmt.Fprintln(stderr, "check failed:", check.msg)
		return exitCheckFailed
	}
	fmt.Fprintln(stderr, "error:", err)
	var usage *usageError
	if errors.As(err, &usage) || isCobraUsage(err) {
		return exitUsage
	}
	return exitError
}

// isCobraUsage recognises the command-line mistakes cobra reports itself
// (an unknown command, arguments a command does not take).
func isCobraUsage(err error) bool {
	msg := err.Error()
	for _, prefix := range []string{"unknown command ", "accepts ", "requires ", "unknown flag", "unknown shorthand flag", "invalid argument"} {
		if strings.HasPrefix(msg, prefix) {
			return true
		}
	}
	return false
}

// usageError is a mistake in the command line; it exits 2.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usageErrorf(format string, args ...any) error {
	return &usageError{fmt.Errorf(format, args...)}
}

// checkFailedError is a review gate that did not pass (an SLO breached, a
// peak beyond maxReplicas); it exits 3. The command has already printed its
// output.
type checkFailedError struct{ msg string }

func (e *checkFailedError) Error() string { return e.msg }

// options is a command's flags and state: Validate checks the flags alone,
// Complete reads what they name, Run does the work.
type options interface {
	Validate() error
	Complete() error
	Run(cmd *cobra.Command) error
}

// run is every command's RunE: validate, complete, run.
func run(o options, cmd *cobra.Command) error {
	if err := o.Validate(); err != nil {
		return err
	}
	if err := o.Complete(); err != nil {
		return err
	}
	return o.Run(cmd)
}
