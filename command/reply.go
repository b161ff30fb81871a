package command

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"time"

	"github.com/nemiot/nemiot/command/internal/format"
	"github.com/nemiot/nemiot/nem"
)

// Reply is a device's answer to a command, as [OpenReply] verified it.
type Reply struct {
	OK     bool
	Result json.RawMessage // nil when the device sent none
	Error  string          // the device's error text when !OK
	Time   time.Time       // when the device sealed the reply
}

// OpenReply checks a reply against the envelope the app sent: signer is the
// device, recipient is the app, "re" is the sent nonce, time within the window around now.
//
// In order: sent is a command envelope from app to device; reply is a known
// version and a reply; it is from device to app; it is dated within
// ±[DefaultWindow] of now; the device's signature verifies; the body
// decrypts; it is a JSON reply whose "re" is sent's nonce. Every error is a
// [*RefusedError]; a device key of small order (anyone could forge its
// replies) is [ErrWeakKey], wrapping [nem.ErrWeakKey].
func OpenReply(app *nem.PrivateKey, device nem.PublicKey, sent, reply []byte, now time.Time) (*Reply, error) {
	if app == nil {
		return nil, refuse(ErrConfig, "no app key")
	}
	k := sendKeys{app: app, device: device}
	return k.openReply(sent, reply, now)
}

// openReply is OpenReply with the keys at hand.
func (k *sendKeys) openReply(sent, reply []byte, now time.Time) (*Reply, error) {
	appPub, device := k.app.PublicKey(), k.device
	s, err := parse(sent, true)
	if err != nil {
		return nil, err
	}
	if s.Kind == KindReply {
		return nil, refuse(ErrUnsupported, "the sent envelope is a reply")
	}
	if s.Sender != appPub {
		return nil, refuse(ErrWrongSender, "the sent envelope is not from this app")
	}
	if s.Recipient != device {
		return nil, refuse(ErrWrongRecipient, "the sent envelope is not for this device")
	}

	r, err := parseEnvelope(reply)
	if err != nil {
		return nil, err
	}
	if r.Kind != KindReply {
		return nil, refuse(ErrUnsupported, "kind 0x%02x is not a reply", r.Kind)
	}
	if r.Sender != device {
		return nil, refuse(ErrWrongSender, "reply is from %s", r.Sender)
	}
	if r.Recipient != appPub {
		return nil, refuse(ErrWrongRecipient, "reply is for %s", r.Recipient)
	}
	t, ok := format.TimeOf(r.Time)
	if !ok || t.After(now.Add(DefaultWindow)) {
		return nil, refuse(ErrFuture, "reply dated after the window")
	}
	if t.Before(now.Add(-DefaultWindow)) {
		return nil, refuse(ErrStale, "reply dated before the window")
	}
	var verified bool
	if k.v != nil { // NewSender validated the key
		verified = k.v.Verify(r.SignedMessage(), r.Sig)
	} else {
		if err := device.Validate(); err != nil {
			if errors.Is(err, nem.ErrWeakKey) {
				return nil, refuseCause(ErrWeakKey, err, "device key")
			}
			return nil, refuse(ErrBadSignature, "device key is not a curve point")
		}
		verified = device.Verify(r.SignedMessage(), r.Sig)
	}
	if !verified {
		return nil, refuse(ErrBadSignature, "device signature")
	}
	sk := k.sk
	if sk == nil {
		if sk, err = k.app.SharedKey(device); err != nil {
			return nil, refuse(ErrDecrypt, "no key agreement with the device")
		}
	}
	body, err := decrypt(sk, r.Suite, r.Ciphertext)
	if err != nil {
		return nil, refuse(ErrDecrypt, "suite 0x%02x", r.Suite)
	}
	rb, err := format.ParseReply(body)
	if err != nil {
		return nil, refuseFormat(err)
	}
	re, err := hex.DecodeString(rb.Re)
	if err != nil || !bytes.Equal(re, s.Nonce[:]) {
		return nil, refuse(ErrWrongCommand, "re does not name the sent nonce")
	}
	return &Reply{OK: rb.OK, Result: rb.Result, Error: rb.Error, Time: t}, nil
}
