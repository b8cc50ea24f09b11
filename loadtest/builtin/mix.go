package builtin

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/net/http/httpguts"

	"github.com/headroom-dev/headroom/loadtest"
)

// request is one endpoint of a run, prepared once: the bytes the raw
// sender and the event loop write, and what net/http needs.
type request struct {
	name, method, url string
	header            http.Header // for net/http (Host travels in host)
	host              string      // a Host header's value, "" for the URL's
	body              []byte
	raw               []byte // the request serialised as HTTP/1.1
	head, idempotent  bool
}

// buildRequests prepares the run's requests: spec.Endpoints in order, or
// the one request of spec.Method to spec.Target. Every endpoint must be on
// the target's scheme, host and port: the engine connects to that one
// address, and a load test hits only the target the user named.
func buildRequests(spec loadtest.RunSpec, method string) ([]request, error) {
	if len(spec.Endpoints) == 0 {
		r, err := newRequest("", method, spec.Target, nil, nil)
		if err != nil {
			return nil, err
		}
		return []request{r}, nil
	}
	base, err := url.Parse(spec.Target)
	if err != nil {
		return nil, err
	}
	if len(spec.Endpoints) > loadtest.LimitEndpoints {
		return nil, fmt.Errorf("%d endpoints: at most %d (each keeps its own histograms)", len(spec.Endpoints), loadtest.LimitEndpoints)
	}
	seen := make(map[string]bool, len(spec.Endpoints))
	reqs := make([]request, 0, len(spec.Endpoints))
	for i, ep := range spec.Endpoints {
		where := fmt.Sprintf("endpoint %d (%q)", i+1, ep.Name)
		switch {
		case ep.Name == "":
			return nil, fmt.Errorf("endpoint %d: a name is required", i+1)
		case seen[ep.Name]:
			return nil, fmt.Errorf("%s: the name is used twice", where)
		case !(ep.Weight > 0) || math.IsInf(ep.Weight, 1):
			return nil, fmt.Errorf("%s: weight must be a positive number, got %v", where, ep.Weight)
		}
		seen[ep.Name] = true
		u, err := url.Parse(ep.URL)
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("%s: the URL must be absolute, got %q", where, loadtest.RedactURL(ep.URL))
		}
		if !loadtest.SameOrigin(base, u) {
			return nil, fmt.Errorf("%s: %s is not on the target %s://%s: a load test sends only to the target it names",
				where, loadtest.RedactURL(ep.URL), base.Scheme, base.Host)
		}
		m := ep.Method
		if m == "" {
			m = http.MethodGet
		}
		r, err := newRequest(ep.Name, m, ep.URL, ep.Header, ep.Body)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		reqs = append(reqs, r)
	}
	return reqs, nil
}

// newRequest serialises one request. Header errors name the header, never
// its value (it may be a secret).
func newRequest(name, method, target string, hs []loadtest.Header, body []byte) (request, error) {
	if !httpguts.ValidHeaderFieldName(method) {
		return request{}, fmt.Errorf("the method %q is not an HTTP token", method)
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, target, rd)
	if err != nil {
		return request{}, err
	}
	if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
		return request{}, fmt.Errorf("the scheme must be http or https")
	}
	req.Header.Set("User-Agent", "headroom-loadtest")
	r := request{name: name, method: method, url: target, body: body,
		head: method == http.MethodHead, idempotent: idempotent(method)}
	for _, h := range hs {
		if !httpguts.ValidHeaderFieldName(h.Name) {
			return request{}, fmt.Errorf("header %q: not a valid header name", h.Name)
		}
		if !httpguts.ValidHeaderFieldValue(h.Value) {
			return request{}, fmt.Errorf("header %q: the value holds a control character (a newline?)", h.Name)
		}
		switch http.CanonicalHeaderKey(h.Name) {
		case "Host":
			req.Host, r.host = h.Value, h.Value
		case "Content-Length", "Transfer-Encoding", "Connection", "Upgrade", "Te", "Trailer":
			return request{}, fmt.Errorf("header %q: the engine sets the message framing and connection headers itself", h.Name)
		default:
			req.Header.Add(h.Name, h.Value)
		}
	}
	r.header = req.Header.Clone()
	var buf bytes.Buffer
	if err := req.Write(&buf); err != nil {
		return request{}, err
	}
	r.raw = buf.Bytes()
	return r, nil
}

// netHTTPRequest builds the request for net/http's client.
func (r *request) netHTTPRequest(ctx context.Context) (*http.Request, error) {
	var rd io.Reader
	if r.body != nil {
		rd = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, r.url, rd)
	if err != nil {
		return nil, err
	}
	req.Header = r.header // read-only: a RoundTripper must not change it
	if r.host != "" {
		req.Host = r.host
	}
	return req, nil
}

// picker draws each arrival's endpoint: P(k) = w_k / Σ w from its own
// seeded stream (PCG, seed and a stream constant of its own, so the
// arrival times are those of a run without a mix), one draw per arrival in
// arrival order, dropped arrivals included: the sequence of endpoints is a
// function of the seed alone, whichever sender plays it.
type picker struct {
	rng   *rand.Rand
	cum   []float64 // cumulative weights
	equal bool
}

// newPicker returns nil for a run of one request: no draw at all.
func newPicker(eps []loadtest.Endpoint, seed int64) *picker {
	if len(eps) < 2 {
		return nil
	}
	p := &picker{rng: rand.New(rand.NewPCG(uint64(seed), 0x6d69787069636b)), equal: true}
	var sum float64
	for _, e := range eps {
		sum += e.Weight
		p.cum = append(p.cum, sum)
		if e.Weight != eps[0].Weight {
			p.equal = false
		}
	}
	return p
}

// pick returns the next arrival's endpoint.
func (p *picker) pick() int {
	if p == nil {
		return 0
	}
	n := len(p.cum)
	if p.equal {
		return p.rng.IntN(n)
	}
	u := p.rng.Float64() * p.cum[n-1]
	lo, hi := 0, n-1 // the least i with u < cum[i]
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if u < p.cum[mid] {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}

// httpClass is the error class of an HTTP status of 400 or more.
func httpClass(status int) string {
	switch status {
	case 500:
		return "http_500"
	case 503:
		return "http_503"
	}
	return "http_" + strconv.Itoa(status)
}

// classify names the cause of a failed request (loadtest.Error*): the
// first that matches of timeout, DNS, TLS, connection refused, connection
// reset (a reset, a broken pipe, or the connection closed before any byte
// of the answer), else other.
func classify(err error) string {
	var dns *net.DNSError
	var rh tls.RecordHeaderError
	var alert tls.AlertError
	var verr *tls.CertificateVerificationError
	var ua x509.UnknownAuthorityError
	var he x509.HostnameError
	var ci x509.CertificateInvalidError
	switch {
	case err == nil:
		return ""
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		return loadtest.ErrorTimeout
	case errors.As(err, &dns):
		return loadtest.ErrorDNS
	case errors.As(err, &rh) || errors.As(err, &alert) || errors.As(err, &verr) ||
		errors.As(err, &ua) || errors.As(err, &he) || errors.As(err, &ci) || isTLSMessage(err):
		return loadtest.ErrorTLS
	case errors.Is(err, syscall.ECONNREFUSED):
		return loadtest.ErrorConnectionRefused
	case errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.Is(err, errNoAnswer) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		return loadtest.ErrorConnectionReset
	}
	return loadtest.ErrorOther
}

// isTLSMessage: crypto/tls reports most handshake failures as plain errors
// whose text starts "tls: " (crypto/tls/handshake_client.go).
func isTLSMessage(err error) bool {
	for e := err; e != nil; e = errors.Unwrap(e) {
		if strings.HasPrefix(e.Error(), "tls: ") {
			return true
		}
	}
	return false
}

// errnoClass names the cause of a socket error of the event loop.
func errnoClass(err error) string {
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return loadtest.ErrorConnectionRefused
	case errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE):
		return loadtest.ErrorConnectionReset
	case errors.Is(err, syscall.ETIMEDOUT):
		return loadtest.ErrorTimeout
	}
	return loadtest.ErrorOther
}

// LoadCAFile reads PEM certificates to trust for https targets
// (--ca-file), besides none other: the system roots are not added.
func LoadCAFile(path string) (*x509.CertPool, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--ca-file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("--ca-file %s: no PEM certificate in it", path)
	}
	return pool, nil
}

// tlsConfig is the client TLS configuration of a run for host.
func (b *Engine) tlsConfig(host string) *tls.Config {
	return &tls.Config{ServerName: host, NextProtos: []string{"http/1.1"},
		InsecureSkipVerify: b.opts.InsecureSkipVerify, RootCAs: b.opts.RootCAs}
}
