// Package jsonschemagen writes a JSON Schema (draft 2020-12,
// https://json-schema.org/draft/2020-12/json-schema-core) for what
// encoding/json makes of a Go type, so that the schemas under docs/schema
// follow the types the commands print and cannot drift from them.
//
// It follows encoding/json's rules (https://pkg.go.dev/encoding/json#Marshal):
// field names from the json tag, "-" skipped, omitempty/omitzero fields
// optional and the others required, embedded structs without a tag
// flattened, a nil pointer, slice or map written as null (allowed unless
// the field is omitted when empty), []byte as a base64 string, maps with
// string or integer keys as objects. Every object is closed
// (additionalProperties: false), so a field added to a type and not to the
// schema fails the staleness test. Types that marshal themselves
// (json.Marshaler, encoding.TextMarshaler) have no structure to reflect:
// Options.Custom says what they write, and a type it does not name is an
// error rather than a guess. Named struct types become $defs, named by
// their package and type name; descriptions come from the Go doc comments
// when Options.Comments has them.
package jsonschemagen

import (
	"encoding"
	"encoding/json"
	"fmt"
	"path"
	"reflect"
	"slices"
	"strings"
	"time"
)

// Schema is a JSON Schema object; keys are kept in the order the writer
// puts them (see MarshalJSON).
type Schema map[string]any

// Options are what the reflection cannot know.
type Options struct {
	// ID and Title of the root schema.
	ID, Title, Description string
	// Custom maps a type that marshals itself (by its package path and
	// name, "k8s.io/apimachinery/pkg/api/resource.Quantity") to its schema.
	Custom map[string]Schema
	// Comments maps "pkgpath.Type" and "pkgpath.Type.Field" to their doc
	// comments (see ReadComments).
	Comments map[string]string
}

var (
	jsonMarshaler = reflect.TypeFor[json.Marshaler]()
	textMarshaler = reflect.TypeFor[encoding.TextMarshaler]()
	timeType      = reflect.TypeFor[time.Time]()
)

type generator struct {
	opts Options
	defs map[string]Schema
	seen map[reflect.Type]string
}

// Generate returns the schema of v's type, indented, ending in a newline.
func Generate(v any, opts Options) ([]byte, error) {
	g := &generator{opts: opts, defs: map[string]Schema{}, seen: map[reflect.Type]string{}}
	root, err := g.schema(reflect.TypeOf(v))
	if err != nil {
		return nil, err
	}
	doc := Schema{"$schema": "https://json-schema.org/draft/2020-12/schema"}
	if opts.ID != "" {
		doc["$id"] = opts.ID
	}
	if opts.Title != "" {
		doc["title"] = opts.Title
	}
	if opts.Description != "" {
		doc["description"] = opts.Description
	}
	for k, v := range root {
		doc[k] = v
	}
	if len(g.defs) > 0 {
		defs := Schema{}
		for k, v := range g.defs {
			defs[k] = v
		}
		doc["$defs"] = defs
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// typeName is "pkgpath.Name" (with type arguments as the reflect package
// writes them).
func typeName(t reflect.Type) string { return t.PkgPath() + "." + t.Name() }

// defName is the $defs key: the last element of the package path and the
// type name, with the characters a JSON Pointer or URI fragment dislikes
// replaced.
func defName(t reflect.Type) string {
	n := path.Base(t.PkgPath()) + "." + t.Name()
	return strings.NewReplacer("/", "_", "[", "_", "]", "", ",", "_", " ", "", "*", "").Replace(n)
}

func (g *generator) schema(t reflect.Type) (Schema, error) {
	if t.Kind() == reflect.Pointer {
		return g.schema(t.Elem())
	}
	if t.Name() != "" && t.PkgPath() != "" {
		if s, ok := g.opts.Custom[typeName(t)]; ok {
			return s, nil
		}
	}
	if t == timeType {
		return Schema{"type": "string", "format": "date-time"}, nil
	}
	if t.Implements(jsonMarshaler) || reflect.PointerTo(t).Implements(jsonMarshaler) ||
		t.Implements(textMarshaler) || reflect.PointerTo(t).Implements(textMarshaler) {
		return nil, fmt.Errorf("%s marshals itself: say what it writes in Options.Custom", typeName(t))
	}
	switch t.Kind() {
	case reflect.Bool:
		return Schema{"type": "boolean"}, nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return Schema{"type": "integer"}, nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return Schema{"type": "integer", "minimum": 0}, nil
	case reflect.Float32, reflect.Float64:
		return Schema{"type": "number"}, nil
	case reflect.String:
		return Schema{"type": "string"}, nil
	case reflect.Interface:
		return Schema{}, nil
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 && t.Kind() == reflect.Slice {
			return Schema{"type": "string", "contentEncoding": "base64"}, nil
		}
		items, err := g.schema(t.Elem())
		if err != nil {
			return nil, err
		}
		s := Schema{"type": "array", "items": nullable(t.Elem(), items)}
		if t.Kind() == reflect.Array {
			s["minItems"], s["maxItems"] = t.Len(), t.Len()
		}
		return s, nil
	case reflect.Map:
		switch t.Key().Kind() {
		case reflect.String, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		default:
			return nil, fmt.Errorf("map key %s: encoding/json cannot write it", t.Key())
		}
		vs, err := g.schema(t.Elem())
		if err != nil {
			return nil, err
		}
		return Schema{"type": "object", "additionalProperties": nullable(t.Elem(), vs)}, nil
	case reflect.Struct:
		if t.Name() == "" {
			return g.object(t)
		}
		name, ok := g.seen[t]
		if !ok {
			name = defName(t)
			for other, n := range g.seen {
				if n == name && other != t {
					return nil, fmt.Errorf("%s and %s have one $defs name %s", typeName(t), typeName(other), name)
				}
			}
			g.seen[t] = name
			obj, err := g.object(t)
			if err != nil {
				return nil, err
			}
			if c := g.opts.Comments[typeName(t)]; c != "" {
				obj["description"] = c
			}
			g.defs[name] = obj
		}
		return Schema{"$ref": "#/$defs/" + name}, nil
	}
	return nil, fmt.Errorf("%s (%s): encoding/json cannot write it", t, t.Kind())
}

// nullable allows null beside s where encoding/json writes a nil value as
// null: pointers, slices and maps.
func nullable(t reflect.Type, s Schema) Schema {
	switch t.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Map, reflect.Interface:
	default:
		return s
	}
	if len(s) == 0 {
		return s
	}
	if ty, ok := s["type"].(string); ok && len(s) <= 2 && (len(s) == 1 || s["format"] != nil || s["contentEncoding"] != nil) {
		c := Schema{}
		for k, v := range s {
			c[k] = v
		}
		c["type"] = []string{ty, "null"}
		return c
	}
	return Schema{"anyOf": []Schema{s, {"type": "null"}}}
}

// field is one JSON member of a struct, after flattening.
type field struct {
	name     string
	typ      reflect.Type
	optional bool
	doc      string
}

// object is the closed object schema of a struct type.
func (g *generator) object(t reflect.Type) (Schema, error) {
	fields, err := g.fields(t)
	if err != nil {
		return nil, err
	}
	props := Schema{}
	var required []string
	for _, f := range fields {
		s, err := g.schema(f.typ)
		if err != nil {
			return nil, fmt.Errorf("%s.%s: %w", t, f.name, err)
		}
		if !f.optional {
			s = nullable(f.typ, s)
			required = append(required, f.name)
		}
		if f.doc != "" {
			if _, isRef := s["$ref"]; isRef {
				s = Schema{"$ref": s["$ref"], "description": f.doc}
			} else {
				c := Schema{"description": f.doc}
				for k, v := range s {
					c[k] = v
				}
				s = c
			}
		}
		props[f.name] = s
	}
	obj := Schema{"type": "object", "properties": props, "additionalProperties": false}
	if len(required) > 0 {
		slices.Sort(required)
		obj["required"] = required
	}
	return obj, nil
}

// fields lists t's JSON members as encoding/json finds them: embedded
// untagged structs flattened, a shallower name winning over a deeper one,
// two at one depth cancelling out.
func (g *generator) fields(t reflect.Type) ([]field, error) {
	type cand struct {
		field
		depth  int
		tagged bool
	}
	var all []cand
	var walk func(t reflect.Type, depth int, visited map[reflect.Type]bool)
	walk = func(t reflect.Type, depth int, visited map[reflect.Type]bool) {
		if visited[t] {
			return
		}
		visited[t] = true
		for i := range t.NumField() {
			sf := t.Field(i)
			tag := sf.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			ft := sf.Type
			if sf.Anonymous {
				et := ft
				if et.Kind() == reflect.Pointer {
					et = et.Elem()
				}
				if name == "" && et.Kind() == reflect.Struct {
					walk(et, depth+1, visited)
					continue
				}
				if !sf.IsExported() && et.Kind() != reflect.Struct {
					continue
				}
			} else if !sf.IsExported() {
				continue
			}
			if name == "" {
				name = sf.Name
			}
			optional := false
			for _, o := range strings.Split(opts, ",") {
				if o == "omitempty" || o == "omitzero" {
					optional = true
				}
			}
			doc := ""
			if t.Name() != "" {
				doc = g.opts.Comments[typeName(t)+"."+sf.Name]
			}
			if strings.Contains(opts, "string") {
				// ",string" writes numbers and booleans quoted.
				switch ft.Kind() {
				case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
					reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
					ft = reflect.TypeFor[string]()
				}
			}
			all = append(all, cand{field{name, ft, optional, doc}, depth, tag != ""})
		}
	}
	walk(t, 0, map[reflect.Type]bool{})
	var out []field
	for _, c := range all {
		win, tie := true, false
		for _, o := range all {
			if o.name != c.name || o == c {
				continue
			}
			switch {
			case o.depth < c.depth, o.depth == c.depth && o.tagged && !c.tagged:
				win = false
			case o.depth == c.depth && o.tagged == c.tagged:
				tie = true
			}
		}
		if win && !tie {
			out = append(out, c.field)
		}
	}
	return out, nil
}
