package tx

import "fmt"

// ConfirmedTransaction is a transaction in a block, with what the node says
// about it (NIS "TransactionMetaDataPair"). The transaction's content is
// self-authenticating: [ConfirmedTransaction.Verify] recomputes its hash and
// checks its signatures, so a lying node can only lie about Height and ID or
// deny the transaction.
//
// Package [github.com/nemiot/nemiot/nem/nis] returns these from a node's
// transaction look-up and transfer lists.
type ConfirmedTransaction struct {
	Height int64 // block height
	// ID is the node's database id: it differs between nodes and serves only
	// to ask the same node for the next page (see [Page]).
	ID          int64
	Hash        Hash // meta.hash: the (outer) transaction hash
	InnerHash   Hash // meta.innerHash: the inner hash of a multisig wrapper, else zero
	Transaction *Transaction
}

// Verify checks that the transaction hashes to Hash (and its inner
// transaction to InnerHash), and that its signature and any cosignatures
// verify. It fails with [ErrHashMismatch], [ErrBadSignature] or, for a type
// this package cannot serialize, [ErrUnsupportedType].
func (t *ConfirmedTransaction) Verify() error {
	if t.Transaction == nil {
		return invalidTx("confirmed transaction without a transaction")
	}
	h, err := t.Transaction.Hash()
	if err != nil {
		return err
	}
	if h != t.Hash {
		return fmt.Errorf("%w: node reported %s, transaction hashes to %s", ErrHashMismatch, t.Hash, h)
	}
	if t.Transaction.Type == TypeMultisig {
		ih, err := t.Transaction.InnerHash()
		if err != nil {
			return err
		}
		if ih != t.InnerHash {
			return fmt.Errorf("%w: node reported inner hash %s, inner transaction hashes to %s", ErrHashMismatch, t.InnerHash, ih)
		}
	} else if !t.InnerHash.IsZero() {
		return fmt.Errorf("%w: inner hash %s on a %s transaction", ErrHashMismatch, t.InnerHash, t.Transaction.Type)
	}
	return t.Transaction.Verify()
}

// Transfer returns the transfer the transaction carries: the transaction
// itself, or the inner transaction of a multisig wrapper. It returns nil for
// other transactions.
func (t *ConfirmedTransaction) Transfer() *Transaction {
	tx := t.Transaction
	if tx != nil && tx.Type == TypeMultisig {
		tx = tx.Inner
	}
	if tx == nil || tx.Type != TypeTransfer {
		return nil
	}
	return tx
}

// Page selects a page of a node's transaction list (the transfer lists of
// [github.com/nemiot/nemiot/nem/nis.Client]). The zero Page is the newest
// transactions in the node's default page size (25).
type Page struct {
	// BeforeID asks for transactions older than the one with this ID (the
	// ID of the last transaction of the previous page, from the same node).
	BeforeID int64
	// Size is the page size; NIS clamps it to 5..100. Zero means the default.
	Size int
}
