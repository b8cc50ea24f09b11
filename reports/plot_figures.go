package reports

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"strings"
	"time"

	"gonum.org/v1/plot"
	autoscalingv2 "k8s.io/api/autoscaling/v2"

	"github.com/headroom-dev/headroom/model"
	"github.com/headroom-dev/headroom/review/record"
	"github.com/headroom-dev/headroom/scenarios"
)

// ErrFixedService is returned for the capacity curve of a fixed service,
// whose capacity does not grow with replicas.
var ErrFixedService = errors.New("a fixed service has no capacity curve: its capacity does not grow with replicas")

// ServiceFigures draws one service's run through one scenario: traffic and
// replicas, CPU utilisation against the HPA target, and latency against the
// SLO (the last only when the service has a latency SLO or served
// requests).
func ServiceFigures(svc *scenarios.Service, sc *scenarios.Scenario, res *record.ServiceRun) ([]Figure, error) {
	if err := checkService(svc, sc, res); err != nil {
		return nil, err
	}
	var out []Figure
	for _, build := range []func(*scenarios.Service, *scenarios.Scenario, *record.ServiceRun) *figure{
		trafficFigure, utilisationFigure, latencyFigure,
	} {
		f := build(svc, sc, res)
		if f == nil {
			continue
		}
		fig, err := f.render()
		if err != nil {
			return nil, err
		}
		out = append(out, fig)
	}
	return out, nil
}

func checkService(svc *scenarios.Service, sc *scenarios.Scenario, res *record.ServiceRun) error {
	switch {
	case svc == nil || sc == nil || res == nil:
		return errors.New("plot: service, scenario and result are all required")
	case res.Service != svc.Name:
		return fmt.Errorf("plot: result is for service %q, not %q", res.Service, svc.Name)
	case len(res.Series) == 0:
		return fmt.Errorf("plot: service %s, scenario %s: the result has no series to draw", svc.Name, sc.Name)
	}
	what := "service " + svc.Name + ", scenario " + sc.Name
	if err := checkTimes(res.Series, func(s record.Sample) time.Duration { return s.T.D() }, what); err != nil {
		return err
	}
	for i := range res.Series {
		s := &res.Series[i]
		for _, f := range []struct {
			name string
			v    float64
		}{{"lambda", s.Lambda}, {"cpuUtilization", s.CPUUtilisation}, {"p50", s.P50}, {"p95", s.P95}, {"p99", s.P99}} {
			if math.IsNaN(f.v) || math.IsInf(f.v, 0) {
				return fmt.Errorf("plot: %s: series[%d].%s is %g", what, i, f.name, f.v)
			}
		}
	}
	return nil
}

// checkTimes insists on increasing positive sample times.
func checkTimes[S any](ss []S, t func(S) time.Duration, what string) error {
	prev := time.Duration(0)
	for i, s := range ss {
		if t(s) <= prev {
			return fmt.Errorf("plot: %s: series[%d].tSeconds %g is not after %g", what, i, t(s).Seconds(), prev.Seconds())
		}
		prev = t(s)
	}
	return nil
}

func fileSafe(parts ...string) string {
	var b strings.Builder
	for i, p := range parts {
		if i > 0 {
			b.WriteByte('-')
		}
		for _, r := range p {
			switch {
			case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
				b.WriteRune(r)
			case r >= 'A' && r <= 'Z':
				b.WriteRune(r - 'A' + 'a')
			default:
				b.WriteByte('_')
			}
		}
	}
	return b.String()
}

// serviceAxis is the time axis of a service's run.
func serviceAxis(sc *scenarios.Scenario, ss []record.Sample) timeAxis {
	return newTimeAxis(time.Duration(sc.Start), max(ss[len(ss)-1].T.D(), sc.Duration.D()))
}

func sampleXs(a timeAxis, ss []record.Sample) []float64 {
	xs := make([]float64, len(ss))
	for i, s := range ss {
		xs[i] = a.x(s.T.D())
	}
	return xs
}

func sampleYs(ss []record.Sample, f func(*record.Sample) float64) []float64 {
	ys := make([]float64, len(ss))
	for i := range ss {
		ys[i] = f(&ss[i])
	}
	return ys
}

func peak(ys []float64) float64 {
	m := math.Inf(-1)
	for _, y := range ys {
		if !math.IsNaN(y) {
			m = math.Max(m, y)
		}
	}
	return m
}

func trafficFigure(svc *scenarios.Service, sc *scenarios.Scenario, res *record.ServiceRun) *figure {
	ss := res.Series
	a := serviceAxis(sc, ss)
	xs := sampleXs(a, ss)
	rate := sampleYs(ss, func(s *record.Sample) float64 { return s.Lambda })
	desired := sampleYs(ss, func(s *record.Sample) float64 { return float64(s.Desired) })
	ready := sampleYs(ss, func(s *record.Sample) float64 { return float64(s.Ready) })

	top := &panel{plot: newPanel("request rate (req/s)")}
	top.add("offered request rate", newSeries(xs, rate, lineStyle(colBlue, 1.5, dashSolid), true))
	top.plot.Y.Min = 0
	headroom(top.plot)
	a.apply(top.plot, false)

	bottom := &panel{plot: newPanel("replicas (pods)")}
	bottom.plot.Y.Tick.Marker = niceTicks{integer: true}
	if b := res.Bands; b != nil && len(b.Ready) == len(ss) {
		lo, hi := bandBounds(b.Ready, 1)
		bottom.add("Ready pods, p10–p90 over the inputs' uncertainty", spread{xs: xs, lo: lo, hi: hi, color: colBand})
	}
	bottom.add("desired (spec.replicas)", newSeries(xs, desired, lineStyle(colVermilion, 2, dashSolid), true))
	bottom.add("Ready pods", newSeries(xs, ready, lineStyle(colBlue, 1.5, dashDashed), true))
	sum := res.Summary
	bounds := ""
	if lo, hi, ok := hpaBounds(svc.HPA); ok {
		bottom.add(fmt.Sprintf("minReplicas %d", lo), hline{float64(lo), lineStyle(colBlack, 1, dashDotted)})
		bottom.add(fmt.Sprintf("maxReplicas %d", hi), hline{float64(hi), lineStyle(colBlack, 1, dashDashDot)})
		bounds = fmt.Sprintf(", against the HPA's minReplicas %d and maxReplicas %d", lo, hi)
		if patchesBounds(svc) {
			bounds += " as the spec sets them (scheduled actions patch them during the day; the lines do not follow)"
		}
	}
	bottom.plot.Y.Min = 0
	bottom.plot.Y.Max = math.Max(bottom.plot.Y.Max, 1)
	headroom(bottom.plot)
	a.apply(bottom.plot, true)

	title := fmt.Sprintf("%s, scenario %s: traffic and replicas", svc.Name, sc.Name)
	caption := fmt.Sprintf("%s through scenario %s: the offered request rate (top, peak %s req/s) and the replicas the "+
		"autoscaler asked for and those Ready (bottom, at most %g desired)%s.",
		svc.Name, sc.Name, formatNum(peak(rate)), peak(desired), bounds)
	if sum.PinnedAtMaxMinutes > 0 {
		caption += fmt.Sprintf(" %.0f min at maxReplicas.", sum.PinnedAtMaxMinutes)
	}
	return &figure{
		Figure: Figure{Name: fileSafe(svc.Name, sc.Name, FigureTraffic), Kind: FigureTraffic, Service: svc.Name, Scenario: sc.Name,
			Title: title, Caption: caption},
		height: stackHeight,
		panels: []*panel{top, bottom},
	}
}

// hpaBounds are an HPA spec's minReplicas (default 1) and maxReplicas.
func hpaBounds(h *autoscalingv2.HorizontalPodAutoscalerSpec) (lo, hi int32, ok bool) {
	if h == nil {
		return 0, 0, false
	}
	lo = 1
	if h.MinReplicas != nil {
		lo = *h.MinReplicas
	}
	return lo, h.MaxReplicas, true
}

// patchesBounds reports whether a scheduled action changes the HPA's
// bounds.
func patchesBounds(svc *scenarios.Service) bool {
	for _, a := range svc.ScheduledScaling {
		if a.MinReplicas != nil || a.MaxReplicas != nil {
			return true
		}
	}
	return false
}

func utilisationFigure(svc *scenarios.Service, sc *scenarios.Scenario, res *record.ServiceRun) *figure {
	ss := res.Series
	a := serviceAxis(sc, ss)
	xs := sampleXs(a, ss)
	cpu := sampleYs(ss, func(s *record.Sample) float64 {
		if s.Ready == 0 {
			return math.NaN()
		}
		return s.CPUUtilisation * 100
	})
	p := &panel{plot: newPanel("CPU use (% of request)")}
	p.add("CPU use of Ready pods", newSeries(xs, cpu, lineStyle(colBlue, 1.5, dashSolid), true))
	var target string
	if t := svc.HPACPUTarget(); t > 0 {
		target = fmt.Sprintf("HPA CPU target %d %%", t)
		p.add(target, hline{float64(t), lineStyle(colVermilion, 1.5, dashDashed)})
	} else {
		target = fmt.Sprintf("utilisation ceiling %.0f %%", svc.UtilisationCeiling()*100)
		p.add(target, hline{svc.UtilisationCeiling() * 100, lineStyle(colVermilion, 1.5, dashDashed)})
	}
	p.plot.Y.Min = 0
	headroom(p.plot)
	a.apply(p.plot, true)
	return &figure{
		Figure: Figure{Name: fileSafe(svc.Name, sc.Name, FigureUtilisation), Kind: FigureUtilisation, Service: svc.Name, Scenario: sc.Name,
			Title: fmt.Sprintf("%s, scenario %s: CPU utilisation", svc.Name, sc.Name),
			Caption: fmt.Sprintf("%s through scenario %s: mean CPU use of the Ready pods as a percentage of their request "+
				"(time-averaged %.0f %%, highest %.0f %%) against the %s.", svc.Name, sc.Name,
				res.Summary.MeanCPUUtilisation*100, peak(cpu), target)},
		height: panelHeight,
		panels: []*panel{p},
	}
}

// latencyQuantile picks the sample quantile that matches the SLO (p95
// without one, or for quantiles the samples do not keep).
func latencyQuantile(svc *scenarios.Service) (name string, get func(*record.Sample) float64) {
	if l := svc.SLO.Latency; l != nil {
		switch l.Quantile {
		case 0.5:
			return "p50", func(s *record.Sample) float64 { return s.P50 }
		case 0.99:
			return "p99", func(s *record.Sample) float64 { return s.P99 }
		}
	}
	return "p95", func(s *record.Sample) float64 { return s.P95 }
}

// latencyUnit is seconds or milliseconds, whichever reads better next to
// the target (or, without one, the largest value).
func latencyUnit(ref float64) (string, float64) {
	if ref < 1 {
		return "ms", 1000
	}
	return "s", 1
}

// logLatency reports whether a latency panel should be logarithmic: when
// its worst value is more than 20 times the target (or, without one, its
// best value), so that neither the spike nor the target line is squashed.
func logLatency(ys []float64, target float64) bool {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, y := range ys {
		if !math.IsNaN(y) && y > 0 {
			lo, hi = math.Min(lo, y), math.Max(hi, y)
		}
	}
	ref := target
	if ref <= 0 {
		ref = lo
	}
	return !math.IsInf(lo, 0) && hi > 20*ref
}

// latencyAxis maps latencies to the panel's y values: as they are, or
// their base-10 logarithm (non-positive values become gaps). It sets the
// axis ticks and range to match.
func latencyAxis(p *plot.Plot, logY bool, all ...[]float64) func(float64) float64 {
	if !logY {
		p.Y.Min = 0
		return func(v float64) float64 { return v }
	}
	p.Y.Tick.Marker = logTicks{}
	tr := func(v float64) float64 {
		if v > 0 {
			return math.Log10(v)
		}
		return math.NaN()
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, ys := range all {
		for _, y := range ys {
			if y > 0 {
				lo, hi = math.Min(lo, y), math.Max(hi, y)
			}
		}
	}
	p.Y.Min, p.Y.Max = math.Log10(lo)-0.15, math.Log10(hi)+0.1
	// Reach down to the power of ten below the data when it is near, so
	// that the lowest values have a labelled tick beneath them.
	if f := math.Floor(math.Log10(lo)); math.Log10(lo)-f < 0.5 {
		p.Y.Min = f
	}
	return tr
}

func mapYs(ys []float64, f func(float64) float64) []float64 {
	out := make([]float64, len(ys))
	for i, y := range ys {
		out[i] = f(y)
	}
	return out
}

func latencyFigure(svc *scenarios.Service, sc *scenarios.Scenario, res *record.ServiceRun) *figure {
	ss := res.Series
	q, get := latencyQuantile(svc)
	target := 0.0
	if l := svc.SLO.Latency; l != nil {
		target = l.Target.D().Seconds()
	}
	raw := sampleYs(ss, func(s *record.Sample) float64 {
		if v := get(s); v >= 0 {
			return v
		}
		return math.NaN()
	})
	ref := target
	if ref == 0 {
		ref = peak(raw)
	}
	if math.IsInf(ref, 0) {
		return nil // nothing served and no SLO: nothing to draw
	}
	unit, scale := latencyUnit(ref)
	ys := make([]float64, len(raw))
	for i, v := range raw {
		ys[i] = v * scale
	}
	a := serviceAxis(sc, ss)
	xs := sampleXs(a, ss)
	p := &panel{plot: newPanel(fmt.Sprintf("%s latency (%s)", q, unit))}
	logY := logLatency(ys, target*scale)
	var tgt []float64
	if target > 0 {
		tgt = []float64{target * scale}
	}
	var lo, hi []float64
	if b := quantileBand(res.Bands, q); len(b) == len(ss) {
		lo, hi = bandBounds(b, scale)
	}
	tr := latencyAxis(p.plot, logY, ys, tgt, lo, hi)
	if spans := violationSpans(a, ss, func(s *record.Sample) bool { return s.SLOViolated }); len(spans) > 0 {
		p.add("SLO violated (latency or errors)", bands{spans: spans, color: colShade})
	}
	if lo != nil {
		p.add(q+", p10–p90 over the inputs' uncertainty", spread{xs: xs, lo: mapYs(lo, tr), hi: mapYs(hi, tr), color: colBand})
	}
	p.add(q+" of served requests", newSeries(xs, mapYs(ys, tr), lineStyle(colBlue, 1.5, dashSolid), true))
	caption := fmt.Sprintf("%s through scenario %s: the %s response time of served requests per sample interval", svc.Name, sc.Name, q)
	if target > 0 {
		p.add(fmt.Sprintf("SLO: %s ≤ %s", q, formatSeconds(target)), hline{tr(target * scale), lineStyle(colVermilion, 1.5, dashDashed)})
		caption += fmt.Sprintf(" against its SLO of %s", formatSeconds(target))
	}
	if sum := res.Summary; sum.SLOViolationMinutes > 0 {
		caption += fmt.Sprintf("; shaded intervals violated the SLO (%.0f min in all, the longest %s).",
			sum.SLOViolationMinutes, sum.LongestViolation.D().Round(time.Second))
	} else {
		caption += "; no interval violated the SLO."
	}
	if sum := res.Summary; sum.SLOBudgetBurn > 0 || sum.WorstWindowBurn > 0 {
		caption += fmt.Sprintf(" Error-budget burn %s over the scenario, %s in the worst %s window.",
			formatBurn(sum.SLOBudgetBurn), formatBurn(sum.WorstWindowBurn), shortWindow(sum.SLOWindowSeconds))
	}
	if lo != nil {
		caption += fmt.Sprintf(" The band is the p10–p90 of the %s over the ensemble of the plan's uncertainty, sample by sample.", q)
	}
	if logY {
		caption += " The latency axis is logarithmic."
	} else {
		headroom(p.plot)
	}
	a.apply(p.plot, true)
	return &figure{
		Figure: Figure{Name: fileSafe(svc.Name, sc.Name, FigureLatency), Kind: FigureLatency, Service: svc.Name, Scenario: sc.Name,
			Title:   fmt.Sprintf("%s, scenario %s: %s latency against the SLO", svc.Name, sc.Name, q),
			Caption: caption},
		height: panelHeight,
		panels: []*panel{p},
	}
}

// quantileBand is the ensemble band of the latency quantile a figure
// draws (latencyQuantile's name), nil without an ensemble.
func quantileBand(b *record.SeriesBands, q string) []model.Interval {
	if b == nil {
		return nil
	}
	switch q {
	case "p50":
		return b.P50
	case "p99":
		return b.P99
	}
	return b.P95
}

// bandBounds are a band's p10 and p90 times scale (NaN stays NaN).
func bandBounds(b []model.Interval, scale float64) (lo, hi []float64) {
	lo, hi = make([]float64, len(b)), make([]float64, len(b))
	for i, iv := range b {
		lo[i], hi[i] = iv.P10*scale, iv.P90*scale
	}
	return lo, hi
}

// violationSpans are the axis intervals of the samples that violated the
// SLO; a sample covers the interval ending at its T.
func violationSpans(a timeAxis, ss []record.Sample, bad func(*record.Sample) bool) [][2]float64 {
	var spans [][2]float64
	prev := time.Duration(0)
	for i := range ss {
		if bad(&ss[i]) {
			spans = append(spans, [2]float64{a.x(prev), a.x(ss[i].T.D())})
		}
		prev = ss[i].T.D()
	}
	return mergeSpans(spans, a.x(a.span)/drawColumns)
}

// ClusterFigure draws the cluster's nodes and their cost per hour through
// one scenario.
func ClusterFigure(sc *scenarios.Scenario, res *record.ClusterSeries) (Figure, error) {
	switch {
	case sc == nil || res == nil:
		return Figure{}, errors.New("plot: scenario and cluster result are both required")
	case len(res.Series) == 0:
		return Figure{}, fmt.Errorf("plot: scenario %s: the cluster result has no series to draw", sc.Name)
	}
	ss := res.Series
	if err := checkTimes(ss, func(s record.NodeSample) time.Duration { return s.T.D() }, "cluster, scenario "+sc.Name); err != nil {
		return Figure{}, err
	}
	for i, s := range ss {
		if math.IsNaN(s.CostPerHour) || math.IsInf(s.CostPerHour, 0) {
			return Figure{}, fmt.Errorf("plot: cluster, scenario %s: series[%d].costPerHour is %g", sc.Name, i, s.CostPerHour)
		}
	}
	a := newTimeAxis(time.Duration(sc.Start), max(ss[len(ss)-1].T.D(), sc.Duration.D()))
	xs := make([]float64, len(ss))
	ready, all, cost := make([]float64, len(ss)), make([]float64, len(ss)), make([]float64, len(ss))
	for i, s := range ss {
		xs[i] = a.x(s.T.D())
		ready[i] = float64(s.Ready)
		all[i] = float64(s.Ready + s.Provisioning)
		cost[i] = s.CostPerHour
	}
	top := &panel{plot: newPanel("nodes")}
	top.plot.Y.Tick.Marker = niceTicks{integer: true}
	top.add("Ready and provisioning", newSeries(xs, all, lineStyle(colOrange, 2, dashDashed), true))
	top.add("Ready", newSeries(xs, ready, lineStyle(colBlue, 1.5, dashSolid), true))
	top.plot.Y.Min = 0
	top.plot.Y.Max = math.Max(top.plot.Y.Max, 1)
	headroom(top.plot)
	a.apply(top.plot, false)
	bottom := &panel{plot: newPanel("cost ($/h)")}
	bottom.add("cost per hour of the nodes", newSeries(xs, cost, lineStyle(colGreen, 1.5, dashSolid), true))
	bottom.plot.Y.Min = 0
	headroom(bottom.plot)
	a.apply(bottom.plot, true)
	nodeType := ""
	if res.NodeType != "" {
		nodeType = " of type " + res.NodeType
	}
	f := &figure{
		Figure: Figure{Name: fileSafe("cluster", sc.Name, FigureCluster), Kind: FigureCluster, Scenario: sc.Name,
			Title: fmt.Sprintf("Cluster, scenario %s: nodes and cost", sc.Name),
			Caption: fmt.Sprintf("The cluster through scenario %s: nodes%s Ready and still provisioning (top, peak %d) and what they "+
				"cost per hour (bottom); %s node-hours costing $%.2f in all (nodes added: %d, removed: %d).",
				sc.Name, nodeType, res.PeakNodes, formatNum(res.NodeHours), res.Cost, res.Added, res.Removed)},
		height: stackHeight,
		panels: []*panel{top, bottom},
	}
	return f.render()
}

// CapacityCurveFigure draws a service's capacity curve (review's
// CapacityCurve): the replicas it needs against its request rate, by the
// utilisation ceiling alone and by queueing (the latency SLO too), from
// zero to beyond the highest scenario peak, marking today's rate, each
// scenario's peak and the HPA's maxReplicas.
func CapacityCurveFigure(svc *scenarios.Service, c *record.CapacityCurve) (Figure, error) {
	if svc == nil {
		return Figure{}, errors.New("plot: service is required")
	}
	if svc.Fixed {
		return Figure{}, fmt.Errorf("service %s: %w", svc.Name, ErrFixedService)
	}
	switch {
	case c == nil:
		return Figure{}, fmt.Errorf("plot: service %s: no capacity curve", svc.Name)
	case c.Err != nil:
		return Figure{}, c.Err
	case c.Service != svc.Name:
		return Figure{}, fmt.Errorf("plot: capacity curve is for service %q, not %q", c.Service, svc.Name)
	case len(c.Rates) < 2 || len(c.Queueing) != len(c.Rates) || len(c.Utilization) != len(c.Rates):
		return Figure{}, fmt.Errorf("plot: service %s: the capacity curve has %d rates, %d and %d replica counts", svc.Name, len(c.Rates), len(c.Utilization), len(c.Queueing))
	}
	rates, queue, util, marks, infeasible := c.Rates, c.Queueing, c.Utilization, c.Marks, c.Infeasible
	hi := rates[len(rates)-1]
	p := &panel{plot: newPanel("replicas required (pods)")}
	p.plot.Y.Tick.Marker = niceTicks{integer: true}
	p.add("queueing (utilisation ceiling and latency SLO)", newSeries(rates, queue, lineStyle(colBlue, 2, dashSolid), true))
	p.add("utilisation ceiling only", newSeries(rates, util, lineStyle(colGreen, 2, dashDashed), true))
	if m := svc.MaxReplicas(); m > 0 {
		label := fmt.Sprintf("HPA maxReplicas %d", m)
		if svc.HPA == nil {
			label = fmt.Sprintf("replicas today %d (no HPA)", m)
		}
		p.add(label, hline{float64(m), lineStyle(colBlack, 1, dashDashDot)})
	}
	for i, m := range marks {
		sty := lineStyle(colVermilion, 1, dashDotted)
		if i == 0 {
			sty = lineStyle(colBlack, 1, dashDotted)
		}
		label := m.Name
		if i > 0 {
			label += " peak"
		}
		p.add("", vline{m.Rate, sty, label})
	}
	p.plot.X.Label.Text = "request rate (req/s)"
	p.plot.X.Tick.Marker = niceTicks{}
	p.plot.X.Min, p.plot.X.Max = 0, hi
	p.plot.Y.Min = 0
	headroom(p.plot)
	caption := fmt.Sprintf("The replicas %s needs against its request rate: by the utilisation ceiling of %.0f %% alone "+
		"(the runbook's arithmetic) and by queueing, which also holds the latency SLO with each pod its own queue. "+
		"Vertical lines mark today's rate (%s req/s) and each scenario's peak.",
		svc.Name, svc.UtilisationCeiling()*100, formatNum(svc.TotalRate()))
	if infeasible > 0 {
		caption += fmt.Sprintf(" The queueing curve stops where no replica count meets the SLO (%d of %d rates).", infeasible, len(rates))
	}
	f := &figure{
		Figure: Figure{Name: fileSafe(svc.Name, FigureCapacity), Kind: FigureCapacity, Service: svc.Name,
			Title: fmt.Sprintf("%s: replicas required against request rate", svc.Name), Caption: caption},
		height: panelHeight,
		panels: []*panel{p},
	}
	return f.render()
}

// CompareFigure overlays one service's run through one scenario under its
// current HPA and under a proposed one: replicas (top) and latency against
// the SLO (bottom), with each run's SLO violations shaded.
//
// proposedHPA is the proposed autoscaler (nil to leave its bounds out); the
// current one is svc.HPA.
func CompareFigure(svc *scenarios.Service, sc *scenarios.Scenario, proposedHPA *autoscalingv2.HorizontalPodAutoscalerSpec, current, proposed *record.ServiceRun) (Figure, error) {
	if err := checkService(svc, sc, current); err != nil {
		return Figure{}, fmt.Errorf("current: %w", err)
	}
	if err := checkService(svc, sc, proposed); err != nil {
		return Figure{}, fmt.Errorf("proposed: %w", err)
	}
	cs, ps := current.Series, proposed.Series
	a := newTimeAxis(time.Duration(sc.Start), max(cs[len(cs)-1].T.D(), ps[len(ps)-1].T.D(), sc.Duration.D()))
	cx, px := sampleXs(a, cs), sampleXs(a, ps)
	desired := func(s *record.Sample) float64 { return float64(s.Desired) }

	top := &panel{plot: newPanel("desired replicas (pods)")}
	top.plot.Y.Tick.Marker = niceTicks{integer: true}
	cur, prop := current.Summary, proposed.Summary
	top.add("current HPA", newSeries(cx, sampleYs(cs, desired), lineStyle(colBlue, 2, dashSolid), true))
	top.add("proposed HPA", newSeries(px, sampleYs(ps, desired), lineStyle(colVermilion, 2, dashDashed), true))
	if _, hi, ok := hpaBounds(svc.HPA); ok {
		top.add(fmt.Sprintf("current maxReplicas %d", hi), hline{float64(hi), lineStyle(colBlue, 1, dashDotted)})
	}
	if _, hi, ok := hpaBounds(proposedHPA); ok {
		top.add(fmt.Sprintf("proposed maxReplicas %d", hi), hline{float64(hi), lineStyle(colVermilion, 1, dashDashDot)})
	}
	top.plot.Y.Min = 0
	headroom(top.plot)
	a.apply(top.plot, false)

	q, get := latencyQuantile(svc)
	target := 0.0
	if l := svc.SLO.Latency; l != nil {
		target = l.Target.D().Seconds()
	}
	lat := func(ss []record.Sample) []float64 {
		return sampleYs(ss, func(s *record.Sample) float64 {
			if v := get(s); v >= 0 {
				return v
			}
			return math.NaN()
		})
	}
	cl, pl := lat(cs), lat(ps)
	ref := target
	if ref == 0 {
		ref = math.Max(peak(cl), peak(pl))
	}
	unit, scale := latencyUnit(ref)
	for i := range cl {
		cl[i] *= scale
	}
	for i := range pl {
		pl[i] *= scale
	}
	bottom := &panel{plot: newPanel(fmt.Sprintf("%s latency (%s)", q, unit))}
	logY := logLatency(append(append([]float64(nil), cl...), pl...), target*scale)
	var tgt []float64
	if target > 0 {
		tgt = []float64{target * scale}
	}
	tr := latencyAxis(bottom.plot, logY, cl, pl, tgt)
	violated := func(s *record.Sample) bool { return s.SLOViolated }
	if spans := violationSpans(a, cs, violated); len(spans) > 0 {
		bottom.add("current: SLO violated", bands{spans: spans, color: colShade})
	}
	if spans := violationSpans(a, ps, violated); len(spans) > 0 {
		bottom.add("proposed: SLO violated", bands{spans: spans, color: colOrange, hatch: true})
	}
	bottom.add("current", newSeries(cx, mapYs(cl, tr), lineStyle(colBlue, 1.5, dashSolid), true))
	bottom.add("proposed", newSeries(px, mapYs(pl, tr), lineStyle(colVermilion, 1.5, dashDashed), true))
	if target > 0 {
		bottom.add(fmt.Sprintf("SLO %s", formatSeconds(target)), hline{tr(target * scale), lineStyle(colBlack, 1, dashDotted)})
	}
	if !logY {
		headroom(bottom.plot)
	}
	a.apply(bottom.plot, true)

	caption := fmt.Sprintf("%s through scenario %s under the current HPA and the proposed one: desired replicas (top) and "+
		"the %s latency (bottom). Error-budget burn: %s now, %s proposed (SLO violation: %.0f min now, %.0f min proposed); %s pod-hours now, %s proposed.",
		svc.Name, sc.Name, q, runBurn(&cur), runBurn(&prop), cur.SLOViolationMinutes, prop.SLOViolationMinutes, formatNum(cur.PodHours), formatNum(prop.PodHours))
	if logY {
		caption += " The latency axis is logarithmic."
	}
	f := &figure{
		Figure: Figure{Name: fileSafe(svc.Name, sc.Name, FigureCompare), Kind: FigureCompare, Service: svc.Name, Scenario: sc.Name,
			Title: fmt.Sprintf("%s, scenario %s: current and proposed HPA", svc.Name, sc.Name), Caption: caption},
		height: stackHeight,
		panels: []*panel{top, bottom},
	}
	return f.render()
}

// PlanFigures draws every figure of a plan's simulation runs, in a fixed
// order: per run (scenario) its services' figures then the cluster's,
// then the capacity curve of each service that is not fixed (from curves,
// by service name). Figures are drawn in parallel; the output does not
// depend on the scheduling.
func PlanFigures(plan *scenarios.Plan, runs []*record.Run, curves []record.CapacityCurve) ([]Figure, error) {
	jobs, err := planFigureJobs(plan, runs, curves)
	if err != nil {
		return nil, err
	}
	return runJobs(jobs)
}

// planFigureJobs are the jobs that draw PlanFigures, in its order.
func planFigureJobs(plan *scenarios.Plan, runs []*record.Run, curves []record.CapacityCurve) ([]func() ([]Figure, error), error) {
	if plan == nil {
		return nil, errors.New("plot: plan is required")
	}
	var jobs []func() ([]Figure, error)
	one := func(f Figure, err error) ([]Figure, error) {
		if err != nil {
			return nil, err
		}
		return []Figure{f}, nil
	}
	for _, r := range runs {
		sc := plan.Scenario(r.Scenario)
		if sc == nil {
			return nil, fmt.Errorf("plot: result for scenario %q, which the plan does not have", r.Scenario)
		}
		for i := range r.Services {
			sr := &r.Services[i]
			svc := plan.Service(sr.Service)
			if svc == nil {
				return nil, fmt.Errorf("plot: result for service %q, which the plan does not have", sr.Service)
			}
			jobs = append(jobs, func() ([]Figure, error) { return ServiceFigures(svc, sc, sr) })
		}
		cl := &r.Cluster
		jobs = append(jobs, func() ([]Figure, error) { return one(ClusterFigure(sc, cl)) })
	}
	for i := range plan.Services {
		svc := &plan.Services[i]
		if svc.Fixed {
			continue
		}
		var c *record.CapacityCurve
		for k := range curves {
			if curves[k].Service == svc.Name {
				c = &curves[k]
			}
		}
		jobs = append(jobs, func() ([]Figure, error) { return one(CapacityCurveFigure(svc, c)) })
	}
	return jobs, nil
}

// maxDrawing bounds how many figures are drawn at once (each holds its
// canvases in memory).
const maxDrawing = 8

// runJobs runs jobs, at most min(GOMAXPROCS, maxDrawing) at a time, and
// concatenates their figures in job order; each job writes its own slot,
// and the first error in job order wins.
func runJobs(jobs []func() ([]Figure, error)) ([]Figure, error) {
	var out []Figure
	err := streamJobs(jobs, func(f Figure) error {
		out = append(out, f)
		return nil
	})
	return out, err
}

// streamJobs runs jobs, at most min(GOMAXPROCS, maxDrawing) at a time,
// and hands their figures to emit in job order as soon as each job and
// those before it are done: no more than that many jobs' figures are held
// at once. The first error in job order (of a job or of emit) stops it;
// jobs already started finish on their own.
func streamJobs(jobs []func() ([]Figure, error), emit func(Figure) error) error {
	type result struct {
		figs []Figure
		err  error
	}
	done := make([]chan result, len(jobs))
	for i := range done {
		done[i] = make(chan result, 1)
	}
	slots := make(chan struct{}, min(runtime.GOMAXPROCS(0), maxDrawing))
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for i, job := range jobs {
			select {
			case slots <- struct{}{}:
			case <-stop:
				return
			}
			go func() {
				figs, err := job()
				done[i] <- result{figs, err}
			}()
		}
	}()
	for i := range jobs {
		r := <-done[i]
		<-slots
		if r.err != nil {
			return r.err
		}
		for _, f := range r.figs {
			if err := emit(f); err != nil {
				return err
			}
		}
	}
	return nil
}

// headroom raises a linear y axis 5 % above its data, so that the highest
// line does not run along the frame.
func headroom(p *plot.Plot) {
	p.Y.Max += 0.05 * (p.Y.Max - p.Y.Min)
}

// formatNum writes x with three significant digits, without an exponent
// for everyday magnitudes.
func formatNum(x float64) string {
	switch a := math.Abs(x); {
	case a == 0:
		return "0"
	case a >= 100:
		return fmt.Sprintf("%.0f", x)
	case a >= 10:
		return fmt.Sprintf("%.1f", x)
	case a >= 1:
		return fmt.Sprintf("%.2f", x)
	}
	return fmt.Sprintf("%.3g", x)
}

// formatSeconds writes a duration in seconds as "250 ms" or "1.5 s".
func formatSeconds(s float64) string {
	if s < 1 {
		return fmt.Sprintf("%g ms", math.Round(s*1e6)/1e3)
	}
	return fmt.Sprintf("%g s", s)
}
