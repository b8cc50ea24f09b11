package loadtest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"

	"golang.org/x/net/http/httpguts"
)

// Targets file formats (vegeta attack -format).
const (
	TargetsHTTP = "http"
	TargetsJSON = "json"
)

// Limits of a request mix: every endpoint keeps its own windows and
// histograms (about 190 KB each while its window is live), and a body is
// held in memory for the whole run.
const (
	LimitEndpoints = 100
	LimitBodyBytes = 16 << 20
)

// TargetsError is a targets file that does not parse: File:Line and why.
type TargetsError struct {
	File string
	Line int
	Msg  string
}

func (e *TargetsError) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

// ReadTargetsFile reads a vegeta targets file (--targets) as a request mix
// of equal weights on the run's target host; see ParseTargets.
func ReadTargetsFile(path, format, target string) ([]Endpoint, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("--targets: %w", err)
	}
	defer f.Close()
	return ParseTargets(f, path, format, target, os.ReadFile)
}

// ParseTargets reads targets in one of vegeta's documented formats
// (github.com/tsenart/vegeta README, "-format"; format "" guesses from
// the first target: json when it starts with '{'):
//
//   - http: a target is a line "METHOD URL", then optional header lines
//     "Name: value" and an optional "@path" line naming a file whose bytes
//     are the body (read with readFile, relative to the working directory
//     as vegeta does; it ends the target); a blank line or the next
//     "METHOD URL" line ends a target; lines starting with '#' are
//     comments.
//   - json: one object per line, {"method", "url", "header": {name:
//     [values]}, "body": base64}; method and url are required, other
//     fields are refused (vegeta's lib/target.schema.json).
//
// Every target becomes an Endpoint of weight 1 named "METHOD path" (with
// " #2", " #3", … when the same request repeats). Every URL must be on the
// scheme, host and port of target (a URL that is a path, "/x", is taken
// on target): a load test sends only to the target the user named. URLs
// with user:password@ are refused (they would be printed and stored).
// Header values are never put in an error; those that look like
// credentials (Authorization, Cookie, names with token, key, secret,
// auth, session, password) are marked Secret, so headroom never shows
// them.
func ParseTargets(r io.Reader, file, format, target string, readFile func(string) ([]byte, error)) ([]Endpoint, error) {
	base, err := url.Parse(target)
	if err != nil || base.Host == "" {
		return nil, fmt.Errorf("the target must be an absolute URL, got %q", RedactURL(target))
	}
	p := &targetsParser{file: file, base: base, readFile: readFile, names: map[string]int{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), LimitBodyBytes*4/3+1<<16) // a JSON line carries its body in base64
	for sc.Scan() {
		p.line++
		text := sc.Bytes()
		if p.line == 1 {
			text = bytes.TrimPrefix(text, []byte("\xef\xbb\xbf")) // a UTF-8 byte-order mark
		}
		if err := p.feed(string(text), format); err != nil {
			return nil, err
		}
	}
	if err := sc.Err(); err != nil {
		return nil, &TargetsError{file, p.line + 1, err.Error()}
	}
	if err := p.flush(); err != nil {
		return nil, err
	}
	if len(p.eps) == 0 {
		return nil, &TargetsError{file, max(p.line, 1), "no targets in the file"}
	}
	return p.eps, nil
}

type targetsParser struct {
	file     string
	base     *url.URL
	readFile func(string) ([]byte, error)
	line     int
	format   string
	eps      []Endpoint
	names    map[string]int

	cur     *Endpoint // the http target being read
	curLine int
	done    bool // cur is complete (its body line came)
}

func (p *targetsParser) errf(line int, format string, args ...any) error {
	return &TargetsError{p.file, line, fmt.Sprintf(format, args...)}
}

// feed takes one line.
func (p *targetsParser) feed(raw, format string) error {
	line := strings.TrimSpace(raw)
	if p.format == "" {
		if line == "" || line[0] == '#' {
			return nil
		}
		switch format {
		case "":
			p.format = TargetsHTTP
			if line[0] == '{' {
				p.format = TargetsJSON
			}
		case TargetsHTTP, TargetsJSON:
			p.format = format
		default:
			return fmt.Errorf("the targets format must be %q or %q, got %q", TargetsHTTP, TargetsJSON, format)
		}
	}
	if p.format == TargetsJSON {
		if line == "" {
			return nil
		}
		return p.jsonLine(line)
	}
	return p.httpLine(line)
}

// httpLine reads one line of the http format.
func (p *targetsParser) httpLine(line string) error {
	switch {
	case line == "":
		return p.flush()
	case line[0] == '#':
		return nil
	case p.cur == nil || p.done || startsWithMethod(line):
		if err := p.flush(); err != nil {
			return err
		}
		method, u, ok := strings.Cut(line, " ")
		if !ok || !startsWithMethod(line) {
			return p.errf(p.line, "want a target line \"METHOD URL\" (for example \"GET http://host/path\"), got a line starting %q", firstWord(line))
		}
		p.cur, p.curLine, p.done = &Endpoint{Method: method, URL: strings.TrimSpace(u), Weight: 1}, p.line, false
		return nil
	case line[0] == '@':
		path := strings.TrimSpace(line[1:])
		if path == "" {
			return p.errf(p.line, "a body line is \"@path\" to a file; no path given")
		}
		b, err := p.readFile(path)
		if err != nil {
			return p.errf(p.line, "body: %v", err)
		}
		if len(b) > LimitBodyBytes {
			return p.errf(p.line, "body %s: %d bytes, more than the limit of %d", path, len(b), LimitBodyBytes)
		}
		p.cur.Body, p.done = b, true
		return nil
	}
	name, value, ok := strings.Cut(line, ":")
	name, value = strings.TrimSpace(name), strings.TrimSpace(value)
	if !ok || name == "" {
		return p.errf(p.line, "want a header line \"Name: value\", a body line \"@path\", or a blank line ending the target")
	}
	return p.header(p.cur, p.line, name, value)
}

// header adds a header to ep; errors name the header, never its value.
func (p *targetsParser) header(ep *Endpoint, line int, name, value string) error {
	if !httpguts.ValidHeaderFieldName(name) {
		return p.errf(line, "header %q: not a valid header name", clip(name))
	}
	if !httpguts.ValidHeaderFieldValue(value) {
		return p.errf(line, "header %q: the value holds a control character", name)
	}
	h := Header{Name: name, Value: value}
	if credentialHeader(name) {
		h.Secret, h.SecretSource = true, fmt.Sprintf("file:%s:%d", p.file, line)
	}
	ep.Header = append(ep.Header, h)
	return nil
}

// flush ends the http target being read.
func (p *targetsParser) flush() error {
	if p.cur == nil {
		return nil
	}
	ep := *p.cur
	p.cur = nil
	return p.add(ep, p.curLine)
}

// jsonTarget is one line of the json format (vegeta's lib/target.schema.json).
type jsonTarget struct {
	Method *string             `json:"method"`
	URL    *string             `json:"url"`
	Body   []byte              `json:"body"` // base64, as encoding/json reads []byte
	Header map[string][]string `json:"header"`
}

func (p *targetsParser) jsonLine(line string) error {
	dec := json.NewDecoder(strings.NewReader(line))
	dec.DisallowUnknownFields()
	var t jsonTarget
	if err := dec.Decode(&t); err != nil {
		return p.errf(p.line, "want one JSON object per line {\"method\", \"url\", \"header\", \"body\" (base64)}: %v", jsonMessage(err))
	}
	if dec.More() {
		return p.errf(p.line, "one JSON object per line: something follows the object")
	}
	if t.Method == nil || t.URL == nil {
		return p.errf(p.line, "\"method\" and \"url\" are required")
	}
	if len(t.Body) > LimitBodyBytes {
		return p.errf(p.line, "body: %d bytes, more than the limit of %d", len(t.Body), LimitBodyBytes)
	}
	ep := Endpoint{Method: *t.Method, URL: *t.URL, Body: t.Body, Weight: 1}
	names := make([]string, 0, len(t.Header))
	for n := range t.Header {
		names = append(names, n)
	}
	slices.Sort(names) // a map has no order; the file's is lost, keep a stable one
	for _, n := range names {
		for _, v := range t.Header[n] {
			if err := p.header(&ep, p.line, n, v); err != nil {
				return err
			}
		}
	}
	return p.add(ep, p.line)
}

// jsonMessage keeps a decoding error short and free of the line's text
// (a value may be a secret).
func jsonMessage(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("invalid JSON at byte %d", se.Offset)
	case errors.As(err, &te):
		return fmt.Sprintf("field %q must be %s", te.Field, te.Type)
	}
	if m := err.Error(); strings.HasPrefix(m, "json: unknown field") {
		return strings.TrimPrefix(m, "json: ")
	}
	return "invalid JSON"
}

// add checks a target and appends it.
func (p *targetsParser) add(ep Endpoint, line int) error {
	if !startsWithMethod(ep.Method + " ") {
		return p.errf(line, "method %q: want an upper-case HTTP method such as GET or POST", clip(ep.Method))
	}
	if _, _, _, ok := splitUserinfo(ep.URL); ok {
		return p.errf(line, "the URL %s carries credentials (user:password@): headroom prints and stores URLs; send them in a header instead", RedactURL(ep.URL))
	}
	u, err := url.Parse(ep.URL)
	if err != nil || (u.Host == "" && !strings.HasPrefix(ep.URL, "/")) {
		return p.errf(line, "the URL must be absolute (http://host/path) or a path on the target (/path), got %q", clip(ep.URL))
	}
	if u.Host == "" {
		u = p.base.ResolveReference(&url.URL{Path: u.Path, RawPath: u.RawPath, RawQuery: u.RawQuery})
		ep.URL = u.String()
	}
	if !SameOrigin(p.base, u) {
		return p.errf(line, "%s is not on the target %s://%s: a load test sends only to the target it names", RedactURL(ep.URL), p.base.Scheme, p.base.Host)
	}
	if len(p.eps) >= LimitEndpoints {
		return p.errf(line, "more than %d targets: every endpoint keeps its own histograms", LimitEndpoints)
	}
	name := ep.Method + " " + u.EscapedPath()
	if u.EscapedPath() == "" {
		name += "/"
	}
	p.names[name]++
	if n := p.names[name]; n > 1 {
		name = fmt.Sprintf("%s #%d", name, n)
	}
	ep.Name = name
	p.eps = append(p.eps, ep)
	return nil
}

// SameOrigin reports whether u is on the scheme, host and port of base (an
// omitted port is the scheme's default).
func SameOrigin(base, u *url.URL) bool {
	port := func(x *url.URL) string {
		if p := x.Port(); p != "" {
			return p
		}
		if strings.EqualFold(x.Scheme, "https") {
			return "443"
		}
		return "80"
	}
	return strings.EqualFold(base.Scheme, u.Scheme) && strings.EqualFold(base.Hostname(), u.Hostname()) && port(base) == port(u)
}

// startsWithMethod: the line's first word is upper-case ASCII letters
// followed by a space, as vegeta tells a target line from a header line.
func startsWithMethod(s string) bool {
	i := 0
	for i < len(s) && s[i] >= 'A' && s[i] <= 'Z' {
		i++
	}
	return i > 0 && i < len(s) && (s[i] == ' ' || s[i] == '\t')
}

// credentialHeader: a header whose value is likely a credential.
func credentialHeader(name string) bool {
	n := strings.ToLower(name)
	switch http.CanonicalHeaderKey(name) {
	case "Authorization", "Proxy-Authorization", "Cookie":
		return true
	}
	for _, w := range []string{"token", "key", "secret", "auth", "session", "password", "cookie", "signature", "credential"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

// firstWord is the start of a line up to a space or a colon, clipped: what
// an error may quote of a line that could hold a header's value.
func firstWord(s string) string {
	if i := strings.IndexAny(s, " \t:"); i >= 0 {
		s = s[:i]
	}
	if len(s) > 20 {
		s = s[:17] + "..."
	}
	return s
}

// clip shortens text quoted in an error.
func clip(s string) string {
	if len(s) > 80 {
		return s[:77] + "..."
	}
	return s
}
