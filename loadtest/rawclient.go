package loadtest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// rawSender is one worker's keep-alive HTTP/1.1 connection to the target.
// It writes a request serialised once and reads the answer with
// http.ReadResponse, on the worker's own goroutine: net/http's Transport
// hands every request to two more goroutines per connection and through a
// shared pool, which costs the generator CPU and wake-ups it needs to stay
// on schedule.
type rawSender struct {
	addr    string
	tls     *tls.Config // nil for http
	request []byte
	method  string
	timeout time.Duration
	dialer  net.Dialer

	conn net.Conn
	br   *bufio.Reader
}

// newRawSender prepares the request bytes for target.
func newRawSender(method, target string, timeout time.Duration) (*rawSender, error) {
	req, err := http.NewRequest(method, target, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", "headroom-loadtest")
	var buf bytes.Buffer
	if err := req.Write(&buf); err != nil {
		return nil, err
	}
	s := &rawSender{request: buf.Bytes(), method: method, timeout: timeout,
		dialer: net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}}
	host, port := req.URL.Hostname(), req.URL.Port()
	switch req.URL.Scheme {
	case "http":
		if port == "" {
			port = "80"
		}
	case "https":
		if port == "" {
			port = "443"
		}
		s.tls = &tls.Config{ServerName: host, NextProtos: []string{"http/1.1"}}
	default:
		return nil, fmt.Errorf("the scheme must be http or https")
	}
	s.addr = net.JoinHostPort(host, port)
	return s, nil
}

// clone returns a sender for another worker, sharing the request bytes.
func (s *rawSender) clone() *rawSender {
	c := *s
	c.conn, c.br = nil, nil
	return &c
}

func (s *rawSender) close() {
	if s.conn != nil {
		s.conn.Close()
		s.conn, s.br = nil, nil
	}
}

// do sends the request and reads the whole answer; it returns the status.
// A keep-alive connection the server closed meanwhile is redialled once,
// for idempotent methods only, as net/http does.
func (s *rawSender) do(ctx context.Context) (int, error) {
	for attempt := 0; ; attempt++ {
		fresh := s.conn == nil
		if fresh {
			c, err := s.dialer.DialContext(ctx, "tcp", s.addr)
			if err != nil {
				return 0, err
			}
			if s.tls != nil {
				tc := tls.Client(c, s.tls)
				if err := tc.HandshakeContext(ctx); err != nil {
					c.Close()
					return 0, err
				}
				c = tc
			}
			s.conn, s.br = c, bufio.NewReaderSize(c, 4096)
		}
		status, err := s.roundTrip(ctx)
		if err == nil {
			return status, nil
		}
		s.close()
		if fresh || attempt > 0 || ctx.Err() != nil || !idempotent(s.method) || isTimeout(err) {
			return 0, err
		}
	}
}

func (s *rawSender) roundTrip(ctx context.Context) (int, error) {
	conn := s.conn
	if err := conn.SetDeadline(time.Now().Add(s.timeout)); err != nil {
		return 0, err
	}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if _, err := conn.Write(s.request); err != nil {
		return 0, err
	}
	resp, err := http.ReadResponse(s.br, nil)
	if err != nil {
		return 0, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil {
		return 0, err
	}
	if resp.Close {
		s.close()
	}
	return resp.StatusCode, nil
}

func idempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace, http.MethodPut, http.MethodDelete:
		return true
	}
	return false
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
