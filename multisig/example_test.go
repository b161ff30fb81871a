package multisig_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/nemiot/nemiot/command"
	"github.com/nemiot/nemiot/multisig"
	"github.com/nemiot/nemiot/nem"
	"github.com/nemiot/nemiot/nem/nis/nistest"
)

// The owner cache is what a device hands to command.Opener.
var (
	_ command.OwnerSource = (*multisig.OwnerCache)(nil)
	_ command.Threshold   = (*multisig.OwnerCache)(nil)
)

// exampleNetwork starts 5 local nodes and a 2-of-3 device account.
func exampleNetwork() (net *nistest.Network, device *nem.PrivateKey, owners []*nem.PrivateKey) {
	net, err := nistest.Start(5, nil)
	if err != nil {
		log.Fatal(err)
	}
	device = net.NewAccount()
	owners = []*nem.PrivateKey{net.NewAccount(), net.NewAccount(), net.NewAccount()}
	if _, err := net.ConvertToMultisig(device, 2, owners[0].PublicKey(), owners[1].PublicKey(), owners[2].PublicKey()); err != nil {
		log.Fatal(err)
	}
	return net, device, owners
}

func ExampleResolver_Owners() {
	net, device, owners := exampleNetwork()
	defer net.Close()

	// On a device: the vendor's node list (nil means the embedded
	// MainnetNodes); here, the local network's nodes.
	r := &multisig.Resolver{Nodes: net.URLs()} // asks 5 at random, needs 3 identical answers
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	o, err := r.Owners(ctx, device.Address(nem.Testnet))
	if err != nil {
		log.Fatal(err) // errors.Is(err, multisig.ErrNoQuorum) or multisig.ErrNotMultisig
	}
	fmt.Println("owners:", len(o.Cosignatories), "signatures needed:", o.Required())
	fmt.Println("first owner:", o.Has(owners[0].PublicKey()))
	fmt.Println("agreed by a quorum:", o.Agreed >= 3)

	// A liar alone changes nothing.
	attacker := net.NewAccount()
	net.Node(0).SetBehavior(nistest.Lying([]nem.PublicKey{attacker.PublicKey()}, 1))
	o, err = r.Owners(ctx, device.Address(nem.Testnet))
	fmt.Println("with a liar:", err == nil && !o.Has(attacker.PublicKey()) && len(o.Cosignatories) == 3)
	// Output:
	// owners: 3 signatures needed: 2
	// first owner: true
	// agreed by a quorum: true
	// with a liar: true
}

func ExampleOwnerCache() {
	net, device, owners := exampleNetwork()
	defer net.Close()

	cache := &multisig.OwnerCache{
		Resolver: &multisig.Resolver{Nodes: net.URLs()},
		Account:  device.Address(nem.Testnet),
		TTL:      5 * time.Minute,  // answer from memory this long
		MaxStale: 30 * time.Minute, // then, if the nodes cannot be reached, this long at most
	}
	defer cache.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go cache.Run(ctx) // background refresh

	// The device's command opener asks the cache about every signer.
	opener := &command.Opener{Device: device, Owners: cache}
	_ = opener

	ok, err := cache.IsOwner(ctx, owners[1].PublicKey())
	fmt.Println("owner:", ok, err)
	ok, err = cache.IsOwner(ctx, net.NewAccount().PublicKey())
	fmt.Println("stranger:", ok, err)
	n, _ := cache.MinSignatures(ctx)
	fmt.Println("signatures needed:", n)
	// Output:
	// owner: true <nil>
	// stranger: false <nil>
	// signatures needed: 2
}

func ExampleResolver_NetworkTime() {
	net, err := nistest.Start(5, &nistest.Options{Time: time.Date(2025, 11, 25, 10, 0, 0, 0, time.UTC)})
	if err != nil {
		log.Fatal(err)
	}
	defer net.Close()

	r := &multisig.Resolver{Nodes: net.URLs()}
	clock, err := r.Clock(context.Background(), nem.Testnet) // e.g. command.Opener.Clock
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(clock().Round(time.Hour).Format(time.RFC3339))
	// Output:
	// 2025-11-25T10:00:00Z
}
