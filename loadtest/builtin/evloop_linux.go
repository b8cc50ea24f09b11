//go:build linux

package builtin

import (
	"context"
	"errors"
	"fmt"
	"net"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/headroom-dev/headroom/loadtest"
)

// loopSupported: the event-loop sender exists on this platform.
const loopSupported = true

// The event loop sends every request of a run from one goroutine, locked to
// its OS thread, over non-blocking sockets it polls with epoll itself, as
// wrk does: per request a write and a read, and one epoll_pwait2 for all
// the sockets and the next arrival. The goroutine-per-request senders
// (raw, nethttp) spend most of their CPU on Go's scheduler and netpoller
// instead: waking a worker, parking it on its socket and waking it again,
// and the threads behind them. On a machine the generator shares with its
// target, that CPU is what makes the schedule slip.
//
// Scheduling is the same as the other senders': the loop sleeps to each
// hit's absolute offset (epoll_pwait2 has a nanosecond timeout), sends
// every hit that is due, drops a hit when MaxWorkers requests are in flight,
// and measures latency from the intended time. Idle keep-alive connections
// wait in a stack and the most recently used goes first, as in rawSender.
type eventLoop struct {
	b       *Engine
	ctx     context.Context
	pacer   *SchedulePacer
	rec     *recorder
	reqs    []request // the run's requests (endpoints); a dead kept-alive connection is replaced once for idempotent ones
	pick    *picker
	timeout time.Duration
	sa      unix.Sockaddr
	family  int

	epfd   int
	start  time.Time
	byFD   []*loopConn
	idle   []*loopConn
	busy   []*loopConn // connections carrying a request
	buf    []byte
	events []unix.EpollEvent
	pwait2 bool

	// Hits that found no idle connection wait in pending, oldest first,
	// while the dialer opens connections for them on its own thread: a
	// loopback connect costs ~70 µs of CPU, and when a stalled target
	// makes hundreds of requests pile up, dialing them here would stall
	// the schedule too.
	pending []pendingHit

	hits      uint64          // hits dispatched or dropped
	next      time.Duration   // when hit number hits is due
	scheduled bool            // the schedule has hit number hits
	last      time.Duration   // the intended time of the last hit played
	gen       int32           // tags epoll registrations, see loopConn.gen
	dialing   int             // dials asked for whose socket is not connected yet
	dialReq   chan struct{}   // to the dialer: open one more connection
	dialed    chan dialResult // from the dialer
	wakefd    int             // eventfd the dialer wakes the loop with
	stopping  atomic.Bool     // the run is over: the dialer opens nothing more
	dialWG    sync.WaitGroup
}

type pendingHit struct {
	intended, began time.Duration
	ep              int
	retried         bool
}

type dialResult struct {
	fd  int
	err error
}

type connState uint8

const (
	csConnecting connState = iota
	csWriting
	csReading
	csIdle
)

type loopConn struct {
	fd      int
	state   connState
	written int
	out     bool // EPOLLOUT is watched: the request waits for buffer space
	reused  bool // the connection carried an earlier request
	got     bool // bytes of this response arrived
	retried bool
	ep      int // the request (endpoint) the connection carries
	p       respParser

	intended, began, deadline time.Duration
	busyAt                    int // index in eventLoop.busy

	// gen tags the socket's epoll registration: an event read in the
	// same batch as the socket was closed and its descriptor reused by
	// a new one is not the new socket's.
	gen int32
}

// runLoop plays the schedule on the event loop. It returns the start of the
// run, the end of the played schedule and whether ctx interrupted it.
func (b *Engine) runLoop(ctx context.Context, spec loadtest.RunSpec, r *run, rec *recorder, progress *progressPrinter) (time.Time, time.Duration, bool, error) {
	pacer := r.pacer
	addr, err := targetAddr(ctx, r.raw.addr)
	if err != nil {
		return time.Time{}, 0, false, err
	}
	l := &eventLoop{b: b, ctx: ctx, pacer: pacer, rec: rec, reqs: r.reqs, pick: r.picker,
		timeout: r.timeout, buf: make([]byte, 64<<10), events: make([]unix.EpollEvent, 256),
		pwait2: true, wakefd: -1}
	if ip4 := addr.IP.To4(); ip4 != nil {
		sa := &unix.SockaddrInet4{Port: addr.Port}
		copy(sa.Addr[:], ip4)
		l.sa, l.family = sa, unix.AF_INET
	} else {
		sa := &unix.SockaddrInet6{Port: addr.Port}
		copy(sa.Addr[:], addr.IP.To16())
		if addr.Zone != "" {
			if ifi, err := net.InterfaceByName(addr.Zone); err == nil {
				sa.ZoneId = uint32(ifi.Index)
			} else if n, err := strconv.ParseUint(addr.Zone, 10, 32); err == nil {
				sa.ZoneId = uint32(n)
			} else {
				return time.Time{}, 0, false, fmt.Errorf("IPv6 zone %q: no such interface", addr.Zone)
			}
		}
		l.sa, l.family = sa, unix.AF_INET6
	}

	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	l.epfd, err = unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return time.Time{}, 0, false, fmt.Errorf("epoll: %w", err)
	}
	defer l.closeAll()
	if err := l.startDialer(); err != nil {
		return time.Time{}, 0, false, err
	}

	wk := newWaker()
	defer wk.restore()
	l.start = time.Now()
	l.next, l.scheduled = pacer.At(0)
	var interrupted bool
	var nextScan time.Duration
	const scanEvery = 10 * time.Millisecond
	for {
		now := l.dispatchDue()
		if ctx.Err() != nil {
			interrupted = true
			break
		}
		if !l.scheduled && len(l.busy) == 0 && len(l.pending) == 0 {
			break
		}
		if now >= nextScan {
			l.expire(now)
			progress.maybe(now)
			nextScan = now + scanEvery
			now = time.Since(l.start)
		}
		wait := max(nextScan-now, 0)
		if l.scheduled {
			wait = min(wait, wk.block(l.next-now))
		}
		n, err := l.poll(wait)
		if err != nil {
			return l.start, l.last, false, err
		}
		if n == 0 && wait > 0 {
			wk.woke(time.Since(l.start) - now - wait)
		}
	}
	end := spec.Schedule.Duration()
	if interrupted {
		end = l.last
		for len(l.busy) > 0 {
			c := l.busy[len(l.busy)-1]
			rec.interrupted(c.intended, c.began, c.ep)
			l.close(c)
		}
		for _, h := range l.pending {
			rec.interrupted(h.intended, h.began, h.ep)
		}
		l.pending = l.pending[:0]
	}
	return l.start, end, interrupted, nil
}

// targetAddr picks the address the loop connects to: the one a probe
// connection reached, trying every address the name resolves to as net's
// dialer does (a "localhost" server may listen on ::1 only). When the probe
// fails the run still goes ahead, on the first address, and its requests
// fail as they would with the other senders.
func targetAddr(ctx context.Context, hostport string) (*net.TCPAddr, error) {
	d := net.Dialer{Timeout: 5 * time.Second}
	if c, err := d.DialContext(ctx, "tcp", hostport); err == nil {
		defer c.Close()
		if a, ok := c.RemoteAddr().(*net.TCPAddr); ok {
			return a, nil
		}
	}
	return net.ResolveTCPAddr("tcp", hostport)
}

// dispatchDue sends every hit due by now, and returns now.
func (l *eventLoop) dispatchDue() time.Duration {
	now := time.Since(l.start)
	for l.scheduled && l.next <= now {
		l.last = l.next
		l.dispatch(l.next)
		l.hits++
		l.next, l.scheduled = l.pacer.At(l.hits)
		if l.hits%64 == 0 {
			now = time.Since(l.start)
			if l.ctx.Err() != nil {
				break
			}
		}
	}
	return now
}

// dispatch sends the hit due at intended, or drops it.
func (l *eventLoop) dispatch(intended time.Duration) {
	ep := l.pick.pick() // every arrival draws, dropped or not
	if len(l.busy)+len(l.pending) >= l.b.opts.MaxWorkers {
		l.rec.dropped(intended, ep)
		return
	}
	l.rec.sent(intended, ep)
	h := pendingHit{intended: intended, began: time.Since(l.start), ep: ep}
	if c := l.popIdle(); c != nil {
		l.assign(c, h)
		return
	}
	l.pending = append(l.pending, h)
	l.askDial()
}

// assign gives hit h to connection c and sends it once c is connected.
func (l *eventLoop) assign(c *loopConn, h pendingHit) {
	c.intended, c.began, c.deadline = h.intended, h.began, h.began+l.timeout
	c.got, c.retried, c.ep = false, h.retried, h.ep
	c.p.reset(l.reqs[h.ep].head)
	c.busyAt = len(l.busy)
	l.busy = append(l.busy, c)
	if c.state == csIdle {
		c.written = 0
		l.write(c)
	}
}

// askDial asks the dialer for a connection unless the ones on the way
// cover the waiting hits.
func (l *eventLoop) askDial() {
	if l.dialing < len(l.pending) {
		l.dialing++
		l.dialReq <- struct{}{}
	}
}

// takePending hands the oldest waiting hit to c, if one waits.
func (l *eventLoop) takePending(c *loopConn) bool {
	if len(l.pending) == 0 {
		return false
	}
	h := l.pending[0]
	l.pending = l.pending[1:]
	l.assign(c, h)
	return true
}

func (l *eventLoop) popIdle() *loopConn {
	for n := len(l.idle); n > 0; n-- {
		c := l.idle[n-1]
		l.idle = l.idle[:n-1]
		if c.fd >= 0 {
			return c
		}
	}
	return nil
}

// startDialer starts the dialer goroutine and the eventfd it wakes the
// loop with.
func (l *eventLoop) startDialer() error {
	fd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		return fmt.Errorf("eventfd: %w", err)
	}
	l.wakefd = fd
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(fd)}
	if err := unix.EpollCtl(l.epfd, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
		return fmt.Errorf("epoll: %w", err)
	}
	// Every dial asked for is for a hit in flight, so MaxWorkers bounds
	// both channels and neither side blocks.
	l.dialReq = make(chan struct{}, l.b.opts.MaxWorkers)
	l.dialed = make(chan dialResult, l.b.opts.MaxWorkers)
	l.dialWG.Add(1)
	go func() {
		defer l.dialWG.Done()
		one := []byte{1, 0, 0, 0, 0, 0, 0, 0}
		for range l.dialReq {
			if l.stopping.Load() {
				continue // the run is over: no more handshakes with the target
			}
			fd, err := l.openSocket()
			l.dialed <- dialResult{fd, err}
			unix.Write(l.wakefd, one)
		}
	}()
	return nil
}

// openSocket starts a non-blocking connect; the loop learns that it
// completed from EPOLLOUT.
func (l *eventLoop) openSocket() (int, error) {
	fd, err := unix.Socket(l.family, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, unix.IPPROTO_TCP)
	if err != nil {
		return -1, fmt.Errorf("socket: %w", err)
	}
	_ = unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
	err = unix.Connect(fd, l.sa)
	if err != nil && !errors.Is(err, unix.EINPROGRESS) {
		unix.Close(fd)
		return -1, fmt.Errorf("connect: %w", err)
	}
	return fd, nil
}

// adoptDialed takes the sockets the dialer opened into the loop. A hit
// waiting in pending goes to the first connection ready, new or kept
// alive, as net/http's pool does.
func (l *eventLoop) adoptDialed() {
	var b [8]byte
	unix.Read(l.wakefd, b[:])
	for {
		var r dialResult
		select {
		case r = <-l.dialed:
		default:
			return
		}
		if r.err != nil {
			l.dialFailed(errnoClass(r.err))
			continue
		}
		// A new socket watches EPOLLOUT until it is connected and its
		// first request is written.
		l.gen++
		c := &loopConn{fd: r.fd, state: csConnecting, out: true, busyAt: -1, gen: l.gen,
			deadline: time.Since(l.start) + l.timeout}
		ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLOUT | unix.EPOLLRDHUP, Fd: int32(r.fd), Pad: c.gen}
		if err := unix.EpollCtl(l.epfd, unix.EPOLL_CTL_ADD, r.fd, &ev); err != nil {
			unix.Close(r.fd)
			l.dialFailed(loadtest.ErrorOther)
			continue
		}
		for len(l.byFD) <= r.fd {
			l.byFD = append(l.byFD, nil)
		}
		l.byFD[r.fd] = c
	}
}

// dialFailed ends a dial that did not give a connection: the oldest
// waiting hit fails with it (the target refuses, say), as its request
// would have with a sender that dials per request.
func (l *eventLoop) dialFailed(class string) {
	l.dialing--
	if len(l.pending) > 0 {
		h := l.pending[0]
		l.pending = l.pending[1:]
		l.rec.finished(h.intended, h.began, time.Since(l.start), h.ep, class)
	}
}

// connected puts a socket whose connect completed to work.
func (l *eventLoop) connected(c *loopConn) {
	l.dialing--
	c.state = csIdle
	if l.takePending(c) {
		return
	}
	c.out = false
	l.watch(c, unix.EPOLLIN)
	l.idle = append(l.idle, c)
}

// write sends what is left of the request; a full socket buffer waits for
// EPOLLOUT.
func (l *eventLoop) write(c *loopConn) {
	c.state = csWriting
	req := l.reqs[c.ep].raw
	for c.written < len(req) {
		n, err := unix.SendmsgN(c.fd, req[c.written:], nil, nil, unix.MSG_NOSIGNAL)
		if errors.Is(err, unix.EAGAIN) {
			if !c.out {
				c.out = true
				l.watch(c, unix.EPOLLIN|unix.EPOLLOUT)
			}
			return
		}
		if err != nil {
			l.fail(c, errnoClass(err))
			return
		}
		c.written += n
	}
	c.state = csReading
	if c.out {
		c.out = false
		l.watch(c, unix.EPOLLIN)
	}
}

// watch sets the events a connection waits for.
func (l *eventLoop) watch(c *loopConn, events uint32) {
	ev := unix.EpollEvent{Events: events | unix.EPOLLRDHUP, Fd: int32(c.fd), Pad: c.gen}
	if err := unix.EpollCtl(l.epfd, unix.EPOLL_CTL_MOD, c.fd, &ev); err != nil {
		l.fail(c, loadtest.ErrorOther)
	}
}

// poll waits up to wait for socket events and handles them, and returns
// how many there were (0: the wait timed out).
func (l *eventLoop) poll(wait time.Duration) (int, error) {
	var n int
	var err error
	for {
		n, err = l.epollWait(wait)
		if !errors.Is(err, unix.EINTR) {
			break
		}
		wait = 0
	}
	if err != nil {
		return 0, fmt.Errorf("epoll_wait: %w", err)
	}
	for i, ev := range l.events[:n] {
		if i%16 == 15 {
			// A long batch of answers (a target that stalled and
			// caught up) must not hold back the hits now due.
			l.dispatchDue()
		}
		fd := int(ev.Fd)
		if fd == l.wakefd {
			l.adoptDialed()
			continue
		}
		if fd >= len(l.byFD) || l.byFD[fd] == nil || l.byFD[fd].gen != ev.Pad {
			continue
		}
		c := l.byFD[fd]
		switch c.state {
		case csConnecting:
			if ev.Events&(unix.EPOLLOUT|unix.EPOLLERR|unix.EPOLLHUP) == 0 {
				continue
			}
			if soErr, err := unix.GetsockoptInt(c.fd, unix.SOL_SOCKET, unix.SO_ERROR); err != nil || soErr != 0 {
				l.close(c)
				class := loadtest.ErrorOther
				if err == nil {
					class = errnoClass(unix.Errno(soErr))
				}
				l.dialFailed(class)
				continue
			}
			l.connected(c)
		case csWriting:
			if ev.Events&(unix.EPOLLIN|unix.EPOLLERR|unix.EPOLLHUP|unix.EPOLLRDHUP) != 0 {
				// The server answers (or hangs up) before it took the
				// whole request.
				l.read(c)
			} else if ev.Events&unix.EPOLLOUT != 0 {
				l.write(c)
			}
		case csReading:
			l.read(c)
		case csIdle:
			// The server closed a kept-alive connection, or sent bytes no
			// request asked for: either way it is done.
			l.close(c)
		}
	}
	return n, nil
}

// epollWait waits with a nanosecond timeout (epoll_pwait2, Linux 5.11),
// or in whole milliseconds rounded up where the kernel lacks it.
func (l *eventLoop) epollWait(wait time.Duration) (int, error) {
	if l.pwait2 {
		ts := unix.NsecToTimespec(int64(wait))
		r, _, e := unix.Syscall6(unix.SYS_EPOLL_PWAIT2, uintptr(l.epfd), uintptr(unsafe.Pointer(&l.events[0])),
			uintptr(len(l.events)), uintptr(unsafe.Pointer(&ts)), 0, 0)
		if e == 0 {
			return int(r), nil
		}
		if e != unix.ENOSYS && e != unix.EPERM {
			return 0, e
		}
		// Kernels before 5.11, and seccomp profiles that do not know it.
		l.pwait2 = false
	}
	ms := int((wait + time.Millisecond - 1) / time.Millisecond)
	return unix.EpollWait(l.epfd, l.events, ms)
}

// read takes what the socket has of the response.
func (l *eventLoop) read(c *loopConn) {
	n, err := unix.Read(c.fd, l.buf)
	if errors.Is(err, unix.EAGAIN) {
		return
	}
	if err != nil {
		l.fail(c, errnoClass(err))
		return
	}
	if n == 0 {
		done, perr := c.p.eof()
		if perr != nil {
			// Closed before any byte of the answer: with the resets;
			// closed inside it: a broken answer.
			class := loadtest.ErrorOther
			if !c.got {
				class = loadtest.ErrorConnectionReset
			}
			l.fail(c, class)
			return
		}
		if done {
			l.finish(c, false)
		}
		return
	}
	c.got = true
	used, done, perr := c.p.feed(l.buf[:n])
	if perr != nil {
		l.fail(c, loadtest.ErrorOther)
		return
	}
	if done {
		// Bytes beyond the response: no request asked for them, so the
		// connection is not trusted again.
		l.finish(c, used == n && c.p.reusable() && c.written == len(l.reqs[c.ep].raw))
	}
}

// finish records an answered request and keeps or closes its connection.
func (l *eventLoop) finish(c *loopConn, keep bool) {
	out := outcomeOK
	if c.p.status >= 400 {
		out = httpClass(c.p.status)
	}
	l.rec.finished(c.intended, c.began, time.Since(l.start), c.ep, out)
	l.unbusy(c)
	if !keep {
		l.close(c)
		return
	}
	c.state, c.reused = csIdle, true
	if !l.takePending(c) {
		l.idle = append(l.idle, c)
	}
}

// fail ends a request with an error, or replays it once on a new
// connection when a kept-alive connection turned out dead before any of
// the answer came (idempotent methods only, as net/http does).
func (l *eventLoop) fail(c *loopConn, class string) {
	if c.busyAt < 0 {
		l.close(c)
		return
	}
	h := pendingHit{intended: c.intended, began: c.began, ep: c.ep, retried: true}
	replay := c.reused && !c.got && !c.retried && l.reqs[c.ep].idempotent && time.Since(l.start) < c.deadline
	l.unbusy(c)
	l.close(c)
	if replay {
		// First in line: it is older than every waiting hit.
		l.pending = append(l.pending, pendingHit{})
		copy(l.pending[1:], l.pending)
		l.pending[0] = h
		l.askDial()
		return
	}
	// The result counts errors by cause; it does not keep their text.
	l.rec.finished(h.intended, h.began, time.Since(l.start), h.ep, class)
}

// expire fails the requests past their timeout.
func (l *eventLoop) expire(now time.Duration) {
	for i := 0; i < len(l.busy); {
		c := l.busy[i]
		if now < c.deadline {
			i++
			continue
		}
		c.retried = true
		l.fail(c, loadtest.ErrorTimeout)
	}
	for _, c := range l.byFD {
		if c != nil && c.state == csConnecting && now >= c.deadline {
			// The handshake took the whole timeout; the hit it was
			// for has timed out in pending meanwhile.
			l.close(c)
			l.dialing--
		}
	}
	for len(l.pending) > 0 && now >= l.pending[0].began+l.timeout {
		h := l.pending[0]
		l.pending = l.pending[1:]
		l.rec.finished(h.intended, h.began, now, h.ep, loadtest.ErrorTimeout)
	}
}

func (l *eventLoop) unbusy(c *loopConn) {
	i := c.busyAt
	if i < 0 {
		return
	}
	last := len(l.busy) - 1
	l.busy[i] = l.busy[last]
	l.busy[i].busyAt = i
	l.busy = l.busy[:last]
	c.busyAt = -1
}

func (l *eventLoop) close(c *loopConn) {
	if c.fd < 0 {
		return
	}
	l.unbusy(c)
	l.byFD[c.fd] = nil
	unix.Close(c.fd)
	c.fd = -1
}

func (l *eventLoop) closeAll() {
	if l.dialReq != nil {
		l.stopping.Store(true)
		close(l.dialReq)
		l.dialWG.Wait()
		close(l.dialed)
		for r := range l.dialed {
			if r.err == nil {
				unix.Close(r.fd)
			}
		}
	}
	if l.wakefd >= 0 {
		unix.Close(l.wakefd)
	}
	for _, c := range l.byFD {
		if c != nil {
			l.close(c)
		}
	}
	unix.Close(l.epfd)
}
