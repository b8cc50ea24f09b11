package mmcserver

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"time"
)

// Dist is a service-time distribution of a MixServer endpoint.
type Dist struct {
	// Kind is "exp" (mean Mean), "lognormal" (mean Mean, coefficient of
	// variation CV) or "uniform" (on [Lo, Hi]).
	Kind   string
	Mean   time.Duration
	CV     float64
	Lo, Hi time.Duration
}

// Draw returns one service time.
func (d Dist) Draw(rng *rand.Rand) time.Duration {
	switch d.Kind {
	case "lognormal":
		s2 := math.Log1p(d.CV * d.CV)
		return time.Duration(float64(d.Mean) * math.Exp(math.Sqrt(s2)*rng.NormFloat64()-s2/2))
	case "uniform":
		return d.Lo + time.Duration(rng.Float64()*float64(d.Hi-d.Lo))
	}
	return time.Duration(rng.ExpFloat64() * float64(d.Mean))
}

// MixEndpoint is one kind of request a MixServer serves.
type MixEndpoint struct {
	Method, Path string
	// Body, when set, is the exact body the request must carry (400
	// otherwise).
	Body    []byte
	Service Dist
}

// MixConfig is a MixServer's queue, endpoints and injected failures.
type MixConfig struct {
	Workers   int
	Endpoints []MixEndpoint
	// Auth is the Authorization value every request must carry; a request
	// without it is answered 401 at once, without a slot.
	Auth string
	// Every Fail503Every-th authorised request (0: none) is answered 503
	// at once, without a slot; every ResetEvery-th authorised POST (0:
	// none) has its connection reset (RST) without an answer.
	Fail503Every, ResetEvery int
	Seed                     uint64
}

// MixServer is a FCFS c-server queue of several endpoints, each with its
// own service-time distribution (an M/G/c queue of the mixture when the
// arrivals are Poisson): requests of every endpoint wait in one queue for
// the same c slots, as in Server.
type MixServer struct {
	cfg   MixConfig
	slots chan time.Time
	byKey map[string]int

	mu        sync.Mutex
	rng       *rand.Rand
	overshoot time.Duration
	authOK    int
	posts     int
	counts    MixCounts
	served    []Served
}

// Served is one request that held a slot: its endpoint and service time.
type Served struct {
	Endpoint int
	Service  time.Duration
}

// MixCounts are the answers a MixServer gave outside the queue.
type MixCounts struct {
	Unauthorized, Failed503, Resets, BadRequests int
	// PerEndpoint counts every request of each endpoint that got past the
	// method and path check, whatever its answer.
	PerEndpoint []int
	// Failed503Per and ResetsPer split Failed503 and Resets by endpoint.
	Failed503Per, ResetsPer, UnauthorizedPer []int
}

// NewMix returns a mix server.
func NewMix(cfg MixConfig) (*MixServer, error) {
	if cfg.Workers < 1 || len(cfg.Endpoints) == 0 {
		return nil, fmt.Errorf("a mix server needs ≥ 1 worker and ≥ 1 endpoint")
	}
	s := &MixServer{cfg: cfg, slots: make(chan time.Time, cfg.Workers), byKey: map[string]int{},
		rng: rand.New(rand.NewPCG(cfg.Seed, 0x6d6978))}
	for i, e := range cfg.Endpoints {
		s.byKey[e.Method+" "+e.Path] = i
	}
	n := len(cfg.Endpoints)
	s.counts = MixCounts{PerEndpoint: make([]int, n), Failed503Per: make([]int, n), ResetsPer: make([]int, n), UnauthorizedPer: make([]int, n)}
	for range cfg.Workers {
		s.slots <- time.Time{}
	}
	s.overshoot = measureOvershoot()
	return s, nil
}

// ServeHTTP implements http.Handler.
func (s *MixServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	arrived := time.Now()
	k, ok := s.byKey[r.Method+" "+r.URL.Path]
	body, _ := io.ReadAll(r.Body)
	if !ok {
		s.mu.Lock()
		s.counts.BadRequests++
		s.mu.Unlock()
		http.Error(w, "no such endpoint", http.StatusNotFound)
		return
	}
	ep := s.cfg.Endpoints[k]
	s.mu.Lock()
	s.counts.PerEndpoint[k]++
	switch {
	case r.Header.Get("Authorization") != s.cfg.Auth:
		s.counts.Unauthorized++
		s.counts.UnauthorizedPer[k]++
		s.mu.Unlock()
		w.WriteHeader(http.StatusUnauthorized)
		return
	case ep.Body != nil && !bytes.Equal(body, ep.Body):
		s.counts.BadRequests++
		s.mu.Unlock()
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	s.authOK++
	if r.Method == http.MethodPost {
		s.posts++
		if s.cfg.ResetEvery > 0 && s.posts%s.cfg.ResetEvery == 0 {
			s.counts.Resets++
			s.counts.ResetsPer[k]++
			s.mu.Unlock()
			if c, _, err := http.NewResponseController(w).Hijack(); err == nil {
				if tc, ok := underlyingTCP(c); ok {
					tc.SetLinger(0) // close sends RST
				}
				c.Close()
			}
			return
		}
	}
	if s.cfg.Fail503Every > 0 && s.authOK%s.cfg.Fail503Every == 0 {
		s.counts.Failed503++
		s.counts.Failed503Per[k]++
		s.mu.Unlock()
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	d := ep.Service.Draw(s.rng)
	s.mu.Unlock()

	freed := <-s.slots
	began := arrived
	if freed.After(arrived) {
		began = freed
	}
	if sleep := d - s.overshootNow(); sleep > 0 {
		t := time.Now()
		time.Sleep(sleep)
		s.observe(sleep, time.Since(t))
	}
	done := time.Now()
	s.slots <- done
	s.mu.Lock()
	s.served = append(s.served, Served{Endpoint: k, Service: done.Sub(began)})
	s.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

// underlyingTCP finds the TCP connection under a TLS one.
func underlyingTCP(c net.Conn) (*net.TCPConn, bool) {
	for {
		switch x := c.(type) {
		case *net.TCPConn:
			return x, true
		case interface{ NetConn() net.Conn }:
			c = x.NetConn()
		default:
			return nil, false
		}
	}
}

func (s *MixServer) overshootNow() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.overshoot
}

func (s *MixServer) observe(asked, slept time.Duration) {
	s.mu.Lock()
	s.overshoot = max(s.overshoot+(slept-asked-s.overshoot)/200, 0)
	s.mu.Unlock()
}

// Served returns every request that held a slot, in the order it took
// the slot (arrival order: FCFS).
func (s *MixServer) Served() []Served {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Served(nil), s.served...)
}

// Counts returns the answers given outside the queue.
func (s *MixServer) Counts() MixCounts {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.counts
	c.PerEndpoint = append([]int(nil), c.PerEndpoint...)
	c.Failed503Per = append([]int(nil), c.Failed503Per...)
	c.ResetsPer = append([]int(nil), c.ResetsPer...)
	c.UnauthorizedPer = append([]int(nil), c.UnauthorizedPer...)
	return c
}
