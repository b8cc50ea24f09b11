package planfile

import (
	"bytes"
	"fmt"

	"go.yaml.in/yaml/v3"
)

// File is a plan file being edited: its YAML node tree, comments and key
// order included. Edits change the tree; Bytes encodes it.
type File struct {
	name     string
	doc      yaml.Node
	services *yaml.Node // the services list
}

// Parse reads a plan file for editing; name is used only in messages. It
// needs a single YAML mapping with a services list, and nothing more: the
// edits keep whatever else the file holds, and the caller validates the
// result (scenarios.Parse).
func Parse(name string, data []byte) (*File, error) {
	f := &File{name: name}
	if err := yaml.Unmarshal(data, &f.doc); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if f.doc.Kind != yaml.DocumentNode || len(f.doc.Content) != 1 || f.doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s: not a single YAML mapping (a CapacityPlan)", name)
	}
	f.services = value(f.root(), "services")
	if f.services == nil || f.services.Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("%s: no services list", name)
	}
	return f, nil
}

func (f *File) root() *yaml.Node { return f.doc.Content[0] }

// service returns the mapping of the service named name (the last one, if
// the name repeats).
func (f *File) service(name string) (*yaml.Node, error) {
	var svc *yaml.Node
	for _, item := range f.services.Content {
		if item.Kind == yaml.MappingNode {
			if n := value(item, "name"); n != nil && n.Value == name {
				svc = item
			}
		}
	}
	if svc == nil {
		return nil, fmt.Errorf("%s: no service named %q", f.name, name)
	}
	return svc, nil
}

// Bytes encodes the edited file: block style, two-space indentation, the
// comments where they were.
func (f *File) Bytes() ([]byte, error) {
	b, err := encode(&f.doc)
	if err != nil {
		return nil, fmt.Errorf("%s: encode: %w", f.name, err)
	}
	return b, nil
}

// encode writes a node tree as every edit does: two-space indentation.
func encode(doc *yaml.Node) ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
