package loadtest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func fakeFiles(files map[string]string) func(string) ([]byte, error) {
	return func(p string) ([]byte, error) {
		if b, ok := files[p]; ok {
			return []byte(b), nil
		}
		return nil, fmt.Errorf("open %s: %w", p, os.ErrNotExist)
	}
}

func TestParseTargets_HTTP(t *testing.T) {
	in := `# a comment
GET http://goku:9090/path/to/dragon?item=ball
HEAD http://goku:9090/path/to/success

GET http://goku:9090/path/to/dragon?item=ball
X-Account-ID: 8675309
# a comment inside a target
Authorization: Token DEADBEEF

POST http://goku:9090/things
X-Account-ID: 99
@/path/to/newthing.json
PATCH /thing/71988591
@/path/to/thing.json
`
	eps, err := ParseTargets(strings.NewReader(in), "t.txt", "", "http://goku:9090/", fakeFiles(map[string]string{
		"/path/to/newthing.json": `{"a":1}`, "/path/to/thing.json": `{"b":2}`}))
	if err != nil {
		t.Fatal(err)
	}
	want := []struct{ name, method, url, body string }{
		{"GET /path/to/dragon", "GET", "http://goku:9090/path/to/dragon?item=ball", ""},
		{"HEAD /path/to/success", "HEAD", "http://goku:9090/path/to/success", ""},
		{"GET /path/to/dragon #2", "GET", "http://goku:9090/path/to/dragon?item=ball", ""},
		{"POST /things", "POST", "http://goku:9090/things", `{"a":1}`},
		{"PATCH /thing/71988591", "PATCH", "http://goku:9090/thing/71988591", `{"b":2}`},
	}
	if len(eps) != len(want) {
		t.Fatalf("%d targets, want %d: %+v", len(eps), len(want), eps)
	}
	for i, w := range want {
		e := eps[i]
		if e.Name != w.name || e.Method != w.method || e.URL != w.url || string(e.Body) != w.body || e.Weight != 1 {
			t.Errorf("target %d: %+v, want %+v", i, e, w)
		}
	}
	h := eps[2].Header
	if len(h) != 2 || h[0].Name != "X-Account-ID" || h[0].Value != "8675309" || h[0].Secret ||
		h[1].Name != "Authorization" || h[1].Value != "Token DEADBEEF" || !h[1].Secret || h[1].SecretSource != "file:t.txt:8" {
		t.Errorf("headers %+v", h)
	}
	if d := h[1].Display(); d != "Authorization: <secret from file:t.txt:8>" {
		t.Errorf("display %q", d)
	}
}

func TestParseTargets_JSON(t *testing.T) {
	in := `{"method": "GET", "url": "https://api:8443/a"}

{"method": "POST", "url": "https://api:8443/b", "body": "UHVuY2gh", "header": {"Content-Type": ["text/plain"], "X-Api-Key": ["k1"]}}
`
	eps, err := ParseTargets(strings.NewReader(in), "t.json", "", "https://api:8443", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(eps) != 2 || eps[1].Method != "POST" || string(eps[1].Body) != "Punch!" || len(eps[1].Header) != 2 ||
		eps[1].Header[0].Name != "Content-Type" || eps[1].Header[1].Name != "X-Api-Key" || !eps[1].Header[1].Secret {
		t.Fatalf("%+v", eps)
	}
}

// TestParseTargets_Errors: each bad file fails with file:line and a cause,
// and never quotes a header's value.
func TestParseTargets_Errors(t *testing.T) {
	const secret = "hunter2-very-secret"
	tests := []struct {
		name, format, in, want string
	}{
		{"other host", "", "GET http://evil.example/\n", "t:1: http://evil.example/ is not on the target"},
		{"other port", "", "GET http://goku:1/\n", "t:1: http://goku:1/ is not on the target"},
		{"https vs http", "", "GET https://goku:9090/\n", "not on the target"},
		{"credentials", "", "GET http://u:" + secret + "@goku:9090/\n", "t:1: the URL http://u:xxxxx@goku:9090/ carries credentials"},
		{"header first", "", "Authorization: " + secret + "\n", `t:1: want a target line "METHOD URL" (for example "GET http://host/path"), got a line starting "Authorization"`},
		{"bad header", "", "GET http://goku:9090/\nX-Token " + secret + "\n", "t:2: want a header line"},
		{"header after body", "", "POST http://goku:9090/\n@b\nX-Token: " + secret + "\n", "t:3: want a target line"},
		{"missing body", "", "POST http://goku:9090/\n\n\n@nope\n", "t:4: want a target line"},
		{"body file", "", "POST http://goku:9090/\n@nope\n", "t:2: body: open nope"},
		{"relative url", "", "GET goku:9090/x\n", "t:1: the URL must be absolute"},
		{"lower method", "", "get http://goku:9090/\n", "t:1: want a target line"},
		{"empty", "", "# nothing\n\n", "t:2: no targets in the file"},
		{"json syntax", "json", `{"method": "GET", "url": "http://goku:9090/", "header": {"X-Token": ["` + secret + `"]}` + "\n", "t:1: want one JSON object per line"},
		{"json unknown", "json", `{"method": "GET", "url": "http://goku:9090/", "hedaer": {}}` + "\n", `unknown field "hedaer"`},
		{"json missing", "json", `{"url": "http://goku:9090/"}` + "\n", `t:1: "method" and "url" are required`},
		{"json body", "json", `{"method": "POST", "url": "http://goku:9090/", "body": "not base64!"}` + "\n", "t:1: want one JSON object"},
		{"json header newline", "json", `{"method": "GET", "url": "http://goku:9090/", "header": {"X-Token": ["a\r\nb` + secret + `"]}}` + "\n", `t:1: header "X-Token": the value holds a control character`},
		{"json trailing", "json", `{"method": "GET", "url": "http://goku:9090/"} {}` + "\n", "something follows"},
		{"format", "yaml", "GET http://goku:9090/\n", "the targets format must be"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseTargets(strings.NewReader(tc.in), "t", tc.format, "http://goku:9090/", fakeFiles(map[string]string{"b": "x"}))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("the error shows a header value: %v", err)
			}
		})
	}
	var many strings.Builder
	for i := range LimitEndpoints + 1 {
		fmt.Fprintf(&many, "GET http://goku:9090/%d\n", i)
	}
	_, err := ParseTargets(strings.NewReader(many.String()), "t", "", "http://goku:9090/", nil)
	var te *TargetsError
	if !errors.As(err, &te) || te.Line != LimitEndpoints+1 {
		t.Errorf("too many targets: %v", err)
	}
}

func TestReadTargetsFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "targets.txt")
	os.WriteFile(p, []byte("GET /health\n"), 0o600)
	eps, err := ReadTargetsFile(p, "", "http://127.0.0.1:8080/base")
	if err != nil || len(eps) != 1 || eps[0].URL != "http://127.0.0.1:8080/health" {
		t.Fatalf("%+v %v", eps, err)
	}
	if _, err := ReadTargetsFile(filepath.Join(dir, "nope"), "", "http://x/"); err == nil || !strings.Contains(err.Error(), "--targets") {
		t.Errorf("missing file: %v", err)
	}
}

// FuzzParseTargets: any input parses or fails with a *TargetsError (or
// the format error), never panics, and what parses is a mix the engine
// accepts: named uniquely, weight 1, on the target host.
func FuzzParseTargets(f *testing.F) {
	for _, s := range []string{
		"GET http://goku:9090/a\nX-A: 1\n\nPOST /b\n@body\n",
		"# c\nHEAD http://goku:9090/\n",
		`{"method":"GET","url":"http://goku:9090/x","header":{"A":["b"]},"body":"eA=="}` + "\n",
		"GET http://goku:9090/a\nGET http://goku:9090/a\n",
		"\xef\xbb\xbfGET /\n",
		"PUT http://u:p@goku:9090/\n",
	} {
		f.Add(s, "")
		f.Add(s, "json")
	}
	read := fakeFiles(map[string]string{"body": "payload"})
	f.Fuzz(func(t *testing.T, in, format string) {
		eps, err := ParseTargets(strings.NewReader(in), "f", format, "http://goku:9090/", read)
		if err != nil {
			var te *TargetsError
			if !errors.As(err, &te) && !strings.Contains(err.Error(), "targets format") {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		names := map[string]bool{}
		for _, e := range eps {
			if e.Name == "" || names[e.Name] || e.Weight != 1 || !strings.HasPrefix(e.URL, "http://goku:9090/") {
				t.Fatalf("bad endpoint %+v", e)
			}
			names[e.Name] = true
		}
	})
}
