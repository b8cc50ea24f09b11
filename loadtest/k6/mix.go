package k6

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/headroom-dev/headroom/loadtest"
)

// k6TagEndpoint is the tag every request of a mix carries with its
// endpoint's name (k6 docs: Tags and Groups, user-defined tags), which
// the NDJSON reader aggregates by and the per-endpoint thresholds select
// ('http_req_duration{endpoint:read}').
const k6TagEndpoint = "endpoint"

// SecretEnv is the environment variable a generated script reads a secret
// header from (__ENV.NAME): the variable's own name for a header from
// "env:NAME", else HEADROOM_SECRET_<ENDPOINT>_<HEADER> (upper case, other
// characters '_') for one from a file, which the k6 engine sets from the
// file when it starts k6 (and a k6-operator run reads from a Secret).
func SecretEnv(endpoint string, h loadtest.Header) string {
	if name, ok := strings.CutPrefix(h.SecretSource, "env:"); ok {
		return name
	}
	up := func(s string) string {
		return strings.Map(func(r rune) rune {
			switch {
			case r >= 'a' && r <= 'z':
				return r - 'a' + 'A'
			case r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
				return r
			}
			return '_'
		}, s)
	}
	return "HEADROOM_SECRET_" + up(endpoint) + "_" + up(h.Name)
}

// SecretEnvs are the NAME=value pairs of a mix's secret headers, one per
// variable, sorted, for the environment of the k6 process: never on its
// command line, which other users of the machine can read.
func SecretEnvs(eps []loadtest.Endpoint) []string {
	seen := map[string]bool{}
	var out []string
	for _, e := range eps {
		for _, h := range e.Header {
			if !h.Secret || h.Value == "" {
				continue
			}
			n := SecretEnv(e.Name, h)
			if !seen[n] {
				seen[n] = true
				out = append(out, n+"="+h.Value)
			}
		}
	}
	sort.Strings(out)
	return out
}

// SecretEnvNames are the variables a mix's script reads secrets from, sorted.
func SecretEnvNames(eps []loadtest.Endpoint) []string { return secretEnvNames(eps) }

// secretEnvNames are the variables a mix's script reads, sorted.
func secretEnvNames(eps []loadtest.Endpoint) []string {
	seen := map[string]bool{}
	var out []string
	for _, e := range eps {
		for _, h := range e.Header {
			if n := SecretEnv(e.Name, h); h.Secret && !seen[n] {
				seen[n] = true
				out = append(out, n)
			}
		}
	}
	sort.Strings(out)
	return out
}

// validateMix checks the endpoints of a mix can be written as a script.
func validateMix(eps []loadtest.Endpoint) error {
	names := map[string]bool{}
	envs := map[string]string{}
	for i, e := range eps {
		switch {
		case e.Name == "" || strings.ContainsAny(e.Name, ",:{}\"'\\\n"):
			return fmt.Errorf("endpoint %d: name %q cannot be a k6 tag value in a threshold", i, e.Name)
		case names[e.Name]:
			return fmt.Errorf("endpoint %q: duplicate name", e.Name)
		case !(e.Weight > 0):
			return fmt.Errorf("endpoint %q: weight %v must be above 0", e.Name, e.Weight)
		}
		names[e.Name] = true
		if err := checkTarget(e.URL); err != nil {
			return fmt.Errorf("endpoint %q: %w", e.Name, err)
		}
		if !utf8.Valid(e.Body) {
			return fmt.Errorf("endpoint %q: the body is not UTF-8 text, which a generated script cannot carry", e.Name)
		}
		for _, h := range e.Header {
			if !h.Secret {
				continue
			}
			if !strings.HasPrefix(h.SecretSource, "env:") && !strings.HasPrefix(h.SecretSource, "file:") {
				return fmt.Errorf("endpoint %q: header %s: secret source %q is neither env:NAME nor file:PATH", e.Name, h.Name, h.SecretSource)
			}
			n := SecretEnv(e.Name, h)
			if src, ok := envs[n]; ok && src != h.SecretSource {
				return fmt.Errorf("endpoint %q: header %s: two secrets would share the variable %s", e.Name, h.Name, n)
			}
			envs[n] = h.SecretSource
		}
	}
	return nil
}

// renderMixConsts writes the ENDPOINTS table and the cumulative shares a
// mix's default function picks from. A secret header's value is written as
// __ENV.NAME, never as itself.
func (s *Script) renderMixConsts(p func(string, ...any)) {
	total := 0.0
	for _, e := range s.Endpoints {
		total += e.Weight
	}
	p("\n// The request mix: each iteration picks one endpoint with probability weight / Σ weight.\n")
	if names := secretEnvNames(s.Endpoints); len(names) > 0 {
		p("// Secret headers are read from the environment (__ENV), never written here: set %s\n", strings.Join(names, ", "))
		p("// in k6's environment (headroom's k6 engine does; with the k6-operator, from a Secret).\n")
	}
	p("const ENDPOINTS = [\n")
	for _, e := range s.Endpoints {
		method := strings.ToUpper(e.Method)
		if method == "" {
			method = "GET"
		}
		body := "null"
		if e.Body != nil {
			body = jsString(string(e.Body))
		}
		var hs []string
		for _, h := range e.Header {
			v := jsString(h.Value)
			if h.Secret {
				v = "__ENV." + SecretEnv(e.Name, h)
			}
			hs = append(hs, jsString(h.Name)+": "+v)
		}
		p("  { method: %s, url: %s, body: %s,\n", jsString(method), jsString(e.URL), body)
		p("    params: { timeout: %s, tags: { name: %s, %s: %s }, headers: { %s } } },\n",
			jsString(k6Duration(s.Timeout)), jsString(method+" "+e.URL), k6TagEndpoint, jsString(e.Name), strings.Join(hs, ", "))
	}
	p("];\n")
	acc := 0.0
	cum := make([]string, len(s.Endpoints))
	for i, e := range s.Endpoints {
		acc += e.Weight
		cum[i] = strconv.FormatFloat(acc/total, 'g', -1, 64)
	}
	cum[len(cum)-1] = "1"
	p("const CUMULATIVE = [%s];\n", strings.Join(cum, ", "))
}

// renderMixThresholds writes a threshold per endpoint: the service's SLO
// on each endpoint's tagged submetric, so a run says which endpoint
// missed it.
func (s *Script) renderMixThresholds(p func(string, ...any)) {
	for _, e := range s.Endpoints {
		tag := "{" + k6TagEndpoint + ":" + e.Name + "}"
		if s.LatencyQuantile > 0 {
			q := strconv.FormatFloat(s.LatencyQuantile*100, 'f', -1, 64)
			p("    %s: [%s],\n", jsString("http_req_duration"+tag), jsString(fmt.Sprintf("p(%s)<%s", q, fmtNum(s.LatencyTarget*1000))))
		}
		if s.ErrorRate > 0 {
			p("    %s: [%s],\n", jsString("http_req_failed"+tag), jsString("rate<"+strconv.FormatFloat(s.ErrorRate, 'f', -1, 64)))
		}
	}
}

// renderMixRequest writes the default function's request of a mix.
func (s *Script) renderMixRequest(p func(string, ...any)) {
	p("  const u = Math.random();\n")
	p("  let i = 0;\n")
	p("  while (i < CUMULATIVE.length - 1 && u >= CUMULATIVE[i]) { i++; }\n")
	p("  const e = ENDPOINTS[i];\n")
	p("  const res = http.request(e.method, e.url, e.body, e.params);\n")
}
