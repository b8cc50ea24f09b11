package sim

import (
	"sync"
	"time"

	"github.com/headroom-dev/headroom/scenarios"
)

// maxCachedTicks bounds the multiplier series kept per scenario (8 bytes a
// tick: 10 M ticks is 80 MB, 115 days at 1 s).
const maxCachedTicks = 10_000_000

type trafficKey struct {
	sc   *scenarios.Scenario
	seed int64
	tick time.Duration
}

type trafficEntry struct {
	once sync.Once
	m    []float64
}

// TrafficCache shares each scenario's multiplier series between runs (the
// candidates of a tune or a sweep; Options.Traffic). It is safe for
// concurrent use.
type TrafficCache struct {
	mu sync.Mutex
	m  map[trafficKey]*trafficEntry
}

// NewTrafficCache returns an empty cache.
func NewTrafficCache() *TrafficCache { return &TrafficCache{m: map[trafficKey]*trafficEntry{}} }

// multipliers returns the scenario's multiplier at every tick, computed
// once per scenario, seed and tick; nil without a cache or when the
// scenario is too long to keep.
func (c *TrafficCache) multipliers(sc *scenarios.Scenario, seed int64, tick time.Duration) []float64 {
	n := int(sc.Duration.D()/tick) + 1
	if c == nil || n > maxCachedTicks {
		return nil
	}
	k := trafficKey{sc, seed, tick}
	c.mu.Lock()
	e, ok := c.m[k]
	if !ok {
		e = &trafficEntry{}
		c.m[k] = e
	}
	c.mu.Unlock()
	e.once.Do(func() {
		tr := sc.Traffic(seed)
		e.m = make([]float64, n)
		for i := range e.m {
			e.m[i] = tr.Multiplier(time.Duration(i) * tick)
		}
	})
	return e.m
}

// rate is the service's request rate at now: base·λ(now) + fixed.
func (s *service) rate(now, tick time.Duration) float64 {
	return s.base*s.multiplier(now, tick) + s.fixed
}

// multiplier is the scenario's multiplier at now, from the shared series
// when there is one.
func (s *service) multiplier(now, tick time.Duration) float64 {
	if i := int(now / tick); i < len(s.lambda) && now%tick == 0 {
		return s.lambda[i]
	}
	return s.traffic.Multiplier(now)
}
