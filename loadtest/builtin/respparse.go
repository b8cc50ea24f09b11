package builtin

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
)

// maxResponseHead bounds a response's status line and headers (and a
// chunked body's trailers): a load generator has no use for more, and an
// endless header must not grow the buffer without limit.
const maxResponseHead = 64 << 10

// errResponseHead reports a response head over maxResponseHead.
var errResponseHead = errors.New("the response head exceeds 64 KiB")

// respParser reads one HTTP/1.x response incrementally, with no
// allocation per response: it tracks only what a load generator needs
// (the status, where the body ends, and whether the connection may be
// reused) and discards the body as it passes.
//
// The framing follows RFC 9112 §6 as Go's net/http client applies it, and
// a differential fuzz test holds it against http.ReadResponse:
//
//   - no body after HEAD or for 1xx, 204 and 304;
//   - else chunked when Transfer-Encoding is chunked (one field, value
//     "chunked"; anything else is an error; ignored in HTTP/1.0);
//   - else Content-Length (repeated fields must agree);
//   - else the body runs to the end of the connection.
//
// Interim 1xx responses other than 101 are skipped, as net/http's
// Transport does. HTTP/1.0 closes unless "Connection: keep-alive"; HTTP/1.1
// keeps the connection unless "Connection: close". Head lines may end in
// LF or CRLF (folded header lines are joined); chunk lines must end in CRLF.
// It is stricter than net/http in a few places, on purpose: the version
// must be HTTP/1.x, the status code three digits from 100, a trailer
// section must end in CRLF CRLF, and its limits are its own (net/http's
// depend on its 4 KiB read buffer).
//
// Use: reset before each response, feed the bytes read until it says done,
// or call eof when the connection ends first.
type respParser struct {
	head bool // the request was HEAD: no body whatever the headers say

	state     parseState
	status    int
	minor     int // HTTP/1.minor
	close     bool
	keepAlive bool  // "Connection: keep-alive" (HTTP/1.0)
	length    int64 // Content-Length, -1 when absent
	chunked   bool
	teSeen    bool
	badTrail  bool  // a Trailer field names a framing field
	remaining int64 // body or chunk bytes still to skip
	bodyBytes int64 // body bytes (chunk data, not framing) read so far
	excess    int64 // chunked overhead beyond what the data allows
	headBytes int   // bytes of this head (or line) read so far
	cr        bool  // psChunkEnd: the CR was read; psTrailer: the last line ended in CRLF

	line    []byte // a line split across feeds
	partial bool   // line holds the start of the current line
	field   []byte // the pending header field (folded lines join it)
	hasCL   bool
	clRaw   []byte // the first Content-Length value, to compare repeats
}

type parseState uint8

const (
	psStatus    parseState = iota // the status line
	psHeader                      // header lines
	psBody                        // the rest of a Content-Length body
	psUntilEOF                    // a body that runs to the end of the connection
	psChunkSize                   // a chunk-size line
	psChunkData                   // the rest of a chunk
	psChunkEnd                    // the CRLF after a chunk's data
	psTrailer                     // trailer lines after the last chunk
	psDone
)

// Limits as net/http's chunked reader has them (a chunk line and its CRLF
// must fit its 4 KiB read buffer).
const (
	maxChunkLine   = 4096
	maxChunkExcess = 16 << 10
)

// reset prepares for the next response; head says the request was HEAD.
func (p *respParser) reset(head bool) {
	line, field, cl := p.line[:0], p.field[:0], p.clRaw[:0]
	*p = respParser{head: head, line: line, field: field, clRaw: cl}
	p.startHead()
}

func (p *respParser) startHead() {
	p.state = psStatus
	p.status, p.minor = 0, 0
	p.close, p.keepAlive, p.chunked, p.teSeen, p.badTrail, p.hasCL = false, false, false, false, false, false
	p.length = -1
	p.headBytes = 0
	p.field = p.field[:0]
}

// reusable says whether the connection may carry another request once this
// response is done.
func (p *respParser) reusable() bool {
	if p.close {
		return false
	}
	if p.minor == 0 {
		return p.keepAlive
	}
	return true
}

// feed consumes bytes of the response from b. It returns how many it
// consumed and whether the response is complete; bytes after a complete
// response are not consumed.
func (p *respParser) feed(b []byte) (int, bool, error) {
	n := 0
	for {
		if p.state == psDone {
			return n, true, nil
		}
		if n == len(b) {
			return n, false, nil
		}
		switch p.state {
		case psBody, psChunkData:
			k := min(int64(len(b)-n), p.remaining)
			p.remaining -= k
			p.bodyBytes += k
			n += int(k)
			if p.remaining == 0 {
				if p.state == psBody {
					p.state = psDone
				} else {
					p.state, p.cr = psChunkEnd, false
				}
			}
		case psChunkEnd:
			c := b[n]
			n++
			switch {
			case !p.cr && c == '\r':
				p.cr = true
			case p.cr && c == '\n':
				p.state, p.headBytes = psChunkSize, 0
			default:
				return n, false, errors.New("malformed chunked encoding: no CRLF after a chunk")
			}
		case psUntilEOF:
			p.bodyBytes += int64(len(b) - n)
			return len(b), false, nil
		default:
			line, used, ok, err := p.nextLine(b[n:])
			n += used
			if err != nil {
				return n, false, err
			}
			if !ok {
				return n, false, nil
			}
			if err := p.onLine(line); err != nil {
				return n, false, err
			}
		}
	}
}

// eof says whether the response is complete when the connection ends.
func (p *respParser) eof() (bool, error) {
	switch p.state {
	case psDone:
		return true, nil
	case psUntilEOF:
		p.state = psDone
		p.close = true
		return true, nil
	case psStatus:
		if p.headBytes == 0 && !p.partial {
			return false, errors.New("the connection closed before a response")
		}
	}
	return false, errors.New("the connection closed in the middle of the response")
}

// nextLine returns the next line without its LF, joining a line split
// across feeds; ok is false when b ends inside the line.
func (p *respParser) nextLine(b []byte) (line []byte, used int, ok bool, err error) {
	limit := maxResponseHead
	if p.state == psChunkSize {
		limit = maxChunkLine
	}
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		if p.headBytes+len(b) > limit {
			return nil, len(b), false, p.tooLong()
		}
		p.headBytes += len(b)
		p.line = append(p.line, b...)
		p.partial = true
		return nil, len(b), false, nil
	}
	used = i + 1
	if p.headBytes+used > limit {
		return nil, used, false, p.tooLong()
	}
	p.headBytes += used
	line = b[:i]
	if p.partial {
		p.line = append(p.line, line...)
		line = p.line
		p.line = p.line[:0]
		p.partial = false
	}
	return line, used, true, nil
}

func (p *respParser) tooLong() error {
	if p.state == psChunkSize {
		return errors.New("malformed chunked encoding: chunk line too long")
	}
	return errResponseHead
}

func (p *respParser) onLine(raw []byte) error {
	if p.state == psChunkSize {
		return p.onChunkSize(raw)
	}
	line := raw
	crlf := len(line) > 0 && line[len(line)-1] == '\r'
	if crlf {
		line = line[:len(line)-1]
	}
	if p.state == psTrailer {
		// net/http wants the trailer section to end in CRLF CRLF (its
		// body reader looks for one before it parses trailers).
		if len(line) == 0 && (!crlf || !p.cr) {
			return errors.New("malformed chunked encoding: the trailer section does not end in CRLF CRLF")
		}
		p.cr = crlf
	}
	switch p.state {
	case psStatus:
		return p.onStatus(line)
	case psHeader, psTrailer:
		if len(line) == 0 {
			if err := p.flushField(); err != nil {
				return err
			}
			if p.state == psTrailer {
				p.state = psDone
				return nil
			}
			return p.endHead()
		}
		if line[0] == ' ' || line[0] == '\t' {
			if len(p.field) == 0 {
				return fmt.Errorf("malformed MIME header initial line %q", clip(line))
			}
			p.field = append(p.field, ' ')
			p.field = append(p.field, trimOWS(line)...)
			return nil
		}
		if err := p.flushField(); err != nil {
			return err
		}
		if bytes.IndexByte(line, ':') < 0 {
			// net/http checks the colon on a field's first line, before
			// folding.
			return fmt.Errorf("malformed MIME header: missing colon %q", clip(line))
		}
		p.field = append(p.field[:0], trimRightOWS(line)...)
		return nil
	}
	return fmt.Errorf("response parser in state %d got a line", p.state)
}

// onStatus parses "HTTP/1.x NNN reason".
func (p *respParser) onStatus(line []byte) error {
	proto, rest, ok := bytes.Cut(line, []byte(" "))
	if !ok {
		return fmt.Errorf("malformed HTTP response %q", clip(line))
	}
	if len(proto) != 8 || string(proto[:7]) != "HTTP/1." || proto[7] < '0' || proto[7] > '9' {
		return fmt.Errorf("malformed HTTP version %q", clip(proto))
	}
	p.minor = int(proto[7] - '0')
	code, _, _ := bytes.Cut(bytes.TrimLeft(rest, " "), []byte(" "))
	s := 0
	for _, c := range code {
		if c < '0' || c > '9' {
			s = -1
			break
		}
		s = s*10 + int(c-'0')
	}
	if len(code) != 3 || s < 100 {
		return fmt.Errorf("malformed HTTP status code %q", clip(code))
	}
	p.status = s
	p.state = psHeader
	return nil
}

// flushField interprets the pending header field: those that frame the
// body or decide keep-alive. Trailer fields are only checked for syntax.
func (p *respParser) flushField() error {
	if len(p.field) == 0 {
		return nil
	}
	line := p.field
	p.field = p.field[:0]
	i := bytes.IndexByte(line, ':')
	if i < 0 || !validFieldName(line[:i]) {
		return fmt.Errorf("malformed MIME header line %q", clip(line))
	}
	name, value := line[:i], line[i+1:]
	for _, c := range value {
		if c < ' ' && c != '\t' || c == 0x7f {
			return fmt.Errorf("malformed MIME header line %q", clip(line))
		}
	}
	if p.state == psTrailer {
		return nil
	}
	value = trimOWS(value)
	switch {
	case asciiEqualFold(name, "content-length"):
		if p.hasCL {
			if string(value) != string(p.clRaw) {
				return fmt.Errorf("conflicting Content-Length headers (%q and %q)", clip(p.clRaw), clip(value))
			}
			return nil
		}
		n, err := parseContentLength(value)
		if err != nil {
			return err
		}
		p.hasCL, p.length = true, n
		p.clRaw = append(p.clRaw[:0], value...)
	case asciiEqualFold(name, "transfer-encoding"):
		if p.minor == 0 {
			return nil // net/http ignores it in HTTP/1.0 (Go issue 12785)
		}
		if p.teSeen {
			return errors.New("too many transfer encodings")
		}
		p.teSeen = true
		if !asciiEqualFold(value, "chunked") {
			return fmt.Errorf("unsupported transfer encoding %q", clip(value))
		}
		p.chunked = true
	case asciiEqualFold(name, "connection"):
		for tok := range bytes.SplitSeq(value, []byte(",")) {
			tok = trimOWS(tok)
			if asciiEqualFold(tok, "close") {
				p.close = true
			} else if asciiEqualFold(tok, "keep-alive") {
				p.keepAlive = true
			}
		}
	case asciiEqualFold(name, "trailer"):
		for tok := range bytes.SplitSeq(value, []byte(",")) {
			tok = trimOWS(tok)
			if asciiEqualFold(tok, "transfer-encoding") || asciiEqualFold(tok, "trailer") || asciiEqualFold(tok, "content-length") {
				p.badTrail = true
			}
		}
	}
	return nil
}

// endHead decides the framing of the body once the head is read.
func (p *respParser) endHead() error {
	if p.chunked && p.badTrail {
		return errors.New("a Trailer field names a framing field")
	}
	switch {
	case p.status == 101:
		return errors.New("the server switched protocols (101), which a load test does not follow")
	case p.status < 200:
		// An interim response; the final one follows.
		p.startHead()
		return nil
	case p.head || p.status == 204 || p.status == 304:
		p.state = psDone
	case p.chunked:
		p.state, p.headBytes, p.excess = psChunkSize, 0, 0
	case p.length == 0:
		p.state = psDone
	case p.length > 0:
		p.remaining = p.length
		p.state = psBody
	default:
		p.state = psUntilEOF
		p.close = true
	}
	return nil
}

// onChunkSize reads "hex[;extension] CRLF", CRLF required.
func (p *respParser) onChunkSize(raw []byte) error {
	if len(raw) == 0 || raw[len(raw)-1] != '\r' {
		return errors.New("malformed chunked encoding: chunk line ends with a bare LF")
	}
	if bytes.IndexByte(raw, '\r') != len(raw)-1 {
		return errors.New("malformed chunked encoding: CR inside a chunk line")
	}
	line := raw[:len(raw)-1]
	if len(raw)+1 > maxChunkLine { // net/http's 4 KiB buffer holds the line and its CRLF
		return errors.New("malformed chunked encoding: chunk line too long")
	}
	p.excess += int64(len(line)) + 2
	size, _, _ := bytes.Cut(trimRightOWS(line), []byte(";"))
	if len(size) == 0 {
		return errors.New("malformed chunked encoding: empty chunk size")
	}
	if len(size) > 16 {
		return errors.New("malformed chunked encoding: chunk size too large")
	}
	var n uint64
	for _, c := range size {
		var d byte
		switch {
		case c >= '0' && c <= '9':
			d = c - '0'
		case c >= 'a' && c <= 'f':
			d = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			d = c - 'A' + 10
		default:
			return fmt.Errorf("malformed chunked encoding: chunk size %q", clip(size))
		}
		n = n<<4 | uint64(d)
	}
	if n > 1<<62 {
		return errors.New("malformed chunked encoding: chunk size too large")
	}
	p.excess = max(p.excess-16-2*int64(n), 0)
	if p.excess > maxChunkExcess {
		return errors.New("malformed chunked encoding: too much non-data")
	}
	p.headBytes = 0
	if n == 0 {
		p.state, p.cr = psTrailer, true
		return nil
	}
	p.remaining = int64(n)
	p.state = psChunkData
	return nil
}

// parseContentLength: decimal digits, below 2⁶³.
func parseContentLength(v []byte) (int64, error) {
	if len(v) == 0 {
		return 0, errors.New("invalid empty Content-Length")
	}
	var n uint64
	for _, c := range v {
		if c < '0' || c > '9' || n > (1<<63-1)/10 {
			return 0, fmt.Errorf("bad Content-Length %q", clip(v))
		}
		n = n*10 + uint64(c-'0')
		if n > 1<<63-1 {
			return 0, fmt.Errorf("bad Content-Length %q", clip(v))
		}
	}
	return int64(n), nil
}

// validFieldName: a non-empty RFC 9110 token, or one with spaces, which
// net/http accepts (Go issue 34540) as a field no one recognises.
func validFieldName(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if !fieldNameByte[c] {
			return false
		}
	}
	return true
}

// fieldNameByte: RFC 9110 tchar, and space.
var fieldNameByte = func() (t [256]bool) {
	for c := ' '; c < 0x7f; c++ {
		t[c] = !strings.ContainsRune(`"(),/:;<=>?@[\]{}`, c)
	}
	return t
}()

func asciiEqualFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range len(b) {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}

// trimOWS and trimRightOWS drop spaces and tabs.
func trimOWS(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	return trimRightOWS(b)
}

func trimRightOWS(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

// clip shortens a quoted fragment of a malformed response for an error.
func clip(b []byte) []byte {
	if len(b) > 40 {
		return b[:40]
	}
	return b
}
