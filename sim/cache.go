package sim

import (
	"sync"

	"github.com/headroom-dev/headroom/model"
)

// tableCache memoises latency tables by workload, SLO quantile, timeout and latency target. It is
// safe for concurrent use (tune runs candidates in parallel); the tables are
// read-only once built.
type tableCache struct {
	mu sync.Mutex
	m  map[tableKey]*tableEntry
}

type tableKey struct {
	w                  model.Workload
	q, timeout, target float64
}

type tableEntry struct {
	once sync.Once
	t    *latencyTable
	err  error
}

func newTableCache() *tableCache { return &tableCache{m: map[tableKey]*tableEntry{}} }

func (c *tableCache) get(w model.Workload, q, timeout, target float64) (*latencyTable, error) {
	// The table depends on the service model only, not on the rate.
	w.ArrivalRate = 0
	k := tableKey{w, q, timeout, target}
	c.mu.Lock()
	e, ok := c.m[k]
	if !ok {
		e = &tableEntry{}
		c.m[k] = e
	}
	c.mu.Unlock()
	e.once.Do(func() { e.t, e.err = newLatencyTable(w, q, timeout, target) })
	return e.t, e.err
}
