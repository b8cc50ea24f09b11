package backtest

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"time"
)

// maxReadyGapShare is the largest share of steps the Ready replicas may
// miss before a service is refused: beyond it the replicas measures would
// judge a minority of the window.
const maxReadyGapShare = 0.5

// check refuses a history the measures cannot judge.
func (o *Observed) check() error {
	n := len(o.Rate)
	if o.Step <= 0 {
		return fmt.Errorf("the step must be positive, got %s", o.Step)
	}
	// A slice, not a map: the first mis-sized series named must not
	// depend on Go's randomised map order.
	for _, c := range []struct {
		name string
		s    []float64
	}{{"ready", o.Ready}, {"cpu", o.CPU}, {"p95", o.P95}, {"slow", o.SlowRate}, {"errors", o.ErrorRate}} {
		if c.s != nil && len(c.s) != n {
			return fmt.Errorf("series %s has %d steps, the request rate %d", c.name, len(c.s), n)
		}
	}
	first, last := span(o.Rate)
	if first < 0 {
		return &QueryError{Query: o.Queries["requestRate"], From: o.Start, To: o.end(), Err: errors.New("no request-rate samples")}
	}
	if got := time.Duration(last-first) * o.Step; got < MinWindow {
		return &QueryError{Query: o.Queries["requestRate"], From: o.at(first), To: o.at(last),
			Err: fmt.Errorf("the request rate covers %s, a backtest needs at least %s (a daily cycle)", got, MinWindow)}
	}
	if o.Ready == nil {
		return &QueryError{Query: o.Queries["ready"], From: o.Start, To: o.end(), Err: errors.New("no Ready-replica series")}
	}
	missing := 0
	for _, v := range o.Ready {
		if math.IsNaN(v) {
			missing++
		}
	}
	if missing == n {
		return &QueryError{Query: o.Queries["ready"], From: o.Start, To: o.end(), Err: errors.New("no Ready-replica samples")}
	}
	if float64(missing) > maxReadyGapShare*float64(n) {
		return &QueryError{Query: o.Queries["ready"], From: o.Start, To: o.end(),
			Err: fmt.Errorf("the Ready replicas miss %d of %d steps, more than %.0f %%", missing, n, 100*maxReadyGapShare)}
	}
	return nil
}

// finite is o with every ±Inf sample a gap (NaN), as a missing sample is:
// a non-finite value measures nothing, and left in it would carry into the
// measures and make the result unwritable as JSON. The caller's slices are
// not modified; a series is copied only when it holds an infinity.
func (o *Observed) finite() *Observed {
	c := *o
	for _, s := range []*[]float64{&c.Rate, &c.Ready, &c.CPU, &c.P95, &c.SlowRate, &c.ErrorRate} {
		*s = gapInf(*s)
	}
	if slices.ContainsFunc(c.StartupSeconds, func(v float64) bool { return math.IsInf(v, 0) || math.IsNaN(v) }) {
		c.StartupSeconds = slices.DeleteFunc(slices.Clone(c.StartupSeconds), func(v float64) bool { return math.IsInf(v, 0) || math.IsNaN(v) })
	}
	return &c
}

func gapInf(s []float64) []float64 {
	if !slices.ContainsFunc(s, func(v float64) bool { return math.IsInf(v, 0) }) {
		return s
	}
	out := slices.Clone(s)
	for k, v := range out {
		if math.IsInf(v, 0) {
			out[k] = math.NaN()
		}
	}
	return out
}

func (o *Observed) at(k int) time.Time { return o.Start.Add(time.Duration(k) * o.Step) }

// span is the first and last index holding a value, -1 when none does.
func span(s []float64) (first, last int) {
	first, last = -1, -1
	for k, v := range s {
		if !math.IsNaN(v) {
			if first < 0 {
				first = k
			}
			last = k
		}
	}
	return first, last
}

// maxGapNotes bounds the gaps listed per series.
const maxGapNotes = 3

// gapNotes names, per series, the time ranges without samples (inside the
// series' own span) that the measures leave out.
func (o *Observed) gapNotes() []string {
	var out []string
	for _, g := range []struct {
		name string
		s    []float64
	}{{"requestRate", o.Rate}, {"ready", o.Ready}, {"cpu", o.CPU}, {"p95", o.P95}} {
		if g.s == nil {
			continue
		}
		first, last := span(g.s)
		if first < 0 {
			out = append(out, fmt.Sprintf("%s (query %s): no samples from %s to %s", g.name, o.Queries[g.name], o.Start.Format(time.RFC3339), o.end().Format(time.RFC3339)))
			continue
		}
		var runs [][2]int
		missing := 0
		for k := first; k <= last; k++ {
			if !math.IsNaN(g.s[k]) {
				continue
			}
			missing++
			if n := len(runs); n > 0 && runs[n-1][1] == k-1 {
				runs[n-1][1] = k
			} else {
				runs = append(runs, [2]int{k, k})
			}
		}
		if first > 0 {
			runs = append([][2]int{{0, first - 1}}, runs...)
			missing += first
		}
		if last < len(g.s)-1 {
			runs = append(runs, [2]int{last + 1, len(g.s) - 1})
			missing += len(g.s) - 1 - last
		}
		if len(runs) == 0 {
			continue
		}
		msg := fmt.Sprintf("%s (query %s): %d steps without a sample, left out of the measures:", g.name, o.Queries[g.name], missing)
		for i, r := range runs {
			if i == maxGapNotes {
				msg += fmt.Sprintf(" and %d more gaps", len(runs)-maxGapNotes)
				break
			}
			msg += fmt.Sprintf(" %s to %s;", o.at(r[0]).Format(time.RFC3339), o.at(r[1]).Format(time.RFC3339))
		}
		out = append(out, msg)
	}
	return out
}

// asQueryError is errors.As for *QueryError.
func asQueryError(err error, target **QueryError) bool { return errors.As(err, target) }
