package talk

import (
	"errors"
	"fmt"

	"github.com/nemiot/nemiot/nem/tx"
)

// Errors returned by this package. Test for them with errors.Is; returned
// errors wrap them with detail.
var (
	// ErrTooLarge reports a message whose encrypted payload would exceed
	// NIS's limit ([MaxPayload]); the error is a [*SizeError].
	ErrTooLarge = errors.New("talk: message too large")

	// ErrBadBody reports message JSON that is malformed, lacks a type or a
	// well-formed "re", or has a type the reader does not know.
	ErrBadBody = errors.New("talk: invalid message body")

	// ErrRefused reports a transaction the inbox or a watcher did not
	// accept; the error is a [*RefusedError] with the reason.
	ErrRefused = errors.New("talk: refused")

	// ErrNoNodes reports a call made without any node, or a quorum larger
	// than the nodes given.
	ErrNoNodes = errors.New("talk: no nodes or quorum out of range")

	// ErrNotAnnounced reports a transaction that no node accepted; it wraps
	// the nodes' errors (an *nis.AnnounceError carries NIS's validation code).
	ErrNotAnnounced = errors.New("talk: no node accepted the transaction")

	// ErrExpired reports a proposal whose deadline passed without the
	// payment being confirmed.
	ErrExpired = errors.New("talk: proposal expired")

	// ErrRejected reports a proposal that an owner rejected.
	ErrRejected = errors.New("talk: proposal rejected")

	// ErrOverBudget reports a payment that the budget does not allow
	// without the owners' approval.
	ErrOverBudget = errors.New("talk: over budget")

	// ErrBadProposal reports a proposal that does not check out: its
	// transaction does not rebuild to the ID it names, or the device's
	// signature does not verify.
	ErrBadProposal = errors.New("talk: invalid proposal")
)

// SizeError reports a message too large for NIS: Size bytes of encrypted
// payload (or of plaintext, before encryption) against Max. It matches
// [ErrTooLarge].
type SizeError struct {
	Size, Max int
}

func (e *SizeError) Error() string {
	return fmt.Sprintf("talk: message too large: %d bytes of payload, NIS takes at most %d", e.Size, e.Max)
}

// Is reports whether target is ErrTooLarge.
func (e *SizeError) Is(target error) bool { return target == ErrTooLarge }

// Reason is why a transaction was refused.
type Reason string

// Reasons for refusing a transaction.
const (
	ReasonForged    Reason = "forged"     // hash or signature does not verify
	ReasonDuplicate Reason = "duplicate"  // a hash already delivered
	ReasonStranger  Reason = "stranger"   // a sender the reader does not accept
	ReasonUndecrypt Reason = "undecrypt"  // an encrypted message that does not decrypt
	ReasonBody      Reason = "body"       // plaintext that is not a valid message body
	ReasonNoMessage Reason = "no-message" // a transfer without a message, where one was needed
	ReasonWrongPay  Reason = "wrong-payment"
)

// RefusedError is a transaction refused with a Reason; Node is the index of
// the node that served it (-1 when it does not matter). It matches
// [ErrRefused].
type RefusedError struct {
	Reason Reason
	Node   int     // index of the node that served it; -1: not node-specific
	Hash   tx.Hash // the transaction's hash (as the node reported it)
	Err    error   // the underlying error, if any
}

func (e *RefusedError) Error() string {
	s := "talk: refused (" + string(e.Reason) + ")"
	if !e.Hash.IsZero() {
		s += " " + e.Hash.String()
	}
	if e.Node >= 0 {
		s += fmt.Sprintf(" from node %d", e.Node)
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Is reports whether target is ErrRefused.
func (e *RefusedError) Is(target error) bool { return target == ErrRefused }

// Unwrap returns the underlying error.
func (e *RefusedError) Unwrap() error { return e.Err }

// ErrNoQuorum reports a read that fewer nodes answered than its quorum
// needs; what did answer is not trusted.
var ErrNoQuorum = errors.New("talk: too few nodes answered")
