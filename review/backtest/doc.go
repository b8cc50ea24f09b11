// Package backtest replays production's own history through the simulator
// and measures how well the simulation matches what the cluster did.
//
// It is pure: package prom reads the history from Prometheus into plain
// per-step series (Observed), this package replays the observed request
// rate through sim with the plan's HPA, scheduled scaling and nodes, warm-
// started at the first observed Ready replica count
// (sim.Options.InitialReplicas), and compares replicas, CPU, p95 latency,
// error-budget burn and start-up delays against tolerances (Tolerances,
// justified in docs/backtest.md). A service that disagrees gets the most
// likely cause from the pattern and the value that would fit: the CPU per
// request and the mean latency that `headroom observe` fits (prom's
// least-squares line and request-weighted mean, passed in as Observed.CPU
// and Observed.ServiceTimeSeconds), or the observed median start-up delay.
// The result is a record.Backtest, which reports renders.
package backtest
