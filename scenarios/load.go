package scenarios

import (
	"embed"
	"errors"
	"fmt"
	"io"

	"github.com/headroom-dev/headroom/internal/strictyaml"
)

// MaxPlanBytes bounds the size of a plan file.
const MaxPlanBytes = 16 << 20

// LoadFile reads, decodes, defaults and validates the plan at path ("-" is
// standard input, read from stdin). Every problem is reported with
// file:line:column and its field path.
func LoadFile(path string, stdin io.Reader) (*Plan, error) {
	name, data, err := ReadFile("plan", path, stdin, MaxPlanBytes)
	if err != nil {
		return nil, err
	}
	return Parse(name, data)
}

// Parse decodes, defaults and validates a plan held in data; file names it
// in messages.
func Parse(file string, data []byte) (*Plan, error) {
	var p Plan
	ix, err := strictyaml.Decode(file, data, &p)
	if err != nil {
		return nil, err
	}
	p.file, p.source, p.present = file, data, ix.Has
	p.SetDefaults()
	err = p.Validate()
	p.present = nil // only validation asks; a parsed plan compares by value
	if err != nil {
		var fes FieldErrors
		if errors.As(err, &fes) {
			located := ix.Locate(fes)
			for _, e := range located {
				e.File = file
			}
			return nil, located
		}
		return nil, err
	}
	return &p, nil
}

//go:embed examples/*.yaml
var examples embed.FS

// Example returns a bundled example plan by file name ("noa.yaml").
func Example(name string) (*Plan, error) {
	data, err := examples.ReadFile("examples/" + name)
	if err != nil {
		return nil, fmt.Errorf("no bundled example %q", name)
	}
	return Parse("scenarios/examples/"+name, data)
}

// DecodeDraft decodes a plan strictly (unknown fields, wrong types and
// syntax are errors, with file:line:column) without defaulting or
// validating it: for a plan whose placeholders are not filled yet, as
// `headroom discover` writes it, that `headroom plan init` rewrites.
func DecodeDraft(file string, data []byte) (*Plan, error) {
	var p Plan
	if _, err := strictyaml.Decode(file, data, &p); err != nil {
		return nil, err
	}
	p.file, p.source = file, data
	return &p, nil
}
