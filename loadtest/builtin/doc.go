// Package builtin is headroom's own open-model load generator, a
// loadtest.Engine: it plays a Schedule's arrivals (a Poisson process or
// evenly spaced, SchedulePacer) against one HTTP/1.1 target and never
// waits for a response before sending the next request.
//
// Three senders share the pacing and the recording (Options.Sender): an
// event loop on non-blocking sockets (Linux and plain http only, and the
// default there; it hands https targets to the next), a goroutine per
// request on headroom's own HTTP/1.1 client, and net/http's client.
//
// A RunSpec with Endpoints is a request mix: each arrival picks one by
// weight from a seeded stream of its own (picker), the same sequence for
// every sender, and the result keeps windows per endpoint besides the
// totals. Every failure is counted by cause in Window.ErrorClasses
// (classify). Secret header values are sent and written nowhere.
//
// The one thing to know: latency counts from each request's intended send
// time, not from when it went out, so a generator that falls behind shows
// up as latency and as send lag (Result.SendLag) instead of hiding it
// (coordinated omission). An arrival due while Options.MaxWorkers requests
// are in flight is dropped and counted, never delayed. A run whose
// send-lag p99 exceeds Options.LagBound, or that dropped more than
// Options.MaxDropFraction of its arrivals, is marked invalid
// (Result.Valid).
package builtin
