package hub

import (
	"errors"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"
)

// pipeListener hands out in-memory connections from the peers tests name.
type pipeListener struct {
	conns     chan net.Conn
	done      chan struct{}
	closeOnce sync.Once
}

func newPipeListener() *pipeListener {
	return &pipeListener{conns: make(chan net.Conn, 16), done: make(chan struct{})}
}

func (p *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-p.conns:
		return c, nil
	case <-p.done:
		return nil, net.ErrClosed
	}
}

func (p *pipeListener) Close() error {
	p.closeOnce.Do(func() { close(p.done) })
	return nil
}

func (p *pipeListener) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)} }

type peerConn struct {
	net.Conn
	remote *net.TCPAddr
}

func (c peerConn) RemoteAddr() net.Addr { return c.remote }

// limiterRig is a connLimiter over a pipeListener.
type limiterRig struct {
	t *testing.T
	p *pipeListener
	l *connLimiter
}

// newLimiterRig returns a rig whose grace period is an hour, unless the
// test sets another.
func newLimiterRig(t *testing.T, max, maxIdlePeer int) *limiterRig {
	p := newPipeListener()
	l := newConnLimiter(p, max, maxIdlePeer)
	l.grace = time.Hour
	t.Cleanup(func() { l.Close() })
	return &limiterRig{t, p, l}
}

// dial queues a connection from ip (an IP address) and starts accepting it;
// the result comes on the channel.
func (r *limiterRig) dial(ip string) <-chan *trackedConn {
	r.t.Helper()
	a, err := net.ResolveTCPAddr("tcp", net.JoinHostPort(ip, "40000"))
	if err != nil {
		r.t.Fatal(err)
	}
	server, client := net.Pipe()
	r.t.Cleanup(func() { client.Close() })
	r.p.conns <- peerConn{server, a}
	got := make(chan *trackedConn, 1)
	go func() {
		c, err := r.l.Accept()
		if err != nil {
			got <- nil
			return
		}
		tc := c.(*trackedConn)
		connState(tc, http.StateNew) // as http.Server does
		got <- tc
	}()
	return got
}

// accept dials from ip and waits for the connection to be admitted.
func (r *limiterRig) accept(ip string) *trackedConn {
	r.t.Helper()
	c := <-r.dial(ip)
	if c == nil {
		r.t.Fatal("Accept failed")
	}
	return c
}

func (r *limiterRig) isClosed(c *trackedConn) bool {
	r.l.mu.Lock()
	defer r.l.mu.Unlock()
	return c.closed
}

// check asserts which connections are closed, and that the count of open
// ones adds up.
func (r *limiterRig) check(open, closed []*trackedConn) {
	r.t.Helper()
	for i, c := range open {
		if r.isClosed(c) {
			r.t.Errorf("open[%d] was closed", i)
		}
	}
	for i, c := range closed {
		if !r.isClosed(c) {
			r.t.Errorf("closed[%d] is open", i)
		}
	}
	r.l.mu.Lock()
	defer r.l.mu.Unlock()
	if r.l.open != len(open) {
		r.t.Errorf("%d connections counted open, want %d", r.l.open, len(open))
	}
}

// busy and idle move a connection as http.Server does.
func busy(c *trackedConn) { connState(c, http.StateActive) }
func idle(c *trackedConn) { connState(c, http.StateActive); connState(c, http.StateIdle) }

// TestLimiterIdleMakesRoom: at the cap, the connection idle the longest
// is closed to admit a new one; busy ones are not.
func TestLimiterIdleMakesRoom(t *testing.T) {
	r := newLimiterRig(t, 3, 100)
	a, b, c := r.accept("10.0.0.1"), r.accept("10.0.0.2"), r.accept("10.0.0.3")
	busy(a)
	idle(c) // c is idle longer than b
	idle(b)
	d := r.accept("10.0.0.4")
	r.check([]*trackedConn{a, b, d}, []*trackedConn{c})
	e := r.accept("10.0.0.5")
	r.check([]*trackedConn{a, d, e}, []*trackedConn{b, c})
	// State changes reported after the close are ignored.
	idle(b)
	r.check([]*trackedConn{a, d, e}, []*trackedConn{b, c})
}

// TestLimiterBusyWaits: at the cap with every connection busy, a new one
// waits until one goes idle or closes.
func TestLimiterBusyWaits(t *testing.T) {
	r := newLimiterRig(t, 2, 100)
	a, b := r.accept("10.0.0.1"), r.accept("10.0.0.2")
	busy(a)
	busy(b)
	next := r.dial("10.0.0.3")
	idle(b)
	c := <-next
	r.check([]*trackedConn{a, c}, []*trackedConn{b})
	busy(c)
	next = r.dial("10.0.0.4")
	a.Close()
	d := <-next
	r.check([]*trackedConn{c, d}, []*trackedConn{a, b})
}

// TestLimiterIdlePerPeer: at the cap, a peer with more than maxIdlePeer
// idle connections loses its longest idle one first, even if another
// peer's has been idle longer. IPv4-mapped addresses are their IPv4 peer,
// and an IPv6 /64 is one peer.
func TestLimiterIdlePerPeer(t *testing.T) {
	for _, peers := range [][2]string{
		{"192.0.2.1", "::ffff:192.0.2.1"},
		{"2001:db8:1:2::1", "2001:db8:1:2:ffff::9"},
	} {
		r := newLimiterRig(t, 5, 2)
		other := r.accept("2001:db8:1:3::1") // another /64
		x1, x2, x3, x4 := r.accept(peers[0]), r.accept(peers[1]), r.accept(peers[0]), r.accept(peers[1])
		idle(other)
		idle(x1)
		idle(x2)
		idle(x3)
		busy(x4)
		y := r.accept("10.0.0.1")
		r.check([]*trackedConn{other, x2, x3, x4, y}, []*trackedConn{x1})
		// The peer is within its bound now: the longest idle goes.
		z := r.accept("10.0.0.2")
		r.check([]*trackedConn{x2, x3, x4, y, z}, []*trackedConn{x1, other})
	}
}

// TestLimiterSilent: at the cap with no idle connection, one that has sent
// nothing for the grace period is closed to admit a new one.
func TestLimiterSilent(t *testing.T) {
	r := newLimiterRig(t, 2, 100)
	r.l.grace = 20 * time.Millisecond
	start := time.Now()
	a, b := r.accept("10.0.0.1"), r.accept("10.0.0.2")
	busy(b)
	c := r.accept("10.0.0.3")
	if d := time.Since(start); d < r.l.grace {
		t.Errorf("admitted after %v, before the silent one's grace of %v", d, r.l.grace)
	}
	r.check([]*trackedConn{b, c}, []*trackedConn{a})
}

// TestLimiterClose: Close ends an Accept waiting for room and closes the
// connection it held.
func TestLimiterClose(t *testing.T) {
	r := newLimiterRig(t, 1, 100)
	a := r.accept("10.0.0.1")
	busy(a)
	next := r.dial("10.0.0.2")
	r.l.Close()
	if c := <-next; c != nil {
		t.Error("Accept admitted a connection after Close")
	}
	if _, err := r.l.Accept(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Accept after Close: %v", err)
	}
	r.check([]*trackedConn{a}, nil)
}
