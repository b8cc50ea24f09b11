package cluster

import (
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/headroom-dev/headroom/scenarios"
	"github.com/headroom-dev/headroom/scenarios/planfile"
)

// A discovered plan carries zero values where the cluster cannot know the
// answer. They are chosen so that the plan decodes (each has the right
// type) and scenarios.Parse then rejects it, naming every one of them with
// file:line and what to give; the comment above each says the same, and
// that `headroom observe` measures them. A plan with made-up rates would
// size plausibly and wrongly, so discover never guesses.
//
// Placeholders lists the field paths, relative to a service, that Discover
// leaves to the user, with the hint written above each.
var Placeholders = []struct{ Field, Hint string }{
	{"requestRate", "the observed request rate over all replicas, e.g. 1000/min or 16.7/s"},
	{"serviceTime.mean", "the time one request holds a worker slot, queueing excluded, e.g. 250ms (add p95 or cv if known)"},
	{"concurrency", "the requests one pod serves at once (worker slots), e.g. 8"},
	{"cpu", "perRequest: CPU time per request (e.g. 20ms), or observedPerPod: CPU of one pod at requestRate (e.g. 350m)"},
	{"memory.base", "the memory of an idle pod, e.g. 300Mi (and perInFlight, memory per request in flight, if known)"},
}

// Todo starts every placeholder comment, so that `grep TODO plan.yaml`
// lists what is left to fill.
const Todo = "TODO: measure (headroom observe): "

// metricSourcesHint is written above the metricSources of a service whose
// HPA reads custom (Pods, Object or External) metrics.
const metricSourcesHint = "what each custom metric of the HPA measures per pod: set source to requestRate, inFlight, queueDepth, cpu or memory (and factor, lag if known)"

// Plan returns the discovered plan: every service with placeholders for
// what the cluster cannot know, one constant scenario ("steady", 1h) and no
// node types. scenarios.Parse rejects it until the placeholders are filled.
func (d *Discovery) Plan() *scenarios.Plan {
	return d.plan(scenarios.Metadata{
		Name:        d.Namespace,
		Description: fmt.Sprintf("discovered from namespace %s by headroom discover", d.Namespace),
	}, []scenarios.Scenario{{Name: "steady", Duration: scenarios.Duration(time.Hour)}})
}

// plan is d's services with the given metadata and scenarios, and no node
// types.
func (d *Discovery) plan(meta scenarios.Metadata, sc []scenarios.Scenario) *scenarios.Plan {
	p := &scenarios.Plan{
		APIVersion: scenarios.APIVersion,
		Kind:       scenarios.Kind,
		Metadata:   meta,
		Scenarios:  sc,
		Cluster:    scenarios.Cluster{NodeTypes: []scenarios.NodeType{}},
	}
	for _, ds := range d.Services {
		s := ds.Service
		s.HPA = ds.Service.HPA.DeepCopy()
		s.MetricSources = slices.Clone(ds.Service.MetricSources)
		p.Services = append(p.Services, s)
	}
	return p
}

// WritePlan renders the discovered plan as YAML with comments: a header, the
// notes of each service, what its VPA recommends, and a TODO above every
// placeholder. The output is deterministic.
func (d *Discovery) WritePlan() ([]byte, error) {
	return d.render(d.Plan(), planfile.Annotations{
		Header: strings.Join([]string{
			fmt.Sprintf("Capacity plan discovered from namespace %s by `headroom discover`.", d.Namespace),
			"",
			"The cluster knows replicas, resources and autoscalers; it cannot know how the",
			"services are used. Every line marked TODO holds a zero that headroom refuses:",
			"fill them from measurements (`headroom observe`) before sizing or simulating.",
			"`headroom size -f THIS_FILE` lists what is still missing, with line numbers.",
			"",
			"Which services call which (`calls:`) is not discoverable without tracing (a",
			"service mesh's or OpenTelemetry's spans). Without calls each",
			"service is sized on its own rate; add them by hand (docs/plan.md, services[].calls).",
			"loadBalancing is read from the cluster where it shows (a mesh sidecar,",
			"kube-proxy's mode, sessionAffinity); check it.",
		}, "\n"),
		Scenarios: "A constant load at each service's requestRate. Add the traffic to plan for\n" +
			"(schedules, growth, spikes: see scenarios/examples/noa.yaml).",
	})
}

// render writes p (d's plan with its scenarios) with the comments of a
// and, per service, its notes, VPA, HPA and the TODO above every
// placeholder. The node types get an example and a TODO.
func (d *Discovery) render(p *scenarios.Plan, a planfile.Annotations) ([]byte, error) {
	a.NodeTypes = "Example: - {name: m5.xlarge, allocatable: {cpu: 3920m, memory: 14Gi}, pricePerHour: 0.192}\n" +
		Todo + "the node types the pods run on, with what pods can use of each and its price"
	if len(d.Notes) > 0 {
		a.Header += "\n\nNotes:\n" + bulletLines(d.Notes)
	}
	for _, ds := range d.Services {
		n := planfile.ServiceNotes{}
		if len(ds.Notes) > 0 {
			n.Name = bulletLines(ds.Notes)
		}
		if ds.VPA != nil {
			n.Resources = describeVPA(ds)
		}
		switch {
		case ds.HPA != "" && d.fromFiles:
			n.HPA = fmt.Sprintf("The spec of HPA %s, as its manifest gives it.", ds.HPA)
		case ds.HPA != "":
			n.HPA = fmt.Sprintf("The spec of HPA %s, as the API server returns it (defaults filled in).", ds.HPA)
		}
		for _, ph := range Placeholders {
			if unset(&ds.Service, ph.Field) {
				n.Fields = append(n.Fields, planfile.FieldNote{Path: ph.Field, Text: Todo + ph.Hint})
			}
		}
		if b := ds.balancing; b != nil {
			n.Fields = append(n.Fields, planfile.FieldNote{Path: "loadBalancing", Text: "Read from the cluster: " + b.text + ".\n" +
				"Set what the clients' traffic actually goes through (random, round-robin, least-request,\n" +
				"least-connection, shared-queue): it moves the latency and the replicas (docs/load-balancing.md)."})
		}
		if slices.ContainsFunc(ds.Service.MetricSources, func(m scenarios.MetricSource) bool { return m.Source == "" }) {
			n.Fields = append(n.Fields, planfile.FieldNote{Path: "metricSources", Text: Todo + metricSourcesHint})
		}
		a.Services = append(a.Services, n)
	}
	return planfile.Render(p, a)
}

func describeVPA(ds DiscoveredService) string {
	v := ds.VPA
	mode := v.UpdateMode
	if mode == "" {
		mode = "unset, so Auto"
	}
	s := fmt.Sprintf("VPA %s targets this workload (updateMode %s)", v.Name, mode)
	if len(v.Target) == 0 {
		return s + "; it has no recommendation yet."
	}
	var parts []string
	for _, k := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		if q, ok := v.Target[k]; ok {
			parts = append(parts, string(k)+" "+q.String())
		}
	}
	return fmt.Sprintf("%s; its target for container %s: %s.", s, ds.Service.Container, strings.Join(parts, ", "))
}

func bulletLines(notes []string) string {
	lines := make([]string, len(notes))
	for i, n := range notes {
		lines[i] = "- " + n
	}
	return strings.Join(lines, "\n")
}

// unset says whether the placeholder field of s still holds its zero.
func unset(s *scenarios.Service, field string) bool {
	switch field {
	case "requestRate":
		return s.RequestRate.PerSecond == 0
	case "serviceTime.mean":
		return s.ServiceMean() == 0
	case "concurrency":
		return s.Concurrency == 0
	case "cpu":
		return s.CPU.PerRequest == nil && s.CPU.ObservedPerPod == nil
	case "memory.base":
		return s.Memory.Base.IsZero()
	}
	return true
}
