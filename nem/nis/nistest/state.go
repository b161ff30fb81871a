package nistest

import (
	"bytes"
	"slices"
	"time"

	"github.com/nemiot/nemiot/nem"
	"github.com/nemiot/nemiot/nem/nis"
	"github.com/nemiot/nemiot/nem/tx"
)

// account is one account's state at some height. Values are never modified
// once a snapshot holding them is published: changes copy them.
type account struct {
	address    nem.Address
	publicKey  nem.PublicKey // zero until the account signs something or is named by key
	balance    uint64
	cosigners  []nem.PublicKey // sorted by bytes; non-empty: multisig
	minCos     int
	cosignerOf []nem.Address // sorted by string
}

func (a *account) isMultisig() bool { return len(a.cosigners) > 0 }

func (a *account) hasCosigner(k nem.PublicKey) bool {
	_, ok := slices.BinarySearchFunc(a.cosigners, k, cmpKey)
	return ok
}

func cmpKey(x, y nem.PublicKey) int { return bytes.Compare(x[:], y[:]) }

func cmpAddr(x, y nem.Address) int { return bytes.Compare(x.Bytes(), y.Bytes()) }

// snapshot is the state of every account from its height on, until the next
// snapshot. Published snapshots are immutable.
type snapshot struct {
	height   int64
	accounts map[nem.Address]*account
}

// record is a confirmed transaction.
type record struct {
	seq       int64 // 1, 2, … in confirmation order (per network)
	height    int64
	blockTime time.Time
	hash      tx.Hash
	innerHash tx.Hash // multisig wrappers only
	txn       *tx.Transaction
	json      []byte        // the transaction's NIS JSON
	incoming  []nem.Address // accounts that list it under /account/transfers/incoming
	outgoing  []nem.Address // … and under /outgoing
}

func (r *record) touches(a nem.Address, in, out bool) bool {
	return (in && slices.Contains(r.incoming, a)) || (out && slices.Contains(r.outgoing, a))
}

// pending is a multisig wrapper waiting for cosignatures.
type pending struct {
	txn       *tx.Transaction
	hash      tx.Hash
	innerHash tx.Hash
}

// change builds the next snapshot from a base one, copying accounts on write.
type change struct {
	net      nem.Network
	accounts map[nem.Address]*account
	copied   map[nem.Address]bool
}

func newChange(base *snapshot, n nem.Network) *change {
	return &change{net: n, accounts: maps(base.accounts), copied: map[nem.Address]bool{}}
}

func maps(m map[nem.Address]*account) map[nem.Address]*account {
	out := make(map[nem.Address]*account, len(m)+4)
	for k, v := range m {
		out[k] = v
	}
	return out
}

// get returns the account's current state (a zero account if unknown). The
// result must not be modified.
func (c *change) get(a nem.Address) *account {
	if acct, ok := c.accounts[a]; ok {
		return acct
	}
	return &account{address: a}
}

// byKey is get for the account of public key k.
func (c *change) byKey(k nem.PublicKey) *account { return c.get(k.Address(c.net)) }

// mut returns a private copy of the account to modify.
func (c *change) mut(a nem.Address) *account {
	old := c.get(a)
	if c.copied[a] {
		return old
	}
	cp := *old
	cp.cosigners = slices.Clone(old.cosigners)
	cp.cosignerOf = slices.Clone(old.cosignerOf)
	c.accounts[a] = &cp
	c.copied[a] = true
	return &cp
}

// reveal records that k is the public key of its account.
func (c *change) reveal(k nem.PublicKey) {
	a := k.Address(c.net)
	if c.get(a).publicKey != k {
		c.mut(a).publicKey = k
	}
}

// NIS validation results the emulator reports (NIS ValidationResult).
const (
	failureUnknown              = 2
	failurePastDeadline         = 3
	failureFutureDeadline       = 4
	failureInsufficientBalance  = 5
	failureHashExists           = 7
	failureSignature            = 8
	failureTimestampFuture      = 10
	failureInsufficientFee      = 17
	failureWrongNetwork         = 20
	failureNotACosigner         = 71
	failureInvalidCosigners     = 72
	failureNoMatchingMultisig   = 73
	failureNotAllowedMultisig   = 74
	failureAlreadyACosigner     = 75
	failureMismatchedSignature  = 76
	failureMultipleDeletes      = 77
	failureRedundant            = 78
	failureTooManyCosigners     = 80
	failureMultisigCannotCosign = 81
	failureMinOutOfRange        = 82
)

var resultNames = map[int]string{
	1:                           "SUCCESS",
	failureUnknown:              "FAILURE_UNKNOWN",
	failurePastDeadline:         "FAILURE_PAST_DEADLINE",
	failureFutureDeadline:       "FAILURE_FUTURE_DEADLINE",
	failureInsufficientBalance:  "FAILURE_INSUFFICIENT_BALANCE",
	failureHashExists:           "FAILURE_HASH_EXISTS",
	failureSignature:            "FAILURE_SIGNATURE_NOT_VERIFIABLE",
	failureTimestampFuture:      "FAILURE_TIMESTAMP_TOO_FAR_IN_FUTURE",
	failureInsufficientFee:      "FAILURE_INSUFFICIENT_FEE",
	failureWrongNetwork:         "FAILURE_WRONG_NETWORK",
	failureNotACosigner:         "FAILURE_MULTISIG_NOT_A_COSIGNER",
	failureInvalidCosigners:     "FAILURE_MULTISIG_INVALID_COSIGNERS",
	failureNoMatchingMultisig:   "FAILURE_MULTISIG_NO_MATCHING_MULTISIG",
	failureNotAllowedMultisig:   "FAILURE_TRANSACTION_NOT_ALLOWED_FOR_MULTISIG",
	failureAlreadyACosigner:     "FAILURE_MULTISIG_ALREADY_A_COSIGNER",
	failureMismatchedSignature:  "FAILURE_MULTISIG_MISMATCHED_SIGNATURE",
	failureMultipleDeletes:      "FAILURE_MULTISIG_MODIFICATION_MULTIPLE_DELETES",
	failureRedundant:            "FAILURE_MULTISIG_MODIFICATION_REDUNDANT_MODIFICATIONS",
	failureTooManyCosigners:     "FAILURE_TOO_MANY_MULTISIG_COSIGNERS",
	failureMultisigCannotCosign: "FAILURE_MULTISIG_ACCOUNT_CANNOT_BE_COSIGNER",
	failureMinOutOfRange:        "FAILURE_MULTISIG_MIN_COSIGNATORIES_OUT_OF_RANGE",
}

// reject is the error for a NIS validation failure; it matches nis.ErrRejected.
func reject(code int) error {
	return &nis.AnnounceError{Code: code, Message: resultNames[code]}
}

// debit takes amount from the account, failing with insufficient balance.
func (c *change) debit(a nem.Address, amount uint64) error {
	if c.get(a).balance < amount {
		return reject(failureInsufficientBalance)
	}
	c.mut(a).balance -= amount
	return nil
}

func (c *change) credit(a nem.Address, amount uint64) {
	if amount > 0 {
		c.mut(a).balance += amount
	}
}

// applyTransfer moves XEM from the signer (or the multisig account of a
// wrapped transfer) to the recipient. Mosaics are accepted but not tracked.
func (c *change) applyTransfer(txn *tx.Transaction, payer nem.Address) error {
	if txn.Recipient.Network() != c.net {
		return reject(failureWrongNetwork)
	}
	if err := c.debit(payer, txn.Amount); err != nil {
		return err
	}
	c.credit(txn.Recipient, txn.Amount)
	return nil
}

// applyModification changes the multisig configuration of the account with
// key signer, with the rules of NIS's multisig validators.
func (c *change) applyModification(txn *tx.Transaction, signer nem.PublicKey, wrapped bool) error {
	m := c.byKey(signer)
	if !wrapped && m.isMultisig() {
		return reject(failureNotAllowedMultisig)
	}
	if len(m.cosignerOf) > 0 {
		return reject(failureMultisigCannotCosign)
	}
	set := slices.Clone(m.cosigners)
	seen := map[nem.PublicKey]bool{}
	deletes := 0
	for _, mod := range txn.Modifications {
		if seen[mod.Cosignatory] {
			return reject(failureRedundant)
		}
		seen[mod.Cosignatory] = true
		switch mod.Type {
		case tx.AddCosignatory:
			if mod.Cosignatory == signer {
				return reject(failureInvalidCosigners)
			}
			if m.hasCosigner(mod.Cosignatory) {
				return reject(failureAlreadyACosigner)
			}
			if c.byKey(mod.Cosignatory).isMultisig() {
				return reject(failureMultisigCannotCosign)
			}
			set = append(set, mod.Cosignatory)
		case tx.RemoveCosignatory:
			deletes++
			if deletes > 1 {
				return reject(failureMultipleDeletes)
			}
			if !m.hasCosigner(mod.Cosignatory) {
				return reject(failureNotACosigner)
			}
			set = slices.DeleteFunc(set, func(k nem.PublicKey) bool { return k == mod.Cosignatory })
		}
	}
	if len(set) > nis.MaxCosignatories {
		return reject(failureTooManyCosigners)
	}
	newMin := m.minCos + int(txn.MinCosignatoriesChange)
	if newMin < 0 || newMin > len(set) {
		return reject(failureMinOutOfRange)
	}
	self := signer.Address(c.net)
	for _, mod := range txn.Modifications {
		c.reveal(mod.Cosignatory)
		cos := c.mut(mod.Cosignatory.Address(c.net))
		if mod.Type == tx.AddCosignatory {
			cos.cosignerOf = append(cos.cosignerOf, self)
			slices.SortFunc(cos.cosignerOf, cmpAddr)
		} else {
			cos.cosignerOf = slices.DeleteFunc(cos.cosignerOf, func(a nem.Address) bool { return a == self })
		}
	}
	acct := c.mut(self)
	slices.SortFunc(set, cmpKey)
	acct.cosigners, acct.minCos = set, newMin
	if len(set) == 0 {
		acct.cosigners, acct.minCos = nil, 0
	}
	return nil
}

// cosignersNeeded returns the accounts allowed to approve a multisig
// wrapper of m and how many of them must, by NIS's rule: the threshold
// (0 means all), where an account being removed neither signs nor counts.
func cosignersNeeded(m *account, inner *tx.Transaction) (eligible []nem.PublicKey, need int) {
	eligible = m.cosigners
	removing := false
	if inner.Type == tx.TypeMultisigModification {
		for _, mod := range inner.Modifications {
			if mod.Type == tx.RemoveCosignatory {
				eligible = slices.DeleteFunc(slices.Clone(eligible), func(k nem.PublicKey) bool { return k == mod.Cosignatory })
				removing = true
			}
		}
	}
	need = m.minCos
	if need == 0 {
		need = len(m.cosigners)
		if removing {
			need--
		}
	}
	return eligible, min(need, len(eligible))
}
