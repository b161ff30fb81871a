package command

import (
	"errors"
	"fmt"
)

// ErrRefused is the single, opaque refusal to report to anyone outside the
// device (over the network, to the app). [Opaque] turns any error from
// [Opener.Open] into it. Every [*RefusedError] matches it under [errors.Is].
var ErrRefused = errors.New("command: refused")

// Reasons for a refusal, for local code and logs. Each error returned by
// [Opener.Open] and [OpenReply] is a [*RefusedError] whose Reason is one of
// these; test with [errors.Is].
var (
	// ErrUnsupported: the version, kind or suite byte is unknown, or the
	// envelope is of a kind the caller does not take (a reply sent as a
	// command, a command opened as a reply).
	ErrUnsupported = errors.New("command: unsupported envelope version, kind or suite")
	// ErrMalformed: the envelope's lengths do not add up, or the decrypted
	// body is not the JSON the format prescribes.
	ErrMalformed = errors.New("command: malformed envelope")
	// ErrWrongRecipient: the envelope is addressed to another key.
	ErrWrongRecipient = errors.New("command: envelope is for another recipient")
	// ErrWrongSender: a reply that the expected device did not send.
	ErrWrongSender = errors.New("command: envelope is from another sender")
	// ErrNotOwner: the sender, or a cosigner, is not an owner of the device.
	ErrNotOwner = errors.New("command: signer is not an owner")
	// ErrOwnerLookup: the OwnerSource (or its Threshold) failed; the cause
	// is in [RefusedError.Err].
	ErrOwnerLookup = errors.New("command: owner lookup failed")
	// ErrTooFewSignatures: fewer distinct owners signed than the policy
	// requires (see [Opener.MinSignatures]).
	ErrTooFewSignatures = errors.New("command: too few owner signatures")
	// ErrStale: the envelope is dated before the window (or before this
	// process started; see [Opener.NotBefore]).
	ErrStale = errors.New("command: envelope is too old")
	// ErrFuture: the envelope is dated after the window.
	ErrFuture = errors.New("command: envelope is dated in the future")
	// ErrClock: [Opener.ClockReady] says the device's clock is not set
	// yet, so no date can be judged; the cause is in [RefusedError.Err].
	ErrClock = errors.New("command: device clock is not set")
	// ErrBadSignature: a signature does not verify, or a co-signed body does
	// not match the digest its signers signed.
	ErrBadSignature = errors.New("command: bad signature")
	// ErrWeakKey: a signer's key (sender or cosigner), or the device's key
	// a reply is checked against, is a point of small order (the all-zero
	// key is one). Anyone can forge signatures under such a key and read
	// what is encrypted to it, so it is refused even when an OwnerSource
	// lists it; [RefusedError.Err] wraps [nem.ErrWeakKey].
	ErrWeakKey = errors.New("command: weak public key (small order)")
	// ErrReplay: this sender's nonce was already accepted.
	ErrReplay = errors.New("command: envelope already seen")
	// ErrReplayFull: the replay cache holds its capacity of live entries;
	// nothing is evicted before it expires, so new envelopes wait.
	ErrReplayFull = errors.New("command: replay cache is full")
	// ErrReplayStore: the persistent [ReplayStore] failed; the cause is in
	// [RefusedError.Err].
	ErrReplayStore = errors.New("command: replay store failed")
	// ErrDecrypt: the signed ciphertext does not decrypt.
	ErrDecrypt = errors.New("command: decryption failed")
	// ErrWrongCommand: a reply whose "re" is not the nonce of the command
	// it is checked against.
	ErrWrongCommand = errors.New("command: reply is for another command")
	// ErrConfig: the Opener lacks a Device key or an OwnerSource.
	ErrConfig = errors.New("command: opener is not configured")
)

// Errors of the sending side; these are not refusals.
var (
	// ErrInvalidCommand: Seal or Propose was given a command that cannot be
	// sent (empty name, args that are not valid JSON or not UTF-8).
	ErrInvalidCommand = errors.New("command: invalid command")
	// ErrNotOpened: Reply was called on a Request that Open did not return.
	ErrNotOpened = errors.New("command: request was not returned by Open")
)

// RefusedError is the error [Opener.Open], [OpenReply] and the [Proposal]
// checks return. Reason is one of the package's sentinel reasons, Detail
// says what was wrong (public facts only, never key material or plaintext),
// and Err is the underlying cause when there is one (an OwnerSource or
// ReplayStore error), else nil.
//
// errors.Is(err, ErrRefused) is true for every RefusedError, and
// errors.Is(err, r) for its Reason r and anything Err wraps.
type RefusedError struct {
	Reason error
	Detail string
	Err    error
}

// Error describes the failure; it never contains a private key.
func (e *RefusedError) Error() string {
	s := ErrRefused.Error()
	if e.Reason != nil {
		s = e.Reason.Error()
	}
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Is reports whether target is [ErrRefused].
func (e *RefusedError) Is(target error) bool { return target == ErrRefused }

// Unwrap returns the reason and the cause.
func (e *RefusedError) Unwrap() []error {
	var out []error
	if e.Reason != nil {
		out = append(out, e.Reason)
	}
	if e.Err != nil {
		out = append(out, e.Err)
	}
	return out
}

func refuse(reason error, format string, args ...any) *RefusedError {
	return &RefusedError{Reason: reason, Detail: fmt.Sprintf(format, args...)}
}

func refuseCause(reason, cause error, format string, args ...any) *RefusedError {
	return &RefusedError{Reason: reason, Detail: fmt.Sprintf(format, args...), Err: cause}
}

// Opaque returns what a device tells a remote caller about err: nil for nil,
// and [ErrRefused] for everything else, whatever the reason. Log err itself
// locally; send only Opaque(err).
func Opaque(err error) error {
	if err == nil {
		return nil
	}
	return ErrRefused
}
