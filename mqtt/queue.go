package mqtt

import (
	"sync"

	"github.com/nemiot/nemiot/nem"
)

// flowKey is whose messages a flow holds: one sender to one device.
type flowKey struct {
	dev    *Device
	sender nem.PublicKey
}

// flow is one flowKey's queued envelopes, oldest first.
type flow struct {
	key   flowKey
	items [][]byte
}

// fairQueue holds the envelopes waiting for a worker, a FIFO per (device,
// sender key) from the envelope's clear header, served round-robin: a
// flood from one key (junk signed by a stranger, copies of an owner's old
// envelope) fills its own flow and is dropped there, while every other
// sender's next envelope is at most one turn per busy sender away. Envelopes
// that claim random sender keys each get a flow of their own; the total
// bound then drops the newest arrivals, owners' among them, until the
// workers catch up.
type fairQueue struct {
	mu      sync.Mutex
	flows   map[flowKey]*flow
	ring    []*flow // flows with items, in turn order
	total   int
	max     int
	perFlow int
	tokens  chan struct{} // one per queued envelope
}

func newFairQueue(max, perFlow int) *fairQueue {
	return &fairQueue{flows: map[flowKey]*flow{}, max: max, perFlow: perFlow, tokens: make(chan struct{}, max)}
}

// push queues env for k, or reports false if k's flow or the queue is
// full.
func (q *fairQueue) push(k flowKey, env []byte) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.total >= q.max {
		return false
	}
	f := q.flows[k]
	if f == nil {
		f = &flow{key: k}
		q.flows[k] = f
		q.ring = append(q.ring, f)
	} else if len(f.items) >= q.perFlow {
		return false
	}
	f.items = append(f.items, env)
	q.total++
	q.tokens <- struct{}{} // never blocks: at most max tokens
	return true
}

// pop takes the next envelope in turn; call it once per token received.
func (q *fairQueue) pop() (flowKey, []byte) {
	q.mu.Lock()
	defer q.mu.Unlock()
	f := q.ring[0]
	env := f.items[0]
	f.items[0] = nil
	f.items = f.items[1:]
	q.total--
	copy(q.ring, q.ring[1:])
	q.ring = q.ring[:len(q.ring)-1]
	if len(f.items) == 0 {
		delete(q.flows, f.key)
	} else {
		q.ring = append(q.ring, f)
	}
	return f.key, env
}
