package nistest

import (
	"encoding/json"
	"slices"

	"github.com/nemiot/nemiot/nem"
	"github.com/nemiot/nemiot/nem/tx"
)

// Tamper makes a node lie in its transaction lists
// (/account/transfers/incoming, /outgoing and /all): hide transactions,
// list them twice, or list transactions that are not on the chain. Set it
// as Behavior.Tamper. The chain itself is unchanged.
type Tamper struct {
	// Hide omits these transactions (by outer hash).
	Hide []tx.Hash
	// Duplicate lists every transaction twice in a row.
	Duplicate bool
	// Inject lists these entries too, newest first, ahead of the real ones
	// of the same or a lower height.
	Inject []Injected
}

// Injected is a transaction a tampering node lists although the chain does
// not hold it: a forgery (content that does not match Hash, a signature
// that does not verify) or a validly signed transaction that was never
// mined.
type Injected struct {
	// Account is the account in whose lists it appears (as incoming).
	Account nem.Address
	// Height is the block height the node claims; 0 means the node's
	// current height.
	Height int64
	// Hash is the hash the node claims (meta.hash); zero means the
	// transaction's real hash.
	Hash tx.Hash
	// Transaction is written as its JSON form, signature included.
	Transaction *tx.Transaction
}

// tamper applies the node's Tamper to a page of a transaction list of
// account a (newest first, ids below before). Injected entries have ids
// above the node's real ones, so they are on the first page only.
func (q *request) tamper(a nem.Address, list []pairJSON, size int, before int64) []pairJSON {
	t := q.b.Tamper
	if t == nil {
		return list
	}
	out := make([]pairJSON, 0, len(list)+len(t.Inject))
	var inject []pairJSON
	for i, inj := range t.Inject {
		if inj.Account != a || inj.Transaction == nil || before != 0 {
			continue
		}
		js, err := inj.Transaction.MarshalJSON()
		if err != nil {
			continue
		}
		h := inj.Hash
		if h.IsZero() {
			h, _ = inj.Transaction.Hash()
		}
		height := inj.Height
		if height == 0 {
			height = q.v.height
		}
		inner := tx.Hash{}
		if inj.Transaction.Type == tx.TypeMultisig {
			inner, _ = inj.Transaction.InnerHash()
		}
		inject = append(inject, pairJSON{
			Meta:        metaJSON{Height: q.height(height), ID: int64(q.nd.index+1)*1_000_000_000 + 900_000_000 + int64(i), Hash: hashJSON{h.String()}, InnerHash: hashObject(inner)},
			Transaction: json.RawMessage(js),
		})
	}
	slices.SortFunc(inject, func(x, y pairJSON) int { return int(y.Meta.Height - x.Meta.Height) })
	for _, p := range list {
		for len(inject) > 0 && inject[0].Meta.Height >= p.Meta.Height {
			out = append(out, inject[0])
			inject = inject[1:]
		}
		h, err := tx.ParseHash(p.Meta.Hash.Data)
		if err == nil && slices.Contains(t.Hide, h) {
			continue
		}
		out = append(out, p)
		if t.Duplicate {
			out = append(out, p)
		}
	}
	if len(list) < size {
		out = append(out, inject...)
	}
	return out
}
