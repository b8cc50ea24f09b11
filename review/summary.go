package review

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/headroom-dev/headroom/model"
	"github.com/headroom-dev/headroom/review/record"
	"github.com/headroom-dev/headroom/scenarios"
	"github.com/headroom-dev/headroom/sim"
)

// summarise is the executive summary of a review: each service at risk in
// each scenario, every change proposed, each scenario's cost today and
// with the proposal, and a verdict.
func summarise(plan *scenarios.Plan, rep *record.Review, run func(string, record.Variant) *sim.Result) record.Summary {
	var s record.Summary
	for _, svc := range rep.Services {
		for _, x := range svc.Scenarios {
			r := record.Risk{Service: svc.Name, Scenario: x.Scenario}
			switch {
			case x.Current.OverBudget():
				r.Severity, r.When = "high", x.FirstViolation
				r.What = fmt.Sprintf("error-budget burn %.2f over the scenario, %.2f in the worst %s%s; %s SLO-violation minutes, worst p95 %s, %.2f %% errors",
					x.Current.SLOBudgetBurn, x.Current.WorstWindowBurn, windowName(x.Current.SLOWindowSeconds), spread(burnRange(&x.Current)),
					minutes(x.Current.SLOViolationMinutes, x.Current.SLOViolationMinutesRange), seconds(x.Current.WorstP95), x.Current.ErrorPercent)
			case x.Sizing.Status != record.StatusOK:
				r.Severity, r.When = "medium", x.PeakTime
				r.What = x.Sizing.Problem
			case burnRange(&x.Current) != nil && burnRange(&x.Current).P90 > 1:
				r.Severity, r.When = "medium", x.PeakTime
				r.What = fmt.Sprintf("holds its SLO with the inputs as written, but not across their uncertainty: error-budget burn %s at p10–p90", burnInterval(burnRange(&x.Current)))
			default:
				continue
			}
			r.Minutes, r.MinutesRange = x.Current.SLOViolationMinutes, x.Current.SLOViolationMinutesRange
			r.Burn, r.BurnRange = x.Current.WorstBurn(), burnRange(&x.Current)
			if x.Proposed != nil {
				m := x.Proposed.SLOViolationMinutes
				r.ProposedMinutes, r.ProposedMinutesRange = &m, x.Proposed.SLOViolationMinutesRange
				b := x.Proposed.WorstBurn()
				r.ProposedBurn, r.ProposedBurnRange = &b, burnRange(x.Proposed)
				r.ProposedLongest = x.Proposed.LongestViolation.String()
			}
			s.Risks = append(s.Risks, r)
		}
	}
	s.Intervals = intervalsNote(plan)
	sort.SliceStable(s.Risks, func(i, j int) bool { return s.Risks[i].Severity < s.Risks[j].Severity })
	for _, rec := range rep.Recommendations {
		for _, line := range slices.Concat(rec.HPARationale, rec.ResourceRationale) {
			s.Changes = append(s.Changes, rec.Service+": "+line)
		}
	}
	for _, ev := range rep.Events {
		for _, ps := range ev.PreScales {
			switch {
			case len(ps.Events) == 0:
				s.Changes = append(s.Changes, fmt.Sprintf("%s: for event %s, raise the floor %d → %d at %s UTC and restore it at %s UTC", ps.Service, ev.Event.Name, ps.From, ps.To, ps.RaiseClock, ps.RestoreClock))
			case ps.Events[0] == ev.Event.Name:
				// A merged schedule: once, under its first event.
				s.Changes = append(s.Changes, fmt.Sprintf("%s: for events %s (one schedule), raise the floor %d → %d at %s UTC and restore it at %s UTC", ps.Service, strings.Join(ps.Events, ", "), ps.From, ps.To, ps.RaiseClock, ps.RestoreClock))
			}
		}
	}
	for _, sc := range rep.Scenarios {
		hours := plan.Scenario(sc.Name).Duration.D().Hours()
		c := record.Cost{Scenario: sc.Name, Hours: hours, Current: sc.Cluster.Cost, Proposed: sc.Cluster.Cost}
		if run(sc.Name, record.Proposed) != nil {
			c.Proposed = sc.Cluster.ProposedCost
		}
		if hours >= 24 {
			c.PerMonthDelta = (c.Proposed - c.Current) / hours * model.HoursPerMonth
		}
		s.Cost = append(s.Cost, c)
	}
	var high, left, fixed int
	for _, r := range s.Risks {
		if r.Severity != "high" {
			continue
		}
		high++
		over := r.Burn > 1
		if r.ProposedBurn != nil {
			over = *r.ProposedBurn > 1
		}
		if !over {
			continue
		}
		left++
		if svc := plan.Service(r.Service); svc != nil && svc.Fixed {
			fixed++
		}
	}
	switch {
	case len(s.Risks) == 0:
		s.Verdict = "Every service keeps within its SLO's error budget in every scenario with today's settings."
	case high == 0:
		s.Verdict = fmt.Sprintf("Every service keeps within its error budget, but %d service-scenario(s) need more replicas than allowed at the peak.", len(s.Risks))
	case rep.ProposedHPASource != "":
		s.Verdict = fmt.Sprintf("%d service-scenario(s) spend more than their SLO's error budget with today's settings; with the proposed changes %d still do", high, left)
		if fixed > 0 {
			s.Verdict += fmt.Sprintf(", %d of them fixed-size services that need vertical scaling", fixed)
		}
		s.Verdict += "."
	default:
		s.Verdict = fmt.Sprintf("%d service-scenario(s) spend more than their SLO's error budget with today's settings, and no HPA change would help: see the notes per service.", high)
	}
	return s
}

// windowName prints an SLO window of secs seconds: "1h", "30m", "1h30m".
func windowName(secs float64) string {
	d := time.Duration(secs * float64(time.Second)).Round(time.Second)
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s + " window"
}

// minutes writes SLO-violation minutes, with their ensemble's p10–p90
// when there is one: "765 (540–810)".
func minutes(v float64, r *model.Interval) string {
	if r == nil {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.0f (%s)", v, interval(r))
}

// interval writes an ensemble's p10–p90 of minutes: "540–810".
func interval(r *model.Interval) string { return fmt.Sprintf("%.0f–%.0f", r.P10, r.P90) }

// burnInterval writes an ensemble's p10–p90 of burns: "0.80–2.10".
func burnInterval(r *model.Interval) string { return fmt.Sprintf("%.2f–%.2f", r.P10, r.P90) }

// intervalsNote says what the review's intervals are, or, without an
// uncertainty section, that it has none and how to get them.
func intervalsNote(plan *scenarios.Plan) string {
	u := plan.Uncertainty
	if u == nil {
		return "Every simulated number is one run of the plan's inputs as written. Many of them are estimates: add an uncertainty: section to the plan " +
			"(relative ranges of requestRate, serviceTime, cpu and memory, e.g. uncertainty: {requestRate: 15%, serviceTime: 25%, cpu: 25%}) " +
			"or pass --uncertainty, and every verdict gets a p10–p90 interval from a seeded ensemble of simulations."
	}
	var ranges []string
	for i, r := range u.Ranges() {
		if r > 0 {
			ranges = append(ranges, fmt.Sprintf("%s ±%g %%", scenarios.UncertaintyDimensions[i], math.Round(r*1000)/10))
		}
	}
	what := "no input range (seed replications only)"
	if len(ranges) > 0 {
		what = strings.Join(ranges, ", ")
	}
	return fmt.Sprintf("Numbers in parentheses are p10–p90 over an ensemble of %d simulations per run (a Latin hypercube over %s); "+
		"the number before them is the run with the inputs as written, which the figures draw, with the p10–p90 band shaded.", u.Samples, what)
}

func seconds(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "—"
	}
	if v < 1 {
		return fmt.Sprintf("%.0f ms", v*1000)
	}
	return fmt.Sprintf("%.2f s", v)
}

// rows are the CLI's table: per service the scenarios in which it is at
// risk, its SLO-violation minutes today and with the proposal, and how
// many changes are proposed for it.
func rows(rev *record.Review) []record.ServiceRow {
	var out []record.ServiceRow
	for _, s := range rev.Services {
		row := record.ServiceRow{Service: s.Name}
		for _, x := range s.Scenarios {
			if atRisk(x) {
				row.AtRisk = append(row.AtRisk, x.Scenario)
			}
			row.Today += x.Current.SLOViolationMinutes
			row.BurnToday = max(row.BurnToday, x.Current.WorstBurn())
			if x.Proposed != nil {
				row.Proposed += x.Proposed.SLOViolationMinutes
				row.BurnProposed = max(row.BurnProposed, x.Proposed.WorstBurn())
			} else {
				row.Proposed += x.Current.SLOViolationMinutes
				row.BurnProposed = max(row.BurnProposed, x.Current.WorstBurn())
			}
		}
		for _, r := range rev.Recommendations {
			if r.Service == s.Name {
				row.Changes += len(r.HPARationale) + len(r.ResourceRationale)
			}
		}
		for _, ev := range rev.Events {
			for _, ps := range ev.PreScales {
				// A merged schedule is one change, counted under its first event.
				if ps.Service == s.Name && (len(ps.Events) == 0 || ps.Events[0] == ev.Event.Name) {
					row.Changes++
				}
			}
		}
		out = append(out, row)
	}
	return out
}
