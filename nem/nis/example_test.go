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

// Building and signing a transfer with an encrypted message. The signature
// is deterministic; the message is not (it has a random salt and IV).
func ExampleTransaction_Sign() {
	sender, _ := nem.ParsePrivateKey("575dbb3062267eff57c970a336ebbc8fbcfe12c5bd3ed7bc11eb0481d7704ced")
	device, _ := nem.ParsePublicKey("83ee32e4e145024d29bca54f71fa335a98b3e68283f1a3099c4d4ae113b53e54")
	msg, err := nis.EncryptMessage(nil, sender, device, []byte("hello device"))
	if err != nil {
		log.Fatal(err)
	}
	now := nem.TimestampOf(time.Date(2025, 11, 25, 10, 0, 0, 0, time.UTC))
	tx := &nis.Transaction{
		Type: nis.TypeTransfer, Network: nem.Mainnet,
		TimeStamp: now, Deadline: now + 3600,
		Recipient: device.Address(nem.Mainnet), Amount: 1_000_000, Message: msg,
	}
	tx.Fee = nis.MinimumFee(tx)
	signed, err := tx.Sign(sender)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("fee:", tx.Fee, "verifies:", tx.Verify() == nil, "bytes:", len(signed.Data))
	// Output: fee: 200000 verifies: true bytes: 188
}
