package strictyaml

import (
	"strings"

	"go.yaml.in/yaml/v3"
)

// Index maps field paths of a decoded document to positions in its source.
//
// Paths are the ones FieldError uses: JSON field names joined by dots, map
// entries as ".key" ("resources.requests.cpu"), list items as "[i]", and list
// items that are mappings with a scalar name also as "[name]"
// ("services[noa-mcp].hpa.maxReplicas"), the root as "". A nil *Index knows
// no positions.
type Index struct {
	file string
	// pos holds the position of every decoded value by its canonical path,
	// the one with list indexes.
	pos map[string]yamlPos
	// alias maps a list item named by its name ("services[noa-mcp]", under
	// its parent's canonical path) to its canonical path ("services[0]").
	alias map[string]string
}

type yamlPos struct{ line, col int }

// register records the position of the value at path. A scalar or a flow
// collection is located at the value; a block mapping or sequence under a
// key is located at its key, the line that opens it.
func (ix *Index) register(path string, key, val *yaml.Node) {
	p := yamlPos{val.Line, val.Column}
	if key != nil && (val.Kind == yaml.MappingNode || val.Kind == yaml.SequenceNode) && val.Style&yaml.FlowStyle == 0 {
		p = yamlPos{key.Line, key.Column}
	}
	ix.pos[path] = p
}

// Position returns the line and column of the value at path, or of its
// nearest ancestor present in the file (the parent mapping of a field that
// is absent); ok is false when not even the root is known. Items of a list
// may be named by index or, when they have a scalar name key, by name.
func (ix *Index) Position(path string) (line, col int, ok bool) {
	if ix == nil {
		return 0, 0, false
	}
	if p, ok := ix.pos[path]; ok {
		return p.line, p.col, true
	}
	prefixes := ix.prefixes(path)
	for i := len(prefixes) - 1; i >= 0; i-- {
		if p, ok := ix.pos[prefixes[i]]; ok {
			return p.line, p.col, true
		}
	}
	if p, ok := ix.pos[""]; ok {
		return p.line, p.col, true
	}
	return 0, 0, false
}

// Has reports whether the value at path is present in the source (not
// merely an ancestor of it): a field that was absent, rather than given as
// zero. A nil *Index has nothing.
func (ix *Index) Has(path string) bool {
	if ix == nil {
		return false
	}
	if _, ok := ix.pos[path]; ok {
		return true
	}
	p := ix.prefixes(path)
	if len(p) == 0 {
		return false
	}
	_, ok := ix.pos[p[len(p)-1]]
	return ok
}

// prefixes returns the canonical paths of path and its ancestors, outermost
// first, named list items replaced by their index.
func (ix *Index) prefixes(path string) []string {
	// Rebuild the canonical path segment by segment, replacing named items
	// by their index, and remember every prefix as a candidate ancestor.
	// Keys may themselves contain dots ("nvidia.com/gpu"): splitting them
	// and joining them again gives back the same string, so only the
	// intermediate prefixes are spurious, and they are simply absent.
	var prefixes []string
	cur := ""
	for rest := path; rest != ""; {
		var seg string
		switch rest[0] {
		case '[':
			end := strings.IndexByte(rest, ']')
			if end < 0 {
				end = len(rest) - 1
			}
			seg, rest = rest[:end+1], rest[end+1:]
			cand := cur + seg
			if _, ok := ix.pos[cand]; !ok {
				if c, ok := ix.alias[cand]; ok {
					cand = c
				}
			}
			cur = cand
		default:
			if rest[0] == '.' {
				rest = rest[1:]
			}
			end := strings.IndexAny(rest, ".[")
			if end < 0 {
				end = len(rest)
			}
			seg, rest = rest[:end], rest[end:]
			if cur == "" {
				cur = seg
			} else {
				cur = cur + "." + seg
			}
		}
		prefixes = append(prefixes, cur)
	}
	return prefixes
}

// Locate returns copies of errs with File, Line and Column filled from each
// error's Path: the position of the value at Path or, when it is absent from
// the file (a missing required field), of its nearest ancestor. Errors that
// already have a line keep it; File is filled only where it is empty.
func (ix *Index) Locate(errs FieldErrors) FieldErrors {
	if ix == nil || len(errs) == 0 {
		return errs
	}
	out := make(FieldErrors, len(errs))
	for i, e := range errs {
		c := *e
		if c.File == "" {
			c.File = ix.file
		}
		if c.Line == 0 {
			if line, col, ok := ix.Position(c.Path); ok {
				c.Line, c.Column = line, col
			}
		}
		out[i] = &c
	}
	return out
}
