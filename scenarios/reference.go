package scenarios

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"github.com/headroom-dev/headroom/internal/strictyaml"
)

// The reference of the plan's fields (docs/plan.md), the JSON Schema
// (docs/schema/capacityplan.json) and reference.json, which `headroom
// explain` reads, are generated together from this package's types and
// their doc comments; a test in hack/planref fails when they are stale.
//go:generate go run ../hack/planref -root ..

// FieldDoc documents one field of the CapacityPlan schema, as the reference
// and `headroom explain` show it. The root is the plan itself.
type FieldDoc struct {
	// Name is the YAML key ("requestRate"); the root's is "CapacityPlan".
	Name string `json:"name"`
	// Path is the field's path from the plan, lists written with []
	// ("services[].hpa.behavior"); "" for the root.
	Path string `json:"path,omitempty"`
	// Type is the Go-flavoured type name: string, integer, number,
	// boolean, a unit (Rate, Duration, Quantity, TimeOfDay), an object's
	// type name, []T for a list, map[string]T for a map.
	Type string `json:"type"`
	// Kind is the JSON kind: object, array, map, string, integer, number,
	// boolean, or quantity (a string or a number).
	Kind string `json:"kind"`
	// Description is the doc comment, in one paragraph.
	Description string `json:"description,omitempty"`
	// Unit says what a unit-typed value measures and how it is written.
	Unit string `json:"unit,omitempty"`
	// Required is set when a plan must give the field.
	Required bool `json:"required,omitempty"`
	// Default, Range and Example are the doc comment's "Default:",
	// "Range:" and "Example:" facts (an example may be derived from the
	// type).
	Default string `json:"default,omitempty"`
	Range   string `json:"range,omitempty"`
	Example string `json:"example,omitempty"`
	// Values are the accepted values of an enumeration ("One of:").
	Values []string `json:"values,omitempty"`
	// Link points to the upstream reference of a Kubernetes type.
	Link string `json:"link,omitempty"`
	// Fields are an object's fields, or a list's or map's element's.
	Fields []*FieldDoc `json:"fields,omitempty"`
}

//go:embed reference.json
var referenceJSON []byte

var reference = sync.OnceValues(func() (*FieldDoc, error) {
	var root FieldDoc
	if err := json.Unmarshal(referenceJSON, &root); err != nil {
		return nil, fmt.Errorf("scenarios: embedded reference.json: %w", err)
	}
	return &root, nil
})

// Reference returns the documentation of the plan's fields, the root being
// the plan. Callers must not modify it.
func Reference() (*FieldDoc, error) { return reference() }

// Field returns the named child field, or nil.
func (f *FieldDoc) Field(name string) *FieldDoc {
	for _, c := range f.Fields {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// Walk calls fn for f and every field below it, depth first in order.
func (f *FieldDoc) Walk(fn func(*FieldDoc)) {
	fn(f)
	for _, c := range f.Fields {
		c.Walk(fn)
	}
}

// Lookup finds the field at path below f: dot-separated keys, list items
// written services[], services[0] or services[api] or not at all
// ("services.hpa.behavior"); a leading "capacityplan." is allowed, as
// kubectl explain takes the resource name first. An unknown key is an
// error that names the path so far and the closest field.
func (f *FieldDoc) Lookup(path string) (*FieldDoc, error) {
	path = strings.TrimSpace(path)
	if path == "" {
		return f, nil
	}
	keys := strings.Split(path, ".")
	if strings.EqualFold(keys[0], "capacityplan") || strings.EqualFold(keys[0], "capacityplans") {
		keys = keys[1:]
	}
	cur, walked := f, ""
	for _, key := range keys {
		if i := strings.IndexByte(key, '['); i >= 0 && strings.HasSuffix(key, "]") {
			key = key[:i]
		}
		next := cur.Field(key)
		if next == nil {
			where := "the plan"
			if walked != "" {
				where = walked
			}
			names := make([]string, len(cur.Fields))
			for i, c := range cur.Fields {
				names[i] = c.Name
			}
			switch best, ok := strictyaml.Closest(key, names); {
			case len(names) == 0:
				return nil, fmt.Errorf("field %q does not exist: %s (%s) has no fields", key, where, cur.Type)
			case ok:
				return nil, fmt.Errorf("field %q does not exist in %s; did you mean %q?", key, where, best)
			default:
				return nil, fmt.Errorf("field %q does not exist in %s; its fields are %s", key, where, strings.Join(names, ", "))
			}
		}
		cur, walked = next, next.Path
	}
	return cur, nil
}
