package strictyaml

import (
	"bytes"
	"encoding"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Limits of Decode. They bound the work an input can cause, whatever it
// holds: alias expansion ("billion laughs") counts against maxDecodeNodes.
const (
	// maxDecodeErrors is the number of errors reported before decoding stops.
	maxDecodeErrors = 20
	// maxDecodeNodes bounds the YAML nodes visited, aliases expanded.
	maxDecodeNodes = 1_000_000
	// maxDecodeDepth bounds nesting, aliases expanded.
	maxDecodeDepth = 1000
)

// Decode decodes one YAML document strictly into v, a non-nil pointer
// (normally to a struct). file is used only in messages.
//
// The document is read the way Kubernetes reads a manifest: keys are matched
// against `json` struct tags, case-sensitively, and a type implementing
// json.Unmarshaler (resource.Quantity, intstr.IntOrString, a plan's Rate)
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
func Decode(file string, data []byte, v any) (*Index, error) {
	rv := reflect.ValueOf(v)
	if !rv.IsValid() || rv.Kind() != reflect.Pointer || rv.IsNil() {
		return nil, fmt.Errorf("strictyaml: Decode needs a non-nil pointer, got %T", v)
	}
	docs, err := ParseDocuments(data)
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

// ParseDocuments parses every document in data into node trees, comments
// kept, as Decode does. The parser's own panics (never expected) become
// errors: no input may crash the caller.
func ParseDocuments(data []byte) (docs []*yaml.Node, err error) {
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
	default:
		d.decodeScalar(at, n, tag, v)
	}
}

// decodeScalar decodes the scalar n, resolved from the node at, into v, a
// string, boolean or number, checking its range.
func (d *yamlDecoder) decodeScalar(at, n *yaml.Node, tag string, v reflect.Value) {
	switch v.Kind() {
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
