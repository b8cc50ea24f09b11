package loadtest

import (
	"fmt"
	"net/url"
	"strings"
)

// CheckTarget refuses a target that is not an http:// or https:// URL with
// a host, or that carries credentials (http://user:password@host/).
//
// Credentials are refused rather than sent: headroom prints the target
// before every run, in progress lines and summaries, stores it in the
// result file and writes it into k6 scripts and ConfigMaps, and its engines
// send no headers of their own, so an Authorization header cannot be
// passed instead. Load-test an endpoint that needs no credentials (a
// staging service, or a proxy in front that adds them). The error shows
// the target with the credentials redacted (RedactURL).
func CheckTarget(target string) error {
	if target == "" {
		return fmt.Errorf("a target URL is required")
	}
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("the target must be an http:// or https:// URL with a host, got %q", RedactURL(target))
	}
	return checkCredentials(target)
}

// checkCredentials refuses a target with user information.
func checkCredentials(target string) error {
	if _, _, _, ok := splitUserinfo(target); ok {
		return fmt.Errorf("the target %s carries credentials (user:password@): headroom prints and stores the target and sends no credentials; load-test an endpoint that needs none, or put a proxy in front that adds them", RedactURL(target))
	}
	return nil
}

// RedactURL hides the user information of a URL, parsed or not:
// http://user:password@host/ becomes http://user:xxxxx@host/, and a user
// without a password (often a token) becomes xxxxx@.
func RedactURL(s string) string {
	head, user, tail, ok := splitUserinfo(s)
	if !ok {
		return s
	}
	if c := strings.IndexByte(user, ':'); c >= 0 {
		user = user[:c+1] + "xxxxx"
	} else {
		user = "xxxxx"
	}
	return head + user + tail
}

// splitUserinfo splits a URL around the user information of its authority
// (up to the last '@' before the path, query or fragment): s = head + user
// + tail, tail starting with the '@'.
func splitUserinfo(s string) (head, user, tail string, ok bool) {
	rest := s
	if i := strings.Index(s, "://"); i >= 0 {
		head, rest = s[:i+3], s[i+3:]
	}
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	at := strings.LastIndexByte(rest[:end], '@')
	if at < 0 {
		return s, "", "", false
	}
	return head, rest[:at], rest[at:], true
}
