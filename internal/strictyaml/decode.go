package scenarios

import (
	"bytes"
	"encoding"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/api/resource"
)

// Limits of DecodeYAML. They bound the work an input can cause, whatever it
// holds: alias expansion ("billion laughs") counts against maxDecodeNodes.
const (
	// maxDecodeErrors is the number of errors reported before decoding stops.
	maxDecodeErrors = 20
	// maxDecodeNodes bounds the YAML nodes visited, aliases expanded.
	maxDecodeNodes = 1_000_000
	// maxDecodeDepth bounds nesting, aliases expanded.
	maxDecodeDepth = 1000
)

// DecodeYAML decodes one YAML document strictly into v, a non-nil pointer
// (normally to a struct). file is used only in messages.
//
// The document is read the way Kubernetes reads a manifest: keys are matched
// against `json` struct tags, case-sensitively, and a type implementing
// json.Unmarshaler (resource.Quantity, intstr.IntOrString, Rate, Duration)
// receives the node re-encoded as JSON, so YAML strings stay JSON strings and
// YAML numbers stay numbers. Unlike sigs.k8s.io/yaml, every problem carries
// its position and field path:
//
//   - a syntax error is returned alone, as a *FieldError;
//   - everything else (unknown or duplicate fields, wrong types, numbers out
//     of range, values a type's UnmarshalJSON rejects, more than one
//     document, an empty file) is returned as FieldErrors in document order,
//     at most 20 of them (and a last one saying there were more).
//
// A null value leaves the field as it was, except that pointers, slices,
// maps and interfaces are set to nil, as encoding/json does. Anchors,
// aliases and merge keys ("<<") are supported.
//
// The returned Index maps field paths to positions so that later
// validation errors can be located; it is returned whenever the document
// parsed (also with FieldErrors), and is nil after a syntax error.
func DecodeYAML(file string, data []byte, v any) (*Index, error) {
	rv := reflect.ValueOf(v)
	if !rv.IsValid() || rv.Kind() != reflect.Pointer || rv.IsNil() {
		return nil, fmt.Errorf("scenarios: DecodeYAML needs a non-nil pointer, got %T", v)
	}
	docs, err := parseYAMLDocuments(data)
	if err != nil {
		return nil, syntaxError(file, data, err)
	}
	if len(docs) == 0 {
		return nil, FieldErrors{{File: file, Msg: "file is empty; expected a YAML mapping"}}
	}
	var content []*yaml.Node
	for _, doc := range docs {
		if len(doc.Content) > 0 && !isEmptyYAMLDocument(doc) {
			content = append(content, doc.Content[0])
		}
	}
	if len(content) == 0 {
		n := docs[0]
		if len(n.Content) > 0 {
			n = n.Content[0]
		}
		return nil, FieldErrors{{File: file, Line: n.Line, Column: n.Column, Msg: "document is empty; expected a YAML mapping"}}
	}
	if len(content) > 1 {
		n := content[1]
		return nil, FieldErrors{{File: file, Line: n.Line, Column: n.Column,
			Msg: fmt.Sprintf("a second YAML document starts here (the first is at line %d); a plan file holds one document", content[0].Line)}}
	}
	root := content[0]
	d := &yamlDecoder{
		file: file,
		ix:   &Index{file: file, pos: make(map[string]yamlPos), alias: make(map[string]string)},
	}
	d.ix.register("", nil, root)
	d.decode(root, rv.Elem(), "")
	if len(d.errs) == 0 {
		return d.ix, nil
	}
	capped := len(d.errs) >= maxDecodeErrors
	slices.SortStableFunc(d.errs, func(a, b *FieldError) int {
		if a.Line != b.Line {
			return a.Line - b.Line
		}
		if a.Column != b.Column {
			return a.Column - b.Column
		}
		return strings.Compare(a.Msg, b.Msg)
	})
	// A node reached through several aliases or merge keys fails the same
	// way each time; say it once.
	d.errs = slices.CompactFunc(d.errs, func(a, b *FieldError) bool {
		return a.Line == b.Line && a.Column == b.Column && a.Msg == b.Msg
	})
	if capped {
		d.errs = append(d.errs, &FieldError{File: file,
			Msg: fmt.Sprintf("too many errors; stopped after the first %d", maxDecodeErrors)})
	}
	return d.ix, d.errs
}

// parseYAMLDocuments parses every document in data. The parser's own panics
// (never expected) become errors: no input may crash the caller.
func parseYAMLDocuments(data []byte) (docs []*yaml.Node, err error) {
	defer func() {
		if r := recover(); r != nil {
			docs, err = nil, fmt.Errorf("yaml: parser failed: %v", r)
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var n yaml.Node
		if err := dec.Decode(&n); err != nil {
			if errors.Is(err, io.EOF) {
				return docs, nil
			}
			return nil, err
		}
		docs = append(docs, &n)
	}
}

// isEmptyYAMLDocument reports whether doc holds nothing but an implicit null,
// as a stray "---" at the end of a file produces.
func isEmptyYAMLDocument(doc *yaml.Node) bool {
	n := doc.Content[0]
	return n.Kind == yaml.ScalarNode && n.Value == "" && n.ShortTag() == yamlNullTag && n.Anchor == "" && n.Style&yaml.TaggedStyle == 0
}

// Short tags of the YAML 1.2 core schema, as yaml.Node.ShortTag reports them.
const (
	yamlNullTag      = "!!null"
	yamlBoolTag      = "!!bool"
	yamlStrTag       = "!!str"
	yamlIntTag       = "!!int"
	yamlFloatTag     = "!!float"
	yamlTimestampTag = "!!timestamp"
	yamlBinaryTag    = "!!binary"
	yamlMapTag       = "!!map"
	yamlSeqTag       = "!!seq"
	yamlMergeTag     = "!!merge"
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

// yamlDecoder walks a yaml.Node tree against a Go value.
type yamlDecoder struct {
	file    string
	ix      *Index
	errs    FieldErrors
	stopped bool // too many errors or nodes: decode nothing more

	nodes int // nodes visited, aliases expanded
	depth int // current nesting, aliases expanded
	// active holds the anchored nodes being decoded, to catch an alias
	// that refers to a node containing it.
	active []*yaml.Node
	// aliased counts the aliases being expanded. Positions inside an
	// expansion are not indexed (paths there resolve to the alias), which
	// keeps the Index as small as the text however often an anchor is
	// used.
	aliased int
	// segs is the display path of the value being decoded, which names
	// list items by their name where they have one.
	segs []yamlSeg
}

// yamlSeg is one segment of a display path: a key, or a list index with
// the item's name when it has one.
type yamlSeg struct {
	key   string
	index int
	name  string
	item  bool
}

func (d *yamlDecoder) push(s yamlSeg) { d.segs = append(d.segs, s) }
func (d *yamlDecoder) pop()           { d.segs = d.segs[:len(d.segs)-1] }

// displayPath renders d.segs.
func (d *yamlDecoder) displayPath() string {
	var b strings.Builder
	for _, s := range d.segs {
		switch {
		case s.item && s.name != "":
			b.WriteString("[" + s.name + "]")
		case s.item:
			b.WriteString("[" + strconv.Itoa(s.index) + "]")
		default:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(s.key)
		}
	}
	return b.String()
}

// errorf records an error at n for the value being decoded.
func (d *yamlDecoder) errorf(n *yaml.Node, format string, args ...any) {
	if d.stopped {
		return
	}
	d.errs = append(d.errs, &FieldError{
		File:   d.file,
		Line:   n.Line,
		Column: n.Column,
		Path:   d.displayPath(),
		Msg:    fmt.Sprintf(format, args...),
	})
	if len(d.errs) >= maxDecodeErrors {
		d.stopped = true
	}
}

// enter accounts for visiting n and resolves it if it is an alias. It
// returns the node to decode, or nil if decoding must not go on (an error
// has been recorded). leave(n, resolved) must follow when enter returned
// non-nil.
func (d *yamlDecoder) enter(n *yaml.Node) *yaml.Node {
	if d.stopped {
		return nil
	}
	d.nodes++
	if d.nodes > maxDecodeNodes {
		d.errorf(n, "document too large: more than %d values after expanding aliases", maxDecodeNodes)
		d.stopped = true
		return nil
	}
	if d.depth >= maxDecodeDepth {
		d.errorf(n, "nested more than %d levels deep (aliases expanded)", maxDecodeDepth)
		d.stopped = true
		return nil
	}
	if n.Kind == yaml.AliasNode {
		if n.Alias == nil {
			d.errorf(n, "alias *%s refers to no anchor", n.Value)
			return nil
		}
		if slices.Contains(d.active, n.Alias) {
			d.errorf(n, "alias *%s refers to a value that contains it", n.Value)
			return nil
		}
		n = n.Alias
		d.aliased++
	}
	d.depth++
	if n.Anchor != "" {
		d.active = append(d.active, n)
	}
	return n
}

func (d *yamlDecoder) leave(node, resolved *yaml.Node) {
	d.depth--
	if node.Kind == yaml.AliasNode {
		d.aliased--
	}
	if resolved.Anchor != "" {
		d.active = d.active[:len(d.active)-1]
	}
}

// register indexes the value val (under key, if any) at path.
func (d *yamlDecoder) register(path string, key, val *yaml.Node) {
	if d.aliased == 0 {
		d.ix.register(path, key, val)
	}
}

// decode decodes node into v (settable); path is v's canonical path.
func (d *yamlDecoder) decode(node *yaml.Node, v reflect.Value, path string) {
	n := d.enter(node)
	if n == nil {
		return
	}
	defer d.leave(node, n)
	tag := n.ShortTag()
	if !d.checkTag(node, n, tag) {
		return
	}
	if tag == yamlNullTag {
		switch v.Kind() {
		case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Interface:
			v.SetZero()
		}
		return
	}
	d.decodeValue(node, n, tag, v, path)
}

// decodeValue decodes the non-null n, resolved from the node at (an alias or
// n itself), into v, allocating pointers on the way.
func (d *yamlDecoder) decodeValue(at, n *yaml.Node, tag string, v reflect.Value, path string) {
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		v = v.Elem()
	}
	info := yamlTypeInfoOf(v.Type())
	switch {
	case info.jsonUnmarshaler:
		d.decodeUnmarshaler(at, n, v)
		return
	case info.textUnmarshaler:
		if tag != yamlStrTag && tag != yamlTimestampTag {
			d.mismatch(at, n, tag, "a string")
			return
		}
		if err := v.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(n.Value)); err != nil {
			d.errorf(at, "invalid value %s: %s", describeYAML(n, tag), err)
		}
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			d.mismatch(at, n, tag, "a mapping")
			return
		}
		d.decodeStruct(n, v, path, info.fields)
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			d.mismatch(at, n, tag, "a mapping")
			return
		}
		d.decodeMap(n, v, path)
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 && n.Kind == yaml.ScalarNode && (tag == yamlStrTag || tag == yamlBinaryTag) {
			// []byte is base64 text, as in JSON.
			b, err := base64.StdEncoding.DecodeString(n.Value)
			if err != nil {
				d.errorf(at, "expected base64 data, got %s", describeYAML(n, tag))
				return
			}
			v.SetBytes(b)
			return
		}
		if n.Kind != yaml.SequenceNode {
			d.mismatch(at, n, tag, "a sequence")
			return
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		d.decodeItems(n, path, func(i int) reflect.Value { return s.Index(i) })
		v.Set(s)
	case reflect.Array:
		if n.Kind != yaml.SequenceNode {
			d.mismatch(at, n, tag, "a sequence")
			return
		}
		if len(n.Content) > v.Len() {
			d.errorf(at, "expected at most %d items, got %d", v.Len(), len(n.Content))
			return
		}
		d.decodeItems(n, path, func(i int) reflect.Value { return v.Index(i) })
		for i := len(n.Content); i < v.Len(); i++ {
			v.Index(i).SetZero()
		}
	case reflect.Interface:
		if v.NumMethod() != 0 {
			d.errorf(at, "cannot decode into Go type %s", v.Type())
			return
		}
		if x, ok := d.generic(at, n, tag, path); ok {
			if x == nil {
				v.SetZero()
			} else {
				v.Set(reflect.ValueOf(x))
			}
		}
	case reflect.String:
		if tag != yamlStrTag && tag != yamlTimestampTag {
			d.mismatch(at, n, tag, "a string")
			return
		}
		v.SetString(n.Value)
	case reflect.Bool:
		b, ok := parseYAMLBool(n, tag)
		if !ok {
			d.mismatch(at, n, tag, "a boolean (true or false)")
			return
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		neg, mag, ok := parseYAMLInt(n, tag)
		if !ok {
			d.mismatch(at, n, tag, "an integer")
			return
		}
		limit := uint64(1) << (v.Type().Bits() - 1) // magnitude of the minimum
		if (!neg && mag >= limit) || (neg && mag > limit) {
			d.errorf(at, "%s is out of range (%d to %d)", n.Value, -int64(limit-1)-1, int64(limit-1))
			return
		}
		x := int64(mag)
		if neg {
			x = -x // for mag == 1<<63 the wrap-around gives the minimum
		}
		v.SetInt(x)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		neg, mag, ok := parseYAMLInt(n, tag)
		if !ok {
			d.mismatch(at, n, tag, "a non-negative integer")
			return
		}
		bits := v.Type().Bits()
		if (neg && mag != 0) || (bits < 64 && mag >= uint64(1)<<bits) {
			d.errorf(at, "%s is out of range (0 to %d)", n.Value, uint64(math.MaxUint64)>>(64-bits))
			return
		}
		v.SetUint(mag)
	case reflect.Float32, reflect.Float64:
		f, ok := parseYAMLFloat(n, tag)
		if !ok {
			d.mismatch(at, n, tag, "a number")
			return
		}
		if math.IsNaN(f) || math.IsInf(f, 0) {
			d.errorf(at, "expected a finite number, got %s", n.Value)
			return
		}
		if v.OverflowFloat(f) {
			d.errorf(at, "%s is out of range (at most ±%g)", n.Value, math.MaxFloat32)
			return
		}
		v.SetFloat(f)
	default:
		d.errorf(at, "cannot decode into Go type %s", v.Type())
	}
}

// checkTag rejects tags outside the core schema (application tags such as
// "!Ref", "!!set", "!!omap"): their meaning would be silently lost.
func (d *yamlDecoder) checkTag(at, n *yaml.Node, tag string) bool {
	switch n.Kind {
	case yaml.ScalarNode:
		switch tag {
		case yamlNullTag, yamlBoolTag, yamlStrTag, yamlIntTag, yamlFloatTag, yamlTimestampTag, yamlBinaryTag:
			return true
		case yamlMergeTag:
			d.errorf(at, `"<<" (merge) is only allowed as a mapping key`)
			return false
		}
	case yaml.MappingNode:
		if tag == yamlMapTag {
			return true
		}
	case yaml.SequenceNode:
		if tag == yamlSeqTag {
			return true
		}
	default:
		d.errorf(at, "unexpected YAML node")
		return false
	}
	d.errorf(at, "unsupported YAML tag %s; remove it", tag)
	return false
}

// mismatch reports a value of the wrong kind, with a hint when a quoted
// string would have been right without its quotes.
func (d *yamlDecoder) mismatch(at, n *yaml.Node, tag, want string) {
	hint := ""
	if tag == yamlStrTag && n.Kind == yaml.ScalarNode && n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 {
		var quotedOK bool
		switch want {
		case "an integer", "a non-negative integer":
			_, _, quotedOK = parseYAMLInt(&yaml.Node{Kind: yaml.ScalarNode, Value: n.Value}, yamlIntTag)
		case "a number":
			_, quotedOK = parseYAMLFloat(&yaml.Node{Kind: yaml.ScalarNode, Value: n.Value}, yamlFloatTag)
		case "a boolean (true or false)":
			quotedOK = n.Value == "true" || n.Value == "false"
		}
		if quotedOK {
			hint = "; remove the quotes"
		}
	}
	if want == "a string" && (tag == yamlIntTag || tag == yamlFloatTag || tag == yamlBoolTag) {
		hint = fmt.Sprintf("; quote it (%q) if it is meant as text", n.Value)
	}
	d.errorf(at, "expected %s, got %s%s", want, describeYAML(n, tag), hint)
}

// describeYAML names a node's value for messages: strings quoted, other
// scalars as written, collections by kind.
func describeYAML(n *yaml.Node, tag string) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a sequence"
	}
	s := n.Value
	if r := []rune(s); len(r) > 40 {
		s = string(r[:40]) + "…"
	}
	switch tag {
	case yamlNullTag:
		return "null"
	case yamlStrTag, yamlTimestampTag, yamlBinaryTag:
		return strconv.Quote(s)
	}
	return s
}

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
// (the same rule validation uses to name items).
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

// decodeUnmarshaler re-encodes n as JSON and hands it to v's UnmarshalJSON.
func (d *yamlDecoder) decodeUnmarshaler(at, n *yaml.Node, v reflect.Value) {
	buf, ok := d.appendJSON(nil, at, n)
	if !ok {
		return // the problem has been reported
	}
	err := v.Addr().Interface().(json.Unmarshaler).UnmarshalJSON(buf)
	if err == nil {
		return
	}
	if v.Type() == reflect.TypeFor[resource.Quantity]() && n.Kind == yaml.ScalarNode &&
		(errors.Is(err, resource.ErrFormatWrong) || errors.Is(err, resource.ErrSuffix) || errors.Is(err, resource.ErrNumeric)) {
		d.errorf(at, "invalid quantity %s; write a number with an optional suffix, such as 500m, 2, 1.5 or 512Mi", describeYAML(n, n.ShortTag()))
		return
	}
	msg := strings.TrimPrefix(err.Error(), "json: ")
	if n.Kind == yaml.ScalarNode {
		d.errorf(at, "invalid value %s: %s", describeYAML(n, n.ShortTag()), msg)
	} else {
		d.errorf(at, "invalid value: %s", msg)
	}
}

// appendJSON appends the JSON encoding of n (resolved from the node at) to
// buf. Problems are reported at the node that has them; the result is false
// if there were any.
func (d *yamlDecoder) appendJSON(buf []byte, at, n *yaml.Node) ([]byte, bool) {
	tag := n.ShortTag()
	if !d.checkTag(at, n, tag) {
		return buf, false
	}
	switch n.Kind {
	case yaml.MappingNode:
		buf = append(buf, '{')
		ok := true
		for i, p := range d.pairs(n) {
			key, kok := d.mapKey(p.key)
			if !kok {
				ok = false
				continue
			}
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = appendJSONString(buf, key)
			buf = append(buf, ':')
			var vok bool
			buf, vok = d.appendJSONNode(buf, p.val)
			ok = ok && vok
		}
		return append(buf, '}'), ok
	case yaml.SequenceNode:
		buf = append(buf, '[')
		ok := true
		for i, item := range n.Content {
			if i > 0 {
				buf = append(buf, ',')
			}
			var iok bool
			buf, iok = d.appendJSONNode(buf, item)
			ok = ok && iok
		}
		return append(buf, ']'), ok
	}
	switch tag {
	case yamlNullTag:
		return append(buf, "null"...), true
	case yamlBoolTag:
		b, ok := parseYAMLBool(n, tag)
		if !ok {
			d.mismatch(at, n, tag, "a boolean (true or false)")
		}
		return strconv.AppendBool(buf, b), ok
	case yamlIntTag:
		neg, mag, ok := parseYAMLInt(n, tag)
		if !ok {
			d.mismatch(at, n, tag, "an integer")
			return buf, false
		}
		if neg && mag != 0 {
			buf = append(buf, '-')
		}
		return strconv.AppendUint(buf, mag, 10), true
	case yamlFloatTag:
		f, ok := parseYAMLFloat(n, tag)
		if !ok {
			d.mismatch(at, n, tag, "a number")
			return buf, false
		}
		if math.IsNaN(f) || math.IsInf(f, 0) {
			d.errorf(at, "expected a finite number, got %s", n.Value)
			return buf, false
		}
		if jsonNumberRE.MatchString(n.Value) {
			// Keep the digits as written: a Quantity keeps more
			// precision than a float64.
			return append(buf, n.Value...), true
		}
		return strconv.AppendFloat(buf, f, 'g', -1, 64), true
	}
	return appendJSONString(buf, n.Value), true
}

func (d *yamlDecoder) appendJSONNode(buf []byte, node *yaml.Node) ([]byte, bool) {
	n := d.enter(node)
	if n == nil {
		return buf, false
	}
	defer d.leave(node, n)
	return d.appendJSON(buf, node, n)
}

var jsonNumberRE = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?$`)

// appendJSONString appends s as a JSON string. Bytes that are not valid
// UTF-8 (the YAML parser lets none through) would be replaced by
// json.Unmarshal.
func appendJSONString(buf []byte, s string) []byte {
	const hex = "0123456789abcdef"
	buf = append(buf, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			buf = append(buf, '\\', c)
		case c < 0x20:
			buf = append(buf, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			buf = append(buf, c)
		}
	}
	return append(buf, '"')
}

// parseYAMLBool reads a !!bool scalar (true, True, TRUE, false, False,
// FALSE: YAML 1.2, so "yes" and "on" are strings).
func parseYAMLBool(n *yaml.Node, tag string) (bool, bool) {
	if n.Kind != yaml.ScalarNode || tag != yamlBoolTag {
		return false, false
	}
	switch n.Value {
	case "true", "True", "TRUE":
		return true, true
	case "false", "False", "FALSE":
		return false, true
	}
	return false, false
}

// parseYAMLInt reads a !!int scalar the way the YAML parser resolves it:
// an optional sign, decimal, 0x, 0o, 0b or legacy 0-prefixed octal digits,
// underscores ignored. It returns the sign and magnitude.
func parseYAMLInt(n *yaml.Node, tag string) (neg bool, mag uint64, ok bool) {
	if n.Kind != yaml.ScalarNode || tag != yamlIntTag {
		return false, 0, false
	}
	s := strings.ReplaceAll(n.Value, "_", "")
	switch {
	case strings.HasPrefix(s, "-"):
		neg, s = true, s[1:]
	case strings.HasPrefix(s, "+"):
		s = s[1:]
	}
	if s == "" || s[0] == '-' || s[0] == '+' {
		return false, 0, false
	}
	mag, err := strconv.ParseUint(s, 0, 64)
	if err != nil {
		return false, 0, false
	}
	return neg, mag, true
}

// parseYAMLFloat reads a !!float or !!int scalar as a float64; NaN and the
// infinities (.nan, .inf, -.inf) are returned for the caller to reject.
func parseYAMLFloat(n *yaml.Node, tag string) (float64, bool) {
	if n.Kind != yaml.ScalarNode {
		return 0, false
	}
	switch tag {
	case yamlIntTag:
		neg, mag, ok := parseYAMLInt(n, tag)
		if !ok {
			return 0, false
		}
		f := float64(mag)
		if neg {
			f = -f
		}
		return f, true
	case yamlFloatTag:
		switch n.Value {
		case ".nan", ".NaN", ".NAN":
			return math.NaN(), true
		case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF":
			return math.Inf(1), true
		case "-.inf", "-.Inf", "-.INF":
			return math.Inf(-1), true
		}
		s := strings.ReplaceAll(n.Value, "_", "")
		if !yamlFloatRE.MatchString(s) {
			return 0, false // rejects Go-only forms such as "0x1p-2" or "Inf"
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return 0, false
		}
		return f, true
	}
	return 0, false
}

var yamlFloatRE = regexp.MustCompile(`^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`)

// yamlTypeInfo is what decoding needs to know about a Go type, computed once.
type yamlTypeInfo struct {
	jsonUnmarshaler bool
	textUnmarshaler bool
	fields          *yamlFields // for structs
}

var yamlTypeCache sync.Map // reflect.Type -> *yamlTypeInfo

var (
	jsonUnmarshalerType = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
)

func yamlTypeInfoOf(t reflect.Type) *yamlTypeInfo {
	if info, ok := yamlTypeCache.Load(t); ok {
		return info.(*yamlTypeInfo)
	}
	pt := reflect.PointerTo(t)
	info := &yamlTypeInfo{
		jsonUnmarshaler: pt.Implements(jsonUnmarshalerType),
		textUnmarshaler: pt.Implements(textUnmarshalerType),
	}
	if t.Kind() == reflect.Struct && !info.jsonUnmarshaler && !info.textUnmarshaler {
		info.fields = yamlStructFields(t)
	}
	actual, _ := yamlTypeCache.LoadOrStore(t, info)
	return actual.(*yamlTypeInfo)
}

// yamlFields are the keys a struct accepts.
type yamlFields struct {
	list   []yamlField // in declaration order
	byName map[string]*yamlField
}

type yamlField struct {
	name   string
	index  []int
	tagged bool
}

// yamlStructFields lists the fields of struct type t under their JSON names
// with encoding/json's rules: unexported and `json:"-"` fields are skipped,
// anonymous structs are flattened (and so are fields tagged
// `json:",inline"`, the Kubernetes convention), and when names collide the
// shallowest field wins, or the tagged one among equally shallow fields, or
// none.
func yamlStructFields(t reflect.Type) *yamlFields {
	type level struct {
		typ   reflect.Type
		index []int
	}
	var all []yamlField
	visited := map[reflect.Type]bool{}
	next := []level{{typ: t}}
	for len(next) > 0 {
		current := next
		next = nil
		for _, l := range current {
			if visited[l.typ] {
				continue
			}
			visited[l.typ] = true
			for i := 0; i < l.typ.NumField(); i++ {
				sf := l.typ.Field(i)
				tag := sf.Tag.Get("json")
				if tag == "-" {
					continue
				}
				name, opts, _ := strings.Cut(tag, ",")
				ft := sf.Type
				if ft.Kind() == reflect.Pointer && ft.Name() == "" {
					ft = ft.Elem()
				}
				inline := sf.Anonymous || slices.Contains(strings.Split(opts, ","), "inline")
				if sf.Anonymous && !sf.IsExported() && (ft.Kind() != reflect.Struct || sf.Type.Kind() == reflect.Pointer) {
					continue // encoding/json cannot set these either
				}
				if !sf.Anonymous && !sf.IsExported() {
					continue
				}
				index := append(slices.Clone(l.index), i)
				if name == "" && inline && ft.Kind() == reflect.Struct && !decodesItself(ft) {
					next = append(next, level{typ: ft, index: index})
					continue
				}
				if !sf.IsExported() {
					continue
				}
				tagged := name != ""
				if !tagged {
					name = sf.Name
				}
				all = append(all, yamlField{name: name, index: index, tagged: tagged})
			}
		}
	}
	fs := &yamlFields{byName: make(map[string]*yamlField, len(all))}
	for _, f := range all {
		dominant, ok := dominantYAMLField(all, f.name)
		if !ok || !slices.Equal(dominant.index, f.index) {
			continue
		}
		fs.list = append(fs.list, f)
	}
	slices.SortFunc(fs.list, func(a, b yamlField) int { return slices.Compare(a.index, b.index) })
	for i := range fs.list {
		fs.byName[fs.list[i].name] = &fs.list[i]
	}
	return fs
}

// decodesItself reports whether type t has its own UnmarshalJSON or
// UnmarshalText; an embedded struct that does is not flattened.
func decodesItself(t reflect.Type) bool {
	pt := reflect.PointerTo(t)
	return pt.Implements(jsonUnmarshalerType) || pt.Implements(textUnmarshalerType)
}

func dominantYAMLField(all []yamlField, name string) (yamlField, bool) {
	var best []yamlField
	for _, f := range all {
		if f.name != name {
			continue
		}
		switch {
		case len(best) == 0 || len(f.index) < len(best[0].index):
			best = append(best[:0], f)
		case len(f.index) == len(best[0].index):
			best = append(best, f)
		}
	}
	if len(best) == 1 {
		return best[0], true
	}
	var tagged []yamlField
	for _, f := range best {
		if f.tagged {
			tagged = append(tagged, f)
		}
	}
	if len(tagged) == 1 {
		return tagged[0], true
	}
	return yamlField{}, false
}

// unknown describes an unknown key: the closest field name when one is
// close, else the allowed names when there are few.
func (fs *yamlFields) unknown(key string) string {
	msg := fmt.Sprintf("unknown field %q", key)
	best, bestDist := "", math.MaxInt
	lk := strings.ToLower(key)
	for _, f := range fs.list {
		if dist := editDistanceYAML(lk, strings.ToLower(f.name)); dist < bestDist {
			best, bestDist = f.name, dist
		}
	}
	limit := 1
	switch n := utf8.RuneCountInString(key); {
	case n > 10:
		limit = 3
	case n > 5:
		limit = 2
	}
	if best != "" && bestDist <= limit {
		return msg + fmt.Sprintf("; did you mean %q?", best)
	}
	switch {
	case len(fs.list) == 0:
		return msg + "; this mapping takes no fields"
	case len(fs.list) <= 12:
		names := make([]string, len(fs.list))
		for i, f := range fs.list {
			names[i] = f.name
		}
		return msg + "; allowed fields are " + strings.Join(names, ", ")
	}
	return msg
}

// editDistanceYAML is the optimal string alignment distance between a and
// b: insertions, deletions, substitutions and transpositions of adjacent
// runes each cost 1, so "tpye" is 1 from "type".
func editDistanceYAML(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if len(ra) > 64 || len(rb) > 64 {
		return math.MaxInt // not worth suggesting
	}
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}

// syntaxError turns a parser error into a *FieldError with a position.
//
// The YAML parser reports at most a line, and often the line where the
// enclosing construct began rather than the offending one. The position is
// found instead as the point where data stops parsing: the first line whose
// prefix no longer parses, then the last character of that line up to
// which it still does.
func syntaxError(file string, data []byte, err error) *FieldError {
	full := err.Error()
	msg := normalizeYAMLError(full)
	e := &FieldError{File: file, Msg: "invalid YAML: " + msg + syntaxHint(msg)}
	if m := yamlLineRE.FindStringSubmatch(full); m != nil {
		e.Line, _ = strconv.Atoi(m[1]) // in case locating fails
	}
	line, col, r := locateYAMLSyntaxError(data, full)
	if line > 0 {
		e.Line, e.Column = line, col
		if r == '\t' && !strings.Contains(msg, "tab") {
			e.Msg += " (a tab: indent with spaces)"
		}
	}
	return e
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): `)

// normalizeYAMLError strips the "yaml: line N: " prefix.
func normalizeYAMLError(msg string) string {
	if m := yamlLineRE.FindStringIndex(msg); m != nil {
		return msg[m[1]:]
	}
	return strings.TrimPrefix(msg, "yaml: ")
}

// sameYAMLError compares parser errors, line included, without their quoted
// parts (anchor names, which grow with a prefix).
func sameYAMLError(a, b string) bool {
	return yamlQuotedRE.ReplaceAllString(a, "''") == yamlQuotedRE.ReplaceAllString(b, "''")
}

var yamlQuotedRE = regexp.MustCompile(`'[^']*'`)

func syntaxHint(msg string) string {
	switch {
	case strings.Contains(msg, "mapping values are not allowed"):
		return ` (a value containing ": " must be quoted; otherwise check the indentation)`
	case strings.Contains(msg, "did not find expected key"), strings.Contains(msg, "did not find expected '-' indicator"):
		return " (check the indentation)"
	case strings.Contains(msg, "tab character"):
		return " (indent with spaces, not tabs)"
	case strings.Contains(msg, "unexpected end of stream"), strings.Contains(msg, "did not find expected ',' or"):
		return " (a quote or bracket opened here is not closed)"
	}
	return ""
}

// locateYAMLSyntaxError returns the 1-based line and column (in characters,
// as the parser counts them) of a syntax error in data whose parse failed
// with full, and the character there; or 0, 0, 0.
//
// The line is the first whose prefix no longer parses, found by bisection
// (starting near the parser's own line). A prefix that ends inside a
// multi-line flow collection or quoted string fails too, though the text
// may be fine; such a prefix fails differently from the whole document (the
// parser names another line), so then the next lines are tried for one that
// parses again, and the search resumes after it. Within the line, the column
// is one past the longest prefix that parses, searched from the end of the
// line (galloping, then bisection), which skips the same kind of false stop:
// "a: [b, c] }" fails at the brace, not at the bracket. The work is bounded
// to a few dozen parses of data.
func locateYAMLSyntaxError(data []byte, full string) (line, col int, r rune) {
	const maxLookahead = 32         // lines tried after a line that fails differently
	budget := 16*len(data) + 64<<10 // bytes the probes may parse
	// fails reports whether the first n bytes fail to parse, and how. Out
	// of budget, it claims they fail in some other way.
	fails := func(n int) (bool, string) {
		if budget <= 0 {
			return true, ""
		}
		budget -= n
		if _, err := parseYAMLDocuments(data[:n]); err != nil {
			return true, err.Error()
		}
		return false, ""
	}
	var starts []int // starts[i] is the offset of line i+1
	for off := 0; off < len(data); {
		starts = append(starts, off)
		nl := bytes.IndexByte(data[off:], '\n')
		if nl < 0 {
			break
		}
		off += nl + 1
	}
	nlines := len(starts)
	if nlines == 0 {
		return 0, 0, 0
	}
	end := func(l int) int { // end of the first l lines
		if l >= nlines {
			return len(data)
		}
		return starts[l]
	}
	// bisect returns the first line in (lo, hi] whose prefix fails, given
	// that the first lo lines parse and the first hi do not.
	bisect := func(lo, hi int) int {
		for hi-lo > 1 {
			mid := (lo + hi) / 2
			if bad, _ := fails(end(mid)); bad {
				hi = mid
			} else {
				lo = mid
			}
		}
		return hi
	}
	lo, hi := 0, nlines
	// The parser's line is that of the enclosing construct, or the one
	// before: the error is rarely earlier. Gallop forward from it.
	if m := yamlLineRE.FindStringSubmatch(full); m != nil {
		if hint, _ := strconv.Atoi(m[1]); hint > 1 && hint <= nlines {
			if bad, _ := fails(end(hint - 1)); bad {
				hi = hint - 1
			} else {
				lo = hint - 1
				for step := 1; lo+step < hi; step *= 2 {
					if bad, _ := fails(end(hint - 1 + step)); bad {
						hi = hint - 1 + step
						break
					}
					lo = hint - 1 + step
				}
			}
		}
	}
	line = bisect(lo, hi)
	for budget > 0 {
		if _, msg := fails(end(line)); sameYAMLError(msg, full) {
			break
		}
		next := 0
		for l := line + 1; l < nlines && l <= line+maxLookahead; l++ {
			if bad, _ := fails(end(l)); !bad {
				next = l
				break
			}
		}
		if next == 0 {
			break
		}
		line = bisect(next, nlines)
	}

	start := starts[line-1]
	text := bytes.TrimRight(data[start:end(line)], "\r\n")
	var cuts []int // cuts[i] is the byte length of the first i characters
	for off := 0; ; {
		cuts = append(cuts, off)
		if off >= len(text) {
			break
		}
		_, size := utf8.DecodeRune(text[off:])
		off += size
	}
	nchars := len(cuts) - 1
	prefixFails := func(c int) bool {
		bad, _ := fails(start + cuts[c])
		return bad
	}
	if !prefixFails(nchars) {
		return line, nchars + 1, '\n' // only the line break breaks it
	}
	// Gallop back from the end to a prefix that parses (the empty one is
	// assumed to), then bisect between it and the last failing one.
	good, bad := 0, nchars
	for step := 1; nchars-step > 0; step *= 2 {
		if c := nchars - step; prefixFails(c) {
			bad = c
		} else {
			good = c
			break
		}
	}
	for bad-good > 1 {
		mid := (good + bad) / 2
		if prefixFails(mid) {
			bad = mid
		} else {
			good = mid
		}
	}
	col = max(bad, 1)
	if col <= nchars {
		r, _ = utf8.DecodeRune(text[cuts[col-1]:])
	}
	return line, col, r
}
