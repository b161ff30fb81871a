package command

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/nemiot/nemiot/command/internal/format"
	"github.com/nemiot/nemiot/nem"
)

// Envelope format constants (see the package documentation). Package
// internal/format declares the same; TestFormatConstants checks that they
// agree.
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

// parse is [format.Parse] with its errors as refusals; pending also allows
// a co-signed envelope with no cosignature yet (a fresh Proposal).
func parse(b []byte, pending bool) (*format.Envelope, error) {
	e, err := format.Parse(b, pending)
	if err != nil {
		return nil, refuseFormat(err)
	}
	return e, nil
}

// parseEnvelope is parse of a complete envelope.
func parseEnvelope(b []byte) (*format.Envelope, error) { return parse(b, false) }

// refuseFormat turns a [*format.Error] into the refusal with the same
// reason and detail.
func refuseFormat(err error) error {
	var fe *format.Error
	if !errors.As(err, &fe) {
		return err
	}
	reason := ErrMalformed
	if fe.Reason == format.ErrUnsupported {
		reason = ErrUnsupported
	}
	return &RefusedError{Reason: reason, Detail: fe.Detail}
}

// envelopeTime converts now to envelope milliseconds.
func envelopeTime(now time.Time) (uint64, error) {
	ms := now.UnixMilli()
	if ms < 0 {
		return 0, fmt.Errorf("%w: time %v is before 1970", ErrInvalidCommand, now)
	}
	return uint64(ms), nil
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

// invalidBody wraps an error of the body writer in ErrInvalidCommand.
func invalidBody(err error) error {
	return fmt.Errorf("%w: %v", ErrInvalidCommand, err)
}
