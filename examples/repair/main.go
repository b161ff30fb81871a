// Command repair plays a device that orders its own repair through the NEM
// chain, on a local nistest network (no internet, nothing to configure):
//
//  1. a pump controller (a device whose account is a multisig account of
//     its owner) detects a fault;
//  2. it proposes a payment from its own account to the supplier, for a
//     replacement part and the labour, and sends the proposal to its owner
//     as an encrypted message from its messenger account;
//  3. the owner's app reads the proposal, checks that the device signed it,
//     and approves it (what "go run ./examples/app approve -yes" does);
//  4. the device sees the payment confirmed by a quorum of nodes, verified
//     locally, and logs the order, which it sends to the supplier.
//
// Meanwhile a stranger tries to cancel the order with a forged "reject"
// and one node lies about the device's inbox; both are refused.
//
// Usage:
//
//	go run ./examples/repair
//
// Exit status 0 only if the scenario completed: the payment confirmed and
// the order sent. 1 otherwise.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/nemiot/nemiot/command"
	"github.com/nemiot/nemiot/nem"
	"github.com/nemiot/nemiot/nem/nis"
	"github.com/nemiot/nemiot/nem/nis/nistest"
	"github.com/nemiot/nemiot/nem/tx"
	"github.com/nemiot/nemiot/talk"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := run(ctx, os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "repair: %v\n", err)
		os.Exit(1)
	}
}

const (
	price = 120_000_000 // 120 XEM: the pump and one hour of labour
	memo  = "order PX-200 pump + 1h labour, ref pump-7"
)

func run(ctx context.Context, out io.Writer) error {
	say := func(format string, a ...any) { fmt.Fprintf(out, format+"\n", a...) }
	net, err := nistest.Start(5, nil)
	if err != nil {
		return err
	}
	defer net.Close()
	network := net.NetworkID()
	var nodes []*nis.Client
	for _, u := range net.URLs() {
		nodes = append(nodes, nis.NewClient(u, nil))
	}
	block := func() { net.Advance(1, time.Minute) } // a minute passes, a block is mined

	device, owner, supplier, stranger := net.NewAccount(), net.NewAccount(), net.NewAccount(), net.NewAccount()
	if _, err := net.ConvertToMultisig(device, 1, owner.PublicKey()); err != nil {
		return err
	}
	msgrKey, err := talk.DeriveMessenger(device)
	if err != nil {
		return err
	}
	if _, err := net.Fund(msgrKey.Address(network), 5_000_000); err != nil {
		return err
	}
	say("A local NEM network of %d nodes is up.", len(nodes))
	say("The pump controller's account %s belongs to its owner (1-of-1 multisig).", device.Address(network).Pretty())
	say("It talks through its messenger account %s (key %v, derived from the device key).", msgrKey.Address(network).Pretty(), msgrKey)

	msgr := &talk.Messenger{Key: msgrKey, Network: network, Nodes: nodes, Clock: net.Time}
	var refusals []*talk.RefusedError
	devInbox := &talk.Inbox{
		Accounts: []*nem.PrivateKey{msgrKey, device}, Network: network, Nodes: nodes,
		Confirmations: 2, Since: net.Height() + 1,
		Accept:   func(k nem.PublicKey) bool { return k == owner.PublicKey() || k == device.PublicKey() },
		OnRefuse: func(e *talk.RefusedError) { refusals = append(refusals, e) },
	}
	ownerInbox := &talk.Inbox{Accounts: []*nem.PrivateKey{owner}, Network: network, Nodes: nodes, Since: net.Height() + 1}

	// 1-2. Fault, proposal.
	say("")
	say("Device: pressure sensor reads 0.2 bar at full speed: the pump has failed.")
	start := net.Height()
	p, err := talk.NewProposal(device, network, supplier.Address(network), price, memo, net.Time(), 6*time.Hour)
	if err != nil {
		return err
	}
	body, err := p.Body("Pump failed (0.2 bar at full speed). Order a PX-200 and one hour of labour for 120 XEM?")
	if err != nil {
		return err
	}
	ph, err := msgr.Send(ctx, owner.PublicKey(), 0, body)
	if err != nil {
		return fmt.Errorf("sending the proposal: %w", err)
	}
	say("Device: asked the owner to pay 120 XEM to the supplier %s (proposal %s, expires %s).",
		supplier.Address(network).Pretty(), short(ph), p.Deadline.Time().Format("15:04 MST"))

	// A stranger forges a "reject", and node 2 lists a made-up message.
	if _, err := (&talk.Messenger{Key: stranger, Network: network, Nodes: nodes, Clock: net.Time}).
		Send(ctx, msgrKey.PublicKey(), 0, &talk.Body{Type: talk.TypeReject, Re: ph, Text: "cancel the order"}); err != nil {
		return err
	}
	fake, err := (&talk.Messenger{Key: owner, Network: network, Clock: net.Time}).Transfer(msgrKey.PublicKey(), 0, &talk.Body{Type: talk.TypeReject, Re: ph})
	if err != nil {
		return err
	}
	claimed, _ := fake.Hash()
	fake.Amount = 1 // changed after signing: a forgery
	if err := net.Node(2).SetBehavior(nistest.Behavior{Tamper: &nistest.Tamper{Inject: []nistest.Injected{
		{Account: msgrKey.Address(network), Transaction: fake, Hash: claimed},
	}}}); err != nil {
		return err
	}
	block()

	// 3. The owner's app.
	say("")
	msgs, err := ownerInbox.Poll(ctx)
	if err != nil {
		return err
	}
	var got *talk.Proposal
	for _, m := range msgs {
		if m.Body == nil || m.Body.Type != talk.TypeProposal || m.Hash != ph {
			continue
		}
		if got, err = talk.ParseProposal(network, m.Body); err != nil {
			return fmt.Errorf("owner: the proposal does not check out: %w", err)
		}
		say("Owner's app: message %s says: %q", short(m.Hash), m.Body.Text)
	}
	if got == nil || got.Account != device.PublicKey() {
		return errors.New("owner: no proposal from the device arrived")
	}
	say("Owner's app: signed by the device; pays %d XEM to %s, memo %q.", got.Amount/1_000_000, got.To.Pretty(), got.Memo)
	ah, _, err := talk.Approve(ctx, nodes, owner, got, net.Time())
	if err != nil {
		return fmt.Errorf("owner: approving: %w", err)
	}
	say("Owner's app: approved (go run ./examples/app approve -msg %s -yes): multisig transaction %s.", short(ph), short(ah))

	// 4. The device waits for the payment.
	say("")
	watch := &talk.Watcher{Nodes: nodes, Confirmations: 2, Since: start, Clock: net.Time, Owners: command.StaticOwners(owner.PublicKey())}
	var paid *tx.ConfirmedTransaction
	for i := 0; paid == nil; i++ {
		if i == 10 {
			return errors.New("device: the payment was not confirmed")
		}
		msgs, err := devInbox.Poll(ctx)
		if err != nil {
			return err
		}
		for _, m := range msgs {
			if m.Body != nil && m.Body.Type == talk.TypeReject && m.Body.Re == ph {
				return fmt.Errorf("device: the owner rejected the order: %s", m.Body.Text)
			}
		}
		if paid, err = watch.Confirmed(ctx, p); err != nil {
			return fmt.Errorf("device: %w", err)
		}
		if paid == nil {
			say("Device: payment not confirmed yet; a block later…")
			block()
		}
	}
	told := map[string]bool{}
	for _, r := range refusals {
		if k := string(r.Reason) + r.Hash.String(); !told[k] {
			told[k] = true
			say("Device: ignored %s", describe(r))
		}
	}
	if len(refusals) < 2 {
		return fmt.Errorf("device: expected the stranger's and the forged message to be refused, got %d refusals", len(refusals))
	}
	say("Device: payment %s confirmed at height %d (%d nodes agree, verified locally).", short(paid.Hash), paid.Height, len(nodes)/2+1)
	order, err := msgr.Send(ctx, supplier.PublicKey(), 0, &talk.Body{Type: talk.TypeOrder, Re: paid.Hash, Text: memo})
	if err != nil {
		return fmt.Errorf("device: sending the order: %w", err)
	}
	say("Device: order logged and sent to the supplier (message %s): %s.", short(order), memo)
	acct, err := nodes[0].Account(ctx, supplier.Address(network))
	if err != nil {
		return err
	}
	say("Supplier's balance: %d XEM.", acct.Balance/1_000_000)
	say("")
	say("Scenario complete.")
	return nil
}

func short(h tx.Hash) string { return h.String()[:12] }

// describe says why a transfer was refused, for a person.
func describe(r *talk.RefusedError) string {
	switch r.Reason {
	case talk.ReasonForged:
		return fmt.Sprintf("message %s from node %d: forged (its content does not match its hash or signature)", short(r.Hash), r.Node)
	case talk.ReasonStranger:
		return fmt.Sprintf("message %s: from a stranger, not from the owner", short(r.Hash))
	default:
		return fmt.Sprintf("message %s: %v", short(r.Hash), r)
	}
}
