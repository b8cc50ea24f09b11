package scenarios

import (
	"fmt"
	"math"
	"regexp"
	"strings"

	"github.com/headroom-dev/headroom/model"
)

// Endpoint is one kind of request of a service's request mix: what a load
// test sends (method, path, headers, body) and, where known, what serving
// it costs (its own service time and CPU).
//
// How it combines with the service: each request of the service is of
// endpoint i with probability weight_i / Σ weight. Its service time is
// the endpoint's serviceTime, or the service's when the endpoint gives
// none; the service's time distribution is the mixture of those, whose
// mean and cs² the model takes exactly (model.Mixture) and the DES samples
// (pick an endpoint, then draw its time). Likewise its CPU is the
// endpoint's cpuPerRequest or the service's per-request CPU. The service's
// serviceTime (cpu) is required unless every endpoint has its own, and
// refused as unused when every endpoint does.
type Endpoint struct {
	// Name labels the endpoint in load-test results and k6 tags, unique
	// within the service: letters, digits, '-' and '_', at most 63
	// characters. Required. Example: `checkout`.
	Name string `json:"name"`
	// Method is the HTTP method. Default: GET. One of: `GET`, `HEAD`,
	// `POST`, `PUT`, `PATCH`, `DELETE` or `OPTIONS`.
	Method string `json:"method,omitempty"`
	// Path is the request's path and query, appended to the load test's
	// base URL; it starts with '/'. Required. Example: `/api/cart?id=7`.
	Path string `json:"path"`
	// Weight is the endpoint's relative share of the service's requests
	// (weights are normalised over the service's endpoints). Required.
	// Range: greater than 0. Example: `0.8`.
	Weight float64 `json:"weight"`
	// Headers are sent with every request of the endpoint, in order.
	Headers []EndpointHeader `json:"headers,omitempty"`
	// Body is the request body, inline. At most one of body and bodyFile.
	Body string `json:"body,omitempty"`
	// BodyFile is a file holding the request body, relative to the plan
	// file's directory, read when the load test starts. At most one of
	// body and bodyFile. Example: `bodies/checkout.json`.
	BodyFile string `json:"bodyFile,omitempty"`
	// ServiceTime is this endpoint's service time, in the same form as the
	// service's. Default: the service's serviceTime.
	ServiceTime *ServiceTime `json:"serviceTime,omitempty"`
	// CPUPerRequest is the CPU time one request of this endpoint uses
	// ("60ms" is 0.06 core-seconds). Default: the service's CPU per
	// request. Range: greater than 0. Example: `15ms`.
	CPUPerRequest *Duration `json:"cpuPerRequest,omitempty"`
}

// EndpointHeader is one request header: a literal value, or a secret read
// when the load test starts from an environment variable or a file. A
// secret's value is never written to results, logs, generated scripts or
// reports. Exactly one of value and valueFrom.
type EndpointHeader struct {
	// Name is the header's field name (an RFC 9110 token). Required.
	// Example: `Authorization`.
	Name string `json:"name"`
	// Value is the header's literal value. Example: `application/json`.
	Value string `json:"value,omitempty"`
	// ValueFrom reads the value at run time instead.
	ValueFrom *HeaderSource `json:"valueFrom,omitempty"`
}

// HeaderSource names where a secret header value is read: exactly one of
// env and file.
type HeaderSource struct {
	// Env is an environment variable holding the value (k6 scripts read it
	// as __ENV.NAME). Letters, digits and '_', not starting with a digit.
	// Example: `CHECKOUT_TOKEN`.
	Env string `json:"env,omitempty"`
	// File is a file holding the value (trailing newlines dropped),
	// relative to the plan file's directory. Example: `secrets/token`.
	File string `json:"file,omitempty"`
}

// Request methods an endpoint may use.
var endpointMethods = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}

// MaxEndpoints bounds a service's endpoints.
const MaxEndpoints = 100

var (
	envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	// headerToken is an RFC 9110 §5.6.2 token.
	headerToken = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
)

// EndpointMethod is the endpoint's method, GET when the plan gives none.
func (e *Endpoint) EndpointMethod() string {
	if e.Method == "" {
		return "GET"
	}
	return e.Method
}

// serviceTimeGiven reports whether a serviceTime has any field set.
func serviceTimeGiven(st *ServiceTime) bool {
	return st.Mean != 0 || st.P95 != nil || st.CV != nil || st.Distribution != "" || st.Histogram != nil
}

// endpointsCover reports whether the service has endpoints and each of them
// has what has(e) asks for.
func (s *Service) endpointsCover(has func(e *Endpoint) bool) bool {
	if len(s.Endpoints) == 0 {
		return false
	}
	for i := range s.Endpoints {
		if !has(&s.Endpoints[i]) {
			return false
		}
	}
	return true
}

func (s *Service) everyEndpointServiceTime() bool {
	return s.endpointsCover(func(e *Endpoint) bool { return e.ServiceTime != nil })
}

func (s *Service) everyEndpointCPU() bool {
	return s.endpointsCover(func(e *Endpoint) bool { return e.CPUPerRequest != nil })
}

// EndpointServiceTime is the service time of endpoint i: its own, else the
// service's.
func (s *Service) EndpointServiceTime(i int) *ServiceTime {
	if st := s.Endpoints[i].ServiceTime; st != nil {
		return st
	}
	return &s.ServiceTime
}

// EndpointCPU is the CPU time of one request of endpoint i, core-seconds:
// its own, else the service's per-request CPU.
func (s *Service) EndpointCPU(i int) float64 {
	if c := s.Endpoints[i].CPUPerRequest; c != nil {
		return c.Seconds()
	}
	return s.serviceCPUPerRequest()
}

// EndpointShares are the endpoints' weights normalised to sum to 1.
func (s *Service) EndpointShares() []float64 {
	total := 0.0
	for _, e := range s.Endpoints {
		total += e.Weight
	}
	out := make([]float64, len(s.Endpoints))
	for i, e := range s.Endpoints {
		out[i] = e.Weight / total
	}
	return out
}

// ServiceMixture is the service's service time as a mixture, one component
// per endpoint (weight, mean and cs² of the endpoint's service time); nil
// for a service without endpoints.
func (s *Service) ServiceMixture() ([]model.MixtureComponent, error) {
	if len(s.Endpoints) == 0 {
		return nil, nil
	}
	out := make([]model.MixtureComponent, len(s.Endpoints))
	for i := range s.Endpoints {
		st := s.EndpointServiceTime(i)
		cs2, err := st.cs2()
		if err != nil {
			return nil, fmt.Errorf("endpoints[%s]: %w", s.Endpoints[i].Name, err)
		}
		out[i] = model.MixtureComponent{Weight: s.Endpoints[i].Weight, Mean: st.Mean.Seconds(), CS2: cs2}
	}
	return out, nil
}

// ServiceMean is the mean service time, seconds: of the endpoints' mixture
// when the service has endpoints, else serviceTime.mean.
func (s *Service) ServiceMean() float64 {
	parts, err := s.ServiceMixture()
	if err != nil || parts == nil {
		return s.ServiceTime.Mean.Seconds()
	}
	m, _, err := model.Mixture(parts)
	if err != nil {
		return s.ServiceTime.Mean.Seconds()
	}
	return m
}

// endpoints checks a service's endpoints and how they combine with its
// serviceTime and cpu.
func (v *validator) endpoints(path string, s *Service) {
	if len(s.Endpoints) > MaxEndpoints {
		v.add(path+".endpoints", "has %d endpoints, more than %d", len(s.Endpoints), MaxEndpoints)
		return
	}
	if s.everyEndpointServiceTime() && serviceTimeGiven(&s.ServiceTime) {
		v.add(path+".serviceTime", "is unused: every endpoint has its own serviceTime; drop it (or an endpoint's, to default to it)")
	}
	if s.everyEndpointCPU() && (s.CPU.PerRequest != nil || s.CPU.ObservedPerPod != nil) {
		v.add(path+".cpu", "perRequest and observedPerPod are unused: every endpoint has its own cpuPerRequest; drop them (cpu.idle stays)")
	}
	dup := duplicates(len(s.Endpoints), func(i int) string { return s.Endpoints[i].Name })
	seen := map[string]bool{}
	for i := range s.Endpoints {
		e := &s.Endpoints[i]
		ep := listPath(path+".endpoints", i, e.Name, dup)
		switch {
		case e.Name == "":
			v.add(ep+".name", "is required (labels the endpoint in results and k6 tags, e.g. checkout)")
		case !pathName.MatchString(e.Name):
			v.add(ep+".name", "%s is not a valid endpoint name: use letters, digits, '-' and '_', at most 63 characters", quoteName(e.Name))
		case seen[e.Name]:
			v.add(ep+".name", "duplicate endpoint name %q; names must be unique within the service", e.Name)
		}
		seen[e.Name] = true
		if e.Method != "" && !containsString(endpointMethods, e.Method) {
			v.add(ep+".method", "must be one of %s, got %s", strings.Join(endpointMethods, ", "), quoteName(e.Method))
		}
		switch {
		case v.absent(ep+".path", "the request path, e.g. /api/cart"):
		case !strings.HasPrefix(e.Path, "/"):
			v.add(ep+".path", "must start with '/', got %s", quoteName(e.Path))
		case strings.ContainsFunc(e.Path, func(r rune) bool { return r <= ' ' || r == 0x7f }):
			v.add(ep+".path", "must not contain spaces or control characters (percent-encode them), got %s", quoteName(e.Path))
		}
		if !v.absent(ep+".weight", "the endpoint's share of requests, e.g. 0.8") && (!(e.Weight > 0) || math.IsInf(e.Weight, 0)) {
			v.add(ep+".weight", "must be a finite number greater than 0, got %g", e.Weight)
		}
		if e.Body != "" && e.BodyFile != "" {
			v.add(ep, "give either body or bodyFile, not both")
		}
		if e.BodyFile != "" && strings.ContainsRune(e.BodyFile, 0) {
			v.add(ep+".bodyFile", "must not contain a NUL byte")
		}
		v.headers(ep, e.Headers)
		if e.ServiceTime != nil {
			v.serviceTime(ep+".serviceTime", e.ServiceTime)
		} else if !serviceTimeGiven(&s.ServiceTime) && !v.reported(path+".serviceTime.mean") {
			v.add(ep+".serviceTime", "is required: the service gives no serviceTime for its endpoints to default to")
		}
		if e.CPUPerRequest != nil {
			v.positive(ep+".cpuPerRequest", e.CPUPerRequest.Seconds(), "CPU time per request")
		}
	}
}

// headers checks an endpoint's headers.
func (v *validator) headers(path string, hs []EndpointHeader) {
	dup := duplicates(len(hs), func(i int) string { return hs[i].Name })
	for i, h := range hs {
		hp := listPath(path+".headers", i, h.Name, dup)
		switch {
		case h.Name == "":
			v.add(hp+".name", "is required (e.g. Authorization)")
		case !headerToken.MatchString(h.Name):
			v.add(hp+".name", "%s is not a valid header name (letters, digits and !#$%%&'*+.^_`|~-)", quoteName(h.Name))
		case strings.EqualFold(h.Name, "Host") || strings.EqualFold(h.Name, "Content-Length"):
			v.add(hp+".name", "%s is set by the load generator; drop it", h.Name)
		}
		if strings.ContainsAny(h.Value, "\r\n\x00") {
			v.add(hp+".value", "must not contain CR, LF or NUL")
		}
		switch f := h.ValueFrom; {
		case f == nil && h.Value == "":
			v.add(hp, "give value or valueFrom ({env: NAME} or {file: PATH})")
		case f == nil:
		case h.Value != "":
			v.add(hp, "give either value or valueFrom, not both")
		case f.Env != "" && f.File != "":
			v.add(hp+".valueFrom", "give either env or file, not both")
		case f.Env == "" && f.File == "":
			v.add(hp+".valueFrom", "give env (an environment variable) or file (a file holding the value)")
		case f.Env != "" && !envName.MatchString(f.Env):
			v.add(hp+".valueFrom.env", "%s is not a valid environment variable name (letters, digits and '_', not starting with a digit)", quoteName(f.Env))
		case f.File != "" && strings.ContainsRune(f.File, 0):
			v.add(hp+".valueFrom.file", "must not contain a NUL byte")
		}
	}
}

// reported says whether a problem was already added at path.
func (v *validator) reported(path string) bool {
	for _, e := range v.errs {
		if e.Path == path {
			return true
		}
	}
	return false
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
