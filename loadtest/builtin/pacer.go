package builtin

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/headroom-dev/headroom/loadtest"
)

// SchedulePacer paces hits along a Schedule's λ(t). It implements vegeta's
// Pacer, and also names each hit's intended send time, which the built-in
// engine measures latency from.
//
// Hit n (counting from 0) is due at the wall-clock offset t_n with
// Λ(t_n) = x_n, where Λ(t) = ∫₀ᵗ λ is the schedule's cumulative rate:
//
//	constant: x_n = n                       (the first hit at t = 0, as k6)
//	poisson:  x_n = E_0 + … + E_n, E_i ~ Exp(1) from a seeded source
//
// Mapping a unit-rate Poisson process through Λ⁻¹ gives a Poisson process
// of rate λ(t) (the time-change theorem), exactly and without thinning.
// Each stage's rate is linear, so Λ is piecewise quadratic and Λ⁻¹ has a
// closed form.
//
// A SchedulePacer is not safe for concurrent use. Hits are generated in
// order; asking for an earlier hit regenerates the sequence from the seed,
// so At is a pure function of (schedule, arrivals, seed, n).
type SchedulePacer struct {
	sched    loadtest.Schedule
	poisson  bool
	seed     uint64
	stageEnd []float64 // Λ at the end of each stage
	starts   []time.Duration

	rng  *rand.Rand
	next uint64  // index of the hit x holds
	x    float64 // Λ-value of hit next
}

var _ vegeta.Pacer = (*SchedulePacer)(nil)

// NewSchedulePacer returns a pacer for the schedule. arrivals is
// ArrivalsPoisson or ArrivalsConstant; seed only matters for Poisson.
func NewSchedulePacer(s loadtest.Schedule, arrivals string, seed int64) (*SchedulePacer, error) {
	p := &SchedulePacer{sched: s, seed: uint64(seed)}
	switch arrivals {
	case loadtest.ArrivalsPoisson:
		p.poisson = true
	case loadtest.ArrivalsConstant:
	default:
		return nil, fmt.Errorf("arrivals must be %q or %q, got %q", loadtest.ArrivalsPoisson, loadtest.ArrivalsConstant, arrivals)
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	from, cum, at := s.StartRate, 0.0, time.Duration(0)
	for _, st := range s.Stages {
		cum += (from + st.Target) / 2 * st.Duration.Seconds()
		p.stageEnd = append(p.stageEnd, cum)
		p.starts = append(p.starts, at)
		at += st.Duration
		from = st.Target
	}
	p.reset()
	return p, nil
}

func (p *SchedulePacer) reset() {
	p.rng = rand.New(rand.NewPCG(p.seed, 0x6865616472))
	p.next = 0
	p.x = 0
	if p.poisson {
		p.x = p.rng.ExpFloat64()
	}
}

// Expected returns Λ(t), the expected number of hits before the offset t.
func (p *SchedulePacer) Expected(t time.Duration) float64 {
	from, cum := p.sched.StartRate, 0.0
	for i, st := range p.sched.Stages {
		if t < p.starts[i]+st.Duration {
			s := (t - p.starts[i]).Seconds()
			if s < 0 {
				return cum
			}
			b := (st.Target - from) / st.Duration.Seconds()
			return cum + from*s + b*s*s/2
		}
		cum = p.stageEnd[i]
		from = st.Target
	}
	return cum
}

// At returns the intended offset of hit n from the start of the run, and
// false when the schedule ends before it.
func (p *SchedulePacer) At(n uint64) (time.Duration, bool) {
	if n < p.next {
		p.reset()
	}
	for p.next < n {
		p.advance()
	}
	return p.invert(p.x)
}

func (p *SchedulePacer) advance() {
	p.next++
	if p.poisson {
		p.x += p.rng.ExpFloat64()
	} else {
		p.x = float64(p.next)
	}
}

// invert returns Λ⁻¹(x), false beyond the schedule's end.
func (p *SchedulePacer) invert(x float64) (time.Duration, bool) {
	from, cum := p.sched.StartRate, 0.0
	for i, st := range p.sched.Stages {
		if x < p.stageEnd[i] {
			y := x - cum // hits into this stage
			d := st.Duration.Seconds()
			b := (st.Target - from) / d
			// a·s + b·s²/2 = y, in the form that is stable for b → 0.
			disc := from*from + 2*b*y
			if disc < 0 {
				disc = 0
			}
			den := from + math.Sqrt(disc)
			s := 0.0
			if den > 0 {
				s = 2 * y / den
			}
			s = math.Min(math.Max(s, 0), d)
			return p.starts[i] + time.Duration(s*1e9), true
		}
		cum = p.stageEnd[i]
		from = st.Target
	}
	return 0, false
}

// Pace implements vegeta.Pacer: the wait until hit number hits is due,
// negative when it is overdue (vegeta's own pacers return 0 there, which
// loses how late a hit is; the built-in engine needs the exact value), and
// stop once the schedule has no more hits.
func (p *SchedulePacer) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	at, ok := p.At(hits)
	if !ok {
		return 0, true
	}
	return at - elapsed, false
}

// Rate implements vegeta.Pacer: the schedule's λ at the offset.
func (p *SchedulePacer) Rate(elapsed time.Duration) float64 { return p.sched.RateAt(elapsed) }
