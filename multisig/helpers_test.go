package multisig_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"maps"
	mrand "math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nemiot/nemiot/multisig"
	"github.com/nemiot/nemiot/nem"
	"github.com/nemiot/nemiot/nem/nis/nistest"
)

// device is a multisig account on a nistest network and the keys of its
// owners (the first ones usable as signers).
type device struct {
	key    *nem.PrivateKey
	owners []*nem.PrivateKey
	min    int
}

func (d *device) address(net *nistest.Network) nem.Address { return d.key.Address(net.NetworkID()) }

func (d *device) ownerKeys() []nem.PublicKey {
	keys := make([]nem.PublicKey, len(d.owners))
	for i, o := range d.owners {
		keys[i] = o.PublicKey()
	}
	return sortedKeys(keys)
}

func sortedKeys(keys []nem.PublicKey) []nem.PublicKey {
	keys = slices.Clone(keys)
	slices.SortFunc(keys, func(a, b nem.PublicKey) int { return bytes.Compare(a[:], b[:]) })
	return keys
}

// newKey returns a fresh key that is not on chain.
func newKey(t testing.TB) *nem.PrivateKey {
	t.Helper()
	k, err := nem.GeneratePrivateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// newDevice converts a new account into a min-of-n multisig account. The
// first two owners are funded accounts able to sign modifications.
func newDevice(t testing.TB, net *nistest.Network, min, n int) *device {
	t.Helper()
	d := &device{key: net.NewAccount(), min: min}
	for i := range n {
		if i < 2 {
			d.owners = append(d.owners, net.NewAccount())
		} else {
			d.owners = append(d.owners, newKey(t))
		}
	}
	keys := make([]nem.PublicKey, n)
	for i, o := range d.owners {
		keys[i] = o.PublicKey()
	}
	if _, err := net.ConvertToMultisig(d.key, min, keys...); err != nil {
		t.Fatalf("converting to %d-of-%d: %v", min, n, err)
	}
	return d
}

// resolver returns a Resolver over the network's nodes, 5 of 3 by default.
func resolver(net *nistest.Network) *multisig.Resolver {
	return &multisig.Resolver{Nodes: net.URLs(), HTTP: testHTTP}
}

var testHTTP = &http.Client{Timeout: 20 * time.Second}

// checkOwners fails t unless o is exactly d's owner record.
func checkOwners(t testing.TB, what string, o *multisig.Owners, err error, net *nistest.Network, d *device, quorum int) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if o.Account != d.address(net) || o.MinCosignatories != d.min || !slices.Equal(o.Cosignatories, d.ownerKeys()) {
		t.Fatalf("%s: got %v, want min %d of %d %v", what, o, d.min, len(d.owners), d.ownerKeys())
	}
	if o.Agreed < quorum || o.Asked < o.Agreed {
		t.Fatalf("%s: agreed %d of %d asked, quorum %d", what, o.Agreed, o.Asked, quorum)
	}
}

func setAll(t testing.TB, net *nistest.Network, b nistest.Behavior) {
	t.Helper()
	for _, nd := range net.Nodes() {
		if err := nd.SetBehavior(b); err != nil {
			t.Fatal(err)
		}
	}
}

func requests(net *nistest.Network) int64 {
	var n int64
	for _, nd := range net.Nodes() {
		n += nd.Requests()
	}
	return n
}

// seeded is a deterministic random source for Resolver.Rand.
type seeded struct{ r *mrand.ChaCha8 }

func (s seeded) Read(p []byte) (int, error) { return s.r.Read(p) }

func seededRand(seed uint64) seeded {
	var s [32]byte
	for i := range 8 {
		s[i] = byte(seed >> (8 * i))
	}
	return seeded{mrand.NewChaCha8(s)}
}

// fakeClock is an injected clock that moves only when told.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Date(2025, 11, 25, 10, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// recorder is an HTTP transport that records which hosts each call asked.
// A call is named by the value of callKey in its context; requests that a
// search leaves running after it returns (the nodes it did not wait for)
// still count for the call that made them, however late they start.
//
// With barrier > 0, a call's requests wait until barrier distinct hosts
// have been asked by it (or the request's context ends), so that a test
// knows every node of a sample was asked before any answer arrives,
// however slowly the machine schedules the search's goroutines.
type recorder struct {
	barrier int
	mu      sync.Mutex
	calls   map[int]map[string]bool
	full    map[int]chan struct{}
}

type callKey struct{}

// withCall returns ctx naming the call id for a recorder.
func withCall(ctx context.Context, id int) context.Context {
	return context.WithValue(ctx, callKey{}, id)
}

func (rec *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	id, _ := req.Context().Value(callKey{}).(int)
	rec.mu.Lock()
	if rec.calls == nil {
		rec.calls = map[int]map[string]bool{}
	}
	if rec.calls[id] == nil {
		rec.calls[id] = map[string]bool{}
	}
	host := "http://" + req.URL.Host
	fresh := !rec.calls[id][host]
	rec.calls[id][host] = true
	if rec.full == nil {
		rec.full = map[int]chan struct{}{}
	}
	full := rec.full[id]
	if full == nil {
		full = make(chan struct{})
		rec.full[id] = full
	}
	if fresh && len(rec.calls[id]) == rec.barrier {
		close(full)
	}
	rec.mu.Unlock()
	if rec.barrier > 0 {
		select {
		case <-full:
		case <-req.Context().Done():
			return nil, req.Context().Err()
		}
	}
	return http.DefaultTransport.RoundTrip(req)
}

// take returns the hosts that call id has asked so far.
func (rec *recorder) take(id int) map[string]bool {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return maps.Clone(rec.calls[id])
}
