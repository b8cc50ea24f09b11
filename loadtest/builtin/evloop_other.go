//go:build !linux

package builtin

import (
	"context"
	"errors"
	"time"
)

// loopSupported: the event-loop sender is Linux only (epoll).
const loopSupported = false

func (b *Engine) runLoop(context.Context, RunSpec, *SchedulePacer, *recorder, *progressPrinter, string, time.Duration, *rawSender) (time.Time, time.Duration, bool, error) {
	return time.Time{}, 0, false, errors.New("the loop sender needs Linux")
}
