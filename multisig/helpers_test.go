package multisig_test

import (
	"bytes"
	"context"
	"crypto/rand"
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

// recorder is an HTTP transport that records which hosts were asked.
type recorder struct {
	mu    sync.Mutex
	hosts map[string]bool
}

func (rec *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	rec.mu.Lock()
	if rec.hosts == nil {
		rec.hosts = map[string]bool{}
	}
	rec.hosts["http://"+req.URL.Host] = true
	rec.mu.Unlock()
	return http.DefaultTransport.RoundTrip(req)
}

// take returns the hosts asked since the last take.
func (rec *recorder) take() map[string]bool {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	h := rec.hosts
	rec.hosts = nil
	return h
}
