package main

import (
	"encoding"
	"encoding/json"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
)

// camelKey is a JSON object key as headroom writes them: camelCase,
// starting lower-case (cpu, nodeType, p95, sloViolationMinutes).
var camelKey = regexp.MustCompile(`^[a-z][a-zA-Z0-9]*$`)

// TestJSONOutputs_KeysAndUnits walks every type a JSON output encodes (the
// schemaDocs) and fails on a key that is not camelCase, a key in
// nanoseconds (…Ns), or a time.Duration encoded as it marshals by default
// (an integer of nanoseconds): durations are scenarios.Seconds, written as
// seconds under a key ending in Seconds. Types from outside the module
// (Kubernetes' API types) keep their own keys; types that marshal
// themselves are checked by their key only.
func TestJSONOutputs_KeysAndUnits(t *testing.T) {
	const module = "github.com/headroom-dev/headroom/"
	duration := reflect.TypeFor[time.Duration]()
	marshaler := reflect.TypeFor[json.Marshaler]()
	textMarshaler := reflect.TypeFor[encoding.TextMarshaler]()
	custom := func(t reflect.Type) bool {
		return t.Implements(marshaler) || reflect.PointerTo(t).Implements(marshaler) ||
			t.Implements(textMarshaler) || reflect.PointerTo(t).Implements(textMarshaler)
	}
	seen := map[reflect.Type]bool{}
	var errs []string
	fail := func(s string) { errs = append(errs, s) }
	var walk func(t reflect.Type, path string)
	walk = func(t reflect.Type, path string) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array || t.Kind() == reflect.Map {
			if t.Kind() == reflect.Map && t.Key().Kind() != reflect.String {
				walk(t.Key(), path+"{key}")
			}
			t = t.Elem()
		}
		if t == duration {
			fail(path + ": a time.Duration writes nanoseconds; use scenarios.Seconds under a …Seconds key")
			return
		}
		if t.Kind() != reflect.Struct || seen[t] || custom(t) || !strings.HasPrefix(t.PkgPath()+"/", module) {
			return
		}
		seen[t] = true
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			tag := f.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, _, _ := strings.Cut(tag, ",")
			if f.Anonymous && name == "" {
				walk(f.Type, path)
				continue
			}
			if name == "" {
				name = f.Name
			}
			at := path + "." + name + " (" + t.String() + "." + f.Name + ")"
			switch {
			case !camelKey.MatchString(name):
				fail(at + ": the key is not camelCase")
			case strings.HasSuffix(name, "Ns"):
				fail(at + ": a key in nanoseconds; write seconds under a …Seconds key")
			}
			walk(f.Type, path+"."+name)
		}
	}
	for _, d := range schemaDocs {
		walk(reflect.TypeOf(d.v), d.file)
	}
	for _, e := range errs {
		t.Error(e)
	}
	if len(seen) < 20 {
		t.Errorf("walked only %d types: the walk is broken", len(seen))
	}
}
