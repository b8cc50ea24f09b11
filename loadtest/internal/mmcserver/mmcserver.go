package mmcserver

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"
)

// Config is the queue.
type Config struct {
	// Workers is c, the requests served at once.
	Workers int
	// MeanService is the mean of the service time.
	MeanService time.Duration
	// CV, when set and not 1, makes the service time lognormal with this
	// coefficient of variation (ln S ~ N(μ, σ²), σ² = ln(1 + cv²),
	// μ = ln mean − σ²/2); otherwise it is exponential.
	CV float64
	// Seed seeds the service times.
	Seed uint64
}

// Server is the queue as an http.Handler. Every request waits for a slot in
// arrival order (a channel's blocked receivers are served first in, first
// out), holds it for an exponential service time, and answers 200.
//
// A slot carries the instant it was freed. A request's service starts at
// the later of its arrival and that instant, not when its goroutine got to
// run: on a busy machine the hand-over takes a while, and that time is the
// slot's, so it counts as service (the queue stays an exact FCFS c-server
// queue of the measured service times).
type Server struct {
	cfg   Config
	slots chan time.Time

	mu        sync.Mutex
	rng       *rand.Rand
	overshoot time.Duration // mean oversleep of time.Sleep, measured at start
	stats     Stats
	services  []time.Duration // measured service times in the order served
}

// Stats are what the server measured of itself.
type Stats struct {
	Served int64 `json:"served"`
	// ServiceSeconds and WaitSeconds are sums of the measured time in a
	// slot and in the queue.
	ServiceSeconds float64 `json:"serviceSeconds"`
	WaitSeconds    float64 `json:"waitSeconds"`
	// OvershootSeconds is the current estimate of the sleep overshoot,
	// subtracted from each draw.
	OvershootSeconds float64 `json:"overshootSeconds"`
}

// MeanService is the measured mean service time in seconds.
func (s Stats) MeanService() float64 {
	if s.Served == 0 {
		return 0
	}
	return s.ServiceSeconds / float64(s.Served)
}

// MeanWait is the measured mean time in the queue in seconds.
func (s Stats) MeanWait() float64 {
	if s.Served == 0 {
		return 0
	}
	return s.WaitSeconds / float64(s.Served)
}

// New returns a server. time.Sleep overshoots (timer granularity and
// scheduling: 50 µs – 1 ms on an idle Linux machine, more on a busy one),
// so each sleep is shortened by the running mean overshoot, measured at
// start and then from every sleep: the served times keep the configured
// mean rather than mean + overshoot. Comparisons with a model should still
// use Stats.MeanService, the measured mean.
func New(cfg Config) (*Server, error) {
	if cfg.Workers < 1 {
		return nil, fmt.Errorf("workers must be ≥ 1, got %d", cfg.Workers)
	}
	if cfg.MeanService <= 0 {
		return nil, fmt.Errorf("mean service time must be > 0, got %s", cfg.MeanService)
	}
	if !(cfg.CV >= 0 && cfg.CV <= 10) {
		return nil, fmt.Errorf("cv must be in [0, 10], got %g", cfg.CV)
	}
	s := &Server{
		cfg:   cfg,
		slots: make(chan time.Time, cfg.Workers),
		rng:   rand.New(rand.NewPCG(cfg.Seed, 0x6d6d63)),
	}
	for range cfg.Workers {
		s.slots <- time.Time{}
	}
	s.overshoot = measureOvershoot()
	s.stats.OvershootSeconds = s.overshoot.Seconds()
	return s, nil
}

func measureOvershoot() time.Duration {
	const n = 50
	var total time.Duration
	for range n {
		t := time.Now()
		time.Sleep(time.Millisecond)
		total += time.Since(t) - time.Millisecond
	}
	return max(total/n, 0)
}

// draw returns the next service time and the sleep meant to produce it.
func (s *Server) draw() (service, sleep time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var d time.Duration
	if s.cfg.CV > 0 && s.cfg.CV != 1 {
		s2 := math.Log1p(s.cfg.CV * s.cfg.CV)
		d = time.Duration(float64(s.cfg.MeanService) * math.Exp(math.Sqrt(s2)*s.rng.NormFloat64()-s2/2))
	} else {
		d = time.Duration(s.rng.ExpFloat64() * float64(s.cfg.MeanService))
	}
	return d, d - s.overshoot
}

// observe updates the overshoot estimate (an exponentially weighted mean
// over about the last 200 sleeps) from one sleep, so the compensation
// follows the machine's load.
func (s *Server) observe(asked, slept time.Duration) {
	s.mu.Lock()
	s.overshoot += (slept - asked - s.overshoot) / 200
	s.overshoot = max(s.overshoot, 0)
	s.mu.Unlock()
}

// ServeHTTP implements http.Handler. GET /stats returns Stats as JSON and
// POST /reset zeroes them; every other request is a customer.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/stats":
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(s.Stats())
		return
	case "/reset":
		s.mu.Lock()
		s.stats = Stats{OvershootSeconds: s.overshoot.Seconds()}
		s.services = nil
		s.mu.Unlock()
		return
	}
	arrived := time.Now()
	freed := <-s.slots
	began := arrived
	if freed.After(arrived) {
		began = freed
	}
	if _, sleep := s.draw(); sleep > 0 {
		slept := time.Now()
		time.Sleep(sleep)
		s.observe(sleep, time.Since(slept))
	}
	done := time.Now()
	s.slots <- done
	s.mu.Lock()
	s.stats.Served++
	s.stats.ServiceSeconds += done.Sub(began).Seconds()
	s.stats.WaitSeconds += began.Sub(arrived).Seconds()
	s.stats.OvershootSeconds = s.overshoot.Seconds()
	s.services = append(s.services, done.Sub(began))
	s.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

// Stats returns a copy of the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// ServiceTimes returns the measured service time of every request in the
// order the requests took a slot, which is their arrival order (FCFS).
func (s *Server) ServiceTimes() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.services...)
}
