package talk

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/nemiot/nemiot/internal/strictjson"
	"github.com/nemiot/nemiot/nem"
	"github.com/nemiot/nemiot/nem/nis"
	"github.com/nemiot/nemiot/nem/tx"
)

// proposalDomain prefixes what the device signs for a proposal.
const proposalDomain = "nemiot/proposal/v1"

// MaxProposalTTL is the longest a proposal can stay open: NIS drops a
// transaction more than 24 hours after its timestamp.
const MaxProposalTTL = 24 * time.Hour

// Proposal is a payment from a device's multisig account that waits for
// its owners: the inner transfer of a multisig transaction, fully
// determined here so that every owner rebuilds the same transaction and
// the same hash (ID), and signed by the device's own key so that an owner
// knows it comes from the device whatever account carried the message.
type Proposal struct {
	Network   nem.Network
	Account   nem.PublicKey // the device's multisig account: the payer
	To        nem.Address   // e.g. the supplier
	Amount    uint64        // micro-XEM
	Memo      string        // plain message on the payment, for the payee
	TimeStamp nem.Timestamp // when the device proposed it
	Deadline  nem.Timestamp // NIS drops it after this: the proposal expires
	Fee       uint64        // the inner transfer's fee
	ID        tx.Hash       // the inner transfer's hash, what cosignatures approve
	Sig       nem.Signature // the device's signature of "nemiot/proposal/v1" ‖ ID
}

// ProposalData is the Data of a TypeProposal message body.
type ProposalData struct {
	Account   string        `json:"account"` // hex public key
	To        string        `json:"to"`
	Amount    uint64        `json:"amount"`
	Memo      string        `json:"memo,omitempty"`
	TimeStamp nem.Timestamp `json:"ts"`
	Deadline  nem.Timestamp `json:"deadline"`
	Fee       uint64        `json:"fee"`
	ID        string        `json:"id"`
	Sig       string        `json:"sig"`
}

// NewProposal builds and signs a proposal: device (the multisig account's
// own key, which can still sign data though not transactions) pays amount
// to to, with memo as a plain message, valid from now for ttl (at most
// MaxProposalTTL).
func NewProposal(device *nem.PrivateKey, network nem.Network, to nem.Address, amount uint64, memo string, now time.Time, ttl time.Duration) (*Proposal, error) {
	if ttl <= 0 || ttl > MaxProposalTTL {
		return nil, fmt.Errorf("%w: ttl %v outside (0, 24h]", ErrBadProposal, ttl)
	}
	ts := nem.TimestampOf(now)
	p := &Proposal{
		Network: network, Account: device.PublicKey(), To: to, Amount: amount, Memo: memo,
		TimeStamp: ts, Deadline: ts + nem.Timestamp(ttl/time.Second),
	}
	p.Fee = tx.MinimumFee(p.inner())
	id, err := p.inner().Hash()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadProposal, err)
	}
	p.ID = id
	p.Sig = device.Sign(p.signed())
	return p, nil
}

func (p *Proposal) signed() []byte { return append([]byte(proposalDomain), p.ID[:]...) }

// inner is the payment as the multisig account's (unsigned) transaction.
func (p *Proposal) inner() *tx.Transaction {
	t := &tx.Transaction{
		Type: tx.TypeTransfer, Network: p.Network, TimeStamp: p.TimeStamp, Deadline: p.Deadline,
		Signer: p.Account, Recipient: p.To, Amount: p.Amount, Fee: p.Fee,
	}
	if p.Memo != "" {
		t.Message = tx.PlainMessage([]byte(p.Memo))
	}
	return t
}

// Inner returns the payment: the multisig account's transfer, unsigned, as
// it goes inside the multisig wrapper.
func (p *Proposal) Inner() *tx.Transaction { return p.inner() }

// Body returns the proposal as a TypeProposal message body; text is shown
// to the owner (e.g. "replacement pump and 1 h of labour").
func (p *Proposal) Body(text string) (*Body, error) {
	d := ProposalData{
		Account: p.Account.String(), To: p.To.String(), Amount: p.Amount, Memo: p.Memo,
		TimeStamp: p.TimeStamp, Deadline: p.Deadline, Fee: p.Fee,
		ID: p.ID.String(), Sig: hex.EncodeToString(p.Sig[:]),
	}
	js, err := json.Marshal(d)
	if err != nil {
		return nil, err
	}
	b := &Body{Type: TypeProposal, Text: text, Data: js}
	if _, err := b.Marshal(); err != nil {
		return nil, err
	}
	return b, nil
}

// ParseProposal reads a TypeProposal body and checks it: the transaction
// rebuilds to its ID, the device's signature of the ID verifies under the
// account's key, and the payee is on network. An owner's app then shows
// the payee and amount and asks before approving. Failures wrap
// ErrBadProposal.
func ParseProposal(network nem.Network, b *Body) (*Proposal, error) {
	if b == nil || b.Type != TypeProposal {
		return nil, fmt.Errorf("%w: not a proposal", ErrBadProposal)
	}
	var d ProposalData
	if err := strictjson.Unmarshal(b.Data, &d); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadProposal, err)
	}
	p := &Proposal{Network: network, Amount: d.Amount, Memo: d.Memo, TimeStamp: d.TimeStamp, Deadline: d.Deadline, Fee: d.Fee}
	var err error
	if p.Account, err = nem.ParsePublicKey(d.Account); err != nil {
		return nil, fmt.Errorf("%w: account: %v", ErrBadProposal, err)
	}
	if p.To, err = nem.ParseAddressOn(d.To, network); err != nil {
		return nil, fmt.Errorf("%w: payee: %v", ErrBadProposal, err)
	}
	if p.ID, err = tx.ParseHash(d.ID); err != nil {
		return nil, fmt.Errorf("%w: id: %v", ErrBadProposal, err)
	}
	if p.Sig, err = nem.ParseSignature(d.Sig); err != nil {
		return nil, fmt.Errorf("%w: sig: %v", ErrBadProposal, err)
	}
	if d.Deadline <= d.TimeStamp || time.Duration(d.Deadline-d.TimeStamp)*time.Second > MaxProposalTTL {
		return nil, fmt.Errorf("%w: deadline out of range", ErrBadProposal)
	}
	id, err := p.inner().Hash()
	if err != nil || id != p.ID {
		return nil, fmt.Errorf("%w: the payment does not hash to its id", ErrBadProposal)
	}
	if !p.Account.Verify(p.signed(), p.Sig) {
		return nil, fmt.Errorf("%w: the device's signature does not verify", ErrBadProposal)
	}
	return p, nil
}

// Wrap returns the multisig transaction that approves the proposal,
// initiated and signed by owner (a cosignatory of the account), dated now
// and valid until the proposal's deadline at the latest. Announce it; if
// the account needs more signatures, its other owners Cosign it.
func (p *Proposal) Wrap(owner *nem.PrivateKey, now time.Time) (*tx.Transaction, error) {
	ts := nem.TimestampOf(now)
	if ts >= p.Deadline {
		return nil, ErrExpired
	}
	w := &tx.Transaction{
		Type: tx.TypeMultisig, Network: p.Network, TimeStamp: ts,
		Deadline: min(p.Deadline, ts+nem.Timestamp(DefaultTTL/time.Second)),
		Inner:    p.inner(),
	}
	w.Fee = tx.MinimumFee(w)
	if _, err := w.Sign(owner); err != nil {
		return nil, err
	}
	return w, nil
}

// Cosign returns owner's signed cosignature of the pending multisig
// transaction w, dated now.
func Cosign(owner *nem.PrivateKey, w *tx.Transaction, now time.Time) (*tx.Transaction, error) {
	ts := nem.TimestampOf(now)
	if ts >= w.Deadline {
		return nil, ErrExpired
	}
	c, err := tx.NewCosignature(w, ts, w.Deadline)
	if err != nil {
		return nil, err
	}
	if _, err := c.Sign(owner); err != nil {
		return nil, err
	}
	return c, nil
}

// Approve is an owner's whole approval: if a node's unconfirmed pool
// already holds a multisig transaction for the proposal (another owner
// started it), owner cosigns it; otherwise owner wraps the proposal. The
// result is announced to every node. It returns the hash announced and
// whether it was a cosignature. An owner who already signed gets
// nis.ErrRejected-wrapped FAILURE_MULTISIG_MISMATCHED_SIGNATURE from the
// nodes, or nothing to do.
func Approve(ctx context.Context, nodes []*nis.Client, owner *nem.PrivateKey, p *Proposal, now time.Time) (tx.Hash, bool, error) {
	pending, err := findPending(ctx, nodes, owner.Address(p.Network), p.ID)
	if err != nil {
		return tx.Hash{}, false, err
	}
	var t *tx.Transaction
	cosign := pending != nil
	if cosign {
		if pending.Signer == owner.PublicKey() || slices.ContainsFunc(pending.Cosignatures, func(c *tx.Transaction) bool { return c.Signer == owner.PublicKey() }) {
			return tx.Hash{}, true, fmt.Errorf("talk: this owner already signed proposal %s", p.ID)
		}
		t, err = Cosign(owner, pending, now)
	} else {
		t, err = p.Wrap(owner, now)
	}
	if err != nil {
		return tx.Hash{}, cosign, err
	}
	st, err := t.Signed()
	if err != nil {
		return tx.Hash{}, cosign, err
	}
	h, err := Announce(ctx, nodes, st)
	return h, cosign, err
}

// findPending asks the nodes' unconfirmed pools (which differ between
// nodes) for a multisig transaction whose inner hash is id, and returns
// the first that verifies.
func findPending(ctx context.Context, nodes []*nis.Client, owner nem.Address, id tx.Hash) (*tx.Transaction, error) {
	var errs []error
	for _, c := range nodes {
		list, err := c.UnconfirmedTransactions(ctx, owner)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, u := range list {
			w := u.Transaction
			if w == nil || w.Type != tx.TypeMultisig || w.Inner == nil {
				continue
			}
			if ih, err := w.InnerHash(); err != nil || ih != id || w.Verify() != nil {
				continue
			}
			return w, nil
		}
	}
	if len(errs) == len(nodes) {
		return nil, fmt.Errorf("talk: no node answered: %w", errors.Join(errs...))
	}
	return nil, nil
}
