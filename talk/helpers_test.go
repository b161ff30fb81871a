package talk_test

import (
	"context"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/nemiot/nemiot/nem"
	"github.com/nemiot/nemiot/nem/nis"
	"github.com/nemiot/nemiot/nem/nis/nistest"
	"github.com/nemiot/nemiot/nem/tx"
	"github.com/nemiot/nemiot/talk"
)

// world is a local network with a device (a 1-of-1 multisig account owned
// by owner), its messenger and a stranger.
type world struct {
	t        *testing.T
	net      *nistest.Network
	nodes    []*nis.Client
	device   *nem.PrivateKey
	msgr     *nem.PrivateKey
	owner    *nem.PrivateKey
	stranger *nem.PrivateKey
	refused  []*talk.RefusedError
	mu       sync.Mutex
}

func newWorld(t *testing.T, nodes int) *world {
	t.Helper()
	var seed [32]byte
	copy(seed[:], t.Name())
	start := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	net := nistest.NewNetwork(t, nodes, &nistest.Options{
		Rand:          rand.NewChaCha8(seed),
		Time:          start,
		HashRetention: -1,
	})
	w := &world{t: t, net: net}
	for _, u := range net.URLs() {
		w.nodes = append(w.nodes, nis.NewClient(u, nil))
	}
	w.device = net.NewAccount()
	w.owner = net.NewAccount()
	w.stranger = net.NewAccount()
	m, err := talk.DeriveMessenger(w.device)
	if err != nil {
		t.Fatal(err)
	}
	w.msgr = m
	if _, err := net.Fund(m.Address(net.NetworkID()), 100_000_000); err != nil {
		t.Fatal(err)
	}
	if _, err := net.ConvertToMultisig(w.device, 1, w.owner.PublicKey()); err != nil {
		t.Fatal(err)
	}
	return w
}

// sender is a Messenger for key on w's network.
func (w *world) sender(key *nem.PrivateKey) *talk.Messenger {
	return &talk.Messenger{Key: key, Network: w.net.NetworkID(), Nodes: w.nodes, Clock: w.net.Time}
}

// send sends b from key to the device's messenger and mines it.
func (w *world) send(from *nem.PrivateKey, b *talk.Body) tx.Hash {
	w.t.Helper()
	h, err := w.sender(from).Send(context.Background(), w.msgr.PublicKey(), 0, b)
	if err != nil {
		w.t.Fatalf("send: %v", err)
	}
	return h
}

func (w *world) inbox() *talk.Inbox {
	return &talk.Inbox{
		Accounts: []*nem.PrivateKey{w.msgr}, Network: w.net.NetworkID(), Nodes: w.nodes,
		Since: w.net.Height() + 1, // what the setup made is not news
		OnRefuse: func(e *talk.RefusedError) {
			w.mu.Lock()
			defer w.mu.Unlock()
			w.refused = append(w.refused, e)
		},
	}
}

func (w *world) refusals(r talk.Reason) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for _, e := range w.refused {
		if e.Reason == r {
			n++
		}
	}
	return n
}

func poll(t *testing.T, in *talk.Inbox) []*talk.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	got, err := in.Poll(ctx)
	if err != nil {
		t.Fatalf("Poll: %v", err)
	}
	return got
}

func text(s string) *talk.Body { return &talk.Body{Type: talk.TypeText, Text: s} }
