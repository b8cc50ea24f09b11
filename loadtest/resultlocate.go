package loadtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// locateError turns an error of decoding a result file into one that says
// where: file:line:column, the byte offset, and the member
// (windows[3].latency) when the file, re-read value by value, fails there.
func locateError(file string, b []byte, err error) error {
	path, off, lerr := locate(b)
	if lerr == nil {
		// The re-read found nothing (it cannot happen for a decoding
		// error, but the original error is then the best there is).
		lerr, off = err, offsetOf(err, 0, -1)
	}
	prefix := ""
	if path != "" {
		prefix = path + ": "
	}
	if off < 0 || off > int64(len(b)) {
		return fmt.Errorf("%s: %s%w", file, prefix, lerr)
	}
	line := 1 + bytes.Count(b[:off], []byte("\n"))
	col := off - int64(bytes.LastIndexByte(b[:off], '\n'))
	return fmt.Errorf("%s:%d:%d (byte %d): %s%w", file, line, col, off, prefix, lerr)
}

// offsetOf is the byte offset an encoding/json error carries, plus base;
// def when it carries none.
func offsetOf(err error, base, def int64) int64 {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		// Offset counts the byte that was wrong: point at it.
		return base + max(se.Offset-1, 0)
	case errors.As(err, &te):
		return base + te.Offset
	}
	return def
}

// tokenOffset is the offset of a Decoder.Token error: its SyntaxError
// points at the wrong byte already (Decoder.InputOffset).
func tokenOffset(err error, def int64) int64 {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return se.Offset
	}
	return def
}

// locate re-reads a result file that did not decode, member by member and
// window by window, and returns the path of the value that fails, its byte
// offset and the error. A panic while decoding a value (the last line of
// defence) is an error at that value.
func locate(b []byte) (path string, off int64, err error) {
	l := &locator{b: b, dec: json.NewDecoder(bytes.NewReader(b))}
	defer func() {
		if p := recover(); p != nil {
			path, off, err = l.at, l.off, fmt.Errorf("corrupt value: %v", p)
		}
	}()
	window := func(q string) (string, int64, error) {
		if l.next() != '{' {
			return l.value(q, func() any { return new(Window) })
		}
		return l.object(q, func(key, p string) (string, int64, error) {
			return l.leaf(p, key, func() any { return new(Window) })
		})
	}
	return l.object("", func(key, p string) (string, int64, error) {
		switch {
		case key == "windows" && l.next() == '[':
			return l.array(p, window)
		case key == "totals":
			return window(p)
		case key == "watch" && l.next() == '[':
			return l.array(p, func(q string) (string, int64, error) {
				return l.value(q, func() any { return new(WatchSample) })
			})
		case key == "thresholds" && l.next() == '[':
			return l.array(p, func(q string) (string, int64, error) {
				return l.value(q, func() any { return new(Threshold) })
			})
		}
		return l.leaf(p, key, func() any { return new(Result) })
	})
}

// locator walks a JSON document with one decoder; at and off are the path
// and offset of the value being decoded.
type locator struct {
	b   []byte
	dec *json.Decoder
	at  string
	off int64
}

// sepEnd is where the decoder's next value scan starts: after the ':' or
// ',' that follows off, else off (the first element of an array).
func (l *locator) sepEnd(off int64) int64 {
	i := off
	for i < int64(len(l.b)) && (l.b[i] == ' ' || l.b[i] == '\t' || l.b[i] == '\r' || l.b[i] == '\n') {
		i++
	}
	if i < int64(len(l.b)) && (l.b[i] == ':' || l.b[i] == ',') {
		return i + 1
	}
	return off
}

// next is the first byte of the next value, 0 at the end.
func (l *locator) next() byte {
	for i := l.sepEnd(l.dec.InputOffset()); i < int64(len(l.b)); i++ {
		switch c := l.b[i]; c {
		case ' ', '\t', '\r', '\n':
		default:
			return c
		}
	}
	return 0
}

// object walks an object, calling member with each key and its path.
func (l *locator) object(path string, member func(key, path string) (string, int64, error)) (string, int64, error) {
	if err := l.delim(path, '{'); err != nil {
		return path, tokenOffset(err, l.dec.InputOffset()), err
	}
	for l.dec.More() {
		t, err := l.dec.Token()
		if err != nil {
			return path, tokenOffset(err, l.dec.InputOffset()), err
		}
		key, _ := t.(string)
		p := key
		if path != "" {
			p = path + "." + key
		}
		if q, off, err := member(key, p); err != nil {
			return q, off, err
		}
	}
	if _, err := l.dec.Token(); err != nil {
		return path, tokenOffset(err, l.dec.InputOffset()), err
	}
	return "", -1, nil
}

// array walks an array, calling elem with each element's path.
func (l *locator) array(path string, elem func(path string) (string, int64, error)) (string, int64, error) {
	if err := l.delim(path, '['); err != nil {
		return path, tokenOffset(err, l.dec.InputOffset()), err
	}
	for i := 0; l.dec.More(); i++ {
		if q, off, err := elem(fmt.Sprintf("%s[%d]", path, i)); err != nil {
			return q, off, err
		}
	}
	if _, err := l.dec.Token(); err != nil {
		return path, tokenOffset(err, l.dec.InputOffset()), err
	}
	return "", -1, nil
}

func (l *locator) delim(path string, want json.Delim) error {
	l.at, l.off = path, l.dec.InputOffset()
	t, err := l.dec.Token()
	if err != nil {
		return err
	}
	if t != want {
		return fmt.Errorf("want %v, got %v", want, t)
	}
	return nil
}

// leaf decodes the next value as the member key of a new value of newT's
// type, strictly, and returns the error with its absolute offset.
func (l *locator) leaf(path, key string, newT func() any) (string, int64, error) {
	raw, start, q, off, err := l.raw(path)
	if err != nil {
		return q, off, err
	}
	k, _ := json.Marshal(key)
	doc := make([]byte, 0, len(k)+len(raw)+3)
	doc = append(append(append(append(doc, '{'), k...), ':'), raw...)
	doc = append(doc, '}')
	if err := strict(doc, newT()); err != nil {
		return path, start, err // the value is the member's: its start says where
	}
	return "", -1, nil
}

// value decodes the next value into a new value of newT's type, strictly.
func (l *locator) value(path string, newT func() any) (string, int64, error) {
	raw, start, q, off, err := l.raw(path)
	if err != nil {
		return q, off, err
	}
	if err := strict(raw, newT()); err != nil {
		return path, offsetOf(err, start, start), err
	}
	return "", -1, nil
}

// raw reads the next value's bytes and their offset.
func (l *locator) raw(path string) (json.RawMessage, int64, string, int64, error) {
	base := l.sepEnd(l.dec.InputOffset())
	l.at, l.off = path, base
	var raw json.RawMessage
	if err := l.dec.Decode(&raw); err != nil {
		// The decoder's own offsets count only what Decode scanned, not
		// Token: a fresh scan from base says where.
		var again json.RawMessage
		if rerr := json.NewDecoder(bytes.NewReader(l.b[base:])).Decode(&again); rerr != nil {
			err = rerr
		}
		return nil, 0, path, offsetOf(err, base, base), err
	}
	start := l.dec.InputOffset() - int64(len(raw))
	l.off = start
	return raw, start, "", 0, nil
}

func strict(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	return d.Decode(v)
}
