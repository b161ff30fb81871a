package apostille_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log"

	"github.com/nemiot/nemiot/apostille"
	"github.com/nemiot/nemiot/nem"
	"github.com/nemiot/nemiot/nem/nis/nistest"
)

// A device is given the archive NanoWallet downloaded when its configuration
// file was notarized as a private apostille; from it the device learns its
// own account.
func ExampleOpen() {
	arc, err := apostille.Open("testdata/archives/private-sha256.zip")
	if err != nil {
		log.Fatal(err)
	}
	for _, n := range arc.Files {
		if err := n.VerifyContent(); err != nil {
			log.Fatal(err)
		}
		key, err := n.DedicatedKey()
		if err != nil {
			log.Fatal(err) // a public apostille has no account
		}
		fmt.Printf("%s (%s, private %v)\n", n.OriginalName, n.Hash, n.Private)
		fmt.Println("tx:", n.TxHash)
		fmt.Println("device account:", key.Address(n.Network))
		fmt.Printf("%d bytes of configuration\n", len(n.Content))
	}
	// Output:
	// device-7.cfg (SHA-256, private true)
	// tx: 10c1cdc695929aeaa36ed1381cc5ca5bcd63a152700970f5c3f331c46f4a459a
	// device account: TDLDPDGPOMK4RMJALMD6ZQMIP3DCKXJMRB2J2SF6
	// 30 bytes of configuration
}

// exampleOwner returns a key for the examples. Real programs load the
// owner's key from a file or the environment, never from source code.
func exampleOwner() *nem.PrivateKey {
	seed := sha256.Sum256([]byte("apostille example owner"))
	k, err := nem.GeneratePrivateKey(bytes.NewReader(seed[:]))
	if err != nil {
		log.Fatal(err)
	}
	return k
}

// A vendor tool notarizes a device's file without NanoWallet: New makes the
// message, the device's dedicated key and the transfer to sign and announce.
func ExampleNew() {
	owner := exampleOwner()
	d, err := apostille.New(owner, "device-8.cfg", []byte("serial=8\n"), apostille.SHA256, true)
	if err != nil {
		log.Fatal(err)
	}
	tx, err := d.Transfer(nem.Testnet, 282060639)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("message %x… (%d bytes)\n", d.Message[:5], len(d.Message))
	fmt.Println("to the device account:", tx.Recipient == d.Dedicated.Address(nem.Testnet))
	fmt.Println("fee:", tx.Fee, "micro-XEM")
	// The owner can derive the same key again from the file name alone.
	fmt.Println("rederived:", apostille.DedicatedKey(owner, "device-8.cfg").Equal(d.Dedicated))
	// Output:
	// message fe4e545983… (69 bytes)
	// to the device account: true
	// fee: 200000 micro-XEM
	// rederived: true
}

func ExampleParseMessage() {
	// The message of a public SHA-256 apostille on mainnet.
	payload, _ := hex.DecodeString("fe4e54590318b3ce5de42067de2af1da69bb082b6c05a425198f407a392cba3bdae5c3b686")
	m, err := apostille.ParseMessage(payload)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s, private %v, digest %x…\n", m.Hash, m.Private, m.Digest[:4])
	// Output:
	// SHA-256, private false, digest 18b3ce5d…
}

// Audit checks an apostille against a node; here a local nistest chain on
// which the owner has announced it.
func ExampleAudit() {
	chain, err := nistest.Start(1, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer chain.Close()
	owner := chain.NewAccount()
	content := []byte("serial=9\n")
	d, err := apostille.New(owner, "device-9.cfg", content, apostille.Keccak256, true)
	if err != nil {
		log.Fatal(err)
	}
	tx, err := d.Transfer(chain.NetworkID(), nem.TimestampOf(chain.Time()))
	if err != nil {
		log.Fatal(err)
	}
	if _, err := tx.Sign(owner); err != nil {
		log.Fatal(err)
	}
	h, err := chain.AddTransaction(tx)
	if err != nil {
		log.Fatal(err)
	}
	// What a device would have parsed from the archive.
	n := &apostille.Notarization{
		OriginalName: d.Name, TxHash: h.String(), Content: content,
		Hash: d.Hash, Private: true, Message: d.Message,
		Dedicated: d.Dedicated, DedicatedAddress: d.Dedicated.Address(chain.NetworkID()), Network: chain.NetworkID(),
	}
	res, err := apostille.Audit(context.Background(), chain.Node(0).Client(), n)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("signed by the owner:", res.Signer == owner.PublicKey())
	fmt.Println("sent to the device:", res.Recipient == n.DedicatedAddress)
	// Output:
	// signed by the owner: true
	// sent to the device: true
}
