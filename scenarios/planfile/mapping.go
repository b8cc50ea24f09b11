package planfile

import (
	"strings"

	"go.yaml.in/yaml/v3"
)

// The primitives every edit is made of: reading and editing YAML mapping
// nodes in place, keeping the comments and order of what they do not touch.

// entry returns the key and value nodes of key in mapping m, or nils when
// m is not a mapping or has no such key.
func entry(m *yaml.Node, key string) (k, v *yaml.Node) {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i], m.Content[i+1]
		}
	}
	return nil, nil
}

// value returns the value node of key in mapping m, nil when absent.
func value(m *yaml.Node, key string) *yaml.Node {
	_, v := entry(m, key)
	return v
}

// set replaces the value of key, keeping the old value's line comment
// when v has none, or appends the pair.
func set(m *yaml.Node, key string, v *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			if v.LineComment == "" {
				v.LineComment = m.Content[i+1].LineComment
			}
			m.Content[i+1] = v
			return
		}
	}
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, v)
}

// setScalar sets key to the scalar value in place, keeping the key's own
// comments and the value node's position, or appends it; a non-empty note
// becomes the value's line comment.
func setScalar(m *yaml.Node, key, val, tag, note string) {
	v := value(m, key)
	if v == nil {
		v = &yaml.Node{}
		m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, v)
	}
	v.Kind, v.Tag, v.Value, v.Style, v.Content = yaml.ScalarNode, tag, val, 0, nil
	if note != "" {
		v.LineComment = "# " + note
	}
}

// ensure returns the mapping under key, creating it (block style) when
// absent, or turning a null or scalar value into an empty mapping.
func ensure(m *yaml.Node, key string) *yaml.Node {
	if k, v := entry(m, key); v != nil {
		if v.Kind != yaml.MappingNode {
			// The old value's comment stays on its line, with the key.
			if k.LineComment == "" {
				k.LineComment = v.LineComment
			}
			*v = yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		}
		return v
	}
	v := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	set(m, key, v)
	return v
}

// remove deletes key and its value from mapping m.
func remove(m *yaml.Node, key string) {
	if m == nil {
		return
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content = append(m.Content[:i], m.Content[i+2:]...)
			return
		}
	}
}

// pathKey returns the key node of a dotted path of mapping keys under m,
// nil when any is absent.
func pathKey(m *yaml.Node, path string) *yaml.Node {
	var k *yaml.Node
	for _, seg := range strings.Split(path, ".") {
		k, m = entry(m, seg)
		if k == nil {
			return nil
		}
	}
	return k
}

func scalar(v string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Value: v} }

// empiricalServiceTime says whether the service's serviceTime is an
// empirical histogram (distribution: empirical).
func empiricalServiceTime(svc *yaml.Node) bool {
	d := value(value(svc, "serviceTime"), "distribution")
	return d != nil && d.Kind == yaml.ScalarNode && d.Value == "empirical"
}
