package nem

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"

	"filippo.io/edwards25519"

	"github.com/nemiot/nemiot/nem/internal/secret"
)

// PrivateKeySize is the size of a NEM private key in bytes.
const PrivateKeySize = 32

// PrivateKey is a NEM account's secret key, with the values that signing and
// key agreement need computed once.
//
// It is opaque: every fmt verb prints a redacted placeholder or, where fmt
// prints no method's output (%p on a value, %w outside fmt.Errorf, a key in
// an unexported struct field), a memory address; the secret comes out only
// through [PrivateKey.Hex] and [PrivateKey.Bytes]. A *PrivateKey is safe for
// concurrent use. Compare keys with [PrivateKey.Equal]: copies of a
// PrivateKey value share their secret, and == compares that identity. The
// zero value is not a valid key: make one with [GeneratePrivateKey],
// [ParsePrivateKey] or [NewPrivateKey].
type PrivateKey struct {
	s secret.Ref[privateKey] // never printed: see package nem/internal/secret
}

// privateKey is the material of a PrivateKey.
type privateKey struct {
	raw    [32]byte            // canonical (big-endian) key bytes, as wallets show them
	scalar edwards25519.Scalar // clamped lower half of Keccak-512(reverse(raw)), mod L
	clamp  [32]byte            // the same clamped value, unreduced, little-endian (for NIS-exact ECDH)
	prefix [32]byte            // upper half of Keccak-512(reverse(raw)), the signing nonce key
	pub    PublicKey
}

// secret returns k's material; a zero PrivateKey has all-zero material.
func (k *PrivateKey) secret() *privateKey { return k.s.Get() }

// GeneratePrivateKey makes a new key from 32 bytes of rand. A nil rand means
// [crypto/rand.Reader].
func GeneratePrivateKey(rand io.Reader) (*PrivateKey, error) {
	if rand == nil {
		rand = cryptoRand
	}
	var b [32]byte
	if _, err := io.ReadFull(rand, b[:]); err != nil {
		return nil, fmt.Errorf("nem: reading randomness for a key: %w", err)
	}
	k := newPrivateKey(&b)
	clear(b[:])
	return k, nil
}

var cryptoRand = rand.Reader

// NewPrivateKey makes a key from its 32 canonical bytes (big-endian, the order
// in which the 64-character hex form shows them). The bytes are copied.
func NewPrivateKey(b []byte) (*PrivateKey, error) {
	if len(b) != PrivateKeySize {
		return nil, fmt.Errorf("%w: private key is %d bytes, want 32", ErrInvalidKey, len(b))
	}
	var raw [32]byte
	copy(raw[:], b)
	k := newPrivateKey(&raw)
	clear(raw[:])
	return k, nil
}

// ParsePrivateKey reads a private key in hex, in any case: the canonical 64
// characters, the 66 characters a NIS node prints when it prefixes "00", or
// the shorter form a NIS node prints when the key starts with zero bytes.
// Errors never quote the input.
func ParsePrivateKey(s string) (*PrivateKey, error) {
	if len(s)%2 != 0 {
		return nil, fmt.Errorf("%w: private key has an odd number (%d) of hex characters", ErrInvalidKey, len(s))
	}
	if len(s) == 0 || len(s) > 66 {
		return nil, fmt.Errorf("%w: private key has %d hex characters, want 64", ErrInvalidKey, len(s))
	}
	var buf [33]byte
	n := len(s) / 2
	if _, err := hex.Decode(buf[:n], []byte(s)); err != nil {
		clear(buf[:])
		return nil, fmt.Errorf("%w: private key is not hex", ErrInvalidKey)
	}
	var raw [32]byte
	switch {
	case n == 33:
		if buf[0] != 0 {
			clear(buf[:])
			return nil, fmt.Errorf("%w: 66-character private key must start with 00", ErrInvalidKey)
		}
		copy(raw[:], buf[1:33])
	default: // NIS drops leading zero bytes: left-pad
		copy(raw[32-n:], buf[:n])
	}
	clear(buf[:])
	k := newPrivateKey(&raw)
	clear(raw[:])
	return k, nil
}

func newPrivateKey(raw *[32]byte) *PrivateKey {
	key, k := secret.New(func(key *PrivateKey, r secret.Ref[privateKey]) { key.s = r })
	k.raw = *raw
	var seed [32]byte
	for i := range seed {
		seed[i] = raw[31-i]
	}
	d := Keccak512(seed[:])
	clear(seed[:])
	copy(k.clamp[:], d[:32])
	k.clamp[0] &= 0xf8
	k.clamp[31] &= 0x7f
	k.clamp[31] |= 0x40
	if _, err := k.scalar.SetBytesWithClamping(d[:32]); err != nil {
		panic("nem: unreachable: clamping a 32-byte value failed")
	}
	copy(k.prefix[:], d[32:])
	clear(d[:])
	var A edwards25519.Point
	A.ScalarBaseMult(&k.scalar)
	copy(k.pub[:], A.Bytes())
	return key
}

// PublicKey returns the key's public key.
func (k *PrivateKey) PublicKey() PublicKey { return k.secret().pub }

// Address returns the key's account address on network n.
func (k *PrivateKey) Address(n Network) Address { return k.secret().pub.Address(n) }

// Hex returns the 64-character lower-case hex form of the secret key. It is,
// with [PrivateKey.Bytes], the only way the secret leaves a PrivateKey.
func (k *PrivateKey) Hex() string { return hex.EncodeToString(k.secret().raw[:]) }

// Bytes returns a copy of the key's 32 canonical bytes (big-endian).
func (k *PrivateKey) Bytes() []byte { b := k.secret().raw; return b[:] }

// Equal reports whether k and o are the same key, in constant time.
func (k *PrivateKey) Equal(o *PrivateKey) bool {
	if k == nil || o == nil {
		return k == o
	}
	return subtle.ConstantTimeCompare(k.secret().raw[:], o.secret().raw[:]) == 1
}

const redacted = "nem.PrivateKey(REDACTED)"

// String returns a redacted placeholder, never the key.
func (k PrivateKey) String() string { return redacted }

// GoString returns a redacted placeholder, never the key.
func (k PrivateKey) GoString() string { return redacted }

// Format prints a redacted placeholder under every verb, never the key.
func (k PrivateKey) Format(f fmt.State, _ rune) { io.WriteString(f, redacted) }

// LogValue keeps the key out of log/slog output.
func (k PrivateKey) LogValue() slog.Value { return slog.StringValue(redacted) }

// Sign signs message the NIS1 way (Ed25519 with Keccak-512). Signatures are
// deterministic: the same key and message always give the same signature.
func (k *PrivateKey) Sign(message []byte) Signature {
	m := k.secret()
	d := Keccak512(m.prefix[:], message)
	var r edwards25519.Scalar
	if _, err := r.SetUniformBytes(d[:]); err != nil {
		panic("nem: unreachable: 64-byte hash rejected")
	}
	var R edwards25519.Point
	R.ScalarBaseMult(&r)
	var sig Signature
	copy(sig[:32], R.Bytes())
	hd := Keccak512(sig[:32], m.pub[:], message)
	var h edwards25519.Scalar
	if _, err := h.SetUniformBytes(hd[:]); err != nil {
		panic("nem: unreachable: 64-byte hash rejected")
	}
	var S edwards25519.Scalar
	S.MultiplyAdd(&h, &m.scalar, &r)
	copy(sig[32:], S.Bytes())
	return sig
}

// PublicKeySize is the size of a NEM public key in bytes.
const PublicKeySize = 32

// PublicKey is a NEM account's public key: an encoded edwards25519 point.
type PublicKey [32]byte

// ParsePublicKey reads a public key written as 64 hex characters, in any case.
func ParsePublicKey(s string) (PublicKey, error) {
	var p PublicKey
	if len(s) != 64 {
		return p, fmt.Errorf("%w: public key has %d characters, want 64", ErrInvalidKey, len(s))
	}
	if _, err := hex.Decode(p[:], []byte(s)); err != nil {
		return PublicKey{}, fmt.Errorf("%w: public key is not hex: %q", ErrInvalidKey, s)
	}
	return p, nil
}

// String returns the key as 64 lower-case hex characters.
func (p PublicKey) String() string { return hex.EncodeToString(p[:]) }

// IsZero reports whether p is all zero bytes (never a valid account key).
func (p PublicKey) IsZero() bool { return p == PublicKey{} }

// Validate reports whether p is safe to trust as a party to off-chain
// messages: it fails with [ErrInvalidKey] if p is not a curve point and with
// [ErrWeakKey] if p is a point of small order (including the all-zero key).
// Under a small-order key anyone can forge signatures and read what is
// encrypted to it. [PublicKey.Verify] does not call Validate: it keeps the
// NIS rule, under which chain transactions are judged.
func (p PublicKey) Validate() error {
	var P edwards25519.Point
	if _, err := P.SetBytes(p[:]); err != nil {
		return fmt.Errorf("%w: public key is not a curve point", ErrInvalidKey)
	}
	if isSmallOrder(&P) {
		return fmt.Errorf("%w: %s", ErrWeakKey, p)
	}
	return nil
}

// isSmallOrder reports whether 8P is the identity.
func isSmallOrder(P *edwards25519.Point) bool {
	var Q edwards25519.Point
	Q.MultByCofactor(P)
	return Q.Equal(edwards25519.NewIdentityPoint()) == 1
}

// MarshalText encodes the key as lower-case hex.
func (p PublicKey) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalText decodes a hex key, as [ParsePublicKey].
func (p *PublicKey) UnmarshalText(b []byte) error {
	v, err := ParsePublicKey(string(b))
	if err != nil {
		return err
	}
	*p = v
	return nil
}

// Verify reports whether sig is p's valid NIS1 signature of message. It
// follows the NIS node's rule: S must be canonical and non-zero (0 < S < L),
// the key must not be all zeros and must decode to a curve point, and the
// recomputed R must equal the signature's R byte for byte.
func (p PublicKey) Verify(message []byte, sig Signature) bool {
	var v Verifier // on the stack: one verification allocates nothing
	if v.init(p) != nil {
		return false
	}
	return v.Verify(message, sig)
}

// Verifier checks signatures by one public key, with the key decoded once. A
// Verifier is safe for concurrent use.
type Verifier struct {
	key  PublicKey
	negA edwards25519.Point
}

// NewVerifier decodes p for repeated verification. It fails with
// [ErrInvalidKey] for the all-zero key and for bytes that are not a curve
// point: no signature verifies under those.
func NewVerifier(p PublicKey) (*Verifier, error) {
	v := new(Verifier)
	if err := v.init(p); err != nil {
		return nil, err
	}
	return v, nil
}

// init decodes p into v.
func (v *Verifier) init(p PublicKey) error {
	if p.IsZero() {
		return fmt.Errorf("%w: all-zero public key", ErrInvalidKey)
	}
	v.key = p
	if _, err := v.negA.SetBytes(p[:]); err != nil {
		return fmt.Errorf("%w: public key is not a curve point", ErrInvalidKey)
	}
	v.negA.Negate(&v.negA)
	return nil
}

// PublicKey returns the key v verifies for.
func (v *Verifier) PublicKey() PublicKey { return v.key }

// Verify is [PublicKey.Verify] without decoding the key again.
func (v *Verifier) Verify(message []byte, sig Signature) bool {
	var S edwards25519.Scalar
	if _, err := S.SetCanonicalBytes(sig[32:]); err != nil {
		return false
	}
	if S.Equal(edwards25519.NewScalar()) == 1 {
		return false
	}
	hd := Keccak512(sig[:32], v.key[:], message)
	var h edwards25519.Scalar
	if _, err := h.SetUniformBytes(hd[:]); err != nil {
		return false
	}
	var R edwards25519.Point
	R.VarTimeDoubleScalarBaseMult(&h, &v.negA, &S)
	return subtle.ConstantTimeCompare(R.Bytes(), sig[:32]) == 1
}

// SignatureSize is the size of a NIS1 signature in bytes.
const SignatureSize = 64

// Signature is a NIS1 signature: R (32 bytes) followed by S (32 bytes).
type Signature [64]byte

// ParseSignature reads a signature written as 128 hex characters, in any case.
func ParseSignature(s string) (Signature, error) {
	var sig Signature
	if len(s) != 128 {
		return sig, fmt.Errorf("%w: %d characters, want 128", ErrInvalidSignature, len(s))
	}
	if _, err := hex.Decode(sig[:], []byte(s)); err != nil {
		return Signature{}, fmt.Errorf("%w: not hex", ErrInvalidSignature)
	}
	return sig, nil
}

// String returns the signature as 128 lower-case hex characters.
func (s Signature) String() string { return hex.EncodeToString(s[:]) }

// MarshalText encodes the signature as lower-case hex.
func (s Signature) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText decodes a hex signature, as [ParseSignature].
func (s *Signature) UnmarshalText(b []byte) error {
	v, err := ParseSignature(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}
