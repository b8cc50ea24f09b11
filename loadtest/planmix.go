package loadtest

import (
	"bytes"
	"fmt"
	"net/url"

	"path/filepath"
	"strings"

	"github.com/headroom-dev/headroom/scenarios"
)

// Bounds of what PlanEndpoints reads from files.
const (
	// MaxBodyFileBytes bounds an endpoint's bodyFile.
	MaxBodyFileBytes = 16 << 20
	// MaxSecretFileBytes bounds a header's valueFrom file.
	MaxSecretFileBytes = 64 << 10
)

// PlanDir is the directory a plan's relative bodyFile and valueFrom.file
// paths are read from: the plan file's, or the working directory for a
// plan read from standard input or built in code.
func PlanDir(p *scenarios.Plan) string {
	if f := p.File(); f != "" && f != "<stdin>" {
		return filepath.Dir(f)
	}
	return "."
}

// PlanEndpoints turns a plan service's endpoints into the request mix of
// a run against base, a base URL: an endpoint's URL is base (without its
// trailing '/') followed by the endpoint's path. It reads, now, what the
// plan leaves to run time: a bodyFile and a valueFrom.file relative to dir
// (PlanDir), a valueFrom.env from lookup (os.LookupEnv). A header read
// from either is Secret, with SecretSource "env:NAME" or "file:PATH" (PATH
// as the plan writes it); no error quotes a secret's value. A nil lookup
// reads no secret at all (Value stays ""), for a generated script that
// reads them itself at run time. A service without endpoints returns nil.
func PlanEndpoints(svc *scenarios.Service, base, dir string, lookup func(string) (string, bool)) ([]Endpoint, error) {
	if len(svc.Endpoints) == 0 {
		return nil, nil
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("the base URL of service %s's endpoints must be an http:// or https:// URL with a host, got %q", svc.Name, RedactURL(base))
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("the base URL %s of service %s's endpoints must have no query or fragment: each endpoint's path is appended to it", RedactURL(base), svc.Name)
	}
	if err := checkCredentials(base); err != nil {
		return nil, err
	}
	root := strings.TrimRight(base, "/")
	out := make([]Endpoint, len(svc.Endpoints))
	for i := range svc.Endpoints {
		e := &svc.Endpoints[i]
		at := fmt.Sprintf("service %s, endpoint %s", svc.Name, e.Name)
		ep := Endpoint{Name: e.Name, Method: e.EndpointMethod(), URL: root + e.Path, Weight: e.Weight}
		switch {
		case e.BodyFile != "":
			_, b, err := scenarios.ReadFile("body file", resolve(dir, e.BodyFile), nil, MaxBodyFileBytes)
			if err != nil {
				return nil, fmt.Errorf("%s: bodyFile: %w", at, err)
			}
			ep.Body = b
		case e.Body != "":
			ep.Body = []byte(e.Body)
		}
		for _, h := range e.Headers {
			hd, err := planHeader(h, dir, lookup)
			if err != nil {
				return nil, fmt.Errorf("%s: header %s: %w", at, h.Name, err)
			}
			ep.Header = append(ep.Header, hd)
		}
		out[i] = ep
	}
	return out, nil
}

// planHeader resolves one header; errors name the source, never the value.
func planHeader(h scenarios.EndpointHeader, dir string, lookup func(string) (string, bool)) (Header, error) {
	f := h.ValueFrom
	if f == nil {
		return Header{Name: h.Name, Value: h.Value}, nil
	}
	hd := Header{Name: h.Name, Secret: true}
	if lookup == nil {
		hd.SecretSource = "env:" + f.Env
		if f.File != "" {
			hd.SecretSource = "file:" + f.File
		}
		return hd, nil
	}
	switch {
	case f.Env != "":
		hd.SecretSource = "env:" + f.Env
		v, ok := lookup(f.Env)
		if !ok || v == "" {
			return hd, fmt.Errorf("environment variable %s is not set (or empty); export it before the run", f.Env)
		}
		hd.Value = v
	case f.File != "":
		hd.SecretSource = "file:" + f.File
		_, b, err := scenarios.ReadFile("secret file", resolve(dir, f.File), nil, MaxSecretFileBytes)
		if err != nil {
			return hd, err
		}
		b = bytes.TrimRight(b, "\r\n")
		if len(b) == 0 {
			return hd, fmt.Errorf("secret file %s is empty", f.File)
		}
		hd.Value = string(b)
	default:
		return hd, fmt.Errorf("valueFrom gives neither env nor file")
	}
	if strings.ContainsAny(hd.Value, "\r\n\x00") {
		return hd, fmt.Errorf("the value from %s holds a line break or NUL, which a header cannot carry", hd.SecretSource)
	}
	return hd, nil
}

func resolve(dir, p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(dir, p)
}

// SecretValues are the values of a mix's secret headers, for a caller that
// checks an output holds none of them.
func SecretValues(eps []Endpoint) []string {
	var out []string
	for _, e := range eps {
		for _, h := range e.Header {
			if h.Secret {
				out = append(out, h.Value)
			}
		}
	}
	return out
}

// DescribeMix writes a mix one endpoint a line, for the line printed
// before a run: name, method, URL, share, and header names with a secret's
// source in place of its value.
func DescribeMix(eps []Endpoint) string {
	total := 0.0
	for _, e := range eps {
		total += e.Weight
	}
	var b strings.Builder
	for _, e := range eps {
		m := e.Method
		if m == "" {
			m = "GET"
		}
		path := "?"
		if u, err := url.Parse(e.URL); err == nil {
			path = u.EscapedPath() // the query may carry a token
		}
		fmt.Fprintf(&b, "  %-16s %5.1f %%  %s %s", e.Name, 100*e.Weight/total, m, path)
		for _, h := range e.Header {
			b.WriteString("  " + h.Display())
		}
		if len(e.Body) > 0 {
			fmt.Fprintf(&b, "  body %d bytes", len(e.Body))
		}
		b.WriteByte('\n')
	}
	return b.String()
}
