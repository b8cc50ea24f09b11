//go:build linux

package builtin

import (
	"time"

	"golang.org/x/sys/unix"
)

// waker decides how long the event loop may block before the next hit.
//
// Blocking until exactly the hit's instant makes every hit late by the
// wake-up cost, and at tens of requests per second that cost is at its
// worst: the kernel's timer slack (50 µs for an ordinary thread, see
// prctl(2) PR_SET_TIMERSLACK) lets the timeout fire late; the idle CPU has
// gone to a deep sleep state it must leave; and the loop's goroutine,
// locked to its thread, comes back from a blocking system call without a
// Go P (sysmon takes it from a thread blocked for over 20 µs, see
// retake in runtime/proc.go), so it waits until the runtime hands it one,
// which on a machine busy with the target can be milliseconds. A plain
// goroutine client sleeping on Go timers pays less of this because the
// runtime wakes early and spins for its timers.
//
// So the loop sets its thread's timer slack to 1 ns, blocks until margin
// before the hit, and then polls without blocking (socket events still
// handled) until the hit is due. margin tracks a high quantile of how
// late the blocking waits came back (Robbins–Monro stochastic
// approximation of the q-quantile, on a log scale: margin grows by a
// factor 1 + η·q when a wake came later than margin and shrinks by
// 1 − η·(1−q) otherwise, which settles where a fraction 1 − q of wakes
// are later), between
// minMargin and maxMargin, and never more than a quarter of the time to
// the hit, so at high rates the loop still sleeps between hits.
type waker struct {
	margin    time.Duration
	prevSlack int // the thread's timer slack before the run, -1 unknown
}

const (
	minMargin = 50 * time.Microsecond
	maxMargin = 2 * time.Millisecond
	// wakeQuantile is the quantile of the wake-up lateness margin tracks.
	wakeQuantile = 0.99
	wakeStep     = 0.2
)

func newWaker() *waker {
	w := &waker{margin: 200 * time.Microsecond, prevSlack: -1}
	// Only the calling thread's slack changes (the loop is locked to it).
	if s, err := unix.PrctlRetInt(unix.PR_GET_TIMERSLACK, 0, 0, 0, 0); err == nil {
		w.prevSlack = s
		_ = unix.Prctl(unix.PR_SET_TIMERSLACK, 1, 0, 0, 0)
	}
	return w
}

// restore gives the thread its timer slack back before it returns to the
// runtime's pool.
func (w *waker) restore() {
	if w.prevSlack > 0 {
		_ = unix.Prctl(unix.PR_SET_TIMERSLACK, uintptr(w.prevSlack), 0, 0, 0)
	}
}

// block returns how long to block when the next hit is due in untilHit:
// 0 means spin (poll without blocking).
func (w *waker) block(untilHit time.Duration) time.Duration {
	m := min(w.margin, untilHit/4)
	if untilHit <= m {
		return 0
	}
	return untilHit - m
}

// woke updates margin with how late a blocking wait that timed out came
// back.
func (w *waker) woke(late time.Duration) {
	x := float64(w.margin)
	if late > w.margin {
		x *= 1 + wakeStep*wakeQuantile
	} else {
		x *= 1 - wakeStep*(1-wakeQuantile)
	}
	w.margin = min(max(time.Duration(x), minMargin), maxMargin)
}
