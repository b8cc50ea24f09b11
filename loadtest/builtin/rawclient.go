package builtin

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// rawSender sends the run's requests over keep-alive HTTP/1.1
// connections: it writes each request serialised once (request.raw) and
// reads the answer with respParser on the calling worker's goroutine.
// net/http's Transport hands every request to two more goroutines per
// connection, which costs the generator CPU and wake-ups it needs to stay
// on schedule.
//
// Idle connections wait in a stack, and a worker takes the one used last:
// at a low rate a few warm connections serve every request (a connection
// per worker would make most requests dial, since idle workers take jobs in
// turn).
type rawSender struct {
	addr    string
	tls     *tls.Config // nil for http
	reqs    []request
	timeout time.Duration
	dialer  net.Dialer

	mu   sync.Mutex
	idle []*rawConn
}

// rawConn is one keep-alive connection and its response reader.
type rawConn struct {
	conn net.Conn
	buf  []byte
	p    respParser
}

// newRawSender prepares one request of method to target, with the
// default TLS settings (the system's roots).
func newRawSender(method, target string, timeout time.Duration) (*rawSender, error) {
	r, err := newRequest("", method, target, nil, nil)
	if err != nil {
		return nil, err
	}
	return newRawSenderFor(target, []request{r}, timeout, nil)
}

// newRawSenderFor prepares a sender of reqs to target's address; tlsConf
// (nil: the defaults) applies to https targets.
func newRawSenderFor(target string, reqs []request, timeout time.Duration, tlsConf *tls.Config) (*rawSender, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	s := &rawSender{reqs: reqs, timeout: timeout,
		dialer: net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}}
	host, port := u.Hostname(), u.Port()
	switch u.Scheme {
	case "http":
		if port == "" {
			port = "80"
		}
	case "https":
		if port == "" {
			port = "443"
		}
		if tlsConf == nil {
			tlsConf = &tls.Config{ServerName: host, NextProtos: []string{"http/1.1"}}
		}
		s.tls = tlsConf
	default:
		return nil, fmt.Errorf("the scheme must be http or https")
	}
	s.addr = net.JoinHostPort(host, port)
	return s, nil
}

// closeIdle closes every idle connection.
func (s *rawSender) closeIdle() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.idle {
		c.conn.Close()
	}
	s.idle = nil
}

func (s *rawSender) get() *rawConn {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n := len(s.idle); n > 0 {
		c := s.idle[n-1]
		s.idle = s.idle[:n-1]
		return c
	}
	return nil
}

func (s *rawSender) put(c *rawConn) {
	s.mu.Lock()
	s.idle = append(s.idle, c)
	s.mu.Unlock()
}

func (s *rawSender) dial(ctx context.Context) (*rawConn, error) {
	c, err := s.dialer.DialContext(ctx, "tcp", s.addr)
	if err != nil {
		return nil, err
	}
	if s.tls != nil {
		tc := tls.Client(c, s.tls)
		if err := tc.HandshakeContext(ctx); err != nil {
			c.Close()
			return nil, err
		}
		c = tc
	}
	return &rawConn{conn: c, buf: make([]byte, 4096)}, nil
}

// do sends the first request (the only one of a run without a mix).
func (s *rawSender) do(ctx context.Context) (int, error) { return s.doReq(ctx, &s.reqs[0]) }

// doReq sends rq and reads the whole answer; it returns the status.
// A kept-alive connection the server closed meanwhile is replaced once,
// for idempotent methods only, as net/http does.
func (s *rawSender) doReq(ctx context.Context, rq *request) (int, error) {
	for attempt := 0; ; attempt++ {
		c := s.get()
		fresh := c == nil
		if fresh {
			var err error
			if c, err = s.dial(ctx); err != nil {
				return 0, err
			}
		}
		status, keep, err := s.roundTrip(ctx, c, rq)
		if err == nil {
			if keep {
				s.put(c)
			} else {
				c.conn.Close()
			}
			return status, nil
		}
		c.conn.Close()
		if fresh || attempt > 0 || ctx.Err() != nil || !rq.idempotent || !errors.Is(err, errNoAnswer) {
			return 0, err
		}
	}
}

// roundTrip returns the status and whether the connection may be reused.
func (s *rawSender) roundTrip(ctx context.Context, c *rawConn, rq *request) (int, bool, error) {
	conn := c.conn
	if err := conn.SetDeadline(time.Now().Add(s.timeout)); err != nil {
		return 0, false, err
	}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if _, err := conn.Write(rq.raw); err != nil {
		if !isTimeout(err) && ctx.Err() == nil {
			// A kept-alive connection the server had reset.
			err = fmt.Errorf("%w: %w", errNoAnswer, err)
		}
		return 0, false, err
	}
	c.p.reset(rq.head)
	got := false // a byte of the answer came (an interim 1xx counts)
	for {
		n, err := conn.Read(c.buf)
		if n > 0 {
			got = true
			used, done, perr := c.p.feed(c.buf[:n])
			if perr != nil {
				return 0, false, perr
			}
			if done {
				// Bytes beyond the answer: nothing asked for them, so
				// the connection is not trusted again.
				return c.p.status, used == n && c.p.reusable(), nil
			}
		}
		if err == nil {
			continue
		}
		nothing := !got
		if err == io.EOF {
			done, perr := c.p.eof()
			switch {
			case done:
				return c.p.status, false, nil
			case nothing:
				return 0, false, errNoAnswer
			}
			return 0, false, perr
		}
		if nothing && !isTimeout(err) {
			return 0, false, fmt.Errorf("%w: %w", errNoAnswer, err)
		}
		return 0, false, err
	}
}

// errNoAnswer: the connection ended before any byte of the answer, which on
// a kept-alive connection usually means the server had closed it.
var errNoAnswer = errors.New("the connection closed before any answer")

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
