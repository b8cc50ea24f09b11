package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/headroom-dev/headroom/scenarios"
)

// schemaID is where the schema is published: the file in the repository.
const schemaID = "https://raw.githubusercontent.com/headroom-dev/headroom/main/docs/schema/capacityplan.json"

// jsonSchema returns a JSON Schema (draft-07, which yaml-language-server
// and most validators read) of the plan: every object closed
// (additionalProperties: false, as the decoder refuses unknown fields),
// required fields, enumerations, numeric ranges and the units' patterns.
// Semantic rules between fields (minReplicas ≤ maxReplicas, p95 above the
// mean) are the decoder's alone.
func jsonSchema(root *scenarios.FieldDoc, oneOf map[string]bool) ([]byte, error) {
	sc := schemaConv{oneOf: oneOf}
	s, err := sc.schemaOf(root, true)
	if err != nil {
		return nil, err
	}
	s["$schema"] = "http://json-schema.org/draft-07/schema#"
	s["$id"] = schemaID
	s["title"] = "headroom CapacityPlan (" + scenarios.APIVersion + ")"
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(s); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// schemaConv converts the field tree to a schema.
type schemaConv struct{ oneOf map[string]bool }

// schemaOf returns the schema of f's value; whole is false for a list's
// item or a map's value, which take the element's part of f.
func (sc schemaConv) schemaOf(f *scenarios.FieldDoc, whole bool) (map[string]any, error) {
	s := map[string]any{}
	if whole {
		if d := schemaDescription(f); d != "" {
			s["description"] = d
		}
	}
	switch f.Kind {
	case "array":
		item, err := sc.element(f)
		if err != nil {
			return nil, err
		}
		s["type"] = "array"
		s["items"] = item
		return s, nil
	case "map":
		item, err := sc.element(f)
		if err != nil {
			return nil, err
		}
		s["type"] = "object"
		s["additionalProperties"] = item
		return s, nil
	case "object":
		s["type"] = "object"
		s["additionalProperties"] = false
		props := map[string]any{}
		var required []string
		for _, c := range f.Fields {
			cs, err := sc.schemaOf(c, true)
			if err != nil {
				return nil, err
			}
			props[c.Name] = cs
			if c.Required {
				required = append(required, c.Name)
			}
		}
		s["properties"] = props
		if len(required) > 0 {
			s["required"] = required
		}
		if sc.oneOf[f.Type] {
			s["minProperties"], s["maxProperties"] = 1, 1
		}
		return s, nil
	}
	if u, ok := unitByName(f.Type); ok {
		str := map[string]any{"type": "string", "pattern": u.pattern}
		if u.kind == "quantity" {
			s["anyOf"] = []any{str, map[string]any{"type": "number"}}
		} else {
			for k, v := range str {
				s[k] = v
			}
		}
		return s, nil
	}
	s["type"] = f.Kind
	if len(f.Values) > 0 {
		s["enum"] = f.Values
	}
	if f.Range != "" && (f.Kind == "integer" || f.Kind == "number") {
		b, err := parseRange(f.Range)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.Path, err)
		}
		b.apply(s)
	}
	return s, nil
}

// element is the schema of a list's items or a map's values: f without its
// own description, as the element's type.
func (sc schemaConv) element(f *scenarios.FieldDoc) (map[string]any, error) {
	e := *f
	switch {
	case strings.HasPrefix(f.Type, "[]"):
		e.Type = strings.TrimPrefix(f.Type, "[]")
	case strings.HasPrefix(f.Type, "map[string]"):
		e.Type = strings.TrimPrefix(f.Type, "map[string]")
		e.Fields = nil
	}
	e.Kind = kindOfType(e.Type, f)
	e.Range, e.Values = "", nil
	return sc.schemaOf(&e, false)
}

func kindOfType(t string, f *scenarios.FieldDoc) string {
	switch t {
	case "string", "integer", "number", "boolean":
		return t
	}
	if u, ok := unitByName(t); ok {
		return u.kind
	}
	if strings.HasPrefix(t, "[]") {
		return "array"
	}
	if len(f.Fields) > 0 || t != "" {
		return "object"
	}
	return "string"
}

func unitByName(name string) (unit, bool) {
	for _, u := range units {
		if u.name == name {
			return u, true
		}
	}
	return unit{}, false
}

// schemaDescription is the description an editor shows on hover: the doc
// comment and the facts.
func schemaDescription(f *scenarios.FieldDoc) string {
	parts := []string{f.Description}
	if f.Unit != "" {
		parts = append(parts, "Unit: "+f.Unit+".")
	}
	if f.Default != "" {
		parts = append(parts, "Default: "+f.Default+".")
	}
	if f.Range != "" {
		parts = append(parts, "Range: "+f.Range+".")
	}
	if f.Link != "" {
		parts = append(parts, "See "+f.Link)
	}
	return strings.TrimSpace(strings.Join(parts, " "))
}

// bounds is a numeric range.
type bounds struct {
	min, max         float64
	exclMin, exclMax bool
}

func (b bounds) apply(s map[string]any) {
	if !math.IsInf(b.min, -1) {
		if b.exclMin {
			s["exclusiveMinimum"] = b.min
		} else {
			s["minimum"] = b.min
		}
	}
	if !math.IsInf(b.max, 1) {
		if b.exclMax {
			s["exclusiveMaximum"] = b.max
		} else {
			s["maximum"] = b.max
		}
	}
}

var (
	reInterval = regexp.MustCompile(`^([\[(])\s*(\S+)\s*,\s*(\S+)\s*([\])])$`)
	reBound    = regexp.MustCompile(`^(at least|at most|greater than|above|below|less than) (\S+)$`)
	reWord     = regexp.MustCompile(`^[a-zA-Z][a-zA-Z.]*$`)
)

// parseRange reads a numeric Range fact: an interval ("[1, 100000]",
// "(0, 1)", "[0, inf)") or bounds joined by ", ": "at least 1", "greater
// than 0", "at most 99", "below 1". A bound by another field ("below
// zones") is the validator's and left out of the schema.
func parseRange(text string) (bounds, error) {
	b := bounds{min: math.Inf(-1), max: math.Inf(1)}
	if parts := strings.Split(text, ", "); len(parts) > 1 && !strings.ContainsAny(text, "[(") {
		for _, part := range parts {
			m := reBound.FindStringSubmatch(part)
			if m != nil && reWord.MatchString(m[2]) {
				continue
			}
			pb, err := parseRange(part)
			if err != nil {
				return b, err
			}
			b.min, b.exclMin = max(b.min, pb.min), b.exclMin || pb.exclMin
			b.max, b.exclMax = min(b.max, pb.max), b.exclMax || pb.exclMax
		}
		return b, nil
	}
	num := func(s string) (float64, error) {
		switch s {
		case "inf", "∞":
			return math.Inf(1), nil
		case "-inf", "-∞":
			return math.Inf(-1), nil
		}
		return strconv.ParseFloat(strings.ReplaceAll(s, "_", ""), 64)
	}
	if m := reInterval.FindStringSubmatch(text); m != nil {
		lo, err1 := num(m[2])
		hi, err2 := num(m[3])
		if err1 != nil || err2 != nil {
			return b, fmt.Errorf("range %q: bounds are not numbers", text)
		}
		b.min, b.max, b.exclMin, b.exclMax = lo, hi, m[1] == "(", m[4] == ")"
		return b, nil
	}
	if m := reBound.FindStringSubmatch(text); m != nil {
		x, err := num(m[2])
		if err != nil {
			return b, fmt.Errorf("range %q: %q is not a number", text, m[2])
		}
		switch m[1] {
		case "at least":
			b.min = x
		case "greater than", "above":
			b.min, b.exclMin = x, true
		case "at most":
			b.max = x
		case "below", "less than":
			b.max, b.exclMax = x, true
		}
		return b, nil
	}
	return b, fmt.Errorf("range %q of a number: write an interval such as [1, 100] or (0, 1), or \"at least 1\"", text)
}

// referenceJSON is the tree `headroom explain` embeds.
func referenceJSON(root *scenarios.FieldDoc) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", " ")
	if err := enc.Encode(root); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
