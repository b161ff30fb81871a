package apostille

import (
	"errors"
	"fmt"

	"github.com/nemiot/nemiot/nem"
	"github.com/nemiot/nemiot/nem/tx"
)

// Draft is a new apostille, made by [New], before it is announced: the
// message, the dedicated account of a private apostille, and the transfer
// that notarizes it.
type Draft struct {
	Name    string        // the file's original name, exactly as given
	Hash    HashType      // digest algorithm
	Private bool          // a private apostille, sent to a dedicated account
	Owner   nem.PublicKey // the owner, who signs the transfer (and, if private, the message)
	// Message is the apostille message (fe4e5459…): the transfer's plain
	// message payload.
	Message []byte
	// Dedicated is the private key of the file's dedicated account
	// ([DedicatedKey] of the owner and Name); nil for a public apostille.
	// Give it to the device the file belongs to.
	Dedicated *nem.PrivateKey
}

// New makes the apostille of the file name with bytes content, as
// NanoWallet's create page and nem-sdk's apostille.create do, so that a tool
// can notarize device files without NanoWallet: the message (the digest of
// content with hash type h, or for a private apostille owner's signature of
// it), the dedicated key of a private apostille, and through
// [Draft.Transfer] the unsigned transfer to announce.
//
// name is used exactly as given (it determines the dedicated key): pass the
// file's name with its extension, never trimmed or normalized. New fails with
// [ErrUnknownHash] for an unknown hash type.
func New(owner *nem.PrivateKey, name string, content []byte, h HashType, private bool) (*Draft, error) {
	if owner == nil {
		return nil, errors.New("apostille: nil owner key")
	}
	m, err := NewMessage(owner, h, content, private)
	if err != nil {
		return nil, err
	}
	d := &Draft{Name: name, Hash: h, Private: private, Owner: owner.PublicKey(), Message: m.Bytes()}
	if private {
		d.Dedicated = DedicatedKey(owner, name)
	}
	return d, nil
}

// Recipient returns the transfer's recipient on network n: the sink of n for
// a public apostille, the dedicated account for a private one.
func (d *Draft) Recipient(n nem.Network) (nem.Address, error) {
	if d.Private {
		if d.Dedicated == nil {
			return nem.Address{}, errors.New("apostille: private draft without a dedicated key")
		}
		if !n.Valid() {
			return nem.Address{}, fmt.Errorf("apostille: %w: %s", nem.ErrUnknownNetwork, n)
		}
		return d.Dedicated.Address(n), nil
	}
	sink, ok := Sink(n)
	if !ok {
		return nem.Address{}, fmt.Errorf("apostille: %w: %s", nem.ErrUnknownNetwork, n)
	}
	return sink, nil
}

// deadline returns the validity nem-sdk (and so NanoWallet) gives a
// transaction: one hour on testnet, 24 hours elsewhere.
func deadline(n nem.Network, ts nem.Timestamp) nem.Timestamp {
	if n == nem.Testnet {
		return ts + 60*60
	}
	return ts + 24*60*60
}

// Transfer returns the unsigned transfer that notarizes the apostille on
// network n, dated timeStamp (the network time, e.g. from a node): 0 XEM to
// [Draft.Recipient] with Message as plain message, signer the owner, and the
// fee and deadline nem-sdk gives it. Sign it with the owner's key
// ([tx.Transaction.Sign]) and announce it; its hash names the apostille.
func (d *Draft) Transfer(n nem.Network, timeStamp nem.Timestamp) (*tx.Transaction, error) {
	to, err := d.Recipient(n)
	if err != nil {
		return nil, err
	}
	txn := &tx.Transaction{
		Type:      tx.TypeTransfer,
		Network:   n,
		Version:   1,
		TimeStamp: timeStamp,
		Deadline:  deadline(n, timeStamp),
		Signer:    d.Owner,
		Recipient: to,
		Message:   tx.PlainMessage(d.Message),
	}
	txn.Fee = tx.MinimumFee(txn)
	return txn, nil
}

// MultisigTransfer returns the unsigned multisig transaction that notarizes
// the apostille for the multisig account multisig, of which the owner is a
// cosignatory, as NanoWallet's multisig tab does: [Draft.Transfer] signed by
// the multisig account, wrapped in a multisig transaction that the owner
// signs. The apostille is named by the wrapper's (outer) hash.
func (d *Draft) MultisigTransfer(n nem.Network, timeStamp nem.Timestamp, multisig nem.PublicKey) (*tx.Transaction, error) {
	inner, err := d.Transfer(n, timeStamp)
	if err != nil {
		return nil, err
	}
	inner.Signer = multisig
	w := &tx.Transaction{
		Type:      tx.TypeMultisig,
		Network:   n,
		Version:   1,
		TimeStamp: timeStamp,
		Deadline:  deadline(n, timeStamp),
		Signer:    d.Owner,
		Inner:     inner,
	}
	w.Fee = tx.MinimumFee(w)
	return w, nil
}
