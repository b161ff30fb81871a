package talk_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/nemiot/nemiot/command"
	"github.com/nemiot/nemiot/nem"
	"github.com/nemiot/nemiot/nem/tx"
	"github.com/nemiot/nemiot/talk"
)

// ownerInbox is the inbox of an owner's own account.
func (w *world) ownerInbox(owner *nem.PrivateKey) *talk.Inbox {
	return &talk.Inbox{Accounts: []*nem.PrivateKey{owner}, Network: w.net.NetworkID(), Nodes: w.nodes, Since: w.net.Height() + 1}
}

func TestProposalTwoOfThree(t *testing.T) {
	w := newWorld(t, 3)
	ctx := context.Background()
	b, c := w.net.NewAccount(), w.net.NewAccount()
	if _, err := w.net.ModifyMultisig(w.device.PublicKey(), []nem.PublicKey{b.PublicKey(), c.PublicKey()}, nil, 1, w.owner); err != nil {
		t.Fatal(err)
	}
	supplier := w.net.NewAccount().Address(w.net.NetworkID())
	inboxA, inboxB := w.ownerInbox(w.owner), w.ownerInbox(b)
	since := w.net.Height()

	// The device proposes and tells owners A and B.
	p, err := talk.NewProposal(w.device, w.net.NetworkID(), supplier, 120_000_000, "order 7: pump + 1h labour", w.net.Time(), 2*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	body, err := p.Body("The pump failed. Order a replacement (120 XEM)?")
	if err != nil {
		t.Fatal(err)
	}
	m := w.sender(w.msgr)
	for _, o := range []*nem.PrivateKey{w.owner, b} {
		if _, err := m.Send(ctx, o.PublicKey(), 0, body); err != nil {
			t.Fatal(err)
		}
	}
	watch := &talk.Watcher{Nodes: w.nodes, Since: since, Clock: w.net.Time,
		Owners: command.StaticOwners(w.owner.PublicKey(), b.PublicKey(), c.PublicKey())}

	approve := func(in *talk.Inbox, owner *nem.PrivateKey, wantCosign bool) {
		t.Helper()
		msgs := poll(t, in)
		if len(msgs) != 1 || msgs[0].Body.Type != talk.TypeProposal {
			t.Fatalf("owner inbox: %v", hashes(msgs))
		}
		got, err := talk.ParseProposal(w.net.NetworkID(), msgs[0].Body)
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != p.ID || got.To != supplier || got.Amount != 120_000_000 || got.Account != w.device.PublicKey() {
			t.Fatalf("parsed %+v", got)
		}
		_, cosign, err := talk.Approve(ctx, w.nodes, owner, got, w.net.Time())
		if err != nil || cosign != wantCosign {
			t.Fatalf("Approve: cosign %v, %v", cosign, err)
		}
	}
	approve(inboxA, w.owner, false)
	if ct, err := watch.Confirmed(ctx, p); ct != nil || err != nil {
		t.Fatalf("confirmed with one of two signatures: %v %v", ct, err)
	}
	approve(inboxB, b, true)
	ct, err := watch.Confirmed(ctx, p)
	if err != nil || ct == nil {
		t.Fatalf("after the cosignature: %v %v", ct, err)
	}
	if tr := ct.Transfer(); tr.Recipient != supplier || tr.Amount != 120_000_000 || string(tr.Message.Payload) != p.Memo {
		t.Errorf("payment %+v", tr)
	}
	acct, err := w.nodes[0].Account(ctx, supplier)
	if err != nil || acct.Balance != 1_000_000_000+120_000_000 {
		t.Errorf("supplier balance %v, %v", acct, err)
	}
	// A watcher that knows other owners refuses the payment's signers.
	strict := *watch
	strict.Owners = command.StaticOwners(c.PublicKey())
	if _, err := strict.Confirmed(ctx, p); !errors.Is(err, talk.ErrRefused) {
		t.Errorf("signers not owners: %v", err)
	}
}

func TestProposalExpiresAndRejects(t *testing.T) {
	w := newWorld(t, 3)
	ctx := context.Background()
	supplier := w.net.NewAccount().Address(w.net.NetworkID())
	p, err := talk.NewProposal(w.device, w.net.NetworkID(), supplier, 5_000_000, "", w.net.Time(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := p.Body("new filter?")
	devInbox := w.inbox()
	ownerIn := w.ownerInbox(w.owner)
	ph, err := w.sender(w.msgr).Send(ctx, w.owner.PublicKey(), 0, body)
	if err != nil {
		t.Fatal(err)
	}
	// The owner rejects: a message answering the proposal's message.
	msgs := poll(t, ownerIn)
	if len(msgs) != 1 || msgs[0].Hash != ph {
		t.Fatalf("owner got %v", hashes(msgs))
	}
	if _, err := w.sender(w.owner).Send(ctx, msgs[0].From, 0, &talk.Body{Type: talk.TypeReject, Re: ph, Text: "too expensive"}); err != nil {
		t.Fatal(err)
	}
	got := poll(t, devInbox)
	if len(got) != 1 || got[0].Body.Type != talk.TypeReject || got[0].Body.Re != ph || got[0].From != w.owner.PublicKey() {
		t.Fatalf("device got %+v", got)
	}
	// Nobody pays: past the deadline the watcher says expired, and an
	// owner can no longer approve.
	watch := &talk.Watcher{Nodes: w.nodes, Since: w.net.Height() - 5, Clock: w.net.Time}
	if ct, err := watch.Confirmed(ctx, p); ct != nil || err != nil {
		t.Fatalf("before the deadline: %v %v", ct, err)
	}
	w.net.Advance(70, time.Hour+talk.ExpiryGrace+time.Minute)
	if _, err := watch.Confirmed(ctx, p); !errors.Is(err, talk.ErrExpired) {
		t.Errorf("after the deadline: %v", err)
	}
	if _, _, err := talk.Approve(ctx, w.nodes, w.owner, p, w.net.Time()); !errors.Is(err, talk.ErrExpired) {
		t.Errorf("approving late: %v", err)
	}
}

func TestParseProposalRefuses(t *testing.T) {
	dev, _ := nem.GeneratePrivateKey(nil)
	other, _ := nem.GeneratePrivateKey(nil)
	to := other.Address(nem.Testnet)
	now := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	mk := func(k *nem.PrivateKey) *talk.Proposal {
		p, err := talk.NewProposal(k, nem.Testnet, to, 1_000_000, "x", now, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	ok := mk(dev)
	b, _ := ok.Body("")
	if _, err := talk.ParseProposal(nem.Testnet, b); err != nil {
		t.Fatalf("valid: %v", err)
	}
	if _, err := talk.ParseProposal(nem.Mainnet, b); !errors.Is(err, talk.ErrBadProposal) {
		t.Errorf("other network: %v", err)
	}
	cases := map[string]func(p *talk.Proposal){
		"amount raised":   func(p *talk.Proposal) { p.Amount *= 10 },
		"payee changed":   func(p *talk.Proposal) { p.To = dev.Address(nem.Testnet) },
		"signed by other": func(p *talk.Proposal) { q := mk(other); p.Sig = q.Sig },
		"account swapped": func(p *talk.Proposal) { p.Account = other.PublicKey() },
		"deadline 2 days": func(p *talk.Proposal) { p.Deadline = p.TimeStamp + 2*86400 },
		"id of another":   func(p *talk.Proposal) { p.ID = tx.Hash{9} },
	}
	for name, f := range cases {
		p := mk(dev)
		f(p)
		b, err := p.Body("")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := talk.ParseProposal(nem.Testnet, b); !errors.Is(err, talk.ErrBadProposal) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
