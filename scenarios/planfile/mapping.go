// Package yamlmap reads and edits YAML mapping nodes in place, keeping the
// comments and order of what it does not touch: how observe and calibrate
// write their findings back into a user's plan file.
package yamlmap

import "go.yaml.in/yaml/v3"

// Entry returns the key and value nodes of key in mapping m, or nils when
// m is not a mapping or has no such key.
func Entry(m *yaml.Node, key string) (k, v *yaml.Node) {
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

// Value returns the value node of key in mapping m, nil when absent.
func Value(m *yaml.Node, key string) *yaml.Node {
	_, v := Entry(m, key)
	return v
}

// Set replaces the value of key, keeping the old value's line comment
// when v has none, or appends the pair.
func Set(m *yaml.Node, key string, v *yaml.Node) {
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

// Ensure returns the mapping under key, creating it (block style) when
// absent, or turning a null or scalar value into an empty mapping.
func Ensure(m *yaml.Node, key string) *yaml.Node {
	if k, v := Entry(m, key); v != nil {
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
	Set(m, key, v)
	return v
}

// Delete removes key and its value from mapping m.
func Delete(m *yaml.Node, key string) {
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
