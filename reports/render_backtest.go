package reports

import (
	"fmt"
	"strings"
	"time"

	"github.com/headroom-dev/headroom/review/record"
)

// backtestMeasures are the backtest table's columns, in order.
var backtestMeasures = []struct{ name, head string }{
	{"replicas", "replicas"}, {"cpu", "CPU"}, {"cpuCores", "CPU of all pods"}, {"p95", "p95"},
	{"budgetBurn", "budget burn"}, {"startup", "start-up"}, {"scaleLag", "scale lag"},
}

// disagreeing lists the backtested services that disagree.
func disagreeing(bt *record.Backtest) []string {
	var out []string
	for _, s := range bt.Services {
		if s.Verdict != record.BacktestAgrees {
			out = append(out, s.Service)
		}
	}
	return out
}

// backtestWarning is the summary's plain statement when recommendations
// rest on a model production contradicts ("" when none does).
func backtestWarning(rep *record.Review) string {
	if rep.Backtest == nil {
		return ""
	}
	if bad := disagreeing(rep.Backtest); len(bad) > 0 {
		return fmt.Sprintf("The recommendations for %s rest on a model that disagrees with production: replaying their own history, the simulation did not match what the cluster did (see \"Does the model match production?\"). Correct the inputs named there before acting on them.", strings.Join(bad, ", "))
	}
	return ""
}

// backtestSection renders `headroom backtest`'s result: the verdict in a
// sentence, one row per service with each measure against its tolerance,
// the likely causes, the services not backtested, and the figures.
func backtestSection(d *document, rep *record.Review) {
	bt := rep.Backtest
	if bt == nil {
		return
	}
	d.h(2, "backtest", "Does the model match production?")
	d.p("Production's own history from %s to %s (%s steps) was replayed through the simulator with today's HPAs, scheduled scaling and nodes, each service starting at its first observed replica count, and compared with what the cluster did (headroom backtest; docs/backtest.md gives the measures and tolerances).",
		bt.Start.UTC().Format("2006-01-02 15:04"), bt.End.UTC().Format("2006-01-02 15:04 MST"), time.Duration(bt.StepSeconds*float64(time.Second)))
	if bad := disagreeing(bt); len(bad) > 0 {
		d.strong("The model disagrees with production for %s. The recommendations for these services rest on inputs production contradicts.", strings.Join(bad, ", "))
	} else if bt.Verdict == record.BacktestIncomplete && len(bt.Services) == 0 {
		d.strong("No service could be backtested (listed below): the model is not confirmed by production.")
	} else if bt.Verdict == record.BacktestIncomplete {
		d.p("The model agrees with production for every backtested service, but not every service could be backtested (listed below): the result is incomplete.")
	} else if len(bt.Services) > 0 {
		d.p("The model agrees with production for every backtested service.")
	}
	head := []string{"service", "verdict"}
	for _, m := range backtestMeasures {
		head = append(head, m.head)
	}
	t := table{head: head}
	for _, s := range bt.Services {
		row := []string{s.Service, s.Verdict}
		for _, m := range backtestMeasures {
			cell := "—"
			for _, c := range s.Checks {
				if c.Measure != m.name {
					continue
				}
				switch {
				case c.Skipped:
					cell = c.Value + " (not judged)"
				case c.OK:
					cell = c.Value
				default:
					cell = c.Value + " — outside " + c.Tolerance
				}
			}
			row = append(row, cell)
		}
		t.rows = append(t.rows, row)
	}
	if len(t.rows) > 0 {
		d.add(t)
	}
	var causes []string
	for _, s := range bt.Services {
		c := s.Cause
		if c == nil {
			continue
		}
		line := fmt.Sprintf("%s: likely %s — %s", s.Service, c.Cause, c.Evidence)
		if c.Fitted != nil && c.Planned != nil {
			line += fmt.Sprintf("; %s would fit %s (the plan has %s)", c.Field, causeQuantity(*c.Fitted, c.Unit), causeQuantity(*c.Planned, c.Unit))
		}
		causes = append(causes, line+".")
	}
	if len(causes) > 0 {
		d.list(causes)
	}
	var fails []string
	for _, f := range bt.Failures {
		fails = append(fails, fmt.Sprintf("%s was not backtested: %s", f.Service, f.Error))
	}
	if len(fails) > 0 {
		d.list(fails)
	}
	for _, f := range rep.Figures {
		if f.Kind == FigureBacktest {
			d.add(image{f})
		}
	}
}

func causeQuantity(v float64, unit string) string {
	if unit == "seconds" && v < 1 {
		return fmt.Sprintf("%.3g ms", v*1000)
	}
	if unit == "seconds" {
		return seconds(v)
	}
	return fmt.Sprintf("%g %s", v, unit)
}
