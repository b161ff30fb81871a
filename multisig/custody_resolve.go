package multisig

import (
	"context"
	"fmt"
	"slices"

	"github.com/nemiot/nemiot/nem"
	"github.com/nemiot/nemiot/nem/nis"
	"github.com/nemiot/nemiot/nem/tx"
)

const (
	// historyPage is the page size asked for when reading a history (NIS's
	// largest).
	historyPage = 100
	// firstPage is the size of the first page of a refresh, when the
	// device has verified the history up to some modification.
	firstPage = 10
	// maxHistoryPages bounds how much of a history one node can make the
	// device read in one round: 200 pages of 100 transactions.
	maxHistoryPages = 200
)

// history is a node's verified history, or why there is none.
type history struct {
	chain *Custody
	err   error
}

// readHistory reads the node's history of account past known in the
// background (see readHistory).
func (r *Resolver) readHistory(ctx context.Context, node string, account nem.Address, known *Custody, verified *verifiedSet) <-chan history {
	out := make(chan history, 1)
	go func() {
		c := &nis.Client{BaseURL: node, HTTP: r.httpClient(), Network: account.Network()}
		chain, err := readHistory(ctx, c, account, known, verified)
		out <- history{chain, err}
	}()
	return out
}

// checkCustody keeps the node's vote only if its verified history leads to
// the owner set it reported.
func checkCustody(v vote[record], h history) vote[record] {
	if v.err != nil {
		return v
	}
	if h.err != nil {
		v.err = h.err
		return v
	}
	chain, rec := h.chain, v.value
	if rec.multisig != chain.IsMultisig() || rec.min != chain.min || !slices.Equal(rec.keys, chain.keys) {
		v.err = fmt.Errorf("%w: the node reports %s, but its history leads to %s", ErrCustody, rec.summary(),
			record{multisig: chain.IsMultisig(), min: chain.min, keys: chain.keys}.summary())
		return v
	}
	rec.custody = chain
	v.value, v.key = rec, rec.key()
	return v
}

// readHistory reads account's history from a node, newest first, down to
// the last modification of known (all of it if known is nil), and returns
// known continued with the modifications found, verified.
func readHistory(ctx context.Context, c *nis.Client, account nem.Address, known *Custody, verified *verifiedSet) (*Custody, error) {
	chain := NewCustody(account)
	if known != nil {
		chain = known.Clone()
	}
	found := chain.Len() == 0
	var steps []*tx.ConfirmedTransaction
	var before int64
pages:
	for page := 0; ; page++ {
		if page == maxHistoryPages {
			return nil, fmt.Errorf("%w: history longer than %d transactions", ErrCustody, maxHistoryPages*historyPage)
		}
		if err := ctx.Err(); err != nil { // the round decided without this node
			return nil, err
		}
		size := historyPage
		if page == 0 && chain.Len() > 0 {
			size = firstPage // a refresh: usually nothing or little is new
		}
		list, err := c.OutgoingTransfers(ctx, account, tx.Page{BeforeID: before, Size: size})
		if err != nil {
			return nil, fmt.Errorf("history: %w", err)
		}
		for _, ct := range list {
			if before != 0 && ct.ID >= before {
				return nil, fmt.Errorf("%w: history out of order (id %d after %d)", ErrBadAnswer, ct.ID, before)
			}
			before = ct.ID
			if !found && ct.Hash == chain.Tip() {
				found = true
				break pages
			}
			if chain.IsModification(ct) {
				steps = append(steps, ct)
			}
		}
		if len(list) < size {
			break
		}
	}
	if !found {
		return nil, fmt.Errorf("%w: the history does not contain modification %s (height %d) that the device verified: it hides changes", ErrCustody, chain.Tip(), chain.Height())
	}
	for i := len(steps) - 1; i >= 0; i-- {
		if err := chain.apply(steps[i], verified); err != nil {
			return nil, err
		}
	}
	return chain, nil
}
