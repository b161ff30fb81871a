package tx

import (
	"fmt"
	"io"

	"github.com/nemiot/nemiot/nem"
)

// TransactionType is the NIS "type" of a transaction.
type TransactionType int32

// NIS1 transaction types. This package serializes, hashes and verifies
// transfers, multisig aggregate modifications, multisig cosignatures and the
// multisig wrapper; it decodes the common fields of the others.
const (
	TypeTransfer             TransactionType = 0x0101 // 257: XEM, mosaics and a message
	TypeImportanceTransfer   TransactionType = 0x0801 // 2049: delegated harvesting (not serialized here)
	TypeMultisigModification TransactionType = 0x1001 // 4097: add or remove cosignatories, change the minimum
	TypeMultisigSignature    TransactionType = 0x1002 // 4098: a cosignatory's approval of a multisig transaction
	TypeMultisig             TransactionType = 0x1004 // 4100: wraps the inner transaction of a multisig account
	TypeProvisionNamespace   TransactionType = 0x2001 // 8193 (not serialized here)
	TypeMosaicDefinition     TransactionType = 0x4001 // 16385 (not serialized here)
	TypeMosaicSupplyChange   TransactionType = 0x4002 // 16386 (not serialized here)
)

// String returns the type's name, e.g. "transfer", or its number.
func (t TransactionType) String() string {
	switch t {
	case TypeTransfer:
		return "transfer"
	case TypeImportanceTransfer:
		return "importance-transfer"
	case TypeMultisigModification:
		return "multisig-modification"
	case TypeMultisigSignature:
		return "multisig-signature"
	case TypeMultisig:
		return "multisig"
	case TypeProvisionNamespace:
		return "provision-namespace"
	case TypeMosaicDefinition:
		return "mosaic-definition"
	case TypeMosaicSupplyChange:
		return "mosaic-supply-change"
	}
	return fmt.Sprintf("type(%d)", int32(t))
}

// supported reports whether this package can serialize type t.
func (t TransactionType) supported() bool {
	switch t {
	case TypeTransfer, TypeMultisigModification, TypeMultisigSignature, TypeMultisig:
		return true
	}
	return false
}

// Transaction is a NIS1 transaction of any supported type: the common fields
// and, depending on Type, the fields of a transfer, a multisig aggregate
// modification, a multisig cosignature or a multisig wrapper. Fields of other
// types are ignored.
//
// Build one as a struct literal, set Fee (see [MinimumFee]), then call
// [Transaction.Sign]. Transactions read from a node (by package
// [github.com/nemiot/nemiot/nem/nis]: a look-up by hash, the transfer lists)
// come back with every field set, including Signature, so
// [Transaction.Verify] and [Transaction.Hash] check them locally.
type Transaction struct {
	Type    TransactionType
	Network nem.Network // the high byte of the NIS "version"
	// Version is the entity version (the low bits of the NIS "version"):
	// transfers 1 (2 carries mosaics), modifications 1 (no minimum change) or
	// 2. Zero means the current default: 1 for a transfer without mosaics, 2
	// for one with mosaics and for a modification, 1 otherwise.
	Version   byte
	TimeStamp nem.Timestamp // network time of creation
	Deadline  nem.Timestamp // the node drops the transaction after this time (at most 24 h after TimeStamp)
	Fee       uint64        // micro-XEM
	Signer    nem.PublicKey // for a multisig wrapper: the cosignatory that initiates it
	// Signature is zero until signed. The inner transaction of a multisig
	// wrapper is never signed itself.
	Signature nem.Signature

	// Transfer (TypeTransfer).
	Recipient nem.Address
	Amount    uint64   // micro-XEM; with mosaics (version 2), a multiplier
	Message   Message  // zero: no message
	Mosaics   []Mosaic // version 2 only

	// Multisig aggregate modification (TypeMultisigModification), signed by
	// the account being converted or, later, wrapped in a TypeMultisig.
	Modifications []Modification
	// MinCosignatoriesChange is the relative change of the minimum number of
	// cosignatories (NIS "minCosignatories.relativeChange"; version 2 only).
	// Converting an account with change m makes it m-of-n; with 0 the stored
	// minimum stays 0, which NIS reads as n-of-n.
	MinCosignatoriesChange int32

	// Multisig cosignature (TypeMultisigSignature).
	OtherHash    Hash        // hash of the inner transaction being approved
	OtherAccount nem.Address // the multisig account

	// Multisig wrapper (TypeMultisig).
	Inner        *Transaction   // the multisig account's transaction; its Signer is the multisig account
	Cosignatures []*Transaction // TypeMultisigSignature transactions of the other cosignatories

	minNull bool   // version 2 modification whose minCosignatories is null ({} in JSON)
	raw     []byte // JSON of a transaction of an unsupported type, for MarshalJSON
}

// MessageType says how a transfer's message payload is to be read.
type MessageType int32

// Message types of NIS transfers.
const (
	MessagePlain     MessageType = 1 // payload is the message bytes (usually UTF-8 text)
	MessageEncrypted MessageType = 2 // payload is encrypted to the recipient (see [EncryptMessage])
)

// Message is a transfer's message. The zero Message is no message; NIS also
// treats an empty payload as no message.
type Message struct {
	Type    MessageType
	Payload []byte
}

// PlainMessage returns a plain message carrying a copy of b.
func PlainMessage(b []byte) Message {
	return Message{Type: MessagePlain, Payload: append([]byte(nil), b...)}
}

// EncryptMessage encrypts plaintext from sender to recipient in the format
// NIS, NanoWallet and nem-sdk read for message type 2 ([nem.EncryptCBC]:
// salt, IV and AES-256-CBC ciphertext). A nil rand means crypto/rand.
func EncryptMessage(rand io.Reader, sender *nem.PrivateKey, recipient nem.PublicKey, plaintext []byte) (Message, error) {
	p, err := nem.EncryptCBC(rand, sender, recipient, plaintext)
	if err != nil {
		return Message{}, err
	}
	return Message{Type: MessageEncrypted, Payload: p}, nil
}

// Decrypt returns the plaintext of an encrypted message, read by its
// recipient; sender is the transfer's signer. It accepts both NEM formats:
// AES-GCM (symbol-sdk) is tried first because it authenticates, then the
// legacy AES-CBC. Every failure is [nem.ErrDecrypt].
func (m Message) Decrypt(recipient *nem.PrivateKey, sender nem.PublicKey) ([]byte, error) {
	if m.Type != MessageEncrypted {
		return nil, fmt.Errorf("%w: message type %d is not encrypted", nem.ErrDecrypt, m.Type)
	}
	shared, err := recipient.SharedKey(sender)
	if err != nil {
		return nil, nem.ErrDecrypt
	}
	if p, err := shared.DecryptGCM(m.Payload); err == nil {
		return p, nil
	}
	return shared.DecryptCBC(m.Payload)
}

// IsZero reports whether m is no message.
func (m Message) IsZero() bool { return len(m.Payload) == 0 }

// Mosaic is a quantity of a mosaic attached to a version 2 transfer.
type Mosaic struct {
	Namespace string // e.g. "nem"
	Name      string // e.g. "xem"
	Quantity  uint64 // in the mosaic's smallest unit
}

// ModificationType says whether a cosignatory is added or removed.
type ModificationType int32

// Modification types.
const (
	AddCosignatory    ModificationType = 1
	RemoveCosignatory ModificationType = 2
)

// Modification adds or removes one cosignatory of a multisig account.
type Modification struct {
	Type        ModificationType
	Cosignatory nem.PublicKey
}

// version returns the effective entity version.
func (tx *Transaction) version() byte {
	if tx.Version != 0 {
		return tx.Version
	}
	switch tx.Type {
	case TypeTransfer:
		if len(tx.Mosaics) > 0 {
			return 2
		}
		return 1
	case TypeMultisigModification:
		return 2
	}
	return 1
}

// VersionField returns the NIS "version" field: the network byte above the
// entity version (e.g. 1744830465 for a mainnet version 1 transaction).
func (tx *Transaction) VersionField() int32 { return tx.Network.Version(tx.version()) }

// Hash returns the transaction's NIS hash: Keccak-256 of [Transaction.Serialize].
// For a multisig wrapper it is the outer hash; see [Transaction.InnerHash].
func (tx *Transaction) Hash() (Hash, error) {
	b, err := tx.Serialize()
	if err != nil {
		return Hash{}, err
	}
	return nem.Keccak256(b), nil
}

// InnerHash returns the hash of a multisig wrapper's inner transaction, the
// hash that cosignatures approve and NIS reports as "innerHash".
func (tx *Transaction) InnerHash() (Hash, error) {
	if tx.Type != TypeMultisig || tx.Inner == nil {
		return Hash{}, invalidTx("%s transaction has no inner transaction", tx.Type)
	}
	return tx.Inner.Hash()
}

// Sign signs the transaction with k and returns what a node's announce
// endpoint takes (nis.Client.Announce sends it).
// It sets Signer to k's public key if Signer is zero (it must otherwise be
// k's public key) and stores the signature in Signature. For a multisig
// wrapper, k is the initiating cosignatory and Inner.Signer the multisig
// account.
func (tx *Transaction) Sign(k *nem.PrivateKey) (*SignedTransaction, error) {
	if k == nil {
		return nil, invalidTx("nil signing key")
	}
	pub := k.PublicKey()
	if !tx.Signer.IsZero() && tx.Signer != pub {
		return nil, invalidTx("signer %s is not the signing key's public key %s", tx.Signer, pub)
	}
	c := *tx
	c.Signer = pub
	data, err := c.Serialize()
	if err != nil {
		return nil, err
	}
	sig := k.Sign(data)
	tx.Signer = pub
	tx.Signature = sig
	return &SignedTransaction{Data: data, Signature: sig}, nil
}

// Signed returns the serialized transaction with its signature, as a node's
// announce endpoint takes it, for a transaction that carries a Signature.
func (tx *Transaction) Signed() (*SignedTransaction, error) {
	data, err := tx.Serialize()
	if err != nil {
		return nil, err
	}
	return &SignedTransaction{Data: data, Signature: tx.Signature}, nil
}

// Verify checks the transaction's signature against its Signer, as a NIS node
// does, failing with [ErrBadSignature]. For a multisig wrapper it also checks
// every cosignature: a valid signature, approving this wrapper's inner hash
// ([ErrHashMismatch] otherwise) for the inner transaction's signer. It does not
// check that signers are cosignatories: that needs the chain state.
func (tx *Transaction) Verify() error {
	data, err := tx.Serialize()
	if err != nil {
		return err
	}
	if !tx.Signer.Verify(data, tx.Signature) {
		return fmt.Errorf("%w: %s transaction signed by %s", ErrBadSignature, tx.Type, tx.Signer)
	}
	if tx.Type != TypeMultisig {
		return nil
	}
	inner, err := tx.Inner.Hash()
	if err != nil {
		return err
	}
	multisig := tx.Inner.Signer.Address(tx.Network)
	for i, c := range tx.Cosignatures {
		if c == nil || c.Type != TypeMultisigSignature {
			return invalidTx("cosignature %d is not a multisig signature transaction", i)
		}
		if c.OtherHash != inner {
			return fmt.Errorf("%w: cosignature %d approves %s, inner transaction is %s", ErrHashMismatch, i, c.OtherHash, inner)
		}
		if c.OtherAccount != multisig {
			return invalidTx("cosignature %d is for account %s, not %s", i, c.OtherAccount, multisig)
		}
		if err := c.Verify(); err != nil {
			return fmt.Errorf("cosignature %d: %w", i, err)
		}
	}
	return nil
}

// NewCosignature returns an unsigned cosignature (TypeMultisigSignature) that
// approves the inner transaction of the multisig wrapper w, dated timeStamp,
// valid until deadline, with the standard 0.15 XEM fee. Sign it with the
// cosignatory's key and announce it.
func NewCosignature(w *Transaction, timeStamp, deadline nem.Timestamp) (*Transaction, error) {
	h, err := w.InnerHash()
	if err != nil {
		return nil, err
	}
	return &Transaction{
		Type:         TypeMultisigSignature,
		Network:      w.Network,
		Version:      1,
		TimeStamp:    timeStamp,
		Deadline:     deadline,
		Fee:          MinimumFee(&Transaction{Type: TypeMultisigSignature}),
		OtherHash:    h,
		OtherAccount: w.Inner.Signer.Address(w.Network),
	}, nil
}

// MinimumFee returns the smallest fee NIS accepts for tx, in micro-XEM, by
// the fee rules nem-sdk and NanoWallet apply: a transfer pays 0.05 XEM per
// 10,000 XEM sent (at least 0.05, at most 1.25) plus 0.05 XEM per started 32
// bytes of message payload; a multisig aggregate modification 0.5 XEM; a
// multisig wrapper and a cosignature 0.15 XEM each. Mosaic transfers are
// charged as if they moved Amount micro-XEM (their real fee depends on the
// mosaics' supply, which needs the chain).
func MinimumFee(tx *Transaction) uint64 {
	const unit = 50_000
	switch tx.Type {
	case TypeTransfer:
		units := min(25, max(1, tx.Amount/1_000_000/10_000))
		if n := uint64(len(tx.Message.Payload)); n > 0 {
			units += n/32 + 1
		}
		return unit * units
	case TypeMultisigModification:
		return 10 * unit
	case TypeMultisig, TypeMultisigSignature, TypeImportanceTransfer:
		return 3 * unit
	}
	return unit
}
