package planfile

import (
	"encoding/json"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/headroom-dev/headroom/scenarios"
)

// Annotations are the comments of a newly written plan, as discover writes
// them: each text becomes the head comment above its key ("" writes none),
// its lines "# "-prefixed by the encoder.
type Annotations struct {
	// Header is the comment at the top of the file.
	Header string
	// Services are the comments of plan.Services, by position.
	Services []ServiceNotes
	// Scenarios is above the scenarios key, NodeTypes above
	// cluster.nodeTypes.
	Scenarios, NodeTypes string
}

// ServiceNotes are the comments of one service.
type ServiceNotes struct {
	// Name, Resources and HPA are above those keys of the service.
	Name, Resources, HPA string
	// Fields are above keys given by dotted paths under the service
	// ("serviceTime.mean"), such as the placeholders the user must fill.
	// A field whose value is an empty mapping is written ("cpu: {}"),
	// where other empty mappings are left out.
	Fields []FieldNote
}

// FieldNote is the comment above the key at Path under a service.
type FieldNote struct{ Path, Text string }

// Render writes p as a new plan file with the comments of a: block style,
// fields in the schema's order, empty mappings left out (they are the
// defaults the JSON encoding cannot omit, simulation: {controller: {}}),
// two-space indentation. The output is deterministic. p need not be valid:
// discover writes zeros that scenarios.Parse refuses until they are filled.
func Render(p *scenarios.Plan, a Annotations) ([]byte, error) {
	js, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("encode plan: %w", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(js, &doc); err != nil {
		return nil, fmt.Errorf("encode plan: %w", err)
	}
	root := doc.Content[0]
	blockStyle(root)
	keep := map[string]bool{}
	for _, s := range a.Services {
		for _, f := range s.Fields {
			keep[f.Path[strings.LastIndexByte(f.Path, '.')+1:]] = true
		}
	}
	pruneEmpty(root, keep)

	doc.HeadComment = a.Header
	services := value(root, "services")
	for i, notes := range a.Services {
		if services == nil || i >= len(services.Content) {
			break
		}
		item := services.Content[i]
		for _, c := range []FieldNote{{"name", notes.Name}, {"resources", notes.Resources}, {"hpa", notes.HPA}} {
			if k, _ := entry(item, c.Path); k != nil && c.Text != "" {
				k.HeadComment = c.Text
			}
		}
		for _, f := range notes.Fields {
			if k := pathKey(item, f.Path); k != nil {
				k.HeadComment = f.Text
			}
		}
	}
	if k, _ := entry(root, "scenarios"); k != nil {
		k.HeadComment = a.Scenarios
	}
	if c := value(root, "cluster"); c != nil {
		if k, _ := entry(c, "nodeTypes"); k != nil {
			k.HeadComment = a.NodeTypes
		}
	}
	out, err := encode(&doc)
	if err != nil {
		return nil, fmt.Errorf("encode plan: %w", err)
	}
	return out, nil
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
// pruning), except those whose key is in keep (at any depth: the schema
// uses the names of the annotated fields for nothing else).
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
