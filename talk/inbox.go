package talk

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	"github.com/nemiot/nemiot/nem"
	"github.com/nemiot/nemiot/nem/nis"
	"github.com/nemiot/nemiot/nem/tx"
)

// Defaults of an Inbox.
const (
	DefaultPageSize   = 100    // NIS's largest page
	DefaultMaxPages   = 50     // pages per node and account per poll
	DefaultMaxPending = 10_000 // transactions kept per node per poll
	// DefaultReplayWindow is about a day of blocks: NIS mines a transaction
	// at most 24 hours after its timestamp, so an honest chain cannot list
	// the same transfer at two heights further apart.
	DefaultReplayWindow = 1440
)

// Message is a transfer the inbox accepted: listed by a quorum of nodes
// with enough confirmations, its hash and signature verified locally, and
// its message (if any) decrypted and parsed.
type Message struct {
	// Hash is the transaction hash, as NanoWallet shows it and as a reply's
	// Body.Re names it (the outer hash of a multisig transfer).
	Hash tx.Hash
	// Key identifies the transfer for duplicates: the inner hash of a
	// multisig transfer, else Hash.
	Key    tx.Hash
	Height int64
	// From is the transfer's signer: for a multisig transfer, the multisig
	// account (the cosignatory who initiated it is Transaction.Transaction.Signer).
	From   nem.PublicKey
	To     nem.Address // which of the inbox's accounts received it
	Amount uint64      // micro-XEM
	Body   *Body       // nil: a transfer without a message (a plain payment)
	// Transaction is the verified transaction as the first node listed it.
	Transaction *tx.ConfirmedTransaction
}

// Inbox reads the transfers to a device's accounts (its messenger account,
// and its own multisig account for payments) from several nodes. A
// transfer is delivered once:
//
//  1. its hash and signatures verify locally (tx.ConfirmedTransaction.Verify),
//     so a node cannot forge one: it can only hide one or lie about heights;
//  2. at least Quorum nodes list it with at least Confirmations
//     confirmations by their own chain height (a transfer one node alone
//     shows is not delivered: it may be validly signed and never mined);
//  3. its hash has not been delivered before (a node listing it twice, or
//     again in a later poll, changes nothing);
//  4. its message, if any, decrypts with the receiving account's key (or is
//     plain) and is a valid Body of a type in Types, from a sender Accept
//     takes.
//
// A transfer refused at step 4 is logged with its reason, passed to
// OnRefuse, and counted as delivered (it is not read again). Refusals at
// steps 1 and 3 are reported too, per node.
//
// Poll reads from Since on and moves Since forward to the first height not
// yet settled (a height ≤ the quorum's chain height − Confirmations + 1 is
// settled); store Since to resume after a restart. A backlog larger than a
// poll's caps is delivered over several polls, newest part first, and Since
// stays put until it is all read. Memory is bounded: at most MaxPages pages
// and MaxPending transactions per node and account in a poll, and the
// hashes delivered in the last ReplayWindow blocks below Since (and above
// it). An Inbox is safe for concurrent use; polls run one at a time.
type Inbox struct {
	// Accounts are the watched accounts: messages to each are decrypted
	// with its key.
	Accounts []*nem.PrivateKey
	Network  nem.Network
	Nodes    []*nis.Client
	// Quorum is how many nodes must list a transfer; 0 means a majority
	// of Nodes.
	Quorum int
	// Confirmations is how many blocks (its own included) must hold a
	// transfer; 0 means 1.
	Confirmations int
	// Since is the lowest height still to read; Poll advances it.
	Since int64
	// Types are the body types delivered; nil means DefaultTypes.
	Types map[string]bool
	// Accept, if set, says which senders' transfers are delivered; the
	// others are refused as ReasonStranger.
	Accept func(from nem.PublicKey) bool
	// OnRefuse, if set, is called with every refusal.
	OnRefuse func(*RefusedError)
	// Log receives one line per refusal; nil: none.
	Log *slog.Logger

	// ReplayWindow is how many blocks below Since delivered hashes are
	// remembered, so that nodes listing an old transfer again at a new
	// height change nothing; 0 means DefaultReplayWindow.
	ReplayWindow int64

	PageSize, MaxPages, MaxPending int // 0: the package defaults

	mu        sync.Mutex
	delivered map[tx.Hash]int64 // key → height, for heights ≥ Since
}

// Poll reads the nodes once and returns the newly delivered transfers,
// oldest first. It fails with ErrNoQuorum (wrapping the nodes' errors) when
// fewer than Quorum nodes answered; Since then does not move.
func (in *Inbox) Poll(ctx context.Context) ([]*Message, error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.delivered == nil {
		in.delivered = map[tx.Hash]int64{}
	}
	if len(in.Accounts) == 0 {
		return nil, fmt.Errorf("talk: inbox without accounts")
	}
	keys := map[nem.Address]*nem.PrivateKey{}
	for _, k := range in.Accounts {
		keys[k.Address(in.Network)] = k
	}
	var out []*Message
	since := int64(-1)
	for a, key := range keys {
		s := in.scanner(func(ct *tx.ConfirmedTransaction) bool { return transferTo(ct, a) })
		s.skip = func(k tx.Hash) bool { _, ok := in.delivered[k]; return ok }
		res, err := s.run(ctx, func(ctx context.Context, c *nis.Client, p tx.Page) ([]*tx.ConfirmedTransaction, error) {
			return c.IncomingTransfers(ctx, a, p)
		})
		if err != nil {
			return out, err
		}
		for _, e := range res.entries {
			if _, dup := in.delivered[e.key]; dup {
				continue
			}
			in.delivered[e.key] = e.maxHeight
			m, rerr := in.open(e, a, key)
			if rerr != nil {
				in.refuse(rerr)
				continue
			}
			out = append(out, m)
		}
		next := res.safe + 1
		if res.short {
			next = in.Since // older transfers are still unread: the next poll reads them
		}
		if since < 0 || next < since {
			since = next
		}
	}
	if since > in.Since {
		in.Since = since
		window := in.ReplayWindow
		if window <= 0 {
			window = DefaultReplayWindow
		}
		for k, h := range in.delivered {
			if h < in.Since-window {
				delete(in.delivered, k)
			}
		}
	}
	return out, nil
}

func (in *Inbox) scanner(keep func(*tx.ConfirmedTransaction) bool) *scan {
	s := &scan{
		nodes: in.Nodes, quorum: in.Quorum, confirm: max(in.Confirmations, 1), since: in.Since,
		pageSize: in.PageSize, maxPages: in.MaxPages, maxKeep: in.MaxPending,
		keep: keep, refuse: in.refuse,
	}
	if s.quorum == 0 {
		s.quorum = len(in.Nodes)/2 + 1
	}
	if s.pageSize == 0 {
		s.pageSize = DefaultPageSize
	}
	if s.maxPages == 0 {
		s.maxPages = DefaultMaxPages
	}
	if s.maxKeep == 0 {
		s.maxKeep = DefaultMaxPending
	}
	return s
}

func (in *Inbox) refuse(e *RefusedError) {
	if in.Log != nil {
		in.Log.Warn("talk: transfer refused", "reason", string(e.Reason), "hash", e.Hash.String(), "node", e.Node, "err", errString(e.Err))
	}
	if in.OnRefuse != nil {
		in.OnRefuse(e)
	}
}

// Refuse refuses a delivered message for a reason of the reader's own (a
// payment of the wrong amount, ReasonWrongPay; a bid below a reserve, with
// a Reason the caller defines): it is logged and passed to OnRefuse like
// the inbox's own refusals, so that every refusal reaches one place, and
// returned (Node -1, Hash m.Hash, Err err; never nil). The message stays
// delivered: a later poll does not return it again.
func (in *Inbox) Refuse(m *Message, reason Reason, err error) *RefusedError {
	e := &RefusedError{Reason: reason, Node: -1, Err: err}
	if m != nil {
		e.Hash = m.Hash
	}
	in.refuse(e)
	return e
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// open turns a verified transfer into a Message.
func (in *Inbox) open(e *seenEntry, to nem.Address, key *nem.PrivateKey) (*Message, *RefusedError) {
	t := e.ct.Transfer()
	m := &Message{Hash: e.ct.Hash, Key: e.key, Height: e.maxHeight, From: t.Signer, To: to, Amount: t.Amount, Transaction: e.ct}
	refused := func(r Reason, err error) *RefusedError {
		return &RefusedError{Reason: r, Node: -1, Hash: e.ct.Hash, Err: err}
	}
	if in.Accept != nil && !in.Accept(t.Signer) {
		return nil, refused(ReasonStranger, fmt.Errorf("sender %s", t.Signer))
	}
	if t.Message.IsZero() {
		return m, nil
	}
	plain := t.Message.Payload
	if t.Message.Type == tx.MessageEncrypted {
		var err error
		if plain, err = t.Message.Decrypt(key, t.Signer); err != nil {
			return nil, refused(ReasonUndecrypt, err)
		}
	}
	b, err := ParseBody(plain, in.Types)
	if err != nil {
		return nil, refused(ReasonBody, err)
	}
	m.Body = b
	return m, nil
}
