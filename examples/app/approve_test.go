package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nemiot/nemiot/nem"
	"github.com/nemiot/nemiot/nem/keyfile"
	"github.com/nemiot/nemiot/nem/nis"
	"github.com/nemiot/nemiot/nem/nis/nistest"
	"github.com/nemiot/nemiot/talk"
)

func TestApprove(t *testing.T) {
	net := nistest.NewNetwork(t, 3, nil)
	ctx := context.Background()
	device, owner := net.NewAccount(), net.NewAccount()
	if _, err := net.ConvertToMultisig(device, 1, owner.PublicKey()); err != nil {
		t.Fatal(err)
	}
	msgr, _ := talk.DeriveMessenger(device)
	if _, err := net.Fund(msgr.Address(net.NetworkID()), 10_000_000); err != nil {
		t.Fatal(err)
	}
	var nodes []*nis.Client
	for _, u := range net.URLs() {
		nodes = append(nodes, nis.NewClient(u, nil))
	}
	supplier := net.NewAccount().Address(net.NetworkID())
	propose := func() (*talk.Proposal, string) {
		p, err := talk.NewProposal(device, net.NetworkID(), supplier, 42_000_000, "pump", net.Time(), time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := p.Body("pump broke")
		m := &talk.Messenger{Key: msgr, Network: net.NetworkID(), Nodes: nodes, Clock: net.Time}
		h, err := m.Send(ctx, owner.PublicKey(), 0, b)
		if err != nil {
			t.Fatal(err)
		}
		return p, h.String()
	}
	keyPath := filepath.Join(t.TempDir(), "owner.key")
	if err := keyfile.Write(keyPath, owner, "test owner"); err != nil {
		t.Fatal(err)
	}
	app := func(args ...string) (int, string) {
		var out, errb bytes.Buffer
		code := run(ctx, append([]string{"approve", "-key", keyPath, "-nodes", strings.Join(net.URLs(), ",")}, args...), &out, &errb)
		return code, out.String() + errb.String()
	}
	p, h := propose()
	other, _ := nem.GeneratePrivateKey(nil)
	if code, out := app("-device", other.PublicKey().String(), "-msg", h, "-yes"); code != 1 || !strings.Contains(out, "not approving") {
		t.Errorf("wrong device: exit %d\n%s", code, out)
	}
	if code, out := app("-device", device.PublicKey().String(), "-msg", h); code != 0 || !strings.Contains(out, "pay 42.000000 XEM to "+supplier.String()) {
		t.Errorf("show: exit %d\n%s", code, out)
	}
	code, out := app("-device", device.PublicKey().String(), "-msg", h, "-yes")
	if code != 0 || !strings.Contains(out, "approved") {
		t.Fatalf("approve: exit %d\n%s", code, out)
	}
	w := &talk.Watcher{Nodes: nodes, Clock: net.Time}
	if ct, err := w.Confirmed(ctx, p); err != nil || ct == nil {
		t.Fatalf("payment not confirmed: %v", err)
	}

	// Rejecting sends the messenger a reject message.
	in := &talk.Inbox{Accounts: []*nem.PrivateKey{msgr}, Network: net.NetworkID(), Nodes: nodes, Since: net.Height() + 1}
	_, h2 := propose()
	if code, out := app("-device", device.PublicKey().String(), "-msg", h2, "-reject", "not now"); code != 0 || !strings.Contains(out, "rejected") {
		t.Fatalf("reject: exit %d\n%s", code, out)
	}
	msgs, err := in.Poll(ctx)
	if err != nil || len(msgs) != 1 || msgs[0].Body.Type != talk.TypeReject || msgs[0].Body.Re.String() != h2 || msgs[0].Body.Text != "not now" {
		t.Fatalf("device inbox: %v %+v", err, msgs)
	}
	if code, _ := app("-device", device.PublicKey().String(), "-msg", "zz"); code != 2 {
		t.Errorf("bad -msg: exit %d", code)
	}
}
