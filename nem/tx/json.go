package tx

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/nemiot/nemiot/nem"
)

// The NIS JSON form of transactions. Decoding is strict: every key, address,
// hash and signature must decode, required fields must be present, and a
// version must name a known network. Unknown fields are ignored; transactions
// of types this package does not serialize keep their common fields.

type hashWire struct {
	Data *string `json:"data"`
}

type messageWire struct {
	Type    *int32  `json:"type,omitempty"`
	Payload *string `json:"payload,omitempty"`
}

type mosaicIDWire struct {
	NamespaceID string `json:"namespaceId"`
	Name        string `json:"name"`
}

type mosaicWire struct {
	MosaicID *mosaicIDWire `json:"mosaicId"`
	Quantity *uint64       `json:"quantity"`
}

type modificationWire struct {
	ModificationType   *int32  `json:"modificationType"`
	CosignatoryAccount *string `json:"cosignatoryAccount"`
}

type minCosignatoriesWire struct {
	RelativeChange *int32 `json:"relativeChange,omitempty"`
}

// txWire is the union of the JSON fields of the supported types. Pointers
// tell absent fields from zero values.
type txWire struct {
	Type      *int32  `json:"type"`
	Version   *int32  `json:"version"`
	TimeStamp *int32  `json:"timeStamp"`
	Signer    *string `json:"signer"`
	Signature *string `json:"signature,omitempty"`
	Fee       *uint64 `json:"fee"`
	Deadline  *int32  `json:"deadline"`

	Recipient *string       `json:"recipient,omitempty"`
	Amount    *uint64       `json:"amount,omitempty"`
	Message   *messageWire  `json:"message,omitempty"`
	Mosaics   *[]mosaicWire `json:"mosaics,omitempty"`

	Modifications    *[]modificationWire   `json:"modifications,omitempty"`
	MinCosignatories *minCosignatoriesWire `json:"minCosignatories,omitempty"`

	OtherHash    *hashWire `json:"otherHash,omitempty"`
	OtherAccount *string   `json:"otherAccount,omitempty"`

	OtherTrans json.RawMessage    `json:"otherTrans,omitempty"`
	Signatures *[]json.RawMessage `json:"signatures,omitempty"`
}

// ParseTransactionJSON reads a transaction in the JSON form NIS uses (the
// "transaction" of a /transaction/get answer, or the inner "otherTrans").
// Errors wrap [ErrInvalidTransaction].
func ParseTransactionJSON(b []byte) (*Transaction, error) {
	tx := new(Transaction)
	if err := tx.UnmarshalJSON(b); err != nil {
		return nil, err
	}
	return tx, nil
}

// UnmarshalJSON reads the NIS JSON form of a transaction, as
// [ParseTransactionJSON].
func (tx *Transaction) UnmarshalJSON(b []byte) error {
	v, err := decodeTx(b, 0)
	if err != nil {
		return err
	}
	*tx = *v
	return nil
}

func isJSONObject(b []byte) bool {
	b = bytes.TrimLeft(b, " \t\r\n")
	return len(b) > 0 && b[0] == '{'
}

func decodeTx(b []byte, depth int) (*Transaction, error) {
	if !isJSONObject(b) {
		return nil, invalidTx("not a JSON object")
	}
	var w txWire
	if err := json.Unmarshal(b, &w); err != nil {
		return nil, invalidTx("%v", err)
	}
	if w.Type == nil || w.Version == nil || w.TimeStamp == nil || w.Signer == nil || w.Fee == nil || w.Deadline == nil {
		return nil, invalidTx("missing one of type, version, timeStamp, signer, fee, deadline")
	}
	tx := &Transaction{
		Type:      TransactionType(*w.Type),
		TimeStamp: nem.Timestamp(*w.TimeStamp),
		Fee:       *w.Fee,
		Deadline:  nem.Timestamp(*w.Deadline),
	}
	ver := uint32(*w.Version)
	tx.Network = nem.Network(ver >> 24)
	if !tx.Network.Valid() || ver&0x00ffff00 != 0 {
		return nil, invalidTx("version %d names no known network", *w.Version)
	}
	tx.Version = byte(ver)
	var err error
	if tx.Signer, err = nem.ParsePublicKey(*w.Signer); err != nil {
		return nil, invalidTx("signer: %v", err)
	}
	if w.Signature != nil {
		if tx.Signature, err = nem.ParseSignature(*w.Signature); err != nil {
			return nil, invalidTx("signature: %v", err)
		}
	}
	if !tx.Type.supported() {
		tx.raw = bytes.Clone(b)
		return tx, nil
	}
	if tx.Version != 1 && tx.Version != 2 {
		return nil, invalidTx("%s version %d", tx.Type, tx.Version)
	}
	switch tx.Type {
	case TypeTransfer:
		err = w.transfer(tx)
	case TypeMultisigModification:
		err = w.modification(tx)
	case TypeMultisigSignature:
		if w.OtherHash == nil || w.OtherHash.Data == nil || w.OtherAccount == nil {
			return nil, invalidTx("multisig signature without otherHash or otherAccount")
		}
		if tx.OtherHash, err = ParseHash(*w.OtherHash.Data); err != nil {
			return nil, invalidTx("otherHash: %v", err)
		}
		if tx.OtherAccount, err = nem.ParseAddress(*w.OtherAccount); err != nil {
			return nil, invalidTx("otherAccount: %v", err)
		}
	case TypeMultisig:
		if depth > 0 {
			return nil, invalidTx("multisig transaction inside another")
		}
		if w.OtherTrans == nil {
			return nil, invalidTx("multisig transaction without otherTrans")
		}
		if tx.Inner, err = decodeTx(w.OtherTrans, depth+1); err != nil {
			return nil, fmt.Errorf("otherTrans: %w", err)
		}
		if tx.Inner.Signature != (nem.Signature{}) {
			return nil, invalidTx("otherTrans carries a signature")
		}
		for i, s := range deref(w.Signatures) {
			c, err := decodeTx(s, depth+1)
			if err != nil {
				return nil, fmt.Errorf("signatures[%d]: %w", i, err)
			}
			if c.Type != TypeMultisigSignature {
				return nil, invalidTx("signatures[%d] is a %s transaction", i, c.Type)
			}
			tx.Cosignatures = append(tx.Cosignatures, c)
		}
	}
	if err != nil {
		return nil, err
	}
	return tx, nil
}

func (w *txWire) transfer(tx *Transaction) error {
	if w.Recipient == nil || w.Amount == nil {
		return invalidTx("transfer without recipient or amount")
	}
	var err error
	if tx.Recipient, err = nem.ParseAddress(*w.Recipient); err != nil {
		return invalidTx("recipient: %v", err)
	}
	tx.Amount = *w.Amount
	if m := w.Message; m != nil && (m.Type != nil || m.Payload != nil) {
		if m.Type == nil || m.Payload == nil {
			return invalidTx("message without type or payload")
		}
		p, err := hex.DecodeString(*m.Payload)
		if err != nil {
			return invalidTx("message payload is not hex")
		}
		if len(p) > 0 {
			tx.Message = Message{Type: MessageType(*m.Type), Payload: p}
			if tx.Message.Type != MessagePlain && tx.Message.Type != MessageEncrypted {
				return invalidTx("message type %d", *m.Type)
			}
		}
	}
	mosaics := deref(w.Mosaics)
	if tx.Version < 2 && len(mosaics) > 0 {
		return invalidTx("mosaics in a version 1 transfer")
	}
	if len(mosaics) > maxMosaics {
		return invalidTx("%d mosaics", len(mosaics))
	}
	for i, m := range mosaics {
		if m.MosaicID == nil || m.Quantity == nil || m.MosaicID.NamespaceID == "" || m.MosaicID.Name == "" {
			return invalidTx("mosaics[%d] incomplete", i)
		}
		tx.Mosaics = append(tx.Mosaics, Mosaic{Namespace: m.MosaicID.NamespaceID, Name: m.MosaicID.Name, Quantity: *m.Quantity})
	}
	return nil
}

func (w *txWire) modification(tx *Transaction) error {
	mods := deref(w.Modifications)
	if len(mods) > maxModifications {
		return invalidTx("%d modifications", len(mods))
	}
	for i, m := range mods {
		if m.ModificationType == nil || m.CosignatoryAccount == nil {
			return invalidTx("modifications[%d] incomplete", i)
		}
		k, err := nem.ParsePublicKey(*m.CosignatoryAccount)
		if err != nil {
			return invalidTx("modifications[%d]: %v", i, err)
		}
		mt := ModificationType(*m.ModificationType)
		if mt != AddCosignatory && mt != RemoveCosignatory {
			return invalidTx("modifications[%d]: type %d", i, mt)
		}
		tx.Modifications = append(tx.Modifications, Modification{Type: mt, Cosignatory: k})
	}
	switch {
	case tx.Version < 2 && w.MinCosignatories != nil && w.MinCosignatories.RelativeChange != nil:
		return invalidTx("minCosignatories in a version 1 modification")
	case tx.Version >= 2 && (w.MinCosignatories == nil || w.MinCosignatories.RelativeChange == nil):
		tx.minNull = true
	case tx.Version >= 2:
		tx.MinCosignatoriesChange = *w.MinCosignatories.RelativeChange
	}
	return nil
}

// MarshalJSON writes the NIS JSON form of the transaction, with the fields
// NIS writes for its type (no "signature" on an unsigned transaction).
func (tx *Transaction) MarshalJSON() ([]byte, error) {
	if !tx.Type.supported() {
		if tx.raw != nil {
			return bytes.Clone(tx.raw), nil
		}
		return nil, fmt.Errorf("%w: %s", ErrUnsupportedType, tx.Type)
	}
	w, err := tx.wire()
	if err != nil {
		return nil, err
	}
	return json.Marshal(w)
}

func (tx *Transaction) wire() (*txWire, error) {
	if !tx.Network.Valid() {
		return nil, invalidTx("unknown network 0x%02x", byte(tx.Network))
	}
	typ, ver, ts, dl := int32(tx.Type), tx.VersionField(), int32(tx.TimeStamp), int32(tx.Deadline)
	signer, fee := tx.Signer.String(), tx.Fee
	w := &txWire{Type: &typ, Version: &ver, TimeStamp: &ts, Signer: &signer, Fee: &fee, Deadline: &dl}
	if tx.Signature != (nem.Signature{}) {
		s := tx.Signature.String()
		w.Signature = &s
	}
	switch tx.Type {
	case TypeTransfer:
		r, a := tx.Recipient.String(), tx.Amount
		w.Recipient, w.Amount = &r, &a
		w.Message = &messageWire{}
		if len(tx.Message.Payload) > 0 {
			mt, p := int32(tx.Message.Type), hex.EncodeToString(tx.Message.Payload)
			w.Message = &messageWire{Type: &mt, Payload: &p}
		}
		if tx.version() >= 2 {
			ms, err := canonicalMosaics(tx.Mosaics)
			if err != nil {
				return nil, err
			}
			list := make([]mosaicWire, 0, len(ms))
			for _, m := range ms {
				q := m.Quantity
				list = append(list, mosaicWire{MosaicID: &mosaicIDWire{NamespaceID: m.Namespace, Name: m.Name}, Quantity: &q})
			}
			w.Mosaics = &list
		}
	case TypeMultisigModification:
		mods, err := canonicalModifications(tx.Modifications, tx.Network)
		if err != nil {
			return nil, err
		}
		list := make([]modificationWire, 0, len(mods))
		for _, m := range mods {
			t, k := int32(m.Type), m.Cosignatory.String()
			list = append(list, modificationWire{ModificationType: &t, CosignatoryAccount: &k})
		}
		w.Modifications = &list
		if tx.version() >= 2 {
			w.MinCosignatories = &minCosignatoriesWire{}
			if !tx.minNull || tx.MinCosignatoriesChange != 0 {
				c := tx.MinCosignatoriesChange
				w.MinCosignatories.RelativeChange = &c
			}
		}
	case TypeMultisigSignature:
		h, a := tx.OtherHash.String(), tx.OtherAccount.String()
		w.OtherHash, w.OtherAccount = &hashWire{Data: &h}, &a
	case TypeMultisig:
		if tx.Inner == nil {
			return nil, invalidTx("multisig transaction has no inner transaction")
		}
		inner := *tx.Inner
		inner.Signature = nem.Signature{}
		b, err := inner.MarshalJSON()
		if err != nil {
			return nil, err
		}
		w.OtherTrans = b
		list := make([]json.RawMessage, 0, len(tx.Cosignatures))
		for _, c := range tx.Cosignatures {
			b, err := c.MarshalJSON()
			if err != nil {
				return nil, err
			}
			list = append(list, b)
		}
		w.Signatures = &list
	}
	return w, nil
}

func deref[T any](p *[]T) []T {
	if p == nil {
		return nil
	}
	return *p
}
