package multisig_test

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/nemiot/nemiot/multisig"
	"github.com/nemiot/nemiot/nem"
	"github.com/nemiot/nemiot/nem/nis/nistest"
	"github.com/nemiot/nemiot/nem/tx"
)

// chainBuilder makes an account's multisig history without a network:
// signed transactions as a node would list them, at increasing heights.
type chainBuilder struct {
	tb     testing.TB
	device *nem.PrivateKey
	height int64
	now    nem.Timestamp
	steps  []*tx.ConfirmedTransaction
}

func newChain(tb testing.TB, device *nem.PrivateKey) *chainBuilder {
	return &chainBuilder{tb: tb, device: device, height: 1000, now: 336477215}
}

func (b *chainBuilder) confirm(t *tx.Transaction) *tx.ConfirmedTransaction {
	b.tb.Helper()
	h, err := t.Hash()
	if err != nil {
		b.tb.Fatal(err)
	}
	ct := &tx.ConfirmedTransaction{Height: b.height, ID: b.height, Hash: h, Transaction: t}
	if t.Type == tx.TypeMultisig {
		ct.InnerHash, _ = t.InnerHash()
	}
	b.height++
	b.now++
	b.steps = append(b.steps, ct)
	return ct
}

func mods(ch multisig.Change) []tx.Modification {
	var out []tx.Modification
	for _, k := range ch.Add {
		out = append(out, tx.Modification{Type: tx.AddCosignatory, Cosignatory: k})
	}
	for _, k := range ch.Remove {
		out = append(out, tx.Modification{Type: tx.RemoveCosignatory, Cosignatory: k})
	}
	return out
}

// convert appends a conversion signed by signer (the device, unless forged).
func (b *chainBuilder) convert(signer *nem.PrivateKey, min int, owners ...nem.PublicKey) *tx.ConfirmedTransaction {
	b.tb.Helper()
	t := &tx.Transaction{Type: tx.TypeMultisigModification, Network: nem.Testnet, TimeStamp: b.now, Deadline: b.now + 3600,
		Signer: b.device.PublicKey(), Modifications: mods(multisig.Change{Add: owners}), MinCosignatoriesChange: int32(min)}
	t.Fee = tx.MinimumFee(t)
	data, err := t.Serialize()
	if err != nil {
		b.tb.Fatal(err)
	}
	t.Signature = signer.Sign(data)
	return b.confirm(t)
}

// modify appends a change initiated by signers[0] and cosigned by the rest.
func (b *chainBuilder) modify(ch multisig.Change, signers ...*nem.PrivateKey) *tx.ConfirmedTransaction {
	b.tb.Helper()
	inner := &tx.Transaction{Type: tx.TypeMultisigModification, Network: nem.Testnet, TimeStamp: b.now, Deadline: b.now + 3600,
		Signer: b.device.PublicKey(), Modifications: mods(ch), MinCosignatoriesChange: int32(ch.MinChange)}
	inner.Fee = tx.MinimumFee(inner)
	w := &tx.Transaction{Type: tx.TypeMultisig, Network: nem.Testnet, TimeStamp: b.now, Deadline: b.now + 3600, Inner: inner}
	w.Fee = tx.MinimumFee(w)
	if _, err := w.Sign(signers[0]); err != nil {
		b.tb.Fatal(err)
	}
	for _, s := range signers[1:] {
		c, err := tx.NewCosignature(w, b.now, b.now+3600)
		if err != nil {
			b.tb.Fatal(err)
		}
		if _, err := c.Sign(s); err != nil {
			b.tb.Fatal(err)
		}
		w.Cosignatures = append(w.Cosignatures, c)
	}
	return b.confirm(w)
}

func (b *chainBuilder) address() nem.Address { return b.device.Address(nem.Testnet) }

// history returns a 1-of-2 history of n modifications: the conversion
// (owners a and b), then owners x and y in turn added and removed by a,
// each step one signature (cosigs extra cosignatures with b, for a 2-of-2
// account when cosigs is true).
func history(tb testing.TB, n int, cosigs bool) (*chainBuilder, *multisig.Custody) {
	dev, a, bk, x := keyN(tb, 1), keyN(tb, 2), keyN(tb, 3), keyN(tb, 4)
	b := newChain(tb, dev)
	min := 1
	signers := []*nem.PrivateKey{a}
	if cosigs {
		min, signers = 2, []*nem.PrivateKey{a, bk}
	}
	b.convert(dev, min, a.PublicKey(), bk.PublicKey())
	for i := 1; i < n; i++ {
		if i%2 == 1 {
			b.modify(multisig.Change{Add: []nem.PublicKey{x.PublicKey()}}, signers...)
		} else {
			b.modify(multisig.Change{Remove: []nem.PublicKey{x.PublicKey()}}, signers...)
		}
	}
	return b, multisig.NewCustody(b.address())
}

// keyN returns a fixed test key (not secret: test data only).
func keyN(tb testing.TB, n byte) *nem.PrivateKey {
	var hex [64]byte
	for i := range hex {
		hex[i] = "0123456789abcdef"[(int(n)*7+i*3)%16]
	}
	k, err := nem.ParsePrivateKey(string(hex[:]))
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

func applyAll(c *multisig.Custody, steps []*tx.ConfirmedTransaction) error {
	for _, ct := range steps {
		if err := c.Apply(ct); err != nil {
			return err
		}
	}
	return nil
}

// BenchmarkCustody verifies a history of 1,000 modifications from scratch:
// one signature per step (1-of-2), and two (2-of-2, with a cosignature).
// The budget: < 100 ms on one core for the first.
func BenchmarkCustody(b *testing.B) {
	for _, bc := range []struct {
		name   string
		cosigs bool
	}{{"1000-mods-1-sig", false}, {"1000-mods-2-sigs", true}} {
		b.Run(bc.name, func(b *testing.B) {
			chain, _ := history(b, 1000, bc.cosigs)
			cpu := cpuTime()
			n := 0
			for b.Loop() {
				n++
				c := multisig.NewCustody(chain.address())
				if err := applyAll(c, chain.steps); err != nil {
					b.Fatal(err)
				}
				if c.Len() != 1000 {
					b.Fatalf("%d steps", c.Len())
				}
			}
			// CPU time, not wall time: on a shared machine the wall clock
			// also counts other processes.
			b.ReportMetric(float64(cpuTime()-cpu)/float64(time.Millisecond)/float64(n), "cpu-ms/op")
		})
	}
}

// The rules of Custody.Apply, step by step, without a network.
func TestCustodyApply(t *testing.T) {
	dev, a, bk, x, stranger := keyN(t, 1), keyN(t, 2), keyN(t, 3), keyN(t, 4), keyN(t, 5)
	refuse := func(what string, c *multisig.Custody, ct *tx.ConfirmedTransaction) {
		t.Helper()
		before := c.Len()
		err := c.Apply(ct)
		if err == nil || !errors.Is(err, multisig.ErrCustody) {
			t.Fatalf("%s: %v, want ErrCustody", what, err)
		}
		if c.Len() != before {
			t.Fatalf("%s: refused step applied", what)
		}
	}

	b := newChain(t, dev)
	c := multisig.NewCustody(b.address())
	refuse("a conversion signed by another key", c, b.convert(stranger, 1, stranger.PublicKey()))
	refuse("a wrapped change before any conversion", c, b.modify(multisig.Change{Add: []nem.PublicKey{x.PublicKey()}}, a))
	conv := b.convert(dev, 2, a.PublicKey(), bk.PublicKey())
	if err := c.Apply(conv); err != nil || !c.IsMultisig() || c.MinCosignatories() != 2 || c.Tip() != conv.Hash {
		t.Fatalf("conversion: %v", err)
	}
	refuse("the conversion again", c, conv)
	refuse("a second conversion", c, b.convert(dev, 1, x.PublicKey()))
	refuse("one of two signatures", c, b.modify(multisig.Change{Add: []nem.PublicKey{x.PublicKey()}}, a))
	refuse("a stranger's cosignature", c, b.modify(multisig.Change{Add: []nem.PublicKey{x.PublicKey()}}, a, stranger))
	refuse("the same owner twice", c, b.modify(multisig.Change{Add: []nem.PublicKey{x.PublicKey()}}, a, a))
	refuse("the minimum out of range", c, b.modify(multisig.Change{MinChange: 1}, a, bk))
	refuse("adding an owner twice", c, b.modify(multisig.Change{Add: []nem.PublicKey{a.PublicKey()}}, a, bk))
	refuse("removing a stranger", c, b.modify(multisig.Change{Remove: []nem.PublicKey{x.PublicKey()}}, a, bk))
	// A node tampering with a signed step: the hash no longer matches.
	tampered := b.modify(multisig.Change{Add: []nem.PublicKey{x.PublicKey()}}, a, bk)
	tampered.Transaction.Inner.Modifications[0].Cosignatory = stranger.PublicKey()
	refuse("a tampered modification", c, tampered)

	add := b.modify(multisig.Change{Add: []nem.PublicKey{x.PublicKey()}}, a, bk)
	if err := c.Apply(add); err != nil || c.Len() != 2 {
		t.Fatalf("2-of-3 addition with both signatures: %v", err)
	}
	old := *add
	old.Height = add.Height - 1
	refuse("a step in an earlier block", c, &old)
	// Removing x in a 2-of-3: x may sign, but does not count.
	refuse("the removed owner's signature counts", c, b.modify(multisig.Change{Remove: []nem.PublicKey{x.PublicKey()}, MinChange: -1}, a, x))
	if err := c.Apply(b.modify(multisig.Change{Remove: []nem.PublicKey{x.PublicKey()}, MinChange: -1}, x, a, bk)); err != nil {
		t.Fatalf("removal signed by the others: %v", err)
	}
	// The sole owner of a 1-of-1 account hands it over to another key.
	b2 := newChain(t, dev)
	c2 := multisig.NewCustody(b2.address())
	if err := applyAll(c2, []*tx.ConfirmedTransaction{
		b2.convert(dev, 1, a.PublicKey()),
		b2.modify(multisig.Change{Add: []nem.PublicKey{x.PublicKey()}, Remove: []nem.PublicKey{a.PublicKey()}}, a),
	}); err != nil {
		t.Fatalf("1-of-1 hand-over: %v", err)
	}
	if got := c2.Cosignatories(); len(got) != 1 || got[0] != x.PublicKey() {
		t.Fatalf("after the hand-over: %v", got)
	}
	refuse("the previous owner after the hand-over", c2, b2.modify(multisig.Change{Add: []nem.PublicKey{a.PublicKey()}}, a))

	// Other transactions of the account are not steps.
	transfer := &tx.ConfirmedTransaction{Height: 5000, Transaction: &tx.Transaction{Type: tx.TypeTransfer, Signer: dev.PublicKey()}}
	if err := c2.Apply(transfer); err != nil || c2.Len() != 2 {
		t.Fatalf("a transfer: %v", err)
	}

	// The whole benchmark history verifies, and a clone is independent.
	hb, hc := history(t, 50, true)
	if err := applyAll(hc, hb.steps); err != nil || hc.Len() != 50 {
		t.Fatalf("history: %v", err)
	}
	cl := hc.Clone()
	if !cl.Extends(hc) || !hc.Extends(cl) {
		t.Fatal("a clone does not extend its original")
	}
	if err := cl.Apply(hb.modify(multisig.Change{Add: []nem.PublicKey{keyN(t, 9).PublicKey()}}, a, bk)); err != nil {
		t.Fatal(err)
	}
	if !cl.Extends(hc) || hc.Extends(cl) || hc.Len() != 50 {
		t.Fatal("Extends is not a prefix relation")
	}
}

// BenchmarkOwnersSinceNothingNew is a refresh of a device whose 200
// modifications the cache has verified, when nothing changed: each node
// asked serves one page of history (reported as history-req/op, beside
// all requests, req/op).
func BenchmarkOwnersSinceNothingNew(b *testing.B) {
	net := nistest.NewNetwork(b, 5, nil)
	d := newDevice(b, net, 1, 2)
	x := newKey(b).PublicKey()
	for i := 1; i < 200; i++ {
		ch := [2][]nem.PublicKey{{x}, nil}
		if i%2 == 0 {
			ch = [2][]nem.PublicKey{nil, {x}}
		}
		net.Advance(0, time.Second) // the same change again is another transaction
		if _, err := net.ModifyMultisig(d.key.PublicKey(), ch[0], ch[1], 0, d.owners[0]); err != nil {
			b.Fatal(err)
		}
	}
	pc := &pathCounter{path: "/account/transfers/outgoing"}
	r := resolver(net)
	r.HTTP = &http.Client{Transport: pc, Timeout: testHTTP.Timeout}
	o, err := r.Owners(ctxT(b), d.address(net))
	if err != nil || o.Custody.Len() != 200 {
		b.Fatalf("%v, %v", o, err)
	}
	known := o.Custody
	pc.n.Store(0)
	all := requests(net)
	cpu := cpuTime()
	n := 0
	for b.Loop() {
		n++
		if _, err := r.OwnersSince(ctxT(b), d.address(net), known); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(pc.n.Load())/float64(n), "history-req/op")
	b.ReportMetric(float64(requests(net)-all)/float64(n), "req/op")
	b.ReportMetric(float64(cpuTime()-cpu)/float64(time.Millisecond)/float64(n), "cpu-ms/op")
}
