package main

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"

	"github.com/headroom-dev/headroom/scenarios"
	"github.com/headroom-dev/headroom/sim"
	"github.com/headroom-dev/headroom/sim/ensemble"
)

// streamJSON is `simulate -o json` without an uncertainty ensemble: the
// scenarios run on a bounded pool and each result is written, in scenario
// order, as soon as it and the ones before it are done, and then dropped.
// The bytes are those printJSON writes for the whole slice. A run that
// fails stops the output where it is, after the scenarios before it,
// and the command fails with its error.
func (o *simulateOptions) streamJSON(ctx context.Context, runs []sim.Options) error {
	enc := newSimJSON(o.streams.Out)
	var bad []string
	err := runInOrder(ctx, o.plan, runs, runtime.GOMAXPROCS(0),
		func(i int) { o.progress("simulating %s…", runs[i].Scenario) },
		func(_ int, r *sim.Result) error {
			bad = append(bad, overBudget(r)...)
			return enc.write(r)
		})
	var re *ensemble.RunError
	if errors.As(err, &re) {
		return fmt.Errorf("scenario %s: %w", runs[re.Run].Scenario, re.Err)
	}
	if err != nil {
		return err
	}
	if err := enc.close(); err != nil {
		return err
	}
	return budgetCheck(bad)
}

// runInOrder simulates runs (ensemble.Run one at a time, without an
// ensemble) with at most workers in flight and hands each result to emit
// in run order, holding at most 2·workers finished results that wait for
// an earlier one. The runs share one traffic cache and one latency-table
// cache, as ensemble.Run's do. The first error in run order, as an
// *ensemble.RunError, or emit's, stops it.
func runInOrder(ctx context.Context, plan *scenarios.Plan, runs []sim.Options, workers int, started func(i int), emit func(i int, r *sim.Result) error) error {
	workers = max(workers, 1)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	traffic, tables := sim.NewTrafficCache(), sim.NewLatencyCache()
	type slot struct {
		res  *sim.Result
		err  error
		done chan struct{}
	}
	slots := make([]slot, len(runs))
	for i := range slots {
		slots[i].done = make(chan struct{})
	}
	ahead := make(chan struct{}, 2*workers) // a token per run started and not yet emitted
	busy := make(chan struct{}, workers)    // a token per run in flight
	var wg sync.WaitGroup
	launched := make(chan struct{})
	go func() {
		defer close(launched)
		for i := range runs {
			select {
			case ahead <- struct{}{}:
			case <-ctx.Done():
				for j := i; j < len(runs); j++ {
					slots[j].err = ctx.Err()
					close(slots[j].done)
				}
				return
			}
			busy <- struct{}{}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { <-busy }()
				opts := runs[i]
				if opts.Traffic == nil {
					opts.Traffic = traffic
				}
				if opts.Latency == nil {
					opts.Latency = tables
				}
				if started != nil {
					started(i)
				}
				res, err := ensemble.Run(ctx, plan, []sim.Options{opts}, nil, ensemble.Config{Workers: 1})
				if re, ok := err.(*ensemble.RunError); ok {
					err = &ensemble.RunError{Run: i, Err: re.Err}
				}
				if err == nil {
					slots[i].res = res[0]
				}
				slots[i].err = err
				close(slots[i].done)
			}()
		}
	}()
	var err error
	for i := range slots {
		<-slots[i].done
		if err = slots[i].err; err == nil {
			err = emit(i, slots[i].res)
		}
		slots[i].res = nil
		if err != nil {
			break
		}
		<-ahead
	}
	cancel()
	<-launched
	wg.Wait()
	return err
}
