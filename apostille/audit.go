package apostille

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/nemiot/nemiot/nem"
	"github.com/nemiot/nemiot/nem/nis"
	"github.com/nemiot/nemiot/nem/tx"
)

// AuditResult is what the chain says about an apostille that passed [Audit].
type AuditResult struct {
	TxHash string // the transaction audited (outer hash for a multisig apostille)
	Height int64  // block height, as the node reports it (not self-authenticating)
	// Signer signed the transaction: the owner of the apostille, or for a
	// multisig apostille the cosignatory that initiated it. A private
	// apostille's message is Signer's signature.
	Signer nem.PublicKey
	Owner  nem.Address // Signer's address
	// Multisig is the account a multisig apostille was sent for (the inner
	// transfer's signer); zero otherwise.
	Multisig  nem.PublicKey
	InnerHash string        // inner transfer hash of a multisig apostille; empty otherwise
	Recipient nem.Address   // the transfer's recipient: sink or dedicated account
	TimeStamp nem.Timestamp // when the transaction was made
	Network   nem.Network
	Message   *Message // the apostille message on chain
	// Transaction is the node's answer, already verified (hash, signature).
	Transaction *tx.ConfirmedTransaction
}

// Audit checks an apostille against the chain. It fetches the transaction
// n.TxHash from the node (GET /transaction/get, so the node needs hash
// look-up and must still hold the hash: see [nis.Client.Transaction]) and
// checks locally, without trusting the node:
//
//   - the transaction hashes to n.TxHash and its signature verifies
//     ([ErrTxHash], [ErrTxSignature]);
//   - it is a transfer, or a multisig transaction wrapping one
//     ([ErrNotTransfer]), on n's network ([ErrWrongNetwork]);
//   - its message is a plain apostille message equal to n.Message
//     ([ErrMessageMismatch]);
//   - its recipient is the network's sink for a public apostille, n's
//     dedicated account (DedicatedAddress, and the account of the key
//     Dedicated) for a private one ([ErrWrongRecipient]);
//   - n.Content has the digest of a public apostille ([ErrDigestMismatch]),
//     or the private apostille's message is the transaction signer's
//     signature of that digest ([ErrBadSignature]);
//   - the .nty record's owner, multisig account and inner hash, when given,
//     are the chain's ([ErrRecord]).
//
// A failed check is an [*AuditError] wrapping the sentinel named above. An
// error of the node (not found, unavailable, malformed answer) is returned
// wrapped as it comes from package nis: nothing was checked. Without a .nty
// record (n.Message nil), the chain's message is checked against n.Content
// and the recipient of a private apostille cannot be checked.
//
// The block height is the node's word; compare it with the chain height from
// several nodes to count confirmations.
func Audit(ctx context.Context, c *nis.Client, n *Notarization) (*AuditResult, error) {
	if n == nil {
		return nil, errors.New("apostille: audit of a nil notarization")
	}
	h, err := tx.ParseHash(n.TxHash)
	if err != nil {
		return nil, fmt.Errorf("apostille: audit: %w", err)
	}
	ct, err := c.Transaction(ctx, h)
	if err != nil {
		return nil, fmt.Errorf("apostille: audit of %s: %w", n.TxHash, err)
	}
	return auditTransaction(n, h, ct)
}

func auditTransaction(n *Notarization, h tx.Hash, ct *tx.ConfirmedTransaction) (*AuditResult, error) {
	fail := func(sentinel error, format string, args ...any) error {
		return &AuditError{TxHash: n.TxHash, Err: fmt.Errorf("%w: "+format, append([]any{sentinel}, args...)...)}
	}
	if ct == nil || ct.Transaction == nil {
		return nil, fail(ErrTxHash, "no transaction")
	}
	if ct.Hash != h {
		return nil, fail(ErrTxHash, "node answered for %s", ct.Hash)
	}
	if err := ct.Verify(); err != nil {
		switch {
		case errors.Is(err, tx.ErrHashMismatch):
			return nil, fail(ErrTxHash, "%v", err)
		case errors.Is(err, tx.ErrBadSignature):
			return nil, fail(ErrTxSignature, "%v", err)
		default:
			return nil, fail(ErrNotTransfer, "%v", err)
		}
	}
	txn := ct.Transaction
	transfer := ct.Transfer()
	if transfer == nil {
		return nil, fail(ErrNotTransfer, "%s transaction", txn.Type)
	}
	network := txn.Network
	if n.Network != 0 && network != n.Network {
		return nil, fail(ErrWrongNetwork, "transaction on %s, apostille on %s", network, n.Network)
	}
	if transfer.Message.Type != tx.MessagePlain {
		return nil, fail(ErrMessageMismatch, "message type %d is not plain", transfer.Message.Type)
	}
	payload := transfer.Message.Payload
	if n.Message != nil && !bytes.Equal(payload, n.Message) {
		return nil, fail(ErrMessageMismatch, "chain message %x, apostille %x", payload, n.Message)
	}
	msg, err := ParseMessage(payload)
	if err != nil {
		return nil, fail(ErrMessageMismatch, "%v", err)
	}

	if msg.Private {
		if !n.DedicatedAddress.IsZero() && transfer.Recipient != n.DedicatedAddress {
			return nil, fail(ErrWrongRecipient, "sent to %s, dedicated account is %s", transfer.Recipient, n.DedicatedAddress)
		}
		if n.Dedicated != nil && n.Dedicated.Address(network) != transfer.Recipient {
			return nil, fail(ErrWrongRecipient, "sent to %s, the dedicated key's account is %s", transfer.Recipient, n.Dedicated.Address(network))
		}
		if sink, _ := Sink(network); transfer.Recipient == sink {
			return nil, fail(ErrWrongRecipient, "private apostille sent to the public sink")
		}
		if err := msg.VerifyOwner(n.Content, txn.Signer); err != nil {
			return nil, &AuditError{TxHash: n.TxHash, Err: err}
		}
	} else {
		sink, ok := Sink(network)
		if !ok || transfer.Recipient != sink {
			return nil, fail(ErrWrongRecipient, "public apostille sent to %s, not the %s sink", transfer.Recipient, network)
		}
		if err := msg.VerifyContent(n.Content); err != nil {
			return nil, &AuditError{TxHash: n.TxHash, Err: err}
		}
	}

	res := &AuditResult{
		TxHash:      n.TxHash,
		Height:      ct.Height,
		Signer:      txn.Signer,
		Owner:       txn.Signer.Address(network),
		Recipient:   transfer.Recipient,
		TimeStamp:   txn.TimeStamp,
		Network:     network,
		Message:     msg,
		Transaction: ct,
	}
	if txn.Type == tx.TypeMultisig {
		res.Multisig = transfer.Signer
		res.InnerHash = ct.InnerHash.String()
	}
	if r := n.Record; r != nil {
		if !r.Owner.IsZero() && r.Owner != res.Owner {
			return nil, fail(ErrRecord, "record names owner %s, transaction signed by %s", r.Owner, res.Owner)
		}
		from := res.Owner
		if txn.Type == tx.TypeMultisig {
			from = transfer.Signer.Address(network)
		}
		if !r.FromMultisig.IsZero() && r.FromMultisig != from {
			return nil, fail(ErrRecord, "record says sent from %s, chain from %s", r.FromMultisig, from)
		}
		if r.TxMultisigHash != "" && r.TxMultisigHash != res.InnerHash {
			return nil, fail(ErrRecord, "record names inner hash %s, chain %q", r.TxMultisigHash, res.InnerHash)
		}
	}
	return res, nil
}
