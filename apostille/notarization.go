package apostille

import (
	"fmt"

	"github.com/nemiot/nemiot/nem"
)

// ParsedMessage decodes the notarization's apostille message. It fails with
// [ErrNoRecord] when the archive had no record for the file.
func (n *Notarization) ParsedMessage() (*Message, error) {
	if n.Message == nil {
		return nil, fmt.Errorf("%w: transaction %s", ErrNoRecord, n.TxHash)
	}
	return ParseMessage(n.Message)
}

// VerifyContent checks Content against Message: for a public apostille the
// digest must match ([ErrDigestMismatch]); for a private one, which carries
// only the owner's signature of the digest, the signature must be well formed
// ([ErrBadSignature]; see [Notarization.VerifyOwner] to check the signer). It
// fails with [ErrNoRecord] when the archive had no record for the file.
func (n *Notarization) VerifyContent() error {
	m, err := n.ParsedMessage()
	if err != nil {
		return err
	}
	return m.VerifyContent(n.Content)
}

// VerifyOwner checks that a private apostille's Message is owner's signature
// of the digest of Content ([ErrBadSignature] otherwise). It fails with
// [ErrPublic] for a public apostille and [ErrNoRecord] without a record.
func (n *Notarization) VerifyOwner(owner nem.PublicKey) error {
	m, err := n.ParsedMessage()
	if err != nil {
		return err
	}
	return m.VerifyOwner(n.Content, owner)
}

// DedicatedKey returns the dedicated account's private key of a private
// apostille. It fails with [ErrPublic] for a public apostille, and with
// [ErrNoRecord] when the archive had no record for the file.
func (n *Notarization) DedicatedKey() (*nem.PrivateKey, error) {
	if n.Message == nil {
		return nil, fmt.Errorf("%w: transaction %s", ErrNoRecord, n.TxHash)
	}
	if !n.Private || n.Dedicated == nil {
		return nil, fmt.Errorf("%w: transaction %s has no dedicated account", ErrPublic, n.TxHash)
	}
	return n.Dedicated, nil
}
