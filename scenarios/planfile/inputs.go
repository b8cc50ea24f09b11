package planfile

import (
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/headroom-dev/headroom/scenarios"
)

// Inputs are measured inputs of one service, as observe writes them. A nil
// part leaves that part of the plan as it is.
//
// Each part's Note says where its values came from. It is written as the
// last line of the head comment of the part's key; a line starting with
// "observed" there (an earlier note: observe's notes start so) is replaced,
// the user's own lines stay.
type Inputs struct {
	// RequestRate in requests per second, written to six significant
	// digits ("16.6667/s"); RequestRateNote becomes its line comment.
	RequestRate     float64
	RequestRateNote string
	ServiceTime     *ServiceTime
	CPU             *CPU
	Memory          *Memory
}

// ServiceTime is serviceTime.mean and, optionally, serviceTime.p95.
type ServiceTime struct {
	Mean time.Duration
	// P95, when not 0, is written and a cv removed (a plan takes one of
	// them); when 0, a p95 is removed and a cv kept.
	P95  time.Duration
	Note string
}

// CPU is cpu.perRequest, which replaces cpu.observedPerPod, and cpu.idle.
type CPU struct {
	PerRequest time.Duration
	// IdleMillicores is written as cpu.idle ("45m"); nil removes it.
	IdleMillicores *int64
	Note           string
}

// Memory is memory.base and memory.perInFlight, in bytes, written as
// binary-SI quantities ("200Mi").
type Memory struct {
	Base int64
	// PerInFlight nil removes memory.perInFlight.
	PerInFlight *int64
	Note        string
}

// SetInputs writes in into the service named service.
func (f *File) SetInputs(service string, in Inputs) error {
	svc, err := f.service(service)
	if err != nil {
		return err
	}
	rate := scalar(strconv.FormatFloat(in.RequestRate, 'g', 6, 64) + "/s")
	rate.LineComment = in.RequestRateNote
	set(svc, "requestRate", rate)

	if st := in.ServiceTime; st != nil {
		if empiricalServiceTime(svc) {
			// The observed mean and p95 replace a measured histogram.
			m := value(svc, "serviceTime")
			remove(m, "histogram")
			remove(m, "distribution")
		}
		m := ensure(svc, "serviceTime")
		set(m, "mean", scalar(st.Mean.String()))
		if st.P95 != 0 {
			remove(m, "cv")
			set(m, "p95", scalar(st.P95.String()))
		} else {
			remove(m, "p95")
		}
		setNote(svc, "serviceTime", st.Note)
	}
	if c := in.CPU; c != nil {
		m := ensure(svc, "cpu")
		remove(m, "observedPerPod")
		set(m, "perRequest", scalar(c.PerRequest.String()))
		if c.IdleMillicores != nil {
			set(m, "idle", scalar(millicores(*c.IdleMillicores)))
		} else {
			remove(m, "idle")
		}
		setNote(svc, "cpu", c.Note)
	}
	if mem := in.Memory; mem != nil {
		m := ensure(svc, "memory")
		set(m, "base", scalar(binarySI(mem.Base)))
		if mem.PerInFlight != nil {
			set(m, "perInFlight", scalar(binarySI(*mem.PerInFlight)))
		} else {
			remove(m, "perInFlight")
		}
		setNote(svc, "memory", mem.Note)
	}
	return nil
}

// setNote replaces the "observed" line of key's head comment in m with
// note, keeping the user's own lines.
func setNote(m *yaml.Node, key, note string) {
	if note == "" {
		return
	}
	k, _ := entry(m, key)
	if k == nil {
		return
	}
	var keep []string
	for _, l := range strings.Split(k.HeadComment, "\n") {
		if l != "" && !strings.HasPrefix(strings.TrimLeft(l, "# "), "observed") {
			keep = append(keep, l)
		}
	}
	k.HeadComment = strings.Join(append(keep, "# "+note), "\n")
}

func millicores(m int64) string { return strconv.FormatInt(m, 10) + "m" }

func binarySI(b int64) string { return resource.NewQuantity(b, resource.BinarySI).String() }

// Scenario is a scenario whose profile is one replay of multipliers, as
// observe writes the observed window and the forecast peak.
type Scenario struct {
	Name, Description string
	// Start is the time of day (UTC) the scenario starts; 0 writes none.
	Start    time.Duration
	Duration time.Duration
	Services []string
	Replay   []ReplayPoint
}

// ReplayPoint is one point of a replay: the multiplier from At on.
type ReplayPoint struct {
	At         time.Duration
	Multiplier float64
}

// PutScenarios writes each scenario, replacing the one of the same name or
// appending it to the scenarios list (created when absent, even for no
// scenarios). A scenarios value that is not a list is left as it is, for
// validation to report.
func (f *File) PutScenarios(scs ...Scenario) {
	list := value(f.root(), "scenarios")
	if list == nil {
		list = &yaml.Node{Kind: yaml.SequenceNode}
		set(f.root(), "scenarios", list)
	}
	if list.Kind != yaml.SequenceNode {
		return
	}
	for _, sc := range scs {
		putScenario(list, scenarioNode(sc), sc.Name)
	}
}

// putScenario replaces the item of list named name by n, or appends n.
func putScenario(list, n *yaml.Node, name string) {
	for i, item := range list.Content {
		if nm := value(item, "name"); nm != nil && nm.Value == name {
			list.Content[i] = n
			return
		}
	}
	list.Content = append(list.Content, n)
}

// scenarioNode builds the YAML of a scenario, one replay point per line.
func scenarioNode(sc Scenario) *yaml.Node {
	m := &yaml.Node{Kind: yaml.MappingNode}
	set(m, "name", scalar(sc.Name))
	desc := scalar(sc.Description)
	desc.Style = yaml.DoubleQuotedStyle
	set(m, "description", desc)
	if sc.Start != 0 {
		st := scalar(scenarios.TimeOfDay(sc.Start).String())
		st.Style = yaml.DoubleQuotedStyle
		set(m, "start", st)
	}
	set(m, "duration", scalar(sc.Duration.String()))
	svcs := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
	for _, s := range sc.Services {
		svcs.Content = append(svcs.Content, scalar(s))
	}
	set(m, "services", svcs)
	pts := &yaml.Node{Kind: yaml.SequenceNode}
	for _, p := range sc.Replay {
		pt := &yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle}
		set(pt, "at", scalar(p.At.String()))
		set(pt, "multiplier", scalar(strconv.FormatFloat(p.Multiplier, 'g', -1, 64)))
		pts.Content = append(pts.Content, pt)
	}
	rep := &yaml.Node{Kind: yaml.MappingNode}
	set(rep, "points", pts)
	comp := &yaml.Node{Kind: yaml.MappingNode}
	set(comp, "replay", rep)
	set(m, "profile", &yaml.Node{Kind: yaml.SequenceNode, Content: []*yaml.Node{comp}})
	return m
}
