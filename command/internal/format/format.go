// Package format is the envelope wire format of package command, and
// nothing else: the layout of the clear header and of the co-signed
// envelope's tail, the bytes that signers sign, the JSON bodies and their
// pad. It holds no keys and does no cryptography; package command seals,
// signs, encrypts and checks on top of it.
//
// Start with [Parse], which checks an envelope's structure, and
// [AppendHeader], which writes a header. The bodies are in body.go:
// [MarshalCommand], [MarshalReply], [ParseCommand], [ParseReply] and [Pad].
// The format itself is documented in package command ("Envelope format").
package format

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/nemiot/nemiot/nem"
)

// Envelope format constants; package command exports them under the same
// names.
const (
	Version byte = 0x01

	KindCommand  byte = 0x01
	KindReply    byte = 0x02
	KindCosigned byte = 0x03

	SuiteCBC byte = 0x01
	SuiteGCM byte = 0x02

	HeaderSize      = 95
	NonceSize       = 16
	DigestSize      = sha256.Size
	CosignatureSize = nem.PublicKeySize + nem.SignatureSize
	MaxCosigners    = 32
)

// Domain separation strings, signed or hashed before the envelope bytes.
const (
	SignDomain   = "nemiot/envelope/v1"
	DigestDomain = "nemiot/body/v1"
)

// Header field offsets.
const (
	OffVersion   = 0
	OffKind      = 1
	OffSuite     = 2
	OffSender    = 3
	OffRecipient = 35
	OffTime      = 67
	OffNonce     = 75
	OffLength    = 91
)

// Smallest ciphertexts per suite: an empty plaintext.
const (
	MinGCM = nem.GCMTagSize + nem.GCMIVSize
	MinCBC = nem.SaltSize + nem.CBCIVSize + 16
)

// The reasons an envelope or body is not read; every error of [Parse],
// [ParseCommand] and [ParseReply] is an [*Error] with one of them.
var (
	ErrUnsupported = errors.New("unsupported envelope version, kind or suite")
	ErrMalformed   = errors.New("malformed envelope")
)

// Error is an envelope or body that is not read: Reason is ErrUnsupported
// or ErrMalformed, Detail says what was wrong (public facts only, never
// plaintext), and Err is the cause when there is one (a body's
// [*strictjson.Error]), else nil.
type Error struct {
	Reason error
	Detail string
	Err    error
}

// Error returns Reason and Detail.
func (e *Error) Error() string { return e.Reason.Error() + ": " + e.Detail }

// Unwrap returns Reason and Err.
func (e *Error) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Reason}
	}
	return []error{e.Reason, e.Err}
}

func fail(reason error, format string, args ...any) *Error {
	return &Error{Reason: reason, Detail: fmt.Sprintf(format, args...)}
}

// Cosignature is one cosigner's key and signature.
type Cosignature struct {
	Key nem.PublicKey
	Sig nem.Signature
}

// Envelope is a parsed envelope. Its slices alias the input bytes.
type Envelope struct {
	Kind, Suite byte
	Sender      nem.PublicKey
	Recipient   nem.PublicKey
	Time        uint64 // Unix milliseconds
	Nonce       [NonceSize]byte
	Ciphertext  []byte
	Digest      []byte // KindCosigned only
	SignedEnd   int    // the signed bytes are SignDomain | Raw[:SignedEnd]
	Sig         nem.Signature
	Cosigs      []Cosignature
	Raw         []byte
}

// Parse checks the structure of b: known version, kind and suite, lengths
// that add up exactly, a ciphertext long enough for its suite, and for
// co-signed envelopes a cosigner list of 1..MaxCosigners distinct keys
// that does not repeat the sender; pending also allows a co-signed
// envelope with no cosignature yet (a fresh proposal). It checks no
// signature. Every error is an [*Error].
func Parse(b []byte, pending bool) (*Envelope, error) {
	// Judge each of the first three bytes that is there, so that even a
	// truncated envelope of an unknown version says so.
	if len(b) > OffVersion && b[OffVersion] != Version {
		return nil, fail(ErrUnsupported, "version 0x%02x", b[OffVersion])
	}
	if len(b) > OffKind && !KnownKind(b[OffKind]) {
		return nil, fail(ErrUnsupported, "kind 0x%02x", b[OffKind])
	}
	if len(b) > OffSuite && b[OffSuite] != SuiteCBC && b[OffSuite] != SuiteGCM {
		return nil, fail(ErrUnsupported, "suite 0x%02x", b[OffSuite])
	}
	if len(b) < HeaderSize+nem.SignatureSize {
		return nil, fail(ErrMalformed, "envelope is %d bytes, shorter than header and signature", len(b))
	}
	kind, suite := b[OffKind], b[OffSuite]
	e := &Envelope{Kind: kind, Suite: suite, Raw: b}
	copy(e.Sender[:], b[OffSender:])
	copy(e.Recipient[:], b[OffRecipient:])
	e.Time = binary.BigEndian.Uint64(b[OffTime:])
	copy(e.Nonce[:], b[OffNonce:])
	ctLen := uint64(binary.BigEndian.Uint32(b[OffLength:]))
	rest := uint64(len(b) - HeaderSize)
	if ctLen > rest {
		return nil, fail(ErrMalformed, "ciphertext length %d exceeds the envelope", ctLen)
	}
	switch suite {
	case SuiteGCM:
		if ctLen < MinGCM {
			return nil, fail(ErrMalformed, "GCM ciphertext of %d bytes", ctLen)
		}
	case SuiteCBC:
		if ctLen < MinCBC || (ctLen-nem.SaltSize-nem.CBCIVSize)%16 != 0 {
			return nil, fail(ErrMalformed, "CBC ciphertext of %d bytes", ctLen)
		}
	}
	n := HeaderSize + int(ctLen)
	e.Ciphertext = b[HeaderSize:n]
	if kind == KindCosigned {
		if len(b)-n < DigestSize+nem.SignatureSize+1 {
			return nil, fail(ErrMalformed, "co-signed envelope too short")
		}
		e.Digest = b[n : n+DigestSize]
		n += DigestSize
	}
	e.SignedEnd = n
	if len(b)-n < nem.SignatureSize {
		return nil, fail(ErrMalformed, "no room for the signature")
	}
	copy(e.Sig[:], b[n:])
	n += nem.SignatureSize
	if kind != KindCosigned {
		if n != len(b) {
			return nil, fail(ErrMalformed, "%d bytes after the signature", len(b)-n)
		}
		return e, nil
	}
	count := int(b[n])
	n++
	if (count < 1 && !pending) || count > MaxCosigners {
		return nil, fail(ErrMalformed, "%d cosignatures, want 1..%d", count, MaxCosigners)
	}
	if len(b)-n != count*CosignatureSize {
		return nil, fail(ErrMalformed, "cosignature list is %d bytes, want %d", len(b)-n, count*CosignatureSize)
	}
	e.Cosigs = make([]Cosignature, count)
	for i := range e.Cosigs {
		c := &e.Cosigs[i]
		copy(c.Key[:], b[n:])
		copy(c.Sig[:], b[n+nem.PublicKeySize:])
		n += CosignatureSize
		if c.Key == e.Sender {
			return nil, fail(ErrMalformed, "cosigner %d is the sender", i)
		}
		for j := range i {
			if e.Cosigs[j].Key == c.Key {
				return nil, fail(ErrMalformed, "cosigner %d repeats cosigner %d", i, j)
			}
		}
	}
	return e, nil
}

// KnownKind reports whether k is one of the three kinds.
func KnownKind(k byte) bool { return k == KindCommand || k == KindReply || k == KindCosigned }

// SignedMessage returns the bytes every signer of e signs.
func (e *Envelope) SignedMessage() []byte {
	return SignedBytes(e.Raw[:e.SignedEnd])
}

// SignedBytes returns SignDomain | region: what is signed of an envelope
// whose header, ciphertext (and digest) are region.
func SignedBytes(region []byte) []byte {
	m := make([]byte, 0, len(SignDomain)+len(region))
	m = append(m, SignDomain...)
	return append(m, region...)
}

// TimeOf converts an envelope time to a time.Time; ok is false if it does
// not fit an int64 of milliseconds.
func TimeOf(ms uint64) (time.Time, bool) {
	if ms > math.MaxInt64 {
		return time.Time{}, false
	}
	return time.UnixMilli(int64(ms)), true
}

// AppendHeader appends a header for a ciphertext of ctLen bytes to dst.
func AppendHeader(dst []byte, kind, suite byte, sender, recipient nem.PublicKey, timeMs uint64, nonce *[NonceSize]byte, ctLen int) []byte {
	dst = append(dst, Version, kind, suite)
	dst = append(dst, sender[:]...)
	dst = append(dst, recipient[:]...)
	dst = binary.BigEndian.AppendUint64(dst, timeMs)
	dst = append(dst, nonce[:]...)
	return binary.BigEndian.AppendUint32(dst, uint32(ctLen))
}

// BodyDigest is the digest a co-signed envelope carries and its signers
// sign: SHA-256(DigestDomain | body).
func BodyDigest(body []byte) [DigestSize]byte {
	h := sha256.New()
	io.WriteString(h, DigestDomain)
	h.Write(body)
	var d [DigestSize]byte
	h.Sum(d[:0])
	return d
}
