package strictyaml

import (
	"math"
	"reflect"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// yamlPair is one key and value of a mapping, merge keys expanded.
type yamlPair struct{ key, val *yaml.Node }

// yamlPairs collects the pairs of a mapping, finding them by key: by linear
// search while they are few, by a map beyond.
type yamlPairs struct {
	list  []yamlPair
	index map[string]int // scalar key -> position in list, once list is long
}

func (ps *yamlPairs) find(key string) (yamlPair, bool) {
	if ps.index != nil {
		i, ok := ps.index[key]
		if !ok {
			return yamlPair{}, false
		}
		return ps.list[i], true
	}
	for _, p := range ps.list {
		if p.key.Kind == yaml.ScalarNode && p.key.Value == key {
			return p, true
		}
	}
	return yamlPair{}, false
}

func (ps *yamlPairs) add(p yamlPair) {
	const linear = 16
	ps.list = append(ps.list, p)
	switch {
	case ps.index != nil:
	case len(ps.list) > linear:
		ps.index = make(map[string]int, 2*len(ps.list))
		for i, q := range ps.list {
			if q.key.Kind == yaml.ScalarNode {
				if _, dup := ps.index[q.key.Value]; !dup {
					ps.index[q.key.Value] = i
				}
			}
		}
		return
	default:
		return
	}
	if p.key.Kind == yaml.ScalarNode {
		if _, dup := ps.index[p.key.Value]; !dup {
			ps.index[p.key.Value] = len(ps.list) - 1
		}
	}
}

// pairs lists the entries of mapping n in order, expanding merge keys: an
// explicit key overrides a merged one, and an earlier merged mapping
// overrides a later one. Duplicate explicit keys are reported here.
func (d *yamlDecoder) pairs(n *yaml.Node) []yamlPair {
	ps := yamlPairs{list: make([]yamlPair, 0, len(n.Content)/2)}
	hasMerge := false
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.ShortTag() == yamlMergeTag {
			hasMerge = true
			continue
		}
		if k.Kind == yaml.ScalarNode {
			if first, dup := ps.find(k.Value); dup {
				d.push(yamlSeg{key: k.Value})
				d.errorf(k, "duplicate key %q (first at line %d); remove one", k.Value, first.key.Line)
				d.pop()
				continue
			}
		}
		ps.add(yamlPair{key: k, val: val})
	}
	if !hasMerge {
		return ps.list
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode || k.ShortTag() != yamlMergeTag {
			continue
		}
		src := d.enter(val)
		if src == nil {
			continue
		}
		var sources []*yaml.Node
		switch src.Kind {
		case yaml.MappingNode:
			sources = []*yaml.Node{val}
		case yaml.SequenceNode:
			sources = src.Content
		default:
			d.errorf(val, "a merge key (<<) takes a mapping or a sequence of mappings, got %s", describeYAML(src, src.ShortTag()))
		}
		for _, s := range sources {
			if s == val {
				d.mergeInto(&ps, src)
				continue
			}
			m := d.enter(s)
			if m == nil {
				continue
			}
			if m.Kind == yaml.MappingNode {
				d.mergeInto(&ps, m)
			} else {
				d.errorf(s, "a merge key (<<) takes a mapping or a sequence of mappings, got %s", describeYAML(m, m.ShortTag()))
			}
			d.leave(s, m)
		}
		d.leave(val, src)
	}
	return ps.list
}

// mergeInto adds the pairs of mapping m whose keys ps does not have yet.
func (d *yamlDecoder) mergeInto(ps *yamlPairs, m *yaml.Node) {
	for _, p := range d.pairs(m) {
		if p.key.Kind == yaml.ScalarNode {
			if _, ok := ps.find(p.key.Value); ok {
				continue
			}
		}
		ps.add(p)
	}
}

// mapKey returns the text of a mapping key, which must be a non-null scalar.
func (d *yamlDecoder) mapKey(k *yaml.Node) (string, bool) {
	kn := k
	if kn.Kind == yaml.AliasNode && kn.Alias != nil {
		kn = kn.Alias
	}
	if kn.Kind != yaml.ScalarNode {
		d.errorf(k, "a mapping key must be a string, got %s", describeYAML(kn, kn.ShortTag()))
		return "", false
	}
	if kn.ShortTag() == yamlNullTag {
		d.errorf(k, "a mapping key must be a string, got null")
		return "", false
	}
	return kn.Value, true
}

func joinYAMLPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func (d *yamlDecoder) decodeStruct(n *yaml.Node, v reflect.Value, path string, fields *yamlFields) {
	for _, p := range d.pairs(n) {
		if d.stopped {
			return
		}
		key, ok := d.mapKey(p.key)
		if !ok {
			continue
		}
		d.push(yamlSeg{key: key})
		f, ok := fields.byName[key]
		if !ok {
			d.errorf(p.key, "%s", fields.unknown(key))
			d.pop()
			continue
		}
		child := joinYAMLPath(path, key)
		d.register(child, p.key, p.val)
		d.decode(p.val, fieldByIndexAlloc(v, f.index), child)
		d.pop()
	}
}

// fieldByIndexAlloc is v.FieldByIndex, allocating nil embedded pointers.
func fieldByIndexAlloc(v reflect.Value, index []int) reflect.Value {
	for i, x := range index {
		if i > 0 && v.Kind() == reflect.Pointer {
			if v.IsNil() {
				v.Set(reflect.New(v.Type().Elem()))
			}
			v = v.Elem()
		}
		v = v.Field(x)
	}
	return v
}

func (d *yamlDecoder) decodeMap(n *yaml.Node, v reflect.Value, path string) {
	t := v.Type()
	if t.Key().Kind() != reflect.String {
		d.errorf(n, "cannot decode into Go type %s: map keys must be strings", t)
		return
	}
	if v.IsNil() {
		v.Set(reflect.MakeMapWithSize(t, len(n.Content)/2))
	}
	for _, p := range d.pairs(n) {
		if d.stopped {
			return
		}
		key, ok := d.mapKey(p.key)
		if !ok {
			continue
		}
		d.push(yamlSeg{key: key})
		child := joinYAMLPath(path, key)
		d.register(child, p.key, p.val)
		elem := reflect.New(t.Elem()).Elem()
		d.decode(p.val, elem, child)
		v.SetMapIndex(reflect.ValueOf(key).Convert(t.Key()), elem)
		d.pop()
	}
}

// decodeItems decodes the items of sequence n into elem(i), registering
// each item by index and, when it is a mapping with a scalar name, by name.
func (d *yamlDecoder) decodeItems(n *yaml.Node, path string, elem func(int) reflect.Value) {
	for i, item := range n.Content {
		if d.stopped {
			return
		}
		child := d.registerItem(path, i, item)
		d.decode(item, elem(i), child)
		d.pop()
	}
}

// registerItem registers list item i of the list at path, pushes its display
// segment and returns its canonical path. The caller pops the segment.
func (d *yamlDecoder) registerItem(path string, i int, item *yaml.Node) string {
	child := path + "[" + strconv.Itoa(i) + "]"
	d.register(child, nil, item)
	name := yamlItemName(item)
	if name != "" && d.aliased == 0 {
		if _, dup := d.ix.alias[path+"["+name+"]"]; !dup {
			d.ix.alias[path+"["+name+"]"] = child
		}
	}
	d.push(yamlSeg{item: true, index: i, name: name})
	return child
}

// yamlItemName returns the value of the scalar "name" key of a mapping item,
// or "" when it has none or it could not be written unambiguously in a path
// (the rule scenarios uses to name items in its own errors).
func yamlItemName(item *yaml.Node) string {
	if item.Kind == yaml.AliasNode && item.Alias != nil {
		item = item.Alias
	}
	if item.Kind != yaml.MappingNode {
		return ""
	}
	for i := 0; i+1 < len(item.Content); i += 2 {
		k, v := item.Content[i], item.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.Value == "name" && v.Kind == yaml.ScalarNode && v.ShortTag() != yamlNullTag {
			if v.Value == "" || strings.ContainsAny(v.Value, "[].") {
				return ""
			}
			return v.Value
		}
	}
	return ""
}

// generic decodes n into the types encoding/json uses for interface{}
// (map[string]any, []any, string, float64, bool, nil), except that integers
// that fit are int64, as Kubernetes' sigs.k8s.io/json keeps them.
func (d *yamlDecoder) generic(at, n *yaml.Node, tag, path string) (any, bool) {
	switch n.Kind {
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		ok := true
		for _, p := range d.pairs(n) {
			key, kok := d.mapKey(p.key)
			if !kok {
				ok = false
				continue
			}
			d.push(yamlSeg{key: key})
			child := joinYAMLPath(path, key)
			d.register(child, p.key, p.val)
			x, xok := d.genericNode(p.val, child)
			d.pop()
			if !xok {
				ok = false
				continue
			}
			m[key] = x
		}
		return m, ok
	case yaml.SequenceNode:
		s := make([]any, len(n.Content))
		ok := true
		for i, item := range n.Content {
			child := d.registerItem(path, i, item)
			x, xok := d.genericNode(item, child)
			d.pop()
			if !xok {
				ok = false
			}
			s[i] = x
		}
		return s, ok
	}
	switch tag {
	case yamlNullTag:
		return nil, true
	case yamlBoolTag:
		b, ok := parseYAMLBool(n, tag)
		if !ok {
			d.mismatch(at, n, tag, "a boolean (true or false)")
		}
		return b, ok
	case yamlIntTag:
		neg, mag, ok := parseYAMLInt(n, tag)
		if !ok {
			d.mismatch(at, n, tag, "an integer")
			return nil, false
		}
		switch {
		case !neg && mag <= math.MaxInt64:
			return int64(mag), true
		case neg && mag <= 1<<63:
			return -int64(mag), true
		case neg:
			return -float64(mag), true
		}
		return float64(mag), true
	case yamlFloatTag:
		f, ok := parseYAMLFloat(n, tag)
		if !ok {
			d.mismatch(at, n, tag, "a number")
			return nil, false
		}
		if math.IsNaN(f) || math.IsInf(f, 0) {
			d.errorf(at, "expected a finite number, got %s", n.Value)
			return nil, false
		}
		return f, true
	}
	return n.Value, true
}

func (d *yamlDecoder) genericNode(node *yaml.Node, path string) (any, bool) {
	n := d.enter(node)
	if n == nil {
		return nil, false
	}
	defer d.leave(node, n)
	tag := n.ShortTag()
	if !d.checkTag(node, n, tag) {
		return nil, false
	}
	return d.generic(node, n, tag, path)
}
