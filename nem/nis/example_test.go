package nis_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/nemiot/nemiot/nem"
	"github.com/nemiot/nemiot/nem/nis"
	"github.com/nemiot/nemiot/nem/nis/nistest"
)

// Reading who owns a device account. In a test the node is a nistest
// node; in firmware it is a real one (and package multisig asks several).
func ExampleClient_Account() {
	net, err := nistest.Start(1, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer net.Close()
	device, owner := net.NewAccount(), net.NewAccount()
	if _, err := net.ConvertToMultisig(device, 1, owner.PublicKey()); err != nil {
		log.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c := nis.NewClient(net.URLs()[0], nil)
	acct, err := c.Account(ctx, device.Address(nem.Testnet))
	if err != nil {
		log.Fatal(err)
	}
	keys := acct.CosignatoryKeys()
	fmt.Println(acct.IsMultisig(), len(keys), keys[0] == owner.PublicKey())
	// Output: true 1 true
}

// Errors of a node are *nis.Error values that match the package's
// sentinels.
func ExampleError() {
	net, err := nistest.Start(1, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer net.Close()
	net.Node(0).SetBehavior(nistest.Error(503, "NIS_ILLEGAL_STATE_LOADING_CHAIN"))

	_, err = net.Node(0).Client().Account(context.Background(), nem.PublicKey{1}.Address(nem.Testnet))
	var e *nis.Error
	if errors.As(err, &e) {
		fmt.Println(e.Status, e.Kind, e.Message)
	}
	fmt.Println("ask another node:", errors.Is(err, nis.ErrUnavailable))
	// Output:
	// 503 Service Unavailable NIS_ILLEGAL_STATE_LOADING_CHAIN
	// ask another node: true
}
