package command

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/nemiot/nemiot/command/internal/format"
	"github.com/nemiot/nemiot/nem"
)

// Command is what an owner asks a device to do: a name the device routes on
// and optional JSON arguments.
type Command struct {
	Name string          `json:"cmd"`
	Args json.RawMessage `json:"args,omitempty"`
}

// Seal makes a command envelope from sender to device, dated now, with the
// body encrypted in the GCM suite. It reads from rand (nil means
// crypto/rand): the 16-byte nonce, the pad length and pad, then the
// cipher's 12-byte IV. Non-ASCII text in cmd is sent as \u escapes. It
// fails with an error wrapping [nem.ErrWeakKey] if device is a point of
// small order (the all-zero key among them): anyone could read what is
// encrypted to it.
func Seal(rand io.Reader, sender *nem.PrivateKey, device nem.PublicKey, cmd Command, now time.Time) ([]byte, error) {
	return seal(rand, sender, device, cmd, now, SuiteGCM)
}

// SealCBC is [Seal] with the body encrypted in the legacy CBC suite, the
// only NEM message encryption nem-sdk can read and write. Seal (GCM) is the
// better choice unless the device's replies must be read by nem-sdk code.
func SealCBC(rand io.Reader, sender *nem.PrivateKey, device nem.PublicKey, cmd Command, now time.Time) ([]byte, error) {
	return seal(rand, sender, device, cmd, now, SuiteCBC)
}

func seal(rand io.Reader, sender *nem.PrivateKey, device nem.PublicKey, cmd Command, now time.Time, suite byte) ([]byte, error) {
	env, _, err := sealKind(rand, sender, device, cmd, now, suite, KindCommand)
	return env, err
}

// sealKind builds a command (KindCommand) or the unsigned-by-cosigners start
// of a co-signed command (KindCosigned), returning the envelope and body.
func sealKind(rand io.Reader, sender *nem.PrivateKey, device nem.PublicKey, cmd Command, now time.Time, suite, kind byte) (env, body []byte, err error) {
	if sender == nil {
		return nil, nil, fmt.Errorf("%w: no sender key", ErrInvalidCommand)
	}
	k := sendKeys{app: sender, device: device}
	return k.seal(rand, cmd, now, suite, kind)
}

// sendKeys is what sealing a command and opening its reply need: the app's
// key and the device's, and, when a Sender made them once, the device's
// decoded key and the key agreement. With v or sk nil, each call makes its
// own.
type sendKeys struct {
	app    *nem.PrivateKey // not nil
	device nem.PublicKey
	v      *nem.Verifier
	sk     *nem.SharedKey
}

// seal is sealKind with the keys at hand.
func (k *sendKeys) seal(rand io.Reader, cmd Command, now time.Time, suite, kind byte) (env, body []byte, err error) {
	if cmd.Name == "" {
		return nil, nil, fmt.Errorf("%w: empty name", ErrInvalidCommand)
	}
	ms, err := envelopeTime(now)
	if err != nil {
		return nil, nil, err
	}
	if rand == nil {
		rand = cryptoRand
	}
	nonce, err := readNonce(rand)
	if err != nil {
		return nil, nil, err
	}
	body, err = format.MarshalCommand(cmd.Name, cmd.Args)
	if err != nil {
		return nil, nil, invalidBody(err)
	}
	if body, err = format.Pad(rand, body); err != nil {
		return nil, nil, err
	}
	sk := k.sk
	if sk == nil {
		if sk, err = k.app.SharedKey(k.device); err != nil {
			return nil, nil, fmt.Errorf("command: device key: %w", err)
		}
	}
	env, err = build(rand, k.app, sk, k.device, kind, suite, ms, &nonce, body)
	if err != nil {
		return nil, nil, err
	}
	return env, body, nil
}

// build encrypts body and writes a signed envelope of the given kind. For
// KindCosigned it writes the digest and an empty cosigner count, which
// Cosign raises.
func build(rand io.Reader, sender *nem.PrivateKey, sk *nem.SharedKey, recipient nem.PublicKey, kind, suite byte, ms uint64, nonce *[NonceSize]byte, body []byte) ([]byte, error) {
	ct, err := encrypt(rand, sk, suite, body)
	if err != nil {
		return nil, fmt.Errorf("command: encrypting: %w", err)
	}
	if uint64(len(ct)) > 1<<32-1 {
		return nil, fmt.Errorf("%w: body too large", ErrInvalidCommand)
	}
	size := HeaderSize + len(ct) + nem.SignatureSize
	if kind == KindCosigned {
		size += DigestSize + 1
	}
	out := make([]byte, 0, size)
	out = format.AppendHeader(out, kind, suite, sender.PublicKey(), recipient, ms, nonce, len(ct))
	out = append(out, ct...)
	if kind == KindCosigned {
		d := format.BodyDigest(body)
		out = append(out, d[:]...)
	}
	sig := sender.Sign(format.SignedBytes(out))
	out = append(out, sig[:]...)
	if kind == KindCosigned {
		out = append(out, 0)
	}
	return out, nil
}

// parseCommand reads a command body.
func parseCommand(body []byte) (Command, error) {
	name, args, err := format.ParseCommand(body)
	if err != nil {
		return Command{}, refuseFormat(err)
	}
	return Command{Name: name, Args: args}, nil
}

// Proposal is a co-signed command on its way from its sender to the other
// owners who must sign it (see "Co-signed commands" in the package
// documentation). Pass both fields to each cosigner; when enough have
// signed, send Envelope to the device.
type Proposal struct {
	// Envelope is the KindCosigned envelope with the cosignatures so far.
	// Until the first Cosign it ends with a zero count, which the device
	// refuses.
	Envelope []byte
	// Body is the plaintext JSON body the ciphertext holds. Cosigners read
	// the command from it; the envelope commits to it by its digest, so a
	// sender cannot show cosigners one command and send the device another.
	// Keep it as confidential as the command itself.
	Body []byte
}

// Propose starts a co-signed command from sender to device, dated now, in
// the GCM suite. It reads from rand as [Seal] does.
func Propose(rand io.Reader, sender *nem.PrivateKey, device nem.PublicKey, cmd Command, now time.Time) (*Proposal, error) {
	env, body, err := sealKind(rand, sender, device, cmd, now, SuiteGCM, KindCosigned)
	if err != nil {
		return nil, err
	}
	return &Proposal{Envelope: env, Body: body}, nil
}

// ProposalInfo is what a [Proposal] asks for, as [Proposal.Inspect] checked it.
type ProposalInfo struct {
	Command   Command
	Sender    nem.PublicKey
	Cosigners []nem.PublicKey // who has cosigned so far, in order
	Device    nem.PublicKey
	Time      time.Time
	Nonce     [NonceSize]byte
}

// Inspect checks p and returns what it asks: the envelope is a co-signed
// command, Body is what its digest commits to, and the sender's and every
// cosigner's signature verifies under a key that is not of small order
// ([ErrWeakKey]). It does not check that the signers are owners (the
// device does) or the time (compare Time with your clock). Failures are
// [*RefusedError] values.
func (p *Proposal) Inspect() (*ProposalInfo, error) {
	e, err := p.check()
	if err != nil {
		return nil, err
	}
	cmd, err := parseCommand(p.Body)
	if err != nil {
		return nil, err
	}
	t, _ := format.TimeOf(e.Time)
	info := &ProposalInfo{Command: cmd, Sender: e.Sender, Device: e.Recipient, Time: t, Nonce: e.Nonce}
	for _, c := range e.Cosigs {
		info.Cosigners = append(info.Cosigners, c.Key)
	}
	return info, nil
}

// check parses p.Envelope (a zero cosigner count allowed) and verifies the
// digest and the signatures.
func (p *Proposal) check() (*format.Envelope, error) {
	e, err := parse(p.Envelope, true)
	if err != nil {
		return nil, err
	}
	return p.verify(e)
}

func (p *Proposal) verify(e *format.Envelope) (*format.Envelope, error) {
	if e.Kind != KindCosigned {
		return nil, refuse(ErrUnsupported, "kind 0x%02x is not a co-signed command", e.Kind)
	}
	d := format.BodyDigest(p.Body)
	if subtle.ConstantTimeCompare(d[:], e.Digest) != 1 {
		return nil, refuse(ErrBadSignature, "body does not match the signed digest")
	}
	msg := e.SignedMessage()
	if !e.Sender.Verify(msg, e.Sig) {
		return nil, refuse(ErrBadSignature, "sender signature")
	}
	if err := e.Sender.Validate(); err != nil {
		return nil, refuseCause(ErrWeakKey, err, "sender")
	}
	for i, c := range e.Cosigs {
		if !c.Key.Verify(msg, c.Sig) {
			return nil, refuse(ErrBadSignature, "cosignature %d", i)
		}
		if err := c.Key.Validate(); err != nil {
			return nil, refuseCause(ErrWeakKey, err, "cosigner %d", i)
		}
	}
	return e, nil
}

// Cosign checks p as [Proposal.Inspect] does and adds signer's cosignature
// to p.Envelope. Read the command with Inspect before you call it. It fails
// if signer is the sender or has already signed, or if the envelope already
// carries [MaxCosigners] cosignatures.
func (p *Proposal) Cosign(signer *nem.PrivateKey) error {
	if signer == nil {
		return fmt.Errorf("%w: no cosigner key", ErrInvalidCommand)
	}
	e, err := p.check()
	if err != nil {
		return err
	}
	if _, err := parseCommand(p.Body); err != nil {
		return err
	}
	pub := signer.PublicKey()
	if pub == e.Sender {
		return refuse(ErrMalformed, "the sender cannot cosign")
	}
	for _, c := range e.Cosigs {
		if c.Key == pub {
			return refuse(ErrMalformed, "already cosigned by %s", pub)
		}
	}
	if len(e.Cosigs) >= MaxCosigners {
		return refuse(ErrMalformed, "already %d cosignatures", MaxCosigners)
	}
	sig := signer.Sign(e.SignedMessage())
	countAt := e.SignedEnd + nem.SignatureSize
	out := bytes.Clone(p.Envelope)
	out[countAt]++
	out = append(out, pub[:]...)
	out = append(out, sig[:]...)
	p.Envelope = out
	return nil
}
