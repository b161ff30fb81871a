package nem

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"io"
	"log/slog"

	"filippo.io/edwards25519"

	"github.com/nemiot/nemiot/nem/internal/secret"
)

// Sizes of the parts of the encrypted-message formats.
const (
	SaltSize   = 32 // CBC salt
	CBCIVSize  = 16 // CBC initialization vector
	GCMIVSize  = 12 // GCM nonce
	GCMTagSize = 16 // GCM authentication tag
)

// SharedKey is the result of the key agreement between a private key and a
// peer's public key, ready to encrypt to and decrypt from that peer in both
// message formats. Make one with [PrivateKey.SharedKey] when you exchange many
// messages with the same peer; it is safe for concurrent use. Like
// [PrivateKey] it is opaque: no fmt verb prints its secret.
type SharedKey struct {
	s secret.Ref[sharedKey] // never printed: see package nem/internal/secret
}

// sharedKey is the material of a SharedKey.
type sharedKey struct {
	point [32]byte    // encoded ECDH point, as NIS computes it
	gcm   cipher.AEAD // AES-256-GCM under HKDF-SHA256(point, info "nem-nis1")
}

// secret returns s's material; a zero SharedKey has a zero point and no
// GCM cipher.
func (s *SharedKey) secret() *sharedKey { return s.s.Get() }

const redactedShared = "nem.SharedKey(REDACTED)"

// String returns a redacted placeholder, as GoString, Format and LogValue
// do: the shared point is as secret as the private keys it comes from.
func (s SharedKey) String() string { return redactedShared }

// GoString is like String.
func (s SharedKey) GoString() string { return redactedShared }

// Format writes the redacted placeholder for every verb.
func (s SharedKey) Format(f fmt.State, _ rune) { io.WriteString(f, redactedShared) }

// LogValue keeps the shared point out of log/slog output.
func (s SharedKey) LogValue() slog.Value { return slog.StringValue(redactedShared) }

// SharedKey agrees a key with peer. The result is the one NIS and nem-sdk
// compute, including for public keys with a small-order component. It fails
// with [ErrInvalidKey] if peer is not a curve point and with [ErrWeakKey] if
// peer is a point of small order: the agreed key would then be the same
// public value for every private key, and anyone could read the messages.
func (k *PrivateKey) SharedKey(peer PublicKey) (*SharedKey, error) {
	var P edwards25519.Point
	if _, err := P.SetBytes(peer[:]); err != nil {
		return nil, fmt.Errorf("%w: peer public key is not a curve point", ErrInvalidKey)
	}
	if isSmallOrder(&P) {
		return nil, fmt.Errorf("%w: peer %s", ErrWeakKey, peer)
	}
	// NIS multiplies by the clamped scalar a without reducing it mod L. a is a
	// multiple of 8, so a·P = (a/8)·(8P), and a/8 < 2^252 < L is canonical.
	m := k.secret()
	var a8 [32]byte
	for i := 0; i < 32; i++ {
		a8[i] = m.clamp[i] >> 3
		if i < 31 {
			a8[i] |= m.clamp[i+1] << 5
		}
	}
	var s edwards25519.Scalar
	if _, err := s.SetCanonicalBytes(a8[:]); err != nil {
		panic("nem: unreachable: a/8 is not canonical")
	}
	clear(a8[:])
	P.MultByCofactor(&P)
	P.ScalarMult(&s, &P)
	sk, mat := secret.New(func(sk *SharedKey, r secret.Ref[sharedKey]) { sk.s = r })
	copy(mat.point[:], P.Bytes())
	key, err := hkdf.Key(sha256.New, mat.point[:], nil, "nem-nis1", 32)
	if err != nil {
		clear(mat.point[:])
		return nil, fmt.Errorf("nem: deriving the message key: %w", err)
	}
	mat.gcm = newGCM(key)
	clear(key)
	return sk, nil
}

func newGCM(key []byte) cipher.AEAD {
	block, err := aes.NewCipher(key)
	if err != nil {
		panic("nem: unreachable: AES-256 key rejected")
	}
	g, err := cipher.NewGCM(block)
	if err != nil {
		panic("nem: unreachable: GCM mode rejected")
	}
	return g
}

func cbcKey(point, salt []byte) []byte {
	var x [32]byte
	subtle.XORBytes(x[:], point, salt)
	k := Keccak256(x[:])
	clear(x[:])
	return k[:]
}

// EncryptCBC encrypts plaintext in the legacy CBC format that NanoWallet,
// nem-sdk and NIS read: salt(32) | iv(16) | AES-256-CBC with PKCS#7 padding.
// It reads exactly 32 bytes of salt, then 16 bytes of IV, from rand (nil
// means crypto/rand).
func (s *SharedKey) EncryptCBC(rand io.Reader, plaintext []byte) ([]byte, error) {
	if rand == nil {
		rand = cryptoRand
	}
	pad := aes.BlockSize - len(plaintext)%aes.BlockSize
	out := make([]byte, SaltSize+CBCIVSize+len(plaintext)+pad)
	if _, err := io.ReadFull(rand, out[:SaltSize]); err != nil {
		return nil, fmt.Errorf("nem: reading salt: %w", err)
	}
	if _, err := io.ReadFull(rand, out[SaltSize:SaltSize+CBCIVSize]); err != nil {
		return nil, fmt.Errorf("nem: reading IV: %w", err)
	}
	body := out[SaltSize+CBCIVSize:]
	copy(body, plaintext)
	for i := len(plaintext); i < len(body); i++ {
		body[i] = byte(pad)
	}
	key := cbcKey(s.secret().point[:], out[:SaltSize])
	block, err := aes.NewCipher(key)
	clear(key)
	if err != nil {
		return nil, fmt.Errorf("nem: %w", err)
	}
	cipher.NewCBCEncrypter(block, out[SaltSize:SaltSize+CBCIVSize]).CryptBlocks(body, body)
	return out, nil
}

// DecryptCBC decrypts a legacy CBC payload. Any failure is [ErrDecrypt]. CBC
// is not authenticated: a wrong key can pass the padding check by chance, so
// authenticate what you decrypt by other means (a signature) first.
func (s *SharedKey) DecryptCBC(payload []byte) ([]byte, error) {
	n := len(payload) - SaltSize - CBCIVSize
	if n < aes.BlockSize || n%aes.BlockSize != 0 {
		return nil, ErrDecrypt
	}
	key := cbcKey(s.secret().point[:], payload[:SaltSize])
	block, err := aes.NewCipher(key)
	clear(key)
	if err != nil {
		return nil, ErrDecrypt
	}
	out := make([]byte, n)
	cipher.NewCBCDecrypter(block, payload[SaltSize:SaltSize+CBCIVSize]).CryptBlocks(out, payload[SaltSize+CBCIVSize:])
	pad := int(out[n-1])
	// Check every padding byte without branching on secret data.
	good := subtle.ConstantTimeLessOrEq(1, pad) & subtle.ConstantTimeLessOrEq(pad, aes.BlockSize)
	for i := 1; i <= aes.BlockSize; i++ {
		inPad := subtle.ConstantTimeLessOrEq(i, pad)
		same := subtle.ConstantTimeByteEq(out[n-i], byte(pad))
		good &= subtle.ConstantTimeSelect(inPad, same, 1)
	}
	if good != 1 {
		clear(out)
		return nil, ErrDecrypt
	}
	return out[:n-pad], nil
}

// EncryptGCM encrypts plaintext in the format symbol-sdk 3's NEM facade
// writes: tag(16) | iv(12) | AES-256-GCM ciphertext, no additional data. It
// reads exactly 12 bytes of IV from rand (nil means crypto/rand).
func (s *SharedKey) EncryptGCM(rand io.Reader, plaintext []byte) ([]byte, error) {
	if rand == nil {
		rand = cryptoRand
	}
	out := make([]byte, GCMTagSize+GCMIVSize+len(plaintext)+GCMTagSize)
	iv := out[GCMTagSize : GCMTagSize+GCMIVSize]
	if _, err := io.ReadFull(rand, iv); err != nil {
		return nil, fmt.Errorf("nem: reading IV: %w", err)
	}
	sealed := s.secret().gcm.Seal(out[GCMTagSize+GCMIVSize:GCMTagSize+GCMIVSize], iv, plaintext, nil)
	// Seal wrote ciphertext|tag; NEM puts the tag first.
	copy(out[:GCMTagSize], sealed[len(plaintext):])
	return out[:GCMTagSize+GCMIVSize+len(plaintext)], nil
}

// DecryptGCM decrypts and authenticates a GCM payload. Any failure is
// [ErrDecrypt].
func (s *SharedKey) DecryptGCM(payload []byte) ([]byte, error) {
	if len(payload) < GCMTagSize+GCMIVSize {
		return nil, ErrDecrypt
	}
	ct := payload[GCMTagSize+GCMIVSize:]
	buf := make([]byte, len(ct)+GCMTagSize)
	copy(buf, ct)
	copy(buf[len(ct):], payload[:GCMTagSize])
	out, err := s.secret().gcm.Open(buf[:0], payload[GCMTagSize:GCMTagSize+GCMIVSize], buf, nil)
	if err != nil {
		clear(buf)
		return nil, ErrDecrypt
	}
	return out, nil
}

// EncryptCBC encrypts plaintext from sender to recipient in the legacy CBC
// format; see [SharedKey.EncryptCBC].
func EncryptCBC(rand io.Reader, sender *PrivateKey, recipient PublicKey, plaintext []byte) ([]byte, error) {
	s, err := sender.SharedKey(recipient)
	if err != nil {
		return nil, err
	}
	return s.EncryptCBC(rand, plaintext)
}

// DecryptCBC decrypts a legacy CBC payload that sender encrypted to
// recipient (or, symmetrically, that recipient's key holder sent to sender).
// Any failure is [ErrDecrypt].
func DecryptCBC(recipient *PrivateKey, sender PublicKey, payload []byte) ([]byte, error) {
	s, err := recipient.SharedKey(sender)
	if err != nil {
		return nil, ErrDecrypt
	}
	return s.DecryptCBC(payload)
}

// EncryptGCM encrypts plaintext from sender to recipient in the GCM format;
// see [SharedKey.EncryptGCM].
func EncryptGCM(rand io.Reader, sender *PrivateKey, recipient PublicKey, plaintext []byte) ([]byte, error) {
	s, err := sender.SharedKey(recipient)
	if err != nil {
		return nil, err
	}
	return s.EncryptGCM(rand, plaintext)
}

// DecryptGCM decrypts a GCM payload that sender encrypted to recipient. Any
// failure is [ErrDecrypt].
func DecryptGCM(recipient *PrivateKey, sender PublicKey, payload []byte) ([]byte, error) {
	s, err := recipient.SharedKey(sender)
	if err != nil {
		return nil, ErrDecrypt
	}
	return s.DecryptGCM(payload)
}
