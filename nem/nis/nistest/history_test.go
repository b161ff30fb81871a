package nistest_test

import (
	"context"
	"errors"
	"testing"

	"github.com/nemiot/nemiot/nem"
	"github.com/nemiot/nemiot/nem/nis"
	"github.com/nemiot/nemiot/nem/nis/nistest"
	"github.com/nemiot/nemiot/nem/tx"
)

// modificationHashes lists the hashes of the multisig modifications of
// account a as node c lists them, newest first.
func modificationHashes(t *testing.T, c *nis.Client, a nem.Address) []tx.Hash {
	t.Helper()
	list, err := c.OutgoingTransfers(context.Background(), a, tx.Page{Size: 100})
	if err != nil {
		t.Fatal(err)
	}
	var out []tx.Hash
	for _, ct := range list {
		if err := ct.Verify(); err != nil {
			t.Fatalf("listed transaction %s does not verify: %v", ct.Hash, err)
		}
		txn := ct.Transaction
		if txn.Type == tx.TypeMultisigModification || (txn.Type == tx.TypeMultisig && txn.Inner.Type == tx.TypeMultisigModification) {
			out = append(out, ct.Hash)
		}
	}
	return out
}

// A node with a truncated history hides the newest modifications from its
// lists and from /transaction/get; a forging node lists signed transactions
// the chain never saw, newest, and finds them by hash.
func TestHistoryTruncatedAndForged(t *testing.T) {
	o := setup(t, 3)
	d := o.net.NewAccount()
	mod, err := o.net.ModifyMultisig(o.device.PublicKey(), []nem.PublicKey{d.PublicKey()}, nil, 0, o.a, o.b)
	if err != nil {
		t.Fatal(err)
	}
	honest := modificationHashes(t, o.net.Node(0).Client(), o.deviceAddr)
	if len(honest) != 2 || honest[0] != mod || honest[1] != o.conversion {
		t.Fatalf("honest history %v, want [%s %s]", honest, mod, o.conversion)
	}

	if err := o.net.Node(1).SetBehavior(nistest.TruncatedHistory(1)); err != nil {
		t.Fatal(err)
	}
	got := modificationHashes(t, o.net.Node(1).Client(), o.deviceAddr)
	if len(got) != 1 || got[0] != o.conversion {
		t.Fatalf("truncated history %v, want [%s]", got, o.conversion)
	}
	if _, err := o.net.Node(1).Client().Transaction(context.Background(), mod); !errors.Is(err, nis.ErrNotFound) {
		t.Fatalf("hidden modification by hash: %v, want ErrNotFound", err)
	}

	// An attacker "adds" itself in a wrapper it signs alone.
	attacker := o.net.NewAccount()
	now := nem.TimestampOf(o.net.Time())
	inner := &tx.Transaction{Type: tx.TypeMultisigModification, Network: o.net.NetworkID(), TimeStamp: now, Deadline: now + 3600,
		Signer: o.device.PublicKey(), Modifications: []tx.Modification{{Type: tx.AddCosignatory, Cosignatory: attacker.PublicKey()}}}
	inner.Fee = tx.MinimumFee(inner)
	w := &tx.Transaction{Type: tx.TypeMultisig, Network: o.net.NetworkID(), TimeStamp: now, Deadline: now + 3600, Inner: inner}
	w.Fee = tx.MinimumFee(w)
	if _, err := w.Sign(attacker); err != nil {
		t.Fatal(err)
	}
	wh, _ := w.Hash()
	if err := o.net.Node(2).SetBehavior(nistest.ForgedHistory(w)); err != nil {
		t.Fatal(err)
	}
	got = modificationHashes(t, o.net.Node(2).Client(), o.deviceAddr)
	if len(got) != 3 || got[0] != wh || got[1] != mod {
		t.Fatalf("forged history %v, want the forgery %s first", got, wh)
	}
	ct, err := o.net.Node(2).Client().Transaction(context.Background(), wh)
	if err != nil || ct.Height <= o.net.Height()-1 {
		t.Fatalf("forgery by hash: %v, %v", ct, err)
	}
	// The chain itself never saw it.
	if _, err := o.net.Node(0).Client().Transaction(context.Background(), wh); !errors.Is(err, nis.ErrNotFound) {
		t.Fatalf("honest node finds the forgery: %v", err)
	}
}
