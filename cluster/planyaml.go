package cluster

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
	corev1 "k8s.io/api/core/v1"

	"github.com/headroom-dev/headroom/internal/yamlmap"
	"github.com/headroom-dev/headroom/scenarios"
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

// todo starts every placeholder comment, so that `grep TODO plan.yaml`
// lists what is left to fill.
const todo = "TODO(headroom observe): "

// Plan returns the discovered plan: every service with placeholders for
// what the cluster cannot know, one constant scenario ("steady", 1h) and no
// node types. scenarios.Parse rejects it until the placeholders are filled.
func (d *Discovery) Plan() *scenarios.Plan {
	p := &scenarios.Plan{
		APIVersion: scenarios.APIVersion,
		Kind:       scenarios.Kind,
		Metadata: scenarios.Metadata{
			Name:        d.Namespace,
			Description: fmt.Sprintf("discovered from namespace %s by headroom discover", d.Namespace),
		},
		Scenarios: []scenarios.Scenario{{Name: "steady", Duration: scenarios.Duration(time.Hour)}},
		Cluster:   scenarios.Cluster{NodeTypes: []scenarios.NodeType{}},
	}
	for _, ds := range d.Services {
		s := ds.Service
		s.HPA = ds.Service.HPA.DeepCopy()
		p.Services = append(p.Services, s)
	}
	return p
}

// WritePlan renders the discovered plan as YAML with comments: a header, the
// notes of each service, what its VPA recommends, and a TODO above every
// placeholder. The output is deterministic.
func (d *Discovery) WritePlan() ([]byte, error) {
	js, err := json.Marshal(d.Plan())
	if err != nil {
		return nil, fmt.Errorf("encode plan: %w", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(js, &doc); err != nil {
		return nil, fmt.Errorf("encode plan: %w", err)
	}
	root := doc.Content[0]
	blockStyle(root)
	// Empty mappings are defaults the JSON encoding cannot omit
	// (simulation: {controller: {}}); cpu: {} is a placeholder and stays.
	pruneEmpty(root, map[string]bool{"cpu": true})

	doc.HeadComment = strings.Join([]string{
		fmt.Sprintf("Capacity plan discovered from namespace %s by `headroom discover`.", d.Namespace),
		"",
		"The cluster knows replicas, resources and autoscalers; it cannot know how the",
		"services are used. Every line marked TODO holds a zero that headroom refuses:",
		"fill them from measurements (`headroom observe`) before sizing or simulating.",
		"`headroom size -f THIS_FILE` lists what is still missing, with line numbers.",
	}, "\n")
	if len(d.Notes) > 0 {
		doc.HeadComment += "\n\nNotes:\n" + bulletLines(d.Notes)
	}

	services := yamlmap.Value(root, "services")
	for i, ds := range d.Services {
		if services == nil || i >= len(services.Content) {
			break
		}
		item := services.Content[i]
		if k, _ := yamlmap.Entry(item, "name"); k != nil && len(ds.Notes) > 0 {
			k.HeadComment = bulletLines(ds.Notes)
		}
		if k, _ := yamlmap.Entry(item, "resources"); k != nil && ds.VPA != nil {
			k.HeadComment = describeVPA(ds)
		}
		if k, _ := yamlmap.Entry(item, "hpa"); k != nil && ds.HPA != "" {
			k.HeadComment = fmt.Sprintf("The spec of HPA %s, as the API server returns it (defaults filled in).", ds.HPA)
		}
		for _, ph := range Placeholders {
			if k := pathKey(item, ph.Field); k != nil {
				k.HeadComment = todo + ph.Hint
			}
		}
	}
	if k, _ := yamlmap.Entry(root, "scenarios"); k != nil {
		k.HeadComment = "A constant load at each service's requestRate. Add the traffic to plan for\n" +
			"(schedules, growth, spikes: see scenarios/examples/noa.yaml)."
	}
	if c := yamlmap.Value(root, "cluster"); c != nil {
		if k, _ := yamlmap.Entry(c, "nodeTypes"); k != nil {
			k.HeadComment = "Example: - {name: m5.xlarge, allocatable: {cpu: 3920m, memory: 14Gi}, pricePerHour: 0.192}\n" +
				todo + "the node types the pods run on, with what pods can use of each and its price"
		}
	}

	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, fmt.Errorf("encode plan: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encode plan: %w", err)
	}
	return buf.Bytes(), nil
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

// blockStyle clears the flow and quoting styles the JSON source gave every
// node; the encoder quotes a string only where YAML needs it.
func blockStyle(n *yaml.Node) {
	n.Style = 0
	for _, c := range n.Content {
		blockStyle(c)
	}
}

// pruneEmpty drops mapping entries whose value is an empty mapping (after
// pruning), except those whose key is in keep.
func pruneEmpty(n *yaml.Node, keep map[string]bool) {
	switch n.Kind {
	case yaml.SequenceNode:
		for _, c := range n.Content {
			pruneEmpty(c, keep)
		}
	case yaml.MappingNode:
		out := n.Content[:0]
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			pruneEmpty(v, keep)
			if v.Kind == yaml.MappingNode && len(v.Content) == 0 && !keep[k.Value] {
				continue
			}
			out = append(out, k, v)
		}
		n.Content = out
	}
}

// pathKey returns the key node of a dotted path of mapping keys under m.
func pathKey(m *yaml.Node, path string) *yaml.Node {
	var k *yaml.Node
	for _, seg := range strings.Split(path, ".") {
		k, m = yamlmap.Entry(m, seg)
		if k == nil {
			return nil
		}
	}
	return k
}
