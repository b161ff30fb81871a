package multisig_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/nemiot/nemiot/multisig"
	"github.com/nemiot/nemiot/nem"
	"github.com/nemiot/nemiot/nem/nis"
	"github.com/nemiot/nemiot/nem/nis/nistest"
)

// The ioNEM claim: a device converts itself to a 1-of-1 account owned by a
// temporary key, and the user takes it over with that key in one
// modification. Every step is announced to all nodes and followed until
// confirmed.
func ExampleClient() {
	net, err := nistest.Start(5, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer net.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	device := net.NewAccount() // funded: the device account pays the fees
	temp, _ := nem.GeneratePrivateKey(nil)
	user, _ := nem.GeneratePrivateKey(nil)
	c := &multisig.Client{Nodes: net.URLs(), Network: nem.Testnet, PollEvery: 50 * time.Millisecond}

	a, err := c.Convert(ctx, device, 1, temp.PublicKey())
	if err != nil {
		log.Fatal(err)
	}
	if _, err := c.Wait(ctx, a); err != nil {
		log.Fatal(err)
	}
	a, err = c.TransferOwnership(ctx, temp, device.PublicKey(), temp.PublicKey(), user.PublicKey())
	if err != nil {
		log.Fatal(err)
	}
	if _, err := c.Wait(ctx, a); err != nil {
		log.Fatal(err)
	}
	o, err := (&multisig.Resolver{Nodes: net.URLs()}).Owners(ctx, device.Address(nem.Testnet))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("user owns it:", o.Has(user.PublicKey()), "temporary key:", o.Has(temp.PublicKey()))
	fmt.Println("verified history:", o.Custody.Len(), "modifications")

	// The temporary key can do nothing any more: the nodes refuse it, and
	// the error says why.
	_, err = c.AddOwner(ctx, temp, device.PublicKey(), temp.PublicKey())
	var refused *multisig.AnnounceError
	if errors.As(err, &refused) && errors.Is(err, nis.ErrRejected) {
		fmt.Println("refused:", refused.Reason)
	}
	// Output:
	// user owns it: true temporary key: false
	// verified history: 2 modifications
	// refused: the signer is not a cosignatory of the account
}

// A device verifies its account's history itself: the nodes' answers count
// only if the history leads to them. Here, a colluding majority of the
// nodes claims an attacker's key: no history of the account leads there.
func ExampleCustody() {
	net, device, owners := exampleNetwork()
	defer net.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	attacker, _ := nem.GeneratePrivateKey(nil)
	for i := range 3 { // a colluding majority
		b := nistest.Lying([]nem.PublicKey{attacker.PublicKey()}, 1)
		net.Node(i).SetBehavior(b)
	}
	_, err := (&multisig.Resolver{Nodes: net.URLs()}).Owners(ctx, device.Address(nem.Testnet))
	fmt.Println("3 of 5 nodes lying:", errors.Is(err, multisig.ErrNoQuorum))

	// The history a device verified, step by step.
	for i := range 3 {
		net.Node(i).SetBehavior(nistest.Honest())
	}
	o, err := (&multisig.Resolver{Nodes: net.URLs()}).Owners(ctx, device.Address(nem.Testnet))
	if err != nil {
		log.Fatal(err)
	}
	h := o.Custody
	fmt.Println("modifications:", h.Len(), "owners:", len(h.Cosignatories()), "minimum:", h.MinCosignatories())
	fmt.Println("first owner:", o.Has(owners[0].PublicKey()))
	// Output:
	// 3 of 5 nodes lying: true
	// modifications: 1 owners: 3 minimum: 2
	// first owner: true
}
