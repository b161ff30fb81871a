package multisig

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/nemiot/nemiot/nem"
	"github.com/nemiot/nemiot/nem/nis"
	"github.com/nemiot/nemiot/nem/tx"
)

// Client is the write side of multisig accounts: the owner operations. It
// builds and signs the NIS1 transactions (package tx), announces each to
// all of its Nodes at once, so that one node that censors or fails cannot
// stop it, and follows it until it is in a block ([Client.Wait]):
//
//   - [Client.Convert]: an account (a device) makes itself a multisig
//     account owned by the keys it names;
//   - [Client.AddOwner], [Client.RemoveOwner], [Client.TransferOwnership]
//     (add one owner and remove another in one modification),
//     [Client.ChangeMinimum] and the general [Client.Modify]: an owner
//     initiates a change, wrapped in a multisig transaction;
//   - [Client.Pending] and [Client.Cosign]: the other owners list the
//     account's multisig transactions that wait for cosignatures, and
//     approve them.
//
// Fees are the minimum NIS accepts (tx.MinimumFee); a change of a multisig
// account is paid by that account (0.5 XEM for the modification, 0.15 XEM
// for the wrapper and for each cosignature), so it must hold some XEM.
// A transaction no node accepts fails with an [*AnnounceError] carrying
// the NIS validation code (insufficient balance, not a cosignatory,
// expired, …); a transaction that leaves the nodes' pools unconfirmed
// fails [Client.Wait] with [ErrExpired].
//
// Set the fields before first use; a Client is safe for concurrent use.
type Client struct {
	// Nodes are the base URLs of the nodes to announce to (all of them)
	// and to follow transactions on.
	Nodes []string
	// Network is the network of the accounts. It must be set.
	Network nem.Network
	// HTTP sends the requests; nil means a client with sane timeouts.
	HTTP *http.Client
	// Now returns the network time that dates transactions; nil means
	// time.Now. A device without a real-time clock uses [Resolver.Clock].
	// Nodes refuse a transaction dated more than 10 s in their future.
	Now func() time.Time
	// Validity is how long a transaction may wait for a block (and for
	// cosignatures) before nodes drop it: its deadline. 0 means 1 hour;
	// NIS allows at most 24 hours.
	Validity time.Duration
	// PollEvery is how often [Client.Wait] asks the nodes; 0 means 2 s.
	PollEvery time.Duration
	// Confirmations is how many nodes must show a transaction in a block
	// before [Client.Wait] returns it; 0 means a majority of Nodes, at most 3.
	Confirmations int
}

// Change is a modification of a multisig account's owners: cosignatories
// to add and to remove (NIS allows at most one removal per modification),
// and a relative change of the minimum number of signatures.
type Change struct {
	Add, Remove []nem.PublicKey
	MinChange   int
}

// Announced is a transaction that at least one node accepted into its
// pool of unconfirmed transactions; [Client.Wait] follows it into a block.
type Announced struct {
	Hash      tx.Hash       // the transaction hash (for a cosignature, the hash of the multisig transaction it approves)
	InnerHash tx.Hash       // for a multisig transaction: the hash cosignatories approve
	Account   nem.Address   // the account whose history lists the transaction
	Deadline  nem.Timestamp // the nodes drop it, unconfirmed, after this network time
	Accepted  []string      // the nodes that accepted it (or already knew it)
	Refused   []NodeAnswer  // the nodes that refused it or could not be reached, and why
}

// Pending is a multisig transaction of an account that waits for
// cosignatures in the nodes' unconfirmed pools.
type Pending struct {
	Transaction *tx.Transaction // the multisig wrapper: its Inner is the account's transaction
	Hash        tx.Hash         // the wrapper's hash
	InnerHash   tx.Hash         // what cosignatures approve
	Signers     []nem.PublicKey // the initiator, then the cosignatories who approved it so far
}

// Signed reports whether k has signed the transaction (initiated or
// cosigned it).
func (p *Pending) Signed(k nem.PublicKey) bool { return slices.Contains(p.Signers, k) }

func (c *Client) config() error {
	switch {
	case len(c.Nodes) == 0:
		return fmt.Errorf("%w: Client needs Nodes", ErrConfig)
	case !c.Network.Valid():
		return fmt.Errorf("%w: Client needs a Network", ErrConfig)
	case c.Validity < 0 || c.Validity > 24*time.Hour:
		return fmt.Errorf("%w: Validity %v is not within 24 hours", ErrConfig, c.Validity)
	}
	return nil
}

func (c *Client) node(u string) *nis.Client {
	return &nis.Client{BaseURL: u, HTTP: c.httpClient(), Network: c.Network}
}

func (c *Client) httpClient() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return defaultHTTP
}

// template returns an unsigned transaction of type t dated now.
func (c *Client) template(t tx.TransactionType) *tx.Transaction {
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	ts := nem.TimestampOf(now())
	return &tx.Transaction{Type: t, Network: c.Network, TimeStamp: ts, Deadline: ts + nem.Timestamp(orDefault(c.Validity, time.Hour)/time.Second)}
}

// Convert makes the account of key account a min-of-n multisig account
// owned by owners: a multisig aggregate modification signed by the
// account itself (a device converting itself). min 0 means all owners must
// sign. After it, the account's key can no longer sign anything: only its
// owners act for it.
func (c *Client) Convert(ctx context.Context, account *nem.PrivateKey, min int, owners ...nem.PublicKey) (*Announced, error) {
	if err := c.config(); err != nil {
		return nil, err
	}
	if len(owners) == 0 || min < 0 || min > len(owners) {
		return nil, fmt.Errorf("%w: convert to %d-of-%d", ErrConfig, min, len(owners))
	}
	t := c.template(tx.TypeMultisigModification)
	for _, k := range owners {
		t.Modifications = append(t.Modifications, tx.Modification{Type: tx.AddCosignatory, Cosignatory: k})
	}
	t.MinCosignatoriesChange = int32(min)
	t.Fee = tx.MinimumFee(t)
	st, err := t.Sign(account)
	if err != nil {
		return nil, err
	}
	return c.announce(ctx, st, &Announced{Hash: st.Hash(), Account: account.Address(c.Network), Deadline: t.Deadline})
}

// Modify initiates a change of the owners of the multisig account of key
// account, signed by the owner signer. Unless the account needs only one
// signature, the change waits for cosignatures ([Client.Cosign]) before a
// block takes it. An owner being removed does not count towards the
// signatures (NIS's rule), and with n-of-n (minimum 0) everybody else must
// sign.
func (c *Client) Modify(ctx context.Context, signer *nem.PrivateKey, account nem.PublicKey, ch Change) (*Announced, error) {
	if err := c.config(); err != nil {
		return nil, err
	}
	if len(ch.Add)+len(ch.Remove) == 0 && ch.MinChange == 0 {
		return nil, fmt.Errorf("%w: an empty change", ErrConfig)
	}
	inner := c.template(tx.TypeMultisigModification)
	inner.Signer = account
	for _, k := range ch.Add {
		inner.Modifications = append(inner.Modifications, tx.Modification{Type: tx.AddCosignatory, Cosignatory: k})
	}
	for _, k := range ch.Remove {
		inner.Modifications = append(inner.Modifications, tx.Modification{Type: tx.RemoveCosignatory, Cosignatory: k})
	}
	inner.MinCosignatoriesChange = int32(ch.MinChange)
	inner.Fee = tx.MinimumFee(inner)
	w := c.template(tx.TypeMultisig)
	w.Inner = inner
	w.Fee = tx.MinimumFee(w)
	st, err := w.Sign(signer)
	if err != nil {
		return nil, err
	}
	ih, err := w.InnerHash()
	if err != nil {
		return nil, err
	}
	return c.announce(ctx, st, &Announced{Hash: st.Hash(), InnerHash: ih, Account: account.Address(c.Network), Deadline: w.Deadline})
}

// AddOwner initiates adding owner to the multisig account (see [Client.Modify]).
func (c *Client) AddOwner(ctx context.Context, signer *nem.PrivateKey, account, owner nem.PublicKey) (*Announced, error) {
	return c.Modify(ctx, signer, account, Change{Add: []nem.PublicKey{owner}})
}

// RemoveOwner initiates removing owner from the multisig account (see
// [Client.Modify]). If the account's minimum would then exceed the number
// of owners left, lower it in the same change with [Client.Modify].
func (c *Client) RemoveOwner(ctx context.Context, signer *nem.PrivateKey, account, owner nem.PublicKey) (*Announced, error) {
	return c.Modify(ctx, signer, account, Change{Remove: []nem.PublicKey{owner}})
}

// TransferOwnership initiates, in one modification, adding to and removing
// from as owners of the multisig account: how a device's temporary owner
// hands it over (signer = from), or how owners replace one of them.
func (c *Client) TransferOwnership(ctx context.Context, signer *nem.PrivateKey, account, from, to nem.PublicKey) (*Announced, error) {
	return c.Modify(ctx, signer, account, Change{Add: []nem.PublicKey{to}, Remove: []nem.PublicKey{from}})
}

// ChangeMinimum initiates changing the multisig account's minimum number of
// signatures by delta (e.g. +1 to go from 1-of-2 to 2-of-2).
func (c *Client) ChangeMinimum(ctx context.Context, signer *nem.PrivateKey, account nem.PublicKey, delta int) (*Announced, error) {
	return c.Modify(ctx, signer, account, Change{MinChange: delta})
}

// Pending lists the multisig transactions of account that wait for
// cosignatures, as the nodes' unconfirmed pools show them (each node is
// asked; a transaction is listed once, with the most signatures any node
// has seen). Every listed transaction's signatures are verified; the pools
// differ between nodes, so an empty list proves nothing.
func (c *Client) Pending(ctx context.Context, account nem.Address) ([]*Pending, error) {
	if err := c.config(); err != nil {
		return nil, err
	}
	type answer struct {
		list []*nis.UnconfirmedTransaction
		err  error
	}
	answers := make([]answer, len(c.Nodes))
	var wg sync.WaitGroup
	for i, u := range c.Nodes {
		wg.Go(func() {
			answers[i].list, answers[i].err = c.node(u).UnconfirmedTransactions(ctx, account)
		})
	}
	wg.Wait()
	var out []*Pending
	var errs []error
	for i, a := range answers {
		if a.err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", c.Nodes[i], a.err))
			continue
		}
		for _, u := range a.list {
			w := u.Transaction
			if w.Type != tx.TypeMultisig || w.Inner == nil || w.Inner.Signer.Address(c.Network) != account || w.Verify() != nil {
				continue
			}
			h, err := w.Hash()
			if err != nil {
				continue
			}
			ih, _ := w.InnerHash()
			p := &Pending{Transaction: w, Hash: h, InnerHash: ih, Signers: []nem.PublicKey{w.Signer}}
			for _, s := range w.Cosignatures {
				if !p.Signed(s.Signer) {
					p.Signers = append(p.Signers, s.Signer)
				}
			}
			j := slices.IndexFunc(out, func(q *Pending) bool { return q.Hash == h })
			switch {
			case j < 0:
				out = append(out, p)
			case len(p.Signers) > len(out[j].Signers):
				out[j] = p
			}
		}
	}
	if len(errs) == len(c.Nodes) {
		return nil, fmt.Errorf("multisig: no node listed the pending transactions: %w", errors.Join(errs...))
	}
	return out, nil
}

// Cosign approves the pending multisig transaction p with the owner key
// signer: a cosignature, announced like any transaction. The returned
// Announced follows p itself, which a block takes once it has enough
// cosignatures.
func (c *Client) Cosign(ctx context.Context, signer *nem.PrivateKey, p *Pending) (*Announced, error) {
	if err := c.config(); err != nil {
		return nil, err
	}
	if p == nil || p.Transaction == nil || p.Transaction.Inner == nil {
		return nil, fmt.Errorf("%w: nothing to cosign", ErrConfig)
	}
	t := c.template(tx.TypeMultisigSignature)
	cs, err := tx.NewCosignature(p.Transaction, t.TimeStamp, t.Deadline)
	if err != nil {
		return nil, err
	}
	st, err := cs.Sign(signer)
	if err != nil {
		return nil, err
	}
	return c.announce(ctx, st, &Announced{
		Hash: p.Hash, InnerHash: p.InnerHash,
		Account:  p.Transaction.Inner.Signer.Address(c.Network),
		Deadline: p.Transaction.Deadline,
	})
}

// announce sends st to every node at once. It succeeds when at least one
// node accepts it (or already knows it); otherwise it returns an
// *AnnounceError with what every node said.
func (c *Client) announce(ctx context.Context, st *tx.SignedTransaction, a *Announced) (*Announced, error) {
	results := make([]error, len(c.Nodes))
	var wg sync.WaitGroup
	for i, u := range c.Nodes {
		wg.Go(func() {
			_, results[i] = c.node(u).Announce(ctx, st)
		})
	}
	wg.Wait()
	for i, err := range results {
		var ae *nis.AnnounceError
		switch {
		case err == nil, errors.As(err, &ae) && ae.Code == codeHashExists:
			a.Accepted = append(a.Accepted, c.Nodes[i])
		default:
			a.Refused = append(a.Refused, NodeAnswer{Node: c.Nodes[i], Err: err})
		}
	}
	if len(a.Accepted) > 0 {
		return a, nil
	}
	return nil, newAnnounceError(st.Hash(), a.Refused, ctx.Err())
}

// Wait follows an announced transaction until Confirmations nodes show it
// in a block, and returns it as they do (its hash and signatures verified).
// It fails with [ErrExpired] once the transaction's deadline has passed
// without a block taking it (a multisig transaction short of cosignatures,
// a fee the account could not pay when the block came, …), or with the
// context's error.
func (c *Client) Wait(ctx context.Context, a *Announced) (*tx.ConfirmedTransaction, error) {
	if err := c.config(); err != nil {
		return nil, err
	}
	need := c.Confirmations
	if need <= 0 {
		need = min(len(c.Nodes)/2+1, 3)
	}
	need = min(need, len(c.Nodes))
	every := orDefault(c.PollEvery, 2*time.Second)
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	for {
		found := make([]*tx.ConfirmedTransaction, len(c.Nodes))
		var wg sync.WaitGroup
		for i, u := range c.Nodes {
			wg.Go(func() { found[i] = c.lookup(ctx, c.node(u), a) })
		}
		wg.Wait()
		var got *tx.ConfirmedTransaction
		n := 0
		for _, ct := range found {
			if ct != nil {
				got, n = ct, n+1
			}
		}
		if n >= need {
			return got, nil
		}
		// A block after the deadline can no longer take it; allow a minute
		// for the nodes to agree on the last block before it.
		if nem.TimestampOf(now()) > a.Deadline+60 {
			return nil, fmt.Errorf("%w: %s (deadline %d, shown in a block by %d of %d nodes needed)", ErrExpired, a.Hash, a.Deadline, n, need)
		}
		t := time.NewTimer(every)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("multisig: waiting for %s: %w", a.Hash, ctx.Err())
		case <-t.C:
		}
	}
}

// lookup returns the transaction as the node shows it in a block, verified,
// or nil: by hash where the node can look hashes up, else in the account's
// newest transactions.
func (c *Client) lookup(ctx context.Context, nc *nis.Client, a *Announced) *tx.ConfirmedTransaction {
	ct, err := nc.Transaction(ctx, a.Hash)
	if err != nil {
		ct = nil
		if errors.Is(err, nis.ErrUnsupported) {
			list, err := nc.OutgoingTransfers(ctx, a.Account, tx.Page{Size: 25})
			if err != nil {
				return nil
			}
			for _, x := range list {
				if x.Hash == a.Hash {
					ct = x
				}
			}
		}
	}
	if ct == nil || ct.Hash != a.Hash || ct.Verify() != nil {
		return nil
	}
	return ct
}

// WaitFunded waits until the account holds at least amount micro-XEM as a
// node reports it, calling progress (if not nil) with each new balance it
// sees. It is a convenience for a device that must be paid for its
// conversion fee: a node that lies about the balance can only make the
// conversion fail with an insufficient balance.
func (c *Client) WaitFunded(ctx context.Context, account nem.Address, amount uint64, progress func(balance uint64)) error {
	if err := c.config(); err != nil {
		return err
	}
	every := orDefault(c.PollEvery, 2*time.Second)
	last := uint64(0)
	first := true
	for i := 0; ; i++ {
		acct, err := c.node(c.Nodes[i%len(c.Nodes)]).Account(ctx, account)
		if err == nil {
			if progress != nil && (first || acct.Balance != last) {
				progress(acct.Balance)
			}
			first, last = false, acct.Balance
			if acct.Balance >= amount {
				return nil
			}
		}
		t := time.NewTimer(every)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("multisig: waiting for %s to be funded: %w", account, ctx.Err())
		case <-t.C:
		}
	}
}
