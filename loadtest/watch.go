package loadtest

import (
	"context"
	"fmt"
	"io"
	"time"
)

// CPUSource reports the CPU the target's pods use, in cores, at an instant
// (for example a Prometheus query over container_cpu_usage_seconds_total).
type CPUSource interface {
	CPU(ctx context.Context, t time.Time) (float64, error)
}

// ScaleState is a workload's autoscaling at one instant.
type ScaleState struct {
	// DesiredReplicas and CurrentReplicas are the HPA's status, or the
	// workload's spec.replicas and status.replicas when no HPA targets it.
	DesiredReplicas, CurrentReplicas int32
	// ReadyReplicas is the workload's status.readyReplicas.
	ReadyReplicas int32
	// Metrics are the HPA's status.currentMetrics flattened to
	// "resource/cpu" (percent of request when the target is a
	// utilisation, else cores or bytes),
	// "containerresource/<container>/<name>", "pods/<metric>",
	// "object/<metric>" and "external/<metric>"; nil without an HPA.
	Metrics map[string]float64
}

// ScaleReader reads a workload's autoscaling. cluster.WorkloadScale
// implements it over the API server (a Deployment or StatefulSet and the
// HPA that targets it); tests use fakes.
type ScaleReader interface {
	ReadScale(ctx context.Context) (ScaleState, error)
}

// Watcher samples the target's autoscaling during a load test: the HPA's
// desired and current replicas and the metrics it last read, the
// workload's ready replicas, and optionally the pods' CPU. Read-only.
type Watcher struct {
	// Scale reads the workload and its HPA.
	Scale ScaleReader
	// Period between samples; default 15 s, the HPA's own sync period.
	Period time.Duration
	// CPU, when set, adds CPUCores to each sample.
	CPU CPUSource
	// Warn receives sampling errors, which do not stop the watch.
	Warn io.Writer

	now func() time.Time
}

// Run samples at once and then every Period until ctx is done, and
// returns the samples, offsets measured from start.
func (w *Watcher) Run(ctx context.Context, start time.Time) []WatchSample {
	period := w.Period
	if period <= 0 {
		period = 15 * time.Second
	}
	t := time.NewTicker(period)
	defer t.Stop()
	var out []WatchSample
	for {
		s, err := w.Sample(ctx, start)
		switch {
		case ctx.Err() != nil:
			return out
		case err != nil:
			if w.Warn != nil {
				fmt.Fprintf(w.Warn, "watch: %v\n", err)
			}
		default:
			out = append(out, s)
		}
		select {
		case <-ctx.Done():
			return out
		case <-t.C:
		}
	}
}

// Sample reads the target once.
func (w *Watcher) Sample(ctx context.Context, start time.Time) (WatchSample, error) {
	now := time.Now
	if w.now != nil {
		now = w.now
	}
	at := now()
	s := WatchSample{Offset: at.Sub(start).Seconds()}
	st, err := w.Scale.ReadScale(ctx)
	if err != nil {
		return s, err
	}
	s.DesiredReplicas, s.CurrentReplicas, s.ReadyReplicas = st.DesiredReplicas, st.CurrentReplicas, st.ReadyReplicas
	s.Metrics = st.Metrics
	if w.CPU != nil {
		c, err := w.CPU.CPU(ctx, at)
		if err != nil {
			return s, fmt.Errorf("cpu: %w", err)
		}
		s.CPUCores = c
	}
	return s, nil
}

// RunWatched runs eng while w samples the target, and puts the samples in
// the result, their offsets measured from the result's Start (an engine's
// first measurement) so they line up with its windows. A nil w runs eng
// alone.
func RunWatched(ctx context.Context, eng Engine, spec RunSpec, w *Watcher) (*Result, error) {
	if w == nil {
		return eng.Run(ctx, spec)
	}
	watchCtx, stop := context.WithCancel(ctx)
	start := time.Now()
	done := make(chan []WatchSample, 1)
	go func() { done <- w.Run(watchCtx, start) }()
	res, err := eng.Run(ctx, spec)
	stop()
	samples := <-done
	if res == nil {
		return nil, err
	}
	shift := 0.0
	if !res.Start.IsZero() {
		shift = start.Sub(res.Start).Seconds()
	}
	// Samples taken before the engine's first measurement (while it
	// started) describe the state at the start: the latest of them is kept
	// at offset 0, the others dropped, so every offset is ≥ 0.
	var kept []WatchSample
	for i := range samples {
		samples[i].Offset += shift
		if samples[i].Offset < 0 {
			if i+1 < len(samples) && samples[i+1].Offset+shift < 0 {
				continue
			}
			samples[i].Offset = 0
		}
		kept = append(kept, samples[i])
	}
	res.Watch = append(res.Watch, kept...)
	return res, err
}
