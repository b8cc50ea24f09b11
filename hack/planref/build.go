package main

import (
	"fmt"
	"reflect"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/headroom-dev/headroom/scenarios"
)

// unit describes a type written as a string with its unit. The spellings
// are those its UnmarshalJSON accepts (scenarios/units.go; resource.Quantity
// in k8s.io/apimachinery/pkg/api/resource/quantity.go, ParseQuantity).
type unit struct {
	name    string
	kind    string // "string", or "quantity" (a string or a number)
	text    string
	example string
	pattern string
}

// units are the plan's unit types. A new type with its own UnmarshalJSON
// must be added here: build refuses one it does not know.
var units = map[reflect.Type]unit{
	reflect.TypeFor[scenarios.Rate](): {
		name: "Rate", kind: "string", example: "1000/min",
		text: "requests per second, written <number>/<unit> with unit s (sec, second), min (m, minute) or h (hr, hour): `1000/min`, `16.7/s`, `50000/h`; the number is not negative",
		// ParseRate: strconv.ParseFloat of the number, then the unit.
		pattern: `^\s*\+?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?\s*/\s*(s|sec|second|m|min|minute|h|hr|hour)\s*$`,
	},
	reflect.TypeFor[scenarios.Duration](): {
		name: "Duration", kind: "string", example: "30s",
		text: "a Go duration (time.ParseDuration): numbers with units ns, us, ms, s, m, h, e.g. `250ms`, `90s`, `1h30m`; no days (`48h`)",
		// time.ParseDuration: [-+]? then (decimal unit)+, or "0".
		pattern: `^[-+]?(0|(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))+)$`,
	},
	reflect.TypeFor[scenarios.TimeOfDay](): {
		name: "TimeOfDay", kind: "string", example: "09:00",
		text: "a UTC time of day, `HH:MM` from `00:00` to `24:00`",
		// ParseTimeOfDay: hours 0-24 (24 only with :00), two-digit minutes.
		pattern: `^(0?[0-9]|1[0-9]|2[0-3]):[0-5][0-9]$|^24:00$`,
	},
	reflect.TypeFor[scenarios.Multiplier](): {
		name: "Multiplier", kind: "quantity", example: "3x",
		text: "a factor of today's traffic: `3x` (canonical), `3` or `300%`; a YAML number is read as is",
		// ParseMultiplier: strconv.ParseFloat of the number, then x or %.
		pattern: `^\s*[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?\s*[xX%]?\s*$`,
	},
	reflect.TypeFor[scenarios.Ratio](): {
		name: "Ratio", kind: "quantity", example: "1%",
		text: "a fraction written as a percentage (`1%`, canonical) or as a fraction (`0.01`)",
		// ParseRatio: strconv.ParseFloat of the number, then an optional %.
		pattern: `^\s*[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?\s*%?\s*$`,
	},
	reflect.TypeFor[scenarios.Percent](): {
		name: "Percent", kind: "quantity", example: "80%",
		text: "a ratio held in percent: `80%` (canonical), `0.8` (a fraction, below 1) or `80` (a bare number of 1 or more is percent)",
		// Percent.UnmarshalJSON: ParseRatio for strings; numbers below 1 are fractions.
		pattern: `^\s*[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?\s*%?\s*$`,
	},
	reflect.TypeFor[resource.Quantity](): {
		name: "Quantity", kind: "quantity", example: "500m",
		text: "a Kubernetes quantity (resource.Quantity): CPU in cores, `500m` is half a core, `2` two cores; memory in bytes with a binary (`Ki`, `Mi`, `Gi`) or decimal (`k`, `M`, `G`) suffix, `512Mi`",
		// resource.ParseQuantity: <signedNumber><suffix>, suffix binarySI,
		// decimalSI or decimalExponent.
		pattern: `^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+|[numkMGTPE]|[KMGTPE]i)?$`,
	},
}

// upstreamLink is the Kubernetes API reference of the HPA spec.
const upstreamLink = "https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/horizontal-pod-autoscaler-v2/"

// overrides are facts about upstream fields that headroom changes: it
// defaults the HPA's scaleTargetRef to the service's workload.
var overrides = map[string]func(*scenarios.FieldDoc){
	"services[].hpa.scaleTargetRef": func(f *scenarios.FieldDoc) {
		f.Required = false
		f.Default = "the service's workload (apps/v1, workloadRef.kind, workloadRef.name)"
	},
	"services[].hpa": func(f *scenarios.FieldDoc) { f.Link = upstreamLink },
	"services[].resources": func(f *scenarios.FieldDoc) {
		f.Link = "https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/pod-v1/#resources"
	},
}

// resourceKeys are the keys documented under a corev1.ResourceList.
var resourceKeys = []struct{ name, doc string }{
	{"cpu", "CPU in cores: `500m` is half a core."},
	{"memory", "Memory in bytes: `512Mi`, `1Gi`."},
}

type builder struct {
	docs  docs
	depth int
	// oneOf holds the object types of which exactly one field is set (their
	// doc comment says "exactly one field is set").
	oneOf map[string]bool
}

// build returns the field tree of scenarios.Plan and the object types of
// which exactly one field is set.
func build(d docs) (*scenarios.FieldDoc, map[string]bool, error) {
	b := &builder{docs: d, oneOf: map[string]bool{}}
	t := reflect.TypeFor[scenarios.Plan]()
	root := &scenarios.FieldDoc{Name: scenarios.Kind, Type: t.Name(), Kind: "object"}
	root.Description = parseComment(d.typeDoc(t)).text
	if err := b.fields(root, t, ""); err != nil {
		return nil, nil, err
	}
	return root, b.oneOf, nil
}

func (d docs) typeDoc(t reflect.Type) string {
	if td := d[t.PkgPath()+"."+t.Name()]; td != nil {
		return td.doc
	}
	return ""
}

func (d docs) fieldDoc(t reflect.Type, name string) (string, bool) {
	td := d[t.PkgPath()+"."+t.Name()]
	if td == nil {
		return "", false
	}
	s, ok := td.fields[name]
	return s, ok
}

// fields adds the fields of struct type t to f; prefix is f's path.
func (b *builder) fields(f *scenarios.FieldDoc, t reflect.Type, prefix string) error {
	if b.depth++; b.depth > 20 {
		return fmt.Errorf("%s: types nest more than 20 deep", prefix)
	}
	defer func() { b.depth-- }()
	if _, ok := b.docs[t.PkgPath()+"."+t.Name()]; !ok {
		return fmt.Errorf("%s: no doc comments read for type %s.%s; add its package to docPackages", prefix, t.PkgPath(), t.Name())
	}
	upstream := !strings.HasPrefix(t.PkgPath(), "github.com/headroom-dev/")
	for i := range t.NumField() {
		sf := t.Field(i)
		if !sf.IsExported() {
			continue
		}
		tag := sf.Tag.Get("json")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if sf.Anonymous || name == "" {
			return fmt.Errorf("%s: field %s has no json name; planref documents named fields only", prefix, sf.Name)
		}
		path := name
		if prefix != "" {
			path = prefix + "." + name
		}
		raw, _ := b.docs.fieldDoc(t, sf.Name)
		c := parseComment(raw)
		child := &scenarios.FieldDoc{
			Name: name, Path: path, Description: c.text,
			Required: c.required, Default: c.def, Range: c.rng, Example: c.example, Values: c.values,
		}
		if upstream && !c.optional && !strings.Contains(opts, "omitempty") {
			child.Required = true
		}
		if err := b.typ(child, sf.Type); err != nil {
			return err
		}
		if child.Description == "" {
			child.Description = parseComment(b.docs.typeDoc(deref(sf.Type))).text
		}
		if fn := overrides[path]; fn != nil {
			fn(child)
		}
		f.Fields = append(f.Fields, child)
	}
	return nil
}

func deref(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

// typ fills f's Type, Kind, Unit and Fields from t.
func (b *builder) typ(f *scenarios.FieldDoc, t reflect.Type) error {
	t = deref(t)
	if u, ok := units[t]; ok {
		f.Type, f.Kind, f.Unit = u.name, u.kind, u.text
		if f.Example == "" {
			f.Example = u.example
		}
		return nil
	}
	if t.Implements(reflect.TypeFor[interface{ UnmarshalJSON([]byte) error }]()) ||
		reflect.PointerTo(t).Implements(reflect.TypeFor[interface{ UnmarshalJSON([]byte) error }]()) {
		return fmt.Errorf("%s: type %s decodes itself (UnmarshalJSON); describe its spellings in hack/planref's units table", f.Path, t)
	}
	switch t.Kind() {
	case reflect.Struct:
		f.Type, f.Kind = t.Name(), "object"
		if strings.Contains(parseComment(b.docs.typeDoc(t)).text, "exactly one field is set") {
			b.oneOf[t.Name()] = true
		}
		return b.fields(f, t, f.Path)
	case reflect.Slice:
		e := deref(t.Elem())
		sub := &scenarios.FieldDoc{Path: f.Path + "[]"}
		if err := b.typ(sub, e); err != nil {
			return err
		}
		f.Type, f.Kind, f.Fields = "[]"+sub.Type, "array", sub.Fields
		if sub.Unit != "" {
			f.Unit = sub.Unit
		}
		return nil
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			return fmt.Errorf("%s: map with non-string keys", f.Path)
		}
		sub := &scenarios.FieldDoc{Path: f.Path}
		if err := b.typ(sub, t.Elem()); err != nil {
			return err
		}
		f.Type, f.Kind, f.Unit = "map[string]"+sub.Type, "map", sub.Unit
		if t == reflect.TypeFor[corev1.ResourceList]() {
			for _, k := range resourceKeys {
				f.Fields = append(f.Fields, &scenarios.FieldDoc{
					Name: k.name, Path: f.Path + "." + k.name, Type: sub.Type, Kind: sub.Kind,
					Description: k.doc, Unit: sub.Unit, Example: map[string]string{"cpu": "500m", "memory": "512Mi"}[k.name],
				})
			}
		}
		return nil
	case reflect.String:
		f.Type, f.Kind = "string", "string"
	case reflect.Bool:
		f.Type, f.Kind = "boolean", "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		f.Type, f.Kind = "integer", "integer"
	case reflect.Float32, reflect.Float64:
		f.Type, f.Kind = "number", "number"
	default:
		return fmt.Errorf("%s: planref cannot document a %s", f.Path, t.Kind())
	}
	if f.Example == "" {
		switch {
		case len(f.Values) > 0:
			f.Example = f.Values[0]
		case f.Default != "" && !strings.Contains(f.Default, " "):
			f.Example = f.Default
		case f.Kind == "boolean":
			f.Example = "true"
		}
	}
	return nil
}
