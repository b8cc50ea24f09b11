package strictyaml

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/api/resource"
)

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
