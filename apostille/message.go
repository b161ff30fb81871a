package apostille

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"

	"filippo.io/edwards25519"

	"github.com/nemiot/nemiot/nem"
)

// Header is the first four bytes of every apostille message: 0xFE (what
// NanoWallet and nem-sdk put before a hex message) and ASCII "NTY".
const Header = "\xfeNTY"

// PrivateFlag is set in the version byte of a private ("signed",
// "transferable") apostille.
const PrivateFlag = 0x80

// HeaderSize is the length of an apostille message before its data: the
// four header bytes and the version byte.
const HeaderSize = len(Header) + 1

// Message is a decoded apostille message, the payload of the plain message
// of the apostille transfer:
//
//	FE 4E 54 59 | version | data
//
// where version is the [HashType], with [PrivateFlag] for a private
// apostille, and data is the file's digest (public) or the owner's NIS1
// signature of that digest (private; always 64 bytes).
type Message struct {
	Hash    HashType
	Private bool
	// Digest is the file's digest, for a public apostille; nil otherwise.
	Digest []byte
	// Signature is the owner's signature of the file's digest, for a private
	// apostille; zero otherwise.
	Signature nem.Signature
}

// ParseMessage decodes an apostille message. It is strict: the header must
// be exact, the version byte one of the ten known ones, and the data exactly
// as long as the version requires. Errors wrap [ErrMessage] (and also
// [ErrUnknownHash] for an unknown version byte).
func ParseMessage(payload []byte) (*Message, error) {
	if len(payload) < HeaderSize || string(payload[:len(Header)]) != Header {
		return nil, fmt.Errorf("%w: does not start with fe4e5459", ErrMessage)
	}
	v := payload[len(Header)]
	m := &Message{Hash: HashType(v &^ PrivateFlag), Private: v&PrivateFlag != 0}
	if !m.Hash.Valid() {
		return nil, fmt.Errorf("%w: %w: version byte 0x%02x", ErrMessage, ErrUnknownHash, v)
	}
	data := payload[HeaderSize:]
	want := m.Hash.Size()
	if m.Private {
		want = nem.SignatureSize
	}
	if len(data) != want {
		return nil, fmt.Errorf("%w: version 0x%02x carries %d bytes of data, want %d", ErrMessage, v, len(data), want)
	}
	if m.Private {
		copy(m.Signature[:], data)
	} else {
		m.Digest = bytes.Clone(data)
	}
	return m, nil
}

// Version returns the message's version byte.
func (m *Message) Version() byte {
	if m.Private {
		return byte(m.Hash) | PrivateFlag
	}
	return byte(m.Hash)
}

// Bytes encodes the message.
func (m *Message) Bytes() []byte {
	out := make([]byte, 0, HeaderSize+nem.SignatureSize)
	out = append(out, Header...)
	out = append(out, m.Version())
	if m.Private {
		return append(out, m.Signature[:]...)
	}
	return append(out, m.Digest...)
}

// NewMessage builds the apostille message of content, as nem-sdk and
// NanoWallet do: for a public apostille the digest of content, for a private
// one owner's signature of that digest. owner is used only when private (it
// may then not be nil).
func NewMessage(owner *nem.PrivateKey, h HashType, content []byte, private bool) (*Message, error) {
	d, err := h.Digest(content)
	if err != nil {
		return nil, err
	}
	m := &Message{Hash: h, Private: private}
	if !private {
		m.Digest = d
		return m, nil
	}
	if owner == nil {
		return nil, fmt.Errorf("apostille: a private apostille needs the owner's key")
	}
	m.Signature = owner.Sign(d)
	return m, nil
}

// VerifyContent checks content against the message. For a public apostille
// the digest of content must equal the message's ([ErrDigestMismatch]).
// A private apostille carries no digest, only the owner's signature of it, so
// without the owner's public key only the signature's form can be checked: R
// must be a curve point and S canonical and non-zero ([ErrBadSignature]); use
// [Message.VerifyOwner] when the owner is known.
func (m *Message) VerifyContent(content []byte) error {
	if m.Private {
		if !signatureWellFormed(m.Signature) {
			return fmt.Errorf("%w: malformed signature", ErrBadSignature)
		}
		return nil
	}
	d, err := m.Hash.Digest(content)
	if err != nil {
		return err
	}
	if subtle.ConstantTimeCompare(d, m.Digest) != 1 {
		return fmt.Errorf("%w: %s digest differs", ErrDigestMismatch, m.Hash)
	}
	return nil
}

// VerifyOwner checks that a private apostille's signature is owner's
// signature of the digest of content (the NIS rule of [nem.PublicKey.Verify]).
// It fails with [ErrPublic] for a public apostille, whose message names no
// owner (the owner of a public apostille is the signer of its transaction:
// see [Audit]).
func (m *Message) VerifyOwner(content []byte, owner nem.PublicKey) error {
	if !m.Private {
		return ErrPublic
	}
	d, err := m.Hash.Digest(content)
	if err != nil {
		return err
	}
	if !owner.Verify(d, m.Signature) {
		return fmt.Errorf("%w: not signed by %s over this content's %s digest", ErrBadSignature, owner, m.Hash)
	}
	return nil
}

func signatureWellFormed(sig nem.Signature) bool {
	var s edwards25519.Scalar
	if _, err := s.SetCanonicalBytes(sig[32:]); err != nil {
		return false
	}
	if s.Equal(edwards25519.NewScalar()) == 1 {
		return false
	}
	var r edwards25519.Point
	_, err := r.SetBytes(sig[:32])
	return err == nil
}

// DedicatedKey derives the private key of the dedicated account of a private
// apostille of the file originalName, as nem-sdk's apostille.generateAccount
// and NanoWallet do: owner signs the SHA-256 of the name's exact UTF-8 bytes,
// and the signature's second half (S) is the dedicated private key. The name
// is used as given: never trimmed or normalized, with its extension.
func DedicatedKey(owner *nem.PrivateKey, originalName string) *nem.PrivateKey {
	h := sha256.Sum256([]byte(originalName))
	sig := owner.Sign(h[:])
	k, err := nem.NewPrivateKey(sig[32:])
	if err != nil {
		panic("apostille: unreachable: 32-byte key rejected")
	}
	clear(sig[:])
	return k
}

// zeroOwner is the key nem-sdk silently uses when given an empty private key
// (the all-zero key): a dedicated key derived from it is public knowledge.
var zeroOwner, _ = nem.NewPrivateKey(make([]byte, nem.PrivateKeySize))

// Sink returns the address to which public apostilles are sent on network n
// (nem-sdk model/sinks.js), and false for an unknown network.
func Sink(n nem.Network) (nem.Address, bool) {
	var s string
	switch n {
	case nem.Mainnet:
		s = "NCZSJHLTIMESERVBVKOW6US64YDZG2PFGQCSV23J"
	case nem.Testnet:
		s = "TC7MCY5AGJQXZQ4BN3BOPNXUVIGDJCOHBPGUM2GE"
	case nem.Mijin:
		s = "MCGDK2J46BODGGKMPIKCBGTBBIWL6AL5ZKLKQ56A"
	default:
		return nem.Address{}, false
	}
	a, err := nem.ParseAddressOn(s, n)
	if err != nil {
		panic("apostille: unreachable: bad sink address constant")
	}
	return a, true
}
