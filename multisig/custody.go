package multisig

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/nemiot/nemiot/nem"
	"github.com/nemiot/nemiot/nem/nis"
	"github.com/nemiot/nemiot/nem/tx"
)

// Custody is an account's multisig history, verified locally: the owner
// set that the account's own conversion and every later modification lead
// to. It is the device's own answer to "who owns me?", which no number of
// lying nodes can change: every step carries signatures, and [Custody.Apply]
// takes a step only if
//
//   - its hash and signatures verify (tx.ConfirmedTransaction.Verify);
//   - a conversion (an unwrapped multisig modification) is signed by the
//     account's own key and made while the account is not multisig;
//   - a later modification is a multisig transaction whose initiator and
//     cosignatories are distinct owners of that moment, enough of them for
//     the minimum of that moment (the owner being removed may sign but
//     does not count; minimum 0 means all the others), approving this
//     account's modification;
//   - the modification itself is valid as NIS validates it (no owner added
//     twice, at most one removal, at most 32 owners, the minimum within
//     range), and comes in a later block than the step before it, as NIS
//     allows one modification of an account per block.
//
// A node can still hide modifications (omit the newest ones) but never add
// one that the owners of the moment did not sign. [Resolver] keeps the
// verified history of each account it resolves and, from then on, counts
// only nodes whose history contains it: a node cannot undo a change the
// device has seen.
//
// The zero Custody is not usable; make one with [NewCustody]. A Custody is
// not safe for concurrent modification; [Custody.Clone] copies it.
type Custody struct {
	account nem.Address
	keys    []nem.PublicKey // sorted by bytes
	min     int
	height  int64
	hashes  []tx.Hash // the modifications applied, oldest first
	seen    map[tx.Hash]struct{}
}

// NewCustody returns the history of account before its conversion: no
// owners.
func NewCustody(account nem.Address) *Custody {
	return &Custody{account: account, seen: map[tx.Hash]struct{}{}}
}

// Account returns the account whose history this is.
func (c *Custody) Account() nem.Address { return c.account }

// IsMultisig reports whether the history leads to a multisig account.
func (c *Custody) IsMultisig() bool { return len(c.keys) > 0 }

// Cosignatories returns the owners the history leads to, sorted by bytes.
func (c *Custody) Cosignatories() []nem.PublicKey { return slices.Clone(c.keys) }

// MinCosignatories returns the stored minimum the history leads to (0
// means all owners must sign), as NIS reports it.
func (c *Custody) MinCosignatories() int { return c.min }

// Len returns the number of modifications applied.
func (c *Custody) Len() int { return len(c.hashes) }

// Tip returns the hash of the last modification applied (zero if none).
func (c *Custody) Tip() tx.Hash {
	if len(c.hashes) == 0 {
		return tx.Hash{}
	}
	return c.hashes[len(c.hashes)-1]
}

// Height returns the block height of the last modification applied.
func (c *Custody) Height() int64 { return c.height }

// Clone returns an independent copy.
func (c *Custody) Clone() *Custody {
	cp := *c
	cp.keys = slices.Clone(c.keys)
	cp.hashes = slices.Clone(c.hashes)
	cp.seen = make(map[tx.Hash]struct{}, len(c.seen)+4)
	for h := range c.seen {
		cp.seen[h] = struct{}{}
	}
	return &cp
}

// Extends reports whether c is prev followed by zero or more further
// modifications: the same account, and prev's last modification at the
// same place in c.
func (c *Custody) Extends(prev *Custody) bool {
	if c == nil || prev == nil || c.account != prev.account || len(c.hashes) < len(prev.hashes) {
		return false
	}
	return len(prev.hashes) == 0 || c.hashes[len(prev.hashes)-1] == prev.Tip()
}

// IsModification reports whether ct changes the multisig configuration of
// the account: a conversion it signs itself or a multisig transaction
// wrapping its modification. Other transactions of the account's history
// are not steps of its custody chain.
func (c *Custody) IsModification(ct *tx.ConfirmedTransaction) bool {
	t := ct.Transaction
	switch {
	case t == nil:
		return false
	case t.Type == tx.TypeMultisigModification:
		return t.Signer.Address(c.account.Network()) == c.account
	case t.Type == tx.TypeMultisig && t.Inner != nil && t.Inner.Type == tx.TypeMultisigModification:
		return t.Inner.Signer.Address(c.account.Network()) == c.account
	}
	return false
}

// Apply verifies the next modification of the account's history (oldest
// first) and applies it. A transaction that is not a modification of the
// account (see [Custody.IsModification]) is ignored. On failure, which
// wraps [ErrCustody] (or a tx error for a hash or signature that does not
// verify), c is unchanged.
func (c *Custody) Apply(ct *tx.ConfirmedTransaction) error {
	return c.apply(ct, nil)
}

// apply is Apply with a cache of transactions whose signatures another
// copy of the same history already verified (nil: verify all).
func (c *Custody) apply(ct *tx.ConfirmedTransaction, verified *verifiedSet) error {
	if !c.IsModification(ct) {
		return nil
	}
	fail := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s at height %d: %s", ErrCustody, ct.Hash, ct.Height, fmt.Sprintf(format, args...))
	}
	if _, dup := c.seen[ct.Hash]; dup {
		return fail("listed twice")
	}
	if len(c.hashes) > 0 && ct.Height <= c.height {
		return fail("not in a later block than the modification before it (height %d)", c.height)
	}
	if err := verified.verify(ct); err != nil {
		return fmt.Errorf("%w: %s: %w", ErrCustody, ct.Hash, err)
	}
	t := ct.Transaction
	mod := t
	if t.Type == tx.TypeMultisigModification {
		if c.IsMultisig() {
			return fail("signed by the account itself while it is multisig")
		}
	} else {
		mod = t.Inner
		if !c.IsMultisig() {
			return fail("a multisig transaction of an account that is not multisig")
		}
		if err := c.checkSigners(t); err != nil {
			return fail("%v", err)
		}
	}
	keys, min, err := c.next(mod)
	if err != nil {
		return fail("%v", err)
	}
	c.keys, c.min, c.height = keys, min, ct.Height
	c.hashes = append(c.hashes, ct.Hash)
	c.seen[ct.Hash] = struct{}{}
	return nil
}

func (c *Custody) has(k nem.PublicKey) bool {
	_, ok := slices.BinarySearchFunc(c.keys, k, cmpKeys)
	return ok
}

func cmpKeys(a, b nem.PublicKey) int { return bytes.Compare(a[:], b[:]) }

// checkSigners checks that the initiator and cosignatories of the multisig
// transaction w are distinct owners of the moment, enough of them.
func (c *Custody) checkSigners(w *tx.Transaction) error {
	var removed []nem.PublicKey
	for _, m := range w.Inner.Modifications {
		if m.Type == tx.RemoveCosignatory {
			removed = append(removed, m.Cosignatory)
		}
	}
	eligible := len(c.keys)
	for _, k := range removed {
		if c.has(k) {
			eligible--
		}
	}
	need := c.min
	if need == 0 {
		need = eligible // all of them, but the one being removed
	}
	need = min(need, eligible)
	signed := make([]nem.PublicKey, 0, 1+len(w.Cosignatures))
	counted := 0
	for i, s := range append([]*tx.Transaction{w}, w.Cosignatures...) {
		if i > 0 && s.OtherAccount != c.account {
			return fmt.Errorf("a cosignature for account %s", s.OtherAccount)
		}
		if !c.has(s.Signer) {
			return fmt.Errorf("signed by %s, not an owner", s.Signer)
		}
		if slices.Contains(signed, s.Signer) {
			return fmt.Errorf("signed twice by %s", s.Signer)
		}
		signed = append(signed, s.Signer)
		if !slices.Contains(removed, s.Signer) {
			counted++
		}
	}
	if counted < need {
		return fmt.Errorf("%d signatures that count, %d needed", counted, need)
	}
	return nil
}

// next returns the owners and minimum after the modification m, by NIS's
// rules.
func (c *Custody) next(m *tx.Transaction) ([]nem.PublicKey, int, error) {
	keys := slices.Clone(c.keys)
	removes := 0
	for i, mod := range m.Modifications {
		for _, other := range m.Modifications[:i] {
			if other.Cosignatory == mod.Cosignatory {
				return nil, 0, fmt.Errorf("owner %s modified twice", mod.Cosignatory)
			}
		}
		switch mod.Type {
		case tx.AddCosignatory:
			if mod.Cosignatory.Address(c.account.Network()) == c.account {
				return nil, 0, fmt.Errorf("the account added as its own owner")
			}
			if c.has(mod.Cosignatory) {
				return nil, 0, fmt.Errorf("owner %s added twice", mod.Cosignatory)
			}
			keys = append(keys, mod.Cosignatory)
		case tx.RemoveCosignatory:
			if removes++; removes > 1 {
				return nil, 0, fmt.Errorf("more than one removal")
			}
			if !c.has(mod.Cosignatory) {
				return nil, 0, fmt.Errorf("removes %s, not an owner", mod.Cosignatory)
			}
			keys = slices.DeleteFunc(keys, func(k nem.PublicKey) bool { return k == mod.Cosignatory })
		default:
			return nil, 0, fmt.Errorf("unknown modification type %d", mod.Type)
		}
	}
	if len(keys) > nis.MaxCosignatories {
		return nil, 0, fmt.Errorf("%d owners, at most %d", len(keys), nis.MaxCosignatories)
	}
	newMin := c.min + int(m.MinCosignatoriesChange)
	if newMin < 0 || newMin > len(keys) {
		return nil, 0, fmt.Errorf("minimum %d of %d owners", newMin, len(keys))
	}
	slices.SortFunc(keys, cmpKeys)
	if len(keys) == 0 {
		return nil, 0, nil
	}
	return keys, newMin, nil
}

// verifiedSet remembers the transactions whose signatures were verified in
// one quorum round, so that the same history served by several nodes is
// verified once. A transaction counts as verified again only if its content
// hashes to the same hash and carries the same signatures.
type verifiedSet struct {
	mu sync.Mutex
	m  map[string]struct{}
}

func (v *verifiedSet) verify(ct *tx.ConfirmedTransaction) error {
	if v == nil {
		return ct.Verify()
	}
	key, err := contentKey(ct)
	if err != nil {
		return err
	}
	v.mu.Lock()
	_, ok := v.m[key]
	v.mu.Unlock()
	if ok {
		return nil
	}
	if err := ct.Verify(); err != nil {
		return err
	}
	v.mu.Lock()
	if v.m == nil {
		v.m = map[string]struct{}{}
	}
	v.m[key] = struct{}{}
	v.mu.Unlock()
	return nil
}

// contentKey identifies a transaction's signed content: its hash
// (recomputed, and checked against the one the node reported) and
// signature, and those of its cosignatures.
func contentKey(ct *tx.ConfirmedTransaction) (string, error) {
	t := ct.Transaction
	h, err := t.Hash()
	if err != nil {
		return "", err
	}
	if h != ct.Hash {
		return "", fmt.Errorf("%w: content hashes to %s", tx.ErrHashMismatch, h)
	}
	var b strings.Builder
	b.Write(h[:])
	b.Write(t.Signature[:])
	for _, c := range t.Cosignatures {
		ch, err := c.Hash()
		if err != nil {
			return "", err
		}
		b.Write(ch[:])
		b.Write(c.Signature[:])
	}
	return b.String(), nil
}
