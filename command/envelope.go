package command

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"math"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/nemiot/nemiot/nem"
)

// Envelope format constants (see the package documentation).
const (
	// Version is the envelope format version this package reads and writes.
	Version byte = 0x01

	// KindCommand is a command signed by one owner.
	KindCommand byte = 0x01
	// KindReply is a device's reply to a command.
	KindReply byte = 0x02
	// KindCosigned is a command signed by its sender and one or more
	// cosigning owners.
	KindCosigned byte = 0x03

	// SuiteCBC encrypts the body with [nem.EncryptCBC] (what nem-sdk and
	// NanoWallet write).
	SuiteCBC byte = 0x01
	// SuiteGCM encrypts the body with [nem.EncryptGCM] (what symbol-sdk 3's
	// nem facade writes). [Seal] uses it.
	SuiteGCM byte = 0x02

	// HeaderSize is the size of the clear header.
	HeaderSize = 95
	// NonceSize is the size of an envelope's random nonce.
	NonceSize = 16
	// DigestSize is the size of a co-signed envelope's body digest.
	DigestSize = sha256.Size
	// CosignatureSize is the size of one cosignature: public key and signature.
	CosignatureSize = nem.PublicKeySize + nem.SignatureSize
	// MaxCosigners is the largest number of cosignatures an envelope may
	// carry: the most cosignatories a NEM multisig account can have.
	MaxCosigners = 32

	// DefaultWindow is the clock window used when none is set: an envelope
	// must be dated within ±DefaultWindow of the checker's clock.
	DefaultWindow = 30 * time.Second
)

// Domain separation strings, signed or hashed before the envelope bytes.
const (
	signDomain   = "nemiot/envelope/v1"
	digestDomain = "nemiot/body/v1"
)

// Header field offsets.
const (
	offVersion   = 0
	offKind      = 1
	offSuite     = 2
	offSender    = 3
	offRecipient = 35
	offTime      = 67
	offNonce     = 75
	offLength    = 91
)

// Smallest ciphertexts per suite: an empty plaintext.
const (
	minGCM = nem.GCMTagSize + nem.GCMIVSize
	minCBC = nem.SaltSize + nem.CBCIVSize + 16
)

// The pad: a body's length with its pad is drawn uniformly from padSpread
// lengths that start at the first multiple of padBucket that leaves room
// for minPad pad characters. Every body whose unpadded length rounds to the
// same bucket has the same distribution of padded lengths, odd and even
// alike; padSpread being a power of two not above 256 makes one random
// byte draw it exactly.
const (
	minPad    = 32  // characters, 128 random bits: a co-signed body's digest reveals no guessable command
	padBucket = 64  // characters
	padSpread = 128 // characters
	maxPad    = minPad + padBucket - 1 + padSpread - 1
)

type cosignature struct {
	key nem.PublicKey
	sig nem.Signature
}

// envelope is a parsed envelope. Its slices alias the input bytes.
type envelope struct {
	kind, suite byte
	sender      nem.PublicKey
	recipient   nem.PublicKey
	timeMs      uint64
	nonce       [NonceSize]byte
	ct          []byte
	digest      []byte // KindCosigned only
	signedEnd   int    // the signed bytes are signDomain | raw[:signedEnd]
	sig         nem.Signature
	cosigs      []cosignature
	raw         []byte
}

// parseEnvelope checks the structure of b: known version, kind and suite,
// lengths that add up exactly, a ciphertext long enough for its suite, and
// for co-signed envelopes a cosigner list of 1..MaxCosigners distinct keys
// that does not repeat the sender. It checks no signature.
func parseEnvelope(b []byte) (*envelope, error) { return parse(b, false) }

// parse is parseEnvelope; pending also allows a co-signed envelope with no
// cosignature yet (a fresh Proposal).
func parse(b []byte, pending bool) (*envelope, error) {
	// Judge each of the first three bytes that is there, so that even a
	// truncated envelope of an unknown version says so.
	if len(b) > offVersion && b[offVersion] != Version {
		return nil, refuse(ErrUnsupported, "version 0x%02x", b[offVersion])
	}
	if len(b) > offKind && !knownKind(b[offKind]) {
		return nil, refuse(ErrUnsupported, "kind 0x%02x", b[offKind])
	}
	if len(b) > offSuite && b[offSuite] != SuiteCBC && b[offSuite] != SuiteGCM {
		return nil, refuse(ErrUnsupported, "suite 0x%02x", b[offSuite])
	}
	if len(b) < HeaderSize+nem.SignatureSize {
		return nil, refuse(ErrMalformed, "envelope is %d bytes, shorter than header and signature", len(b))
	}
	kind, suite := b[offKind], b[offSuite]
	e := &envelope{kind: kind, suite: suite, raw: b}
	copy(e.sender[:], b[offSender:])
	copy(e.recipient[:], b[offRecipient:])
	e.timeMs = binary.BigEndian.Uint64(b[offTime:])
	copy(e.nonce[:], b[offNonce:])
	ctLen := uint64(binary.BigEndian.Uint32(b[offLength:]))
	rest := uint64(len(b) - HeaderSize)
	if ctLen > rest {
		return nil, refuse(ErrMalformed, "ciphertext length %d exceeds the envelope", ctLen)
	}
	switch suite {
	case SuiteGCM:
		if ctLen < minGCM {
			return nil, refuse(ErrMalformed, "GCM ciphertext of %d bytes", ctLen)
		}
	case SuiteCBC:
		if ctLen < minCBC || (ctLen-nem.SaltSize-nem.CBCIVSize)%16 != 0 {
			return nil, refuse(ErrMalformed, "CBC ciphertext of %d bytes", ctLen)
		}
	}
	n := HeaderSize + int(ctLen)
	e.ct = b[HeaderSize:n]
	if kind == KindCosigned {
		if len(b)-n < DigestSize+nem.SignatureSize+1 {
			return nil, refuse(ErrMalformed, "co-signed envelope too short")
		}
		e.digest = b[n : n+DigestSize]
		n += DigestSize
	}
	e.signedEnd = n
	if len(b)-n < nem.SignatureSize {
		return nil, refuse(ErrMalformed, "no room for the signature")
	}
	copy(e.sig[:], b[n:])
	n += nem.SignatureSize
	if kind != KindCosigned {
		if n != len(b) {
			return nil, refuse(ErrMalformed, "%d bytes after the signature", len(b)-n)
		}
		return e, nil
	}
	count := int(b[n])
	n++
	if (count < 1 && !pending) || count > MaxCosigners {
		return nil, refuse(ErrMalformed, "%d cosignatures, want 1..%d", count, MaxCosigners)
	}
	if len(b)-n != count*CosignatureSize {
		return nil, refuse(ErrMalformed, "cosignature list is %d bytes, want %d", len(b)-n, count*CosignatureSize)
	}
	e.cosigs = make([]cosignature, count)
	for i := range e.cosigs {
		c := &e.cosigs[i]
		copy(c.key[:], b[n:])
		copy(c.sig[:], b[n+nem.PublicKeySize:])
		n += CosignatureSize
		if c.key == e.sender {
			return nil, refuse(ErrMalformed, "cosigner %d is the sender", i)
		}
		for j := range i {
			if e.cosigs[j].key == c.key {
				return nil, refuse(ErrMalformed, "cosigner %d repeats cosigner %d", i, j)
			}
		}
	}
	return e, nil
}

func knownKind(k byte) bool { return k == KindCommand || k == KindReply || k == KindCosigned }

// signedMessage returns the bytes every signer of e signs.
func (e *envelope) signedMessage() []byte {
	return signedBytes(e.raw[:e.signedEnd])
}

func signedBytes(region []byte) []byte {
	m := make([]byte, 0, len(signDomain)+len(region))
	m = append(m, signDomain...)
	return append(m, region...)
}

// timeOf converts an envelope time to a time.Time; ok is false if it does
// not fit an int64 of milliseconds.
func timeOf(ms uint64) (time.Time, bool) {
	if ms > math.MaxInt64 {
		return time.Time{}, false
	}
	return time.UnixMilli(int64(ms)), true
}

// header writes a header for a ciphertext of ctLen bytes.
func header(dst []byte, kind, suite byte, sender, recipient nem.PublicKey, timeMs uint64, nonce *[NonceSize]byte, ctLen int) []byte {
	dst = append(dst, Version, kind, suite)
	dst = append(dst, sender[:]...)
	dst = append(dst, recipient[:]...)
	dst = binary.BigEndian.AppendUint64(dst, timeMs)
	dst = append(dst, nonce[:]...)
	return binary.BigEndian.AppendUint32(dst, uint32(ctLen))
}

// envelopeTime converts now to envelope milliseconds.
func envelopeTime(now time.Time) (uint64, error) {
	ms := now.UnixMilli()
	if ms < 0 {
		return 0, fmt.Errorf("%w: time %v is before 1970", ErrInvalidCommand, now)
	}
	return uint64(ms), nil
}

// bodyDigest is the digest a co-signed envelope carries and its signers sign.
func bodyDigest(body []byte) [DigestSize]byte {
	h := sha256.New()
	io.WriteString(h, digestDomain)
	h.Write(body)
	var d [DigestSize]byte
	h.Sum(d[:0])
	return d
}

// encrypt encrypts body under sk in the given suite.
func encrypt(rand io.Reader, sk *nem.SharedKey, suite byte, body []byte) ([]byte, error) {
	if suite == SuiteCBC {
		return sk.EncryptCBC(rand, body)
	}
	return sk.EncryptGCM(rand, body)
}

func decrypt(sk *nem.SharedKey, suite byte, ct []byte) ([]byte, error) {
	if suite == SuiteCBC {
		return sk.DecryptCBC(ct)
	}
	return sk.DecryptGCM(ct)
}

// readNonce reads a nonce from rand.
func readNonce(rand io.Reader) (nonce [NonceSize]byte, err error) {
	if _, err = io.ReadFull(rand, nonce[:]); err != nil {
		return nonce, fmt.Errorf("command: reading nonce: %w", err)
	}
	return nonce, nil
}

// paddedLength returns the length of a padded body whose length with an
// empty pad is n, for the random byte r.
func paddedLength(n int, r byte) int {
	return (n+minPad+padBucket-1)/padBucket*padBucket + int(r)%padSpread
}

// padBody fills the pad of body, a JSON object whose last member is "pad":"",
// with random lowercase hex characters, as many as make the body
// paddedLength long: it reads one byte for the length, then the pad, from
// rand. It appends in place when body has the capacity (maxPad more).
func padBody(rand io.Reader, body []byte) ([]byte, error) {
	if !bytes.HasSuffix(body, []byte(`"pad":""}`)) {
		panic("command: padBody: the body does not end with an empty pad")
	}
	var r [1]byte
	if _, err := io.ReadFull(rand, r[:]); err != nil {
		return nil, fmt.Errorf("command: reading pad length: %w", err)
	}
	n := len(body)
	p := paddedLength(n, r[0]) - n
	var raw [(maxPad + 1) / 2]byte
	if _, err := io.ReadFull(rand, raw[:(p+1)/2]); err != nil {
		return nil, fmt.Errorf("command: reading pad: %w", err)
	}
	tail := n - len(`"}`)
	body = slices.Grow(body[:tail], p+1+len(`"}`))
	body = hex.AppendEncode(body, raw[:(p+1)/2])[:tail+p]
	return append(body, `"}`...), nil
}

// asciiJSON rewrites every non-ASCII character of a valid JSON text as a
// \uXXXX escape (a surrogate pair outside the BMP), so that the body reads
// the same after nem-sdk's text conversion. Outside strings valid JSON has
// no non-ASCII bytes, so this touches only string contents. It fails on
// invalid UTF-8.
func asciiJSON(b []byte) ([]byte, error) {
	i := 0
	for i < len(b) && b[i] < utf8.RuneSelf {
		i++
	}
	if i == len(b) {
		return b, nil
	}
	out := make([]byte, 0, len(b)+len(b)/2)
	out = append(out, b[:i]...)
	const hexdigits = "0123456789abcdef"
	esc := func(r rune) {
		out = append(out, '\\', 'u', hexdigits[r>>12&0xf], hexdigits[r>>8&0xf], hexdigits[r>>4&0xf], hexdigits[r&0xf])
	}
	for i < len(b) {
		c := b[i]
		if c < utf8.RuneSelf {
			out = append(out, c)
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			return nil, fmt.Errorf("%w: text is not valid UTF-8", ErrInvalidCommand)
		}
		i += size
		if r > 0xffff {
			r -= 0x10000
			esc(0xd800 + r>>10)
			esc(0xdc00 + r&0x3ff)
		} else {
			esc(r)
		}
	}
	return out, nil
}
