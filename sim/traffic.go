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
// once per scenario, seed and tick: a series of ticks values; nil without a
// cache or when the scenario is too long to keep. A profile that repeats
// every day is kept for one day: the series then holds the first day's
// ticks, and tick i's multiplier is m[i mod len(m)].
func (c *TrafficCache) multipliers(sc *scenarios.Scenario, seed int64, tick time.Duration) (m []float64, ticks int) {
	n := int(sc.Duration.D()/tick) + 1
	period := dailyTicks(sc, tick)
	if c == nil || (period == 0 && n > maxCachedTicks) {
		return nil, 0
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
		// A profile of time-of-day components alone repeats every day: the
		// multiplier at t + 24h is the same computation as at t.
		tr := sc.Traffic(seed)
		if period > 0 {
			n = min(n, period)
		}
		e.m = make([]float64, n)
		for i := range e.m {
			e.m[i] = tr.Multiplier(time.Duration(i) * tick)
		}
	})
	return e.m, int(sc.Duration.D()/tick) + 1
}

// dailyTicks is the ticks in a day when the scenario's multiplier depends
// on the time of day alone (schedules and diurnal cycles; scenarios.Traffic
// evaluates them at (start + t) mod 24h) and a day is a whole number of
// ticks; 0 otherwise.
func dailyTicks(sc *scenarios.Scenario, tick time.Duration) int {
	if tick <= 0 || day%tick != 0 {
		return 0
	}
	for i := range sc.Profile {
		if c := &sc.Profile[i]; c.Schedule == nil && c.Diurnal == nil {
			return 0
		}
	}
	return int(day / tick)
}

// rate is the service's request rate at now: base·λ(now) + fixed.
func (s *service) rate(now, tick time.Duration) float64 {
	return s.base*s.multiplier(now, tick) + s.fixed
}

// rateNow is rate(w.now, w.tick) by multiplierNow.
func (s *service) rateNow(w *World) float64 {
	return s.base*s.multiplierNow(w) + s.fixed
}

// multiplier is the scenario's multiplier at now, from the shared series
// when there is one.
func (s *service) multiplier(now, tick time.Duration) float64 {
	if i := int(now / tick); i < s.lambdaTicks && now%tick == 0 {
		return s.lambda[i%len(s.lambda)]
	}
	return s.traffic.Multiplier(now)
}

// multiplierNow is multiplier(w.now, w.tick) without a division: the tick
// loop's clock is step ticks from the start, and lambdaPhase that modulo a
// daily series.
func (s *service) multiplierNow(w *World) float64 {
	if w.step < s.lambdaTicks {
		if len(s.lambda) < s.lambdaTicks {
			return s.lambda[w.lambdaPhase]
		}
		return s.lambda[w.step]
	}
	return s.traffic.Multiplier(w.now)
}
