package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestInterrupted: every command that simulates stops on a cancelled
// context (Ctrl-C, SIGTERM), exits 130 and leaves nothing behind in its
// output directory.
func TestInterrupted(t *testing.T) {
	out := filepath.Join(t.TempDir(), "report")
	for _, args := range [][]string{
		{"size", "-f", noaPlan},
		{"simulate", "-f", noaPlan},
		{"simulate", "-f", noaPlan, "--mode", "des", "--scenario", "daily", "--max-work", "10"},
		{"compare", "-f", noaPlan, "--hpa", "../../scenarios/examples/noa-mcp-proposed-hpa.yaml"},
		{"tune", "-f", noaPlan, "--service", "noa-mcp"},
		{"sweep", "-f", noaPlan, "--grid", sweepGrid, "--quiet"},
		{"report", "-f", noaPlan, "--out-dir", out},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			var stdout, stderr bytes.Buffer
			cmd := newRootCmd(ioStreams{In: strings.NewReader(""), Out: &stdout, ErrOut: &stderr})
			cmd.SetArgs(args)
			if code := exitCode(cmd.ExecuteContext(ctx), &stderr); code != exitInterrupted {
				t.Fatalf("exit %d, want %d\n%s", code, exitInterrupted, stderr.String())
			}
			if !strings.Contains(stderr.String(), "interrupted:") {
				t.Errorf("stderr does not say it was interrupted:\n%s", stderr.String())
			}
		})
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("the interrupted report left %s behind (%v)", out, err)
	}
}
