package prom

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/headroom-dev/headroom/internal/yamlmap"
	"github.com/headroom-dev/headroom/scenarios"
)

// RateStatistic chooses which observed rate becomes a service's
// requestRate (the base that multiplier scenarios scale).
type RateStatistic string

// Rate statistics.
const (
	RatePeak RateStatistic = "peak"
	RateP99  RateStatistic = "p99"
	RateP95  RateStatistic = "p95"
	RateP50  RateStatistic = "p50"
	RateMean RateStatistic = "mean"
)

// ParseRateStatistic accepts peak, p99, p95, p50 or mean.
func ParseRateStatistic(s string) (RateStatistic, error) {
	switch r := RateStatistic(s); r {
	case RatePeak, RateP99, RateP95, RateP50, RateMean:
		return r, nil
	}
	return "", fmt.Errorf("rate statistic must be peak, p99, p95, p50 or mean, got %q", s)
}

// Pick returns the statistic s of the rate.
func (r RateStats) Pick(s RateStatistic) float64 {
	switch s {
	case RateP99:
		return r.P99
	case RateP95:
		return r.P95
	case RateP50:
		return r.P50
	case RateMean:
		return r.Mean
	}
	return r.Peak
}

// WriteOptions say what UpdatePlan writes.
type WriteOptions struct {
	// Rate picks the requestRate. Default peak.
	Rate RateStatistic
	// Source names where the data came from, for the comments.
	Source string
	// NoScenarios leaves out the replay and forecast scenarios.
	NoScenarios bool
}

// ReplayScenarioName is the name of the replay scenario UpdatePlan writes
// for a service: observed-<service>.
func ReplayScenarioName(service string) string { return "observed-" + service }

// ForecastScenarioName is the name of the forecast scenario UpdatePlan
// writes for a service: forecast-<service>.
func ForecastScenarioName(service string) string { return "forecast-" + service }

// UpdatePlan rewrites the plan file src (YAML, comments kept) with the
// observations: each observed service's requestRate, serviceTime, cpu and
// memory, each with a comment giving its fit quality, and per service a
// replay scenario of the window and a forecast scenario of the projected
// peak (replacing scenarios of the same names). The result is parsed and
// validated before it is returned.
func UpdatePlan(file string, src []byte, obs []*Observation, wo WriteOptions) ([]byte, error) {
	if wo.Rate == "" {
		wo.Rate = RatePeak
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, fmt.Errorf("read plan %s: %w", file, err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("plan %s: not a YAML mapping", file)
	}
	root := doc.Content[0]
	services := yamlmap.Value(root, "services")
	if services == nil || services.Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("plan %s: no services list", file)
	}
	for _, o := range obs {
		var svc *yaml.Node
		for _, item := range services.Content {
			if n := yamlmap.Value(item, "name"); n != nil && n.Value == o.Service {
				svc = item
			}
		}
		if svc == nil {
			return nil, fmt.Errorf("plan %s: no service %q", file, o.Service)
		}
		if err := writeService(svc, o, wo); err != nil {
			return nil, fmt.Errorf("service %s: %w", o.Service, err)
		}
		if wo.NoScenarios {
			continue
		}
		base := o.Rate.Pick(wo.Rate)
		scs := yamlmap.Value(root, "scenarios")
		if scs == nil {
			scs = &yaml.Node{Kind: yaml.SequenceNode}
			yamlmap.Set(root, "scenarios", scs)
		}
		if sc := replayScenario(o, base); sc != nil {
			if err := putScenario(scs, sc); err != nil {
				return nil, err
			}
		}
		if sc := forecastScenario(o, base); sc != nil {
			if err := putScenario(scs, sc); err != nil {
				return nil, err
			}
		}
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, fmt.Errorf("write plan: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("write plan: %w", err)
	}
	if _, err := scenarios.Parse(file, buf.Bytes()); err != nil {
		return nil, fmt.Errorf("the observed plan does not validate (a bug, or the observations are out of range): %w", err)
	}
	return buf.Bytes(), nil
}

func writeService(svc *yaml.Node, o *Observation, wo WriteOptions) error {
	r := o.Rate
	base := r.Pick(wo.Rate)
	if !(base > 0) {
		return fmt.Errorf("the %s request rate is 0; nothing to size from", wo.Rate)
	}
	low := ""
	if r.LowConfidence {
		low = "; LOW CONFIDENCE: " + strings.Join(r.Reasons, ", ")
	}
	rate := scalar(strconv.FormatFloat(base, 'g', 6, 64) + "/s")
	rate.LineComment = fmt.Sprintf("observed %s over %s to %s: peak %s/s, p99 %s/s, p95 %s/s, p50 %s/s, mean %s/s; %d points, %.1f h%s",
		wo.Rate, FormatDuration(o.End.Sub(o.Start)), o.End.Format(time.RFC3339), g4(r.Peak), g4(r.P99), g4(r.P95), g4(r.P50), g4(r.Mean), r.Points, r.Hours, low)
	yamlmap.Set(svc, "requestRate", rate)

	if st := o.ServiceTime; st != nil && st.MeanSeconds > 0 {
		stn := yamlmap.Ensure(svc, "serviceTime")
		yamlmap.Set(stn, "mean", scalar(seconds(st.MeanSeconds)))
		note := fmt.Sprintf("request-weighted mean of _sum/_count over %d steps, %.1f h", st.Points, st.Hours)
		if st.P95Seconds > st.MeanSeconds && !st.P95Beyond {
			yamlmap.Delete(stn, "cv")
			yamlmap.Set(stn, "p95", scalar(seconds(st.P95Seconds)))
			note += fmt.Sprintf("; p95 from %d histogram buckets over the window", st.Buckets)
		} else {
			yamlmap.Delete(stn, "p95")
		}
		setObservedComment(entryKey(svc, "serviceTime"), "observed (response time inside the pod; equals the service time while pods are not saturated): "+note)
	}

	if f := o.CPU; f != nil {
		if f.Slope > 0 {
			cpu := yamlmap.Ensure(svc, "cpu")
			yamlmap.Delete(cpu, "observedPerPod")
			yamlmap.Set(cpu, "perRequest", scalar(seconds(f.Slope)))
			note := ""
			if f.Intercept >= 0 {
				yamlmap.Set(cpu, "idle", scalar(millicores(f.Intercept)))
			} else {
				yamlmap.Delete(cpu, "idle")
				note = fmt.Sprintf("; the intercept %.4g cores is negative, idle left out", f.Intercept)
			}
			setObservedComment(entryKey(svc, "cpu"), "observed: pod CPU = idle + perRequest × (requests/s per pod); "+fitNote(f, "cores", 1)+note)
		} else {
			o.problem("cpu per request: the slope %.4g is not positive; the plan's cpu is left as it was", f.Slope)
		}
	}

	if f := o.Memory; f != nil {
		if f.Intercept > 0 {
			mem := yamlmap.Ensure(svc, "memory")
			yamlmap.Set(mem, "base", scalar(bytesQuantity(f.Intercept)))
			note := ""
			if f.Slope >= 0 {
				yamlmap.Set(mem, "perInFlight", scalar(bytesQuantity(f.Slope)))
			} else {
				yamlmap.Delete(mem, "perInFlight")
				note = fmt.Sprintf("; the slope %.4g bytes per in-flight request is negative, perInFlight left out", f.Slope)
			}
			setObservedComment(entryKey(svc, "memory"), "observed: pod working set = base + perInFlight × (in-flight requests per pod, by Little's law: rate per pod × mean latency); "+fitNote(f, "MiB", 1<<20)+note)
		} else {
			o.problem("memory: the intercept %.4g bytes is not positive; the plan's memory is left as it was", f.Intercept)
		}
	}
	return nil
}

func fitNote(f *Fit, unit string, div float64) string {
	s := fmt.Sprintf("R² %.3f, residual sd %.3g %s, %d points, %.1f h", f.R2, tidy(f.ResidualSD/div), unit, f.Points, f.Hours)
	if f.LowConfidence {
		s += "; LOW CONFIDENCE: " + strings.Join(f.Reasons, ", ")
	}
	return s
}

func replayScenario(o *Observation, base float64) *scenarios.Scenario {
	if len(o.Replay) == 0 {
		return nil
	}
	lead := o.Start.Sub(o.Start.Truncate(time.Minute))
	pts := make([]scenarios.ReplayPoint, len(o.Replay))
	for i, p := range o.Replay {
		pts[i] = scenarios.ReplayPoint{At: scenarios.Duration(p.Offset + lead), Multiplier: round6(p.Value / base)}
	}
	return &scenarios.Scenario{
		Name: ReplayScenarioName(o.Service),
		Description: fmt.Sprintf("%s's request rate from %s to %s, averaged over %s, as multipliers of its requestRate %s/s",
			o.Service, o.Start.Format(time.RFC3339), o.End.Format(time.RFC3339), FormatDuration(replayStep(o.Replay)), g4(base)),
		Start:    timeOfDay(o.Start.Truncate(time.Minute)),
		Duration: scenarios.Duration(o.End.Sub(o.Start.Truncate(time.Minute))),
		Services: []string{o.Service},
		Profile:  []scenarios.Component{{Replay: &scenarios.Replay{Points: pts}}},
	}
}

func replayStep(pts []RatePoint) time.Duration {
	if len(pts) < 2 {
		return 2 * pts[0].Offset
	}
	return pts[1].Offset - pts[0].Offset
}

func forecastScenario(o *Observation, base float64) *scenarios.Scenario {
	f := o.Forecast
	if f == nil || len(f.Shape) == 0 {
		return nil
	}
	scale := f.Upper / base
	pts := make([]scenarios.ReplayPoint, len(f.Shape))
	for i, p := range f.Shape {
		pts[i] = scenarios.ReplayPoint{At: scenarios.Duration(p.Offset), Multiplier: round6(p.Value * scale)}
	}
	low := ""
	if f.LowConfidence {
		low = " LOW CONFIDENCE: " + strings.Join(f.Reasons, ", ") + "."
	}
	return &scenarios.Scenario{
		Name: ForecastScenarioName(o.Service),
		Description: fmt.Sprintf("%s's peak projected to %s: %s/s (%.0f %% prediction interval %s–%s/s) from the linear trend of %d daily peaks "+
			"(%+.4g/s per day, R² %.3f, residual sd %.3g/s). The last observed day's shape, scaled so its peak is the upper bound.%s",
			o.Service, f.Date.Format("2006-01-02"), g4(f.Point), 100*f.Level, g4(f.Lower), g4(f.Upper), len(f.Peaks), f.Slope, f.R2, tidy(f.ResidualSD), low),
		Duration: scenarios.Duration(24 * time.Hour),
		Services: []string{o.Service},
		Profile:  []scenarios.Component{{Replay: &scenarios.Replay{Points: pts}}},
	}
}

// putScenario replaces the scenario of the same name or appends it.
func putScenario(list *yaml.Node, sc *scenarios.Scenario) error {
	n, err := scenarioNode(sc)
	if err != nil {
		return err
	}
	for i, item := range list.Content {
		if nm := yamlmap.Value(item, "name"); nm != nil && nm.Value == sc.Name {
			list.Content[i] = n
			return nil
		}
	}
	list.Content = append(list.Content, n)
	return nil
}

// scenarioNode builds the YAML of a scenario, one replay point per line.
func scenarioNode(sc *scenarios.Scenario) (*yaml.Node, error) {
	m := &yaml.Node{Kind: yaml.MappingNode}
	yamlmap.Set(m, "name", scalar(sc.Name))
	desc := scalar(sc.Description)
	desc.Style = yaml.DoubleQuotedStyle
	yamlmap.Set(m, "description", desc)
	if sc.Start != 0 {
		st := scalar(scenarios.TimeOfDay(sc.Start).String())
		st.Style = yaml.DoubleQuotedStyle
		yamlmap.Set(m, "start", st)
	}
	yamlmap.Set(m, "duration", scalar(sc.Duration.String()))
	svcs := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
	for _, s := range sc.Services {
		svcs.Content = append(svcs.Content, scalar(s))
	}
	yamlmap.Set(m, "services", svcs)
	prof := &yaml.Node{Kind: yaml.SequenceNode}
	for _, c := range sc.Profile {
		if c.Replay == nil {
			return nil, fmt.Errorf("scenario %s: only replay components are written", sc.Name)
		}
		pts := &yaml.Node{Kind: yaml.SequenceNode}
		for _, p := range c.Replay.Points {
			pt := &yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle}
			yamlmap.Set(pt, "at", scalar(p.At.String()))
			yamlmap.Set(pt, "multiplier", scalar(strconv.FormatFloat(p.Multiplier, 'g', -1, 64)))
			pts.Content = append(pts.Content, pt)
		}
		rep := &yaml.Node{Kind: yaml.MappingNode}
		yamlmap.Set(rep, "points", pts)
		comp := &yaml.Node{Kind: yaml.MappingNode}
		yamlmap.Set(comp, "replay", rep)
		prof.Content = append(prof.Content, comp)
	}
	yamlmap.Set(m, "profile", prof)
	return m, nil
}

// setObservedComment replaces the "observed" line of a key's head comment,
// keeping the user's own lines.
func setObservedComment(key *yaml.Node, text string) {
	var keep []string
	for _, l := range strings.Split(key.HeadComment, "\n") {
		if l != "" && !strings.HasPrefix(strings.TrimLeft(l, "# "), "observed") {
			keep = append(keep, l)
		}
	}
	key.HeadComment = strings.Join(append(keep, "# "+text), "\n")
}

// entryKey returns the key node of key in m (whose comments hold the
// provenance), or a detached node when absent.
func entryKey(m *yaml.Node, key string) *yaml.Node {
	if k, _ := yamlmap.Entry(m, key); k != nil {
		return k
	}
	return &yaml.Node{}
}

func scalar(v string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Value: v} }

// seconds writes a time in seconds as a Go duration rounded to 1 µs.
func seconds(s float64) string {
	d := time.Duration(math.Round(s*1e6)) * time.Microsecond
	if d == 0 {
		d = time.Microsecond
	}
	return d.String()
}

func millicores(c float64) string {
	return strconv.FormatInt(int64(math.Round(c*1000)), 10) + "m"
}

func bytesQuantity(b float64) string {
	return resource.NewQuantity(int64(math.Round(b)), resource.BinarySI).String()
}

func timeOfDay(t time.Time) scenarios.TimeOfDay {
	return scenarios.TimeOfDay(t.Sub(t.Truncate(24 * time.Hour)))
}

// tidy prints rounding noise (an exact fit's residuals) as 0, so that the
// output does not depend on the platform's floating-point contraction.
func tidy(v float64) float64 {
	if math.Abs(v) < 1e-9 {
		return 0
	}
	return v
}

func g4(v float64) string { return strconv.FormatFloat(v, 'g', 4, 64) }

func round6(v float64) float64 {
	if v == 0 {
		return 0
	}
	r, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 6, 64), 64)
	return r
}
