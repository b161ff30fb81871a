package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/nemiot/nemiot/nem"
	"github.com/nemiot/nemiot/nem/keyfile"
	"github.com/nemiot/nemiot/nem/nis"
	"github.com/nemiot/nemiot/nem/tx"
	"github.com/nemiot/nemiot/talk"
)

// approveUsage documents the approve subcommand.
const approveUsage = `usage: app approve -key FILE -nodes URL,URL,... -device HEX -msg HASH [-yes | -reject REASON]

Reads the proposal message HASH (a payment the device asks its owners to
approve, sent to this owner's account), checks it (the payment rebuilds to
the id the device signed with its own key, HEX), prints it, and with -yes
approves it: it starts the multisig transaction or, when another owner has
started it, cosigns it, and announces that to the nodes. With -reject it
sends the device's messenger an encrypted "reject" message instead.
Without -yes or -reject it only shows the proposal.`

// runApprove is "app approve": exit 0 when the proposal was shown, approved
// or rejected as asked, 1 on failure, 2 on bad usage.
func runApprove(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("app approve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintln(stderr, approveUsage) }
	keyPath := fs.String("key", "", "`FILE` holding the owner's private key (else $"+KeyEnv+")")
	nodesFlag := fs.String("nodes", "", "NIS node `URLs`, comma-separated")
	deviceHex := fs.String("device", "", "the device's public key (`HEX`): the account that pays")
	msgHex := fs.String("msg", "", "`HASH` of the proposal message")
	yes := fs.Bool("yes", false, "approve")
	reject := fs.String("reject", "", "reject, with this `REASON`")
	timeout := fs.Duration("timeout", 30*time.Second, "how long to wait for the nodes")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	usage := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "app approve: "+format+"\n", a...)
		return 2
	}
	if *yes && *reject != "" {
		return usage("-yes and -reject exclude each other")
	}
	device, err := nem.ParsePublicKey(*deviceHex)
	if err != nil {
		return usage("-device: %v", err)
	}
	h, err := tx.ParseHash(*msgHex)
	if err != nil {
		return usage("-msg: %v", err)
	}
	var nodes []*nis.Client
	for u := range strings.SplitSeq(*nodesFlag, ",") {
		if u = strings.TrimSpace(u); u != "" {
			nodes = append(nodes, nis.NewClient(u, nil))
		}
	}
	if len(nodes) == 0 {
		return usage("-nodes: give at least one NIS node")
	}
	kf, err := keyfile.LoadFile(*keyPath, KeyEnv)
	if err != nil {
		return usage("%v", err)
	}
	for _, w := range kf.Warnings {
		fmt.Fprintf(stderr, "app approve: warning: %v\n", w)
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "app approve: "+format+"\n", a...)
		return 1
	}
	network, now, err := nodeNetwork(ctx, nodes)
	if err != nil {
		return fail("%v", err)
	}
	if kf.Network.Valid() && kf.Network != network {
		return fail("the key file is for another network than the nodes")
	}
	p, from, err := readProposal(ctx, nodes, kf.Key, network, h)
	if err != nil {
		return fail("%v", err)
	}
	if p.Account != device {
		return fail("proposal %s is for device %s, not %s: not approving", h, p.Account, device)
	}
	fmt.Fprintf(stdout, "proposal %s from device %s\n  pay %s XEM to %s\n  memo %q\n  expires %s\n",
		h, device, xem(p.Amount), p.To, p.Memo, p.Deadline.Time().Format(time.RFC3339))
	switch {
	case *yes:
		ah, cosigned, err := talk.Approve(ctx, nodes, kf.Key, p, now)
		if err != nil {
			return fail("approving: %v", err)
		}
		what := "approved (multisig transaction started)"
		if cosigned {
			what = "approved (cosigned)"
		}
		fmt.Fprintf(stdout, "%s: %s\n", what, ah)
	case *reject != "":
		m := &talk.Messenger{Key: kf.Key, Network: network, Nodes: nodes, Clock: func() time.Time { return now }}
		rh, err := m.Send(ctx, from, 0, &talk.Body{Type: talk.TypeReject, Re: h, Text: *reject})
		if err != nil {
			return fail("rejecting: %v", err)
		}
		fmt.Fprintf(stdout, "rejected: %s\n", rh)
	default:
		fmt.Fprintln(stdout, "(run again with -yes to approve or -reject REASON to refuse)")
	}
	return 0
}

// nodeNetwork asks the first node that answers for its network and time.
func nodeNetwork(ctx context.Context, nodes []*nis.Client) (nem.Network, time.Time, error) {
	var errs []error
	for _, c := range nodes {
		info, err := c.NodeInfo(ctx)
		if err == nil {
			var now time.Time
			if now, err = c.NetworkTime(ctx); err == nil {
				return info.Network, now, nil
			}
		}
		errs = append(errs, err)
	}
	return 0, time.Time{}, fmt.Errorf("no node answered: %w", errors.Join(errs...))
}

// readProposal fetches the message h from a node, verifies it, decrypts it
// with the owner's key and checks the proposal it carries. It returns the
// proposal and the key of the account that sent it (the device's messenger).
func readProposal(ctx context.Context, nodes []*nis.Client, owner *nem.PrivateKey, network nem.Network, h tx.Hash) (*talk.Proposal, nem.PublicKey, error) {
	var errs []error
	for _, c := range nodes {
		ct, err := c.Transaction(ctx, h)
		if err == nil {
			err = ct.Verify()
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		t := ct.Transfer()
		if t == nil || t.Recipient != owner.Address(network) || t.Message.Type != tx.MessageEncrypted {
			return nil, nem.PublicKey{}, fmt.Errorf("%s is not an encrypted message to this owner", h)
		}
		plain, err := t.Message.Decrypt(owner, t.Signer)
		if err != nil {
			return nil, nem.PublicKey{}, fmt.Errorf("%s does not decrypt with this key", h)
		}
		b, err := talk.ParseBody(plain, nil)
		if err != nil {
			return nil, nem.PublicKey{}, err
		}
		p, err := talk.ParseProposal(network, b)
		return p, t.Signer, err
	}
	return nil, nem.PublicKey{}, fmt.Errorf("no node has message %s: %w", h, errors.Join(errs...))
}

// xem formats micro-XEM as XEM.
func xem(micro uint64) string {
	return fmt.Sprintf("%d.%06d", micro/1_000_000, micro%1_000_000)
}
