package talk

import (
	"context"
	"fmt"
	"sync"

	"github.com/nemiot/nemiot/nem"
	"github.com/nemiot/nemiot/nem/tx"
)

// Budget is what a device may do with money without asking its owners:
// its messenger account pays up to PayLimit in total, and the device acts
// on incoming payments up to AcceptLimit in total. Anything over a limit
// fails with ErrOverBudget and changes nothing; the caller then makes a
// Proposal to the owners (a solar panel sells surplus energy on its own,
// but asks before a deal that large). Amounts are micro-XEM; fees are not
// counted. A Budget is safe for concurrent use; its zero value allows
// nothing.
type Budget struct {
	PayLimit    uint64
	AcceptLimit uint64

	mu       sync.Mutex
	paid     uint64
	accepted uint64
}

// Pay sends amount to the account of key to from m's account, with body
// as its message, if the budget allows it. A failed send gives the amount
// back to the budget.
func (b *Budget) Pay(ctx context.Context, m *Messenger, to nem.PublicKey, amount uint64, body *Body) (tx.Hash, error) {
	b.mu.Lock()
	if b.paid+amount > b.PayLimit || b.paid+amount < b.paid {
		b.mu.Unlock()
		return tx.Hash{}, fmt.Errorf("%w: paying %d µXEM, %d of %d already paid", ErrOverBudget, amount, b.paid, b.PayLimit)
	}
	b.paid += amount
	b.mu.Unlock()
	h, err := m.Send(ctx, to, amount, body)
	if err != nil {
		b.mu.Lock()
		b.paid -= amount
		b.mu.Unlock()
	}
	return h, err
}

// Accept takes an incoming payment of amount into the budget, or fails
// with ErrOverBudget (the payment then needs the owners' approval).
func (b *Budget) Accept(amount uint64) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.accepted+amount > b.AcceptLimit || b.accepted+amount < b.accepted {
		return fmt.Errorf("%w: accepting %d µXEM, %d of %d already accepted", ErrOverBudget, amount, b.accepted, b.AcceptLimit)
	}
	b.accepted += amount
	return nil
}

// Used returns what was paid and accepted so far.
func (b *Budget) Used() (paid, accepted uint64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.paid, b.accepted
}
