package scenarios

import (
	"hash/fnv"
	"math"
	"sort"
	"time"
)

const day = 24 * time.Hour

// Traffic evaluates a scenario's multiplier over time. It is a pure function
// of the offset from the scenario start: the noise is drawn by hashing the
// seed, the scenario name and the interval index, so any t can be evaluated
// in any order with the same result.
type Traffic struct {
	sc       *Scenario
	noiseKey uint64
}

// Traffic returns the evaluator of the scenario's components for a seed.
func (sc *Scenario) Traffic(seed int64) Traffic {
	h := fnv.New64a()
	h.Write([]byte(sc.Name))
	return Traffic{sc: sc, noiseKey: h.Sum64() ^ uint64(seed)*0x9e3779b97f4a7c15}
}

// Multiplier returns Π component(t) at offset t from the scenario start.
func (p Traffic) Multiplier(t time.Duration) float64 {
	m := 1.0
	for i := range p.sc.Profile {
		m *= p.component(i, t)
	}
	return m
}

func (p Traffic) component(i int, t time.Duration) float64 {
	c := &p.sc.Profile[i]
	wall := (time.Duration(p.sc.Start) + t) % day
	switch {
	case c.Schedule != nil:
		return c.Schedule.at(wall)
	case c.Diurnal != nil:
		d := c.Diurnal
		phase := 2 * math.Pi * float64(wall-time.Duration(d.Peak)) / float64(day)
		return float64(d.Min) + float64(d.Max-d.Min)*(1+math.Cos(phase))/2
	case c.Ramp != nil:
		r := c.Ramp
		switch {
		case t <= r.Start.D():
			return float64(r.From)
		case t >= r.End.D():
			return float64(r.To)
		}
		f := float64(t-r.Start.D()) / float64(r.End-r.Start)
		return float64(r.From) + float64(r.To-r.From)*f
	case c.Step != nil:
		if t >= c.Step.At.D() {
			return float64(c.Step.Multiplier)
		}
		return 1
	case c.Spike != nil:
		return c.Spike.at(t)
	case c.Growth != nil:
		g := c.Growth
		factor := 1 + g.Percent/100
		if g.Over == nil {
			return factor
		}
		return math.Pow(factor, float64(t)/float64(*g.Over))
	case c.Noise != nil:
		n := c.Noise
		k := uint64(t / n.Interval.D())
		return lognormalMeanOne(n.CV, p.noiseKey+uint64(i)*0xbf58476d1ce4e5b9, k)
	case c.Replay != nil:
		return c.Replay.at(t)
	}
	return 1
}

func (s *Schedule) at(wall time.Duration) float64 {
	for _, w := range s.Windows {
		from, to := time.Duration(w.From), time.Duration(w.To)
		if from <= to {
			if wall >= from && wall < to {
				return float64(w.Multiplier)
			}
		} else if wall >= from || wall < to {
			return float64(w.Multiplier)
		}
	}
	if s.Default != nil {
		return float64(*s.Default)
	}
	return 1
}

func (s *Spike) at(t time.Duration) float64 {
	top := float64(s.Multiplier)
	rel := t - s.At.D()
	switch {
	case rel < 0:
		return 1
	case rel < s.Rise.D():
		return 1 + (top-1)*float64(rel)/float64(s.Rise)
	case rel < s.Rise.D()+s.Hold.D():
		return top
	case rel < s.Rise.D()+s.Hold.D()+s.Fall.D():
		return top - (top-1)*float64(rel-s.Rise.D()-s.Hold.D())/float64(s.Fall)
	}
	return 1
}

// lognormalMeanOne draws the k-th factor of a log-normal noise with mean 1
// and coefficient of variation cv from the stream named by key.
func lognormalMeanOne(cv float64, key, k uint64) float64 {
	if cv == 0 {
		return 1
	}
	sigma2 := math.Log1p(cv * cv)
	u1 := unitFloat(splitmix(key ^ splitmix(2*k)))
	u2 := unitFloat(splitmix(key ^ splitmix(2*k+1)))
	z := math.Sqrt(-2*math.Log(u1)) * math.Cos(2*math.Pi*u2) // Box–Muller
	return math.Exp(math.Sqrt(sigma2)*z - sigma2/2)
}

// splitmix is the SplitMix64 finaliser, a bijective 64-bit mixer.
func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// unitFloat maps x to (0, 1), never 0 so that log is finite.
func unitFloat(x uint64) float64 { return (float64(x>>11) + 0.5) / (1 << 53) }

// PeakResolution is the sampling step of Peak between breakpoints.
const PeakResolution = time.Minute

// Peak is the largest multiplier of a scenario and the first offset where
// it occurs.
type Peak struct {
	Multiplier float64
	At         time.Duration
}

// Peak finds the scenario's peak multiplier by evaluating the profile at
// every breakpoint of its components (window edges, ramp ends, steps, spike
// corners, the diurnal maximum) and every PeakResolution between them, or
// every noise interval when that is shorter. Each component takes its value
// on an interval at the interval's first point or is continuous, so the
// sampled maximum is the maximum to within the curvature of the product
// over 30 s (below 1e-5 relative).
func (sc *Scenario) Peak(seed int64) Peak {
	p := sc.Traffic(seed)
	end := sc.Duration.D()
	var best Peak
	first := true
	eval := func(t time.Duration) {
		if t < 0 || t > end {
			return
		}
		m := p.Multiplier(t)
		if first || m > best.Multiplier || (m == best.Multiplier && t < best.At) {
			best, first = Peak{Multiplier: m, At: t}, false
		}
	}
	step := PeakResolution
	for _, c := range sc.Profile {
		if c.Noise != nil && c.Noise.Interval.D() < step {
			step = c.Noise.Interval.D()
		}
	}
	for t := time.Duration(0); t <= end; t += step {
		eval(t)
	}
	for _, t := range sc.breakpoints() {
		eval(t)
	}
	return best
}

// breakpoints lists the offsets where a component changes slope or value,
// sorted.
func (sc *Scenario) breakpoints() []time.Duration {
	var pts []time.Duration
	add := func(t time.Duration) { pts = append(pts, t) }
	start := time.Duration(sc.Start)
	end := sc.Duration.D()
	wallEdge := func(tod TimeOfDay) {
		off := (time.Duration(tod) - start%day + day) % day
		for t := off; t <= end; t += day {
			add(t)
		}
	}
	for _, c := range sc.Profile {
		switch {
		case c.Schedule != nil:
			for _, w := range c.Schedule.Windows {
				wallEdge(w.From)
				wallEdge(w.To)
			}
		case c.Diurnal != nil:
			wallEdge(c.Diurnal.Peak)
		case c.Ramp != nil:
			add(c.Ramp.Start.D())
			add(c.Ramp.End.D())
		case c.Step != nil:
			add(c.Step.At.D())
		case c.Spike != nil:
			s := c.Spike
			add(s.At.D())
			add(s.At.D() + s.Rise.D())
			add(s.At.D() + s.Rise.D() + s.Hold.D())
			add(s.At.D() + s.Rise.D() + s.Hold.D() + s.Fall.D())
		case c.Replay != nil:
			for _, pt := range c.Replay.Points {
				add(pt.At.D())
			}
		}
	}
	add(end)
	sort.Slice(pts, func(i, j int) bool { return pts[i] < pts[j] })
	return pts
}

// AppliesTo reports whether the scenario covers the named service.
func (sc *Scenario) AppliesTo(service string) bool {
	if len(sc.Services) == 0 {
		return true
	}
	for _, s := range sc.Services {
		if s == service {
			return true
		}
	}
	return false
}

// BaseRate is the rate, in requests per second, that the scenario's
// multiplier scales for a service: the service's observed rate, or the
// scenario's own rate in absolute mode.
func (sc *Scenario) BaseRate(svc *Service) float64 {
	if sc.Mode == ModeAbsolute && sc.Rate != nil {
		return sc.Rate.PerSecond
	}
	return svc.RequestRate.PerSecond
}
