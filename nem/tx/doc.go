// Package tx is the NIS1 transaction model: building, signing, hashing and
// verifying transactions, their binary and JSON codecs, and their fees. It
// does no I/O; package [github.com/nemiot/nemiot/nem/nis] sends what it
// builds to a node and reads transactions back into it.
//
// # Where to start
//
// A [Transaction] is a struct with the common fields and the fields of each
// supported type: transfers (with a plain or encrypted [Message], and
// mosaics), multisig aggregate modifications, multisig cosignatures and the
// multisig wrapper. Build one, set its Fee (see [MinimumFee]), and call
// [Transaction.Sign] with the signer's key; the [SignedTransaction] it
// returns is what a node's announce endpoint takes (nis.Client.Announce):
//
//	t := &tx.Transaction{
//		Type: tx.TypeTransfer, Network: nem.Testnet,
//		TimeStamp: now, Deadline: now + 3600,
//		Recipient: to, Amount: 1_000_000, Message: tx.PlainMessage([]byte("hi")),
//	}
//	t.Fee = tx.MinimumFee(t)
//	signed, err := t.Sign(key)
//
// The caller supplies the time: TimeStamp and Deadline are NEM network time
// ([nem.Timestamp]), and a node drops a transaction dated in its future or
// past its deadline. Name variables t or txn, not tx, which would hide the
// package's name.
//
// # Binary form and hashes
//
// [Transaction.Serialize] writes the NIS1 binary form that is hashed and
// signed, sorting multisig modifications and mosaics as NIS does;
// [Transaction.Hash] is its Keccak-256 ([Hash]), as NIS computes it. The
// results match nem-sdk and NIS byte for byte. [DecodeTransaction] reads the
// binary form back and refuses anything that is not exactly what NIS would
// produce.
//
// # JSON form
//
// [ParseTransactionJSON] (and [Transaction.UnmarshalJSON]) read the JSON form
// NIS writes; [Transaction.MarshalJSON] writes it. Decoding is strict: every
// key, address, hash and signature must decode and required fields must be
// present. A [SignedTransaction] marshals to the announce body
// {"data": hex, "signature": hex}.
//
// # Verifying what a node says
//
// Transactions read from a node are self-authenticating:
// [ConfirmedTransaction.Verify] recomputes the hash and checks the signature
// (and the cosignatures of a multisig transaction), so a lying node cannot
// change a transaction's content, only deny it or misreport its height. An
// audit reads the transfer (recipient, amount, message type and payload,
// signer) with [ConfirmedTransaction.Transfer], which also reaches into a
// multisig wrapper. Verification does not know the chain: whether a signer
// is a cosignatory of the account is for the caller to check.
//
// # Multisig
//
// Multisig accounts act through a wrapper: a [TypeMultisig] transaction signed
// by one cosignatory whose Inner transaction has the multisig account as
// Signer; the other cosignatories approve it with [NewCosignature]. A
// [TypeMultisigModification] adds or removes cosignatories ([Modification])
// and changes the minimum number of signatures.
//
// # Errors
//
// Failures wrap [ErrInvalidTransaction] (a missing or contradictory field,
// non-canonical bytes, JSON of the wrong shape), [ErrUnsupportedType] (a type
// this package decodes only in part), [ErrBadSignature], [ErrHashMismatch] or
// [ErrInvalidHash]; test for them with [errors.Is]. Nothing in this package
// panics on untrusted input.
package tx
