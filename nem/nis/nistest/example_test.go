package nistest_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"slices"
	"time"

	"github.com/nemiot/nemiot/nem"
	"github.com/nemiot/nemiot/nem/nis"
	"github.com/nemiot/nemiot/nem/nis/nistest"
	"github.com/nemiot/nemiot/nem/tx"
)

// A device account owned 1-of-2 by Alice and Bob, read back through the
// NIS API of one of three local nodes.
func Example() {
	net, err := nistest.Start(3, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer net.Close()

	device := net.NewAccount()
	alice, bob := net.NewAccount(), net.NewAccount()
	if _, err := net.ConvertToMultisig(device, 1, alice.PublicKey(), bob.PublicKey()); err != nil {
		log.Fatal(err)
	}

	c := nis.NewClient(net.URLs()[0], nil) // any node; any code that speaks NIS
	acct, err := c.Account(context.Background(), device.Address(net.NetworkID()))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("multisig:", acct.IsMultisig())
	fmt.Println("owners:", len(acct.Cosignatories), "threshold:", acct.MultisigInfo.Threshold())
	fmt.Println("alice owns it:", slices.Contains(acct.CosignatoryKeys(), alice.PublicKey()))
	// Output:
	// multisig: true
	// owners: 2 threshold: 1
	// alice owns it: true
}

// Nodes that lie, fail or go away, to test that firmware asks enough nodes
// and trusts none of them alone.
func Example_misbehavingNodes() {
	net, err := nistest.Start(4, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer net.Close()
	device, owner, attacker := net.NewAccount(), net.NewAccount(), net.NewAccount()
	if _, err := net.ConvertToMultisig(device, 1, owner.PublicKey()); err != nil {
		log.Fatal(err)
	}

	net.Node(1).SetBehavior(nistest.Lying([]nem.PublicKey{attacker.PublicKey()}, 1))
	net.Node(2).SetBehavior(nistest.Down())
	net.Node(3).SetBehavior(nistest.Error(503, "NIS_ILLEGAL_STATE_LOADING_CHAIN"))

	for _, nd := range net.Nodes() {
		acct, err := nd.Client().Account(context.Background(), device.Address(net.NetworkID()))
		switch {
		case err != nil:
			fmt.Printf("node %d: failed (unavailable: %v)\n", nd.Index(), errors.Is(err, nis.ErrUnavailable))
		case slices.Contains(acct.CosignatoryKeys(), attacker.PublicKey()):
			fmt.Printf("node %d: says the attacker owns it\n", nd.Index())
		default:
			fmt.Printf("node %d: says the owner owns it\n", nd.Index())
		}
	}
	// Output:
	// node 0: says the owner owns it
	// node 1: says the attacker owns it
	// node 2: failed (unavailable: false)
	// node 3: failed (unavailable: true)
}

// An Apostille is a transfer whose plain message is the Apostille payload;
// auditors find it by hash and check it themselves.
func ExampleNetwork_AddTransfer() {
	net, err := nistest.Start(1, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer net.Close()
	owner, dedicated := net.NewAccount(), net.NewAccount()
	payload := append([]byte{0xfe, 'N', 'T', 'Y', 0x03}, make([]byte, 32)...) // SHA-256 of the file
	h, err := net.AddTransfer(owner, dedicated.Address(net.NetworkID()), 0, tx.PlainMessage(payload))
	if err != nil {
		log.Fatal(err)
	}
	ct, err := net.Node(0).Client().Transaction(context.Background(), h)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("verifies:", ct.Verify() == nil)
	fmt.Printf("message: %x\n", ct.Transfer().Message.Payload[:5])
	// Output:
	// verifies: true
	// message: fe4e545903
}

// A node that claims a chain 5000 blocks ahead of the others and whose
// clock is an hour fast: what a resolver that takes a median of heights or
// times must not be fooled by.
func ExampleBehavior_claims() {
	at := time.Date(2025, 11, 25, 10, 0, 0, 0, time.UTC)
	net, err := nistest.Start(2, &nistest.Options{Clock: func() time.Time { return at }})
	if err != nil {
		log.Fatal(err)
	}
	defer net.Close()
	b := nistest.Ahead(5000)
	b.TimeShift = time.Hour
	net.Node(1).SetBehavior(b)

	ctx := context.Background()
	for _, nd := range net.Nodes() {
		h, _ := nd.Client().ChainHeight(ctx)
		t, _ := nd.Client().NetworkTime(ctx)
		fmt.Printf("node %d: height %d, network time %s\n", nd.Index(), h, t.Format(time.TimeOnly))
	}
	// Output:
	// node 0: height 1000, network time 10:00:00
	// node 1: height 6000, network time 11:00:00
}
