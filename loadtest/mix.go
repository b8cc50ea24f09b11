package loadtest

// Endpoint is one kind of request of a request mix: each arrival of a run
// picks an endpoint with probability Weight / Σ Weight from the run's seeded
// stream and sends its method, headers and body to its URL.
//
// A RunSpec without endpoints sends Method to Target, as a single-endpoint
// mix named "default" would.
type Endpoint struct {
	// Name labels the endpoint in results (EndpointResult.Name) and in k6
	// tags; unique within a mix.
	Name string
	// Method is the HTTP method; default GET.
	Method string
	// URL is absolute (scheme, host and path); its host is the run's
	// target host.
	URL string
	// Header is sent with every request of the endpoint, in order.
	Header []Header
	// Body is sent as the request body (nil: none).
	Body []byte
	// Weight is the endpoint's relative share of arrivals, > 0.
	Weight float64
}

// Header is one request header. A Secret header's value came from an
// environment variable or a file: it is sent, never written to a result,
// a log, a generated script or a report; SecretSource names where it came
// from ("env:NAME" or "file:PATH") so generated scripts can read it again
// (k6: __ENV.NAME).
type Header struct {
	Name         string
	Value        string
	Secret       bool
	SecretSource string
}

// Display is the header as headroom may show it: "Name: value", or for a
// secret "Name: <secret from env:NAME>" (its SecretSource), never the value.
func (h Header) Display() string {
	if h.Secret {
		src := h.SecretSource
		if src == "" {
			src = "an undisclosed source"
		}
		return h.Name + ": <secret from " + src + ">"
	}
	return h.Name + ": " + h.Value
}

// Error classes of a failed request (Window.ErrorClasses keys). HTTP
// failures are "http_<code>" (for example "http_503").
const (
	ErrorTimeout           = "timeout"
	ErrorConnectionRefused = "connection_refused"
	ErrorConnectionReset   = "connection_reset"
	ErrorDNS               = "dns"
	ErrorTLS               = "tls"
	ErrorOther             = "other"
)
