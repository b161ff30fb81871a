package mqtttest

import (
	"net"
	"sync"
	"testing"
)

// Direction is the way bytes flow through a [Proxy].
type Direction int

// The two directions.
const (
	ToBroker Direction = iota // from the client to the broker
	ToClient                  // from the broker to the client
)

// Proxy is a loopback TCP relay between MQTT clients and a broker that
// misbehaves on demand: it goes down (connections cut, new ones closed at
// once), or cuts a connection in the middle of a packet. Clients dial
// [Proxy.URL] instead of the broker's. It is safe for concurrent use.
type Proxy struct {
	target string
	l      net.Listener

	mu    sync.Mutex
	down  bool
	conns map[*pair]struct{}
	cut   *cutPlan
}

type pair struct{ client, broker net.Conn }

type cutPlan struct {
	dir  Direction
	min  int
	done chan struct{}
}

// NewProxy relays to the broker at target (host:port) until t ends.
func NewProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{target: target, l: l, conns: map[*pair]struct{}{}}
	go p.accept()
	t.Cleanup(func() {
		l.Close()
		p.CutAll()
	})
	return p
}

// URL is the proxy's address as an MQTT URL, tcp://127.0.0.1:PORT.
func (p *Proxy) URL() string { return "tcp://" + p.l.Addr().String() }

// Down cuts every connection and closes new ones at once, until Up.
func (p *Proxy) Down() {
	p.mu.Lock()
	p.down = true
	p.mu.Unlock()
	p.CutAll()
}

// Up relays new connections again.
func (p *Proxy) Up() {
	p.mu.Lock()
	p.down = false
	p.mu.Unlock()
}

// CutAll closes every relayed connection now.
func (p *Proxy) CutAll() {
	p.mu.Lock()
	conns := p.conns
	p.conns = map[*pair]struct{}{}
	p.mu.Unlock()
	for c := range conns {
		c.client.Close()
		c.broker.Close()
	}
}

// CutMidPacket arms a fault: the next read of at least min bytes flowing
// in dir is relayed only in part (its first half), and then that
// connection is cut both ways, so the receiver sees a packet that stops
// in the middle. The returned channel is closed when the fault has fired.
func (p *Proxy) CutMidPacket(dir Direction, min int) <-chan struct{} {
	done := make(chan struct{})
	p.mu.Lock()
	p.cut = &cutPlan{dir: dir, min: min, done: done}
	p.mu.Unlock()
	return done
}

func (p *Proxy) accept() {
	for {
		c, err := p.l.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		down := p.down
		p.mu.Unlock()
		if down {
			c.Close()
			continue
		}
		b, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		pr := &pair{client: c, broker: b}
		p.mu.Lock()
		p.conns[pr] = struct{}{}
		p.mu.Unlock()
		go p.relay(pr, ToBroker)
		go p.relay(pr, ToClient)
	}
}

func (p *Proxy) relay(pr *pair, dir Direction) {
	src, dst := pr.client, pr.broker
	if dir == ToClient {
		src, dst = pr.broker, pr.client
	}
	defer func() {
		pr.client.Close()
		pr.broker.Close()
		p.mu.Lock()
		delete(p.conns, pr)
		p.mu.Unlock()
	}()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.mu.Lock()
			plan := p.cut
			if plan != nil && plan.dir == dir && n >= plan.min {
				p.cut = nil
			} else {
				plan = nil
			}
			p.mu.Unlock()
			if plan != nil {
				dst.Write(buf[:n/2])
				close(plan.done)
				return
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil { // io.EOF or a cut: either way, cut the other side
			return
		}
	}
}
