package cluster

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// Change is one field that differs between two versions of an object.
type Change struct {
	// Path is the field, with list items named by their "name" field when
	// every item has one (spec.template.spec.containers[name=app].image),
	// else by index.
	Path string
	// Old and New are the JSON values; "" for a field that is absent.
	Old, New string
}

func (c Change) String() string {
	switch {
	case c.Old == "":
		return fmt.Sprintf("+ %s: %s", c.Path, c.New)
	case c.New == "":
		return fmt.Sprintf("- %s: %s", c.Path, c.Old)
	}
	return fmt.Sprintf("~ %s: %s → %s", c.Path, c.Old, c.New)
}

// ignoredPaths are fields the API server sets on every write; they change
// without the user changing anything.
var ignoredPaths = map[string]bool{
	"metadata.managedFields":     true,
	"metadata.resourceVersion":   true,
	"metadata.generation":        true,
	"metadata.creationTimestamp": true,
	"metadata.uid":               true,
	"metadata.selfLink":          true,
	"status":                     true,
}

// Diff returns the fields that differ between old and new (either may be
// nil), sorted by path, leaving out what the server sets on every write.
func Diff(old, new map[string]any) []Change {
	a, b := map[string]string{}, map[string]string{}
	flatten("", old, a)
	flatten("", new, b)
	var out []Change
	for p, v := range a {
		if w, ok := b[p]; !ok {
			out = append(out, Change{Path: p, Old: v})
		} else if w != v {
			out = append(out, Change{Path: p, Old: v, New: w})
		}
	}
	for p, w := range b {
		if _, ok := a[p]; !ok {
			out = append(out, Change{Path: p, New: w})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// flatten records every leaf of v under prefix. Empty maps and lists are
// leaves ("{}", "[]").
func flatten(prefix string, v any, out map[string]string) {
	if ignoredPaths[prefix] {
		return
	}
	switch x := v.(type) {
	case nil:
		if prefix != "" {
			out[prefix] = "null"
		}
	case map[string]any:
		if len(x) == 0 && prefix != "" {
			out[prefix] = "{}"
			return
		}
		for k, e := range x {
			p := k
			if prefix != "" {
				p = prefix + "." + k
			}
			flatten(p, e, out)
		}
	case []any:
		if len(x) == 0 {
			out[prefix] = "[]"
			return
		}
		named := listNames(x)
		for i, e := range x {
			if named != nil {
				flatten(fmt.Sprintf("%s[name=%s]", prefix, named[i]), e, out)
			} else {
				flatten(fmt.Sprintf("%s[%d]", prefix, i), e, out)
			}
		}
	default:
		b, err := json.Marshal(x)
		if err != nil {
			b = []byte(fmt.Sprint(x))
		}
		out[prefix] = string(b)
	}
}

// listNames returns the "name" of every item when all items are maps with
// distinct string names, else nil.
func listNames(items []any) []string {
	names := make([]string, len(items))
	seen := map[string]bool{}
	for i, e := range items {
		m, ok := e.(map[string]any)
		if !ok {
			return nil
		}
		n, ok := m["name"].(string)
		if !ok || seen[n] || strings.ContainsAny(n, "[]") {
			return nil
		}
		seen[n] = true
		names[i] = n
	}
	return names
}
