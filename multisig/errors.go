package multisig

import (
	"errors"
	"fmt"
	"strings"

	"github.com/nemiot/nemiot/nem"
	"github.com/nemiot/nemiot/nem/nis"
	"github.com/nemiot/nemiot/nem/tx"
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
	// ErrExpired reports an announced transaction whose deadline passed
	// before a block took it (see [Client.Wait]): announce it again, with
	// the cosignatures it lacked or the balance it needed.
	ErrExpired = errors.New("multisig: transaction expired unconfirmed")
	// ErrCustody reports a node answer that the account's multisig history,
	// verified locally, does not lead to: a forged owner, a history that
	// hides what the device has already seen, a signature that does not
	// verify. The answer does not count (see "Custody" in the package doc).
	ErrCustody = errors.New("multisig: owner set not backed by the verified custody chain")
)

// AnnounceError reports a transaction that no node accepted: what each one
// said. Code is the NIS validation code most of the refusing nodes gave
// (0 if none answered with one), e.g. 5 for an insufficient balance, 71 for
// a signer who is not a cosignatory, 3 for a deadline in the past; Reason
// says it in words. It matches nis.ErrRejected with errors.Is when a node
// gave a code.
type AnnounceError struct {
	Hash    tx.Hash
	Code    int
	Reason  string
	Answers []NodeAnswer // every node's refusal or failure
	Cause   error        // the context's error, if it ended the announcement
}

func (e *AnnounceError) Error() string {
	var b strings.Builder
	if e.Code != 0 {
		fmt.Fprintf(&b, "multisig: transaction %s refused: %s (NIS code %d)", e.Hash, e.Reason, e.Code)
	} else {
		fmt.Fprintf(&b, "multisig: transaction %s not announced: no node answered", e.Hash)
	}
	for _, a := range e.Answers {
		b.WriteString("; ")
		b.WriteString(a.String())
	}
	return b.String()
}

// Unwrap returns nis.ErrRejected when a node gave a validation code, and
// the context's error, if any.
func (e *AnnounceError) Unwrap() []error {
	var errs []error
	if e.Code != 0 {
		errs = append(errs, nis.ErrRejected)
	}
	if e.Cause != nil {
		errs = append(errs, e.Cause)
	}
	return errs
}

// codeHashExists is NIS's FAILURE_HASH_EXISTS: the node already has the
// transaction (announced through another node).
const codeHashExists = 7

// reasons says what the NIS validation codes a transaction of this package
// can meet mean (NIS ValidationResult).
var reasons = map[int]string{
	2:  "unknown failure",
	3:  "expired: its deadline has passed",
	4:  "its deadline is too far in the future",
	5:  "insufficient balance: the account cannot pay the amount and fees",
	7:  "already announced",
	8:  "a signature does not verify",
	9:  "dated too far in the past (check the clock)",
	10: "dated in the future (check the clock)",
	17: "fee too low",
	19: "the node's transaction pool is full",
	20: "wrong network",
	71: "the signer is not a cosignatory of the account",
	72: "invalid cosignatories",
	73: "no matching multisig transaction: the account is not multisig, or the transaction to cosign is not pending",
	74: "not allowed for a multisig account: only its owners act for it",
	75: "already a cosignatory",
	76: "a signature does not match the multisig transaction",
	77: "at most one owner can be removed per modification",
	78: "redundant modifications",
	79: "another change of the account is in this block",
	80: "too many cosignatories (at most 32)",
	81: "a multisig account cannot be a cosignatory",
	82: "the minimum of signatures would be out of range",
}

func newAnnounceError(h tx.Hash, answers []NodeAnswer, cause error) *AnnounceError {
	e := &AnnounceError{Hash: h, Answers: answers, Cause: cause}
	counts := map[int]int{}
	names := map[int]string{}
	for _, a := range answers {
		var ae *nis.AnnounceError
		if errors.As(a.Err, &ae) {
			counts[ae.Code]++
			names[ae.Code] = ae.Message
			if counts[ae.Code] > counts[e.Code] || (counts[ae.Code] == counts[e.Code] && ae.Code < e.Code) {
				e.Code = ae.Code
			}
		}
	}
	if e.Code != 0 {
		e.Reason = reasons[e.Code]
		if e.Reason == "" {
			e.Reason = names[e.Code]
		}
	}
	return e
}

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
