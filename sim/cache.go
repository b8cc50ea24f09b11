package sim

import (
	"encoding/binary"
	"math"
	"sync"

	"github.com/headroom-dev/headroom/model"
)

// LatencyCache memoises latency tables by workload, SLO quantile, timeout
// and latency target. It is safe for concurrent use (tune runs candidates
// in parallel, an ensemble its members); the tables are read-only once
// built, and a table depends on its key alone, so which runs share a
// cache never changes a result, only how often a table is built.
type LatencyCache struct {
	mu sync.Mutex
	m  map[tableKey]*tableEntry
	// limit bounds the entries (0: none); at the limit the cache starts
	// over. Runs holding a table keep it.
	limit int
}

type tableKey struct {
	w                  model.Workload // without its histogram
	hist               string         // the histogram, as histogramKey
	q, timeout, target float64
}

// histogramKey encodes a service-time histogram exactly (the bits of each
// bound and count), so that a workload with one can key the cache.
func histogramKey(hp *model.Histogram) string {
	if hp == nil {
		return ""
	}
	h := hp.Buckets
	b := make([]byte, 0, 16*len(h))
	for _, x := range h {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(x.Upper))
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(x.Count))
	}
	return string(b)
}

type tableEntry struct {
	once sync.Once
	t    *latencyTable
	err  error
}

// NewLatencyCache returns an empty cache, to share between the runs of one
// search or ensemble through Options.Latency; it lives as long as they
// hold it.
func NewLatencyCache() *LatencyCache { return newTableCache(0) }

func newTableCache(limit int) *LatencyCache {
	return &LatencyCache{m: map[tableKey]*tableEntry{}, limit: limit}
}

func (c *LatencyCache) get(w model.Workload, q, timeout, target float64) (*latencyTable, error) {
	// The table depends on the queue alone: not on the rate, and not on
	// the CPU and memory figures, which the callers have already read into
	// the queue (throttledWorkload). Candidates that differ only in their
	// requests, and ensemble members only in their CPU or memory, share
	// their tables; the table is built from the key's workload, so one
	// that came to read another field would be wrong everywhere, not only
	// when cached.
	w = model.Workload{
		ServiceMean: w.ServiceMean, ServiceCS2: w.ServiceCS2, ServiceFamily: w.ServiceFamily,
		ServiceHistogram: w.ServiceHistogram, Concurrency: w.Concurrency, Balancing: w.Balancing, Pods: w.Pods,
	}
	kw := w
	kw.ServiceHistogram = nil
	k := tableKey{kw, histogramKey(w.ServiceHistogram), q, timeout, target}
	c.mu.Lock()
	e, ok := c.m[k]
	if !ok {
		if c.limit > 0 && len(c.m) >= c.limit {
			clear(c.m)
		}
		e = &tableEntry{}
		c.m[k] = e
	}
	c.mu.Unlock()
	e.once.Do(func() { e.t, e.err = newLatencyTable(w, q, timeout, target) })
	return e.t, e.err
}

// len is the number of tables the cache holds.
func (c *LatencyCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}
