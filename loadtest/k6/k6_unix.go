//go:build unix

package k6

import (
	"os"
	"os/exec"
	"syscall"
)

// ownProcessGroup puts k6 in a process group of its own, so a Ctrl-C in the
// terminal reaches only headroom, which forwards exactly one SIGINT: two
// would make k6 exit at once without its summary.
func ownProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// interruptProcess sends k6 the SIGINT that stops it gracefully.
func interruptProcess(cmd *exec.Cmd) error { return cmd.Process.Signal(os.Interrupt) }
