package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nemiot/nemiot/nem"
	"github.com/nemiot/nemiot/nem/tx"
	"github.com/nemiot/nemiot/talk"
)

func TestRun(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out bytes.Buffer
	res, err := run(ctx, &out)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	want := []struct {
		winner   string
		price    uint64
		approved bool
	}{{"EV charger", 14 * xemUnit, false}, {"heat pump", 60 * xemUnit, true}}
	if len(res.sales) != len(want) {
		t.Fatalf("%d sales, want %d", len(res.sales), len(want))
	}
	for i, w := range want {
		sl := res.sales[i]
		if sl.winner != w.winner || sl.price != w.price || sl.approved != w.approved {
			t.Errorf("lot %d went to %s for %d µXEM (approved %v), want %s for %d (approved %v)", sl.lot, sl.winner, sl.price, sl.approved, w.winner, w.price, w.approved)
		}
		if sl.award.IsZero() || sl.payment.IsZero() || sl.delivered.IsZero() {
			t.Errorf("lot %d: award %s, payment %s, delivered %s: a step is missing", sl.lot, sl.award, sl.payment, sl.delivered)
		}
		if sl.valid[0].msg.Hash != sl.bids[w.winner] {
			t.Errorf("lot %d: the winning bid is not the winner's bid message", sl.lot)
		}
	}
	// Lot 1: the heat pump's real bid (12 XEM) counted, not node 3's copy
	// (40 XEM), and the water heater's 8 XEM did not count.
	lot1 := res.sales[0]
	var counted []string
	for _, b := range lot1.valid {
		counted = append(counted, fmt.Sprintf("%s %d", b.bidder.name, b.amount/xemUnit))
		if b.msg.Hash != lot1.bids[b.bidder.name] {
			t.Errorf("%s's counted bid %s is not the one it sent", b.bidder.name, b.msg.Hash)
		}
	}
	if got := strings.Join(counted, ", "); got != "EV charger 14, heat pump 12" {
		t.Errorf("lot 1 counted %q", got)
	}
	// Exactly the two refusals, once each, whatever node 3 repeats.
	if len(res.refusals) != 2 {
		t.Errorf("refusals: %v, want the forged and the low bid", res.refusals)
	}
	for _, r := range res.refusals {
		switch r.Reason {
		case talk.ReasonForged:
			if r.Node != 3 || r.Hash != lot1.bids["heat pump"] || !errors.Is(r, tx.ErrHashMismatch) {
				t.Errorf("forged refusal %v: want node 3, the heat pump's bid, a hash mismatch", r)
			}
		case reasonBelowReserve:
			if r.Node != -1 || r.Hash != lot1.bids["water heater"] {
				t.Errorf("below-reserve refusal %v: want the water heater's bid", r)
			}
		default:
			t.Errorf("unexpected refusal %v", r)
		}
	}
	// The panel took 74 XEM into its budget, and the chain agrees.
	if res.accepted != 74*xemUnit {
		t.Errorf("panel accepted %d µXEM, want 74 XEM", res.accepted)
	}
	if res.fees == 0 || res.balance != res.float+74*xemUnit-res.fees {
		t.Errorf("panel's messenger holds %d µXEM, want %d + 74 XEM - %d of fees", res.balance, res.float, res.fees)
	}
	s := out.String()
	for _, w := range []string{"from its messenger on its own", "it asks its owner", "approved (multisig transaction",
		"node 3 lists as", "below the reserve of 10 XEM", `"20 kWh delivered (lot 2)"`, "Scenario complete: 25 kWh sold for 74 XEM."} {
		if !strings.Contains(s, w) {
			t.Errorf("output lacks %q:\n%s", w, s)
		}
	}
	if !strings.Contains(s, "REDACTED") {
		t.Errorf("the messenger key is not shown redacted:\n%s", s)
	}
	if len(res.keys) != 12 {
		t.Errorf("%d keys recorded, want 12 (4 devices, their owners and messengers)", len(res.keys))
	}
	for _, k := range res.keys {
		if h := k.Hex(); strings.Contains(strings.ToLower(s), strings.ToLower(h)) {
			t.Errorf("a secret key is printed")
		}
	}
}

// The panel's own checks of bids and payments, each refusal through the
// inbox's OnRefuse with its reason (no network needed).
func TestPanelChecks(t *testing.T) {
	newKey := func() *nem.PrivateKey {
		k, err := nem.GeneratePrivateKey(nil)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	newDevice := func(name string) *device {
		return &device{name: name, key: newKey(), msgr: &talk.Messenger{Key: newKey(), Network: nem.Testnet}}
	}
	var refused []*talk.RefusedError
	panel := newDevice("solar panel")
	panel.budget = &talk.Budget{AcceptLimit: 20 * xemUnit}
	panel.inbox = &talk.Inbox{OnRefuse: func(e *talk.RefusedError) { refused = append(refused, e) }}
	ev, hp := newDevice("EV charger"), newDevice("heat pump")
	offerEV, offerHP, lot0 := tx.Hash{1}, tx.Hash{2}, tx.Hash{3}
	s := &scene{panel: panel, offers: map[tx.Hash]offerRef{offerEV: {1, ev}, offerHP: {1, hp}, lot0: {0, ev}}}
	l, closes := lots[0], int64(100)
	data := func(d *device, xem uint64) string {
		return fmt.Sprintf(`{"amount":%d,"account":%q}`, xem*xemUnit, d.key.PublicKey().String())
	}
	bid := func(n byte, from *device, re tx.Hash, height int64, data string) *talk.Message {
		return &talk.Message{Hash: tx.Hash{n}, From: from.msgr.PublicKey(), Height: height,
			Body: &talk.Body{Type: talk.TypeBid, Re: re, Data: json.RawMessage(data)}}
	}
	cases := []struct {
		m    *talk.Message
		want talk.Reason // "": valid
	}{
		{bid(10, ev, lot0, 90, data(ev, 14)), reasonNotOffered},
		{bid(11, ev, tx.Hash{9}, 90, data(ev, 14)), reasonNotOffered},
		{bid(12, hp, offerEV, 90, data(hp, 14)), talk.ReasonStranger},
		{bid(13, ev, offerEV, closes+1, data(ev, 14)), reasonLate},
		{bid(14, ev, offerEV, 90, `{"amount":"14"}`), talk.ReasonBody},
		{bid(15, ev, offerEV, 90, `{"amount":14000000,"account":"zz"}`), talk.ReasonBody},
		{bid(16, ev, offerEV, 90, data(ev, 8)), reasonBelowReserve},
		{bid(17, ev, offerEV, 91, data(ev, 14)), ""}, // a refused bid does not use up the bidder's bid
		{bid(18, ev, offerEV, 92, data(ev, 15)), reasonSecondBid},
		{bid(19, hp, offerHP, closes, data(hp, 10)), ""}, // the reserve itself, at the close
	}
	seen := map[*device]bool{}
	var valid []bidRec
	for _, c := range cases {
		n := len(refused)
		b, ok := s.checkBid(c.m, l, closes, seen)
		switch {
		case c.want == "" && (!ok || len(refused) != n):
			t.Errorf("bid %x refused: %v", c.m.Hash[0], refused[n:])
		case c.want == "":
			valid = append(valid, b)
		case ok || len(refused) != n+1 || refused[n].Reason != c.want || refused[n].Hash != c.m.Hash:
			t.Errorf("bid %x: ok %v, refusals %v, want one %s", c.m.Hash[0], ok, refused[n:], c.want)
		}
	}
	if len(valid) != 2 || valid[0].amount != 14*xemUnit || valid[0].account != ev.key.PublicKey() || valid[1].bidder != hp {
		t.Fatalf("valid bids %+v", valid)
	}

	win := valid[0]
	pay := func(n byte, from nem.PublicKey, amount uint64) *talk.Message {
		return &talk.Message{Hash: tx.Hash{n}, From: from, Amount: amount, Body: &talk.Body{Type: talk.TypeText}}
	}
	n := len(refused)
	for _, m := range []*talk.Message{pay(30, hp.msgr.PublicKey(), 14*xemUnit), pay(31, ev.msgr.PublicKey(), 13*xemUnit)} {
		if err := s.checkPayment(m, win, 14*xemUnit); !errors.Is(err, talk.ErrRefused) {
			t.Errorf("payment %x: %v, want refused", m.Hash[0], err)
		}
	}
	if len(refused) != n+2 || refused[n].Reason != talk.ReasonWrongPay || refused[n+1].Reason != talk.ReasonWrongPay {
		t.Errorf("wrong payments: refusals %v", refused[n:])
	}
	if _, acc := panel.budget.Used(); acc != 0 {
		t.Errorf("a refused payment was accepted: %d", acc)
	}
	// From the account the bid named (a payment its owner approved).
	if err := s.checkPayment(pay(32, ev.key.PublicKey(), 14*xemUnit), win, 14*xemUnit); err != nil {
		t.Errorf("the right payment: %v", err)
	}
	// Over the panel's budget: not a refusal of the payment, the scenario stops.
	err := s.checkPayment(pay(33, ev.msgr.PublicKey(), 10*xemUnit), bidRec{bidder: ev, msg: win.msg, account: win.account}, 10*xemUnit)
	if !errors.Is(err, talk.ErrOverBudget) || errors.Is(err, talk.ErrRefused) {
		t.Errorf("over budget: %v", err)
	}
	if _, acc := panel.budget.Used(); acc != 14*xemUnit {
		t.Errorf("accepted %d µXEM, want 14 XEM", acc)
	}
}
