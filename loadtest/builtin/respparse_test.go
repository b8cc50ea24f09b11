package builtin

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
)

// parseAll runs the parser over in, fed in pieces of at most step bytes.
// used is where the response ended.
func parseAll(in []byte, head bool, step int) (p respParser, used int, err error) {
	p.reset(head)
	if step <= 0 {
		step = 1
	}
	for off := 0; off < len(in); {
		end := min(off+step, len(in))
		n, done, err := p.feed(in[off:end])
		if err != nil {
			return p, 0, err
		}
		if done {
			return p, off + n, nil
		}
		off += n
	}
	done, err := p.eof()
	if err == nil && !done {
		err = errors.New("not done at EOF")
	}
	return p, len(in), err
}

// goResponse is what net/http makes of in, skipping interim 1xx responses
// as its Transport does.
func goResponse(in []byte, head bool) (status int, body int64, reusable bool, used int, err error) {
	r := bytes.NewReader(in)
	br := bufio.NewReader(r)
	req := &http.Request{Method: http.MethodGet}
	if head {
		req.Method = http.MethodHead
	}
	for {
		resp, err := http.ReadResponse(br, req)
		if err != nil {
			return 0, 0, false, 0, err
		}
		if resp.StatusCode >= 100 && resp.StatusCode < 200 && resp.StatusCode != 101 {
			continue
		}
		n, err := io.Copy(io.Discard, resp.Body)
		if err != nil {
			return 0, 0, false, 0, err
		}
		return resp.StatusCode, n, !resp.Close, len(in) - r.Len() - br.Buffered(), nil
	}
}

func TestRespParser(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		head     bool
		status   int
		body     int64
		reusable bool
		errPart  string
	}{
		{"content-length", "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n", false, 200, 3, true, ""},
		{"LF line ends", "HTTP/1.1 200 OK\nContent-Length: 2\n\nok", false, 200, 2, true, ""},
		{"no reason phrase", "HTTP/1.1 404\r\nContent-Length: 0\r\n\r\n", false, 404, 0, true, ""},
		{"chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\nA\r\n0123456789\r\n0\r\nX-Trailer: y\r\n\r\n", false, 200, 15, true, ""},
		{"connection close", "HTTP/1.1 200 OK\r\nConnection: keep-alive, Close\r\nContent-Length: 1\r\n\r\nx", false, 200, 1, false, ""},
		{"until EOF", "HTTP/1.1 200 OK\r\n\r\nabcdef", false, 200, 6, false, ""},
		{"HTTP/1.0 closes", "HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx", false, 200, 1, false, ""},
		{"HTTP/1.0 keep-alive", "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\nx", false, 200, 1, true, ""},
		{"HTTP/1.0 ignores TE", "HTTP/1.0 200 OK\r\nTransfer-Encoding: gzip\r\nContent-Length: 1\r\n\r\nx", false, 200, 1, false, ""},
		{"HEAD has no body", "HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n", true, 200, 0, true, ""},
		{"204 has no body", "HTTP/1.1 204 No Content\r\nContent-Length: 99\r\n\r\n", false, 204, 0, true, ""},
		{"interim 103 skipped", "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", false, 200, 2, true, ""},
		{"folded header", "HTTP/1.1 200 OK\r\nX-A: one\r\n two\r\nContent-Length: 1\r\n\r\nx", false, 200, 1, true, ""},
		{"repeated equal lengths", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx", false, 200, 1, true, ""},
		{"conflicting lengths", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nx", false, 0, 0, false, "conflicting Content-Length"},
		{"bad length", "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", false, 0, 0, false, "bad Content-Length"},
		{"gzip transfer coding", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", false, 0, 0, false, "unsupported transfer encoding"},
		{"two transfer codings", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", false, 0, 0, false, "too many transfer encodings"},
		{"bare LF in chunk line", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\nx\r\n0\r\n\r\n", false, 0, 0, false, "bare LF"},
		{"no CRLF after chunk", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nxy0\r\n\r\n", false, 0, 0, false, "no CRLF after a chunk"},
		{"bad chunk size", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", false, 0, 0, false, "chunk size"},
		{"switching protocols", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n", false, 0, 0, false, "switched protocols"},
		{"HTTP/2 text", "HTTP/2.0 200 OK\r\n\r\n", false, 0, 0, false, "malformed HTTP version"},
		{"two-digit status", "HTTP/1.1 99 OK\r\n\r\n", false, 0, 0, false, "malformed HTTP status code"},
		{"not HTTP", "SSH-2.0-OpenSSH_9.6\r\n", false, 0, 0, false, "malformed HTTP"},
		{"header without colon", "HTTP/1.1 200 OK\r\nContent-Length 1\r\n\r\nx", false, 0, 0, false, "malformed MIME header"},
		{"space before colon: not a Content-Length", "HTTP/1.1 200 OK\r\nContent-Length : 1\r\n\r\nx", false, 200, 1, false, ""},
		{"slash in a name", "HTTP/1.1 200 OK\r\nContent/Length: 1\r\n\r\nx", false, 0, 0, false, "malformed MIME header"},
		{"control byte in a value", "HTTP/1.1 200 OK\r\nX: a\x01b\r\n\r\n", false, 0, 0, false, "malformed MIME header"},
		{"folded field without a colon", "HTTP/1.1 200 OK\r\nX\r\n :y\r\nContent-Length: 0\r\n\r\n", false, 0, 0, false, "missing colon"},
		{"long Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: 000000000000000000000000001\r\n\r\nx", false, 200, 1, true, ""},
		{"chunk line of 4094 bytes", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;" + strings.Repeat("e", 4092) + "\r\nx\r\n0\r\n\r\n", false, 200, 1, true, ""},
		{"chunk line of 4095 bytes", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;" + strings.Repeat("e", 4093) + "\r\nx\r\n0\r\n\r\n", false, 0, 0, false, "chunk line too long"},
		{"closed before a response", "", false, 0, 0, false, "before a response"},
		{"closed in the body", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab", false, 0, 0, false, "middle of the response"},
		{"endless head", "HTTP/1.1 200 OK\r\nX: " + strings.Repeat("a", 70<<10), false, 0, 0, false, "64 KiB"},
	}
	for _, tc := range tests {
		for _, step := range []int{1, 7, 1 << 20} {
			p, _, err := parseAll([]byte(tc.in), tc.head, step)
			if tc.errPart != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errPart) {
					t.Errorf("%s (step %d): error %v, want one with %q", tc.name, step, err, tc.errPart)
				}
				continue
			}
			if err != nil {
				t.Errorf("%s (step %d): %v", tc.name, step, err)
				continue
			}
			if p.status != tc.status || p.bodyBytes != tc.body || p.reusable() != tc.reusable {
				t.Errorf("%s (step %d): status %d, body %d, reusable %v; want %d, %d, %v",
					tc.name, step, p.status, p.bodyBytes, p.reusable(), tc.status, tc.body, tc.reusable)
			}
		}
		// The table is net/http's reading too, except where the parser
		// is stricter on purpose.
		if tc.name == "switching protocols" || tc.name == "HTTP/2 text" || tc.name == "two-digit status" || tc.name == "endless head" {
			continue
		}
		st, body, reuse, _, err := goResponse([]byte(tc.in), tc.head)
		if (err != nil) != (tc.errPart != "") || err == nil && (st != tc.status || body != tc.body || reuse != tc.reusable) {
			t.Errorf("%s: net/http reads status %d, body %d, reusable %v, error %v", tc.name, st, body, reuse, err)
		}
	}
}

// TestRespParser_NoAllocs: a kept-alive response costs no allocation.
func TestRespParser_NoAllocs(t *testing.T) {
	in := []byte("HTTP/1.1 200 OK\r\nDate: Fri, 27 Nov 2026 12:00:00 GMT\r\nContent-Length: 3\r\nContent-Type: text/plain\r\n\r\nok\n")
	var p respParser
	allocs := testing.AllocsPerRun(100, func() {
		p.reset(false)
		if _, done, err := p.feed(in); !done || err != nil {
			t.Fatal(done, err)
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per response, want 0", allocs)
	}
}

// stricterOnPurpose says whether in is a response the parser refuses and
// net/http reads, for a reason the parser's comment names: a version other
// than HTTP/1.x, a status code not three digits from 100, 101, a trailer
// section ending in a bare LF, or limits that differ.
func stricterOnPurpose(in []byte, err error) bool {
	if strings.Contains(err.Error(), "trailer section") || errors.Is(err, errResponseHead) {
		return true
	}
	for len(in) > 0 {
		line, rest, _ := bytes.Cut(in, []byte("\n"))
		line = bytes.TrimSuffix(line, []byte("\r"))
		proto, after, _ := bytes.Cut(line, []byte(" "))
		code, _, _ := bytes.Cut(bytes.TrimLeft(after, " "), []byte(" "))
		if !bytes.HasPrefix(proto, []byte("HTTP/1.")) || len(proto) != 8 {
			return true
		}
		if len(code) == 3 && (code[0] < '1' || code[0] > '9' || string(code) == "101") {
			return true
		}
		if len(code) == 3 && code[0] == '1' {
			// An interim response: the next head follows its first
			// empty line.
			for {
				var l []byte
				var ok bool
				l, rest, ok = bytes.Cut(rest, []byte("\n"))
				if !ok {
					return false
				}
				if len(bytes.TrimSuffix(l, []byte("\r"))) == 0 {
					break
				}
			}
			in = rest
			continue
		}
		return false
	}
	return false
}

// FuzzRespParser holds the parser against net/http's reading of the same
// bytes, fed whole and in pieces.
func FuzzRespParser(f *testing.F) {
	for _, s := range []string{
		"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X\r\n\r\n5;ext=1\r\nhello\r\n0\r\nX: y\r\n\r\n",
		"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\r\nbody",
		"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\nX-A: a\r\n b\r\n\r\n",
		"HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n",
		"HTTP/1.1 200 OK\nContent-Length: 1\nContent-Length: 1\n\nx",
	} {
		f.Add([]byte(s), false, uint8(0))
		f.Add([]byte(s), true, uint8(3))
	}
	f.Fuzz(func(t *testing.T, in []byte, head bool, step uint8) {
		p, used, err := parseAll(in, head, int(step))
		whole, usedWhole, errWhole := parseAll(in, head, len(in)+1)
		if (err == nil) != (errWhole == nil) || err == nil && (p.status != whole.status || p.bodyBytes != whole.bodyBytes || p.reusable() != whole.reusable() || used != usedWhole) {
			t.Fatalf("in pieces of %d: %d %d %v %v; whole: %d %d %v %v", step,
				p.status, p.bodyBytes, p.reusable(), err, whole.status, whole.bodyBytes, whole.reusable(), errWhole)
		}
		st, body, reuse, goUsed, goErr := goResponse(in, head)
		switch {
		case err == nil && goErr == nil:
			// Where the response ends matters most: the next answer on
			// a kept-alive connection starts there.
			if p.status != st || p.bodyBytes != body || p.reusable() != reuse || used != goUsed {
				t.Fatalf("parser: status %d, body %d, reusable %v, ends at %d; net/http: %d, %d, %v, %d",
					p.status, p.bodyBytes, p.reusable(), used, st, body, reuse, goUsed)
			}
		case err != nil && goErr == nil:
			if !stricterOnPurpose(in, err) {
				t.Fatalf("parser refused what net/http read (status %d, body %d): %v", st, body, err)
			}
		case err == nil && goErr != nil:
			t.Fatalf("parser read status %d, body %d; net/http refused it: %v", p.status, p.bodyBytes, goErr)
		}
	})
}

func BenchmarkRespParser(b *testing.B) {
	in := []byte("HTTP/1.1 200 OK\r\nDate: Fri, 27 Nov 2026 12:00:00 GMT\r\nContent-Length: 3\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nok\n")
	var p respParser
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		p.reset(false)
		p.feed(in)
	}
}
