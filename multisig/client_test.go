package multisig_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nemiot/nemiot/multisig"
	"github.com/nemiot/nemiot/nem"
	"github.com/nemiot/nemiot/nem/nis"
	"github.com/nemiot/nemiot/nem/nis/nistest"
	"github.com/nemiot/nemiot/nem/tx"
)

func ownerClient(net *nistest.Network) *multisig.Client {
	return &multisig.Client{Nodes: net.URLs(), Network: net.NetworkID(), HTTP: testHTTP, PollEvery: 20 * time.Millisecond}
}

// confirm waits for a until it is in a block.
func confirm(t *testing.T, c *multisig.Client, what string, a *multisig.Announced, err error) *tx.ConfirmedTransaction {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if len(a.Accepted) == 0 {
		t.Fatalf("%s: announced but no node accepted it", what)
	}
	ct, err := c.Wait(ctxT(t), a)
	if err != nil {
		t.Fatalf("%s: waiting: %v", what, err)
	}
	if ct.Hash != a.Hash {
		t.Fatalf("%s: confirmed %s, want %s", what, ct.Hash, a.Hash)
	}
	return ct
}

func owners(t *testing.T, net *nistest.Network, account nem.Address) *multisig.Owners {
	t.Helper()
	o, err := resolver(net).Owners(ctxT(t), account)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// The claim of the ioNEM flow: a device converts itself to a 1-of-1
// account owned by a temporary key, whose holder hands it over to the
// user's key in one modification; the device then has exactly the user as
// its owner, on every node.
func TestClientClaimAndHandOver(t *testing.T) {
	net := nistest.NewNetwork(t, 5, nil)
	c := ownerClient(net)
	device := net.NewAccount()
	temp, user := newKey(t), newKey(t)
	da := device.Address(net.NetworkID())

	a, err := c.Convert(ctxT(t), device, 1, temp.PublicKey())
	ct := confirm(t, c, "convert", a, err)
	if ct.Transaction.Type != tx.TypeMultisigModification || ct.Transaction.Signer != device.PublicKey() {
		t.Fatalf("conversion confirmed as %v by %s", ct.Transaction.Type, ct.Transaction.Signer)
	}
	if o := owners(t, net, da); !slices.Equal(o.Cosignatories, []nem.PublicKey{temp.PublicKey()}) || o.Required() != 1 {
		t.Fatalf("after conversion: %v", o)
	}
	// The temporary key holds no XEM: the device account pays the fees.
	a, err = c.TransferOwnership(ctxT(t), temp, device.PublicKey(), temp.PublicKey(), user.PublicKey())
	confirm(t, c, "hand over", a, err)
	if o := owners(t, net, da); !slices.Equal(o.Cosignatories, []nem.PublicKey{user.PublicKey()}) {
		t.Fatalf("after hand-over: %v", o)
	}
	// The temporary key can do nothing any more.
	_, err = c.AddOwner(ctxT(t), temp, device.PublicKey(), temp.PublicKey())
	var ae *multisig.AnnounceError
	if !errors.As(err, &ae) || ae.Code != 71 || !errors.Is(err, nis.ErrRejected) {
		t.Fatalf("temporary key after hand-over: %v, want NIS code 71 (not a cosignatory)", err)
	}
}

// An m-of-n change waits in the pools for cosignatures: Pending lists it
// with who signed, Cosign completes it, and the change is then confirmed.
func TestClientPendingAndCosign(t *testing.T) {
	net := nistest.NewNetwork(t, 5, nil)
	c := ownerClient(net)
	d := newDevice(t, net, 2, 3)
	e := newKey(t)
	add, err := c.AddOwner(ctxT(t), d.owners[0], d.key.PublicKey(), e.PublicKey())
	if err != nil {
		t.Fatal(err)
	}
	// Not in a block without the second signature.
	short, cancel := context.WithTimeout(ctxT(t), 200*time.Millisecond)
	defer cancel()
	if _, err := c.Wait(short, add); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("waiting for a change short of a signature: %v", err)
	}
	list, err := c.Pending(ctxT(t), d.address(net))
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].Hash != add.Hash || list[0].InnerHash != add.InnerHash ||
		!list[0].Signed(d.owners[0].PublicKey()) || list[0].Signed(d.owners[1].PublicKey()) {
		t.Fatalf("pending: %+v, want the addition signed by the initiator only", list)
	}
	cs, err := c.Cosign(ctxT(t), d.owners[1], list[0])
	confirm(t, c, "cosign", cs, err)
	d.owners = append(d.owners, e)
	checkOwners(t, "after cosigning", owners(t, net, d.address(net)), nil, net, d, 3)
	if list, err := c.Pending(ctxT(t), d.address(net)); err != nil || len(list) != 0 {
		t.Fatalf("pending after confirmation: %v, %v", list, err)
	}

	// The minimum change and a removal, each cosigned.
	for _, step := range []struct {
		what string
		do   func() (*multisig.Announced, error)
	}{
		{"min +1", func() (*multisig.Announced, error) {
			return c.ChangeMinimum(ctxT(t), d.owners[1], d.key.PublicKey(), 1)
		}},
		{"remove", func() (*multisig.Announced, error) {
			return c.Modify(ctxT(t), d.owners[0], d.key.PublicKey(), multisig.Change{Remove: []nem.PublicKey{e.PublicKey()}, MinChange: -1})
		}},
	} {
		a, err := step.do()
		if err != nil {
			t.Fatalf("%s: %v", step.what, err)
		}
		list, err := c.Pending(ctxT(t), d.address(net))
		if err != nil || len(list) != 1 {
			t.Fatalf("%s: pending %v, %v", step.what, list, err)
		}
		// The other owners cosign until the change is complete; a
		// cosignature after that finds nothing pending (NIS code 73).
		for _, k := range d.owners[:3] {
			if list[0].Signed(k.PublicKey()) {
				continue
			}
			_, err := c.Cosign(ctxT(t), k, list[0])
			var ae *multisig.AnnounceError
			if err != nil && !(errors.As(err, &ae) && ae.Code == 73) {
				t.Fatalf("%s: cosign: %v", step.what, err)
			}
		}
		confirm(t, c, step.what, a, nil)
	}
	o := owners(t, net, d.address(net))
	if o.MinCosignatories != 2 || len(o.Cosignatories) != 3 || o.Has(e.PublicKey()) {
		t.Fatalf("after min change and removal: %v", o)
	}
}

// Refusals come back as the NIS validation code, in words, never as a
// silent success.
func TestClientRefusals(t *testing.T) {
	net := nistest.NewNetwork(t, 3, nil)
	c := ownerClient(net)
	d := newDevice(t, net, 1, 2)
	stranger := net.NewAccount()

	poor := newKey(t) // never funded
	_, err := c.Convert(ctxT(t), poor, 1, stranger.PublicKey())
	checkCode(t, "converting an unfunded account", err, 5, "insufficient balance")

	_, err = c.AddOwner(ctxT(t), stranger, d.key.PublicKey(), stranger.PublicKey())
	checkCode(t, "a stranger adds itself", err, 71, "not a cosignatory")

	old := *c
	old.Now = func() time.Time { return net.Time().Add(-2 * time.Hour) }
	_, err = old.AddOwner(ctxT(t), d.owners[0], d.key.PublicKey(), stranger.PublicKey())
	checkCode(t, "an expired change", err, 3, "expired")

	_, err = c.Modify(ctxT(t), d.owners[0], d.key.PublicKey(), multisig.Change{MinChange: 5})
	checkCode(t, "a minimum out of range", err, 82, "out of range")

	_, err = c.Convert(ctxT(t), d.key, 1, stranger.PublicKey())
	checkCode(t, "converting a multisig account again", err, 74, "only its owners")
}

func checkCode(t *testing.T, what string, err error, code int, words string) {
	t.Helper()
	var ae *multisig.AnnounceError
	if !errors.As(err, &ae) || ae.Code != code || !errors.Is(err, nis.ErrRejected) {
		t.Fatalf("%s: %v, want NIS code %d", what, err, code)
	}
	if !strings.Contains(err.Error(), words) || len(ae.Answers) == 0 {
		t.Fatalf("%s: %q does not say %q, or lists no node", what, err, words)
	}
}

// One censoring or failing node does not stop an announcement; all of
// them failing is an error, not a success.
func TestClientCensoringNode(t *testing.T) {
	net := nistest.NewNetwork(t, 3, nil)
	c := ownerClient(net)
	d := newDevice(t, net, 1, 2)
	if err := net.Node(0).SetBehavior(nistest.Error(500, "censored")); err != nil {
		t.Fatal(err)
	}
	if err := net.Node(1).SetBehavior(nistest.Down()); err != nil {
		t.Fatal(err)
	}
	e := newKey(t)
	a, err := c.AddOwner(ctxT(t), d.owners[0], d.key.PublicKey(), e.PublicKey())
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Accepted) != 1 || a.Accepted[0] != net.Node(2).URL() || len(a.Refused) != 2 {
		t.Fatalf("accepted by %v, refused by %v", a.Accepted, a.Refused)
	}
	c.Confirmations = 1
	confirm(t, c, "past a censor", a, nil)

	if err := net.Node(2).SetBehavior(nistest.Down()); err != nil {
		t.Fatal(err)
	}
	_, err = c.RemoveOwner(ctxT(t), d.owners[0], d.key.PublicKey(), e.PublicKey())
	var ae *multisig.AnnounceError
	if !errors.As(err, &ae) || ae.Code != 0 || errors.Is(err, nis.ErrRejected) || len(ae.Answers) != 3 {
		t.Fatalf("no node reachable: %v", err)
	}
}

// A change that never gets its cosignatures expires: Wait says so once the
// deadline has passed.
func TestClientWaitExpires(t *testing.T) {
	net := nistest.NewNetwork(t, 3, nil)
	c := ownerClient(net)
	d := newDevice(t, net, 2, 2)
	var mu sync.Mutex
	shift := time.Duration(0)
	c.Now = func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return net.Time().Add(shift)
	}
	c.Validity = time.Minute
	a, err := c.AddOwner(ctxT(t), d.owners[0], d.key.PublicKey(), newKey(t).PublicKey())
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	shift = 3 * time.Minute
	mu.Unlock()
	if _, err := c.Wait(ctxT(t), a); !errors.Is(err, multisig.ErrExpired) {
		t.Fatalf("waiting past the deadline: %v, want ErrExpired", err)
	}
}

func TestClientConfig(t *testing.T) {
	k := newKey(t)
	for _, c := range []*multisig.Client{
		{Network: nem.Testnet},
		{Nodes: []string{"http://127.0.0.1:1"}},
		{Nodes: []string{"http://127.0.0.1:1"}, Network: nem.Testnet, Validity: 48 * time.Hour},
	} {
		if _, err := c.Convert(context.Background(), k, 1, newKey(t).PublicKey()); !errors.Is(err, multisig.ErrConfig) {
			t.Errorf("%+v: %v, want ErrConfig", c, err)
		}
	}
	c := &multisig.Client{Nodes: []string{"http://127.0.0.1:1"}, Network: nem.Testnet}
	if _, err := c.Convert(context.Background(), k, 2, newKey(t).PublicKey()); !errors.Is(err, multisig.ErrConfig) {
		t.Errorf("2-of-1: %v", err)
	}
	if _, err := c.Modify(context.Background(), k, newKey(t).PublicKey(), multisig.Change{}); !errors.Is(err, multisig.ErrConfig) {
		t.Errorf("empty change: %v", err)
	}
}
