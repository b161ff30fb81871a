package multisig

import (
	"errors"
	"fmt"
	"strings"

	"github.com/nemiot/nemiot/nem"
)

var (
	// ErrNoQuorum reports that not enough nodes agreed on an answer. It comes
	// wrapped in a *QuorumError that says what each node answered.
	ErrNoQuorum = errors.New("multisig: no quorum")
	// ErrNotMultisig reports that a quorum agreed the account is not a
	// multisig account: it has no owners, and a device in that state accepts
	// no commands.
	ErrNotMultisig = errors.New("multisig: account is not multisig")
	// ErrConfig reports a Resolver or OwnerCache whose settings cannot work,
	// for example a Quorum not above half the Sample.
	ErrConfig = errors.New("multisig: invalid configuration")
	// ErrBadAnswer reports a node answer that failed validation: it is not
	// counted, and shows up in a QuorumError's Answers.
	ErrBadAnswer = errors.New("multisig: invalid node answer")
	// ErrLagging reports a node answer dated too far from the median chain
	// height of the other answers: it is not counted.
	ErrLagging = errors.New("multisig: node out of sync with the others")
	// ErrStale reports that the owner cache's last quorum answer is older
	// than its MaxStale limit and refreshing it failed.
	ErrStale = errors.New("multisig: owner list too old and refresh failed")
	// ErrClosed reports a call to an [OwnerCache] after [OwnerCache.Close].
	ErrClosed = errors.New("multisig: owner cache closed")
	// ErrSuperseded reports agreeing answers that did not count because an
	// in-sync answer that disagrees with them reports a higher chain height:
	// they may be an old state (a removed owner) that liars repeat at a
	// current height. It marks those answers in a [QuorumError], which then
	// wraps it too.
	ErrSuperseded = errors.New("multisig: agreeing answers older than one that disagrees")
	// ErrBusy reports a call to an [OwnerCache] that would have had to
	// wait for a refresh while MaxWaiting callers already wait for it.
	ErrBusy = errors.New("multisig: too many callers waiting for the owner list")
	// ErrDuplicate marks, in a [QuorumError]'s answers, an answer that did
	// not count because another one already speaks for the same node or
	// operator: the same address, the same /node/info identity key, or the
	// same operator group (see "Node lists" in the package doc).
	ErrDuplicate = errors.New("multisig: node or operator already counted")
)

// NodeAnswer is what one node said, as reported in a [QuorumError]. Nothing
// in it is trusted.
type NodeAnswer struct {
	Node   string // the node's base URL
	Height uint64 // the chain height it reported, if any
	Answer string // a summary of its answer ("2-of-3 [ab12…, …]", "not multisig"), if it answered
	Err    error  // why it did not count, if it did not
}

// String describes the answer in one line, for logs and error messages.
func (a NodeAnswer) String() string {
	if a.Err != nil {
		return fmt.Sprintf("%s: %v", a.Node, a.Err)
	}
	return fmt.Sprintf("%s: %s at height %d", a.Node, a.Answer, a.Height)
}

// QuorumError reports a failed quorum: how many nodes were asked and what each
// said or why it failed. It wraps [ErrNoQuorum] and, when the context ended
// the search, the context's error.
type QuorumError struct {
	What    string // "owners of TXXX…" or "network time"
	Asked   int
	Needed  int
	Answers []NodeAnswer
	Cause   error // the context's error, if that ended the search
	// Superseded is set when enough answers agreed but an in-sync answer
	// that disagrees reports a higher chain height, so they could not win
	// (their NodeAnswer.Err wraps [ErrSuperseded]).
	Superseded bool
}

// Error says what was asked, how many nodes, and what each one said.
func (e *QuorumError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "multisig: no quorum for %s: %d nodes asked, %d identical answers needed", e.What, e.Asked, e.Needed)
	if e.Cause != nil {
		fmt.Fprintf(&b, " (%v)", e.Cause)
	}
	if e.Superseded {
		b.WriteString("; agreeing answers held back by a disagreeing answer at a higher height")
	}
	for _, a := range e.Answers {
		b.WriteString("; ")
		b.WriteString(a.String())
	}
	return b.String()
}

// Unwrap returns ErrNoQuorum, ErrSuperseded if Superseded is set, and the
// context's error, if any.
func (e *QuorumError) Unwrap() []error {
	errs := []error{ErrNoQuorum}
	if e.Superseded {
		errs = append(errs, ErrSuperseded)
	}
	if e.Cause != nil {
		errs = append(errs, e.Cause)
	}
	return errs
}

func summarize(keys []nem.PublicKey) string {
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k.String()[:8] + "…"
	}
	return "[" + strings.Join(parts, " ") + "]"
}
