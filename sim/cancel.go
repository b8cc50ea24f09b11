package sim

import (
	"context"

	"github.com/headroom-dev/headroom/scenarios"
)

// cancelCheckTicks is how often RunContext looks at its context: every 16
// ticks costs nothing measurable in the fluid tick and answers within a few
// milliseconds of simulation (a DES tick at a million requests per second is
// about 0.1 s, so even then within 2 s).
const cancelCheckTicks = 16

// RunContext is Run that stops when ctx is done, returning ctx's error and
// no result: Ctrl-C stops a long simulation instead of waiting for it.
func RunContext(ctx context.Context, plan *scenarios.Plan, opts Options) (*Result, error) {
	if opts.Pool != nil && opts.Mode == ModeDES {
		opts.Pool.acquire()
		defer opts.Pool.release()
	}
	w, err := New(plan, opts)
	if err != nil {
		return nil, err
	}
	done := ctx.Done()
	for i := 0; w.now < w.end; i++ {
		if i%cancelCheckTicks == 0 {
			select {
			case <-done:
				return nil, ctx.Err()
			default:
			}
		}
		w.Tick()
	}
	return w.result(), nil
}
