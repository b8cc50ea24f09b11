package scenarios

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/headroom-dev/headroom/internal/strictyaml"
)

// Annotation is an input of a plan together with what its comment says of
// its provenance: the NOA example marks each number "runbook" (taken from
// the platform's runbook) or "assumed" (a plausible guess to replace with a
// measurement). Reports list them so a reviewer sees what each number rests on.
type Annotation struct {
	// Path is the field path in the decoder's notation
	// (services[noa-mcp].serviceTime.mean).
	Path string `json:"path"`
	Line int    `json:"line"`
	// Value is the field's YAML text in flow style.
	Value   string `json:"value"`
	Comment string `json:"comment"`
	// Source is "runbook", "assumed" or "measured" (the first such word of
	// the comment), or "" when the comment names none.
	Source string `json:"source,omitempty"`
}

// ProvenanceWords are the comment words Annotations classifies by.
var ProvenanceWords = []string{"assumed", "runbook", "measured"}

// Annotations returns every commented field of a plan's YAML, in file
// order. A comment on the line of a key, or the lines just above it, belongs
// to that key.
func Annotations(data []byte) ([]Annotation, error) {
	docs, err := strictyaml.ParseDocuments(data)
	if err != nil {
		return nil, err
	}
	var out []Annotation
	for _, doc := range docs {
		root := doc
		if root.Kind == yaml.DocumentNode && len(root.Content) > 0 {
			root = root.Content[0]
		}
		walkAnnotations(root, "", &out)
	}
	return out, nil
}

func walkAnnotations(n *yaml.Node, path string, out *[]Annotation) {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			p := k.Value
			if path != "" {
				p = path + "." + k.Value
			}
			comment := joinComments(k.HeadComment, k.LineComment, v.LineComment)
			if v.Kind == yaml.MappingNode || v.Kind == yaml.SequenceNode {
				// A comment on a block's key line speaks of the block.
				if comment != "" {
					*out = append(*out, annotation(p, k.Line, v, comment))
				}
				walkAnnotations(v, p, out)
				continue
			}
			if comment != "" {
				*out = append(*out, annotation(p, k.Line, v, comment))
			}
		}
	case yaml.SequenceNode:
		for i, item := range n.Content {
			p := fmt.Sprintf("%s[%d]", path, i)
			if name := mappingValue(item, "name"); name != "" {
				p = fmt.Sprintf("%s[%s]", path, name)
			}
			if c := joinComments(item.HeadComment, item.LineComment); c != "" && item.Kind != yaml.MappingNode {
				*out = append(*out, annotation(p, item.Line, item, c))
			}
			walkAnnotations(item, p, out)
		}
	}
}

func mappingValue(n *yaml.Node, key string) string {
	if n.Kind != yaml.MappingNode {
		return ""
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1].Value
		}
	}
	return ""
}

func annotation(path string, line int, v *yaml.Node, comment string) Annotation {
	a := Annotation{Path: path, Line: line, Value: flowText(v), Comment: comment}
	lower := strings.ToLower(comment)
	first := -1
	for _, w := range ProvenanceWords {
		if i := strings.Index(lower, w); i >= 0 && (first < 0 || i < first) {
			first, a.Source = i, w
		}
	}
	return a
}

// flowText renders a node on one line, as the plan would write it in flow
// style.
func flowText(n *yaml.Node) string {
	switch n.Kind {
	case yaml.ScalarNode:
		return n.Value
	case yaml.MappingNode:
		var parts []string
		for i := 0; i+1 < len(n.Content); i += 2 {
			parts = append(parts, n.Content[i].Value+": "+flowText(n.Content[i+1]))
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case yaml.SequenceNode:
		var parts []string
		for _, c := range n.Content {
			parts = append(parts, flowText(c))
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case yaml.AliasNode:
		if n.Alias != nil {
			return flowText(n.Alias)
		}
	}
	return ""
}

// joinComments joins comment texts without their '#' markers and blank
// lines; the head comment of a key is only kept for its last paragraph (the
// lines right above the key).
func joinComments(cs ...string) string {
	var parts []string
	for i, c := range cs {
		if c == "" {
			continue
		}
		if i == 0 {
			if j := strings.LastIndex(c, "\n\n"); j >= 0 {
				c = c[j+2:]
			}
		}
		for _, line := range strings.Split(c, "\n") {
			line = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), "#"))
			if line != "" {
				parts = append(parts, line)
			}
		}
	}
	return strings.Join(parts, " ")
}
