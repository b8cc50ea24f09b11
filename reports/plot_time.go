package reports

import (
	"fmt"
	"math"
	"time"

	"gonum.org/v1/plot"
)

const day = 24 * time.Hour

// timeAxis maps a scenario's offsets to an x axis in hours (runs up to three
// days) or days (longer), with ticks at round wall-clock times: "06:00"
// every few hours, "day 3" at midnights.
type timeAxis struct {
	start time.Duration // the UTC time of day at offset 0
	span  time.Duration
	unit  time.Duration // what one x unit is: an hour or a day
}

func newTimeAxis(start, span time.Duration) timeAxis {
	a := timeAxis{start: start % day, span: span, unit: time.Hour}
	if span > 3*day {
		a.unit = day
	}
	return a
}

// x is the axis value of offset t.
func (a timeAxis) x(t time.Duration) float64 { return float64(t) / float64(a.unit) }

// label is the axis label.
func (a timeAxis) label() string {
	switch {
	case a.unit == day:
		return "day of the scenario (ticks at 00:00 UTC)"
	case a.span > day:
		return "time (UTC; day 1 is the first)"
	}
	return "time of day (UTC)"
}

// apply puts the axis on a plot: its range, ticks and label; labelled
// false leaves the tick labels off (for the upper panels of a stack).
func (a timeAxis) apply(p *plot.Plot, labelled bool) {
	p.X.Min, p.X.Max = 0, a.x(a.span)
	if labelled {
		p.X.Label.Text = a.label()
		p.X.Tick.Marker = a
		return
	}
	p.X.Label.Text = ""
	p.X.Tick.Marker = plot.TickerFunc(func(min, max float64) []plot.Tick {
		ts := a.Ticks(min, max)
		for i := range ts {
			ts[i].Label = ""
		}
		return ts
	})
}

// Major and minor tick steps for an hour axis; a step is chosen to give at
// most eight labelled ticks.
var hourSteps = []struct{ major, minor time.Duration }{
	{time.Minute, 0},
	{2 * time.Minute, time.Minute},
	{5 * time.Minute, time.Minute},
	{10 * time.Minute, 5 * time.Minute},
	{15 * time.Minute, 5 * time.Minute},
	{30 * time.Minute, 10 * time.Minute},
	{time.Hour, 15 * time.Minute},
	{2 * time.Hour, 30 * time.Minute},
	{3 * time.Hour, time.Hour},
	{6 * time.Hour, time.Hour},
	{12 * time.Hour, 3 * time.Hour},
	{day, 6 * time.Hour},
}

// Day steps for a day axis, at most ten labelled ticks.
var daySteps = []struct{ major, minor int }{
	{1, 0}, {2, 1}, {5, 1}, {7, 1}, {14, 7}, {28, 7}, {56, 14}, {91, 7}, {182, 91}, {364, 91},
}

// Ticks implements plot.Ticker; min and max are in axis units.
func (a timeAxis) Ticks(min, max float64) []plot.Tick {
	lo := time.Duration(math.Floor(min * float64(a.unit)))
	hi := time.Duration(math.Ceil(max * float64(a.unit)))
	span := hi - lo
	var major, minor time.Duration
	if a.unit == day {
		s := daySteps[len(daySteps)-1]
		for _, c := range daySteps {
			if span <= time.Duration(c.major)*10*day {
				s = c
				break
			}
		}
		major, minor = time.Duration(s.major)*day, time.Duration(s.minor)*day
	} else {
		s := hourSteps[len(hourSteps)-1]
		for _, c := range hourSteps {
			if span <= c.major*8 {
				s = c
				break
			}
		}
		major, minor = s.major, s.minor
	}
	every := major
	if minor > 0 {
		every = minor
	}
	// Ticks fall on wall-clock multiples of the step.
	var ticks []plot.Tick
	first := (a.start + lo + every - 1) / every * every
	for wall := first; wall-a.start <= hi; wall += every {
		t := wall - a.start
		tk := plot.Tick{Value: a.x(t)}
		if wall%major == 0 {
			tk.Label = a.tickLabel(wall, t)
		}
		ticks = append(ticks, tk)
	}
	return ticks
}

// tickLabel names wall-clock time wall (from the first midnight), offset t.
func (a timeAxis) tickLabel(wall, t time.Duration) string {
	d := int(wall/day) + 1
	tod := wall % day
	switch {
	case a.unit == day:
		return fmt.Sprintf("day %d", d)
	case a.span > day && tod == 0:
		return fmt.Sprintf("day %d", d)
	case tod == 0 && t > 0 && t == a.span:
		return "24:00"
	}
	return fmt.Sprintf("%02d:%02d", int(tod/time.Hour), int(tod%time.Hour/time.Minute))
}
