// Package loadtest is what every load-test engine and the CLI share: the
// Engine interface and the RunSpec it runs, the offered-load Schedule (a
// plan scenario's λ(t) sampled into linear stages by ScheduleFor), the
// Result an engine measures and its file (WriteResultFile, ReadResultFile),
// and the Watcher that samples the target's autoscaling during a run
// (RunWatched).
//
// The engines are subpackages: builtin is headroom's own open-model sender,
// k6 runs k6 as a subprocess or distributes a run over k6-operator runner
// pods. verify holds a result against the simulator (Compare) and fits a
// plan's service time to it (Calibrate).
//
// The one thing to know: every engine produces the same Result — windows
// (one second unless stated) of offered and achieved rate, errors, drops
// and an HDR latency histogram — and histograms merge bucket by bucket, so
// windows, runs of different engines and the runners of one k6-operator
// run add up exactly; percentiles are never averaged.
//
// Kubernetes is reached only through ScaleReader, which package cluster
// implements: loadtest imports no client-go.
package loadtest
