package tx_test

import (
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/nemiot/nemiot/nem"
	"github.com/nemiot/nemiot/nem/tx"
)

// Building and signing a transfer with an encrypted message. The signature
// is deterministic; the message is not (it has a random salt and IV).
func ExampleTransaction_Sign() {
	sender, _ := nem.ParsePrivateKey("575dbb3062267eff57c970a336ebbc8fbcfe12c5bd3ed7bc11eb0481d7704ced")
	device, _ := nem.ParsePublicKey("83ee32e4e145024d29bca54f71fa335a98b3e68283f1a3099c4d4ae113b53e54")
	msg, err := tx.EncryptMessage(nil, sender, device, []byte("hello device"))
	if err != nil {
		log.Fatal(err)
	}
	now := nem.TimestampOf(time.Date(2025, 11, 25, 10, 0, 0, 0, time.UTC))
	t := &tx.Transaction{
		Type: tx.TypeTransfer, Network: nem.Mainnet,
		TimeStamp: now, Deadline: now + 3600,
		Recipient: device.Address(nem.Mainnet), Amount: 1_000_000, Message: msg,
	}
	t.Fee = tx.MinimumFee(t)
	signed, err := t.Sign(sender)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("fee:", t.Fee, "verifies:", t.Verify() == nil, "bytes:", len(signed.Data))
	// Output: fee: 200000 verifies: true bytes: 188
}

// Reading an announce body back: the binary form decodes to the same
// transaction, whose signature then verifies; a changed byte does not.
func ExampleDecodeTransaction() {
	owner, _ := nem.ParsePrivateKey("575dbb3062267eff57c970a336ebbc8fbcfe12c5bd3ed7bc11eb0481d7704ced")
	device, _ := nem.ParsePublicKey("83ee32e4e145024d29bca54f71fa335a98b3e68283f1a3099c4d4ae113b53e54")
	now := nem.TimestampOf(time.Date(2025, 11, 25, 10, 0, 0, 0, time.UTC))
	t := &tx.Transaction{
		Type: tx.TypeTransfer, Network: nem.Testnet, TimeStamp: now, Deadline: now + 3600,
		Recipient: device.Address(nem.Testnet), Amount: 5_000_000, Message: tx.PlainMessage([]byte("fund device")),
	}
	t.Fee = tx.MinimumFee(t)
	signed, err := t.Sign(owner)
	if err != nil {
		log.Fatal(err)
	}

	got, err := signed.Transaction() // DecodeTransaction(signed.Data) with the signature attached
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(got.Type, got.Amount, string(got.Message.Payload), got.Verify() == nil)
	fmt.Println("hash:", signed.Hash())

	signed.Data[len(signed.Data)-1] ^= 1 // the message's last byte
	forged, err := signed.Transaction()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("changed:", errors.Is(forged.Verify(), tx.ErrBadSignature))
	// Output:
	// transfer 5000000 fund device true
	// hash: 62fea107d8f52d5761cf313a3f3b750f8bae6db1c189a6f0b7978cec6847098d
	// changed: true
}

// A multisig account acts through a wrapper signed by one cosignatory; the
// others approve its inner transaction with a cosignature. Here owner A
// proposes to add owner C to a 2-of-2 device account and owner B approves.
func ExampleNewCosignature() {
	ownerA, _ := nem.ParsePrivateKey("575dbb3062267eff57c970a336ebbc8fbcfe12c5bd3ed7bc11eb0481d7704ced")
	ownerB, _ := nem.ParsePrivateKey("5b0e3fa5d3b49a79022d7c1e121ba1cbbf4db5821f47ab8c708ef88defc29bfe")
	ownerC, _ := nem.ParsePublicKey("83ee32e4e145024d29bca54f71fa335a98b3e68283f1a3099c4d4ae113b53e54")
	device, _ := nem.ParsePublicKey("c5f54ba980fcbb657dbaaa42700539b207873e134d2375efeab5f1ab52f87844")
	now := nem.TimestampOf(time.Date(2025, 11, 25, 10, 0, 0, 0, time.UTC))

	inner := &tx.Transaction{
		Type: tx.TypeMultisigModification, Network: nem.Mainnet, TimeStamp: now, Deadline: now + 3600,
		Signer:        device, // the multisig account
		Modifications: []tx.Modification{{Type: tx.AddCosignatory, Cosignatory: ownerC}},
	}
	inner.Fee = tx.MinimumFee(inner)
	w := &tx.Transaction{Type: tx.TypeMultisig, Network: nem.Mainnet, TimeStamp: now, Deadline: now + 3600, Inner: inner}
	w.Fee = tx.MinimumFee(w)
	if _, err := w.Sign(ownerA); err != nil {
		log.Fatal(err)
	}

	c, err := tx.NewCosignature(w, now+10, now+3600)
	if err != nil {
		log.Fatal(err)
	}
	if _, err := c.Sign(ownerB); err != nil {
		log.Fatal(err)
	}
	innerHash, _ := w.InnerHash()
	fmt.Println("approves the inner transaction:", c.OtherHash == innerHash)
	fmt.Println("for the device account:", c.OtherAccount == device.Address(nem.Mainnet))

	w.Cosignatures = []*tx.Transaction{c}
	fmt.Println("wrapper and cosignature verify:", w.Verify() == nil)
	fmt.Println("fees (micro-XEM):", w.Fee, inner.Fee, c.Fee)
	// Output:
	// approves the inner transaction: true
	// for the device account: true
	// wrapper and cosignature verify: true
	// fees (micro-XEM): 150000 500000 150000
}

// Checking what a node says about a transaction: the content must hash to
// the hash it reported and carry valid signatures. A node that changes the
// amount is caught without asking anyone else.
func ExampleConfirmedTransaction_Verify() {
	owner, _ := nem.ParsePrivateKey("575dbb3062267eff57c970a336ebbc8fbcfe12c5bd3ed7bc11eb0481d7704ced")
	device, _ := nem.ParsePublicKey("83ee32e4e145024d29bca54f71fa335a98b3e68283f1a3099c4d4ae113b53e54")
	t := &tx.Transaction{
		Type: tx.TypeTransfer, Network: nem.Mainnet, TimeStamp: 336477215, Deadline: 336480815,
		Recipient: device.Address(nem.Mainnet), Amount: 1_000_000,
	}
	t.Fee = tx.MinimumFee(t)
	signed, err := t.Sign(owner)
	if err != nil {
		log.Fatal(err)
	}
	// The JSON a node would return as the "transaction" of /transaction/get.
	js, err := t.MarshalJSON()
	if err != nil {
		log.Fatal(err)
	}
	fromNode, err := tx.ParseTransactionJSON(js)
	if err != nil {
		log.Fatal(err)
	}
	ct := &tx.ConfirmedTransaction{Height: 5605900, Hash: signed.Hash(), Transaction: fromNode}
	fmt.Println("honest:", ct.Verify())

	fromNode.Amount = 9_000_000
	fmt.Println("changed amount:", errors.Is(ct.Verify(), tx.ErrHashMismatch))
	// Output:
	// honest: <nil>
	// changed amount: true
}
