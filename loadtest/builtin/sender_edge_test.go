package builtin

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"

	"github.com/headroom-dev/headroom/loadtest"
)

// serveConns accepts connections on loopback and hands each to handle.
func serveConns(t *testing.T, handle func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go handle(c)
		}
	}()
	return ln.Addr().String()
}

// answerFirst answers the first request on a connection with 200, and
// hands the connection to after when the second request arrives.
func answerFirst(seen *atomic.Int64, after func(net.Conn)) func(net.Conn) {
	return func(c net.Conn) {
		defer c.Close()
		br := bufio.NewReader(c)
		for i := 0; ; i++ {
			req, err := http.ReadRequest(br)
			if err != nil {
				return
			}
			req.Body.Close()
			seen.Add(1)
			if i == 1 {
				after(c)
				return
			}
			c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"))
		}
	}
}

// TestSenders_NoReplayAfterInterim: the second request on each
// connection gets a 103 and then a close. Part of the answer came, so the
// request fails; it is not sent again.
func TestSenders_NoReplayAfterInterim(t *testing.T) {
	for _, sender := range []string{SenderLoop, SenderRaw} {
		if sender == SenderLoop && !loopSupported {
			continue
		}
		t.Run(sender, func(t *testing.T) {
			var seen atomic.Int64
			addr := serveConns(t, answerFirst(&seen, func(c net.Conn) {
				c.Write([]byte("HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"))
			}))
			res, err := New(Options{Sender: sender}).Run(context.Background(), loadtest.RunSpec{
				Target: "http://" + addr + "/", Arrivals: loadtest.ArrivalsConstant, Schedule: constantSchedule(10, 200*time.Millisecond)})
			if err != nil {
				t.Fatal(err)
			}
			if tot := res.Totals; tot.Sent != 2 || tot.Errors != 1 || seen.Load() != 2 {
				t.Errorf("sent %d, errors %d, the server saw %d requests; want 2, 1, 2", tot.Sent, tot.Errors, seen.Load())
			}
		})
	}
}

// TestSenders_ReplayAfterReset: the server answers one request per
// connection and resets the connection 20 ms later. A request sent on the
// reset connection (its write fails) goes again on a new one.
func TestSenders_ReplayAfterReset(t *testing.T) {
	for _, sender := range []string{SenderLoop, SenderRaw, SenderNetHTTP} {
		if sender == SenderLoop && !loopSupported {
			continue
		}
		t.Run(sender, func(t *testing.T) {
			addr := serveConns(t, func(c net.Conn) {
				br := bufio.NewReader(c)
				req, err := http.ReadRequest(br)
				if err != nil {
					c.Close()
					return
				}
				req.Body.Close()
				c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"))
				time.Sleep(20 * time.Millisecond)
				c.(*net.TCPConn).SetLinger(0)
				c.Close()
			})
			res, err := New(Options{Sender: sender}).Run(context.Background(), loadtest.RunSpec{
				Target: "http://" + addr + "/", Arrivals: loadtest.ArrivalsConstant, Schedule: constantSchedule(10, 500*time.Millisecond)})
			if err != nil {
				t.Fatal(err)
			}
			if tot := res.Totals; tot.Completed != 5 || tot.Errors != 0 {
				t.Errorf("completed %d, errors %d; want 5 and 0", tot.Completed, tot.Errors)
			}
		})
	}
}

// TestSenders_DualStackName: a name with an A and an AAAA record, the
// target listening on ::1 only (as a dev server bound to "localhost" may).
// Every sender reaches it.
func TestSenders_DualStackName(t *testing.T) {
	ln, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	defer ln.Close()
	go http.Serve(ln, http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	dns := fakeDNS(t)
	old := net.DefaultResolver
	net.DefaultResolver = &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "udp", dns)
	}}
	defer func() { net.DefaultResolver = old }()
	target := "http://dualstack.example.test:" + strconv.Itoa(ln.Addr().(*net.TCPAddr).Port) + "/"
	for _, sender := range testSenders() {
		res, err := New(Options{Sender: sender}).Run(context.Background(), loadtest.RunSpec{
			Target: target, Arrivals: loadtest.ArrivalsConstant, Schedule: constantSchedule(10, 300*time.Millisecond), Timeout: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		if tot := res.Totals; tot.Completed != 3 || tot.Errors != 0 {
			t.Errorf("%s: %d errors of %d", sender, tot.Errors, tot.Completed)
		}
	}
}

// fakeDNS answers every A query with 127.0.0.1 and every AAAA query with
// ::1.
func fakeDNS(t *testing.T) string {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			var m dnsmessage.Message
			if m.Unpack(buf[:n]) != nil || len(m.Questions) == 0 {
				continue
			}
			q := m.Questions[0]
			m.Header.Response, m.Header.Authoritative = true, true
			hdr := dnsmessage.ResourceHeader{Name: q.Name, Type: q.Type, Class: dnsmessage.ClassINET, TTL: 60}
			switch q.Type {
			case dnsmessage.TypeA:
				m.Answers = []dnsmessage.Resource{{Header: hdr, Body: &dnsmessage.AResource{A: [4]byte{127, 0, 0, 1}}}}
			case dnsmessage.TypeAAAA:
				m.Answers = []dnsmessage.Resource{{Header: hdr, Body: &dnsmessage.AAAAResource{AAAA: [16]byte{15: 1}}}}
			}
			out, _ := m.Pack()
			pc.WriteTo(out, from)
		}
	}()
	return pc.LocalAddr().String()
}

// TestLoopSender_InterruptInFlight: an interrupt while requests are in
// flight and waiting for connections takes them out of Sent (they were
// neither answered nor failed), and the loop leaves no socket open.
func TestLoopSender_InterruptInFlight(t *testing.T) {
	if !loopSupported {
		t.Skip("the loop sender is Linux only")
	}
	release := make(chan struct{})
	addr := serveConns(t, func(c net.Conn) {
		defer c.Close()
		<-release
	})
	fds := func() int {
		ents, err := os.ReadDir("/proc/self/fd")
		if err != nil {
			t.Skip(err)
		}
		return len(ents)
	}
	before := fds()
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	res, err := New(Options{Sender: SenderLoop}).Run(ctx, loadtest.RunSpec{
		Target: "http://" + addr + "/", Arrivals: loadtest.ArrivalsConstant, Schedule: constantSchedule(100, 10*time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Interrupted || res.Totals.Sent != 0 || res.Totals.Completed != 0 || res.SendLag.Count() < 20 {
		t.Errorf("interrupted %v, sent %d, completed %d, lags %d; want the ~30 unanswered requests taken out of Sent, their lag kept",
			res.Interrupted, res.Totals.Sent, res.Totals.Completed, res.SendLag.Count())
	}
	// Once the server has closed its side, nothing of the run is open.
	close(release)
	after := fds()
	for deadline := time.Now().Add(2 * time.Second); after > before && time.Now().Before(deadline); after = fds() {
		time.Sleep(20 * time.Millisecond)
	}
	if after > before {
		t.Errorf("%d descriptors open before the run, %d after", before, after)
	}
}
