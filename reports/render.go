package reports

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/headroom-dev/headroom/model"
	"github.com/headroom-dev/headroom/review/record"
)

// layout lays the review out: executive summary, the backtest (when one
// was given), services, events, scenarios, patches, assumptions.
func layout(rep *record.Review) *document {
	d := &document{}
	d.h(1, "", "Capacity review: %s", rep.Plan)
	d.p("Plan %s, seed %d, %s model; written by %s. The same plan and seed give the same report.", rep.PlanFile, rep.Seed, rep.Mode, rep.Generator)

	d.h(2, "summary", "Executive summary")
	d.strong("%s", rep.Summary.Verdict)
	if w := backtestWarning(rep); w != "" {
		d.strong("%s", w)
	}
	if rep.Summary.Intervals != "" {
		d.p("%s", rep.Summary.Intervals)
	}
	d.h(3, "", "At risk")
	if len(rep.Summary.Risks) == 0 {
		d.p("No service is at risk in any scenario.")
	} else {
		t := table{head: []string{"severity", "service", "scenario", "from (UTC)", "what", "burn with the proposal", "SLO-min with the proposal"}, right: []bool{false, false, false, false, false, true, true}}
		for _, r := range rep.Summary.Risks {
			prop, burn := "—", "—"
			if r.ProposedMinutes != nil {
				prop = fmt.Sprintf("%.0f", *r.ProposedMinutes)
				var notes []string
				if rr := r.ProposedMinutesRange; rr != nil {
					notes = append(notes, fmt.Sprintf("%.0f–%.0f", rr.P10, rr.P90))
				}
				if *r.ProposedMinutes > 0 {
					notes = append(notes, "longest "+r.ProposedLongest)
				}
				if len(notes) > 0 {
					prop += " (" + strings.Join(notes, "; ") + ")"
				}
			}
			if r.ProposedBurn != nil {
				burn = formatBurn(*r.ProposedBurn)
				if rr := r.ProposedBurnRange; rr != nil {
					burn += fmt.Sprintf(" (%s–%s)", formatBurn(rr.P10), formatBurn(rr.P90))
				}
			}
			t.rows = append(t.rows, []string{r.Severity, r.Service, r.Scenario, r.When, r.What, burn, prop})
			t.rowClass = append(t.rowClass, r.Severity)
		}
		d.add(t)
	}
	d.h(3, "", "What to change")
	if len(rep.Summary.Changes) == 0 {
		d.p("Nothing: today's settings cover every scenario.")
	} else {
		d.list(rep.Summary.Changes)
		d.p("The patches are in patches/ (see \"Patches\" below): merge patches/kustomization.yaml as a kustomize component, or run patches/kubectl-patches.sh.")
	}
	d.h(3, "", "Cost")
	t := table{head: []string{"scenario", "hours", "today", "proposed", "Δ per month"}, right: []bool{false, true, true, true, true}}
	for _, c := range rep.Summary.Cost {
		delta := "—"
		if c.Hours >= 24 {
			delta = signedMoney(c.PerMonthDelta)
		}
		t.rows = append(t.rows, []string{c.Scenario, fmt.Sprintf("%g", c.Hours), money(c.Current), money(c.Proposed), delta})
	}
	d.add(t)
	d.p("Costs are simulated node-hours at list price. \"Δ per month\" scales a day-long scenario to 730 hours.")

	backtestSection(d, rep)

	if len(rep.CallGraph) > 0 {
		callGraphSection(d, rep)
	}

	d.h(2, "services", "Services")
	for _, s := range rep.Services {
		serviceSection(d, rep, s)
	}

	if len(rep.Events) > 0 {
		d.h(2, "events", "Events")
		for _, ev := range rep.Events {
			eventSection(d, rep, ev)
		}
	}

	d.h(2, "scenarios", "Scenarios")
	st := table{head: []string{"scenario", "start (UTC)", "duration", "peak ×", "peak at", "nodes at peak", "simulated peak nodes", "node cost", "unschedulable"}, right: []bool{false, false, false, true, false, true, true, true, false}}
	for _, sc := range rep.Scenarios {
		st.rows = append(st.rows, []string{sc.Name, sc.Start, sc.Duration, fmt.Sprintf("%.2f", sc.PeakMultiplier), sc.PeakTime,
			fmt.Sprintf("%d × %s", sc.Nodes.Nodes, sc.Nodes.NodeType), fmt.Sprint(sc.Cluster.PeakNodes), money(sc.Cluster.Cost), sc.Cluster.Unschedulable})
	}
	d.add(st)
	for _, sc := range rep.Scenarios {
		if sc.Description != "" {
			d.p("%s: %s", sc.Name, sc.Description)
		}
		for _, f := range rep.Figures {
			if f.Service == "" && f.Scenario == sc.Name {
				d.add(image{f})
			}
		}
	}

	d.h(2, "patches", "Patches")
	if len(rep.Patches) == 0 {
		d.p("No patches.")
	} else {
		d.p("Merge patches/kustomization.yaml into the overlay that deploys these workloads (components: [path/to/patches]), or apply the same changes with patches/kubectl-patches.sh. Check them first with: headroom apply -f patches (a server-side dry run; --apply writes).")
		pt := table{head: []string{"file", "changes", "why"}}
		for _, p := range rep.Patches {
			pt.rows = append(pt.rows, []string{"patches/" + p.Path, p.Target, strings.Join(p.Rationale, "; ")})
		}
		d.add(pt)
	}

	d.h(2, "assumptions", "Assumptions and inputs")
	d.h(3, "", "What the plan says of its inputs")
	if len(rep.Assumptions) == 0 {
		d.p("The plan marks none of its inputs with a source.")
	} else {
		at := table{head: []string{"field", "value", "source", "comment", "line"}}
		for _, a := range rep.Assumptions {
			at.rows = append(at.rows, []string{a.Path, a.Value, orDash(a.Source), a.Comment, fmt.Sprint(a.Line)})
		}
		d.add(at)
	}
	d.h(3, "", "How the model works")
	d.list(rep.ModelNotes)
	d.h(3, "", "What each number depends on")
	dt := table{head: []string{"number", "depends on"}}
	for _, dep := range rep.DependsOn {
		dt.rows = append(dt.rows, []string{dep.Output, strings.Join(dep.Inputs, "; ")})
	}
	d.add(dt)
	return d
}

func serviceSection(d *document, rep *record.Review, s record.ServiceSection) {
	state := "safe in every scenario"
	if !s.Safe {
		state = "at risk"
	}
	d.h(3, "svc-"+s.Name, "%s — %s", s.Name, state)
	hpa := "no HPA"
	if s.HPA != "" {
		hpa = "HPA " + s.HPA
	}
	d.p("%s in namespace %s, %s.", s.Workload, s.Namespace, hpa)
	if s.Fixed {
		d.p("A fixed-size service: evaluated at its current replicas, not scaled.")
	}
	t := table{
		head:  []string{"scenario", "peak (UTC)", "peak req/s", "need (queueing)", "need (utilisation only)", "HPA max", "p95 at need", "burn today", "burn proposed", "SLO-min today", "SLO-min proposed", "verdict"},
		right: []bool{false, false, true, true, true, true, true, true, true, true, true, false},
	}
	for _, x := range s.Scenarios {
		sz := x.Sizing
		p95 := "unstable"
		if sz.P95Seconds != nil {
			p95 = seconds(*sz.P95Seconds)
			if sz.Approximate {
				p95 = "~" + p95
			}
		}
		prop, propBurn := "—", "—"
		if x.Proposed != nil {
			prop = minutes(x.Proposed.SLOViolationMinutes, x.Proposed.SLOViolationMinutesRange)
			propBurn = runBurn(x.Proposed)
		}
		need := fmt.Sprintf("%d (%s)", sz.Required, sz.Binding)
		if sz.Fixed {
			need = fmt.Sprintf("%d (fixed)", sz.At)
		}
		t.rows = append(t.rows, []string{x.Scenario, x.PeakTime, fmt.Sprintf("%.1f", sz.PeakRate), need, fmt.Sprint(x.UtilisationOnly),
			fmt.Sprint(sz.Max), p95, runBurn(&x.Current), propBurn, minutes(x.Current.SLOViolationMinutes, x.Current.SLOViolationMinutesRange), prop, x.Verdict})
		switch r := x.Current.WorstWindowBurnRange; {
		case x.Current.OverBudget():
			t.rowClass = append(t.rowClass, "high")
		case sz.Status != record.StatusOK, r != nil && r.P90 > 1:
			t.rowClass = append(t.rowClass, "medium")
		default:
			t.rowClass = append(t.rowClass, "safe")
		}
	}
	d.add(t)
	for _, rec := range rep.Recommendations {
		if rec.Service == s.Name {
			var items []string
			items = append(items, rec.HPARationale...)
			items = append(items, rec.ResourceRationale...)
			items = append(items, rec.Notes...)
			if len(items) > 0 {
				d.h(4, "", "Proposed for %s", s.Name)
				d.list(items)
			}
		}
	}
	// The capacity curve first, then each scenario's figures in order.
	for _, f := range rep.Figures {
		if f.Service == s.Name && f.Kind == FigureCapacity {
			d.add(image{f})
		}
	}
	for _, x := range s.Scenarios {
		for _, f := range rep.Figures {
			if f.Service == s.Name && f.Scenario == x.Scenario && f.Event == "" && f.Kind != FigureCapacity {
				d.add(image{f})
			}
		}
	}
	d.h(4, "", "Inputs of %s", s.Name)
	it := table{head: []string{"input", "value"}}
	for _, kv := range s.Inputs {
		it.rows = append(it.rows, []string{kv.Key, kv.Value})
	}
	d.add(it)
}

func eventSection(d *document, rep *record.Review, ev record.EventSection) {
	e := ev.Event
	when := fmt.Sprintf("%s to %s UTC", e.Start.Format("15:04"), e.End.Format("15:04"))
	if e.Dated {
		when = fmt.Sprintf("%s to %s UTC", e.Start.Format("2006-01-02 15:04"), e.End.Format("2006-01-02 15:04"))
	}
	d.h(3, "event-"+e.Name, "%s: %gx traffic, %s", e.Name, e.Peak, when)
	if len(ev.PreScales) == 0 {
		d.p("Today's floors already cover the event's peak: no pre-scale is needed.")
	} else {
		d.p("Raise each floor early enough that pods (and any new nodes) are Ready before the traffic rises at %s, then restore it after the fall.", e.Start.Format("15:04"))
		t := table{head: []string{"service", "floor", "max", "raise at (UTC)", "restore at (UTC)", "lead", "new nodes", "burn without", "burn with", "SLO-min without", "SLO-min with"},
			right: []bool{false, true, true, false, false, true, true, true, true, true, true}}
		for _, ps := range ev.PreScales {
			raise, restore := ps.RaiseClock.String(), ps.RestoreClock.String()
			if e.Dated {
				raise, restore = ps.Raise.Format("2006-01-02 15:04"), ps.Restore.Format("2006-01-02 15:04")
			}
			maxCol := "—"
			if ps.MaxTo > ps.MaxFrom {
				maxCol = fmt.Sprintf("%d → %d", ps.MaxFrom, ps.MaxTo)
			}
			t.rows = append(t.rows, []string{ps.Service, fmt.Sprintf("%d → %d", ps.From, ps.To), maxCol, raise, restore,
				ps.Lead.String(), fmt.Sprint(ps.NewNodes), formatBurn(ev.BurnWithout[ps.Service]), formatBurn(ev.BurnWith[ps.Service]),
				fmt.Sprintf("%.0f", ev.Without[ps.Service]), fmt.Sprintf("%.0f", ev.With[ps.Service])})
		}
		d.add(t)
		var why []string
		for _, ps := range ev.PreScales {
			why = append(why, ps.Service+": "+strings.Join(ps.Rationale, "; "))
		}
		d.list(why)
		d.p("The error-budget burn (bad requests over the offered ones, over the latency SLO's budget; above 1 breaks the SLO) and the SLO-violation minutes are counted from %s to %s UTC (the first raise to the last restore), per %s interval: \"without\" is today's settings, \"with\" the proposal (its HPAs, requests and limits) plus the pre-scale.", ev.WindowStart, ev.WindowEnd, ev.WindowResolution)
		d.p("The CronJobs that raise and restore the floors are in patches/manifests/cronjob-prescale-%s-*.yaml.", e.Name)
	}
	d.p("Expected cost of the event: %s (the scenario costs %s simulated with the pre-scale, against %s for the same hours at today's traffic, both with the proposal).", signedMoney(ev.Extra), money(ev.Cost), money(ev.Baseline))
	for _, f := range rep.Figures {
		if f.Event == e.Name {
			d.add(image{f})
		}
	}
}

// Markdown renders report.md.
func Markdown(rep *record.Review) []byte { return layout(rep).markdown() }

// HTML renders report.html with the figures' PNGs embedded (by name).
func HTML(rep *record.Review, pngs map[string][]byte) []byte {
	return layout(rep).htmlPage("Capacity review: "+rep.Plan, pngs)
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// minutes writes SLO-violation minutes with their ensemble's p10–p90
// when the review has one: "765 (540–810)".
func minutes(v float64, r *model.Interval) string {
	if r == nil {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.0f (%.0f–%.0f)", v, r.P10, r.P90)
}

func money(v float64) string { return fmt.Sprintf("$%.2f", v) }

func signedMoney(v float64) string {
	if v < 0 {
		return fmt.Sprintf("−$%.2f", -v)
	}
	return fmt.Sprintf("+$%.2f", v)
}

// seconds writes a duration in seconds as "250 ms" or "1.50 s", "—" for
// no value.
func seconds(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "—"
	}
	if v < 1 {
		return fmt.Sprintf("%.0f ms", v*1000)
	}
	return fmt.Sprintf("%.2f s", v)
}

// formatBurn prints an error-budget burn: "0" for none, "<0.01" for less,
// two decimals below 10, whole numbers above.
func formatBurn(b float64) string {
	switch {
	case b == 0:
		return "0"
	case b < 0.01:
		return "<0.01"
	case b < 10:
		return fmt.Sprintf("%.2f", b)
	}
	return fmt.Sprintf("%.0f", b)
}

// runBurn is a run's burn over the scenario and, when higher, over its
// worst window: "0.40", or "0.40 (2.10 in the worst 1h)".
func runBurn(s *record.RunSummary) string {
	out := formatBurn(s.SLOBudgetBurn)
	if r := s.SLOBudgetBurnRange; r != nil {
		out += fmt.Sprintf(" (%s–%s)", formatBurn(r.P10), formatBurn(r.P90))
	}
	if s.WorstWindowBurn > s.SLOBudgetBurn*(1+1e-9) && formatBurn(s.WorstWindowBurn) != formatBurn(s.SLOBudgetBurn) {
		out += fmt.Sprintf(" [%s in the worst %s", formatBurn(s.WorstWindowBurn), shortWindow(s.SLOWindowSeconds))
		if r := s.WorstWindowBurnRange; r != nil {
			out += fmt.Sprintf(", %s–%s", formatBurn(r.P10), formatBurn(r.P90))
		}
		out += "]"
	}
	return out
}

// shortWindow prints a window of secs seconds as "1h", "30m" or "1h30m".
func shortWindow(secs float64) string {
	d := time.Duration(secs * float64(time.Second)).Round(time.Second)
	s := d.String()
	s = strings.TrimSuffix(s, "0s")
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// callGraphSection is the plan's call graph: the figure, the calls, and
// where each scenario's trouble starts.
func callGraphSection(d *document, rep *record.Review) {
	d.h(2, "call-graph", "Call graph")
	d.p("Requests reach a service from outside and through the calls of other services: its rate is its own plus, over its callers, the caller's rate times the calls per request. A synchronous call holds the caller's worker slot until the callee answers, so a slow or failing callee makes its callers slow or failing too.")
	for _, f := range rep.Figures {
		if f.Kind == FigureCallGraph {
			d.add(image{f})
		}
	}
	t := table{head: []string{"caller", "calls", "per request", "mode"}, right: []bool{false, false, true, false}}
	for _, e := range rep.CallGraph {
		t.rows = append(t.rows, []string{e.Caller, e.Callee, fmt.Sprintf("%g", e.PerRequest), e.Mode})
	}
	d.add(t)
	var items []string
	for _, sc := range rep.Scenarios {
		if sc.TroubleStartsAt == "" {
			items = append(items, fmt.Sprintf("%s: no service is over its error budget with today's settings.", sc.Name))
			continue
		}
		items = append(items, fmt.Sprintf("%s: trouble starts at %s — %s", sc.Name, sc.TroubleStartsAt, sc.TroubleStartsWhy))
	}
	d.h(3, "", "Where trouble starts")
	d.list(items)
}
