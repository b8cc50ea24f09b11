package k6

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// k6Line is one line of k6's JSON output (--out json), as far as headroom
// reads it: a Metric line (declared once per metric) or a Point line (one
// sample), as k6 docs: Results output / JSON describes them:
//
//	{"metric":"http_req_duration","type":"Point","data":{"time":"…","value":12.3,"tags":{…}}}
//	{"type":"Metric","data":{"name":"http_req_duration","type":"trend",…},"metric":"http_req_duration"}
//
// Keys are read by name, never by position (k6 changed their order in v2).
type k6Line struct {
	Metric string
	// Point is true for a Point line, false for a Metric line.
	Point bool
	// Time and Value are the sample's, for a Point.
	Time  time.Time
	Value float64
	// Endpoint, Status and ErrorCode are the sample's tags "endpoint" (a
	// request mix's, see k6TagEndpoint), "status" and "error_code" (k6
	// system tags, k6 docs: Tags and Groups; Error codes), "" when absent.
	Endpoint, Status, ErrorCode string
}

// k6LineParser parses NDJSON lines. Its fast path scans the bytes once
// without allocating for the common case; anything it does not expect (an
// escape in a string it must read, an unusual time layout) goes to
// encoding/json, which also produces the error for a malformed line.
type k6LineParser struct {
	// names interns metric names, so a line does not allocate one.
	names map[string]string
	// The last time string's second ("2026-08-21T10:00:00") and zone, and
	// that second parsed, so a line in the same second only parses the
	// fraction.
	lastSecond, lastZone string
	lastBase             time.Time
}

var errK6Slow = errors.New("not for the fast path")

// parse parses one line (without its newline).
func (p *k6LineParser) parse(line []byte) (k6Line, error) {
	if l, err := p.fast(line); err == nil {
		return l, nil
	}
	return p.slow(line)
}

// k6JSONLine is the encoding/json view of a line.
type k6JSONLine struct {
	Type   *string         `json:"type"`
	Metric *string         `json:"metric"`
	Data   json.RawMessage `json:"data"`
}

type k6JSONPoint struct {
	Time  *string                    `json:"time"`
	Value *float64                   `json:"value"`
	Tags  map[string]json.RawMessage `json:"tags"`
}

// tagString is a tag's value when it is a JSON string, else "".
func tagString(tags map[string]json.RawMessage, key string) string {
	var v string
	if raw, ok := tags[key]; ok && json.Unmarshal(raw, &v) == nil {
		return v
	}
	return ""
}

// slow parses with encoding/json and says what is wrong.
func (p *k6LineParser) slow(line []byte) (k6Line, error) {
	var raw k6JSONLine
	if err := json.Unmarshal(line, &raw); err != nil {
		return k6Line{}, fmt.Errorf("not a JSON object: %w", err)
	}
	if raw.Type == nil {
		return k6Line{}, fmt.Errorf(`no "type" key`)
	}
	if raw.Metric == nil || *raw.Metric == "" {
		return k6Line{}, fmt.Errorf(`no "metric" name`)
	}
	l := k6Line{Metric: *raw.Metric}
	switch *raw.Type {
	case "Metric":
		return l, nil
	case "Point":
	default:
		return k6Line{}, fmt.Errorf(`"type" is %q, want "Point" or "Metric"`, *raw.Type)
	}
	l.Point = true
	var d k6JSONPoint
	if len(raw.Data) == 0 || string(raw.Data) == "null" {
		return k6Line{}, fmt.Errorf(`a Point without "data"`)
	}
	if err := json.Unmarshal(raw.Data, &d); err != nil {
		return k6Line{}, fmt.Errorf("point data: %w", err)
	}
	if d.Time == nil {
		return k6Line{}, fmt.Errorf(`a Point without "data.time"`)
	}
	if d.Value == nil {
		return k6Line{}, fmt.Errorf(`a Point without "data.value"`)
	}
	t, err := time.Parse(time.RFC3339Nano, *d.Time)
	if err != nil {
		return k6Line{}, fmt.Errorf("data.time: %w", err)
	}
	l.Time, l.Value = t, *d.Value
	l.Endpoint = p.internString(tagString(d.Tags, k6TagEndpoint))
	l.Status = p.internString(tagString(d.Tags, "status"))
	l.ErrorCode = p.internString(tagString(d.Tags, "error_code"))
	return l, nil
}

// fast scans a line in one pass. It returns errK6Slow for anything it does
// not handle, including every malformed line.
func (p *k6LineParser) fast(b []byte) (k6Line, error) {
	s := jscan{b: b}
	var l k6Line
	var typ, tm []byte
	var haveType, haveMetric, haveData, haveTime, haveValue, dataNull bool
	s.ws()
	if !s.eat('{') {
		return l, errK6Slow
	}
	s.ws()
	if s.eat('}') {
		return l, errK6Slow
	}
	for {
		key, ok := s.member()
		if !ok {
			return l, errK6Slow
		}
		switch string(key) {
		case "type":
			if typ, ok = s.plainString(); !ok {
				return l, errK6Slow
			}
			haveType = true
		case "metric":
			m, ok := s.plainString()
			if !ok {
				return l, errK6Slow
			}
			l.Metric, haveMetric = p.intern(m), true
		case "data":
			haveData, haveTime, haveValue, dataNull = true, false, false, false
			l.Endpoint, l.Status, l.ErrorCode = "", "", ""
			if s.lit("null") {
				dataNull = true
				break
			}
			if !s.eat('{') {
				return l, errK6Slow
			}
			s.ws()
			if !s.eat('}') {
				for {
					dk, ok := s.member()
					if !ok {
						return l, errK6Slow
					}
					switch string(dk) {
					case "time":
						if tm, ok = s.plainString(); !ok {
							// null or a number: the slow path decides.
							return l, errK6Slow
						}
						haveTime = true
					case "tags":
						if !p.tags(&s, &l) {
							return l, errK6Slow
						}
					case "value":
						num, ok := s.number()
						if !ok {
							return l, errK6Slow
						}
						v, ok := parseJSONNumber(num)
						if !ok {
							return l, errK6Slow
						}
						l.Value, haveValue = v, true
					default:
						// encoding/json matches keys case-insensitively.
						if strings.EqualFold(string(dk), "time") || strings.EqualFold(string(dk), "value") || strings.EqualFold(string(dk), "tags") || !s.skip(0) {
							return l, errK6Slow
						}
					}
					if more, ok := s.more(); !ok {
						return l, errK6Slow
					} else if !more {
						break
					}
				}
			}
		default:
			k := string(key)
			if strings.EqualFold(k, "type") || strings.EqualFold(k, "metric") || strings.EqualFold(k, "data") || !s.skip(0) {
				return l, errK6Slow
			}
		}
		if more, ok := s.more(); !ok {
			return l, errK6Slow
		} else if !more {
			break
		}
	}
	s.ws()
	if s.i != len(b) || !haveType || !haveMetric || l.Metric == "" {
		return l, errK6Slow
	}
	switch string(typ) {
	case "Metric":
		return k6Line{Metric: l.Metric}, nil
	case "Point":
	default:
		return l, errK6Slow
	}
	if !haveData || dataNull || !haveTime || !haveValue {
		return l, errK6Slow
	}
	t, ok := p.time(tm)
	if !ok {
		return l, errK6Slow
	}
	l.Point, l.Time = true, t
	return l, nil
}

// tags reads a Point's tags object (or null) into l's tag fields: the
// values of the keys headroom reads must be plain strings, the others are
// skipped; false sends the line to the slow path. As encoding/json does
// with a map, a repeated "tags" object adds to the earlier one and a null
// clears it.
func (p *k6LineParser) tags(s *jscan, l *k6Line) bool {
	if s.lit("null") {
		l.Endpoint, l.Status, l.ErrorCode = "", "", ""
		return true
	}
	if !s.eat('{') {
		return false
	}
	s.ws()
	if s.eat('}') {
		return true
	}
	for {
		key, ok := s.member()
		if !ok {
			return false
		}
		var dst *string
		switch string(key) {
		case k6TagEndpoint:
			dst = &l.Endpoint
		case "status":
			dst = &l.Status
		case "error_code":
			dst = &l.ErrorCode
		}
		if dst != nil {
			v, ok := s.plainString()
			if !ok {
				return false
			}
			*dst = p.intern(v)
		} else if !s.skip(1) {
			return false
		}
		more, ok := s.more()
		if !ok {
			return false
		}
		if !more {
			return true
		}
	}
}

// internString is intern for a string.
func (p *k6LineParser) internString(v string) string {
	if v == "" {
		return ""
	}
	return p.intern([]byte(v))
}

// intern returns the metric name as a string, allocating it only the
// first time (k6 has a few dozen metric names).
func (p *k6LineParser) intern(b []byte) string {
	if s, ok := p.names[string(b)]; ok { // no allocation for the lookup
		return s
	}
	if p.names == nil {
		p.names = map[string]string{}
	}
	s := string(b)
	if len(p.names) < 1024 {
		p.names[s] = s
	}
	return s
}

// pow10 are the powers of ten a float64 holds exactly.
var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// parseJSONNumber converts a JSON number (already checked by jscan.number)
// to float64. Plain decimals with at most 15 digits take the exact fast
// path: an integer mantissa below 2^53 divided by an exact power of ten is
// correctly rounded (Clinger 1990). Anything else goes to strconv.
func parseJSONNumber(b []byte) (float64, bool) {
	var mant uint64
	digits, frac := 0, -1
	neg := false
	i := 0
	if len(b) > 0 && b[0] == '-' {
		neg = true
		i++
	}
	for ; i < len(b); i++ {
		c := b[i]
		switch {
		case c >= '0' && c <= '9':
			if mant != 0 || c != '0' {
				digits++
			}
			mant = mant*10 + uint64(c-'0')
			if frac >= 0 {
				frac++
			}
		case c == '.' && frac < 0:
			frac = 0
		default: // an exponent
			return slowFloat(b)
		}
	}
	if digits > 15 {
		return slowFloat(b)
	}
	v := float64(mant)
	if frac > 0 {
		v /= pow10[frac] // frac ≤ len(b) and digits ≤ 15 keep it in the table
	}
	if neg {
		v = -v
	}
	return v, true
}

func slowFloat(b []byte) (float64, bool) {
	v, err := strconv.ParseFloat(string(b), 64)
	return v, err == nil
}

// time parses an RFC 3339 time with up to nine fraction digits, reusing the
// last line's second when it is the same (k6 writes thousands of samples a
// second). Anything else goes to time.Parse.
func (p *k6LineParser) time(b []byte) (time.Time, bool) {
	// 2006-01-02T15:04:05[.fffffffff](Z|±hh:mm)
	if len(b) < 20 || b[19] != '.' && b[19] != 'Z' && b[19] != '+' && b[19] != '-' {
		return p.stdTime(b)
	}
	i := 19
	var nanos int64
	if b[i] == '.' {
		i++
		digits := 0
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			if digits == 9 {
				return p.stdTime(b)
			}
			nanos = nanos*10 + int64(b[i]-'0')
			digits++
			i++
		}
		if digits == 0 {
			return time.Time{}, false
		}
		for ; digits < 9; digits++ {
			nanos *= 10
		}
	}
	zone := b[i:]
	if string(b[:19]) == p.lastSecond && string(zone) == p.lastZone {
		return p.lastBase.Add(time.Duration(nanos)), true
	}
	base, err := time.Parse(time.RFC3339, string(b[:19])+string(zone))
	if err != nil {
		return time.Time{}, false
	}
	p.lastSecond, p.lastZone, p.lastBase = string(b[:19]), string(zone), base
	return base.Add(time.Duration(nanos)), true
}

func (p *k6LineParser) stdTime(b []byte) (time.Time, bool) {
	t, err := time.Parse(time.RFC3339Nano, string(b))
	return t, err == nil
}

// jscan is a minimal JSON scanner over one line.
type jscan struct {
	b []byte
	i int
}

// member reads an object member's `"key":` and the white space around it.
func (s *jscan) member() ([]byte, bool) {
	s.ws()
	key, ok := s.plainString()
	if !ok {
		return nil, false
	}
	s.ws()
	if !s.eat(':') {
		return nil, false
	}
	s.ws()
	return key, true
}

// more reads what follows a member's value: a comma (more members) or the
// object's closing brace; ok is false for anything else.
func (s *jscan) more() (more, ok bool) {
	s.ws()
	if s.eat('}') {
		return false, true
	}
	return true, s.eat(',')
}

func (s *jscan) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\r', '\n':
			s.i++
		default:
			return
		}
	}
}

func (s *jscan) eat(c byte) bool {
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

func (s *jscan) lit(word string) bool {
	if len(s.b)-s.i >= len(word) && string(s.b[s.i:s.i+len(word)]) == word {
		s.i += len(word)
		return true
	}
	return false
}

// plainString reads a string without escapes and returns its content; a
// string with an escape, a control character or a non-ASCII byte is left
// to the slow path (encoding/json's unescaping and UTF-8 repair).
func (s *jscan) plainString() ([]byte, bool) {
	if !s.eat('"') {
		return nil, false
	}
	b := s.b
	start := s.i
	q := bytes.IndexByte(b[start:], '"')
	if q < 0 {
		return nil, false
	}
	body := b[start : start+q]
	if bytes.IndexByte(body, '\\') >= 0 || hasByteBelow(body, 0x20, true) {
		return nil, false
	}
	s.i = start + q + 1
	return body, true
}

// strStop marks the bytes that end a run of plain string content: the
// closing quote, a backslash, and control characters (invalid raw in JSON).
var strStop = func() (t [256]bool) {
	for c := 0; c < 0x20; c++ {
		t[c] = true
	}
	t['"'], t['\\'] = true, true
	return t
}()

// skipString skips a string, escapes included. Bytes ≥ 0x80 are skipped as
// they are (encoding/json accepts them, repairing invalid UTF-8).
func (s *jscan) skipString() bool {
	if !s.eat('"') {
		return false
	}
	b := s.b
	i := s.i
	// The common case: no escape and no control character before the
	// closing quote, found with word-at-a-time scans.
	if q := bytes.IndexByte(b[i:], '"'); q >= 0 {
		body := b[i : i+q]
		if bytes.IndexByte(body, '\\') < 0 && !hasByteBelow(body, 0x20, false) {
			s.i = i + q + 1
			return true
		}
	}
	for i < len(b) {
		if !strStop[b[i]] {
			i++
			continue
		}
		switch b[i] {
		case '"':
			s.i = i + 1
			return true
		case '\\':
			i++
			if i >= len(b) {
				return false
			}
			switch b[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i++
			case 'u':
				if len(b)-i < 5 {
					return false
				}
				for _, h := range b[i+1 : i+5] {
					if !isHex(h) {
						return false
					}
				}
				i += 5
			default:
				return false
			}
		default: // a control character
			return false
		}
	}
	return false
}

// hasByteBelow reports whether b has a byte below n (n ≤ 128), or, with
// high, a byte ≥ 0x80; eight bytes at a time (the "hasless" bit trick,
// Anderson, Bit Twiddling Hacks).
func hasByteBelow(b []byte, n byte, high bool) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	sub := uint64(n) * ones
	for len(b) >= 8 {
		x := binary.LittleEndian.Uint64(b)
		if (x-sub)&^x&highs != 0 || high && x&highs != 0 {
			return true
		}
		b = b[8:]
	}
	for _, c := range b {
		if c < n || high && c >= 0x80 {
			return true
		}
	}
	return false
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// number reads a JSON number (RFC 8259 grammar) and returns its bytes.
func (s *jscan) number() ([]byte, bool) {
	start := s.i
	s.eat('-')
	switch {
	case s.eat('0'):
	case s.i < len(s.b) && s.b[s.i] >= '1' && s.b[s.i] <= '9':
		s.digits()
	default:
		return nil, false
	}
	if s.eat('.') {
		if s.digits() == 0 {
			return nil, false
		}
	}
	if s.i < len(s.b) && (s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		s.i++
		if !s.eat('+') {
			s.eat('-')
		}
		if s.digits() == 0 {
			return nil, false
		}
	}
	return s.b[start:s.i], true
}

func (s *jscan) digits() int {
	n := 0
	for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
		s.i++
		n++
	}
	return n
}

// skip skips any JSON value; depth bounds the nesting.
func (s *jscan) skip(depth int) bool {
	if depth > 64 || s.i >= len(s.b) {
		return false
	}
	switch c := s.b[s.i]; {
	case c == '"':
		return s.skipString()
	case c == '{':
		s.i++
		s.ws()
		if s.eat('}') {
			return true
		}
		for {
			s.ws()
			if !s.skipString() {
				return false
			}
			s.ws()
			if !s.eat(':') {
				return false
			}
			s.ws()
			if !s.skip(depth + 1) {
				return false
			}
			s.ws()
			if s.eat('}') {
				return true
			}
			if !s.eat(',') {
				return false
			}
		}
	case c == '[':
		s.i++
		s.ws()
		if s.eat(']') {
			return true
		}
		for {
			s.ws()
			if !s.skip(depth + 1) {
				return false
			}
			s.ws()
			if s.eat(']') {
				return true
			}
			if !s.eat(',') {
				return false
			}
		}
	case c == 't':
		return s.lit("true")
	case c == 'f':
		return s.lit("false")
	case c == 'n':
		return s.lit("null")
	default:
		_, ok := s.number()
		return ok
	}
}
