package talk

import (
	"context"
	"fmt"
	"time"

	"github.com/nemiot/nemiot/nem"
	"github.com/nemiot/nemiot/nem/nis"
	"github.com/nemiot/nemiot/nem/tx"
)

// OwnerSource says who owns the device. command.StaticOwners and the
// quorum-backed owner cache of package multisig implement it.
type OwnerSource interface {
	IsOwner(ctx context.Context, key nem.PublicKey) (bool, error)
}

// ExpiryGrace is how long after a proposal's deadline a Watcher keeps
// looking before it reports ErrExpired: a payment mined just before the
// deadline still needs its confirmations, and the watcher's clock may be
// a little ahead of the network's.
const ExpiryGrace = 10 * time.Minute

// Watcher follows a device's proposals until their payments are confirmed:
// listed by a quorum of nodes among the device account's outgoing
// transactions, with enough confirmations, verified locally (the multisig
// transaction's hash, its signature and cosignatures, and an inner hash
// equal to the proposal's ID, which fixes payee, amount and memo).
type Watcher struct {
	Nodes         []*nis.Client
	Quorum        int // 0: a majority of Nodes
	Confirmations int // 0: 1
	// Since is the lowest height to look at: the chain height when the
	// proposal was sent is a good value.
	Since int64
	// Owners, if set, must count every signer of the multisig transaction
	// as an owner (a node cannot make that up, the chain enforces it;
	// this checks the chain the device was told about is its own).
	Owners OwnerSource
	// Clock is network time for expiry; nil: time.Now.
	Clock func() time.Time
}

// Confirmed returns the confirmed multisig transaction that paid p, nil
// while it is not (yet) confirmed, or ErrExpired once the proposal's
// deadline (plus ExpiryGrace) has passed without it.
func (w *Watcher) Confirmed(ctx context.Context, p *Proposal) (*tx.ConfirmedTransaction, error) {
	account := p.Account.Address(p.Network)
	s := &scan{
		nodes: w.Nodes, quorum: w.Quorum, confirm: max(w.Confirmations, 1), since: w.Since,
		pageSize: DefaultPageSize, maxPages: DefaultMaxPages, maxKeep: DefaultMaxPending,
		keep: func(ct *tx.ConfirmedTransaction) bool {
			return ct.Transaction.Type == tx.TypeMultisig && ct.InnerHash == p.ID
		},
		refuse: func(*RefusedError) {},
	}
	if s.quorum == 0 {
		s.quorum = len(w.Nodes)/2 + 1
	}
	res, err := s.run(ctx, func(ctx context.Context, c *nis.Client, pg tx.Page) ([]*tx.ConfirmedTransaction, error) {
		return c.OutgoingTransfers(ctx, account, pg)
	})
	if err != nil {
		return nil, err
	}
	if len(res.entries) > 0 {
		// One inner hash is one payment: NIS refuses a second wrapper of it.
		ct := res.entries[0].ct
		if err := w.checkSigners(ctx, ct.Transaction); err != nil {
			return nil, err
		}
		return ct, nil
	}
	now := time.Now()
	if w.Clock != nil {
		now = w.Clock()
	}
	if now.After(p.Deadline.Time().Add(ExpiryGrace)) {
		return nil, fmt.Errorf("%w: %s, deadline %s", ErrExpired, p.ID, p.Deadline.Time().Format(time.RFC3339))
	}
	return nil, nil
}

func (w *Watcher) checkSigners(ctx context.Context, t *tx.Transaction) error {
	if w.Owners == nil {
		return nil
	}
	signers := []nem.PublicKey{t.Signer}
	for _, c := range t.Cosignatures {
		signers = append(signers, c.Signer)
	}
	for _, k := range signers {
		ok, err := w.Owners.IsOwner(ctx, k)
		if err != nil {
			return err
		}
		if !ok {
			return &RefusedError{Reason: ReasonStranger, Node: -1, Err: fmt.Errorf("payment signed by %s, not an owner", k)}
		}
	}
	return nil
}
