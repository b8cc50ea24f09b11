package builtin

import (
	"context"
	"crypto/x509"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestRawSender(t *testing.T) {
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/close":
			w.Header().Set("Connection", "close")
		case "/chunked":
			w.Write([]byte(strings.Repeat("x", 10000)))
			w.(http.Flusher).Flush()
			w.Write([]byte("end"))
			return
		case "/slow":
			time.Sleep(200 * time.Millisecond)
		case "/missing":
			http.NotFound(w, r)
			return
		case "/early-hints":
			w.Header().Set("Link", "</style.css>; rel=preload")
			w.WriteHeader(http.StatusEarlyHints)
		}
		if r.Header.Get("User-Agent") != "headroom-loadtest" || r.Method != http.MethodGet {
			http.Error(w, "unexpected request", http.StatusBadRequest)
		}
	})
	srv := httptest.NewServer(handler)
	defer srv.Close()

	tests := []struct {
		name    string
		path    string
		timeout time.Duration
		status  int
		errPart string
	}{
		{"plain", "/", time.Second, 200, ""},
		{"keep-alive reused", "/", time.Second, 200, ""},
		{"server closes", "/close", time.Second, 200, ""},
		{"after the close, redials", "/", time.Second, 200, ""},
		{"chunked body", "/chunked", time.Second, 200, ""},
		{"404", "/missing", time.Second, 404, ""},
		{"103 then 200", "/early-hints", time.Second, 200, ""},
		{"after the 103, the connection still serves", "/", time.Second, 200, ""},
		{"timeout", "/slow", 50 * time.Millisecond, 0, "timeout"},
	}
	// One sender per test case (paths differ), sharing the idle stack so
	// keep-alive carries over between cases.
	var idle []*rawConn
	var first net.Conn
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := newRawSender(http.MethodGet, srv.URL+tc.path, tc.timeout)
			if err != nil {
				t.Fatal(err)
			}
			s.idle = idle
			status, err := s.do(context.Background())
			idle = s.idle
			if tc.errPart != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errPart) {
					t.Errorf("err %v, want %q", err, tc.errPart)
				}
				return
			}
			if err != nil || status != tc.status {
				t.Errorf("status %d, err %v; want %d", status, err, tc.status)
			}
			switch tc.name {
			case "plain":
				if len(idle) != 1 {
					t.Fatalf("%d idle connections after one request, want 1", len(idle))
				}
				first = idle[0].conn
			case "keep-alive reused":
				if len(idle) != 1 || idle[0].conn != first {
					t.Error("a new connection for the second request")
				}
			case "server closes":
				if len(idle) != 0 {
					t.Error("kept a connection the server closed")
				}
			}
		})
	}
}

func TestRawSender_TLSAndInterrupt(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/hang" {
			<-release
		}
	}))
	defer srv.Close()
	defer close(release)
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())

	s, err := newRawSender(http.MethodGet, srv.URL+"/", time.Second)
	if err != nil {
		t.Fatal(err)
	}
	s.tls.RootCAs = pool
	if status, err := s.do(context.Background()); err != nil || status != 200 {
		t.Fatalf("https: %d %v", status, err)
	}
	h, _ := newRawSender(http.MethodGet, srv.URL+"/hang", 10*time.Second)
	h.tls.RootCAs = pool
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	began := time.Now()
	if _, err := h.do(ctx); err == nil {
		t.Fatal("a cancelled request succeeded")
	}
	if time.Since(began) > 5*time.Second {
		t.Error("cancelling did not abort the request")
	}
}

func TestNewRawSender_Refuses(t *testing.T) {
	for _, target := range []string{"ftp://x/", "http://[::1/", "://nohost"} {
		if _, err := newRawSender(http.MethodGet, target, time.Second); err == nil {
			t.Errorf("%q accepted", target)
		}
	}
}
