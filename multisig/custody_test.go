package multisig_test

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nemiot/nemiot/multisig"
	"github.com/nemiot/nemiot/nem"
	"github.com/nemiot/nemiot/nem/nis/nistest"
	"github.com/nemiot/nemiot/nem/tx"
)

// custodySeeds is the number of seeds of each custody property (each seed
// draws the nodes asked, which nodes lie and how): 64, or 16 with -short
// (CI's ARM runs under emulation).
func custodySeeds() uint64 {
	if testing.Short() {
		return 16
	}
	return 64
}

// wrapper returns a multisig transaction of account, initiated by signers[0]
// and cosigned by the others, wrapping a modification, dated now on net.
func wrapper(t testing.TB, net *nistest.Network, account nem.PublicKey, ch multisig.Change, signers ...*nem.PrivateKey) *tx.Transaction {
	t.Helper()
	now := nem.TimestampOf(net.Time())
	inner := &tx.Transaction{Type: tx.TypeMultisigModification, Network: net.NetworkID(), TimeStamp: now, Deadline: now + 3600,
		Signer: account, MinCosignatoriesChange: int32(ch.MinChange)}
	for _, k := range ch.Add {
		inner.Modifications = append(inner.Modifications, tx.Modification{Type: tx.AddCosignatory, Cosignatory: k})
	}
	for _, k := range ch.Remove {
		inner.Modifications = append(inner.Modifications, tx.Modification{Type: tx.RemoveCosignatory, Cosignatory: k})
	}
	inner.Fee = tx.MinimumFee(inner)
	w := &tx.Transaction{Type: tx.TypeMultisig, Network: net.NetworkID(), TimeStamp: now, Deadline: now + 3600, Inner: inner}
	w.Fee = tx.MinimumFee(w)
	if _, err := w.Sign(signers[0]); err != nil {
		t.Fatal(err)
	}
	for _, s := range signers[1:] {
		c, err := tx.NewCosignature(w, now, now+3600)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Sign(s); err != nil {
			t.Fatal(err)
		}
		w.Cosignatures = append(w.Cosignatures, c)
	}
	return w
}

// forgery is one way a lying node backs its claim that the attacker owns
// the device.
type forgery struct {
	name string
	b    func(attacker *nem.PrivateKey) nistest.Behavior
}

// forgeries returns the lies a node can tell about d (a 2-of-3 device):
// each claims the attacker's key, with the history it serves.
func forgeries(t testing.TB, net *nistest.Network, d *device) []forgery {
	dk := d.key.PublicKey()
	lie := func(a *nem.PrivateKey, keys []nem.PublicKey, min int, h *nistest.History) nistest.Behavior {
		b := nistest.Lying(keys, min)
		b.History = h
		return b
	}
	withAttacker := func(a *nem.PrivateKey) []nem.PublicKey { return sortedKeys(append(d.ownerKeys(), a.PublicKey())) }
	return []forgery{
		{"the lie alone, honest history", func(a *nem.PrivateKey) nistest.Behavior {
			return nistest.Lying([]nem.PublicKey{a.PublicKey()}, 1)
		}},
		{"attacker signs an addition", func(a *nem.PrivateKey) nistest.Behavior {
			return lie(a, withAttacker(a), d.min, &nistest.History{Forged: []*tx.Transaction{
				wrapper(t, net, dk, multisig.Change{Add: []nem.PublicKey{a.PublicKey()}}, a)}})
		}},
		{"one owner signs, short of the minimum", func(a *nem.PrivateKey) nistest.Behavior {
			return lie(a, withAttacker(a), d.min, &nistest.History{Forged: []*tx.Transaction{
				wrapper(t, net, dk, multisig.Change{Add: []nem.PublicKey{a.PublicKey()}}, d.owners[0])}})
		}},
		{"one owner and the attacker's cosignature", func(a *nem.PrivateKey) nistest.Behavior {
			return lie(a, withAttacker(a), d.min, &nistest.History{Forged: []*tx.Transaction{
				wrapper(t, net, dk, multisig.Change{Add: []nem.PublicKey{a.PublicKey()}}, d.owners[0], a)}})
		}},
		{"a conversion signed by the attacker, history replaced", func(a *nem.PrivateKey) nistest.Behavior {
			now := nem.TimestampOf(net.Time())
			conv := &tx.Transaction{Type: tx.TypeMultisigModification, Network: net.NetworkID(), TimeStamp: now, Deadline: now + 3600,
				Signer: dk, Modifications: []tx.Modification{{Type: tx.AddCosignatory, Cosignatory: a.PublicKey()}}, MinCosignatoriesChange: 1}
			conv.Fee = tx.MinimumFee(conv)
			st, err := conv.Serialize()
			if err != nil {
				t.Fatal(err)
			}
			conv.Signature = a.Sign(st) // the attacker cannot sign as the device
			return lie(a, []nem.PublicKey{a.PublicKey()}, 1, &nistest.History{HideModifications: 100, Forged: []*tx.Transaction{conv}})
		}},
		{"a genuine old modification replayed", func(a *nem.PrivateKey) nistest.Behavior {
			return lie(a, d.ownerKeys(), d.min+1, &nistest.History{Forged: []*tx.Transaction{
				wrapper(t, net, dk, multisig.Change{MinChange: 1}, d.owners[0])}})
		}},
	}
}

// The custody property: a colluding majority of the nodes (3 of 5, 5 of
// 5, 4 of 7) claiming an attacker's key, with any history they can make,
// never makes the device obey it: the answer is the true owners or
// ErrNoQuorum, whichever nodes are drawn.
func TestCustodyColludingMajority(t *testing.T) {
	for _, tc := range []struct{ nodes, liars int }{{5, 3}, {5, 5}, {7, 4}} {
		t.Run(fmt.Sprintf("%d of %d", tc.liars, tc.nodes), func(t *testing.T) {
			t.Parallel()
			net := nistest.NewNetwork(t, tc.nodes, nil)
			d := newDevice(t, net, 2, 3)
			fs := forgeries(t, net, d)
			attacker := net.NewAccount()
			truth, refused := 0, 0
			for seed := range custodySeeds() {
				rnd := seededRand(seed)
				pick := make([]byte, 2*tc.nodes)
				rnd.Read(pick)
				liars := map[int]bool{}
				for len(liars) < tc.liars {
					liars[int(pick[len(liars)])%tc.nodes] = true
					pick = append(pick[1:], byte(seed)+pick[0])
				}
				for i, nd := range net.Nodes() {
					b := nistest.Honest()
					if liars[i] {
						b = fs[(int(pick[i])+i)%len(fs)].b(attacker)
					}
					if err := nd.SetBehavior(b); err != nil {
						t.Fatal(err)
					}
				}
				r := resolver(net)
				r.Rand = rnd
				o, err := r.Owners(ctxT(t), d.address(net))
				switch {
				case err == nil && o.Has(attacker.PublicKey()):
					t.Fatalf("seed %d: the device obeys the attacker: %v", seed, o)
				case err == nil:
					checkOwners(t, fmt.Sprintf("seed %d", seed), o, err, net, d, 3)
					truth++
				case errors.Is(err, multisig.ErrNoQuorum):
					if !strings.Contains(err.Error(), multisig.ErrCustody.Error()) {
						t.Fatalf("seed %d: no quorum, but no answer refused for custody: %v", seed, err)
					}
					refused++
				default:
					t.Fatalf("seed %d: %v", seed, err)
				}
			}
			t.Logf("%d seeds: %d true owners, %d no quorum", custodySeeds(), truth, refused)
			if tc.liars == tc.nodes && truth != 0 {
				t.Fatalf("every node lies, yet %d answers: the lies do not reach the resolver", truth)
			}
		})
	}
}

// Each forgery alone, on every node: custody refuses every answer, and
// the report says so.
func TestCustodyEachForgery(t *testing.T) {
	net := nistest.NewNetwork(t, 5, nil)
	d := newDevice(t, net, 2, 3)
	attacker := net.NewAccount()
	for _, f := range forgeries(t, net, d) {
		setAll(t, net, f.b(attacker))
		o, err := resolver(net).Owners(ctxT(t), d.address(net))
		var qe *multisig.QuorumError
		if o != nil || !errors.As(err, &qe) {
			t.Fatalf("%s: %v, %v", f.name, o, err)
		}
		for _, a := range qe.Answers {
			if !errors.Is(a.Err, multisig.ErrCustody) {
				t.Fatalf("%s: answer not refused for custody: %v", f.name, a)
			}
		}
	}
}

// oldSetRemoval is a 1-of-2 device whose owner X was removed; the resolver
// has verified the removal.
func oldSetRemoval(t *testing.T, n int) (net *nistest.Network, d *device, x nem.PublicKey, known *multisig.Custody) {
	net = nistest.NewNetwork(t, n, nil)
	d = newDevice(t, net, 1, 2)
	x = d.owners[1].PublicKey()
	if _, err := net.ModifyMultisig(d.key.PublicKey(), nil, []nem.PublicKey{x}, 0, d.owners[0]); err != nil {
		t.Fatal(err)
	}
	d.owners = d.owners[:1]
	o, err := resolver(net).Owners(ctxT(t), d.address(net))
	checkOwners(t, "after the removal", o, err, net, d, 3)
	if o.Custody == nil || o.Custody.Len() != 2 {
		t.Fatalf("custody of the answer: %+v", o.Custody)
	}
	return net, d, x, o.Custody
}

// A truncated history (nodes hiding the last modification and reporting
// the set from before it) cannot undo a removal the device has verified,
// even when every node does it, at the current height.
func TestCustodyTruncatedCannotUndoRemoval(t *testing.T) {
	net, d, x, known := oldSetRemoval(t, 5)
	old := []nem.PublicKey{d.owners[0].PublicKey(), x}
	for seed := range custodySeeds() {
		rnd := seededRand(seed)
		var b [1]byte
		rnd.Read(b[:])
		liars := 3 + int(b[0])%3 // 3, 4 or 5 of 5
		for i, nd := range net.Nodes() {
			be := nistest.Honest()
			if i < liars {
				be = oldSetLiar(old, 1)
			}
			nd.SetBehavior(be)
		}
		r := resolver(net)
		r.Rand = rnd
		o, err := r.OwnersSince(ctxT(t), d.address(net), known)
		if err == nil && o.Has(x) {
			t.Fatalf("seed %d, %d liars: the removed owner is back: %v", seed, liars, o)
		}
		if !errors.Is(err, multisig.ErrNoQuorum) || !strings.Contains(err.Error(), "hides changes") {
			t.Fatalf("seed %d, %d liars: %v, %v; want ErrNoQuorum, histories refused", seed, liars, o, err)
		}
	}
	// Without the verified history, the same liars win: omission is the
	// limit of custody, which the cache closes by keeping its history.
	o, err := resolver(net).Owners(ctxT(t), d.address(net))
	if err != nil || !o.Has(x) {
		t.Fatalf("5 truncating liars, nothing known: %v, %v (the lie does not reach the resolver)", o, err)
	}
}

// The same through the OwnerCache: once it has seen the removal, no
// refresh brings X back, whatever the nodes serve.
func TestCustodyCacheKeepsRemoval(t *testing.T) {
	net, d, x, _ := oldSetRemoval(t, 5)
	c, clock := newCache(t, net, d)
	if isOwner(t, c, x) {
		t.Fatal("removed owner accepted")
	}
	setAll(t, net, oldSetLiar([]nem.PublicKey{d.owners[0].PublicKey(), x}, 1))
	for range 3 {
		clock.Advance(10 * time.Minute)
		c.IsOwner(ctxT(t), d.owners[0].PublicKey()) // refreshes: the stale policy may refuse
		multisig.Settle(c)
		if ok, _ := c.IsOwner(ctxT(t), x); ok {
			t.Fatal("the removed owner is back")
		}
		if !errors.Is(c.Err(), multisig.ErrNoQuorum) {
			t.Fatalf("refresh: %v, want the truncated histories refused", c.Err())
		}
	}
}

// pathCounter counts the requests for one path.
type pathCounter struct {
	path string
	n    atomic.Int64
}

func (p *pathCounter) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Path == p.path && req.Context().Err() == nil {
		p.n.Add(1)
	}
	return http.DefaultTransport.RoundTrip(req)
}

// Honest changes — an added owner, a transfer, a minimum change, an m-of-n
// change with cosignatures — are accepted once confirmed, each continuing
// the verified history; a refresh with nothing new reads one history page
// per node asked.
func TestCustodyHonestChanges(t *testing.T) {
	net := nistest.NewNetwork(t, 5, nil)
	cl := ownerClient(net)
	d := newDevice(t, net, 1, 2)
	pc := &pathCounter{path: "/account/transfers/outgoing"}
	r := resolver(net)
	r.HTTP = &http.Client{Transport: pc, Timeout: testHTTP.Timeout}
	o, err := r.Owners(ctxT(t), d.address(net))
	checkOwners(t, "start", o, err, net, d, 3)
	known := o.Custody

	y, z := newKey(t), newKey(t)
	steps := []struct {
		what string
		do   func() (*multisig.Announced, error)
		then func()
	}{
		{"add", func() (*multisig.Announced, error) {
			return cl.AddOwner(ctxT(t), d.owners[0], d.key.PublicKey(), y.PublicKey())
		}, func() { d.owners = append(d.owners, y) }},
		{"transfer", func() (*multisig.Announced, error) {
			return cl.TransferOwnership(ctxT(t), d.owners[0], d.key.PublicKey(), y.PublicKey(), z.PublicKey())
		}, func() { d.owners[2] = z }},
		{"min +1", func() (*multisig.Announced, error) {
			return cl.ChangeMinimum(ctxT(t), d.owners[1], d.key.PublicKey(), 1)
		}, func() { d.min = 2 }},
		{"2-of-3 removal, cosigned", func() (*multisig.Announced, error) {
			a, err := cl.Modify(ctxT(t), d.owners[0], d.key.PublicKey(), multisig.Change{Remove: []nem.PublicKey{z.PublicKey()}, MinChange: -1})
			if err != nil {
				return nil, err
			}
			p, err := cl.Pending(ctxT(t), d.address(net))
			if err != nil || len(p) != 1 {
				t.Fatalf("pending: %v, %v", p, err)
			}
			if _, err := cl.Cosign(ctxT(t), d.owners[1], p[0]); err != nil {
				return nil, err
			}
			return a, nil
		}, func() { d.owners, d.min = d.owners[:2], 1 }},
	}
	for i, s := range steps {
		a, err := s.do()
		confirm(t, cl, s.what, a, err)
		s.then()
		o, err := r.OwnersSince(ctxT(t), d.address(net), known)
		checkOwners(t, s.what, o, err, net, d, 3)
		if o.Custody.Len() != known.Len()+1 || !o.Custody.Extends(known) || o.Custody.Tip() != a.Hash {
			t.Fatalf("%s: history of %d ending %s does not continue the known one of %d with %s", s.what, o.Custody.Len(), o.Custody.Tip(), known.Len(), a.Hash)
		}
		if o.Custody.Len() != i+2 {
			t.Fatalf("%s: %d modifications verified", s.what, o.Custody.Len())
		}
		known = o.Custody
	}
	// Nothing new: one history request per node asked.
	pc.n.Store(0)
	o, err = r.OwnersSince(ctxT(t), d.address(net), known)
	checkOwners(t, "nothing new", o, err, net, d, 3)
	if got := pc.n.Load(); got > int64(o.Asked) || got < int64(o.Agreed) {
		t.Fatalf("a refresh with nothing new read %d history pages from %d nodes asked", got, o.Asked)
	}
	if !slices.Equal(o.Custody.Cosignatories(), d.ownerKeys()) || o.Custody.MinCosignatories() != d.min {
		t.Fatalf("custody leads to %v min %d", o.Custody.Cosignatories(), o.Custody.MinCosignatories())
	}
}
