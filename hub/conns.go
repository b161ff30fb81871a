package hub

import (
	"net"
	"net/http"
	"net/netip"
	"sync"
	"time"
)

// grace is how long a new connection may stay silent (no complete request
// headers yet) before, at the connection cap, it is closed like an idle one
// to admit another. A client sends its request as soon as it connects; the
// server's ReadHeaderTimeout still bounds it below the cap.
const grace = time.Second

// connLimiter is the listener a [Server] serves: it bounds the connections
// open at once and keeps idle ones from holding them.
//
// At the cap, a newly accepted connection is admitted by closing an idle
// one (between keep-alive requests): the one idle the longest of a peer
// with more than maxIdlePeer idle connections, else the one idle the
// longest; or else the oldest one that has been silent for the grace
// period. While every connection is busy, it waits, and further clients
// wait in the kernel's accept queue. Below the cap, no connection is
// closed: a client busy on many connections from one address is not hurt.
//
// The states come from http.Server.ConnState (connState).
type connLimiter struct {
	net.Listener
	max, maxIdlePeer int
	grace            time.Duration // grace, or shorter in tests

	mu       sync.Mutex
	open     int      // admitted and not closed
	idle     connList // StateIdle, longest idle first
	fresh    connList // StateNew, oldest first
	peerIdle map[netip.Prefix]int

	wake      chan struct{} // capacity 1: a connection closed or went idle
	done      chan struct{} // closed by Close
	closeOnce sync.Once
}

func newConnLimiter(l net.Listener, max, maxIdlePeer int) *connLimiter {
	return &connLimiter{
		Listener:    l,
		max:         max,
		maxIdlePeer: maxIdlePeer,
		grace:       grace,
		peerIdle:    make(map[netip.Prefix]int),
		wake:        make(chan struct{}, 1),
		done:        make(chan struct{}),
	}
}

// trackedConn is a connection a connLimiter admitted.
type trackedConn struct {
	net.Conn
	l    *connLimiter
	peer netip.Prefix

	// Guarded by l.mu.
	list       *connList // the list it is on, if any
	prev, next *trackedConn
	since      time.Time // when it joined l.fresh
	closed     bool
}

// connList is an intrusive doubly linked list of connections.
type connList struct{ head, tail *trackedConn }

func (q *connList) push(c *trackedConn) {
	c.list, c.prev, c.next = q, q.tail, nil
	if q.tail != nil {
		q.tail.next = c
	} else {
		q.head = c
	}
	q.tail = c
}

func (q *connList) remove(c *trackedConn) {
	if c.prev != nil {
		c.prev.next = c.next
	} else {
		q.head = c.next
	}
	if c.next != nil {
		c.next.prev = c.prev
	} else {
		q.tail = c.prev
	}
	c.list, c.prev, c.next = nil, nil, nil
}

// peerOf is the peer a connection counts against: its IPv4 address, or the
// /64 of its IPv6 address (what one host is usually given). Other kinds of
// address all count as one peer.
func peerOf(c net.Conn) netip.Prefix {
	a, ok := c.RemoteAddr().(*net.TCPAddr)
	if !ok {
		return netip.Prefix{}
	}
	ip := a.AddrPort().Addr().Unmap()
	bits := 32
	if ip.Is6() {
		bits = 64
	}
	p, _ := ip.Prefix(bits)
	return p
}

// Accept accepts a connection and admits it, making room if the limiter
// is at its cap.
func (l *connLimiter) Accept() (net.Conn, error) {
	nc, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	c := &trackedConn{Conn: nc, l: l, peer: peerOf(nc)}
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		l.mu.Lock()
		if l.open < l.max {
			l.open++
			l.mu.Unlock()
			return c, nil
		}
		victim, wait := l.victim(time.Now())
		l.mu.Unlock()
		if victim != nil {
			victim.Close()
			continue
		}
		var tick <-chan time.Time
		if wait > 0 {
			if timer == nil {
				timer = time.NewTimer(wait)
			} else {
				timer.Reset(wait)
			}
			tick = timer.C
		}
		select {
		case <-l.wake:
		case <-tick:
		case <-l.done:
			nc.Close()
			return nil, net.ErrClosed
		}
	}
}

// victim takes the connection to close to make room off its list: the one
// idle the longest of a peer with more than l.maxIdlePeer idle, else the
// one idle the longest, else the oldest one silent for l.grace. Without
// one, it returns how long until the oldest silent connection passes its
// grace (0 if there is none). l.mu is held.
func (l *connLimiter) victim(now time.Time) (*trackedConn, time.Duration) {
	for c := l.idle.head; c != nil; c = c.next {
		if l.peerIdle[c.peer] > l.maxIdlePeer {
			l.unlist(c)
			return c, 0
		}
	}
	if c := l.idle.head; c != nil {
		l.unlist(c)
		return c, 0
	}
	if c := l.fresh.head; c != nil {
		if wait := c.since.Add(l.grace).Sub(now); wait > 0 {
			return nil, wait
		}
		l.unlist(c)
		return c, 0
	}
	return nil, 0
}

// unlist takes c off the list it is on. l.mu is held.
func (l *connLimiter) unlist(c *trackedConn) {
	switch c.list {
	case nil:
		return
	case &l.idle:
		if n := l.peerIdle[c.peer] - 1; n > 0 {
			l.peerIdle[c.peer] = n
		} else {
			delete(l.peerIdle, c.peer)
		}
	}
	c.list.remove(c)
}

// signal wakes an Accept waiting for room.
func (l *connLimiter) signal() {
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// state records a connection's new state; it is the http.Server's
// ConnState (through connState).
func (l *connLimiter) state(c *trackedConn, s http.ConnState) {
	l.mu.Lock()
	if c.closed {
		l.mu.Unlock()
		return
	}
	l.unlist(c)
	switch s {
	case http.StateNew:
		c.since = time.Now()
		l.fresh.push(c)
	case http.StateIdle:
		l.idle.push(c)
		l.peerIdle[c.peer]++
		l.signal()
	}
	l.mu.Unlock()
}

// connState is the ConnState of a Server's http.Server.
func connState(nc net.Conn, s http.ConnState) {
	if c, ok := nc.(*trackedConn); ok {
		c.l.state(c, s)
	}
}

// Close closes the listener; an Accept waiting for room returns.
func (l *connLimiter) Close() error {
	err := l.Listener.Close()
	l.closeOnce.Do(func() { close(l.done) })
	return err
}

// Close closes the connection and frees its place.
func (c *trackedConn) Close() error {
	l := c.l
	l.mu.Lock()
	if !c.closed {
		c.closed = true
		l.unlist(c)
		l.open--
		l.signal()
	}
	l.mu.Unlock()
	return c.Conn.Close()
}
