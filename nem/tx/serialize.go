package tx

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/nemiot/nemiot/nem"
)

// The NIS1 binary serialization: little-endian int32/int64 fields; every
// byte string, string and nested object is preceded by its int32 length.
// The hash and the signature cover the serialization without signatures.
//
//	common:   type | version | timeStamp | 32 | signer(32) | fee(int64) | deadline
//	transfer: 40 | recipient(40 ASCII) | amount(int64) | msgLen [| msgType | len | payload]
//	          (version 2: count | mosaics, sorted as NIS sorts them)
//	4097:     count | count × (40 | modType | 32 | key(32)), sorted by (type, address)
//	          (version 2: 4 | relativeChange, or 0 for none)
//	4098:     36 | 32 | otherHash(32) | 40 | otherAccount(40 ASCII)
//	4100:     innerLen | inner transaction

const (
	maxModifications = 1 << 10 // far above NIS's 32 cosignatories; bounds decoding work
	maxMosaics       = 1 << 10
	maxMessage       = 1 << 16 // NIS allows 1024 bytes of payload; leave room for other networks
	maxMosaicString  = 1 << 10
)

// SignedTransaction is a serialized transaction and its signature: the body
// of a NIS /transaction/announce request ({"data": hex, "signature": hex}).
type SignedTransaction struct {
	Data      []byte        // serialization without signature, as hashed and signed
	Signature nem.Signature // the signer's signature of Data
}

// Hash returns the transaction hash, Keccak-256 of Data.
func (s *SignedTransaction) Hash() Hash { return nem.Keccak256(s.Data) }

// Transaction decodes Data (see [DecodeTransaction]) and attaches Signature.
// It does not verify the signature; call [Transaction.Verify].
func (s *SignedTransaction) Transaction() (*Transaction, error) {
	tx, err := DecodeTransaction(s.Data)
	if err != nil {
		return nil, err
	}
	tx.Signature = s.Signature
	return tx, nil
}

type announceWire struct {
	Data      string `json:"data"`
	Signature string `json:"signature"`
}

// MarshalJSON returns the NIS announce body {"data": hex, "signature": hex}.
func (s *SignedTransaction) MarshalJSON() ([]byte, error) {
	return json.Marshal(announceWire{Data: hex.EncodeToString(s.Data), Signature: s.Signature.String()})
}

// UnmarshalJSON reads a NIS announce body.
func (s *SignedTransaction) UnmarshalJSON(b []byte) error {
	var w announceWire
	if err := json.Unmarshal(b, &w); err != nil {
		return invalidTx("announce body: %v", err)
	}
	data, err := hex.DecodeString(w.Data)
	if err != nil || len(data) == 0 {
		return invalidTx("announce body: data is not hex")
	}
	sig, err := nem.ParseSignature(w.Signature)
	if err != nil {
		return invalidTx("announce body: %v", err)
	}
	s.Data, s.Signature = data, sig
	return nil
}

// Serialize returns the NIS binary serialization of tx without signatures:
// the bytes that are hashed, signed and announced. Modifications and mosaics
// are written in the order NIS sorts them, whatever their order in tx.
func (tx *Transaction) Serialize() ([]byte, error) {
	return tx.appendBinary(make([]byte, 0, 256), false)
}

func le32(b []byte, v int32) []byte  { return binary.LittleEndian.AppendUint32(b, uint32(v)) }
func le64(b []byte, v uint64) []byte { return binary.LittleEndian.AppendUint64(b, v) }

func (tx *Transaction) appendBinary(b []byte, inner bool) ([]byte, error) {
	if !tx.Type.supported() {
		return nil, fmt.Errorf("%w: %s", ErrUnsupportedType, tx.Type)
	}
	if !tx.Network.Valid() {
		return nil, invalidTx("unknown network 0x%02x", byte(tx.Network))
	}
	v := tx.version()
	if v != 1 && v != 2 {
		return nil, invalidTx("%s version %d is not 1 or 2", tx.Type, v)
	}
	if tx.Signer.IsZero() {
		return nil, invalidTx("%s transaction has no signer", tx.Type)
	}
	b = le32(b, int32(tx.Type))
	b = le32(b, tx.Network.Version(v))
	b = le32(b, int32(tx.TimeStamp))
	b = le32(b, nem.PublicKeySize)
	b = append(b, tx.Signer[:]...)
	b = le64(b, tx.Fee)
	b = le32(b, int32(tx.Deadline))
	switch tx.Type {
	case TypeTransfer:
		return tx.appendTransfer(b, v)
	case TypeMultisigModification:
		return tx.appendModification(b, v)
	case TypeMultisigSignature:
		if v != 1 {
			return nil, invalidTx("multisig signature version %d", v)
		}
		if tx.OtherAccount.IsZero() {
			return nil, invalidTx("multisig signature has no account")
		}
		b = le32(b, 4+32)
		b = le32(b, 32)
		b = append(b, tx.OtherHash[:]...)
		b = le32(b, 40)
		return append(b, tx.OtherAccount.String()...), nil
	case TypeMultisig:
		if inner {
			return nil, invalidTx("a multisig transaction cannot be inside another")
		}
		if v != 1 {
			return nil, invalidTx("multisig version %d", v)
		}
		if tx.Inner == nil {
			return nil, invalidTx("multisig transaction has no inner transaction")
		}
		if tx.Inner.Type == TypeMultisigSignature {
			return nil, invalidTx("a multisig signature cannot be wrapped")
		}
		at := len(b)
		b = le32(b, 0)
		b, err := tx.Inner.appendBinary(b, true)
		if err != nil {
			return nil, fmt.Errorf("inner transaction: %w", err)
		}
		binary.LittleEndian.PutUint32(b[at:], uint32(len(b)-at-4))
		return b, nil
	}
	panic("unreachable")
}

func (tx *Transaction) appendTransfer(b []byte, v byte) ([]byte, error) {
	if tx.Recipient.IsZero() {
		return nil, invalidTx("transfer has no recipient")
	}
	b = le32(b, 40)
	b = append(b, tx.Recipient.String()...)
	b = le64(b, tx.Amount)
	if p := tx.Message.Payload; len(p) == 0 {
		b = le32(b, 0) // NIS stores an empty message as none
	} else {
		if tx.Message.Type != MessagePlain && tx.Message.Type != MessageEncrypted {
			return nil, invalidTx("message type %d is not 1 (plain) or 2 (encrypted)", tx.Message.Type)
		}
		if len(p) > maxMessage {
			return nil, invalidTx("message payload of %d bytes", len(p))
		}
		b = le32(b, int32(8+len(p)))
		b = le32(b, int32(tx.Message.Type))
		b = le32(b, int32(len(p)))
		b = append(b, p...)
	}
	if v < 2 {
		if len(tx.Mosaics) > 0 {
			return nil, invalidTx("mosaics need a version 2 transfer")
		}
		return b, nil
	}
	ms, err := canonicalMosaics(tx.Mosaics)
	if err != nil {
		return nil, err
	}
	b = le32(b, int32(len(ms)))
	for _, m := range ms {
		id := 4 + len(m.Namespace) + 4 + len(m.Name)
		b = le32(b, int32(4+id+8))
		b = le32(b, int32(id))
		b = le32(b, int32(len(m.Namespace)))
		b = append(b, m.Namespace...)
		b = le32(b, int32(len(m.Name)))
		b = append(b, m.Name...)
		b = le64(b, m.Quantity)
	}
	return b, nil
}

// canonicalMosaics merges mosaics with the same id and sorts them as NIS
// does: by the string "namespace:name : quantity".
func canonicalMosaics(in []Mosaic) ([]Mosaic, error) {
	if len(in) > maxMosaics {
		return nil, invalidTx("%d mosaics", len(in))
	}
	out := make([]Mosaic, 0, len(in))
	for _, m := range in {
		if m.Namespace == "" || m.Name == "" || len(m.Namespace) > maxMosaicString || len(m.Name) > maxMosaicString {
			return nil, invalidTx("mosaic id %q:%q", m.Namespace, m.Name)
		}
		i := slices.IndexFunc(out, func(o Mosaic) bool { return o.Namespace == m.Namespace && o.Name == m.Name })
		if i < 0 {
			out = append(out, m)
			continue
		}
		if out[i].Quantity+m.Quantity < out[i].Quantity {
			return nil, invalidTx("mosaic %s:%s quantity overflows", m.Namespace, m.Name)
		}
		out[i].Quantity += m.Quantity
	}
	slices.SortStableFunc(out, func(a, b Mosaic) int { return strings.Compare(mosaicKey(a), mosaicKey(b)) })
	return out, nil
}

func mosaicKey(m Mosaic) string {
	return m.Namespace + ":" + m.Name + " : " + strconv.FormatUint(m.Quantity, 10)
}

func (tx *Transaction) appendModification(b []byte, v byte) ([]byte, error) {
	mods, err := canonicalModifications(tx.Modifications, tx.Network)
	if err != nil {
		return nil, err
	}
	switch {
	case v == 1 && len(mods) == 0:
		return nil, invalidTx("version 1 modification without cosignatory changes")
	case v == 1 && tx.MinCosignatoriesChange != 0:
		return nil, invalidTx("version 1 modification cannot change the minimum of cosignatories")
	case v == 2 && len(mods) == 0 && tx.minNull:
		return nil, invalidTx("modification changes nothing")
	}
	b = le32(b, int32(len(mods)))
	for _, m := range mods {
		b = le32(b, 4+4+32)
		b = le32(b, int32(m.Type))
		b = le32(b, 32)
		b = append(b, m.Cosignatory[:]...)
	}
	if v >= 2 {
		if tx.minNull && tx.MinCosignatoriesChange == 0 {
			b = le32(b, 0)
		} else {
			b = le32(b, 4)
			b = le32(b, tx.MinCosignatoriesChange)
		}
	}
	return b, nil
}

// canonicalModifications checks the modifications and sorts a copy as NIS
// does: by type, then by the cosignatory's address string on network n.
func canonicalModifications(in []Modification, n nem.Network) ([]Modification, error) {
	if len(in) > maxModifications {
		return nil, invalidTx("%d modifications", len(in))
	}
	type keyed struct {
		m    Modification
		addr string
	}
	ks := make([]keyed, len(in))
	for i, m := range in {
		if m.Type != AddCosignatory && m.Type != RemoveCosignatory {
			return nil, invalidTx("modification type %d is not 1 (add) or 2 (remove)", m.Type)
		}
		if m.Cosignatory.IsZero() {
			return nil, invalidTx("modification without cosignatory key")
		}
		ks[i] = keyed{m, m.Cosignatory.Address(n).String()}
	}
	slices.SortStableFunc(ks, func(a, b keyed) int {
		if a.m.Type != b.m.Type {
			return int(a.m.Type - b.m.Type)
		}
		return strings.Compare(a.addr, b.addr)
	})
	out := make([]Modification, len(ks))
	for i, k := range ks {
		out[i] = k.m
	}
	return out, nil
}

// DecodeTransaction reads the NIS binary serialization of a transaction (as in
// the "data" of an announce request): a transfer, a multisig aggregate
// modification, a multisig cosignature or a multisig wrapper. The bytes must
// be exactly what [Transaction.Serialize] writes for the result (the form NIS
// hashes); anything else fails with [ErrInvalidTransaction]. The returned
// transaction has no Signature.
func DecodeTransaction(data []byte) (*Transaction, error) {
	d := decoder{b: data}
	tx := d.transaction(false)
	if d.err == nil && d.off != len(d.b) {
		d.fail("%d trailing bytes", len(d.b)-d.off)
	}
	if d.err != nil {
		return nil, d.err
	}
	again, err := tx.Serialize()
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(again, data) {
		return nil, invalidTx("bytes are not in the canonical NIS form")
	}
	return tx, nil
}

type decoder struct {
	b   []byte
	off int
	err error
}

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = invalidTx("at byte %d: %s", d.off, fmt.Sprintf(format, args...))
	}
}

func (d *decoder) take(n int) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || n > len(d.b)-d.off {
		d.fail("need %d bytes, %d left", n, len(d.b)-d.off)
		return nil
	}
	p := d.b[d.off : d.off+n]
	d.off += n
	return p
}

func (d *decoder) i32() int32 {
	p := d.take(4)
	if p == nil {
		return 0
	}
	return int32(binary.LittleEndian.Uint32(p))
}

func (d *decoder) u64() uint64 {
	p := d.take(8)
	if p == nil {
		return 0
	}
	return binary.LittleEndian.Uint64(p)
}

// expect reads an int32 that must equal want.
func (d *decoder) expect(want int32, what string) {
	if got := d.i32(); d.err == nil && got != want {
		d.fail("%s length %d, want %d", what, got, want)
	}
}

func (d *decoder) address(what string) nem.Address {
	d.expect(40, what)
	p := d.take(40)
	if p == nil {
		return nem.Address{}
	}
	a, err := nem.ParseAddress(string(p))
	if err != nil || a.String() != string(p) {
		d.fail("%s is not a canonical address", what)
	}
	return a
}

func (d *decoder) str(what string) string {
	n := d.i32()
	if d.err == nil && (n <= 0 || n > maxMosaicString) {
		d.fail("%s length %d", what, n)
		return ""
	}
	return string(d.take(int(n)))
}

func (d *decoder) transaction(inner bool) *Transaction {
	tx := new(Transaction)
	tx.Type = TransactionType(d.i32())
	ver := uint32(d.i32())
	tx.TimeStamp = nem.Timestamp(d.i32())
	d.expect(32, "signer")
	copy(tx.Signer[:], d.take(32))
	tx.Fee = d.u64()
	tx.Deadline = nem.Timestamp(d.i32())
	if d.err != nil {
		return nil
	}
	if !tx.Type.supported() {
		d.err = fmt.Errorf("%w: %s", ErrUnsupportedType, tx.Type)
		return nil
	}
	tx.Network = nem.Network(ver >> 24)
	if ver&0x00ffff00 != 0 || !tx.Network.Valid() {
		d.fail("version field 0x%08x", ver)
		return nil
	}
	tx.Version = byte(ver)
	switch tx.Type {
	case TypeTransfer:
		tx.Recipient = d.address("recipient")
		tx.Amount = d.u64()
		if n := d.i32(); n != 0 {
			tx.Message.Type = MessageType(d.i32())
			size := d.i32()
			if d.err == nil && (size <= 0 || size > maxMessage || n != 8+size) {
				d.fail("message length %d with payload %d", n, size)
				return nil
			}
			tx.Message.Payload = bytes.Clone(d.take(int(size)))
		}
		if tx.Version >= 2 {
			n := d.i32()
			if d.err == nil && (n < 0 || n > maxMosaics) {
				d.fail("%d mosaics", n)
				return nil
			}
			for i := int32(0); i < n && d.err == nil; i++ {
				start := d.i32()
				at := d.off
				idLen := d.i32()
				idAt := d.off
				m := Mosaic{Namespace: d.str("namespace"), Name: d.str("mosaic name")}
				if d.err == nil && int(idLen) != d.off-idAt {
					d.fail("mosaic id length %d", idLen)
				}
				m.Quantity = d.u64()
				if d.err == nil && int(start) != d.off-at {
					d.fail("mosaic length %d", start)
				}
				tx.Mosaics = append(tx.Mosaics, m)
			}
		}
	case TypeMultisigModification:
		n := d.i32()
		if d.err == nil && (n < 0 || n > maxModifications) {
			d.fail("%d modifications", n)
			return nil
		}
		for i := int32(0); i < n && d.err == nil; i++ {
			d.expect(40, "modification")
			var m Modification
			m.Type = ModificationType(d.i32())
			d.expect(32, "cosignatory")
			copy(m.Cosignatory[:], d.take(32))
			tx.Modifications = append(tx.Modifications, m)
		}
		if tx.Version >= 2 {
			switch d.i32() {
			case 0:
				tx.minNull = true
			case 4:
				tx.MinCosignatoriesChange = d.i32()
			default:
				d.fail("minimum cosignatories length")
			}
		}
	case TypeMultisigSignature:
		d.expect(36, "hash object")
		d.expect(32, "hash")
		copy(tx.OtherHash[:], d.take(32))
		tx.OtherAccount = d.address("multisig account")
	case TypeMultisig:
		if inner {
			d.fail("multisig transaction inside another")
			return nil
		}
		n := d.i32()
		body := d.take(int(n))
		if d.err != nil {
			return nil
		}
		sub := decoder{b: body}
		tx.Inner = sub.transaction(true)
		if sub.err == nil && sub.off != len(body) {
			sub.fail("%d trailing bytes in inner transaction", len(body)-sub.off)
		}
		if sub.err != nil {
			d.err = fmt.Errorf("inner transaction: %w", sub.err)
		}
	}
	if d.err != nil {
		return nil
	}
	return tx
}
