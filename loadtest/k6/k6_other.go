//go:build !unix

package k6

import "os/exec"

func ownProcessGroup(*exec.Cmd) {}

// interruptProcess kills k6: Windows cannot deliver SIGINT to a child, and
// k6's REST API stop (PATCH /v1/status) is not wired up; k6 writes no
// summary then.
func interruptProcess(cmd *exec.Cmd) error { return cmd.Process.Kill() }
