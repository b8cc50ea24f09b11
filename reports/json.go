package reports

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"strings"

	"github.com/headroom-dev/headroom/review/record"
)

// JSON renders report.json into memory (see WriteJSON).
func JSON(rep *record.Review) ([]byte, error) {
	var b bytes.Buffer
	if err := WriteJSON(&b, rep); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// WriteJSON writes report.json to w: the whole review, indented two spaces
// a level, with its schema version first, and each point of a series on
// one line of its own. It streams: the review is written service by
// service and scenario by scenario, so that no more than one
// service-scenario's JSON is held at a time. Apart from the series' lines
// the bytes are those of encoding/json's Encoder with SetIndent("", "  ")
// and SetEscapeHTML(false).
func WriteJSON(w io.Writer, rep *record.Review) error {
	return writeJSON(w, rep, &jsonStream{})
}

func writeJSON(w io.Writer, rep *record.Review, s *jsonStream) error {
	return writeJSONValue(w, reflect.ValueOf(rep).Elem(), s)
}

func writeJSONValue(w io.Writer, v reflect.Value, s *jsonStream) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	s.w = bw
	s.enc = json.NewEncoder(&s.buf)
	s.enc.SetEscapeHTML(false)
	if err := s.value(v, ""); err != nil {
		return err
	}
	bw.WriteByte('\n')
	return bw.Flush()
}

// streamedTypes are the structs WriteJSON walks itself, field by field;
// every other value is encoded whole by encoding/json. Their fields may use
// only the json tag options "omitempty" and "-", and none is embedded.
var streamedTypes = map[reflect.Type]bool{
	reflect.TypeFor[record.Review]():          true,
	reflect.TypeFor[record.ServiceSection]():  true,
	reflect.TypeFor[record.ServiceScenario](): true,
}

// sampleType is a series point, written compact on one line.
var sampleType = reflect.TypeFor[record.Sample]()

// jsonStream writes one report.json; buf and enc encode one value at a
// time.
type jsonStream struct {
	w   *bufio.Writer
	buf bytes.Buffer
	enc *json.Encoder
	// indentSamples indents series points as encoding/json would: only
	// the test that checks the stream against encoding/json sets it.
	indentSamples bool
}

func (s *jsonStream) value(v reflect.Value, indent string) error {
	t := v.Type()
	switch {
	case t.Kind() == reflect.Struct && streamedTypes[t]:
		return s.object(v, indent)
	case t.Kind() == reflect.Slice && (streamedTypes[t.Elem()] || t.Elem() == sampleType):
		return s.array(v, indent)
	}
	return s.leaf(v, indent, "  ")
}

// leaf writes v as encoding/json does at this depth.
func (s *jsonStream) leaf(v reflect.Value, prefix, step string) error {
	s.buf.Reset()
	s.enc.SetIndent(prefix, step)
	if err := s.enc.Encode(v.Interface()); err != nil {
		return err
	}
	_, err := s.w.Write(bytes.TrimSuffix(s.buf.Bytes(), []byte("\n")))
	return err
}

func (s *jsonStream) object(v reflect.Value, indent string) error {
	t := v.Type()
	inner := indent + "  "
	n := 0
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous || (opts != "" && opts != "omitempty") {
			return fmt.Errorf("report.json: %s.%s: the streaming writer does not handle embedded fields or the json option %q", t.Name(), f.Name, opts)
		}
		if name == "" {
			name = f.Name
		}
		fv := v.Field(i)
		if opts == "omitempty" && isEmptyJSON(fv) {
			continue
		}
		sep := ",\n"
		if n == 0 {
			sep = "{\n"
		}
		n++
		s.w.WriteString(sep + inner + `"` + name + `": `)
		if err := s.value(fv, inner); err != nil {
			return err
		}
	}
	if n == 0 {
		s.w.WriteString("{}")
		return nil
	}
	s.w.WriteString("\n" + indent + "}")
	return nil
}

func (s *jsonStream) array(v reflect.Value, indent string) error {
	switch {
	case v.IsNil():
		s.w.WriteString("null")
		return nil
	case v.Len() == 0:
		s.w.WriteString("[]")
		return nil
	}
	inner := indent + "  "
	samples := v.Type().Elem() == sampleType && !s.indentSamples
	for i := 0; i < v.Len(); i++ {
		sep := ",\n"
		if i == 0 {
			sep = "[\n"
		}
		s.w.WriteString(sep + inner)
		var err error
		if samples {
			err = s.leaf(v.Index(i), "", "")
		} else {
			err = s.value(v.Index(i), inner)
		}
		if err != nil {
			return err
		}
	}
	s.w.WriteString("\n" + indent + "]")
	return nil
}

// isEmptyJSON is encoding/json's test for omitempty.
func isEmptyJSON(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool:
		return !v.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int() == 0
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return v.Uint() == 0
	case reflect.Float32, reflect.Float64:
		return v.Float() == 0
	case reflect.Interface, reflect.Pointer:
		return v.IsNil()
	}
	return false
}
