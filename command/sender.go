package command

import (
	"fmt"
	"io"
	"time"

	"github.com/nemiot/nemiot/nem"
)

// Sender is an app's side of one device: [Seal], [SealCBC] and [OpenReply]
// for one app key and one device, with the key agreement (the ECDH point
// for CBC, the HKDF key and AES-GCM for GCM) and the device's decoded
// public key made once, in [NewSender], instead of at every call. Its
// envelopes are byte for byte those of the functions given the same
// randomness, and its errors theirs.
//
// Keep one Sender per device the app talks to. A Sender is safe for
// concurrent use; it never prints the app's key.
type Sender struct {
	k sendKeys
}

// NewSender returns the Sender from app to device. It fails with
// [ErrInvalidCommand] if app is nil, with an error wrapping
// [nem.ErrInvalidKey] if device is not a curve point, and with one wrapping
// [nem.ErrWeakKey] if device is a point of small order, the all-zero key
// among them (anyone could read the commands and forge the replies).
func NewSender(app *nem.PrivateKey, device nem.PublicKey) (*Sender, error) {
	if app == nil {
		return nil, fmt.Errorf("%w: no sender key", ErrInvalidCommand)
	}
	if err := device.Validate(); err != nil {
		return nil, fmt.Errorf("command: device key: %w", err)
	}
	v, err := nem.NewVerifier(device)
	if err != nil {
		return nil, fmt.Errorf("command: device key: %w", err)
	}
	sk, err := app.SharedKey(device)
	if err != nil {
		return nil, fmt.Errorf("command: device key: %w", err)
	}
	return &Sender{k: sendKeys{app: app, device: device, v: v, sk: sk}}, nil
}

// Device returns the device's public key (zero for a Sender not made by
// NewSender).
func (s *Sender) Device() nem.PublicKey {
	if s == nil {
		return nem.PublicKey{}
	}
	return s.k.device
}

// Seal is [Seal] from the Sender's app key to its device: a command
// envelope dated now, in the GCM suite, reading from rand (nil means
// crypto/rand) exactly as Seal does.
func (s *Sender) Seal(rand io.Reader, cmd Command, now time.Time) ([]byte, error) {
	return s.seal(rand, cmd, now, SuiteGCM)
}

// SealCBC is [SealCBC] from the Sender's app key to its device.
func (s *Sender) SealCBC(rand io.Reader, cmd Command, now time.Time) ([]byte, error) {
	return s.seal(rand, cmd, now, SuiteCBC)
}

func (s *Sender) seal(rand io.Reader, cmd Command, now time.Time, suite byte) ([]byte, error) {
	if s == nil || s.k.app == nil {
		return nil, fmt.Errorf("%w: Sender not made by NewSender", ErrInvalidCommand)
	}
	env, _, err := s.k.seal(rand, cmd, now, suite, KindCommand)
	return env, err
}

// OpenReply is [OpenReply] for the Sender's app key and device: it checks
// reply against sent, the envelope the app sent, and the window around now.
// Every error is a [*RefusedError].
func (s *Sender) OpenReply(sent, reply []byte, now time.Time) (*Reply, error) {
	if s == nil || s.k.app == nil {
		return nil, refuse(ErrConfig, "Sender not made by NewSender")
	}
	return s.k.openReply(sent, reply, now)
}

// String describes s by its public keys.
func (s *Sender) String() string {
	if s == nil || s.k.app == nil {
		return "command.Sender(none)"
	}
	return fmt.Sprintf("command.Sender(%s to %s)", s.k.app.PublicKey(), s.k.device)
}

// Format prints s as String does under every verb, so that no verb can
// reach the keys it holds.
func (s *Sender) Format(f fmt.State, _ rune) { io.WriteString(f, s.String()) }
