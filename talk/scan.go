package talk

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/nemiot/nemiot/nem"
	"github.com/nemiot/nemiot/nem/nis"
	"github.com/nemiot/nemiot/nem/tx"
)

// lister reads one page of one node's transaction list.
type lister func(ctx context.Context, c *nis.Client, p tx.Page) ([]*tx.ConfirmedTransaction, error)

// scan is one read of a transaction list from several nodes, merged: what a
// quorum of nodes lists with enough confirmations, each transaction verified
// locally (hash, signature, cosignatures).
type scan struct {
	nodes    []*nis.Client
	quorum   int
	confirm  int   // confirmations needed (≥ 1)
	since    int64 // lowest height of interest
	pageSize int
	maxPages int
	maxKeep  int                                 // entries kept per node
	keep     func(*tx.ConfirmedTransaction) bool // relevant to the reader
	skip     func(key tx.Hash) bool              // already delivered: neither kept nor counted
	refuse   func(*RefusedError)
}

// seenEntry is one verified transaction and the nodes that list it.
type seenEntry struct {
	ct        *tx.ConfirmedTransaction
	key       tx.Hash // dedup key: the transfer's hash (inner hash of a wrapper)
	vouch     int     // nodes listing it with enough confirmations
	listed    int     // nodes listing it at all
	maxHeight int64   // highest height a vouching node reported
}

// nodeRead is what one node said.
type nodeRead struct {
	height  int64
	entries []*tx.ConfirmedTransaction
	short   bool // the read stopped at a cap (pages or entries) above since: older ones are unread
	err     error
}

type scanResult struct {
	entries  []*seenEntry // vouched by a quorum, ascending (height, hash)
	answered int
	safe     int64 // every height ≤ safe has enough confirmations on a quorum of nodes
	short    bool  // some node's read stopped short: heights from since on are not settled
}

// transferKey is the hash that identifies a transfer: the inner hash of a
// multisig wrapper, else the transaction hash.
func transferKey(ct *tx.ConfirmedTransaction) tx.Hash {
	if !ct.InnerHash.IsZero() {
		return ct.InnerHash
	}
	return ct.Hash
}

func (s *scan) run(ctx context.Context, list lister) (*scanResult, error) {
	if len(s.nodes) == 0 || s.quorum < 1 || s.quorum > len(s.nodes) {
		return nil, ErrNoNodes
	}
	reads := make([]nodeRead, len(s.nodes))
	var wg sync.WaitGroup
	for i, c := range s.nodes {
		wg.Go(func() { reads[i] = s.read(ctx, i, c, list) })
	}
	wg.Wait()

	res := &scanResult{}
	merged := map[tx.Hash]*seenEntry{}
	var heights []int64
	var errs []error
	for i, r := range reads {
		if r.err != nil {
			errs = append(errs, fmt.Errorf("node %d: %w", i, r.err))
			continue
		}
		res.answered++
		heights = append(heights, r.height)
		res.short = res.short || r.short
		seen := map[tx.Hash]bool{}
		for _, ct := range r.entries {
			k := transferKey(ct)
			if seen[k] {
				s.refuse(&RefusedError{Reason: ReasonDuplicate, Node: i, Hash: ct.Hash})
				continue
			}
			seen[k] = true
			e := merged[k]
			if e == nil {
				e = &seenEntry{ct: ct, key: k}
				merged[k] = e
			}
			e.listed++
			if r.height-ct.Height+1 >= int64(s.confirm) {
				e.vouch++
				e.maxHeight = max(e.maxHeight, ct.Height)
			}
		}
	}
	if res.answered < s.quorum {
		return res, fmt.Errorf("%w: %d of %d nodes answered, quorum %d: %w", ErrNoQuorum, res.answered, len(s.nodes), s.quorum, errors.Join(errs...))
	}
	slices.SortFunc(heights, func(a, b int64) int { return cmp.Compare(b, a) })
	res.safe = heights[s.quorum-1] - int64(s.confirm) + 1
	for _, e := range merged {
		if e.vouch >= s.quorum {
			res.entries = append(res.entries, e)
		}
	}
	slices.SortFunc(res.entries, func(a, b *seenEntry) int {
		if c := cmp.Compare(a.maxHeight, b.maxHeight); c != 0 {
			return c
		}
		return slices.Compare(a.key[:], b.key[:])
	})
	return res, nil
}

// read pages through one node's list, newest first, down to s.since.
func (s *scan) read(ctx context.Context, i int, c *nis.Client, list lister) nodeRead {
	h, err := c.ChainHeight(ctx)
	if err != nil {
		return nodeRead{err: err}
	}
	r := nodeRead{height: h}
	page := tx.Page{Size: s.pageSize}
	for p := 0; ; p++ {
		if p == s.maxPages {
			r.short = true
			return r
		}
		got, err := list(ctx, c, page)
		if err != nil {
			return nodeRead{err: err}
		}
		if len(got) == 0 {
			return r
		}
		done := false
		for _, ct := range got {
			if ct.Height < s.since {
				done = true
				continue
			}
			if err := ct.Verify(); err != nil {
				s.refuse(&RefusedError{Reason: ReasonForged, Node: i, Hash: ct.Hash, Err: err})
				continue
			}
			if !s.keep(ct) || (s.skip != nil && s.skip(transferKey(ct))) {
				continue
			}
			if len(r.entries) == s.maxKeep {
				r.short = true
				return r
			}
			r.entries = append(r.entries, ct)
		}
		last := got[len(got)-1]
		if done || last.ID <= 0 || (page.BeforeID != 0 && last.ID >= page.BeforeID) {
			return r
		}
		page.BeforeID = last.ID
	}
}

// transferTo reports whether ct is a transfer (plain or in a multisig
// wrapper) to address a.
func transferTo(ct *tx.ConfirmedTransaction, a nem.Address) bool {
	t := ct.Transfer()
	return t != nil && t.Recipient == a
}
