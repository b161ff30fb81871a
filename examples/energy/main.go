// Command energy plays a solar panel that sells its surplus energy to the
// devices next door through the NEM chain, highest bid wins, on a local
// nistest network (no internet, nothing to configure). Every device (the
// panel, an EV charger, a heat pump and a water heater) has its own account,
// a 1-of-1 multisig account of its owner, and talks through its messenger
// account (talk.DeriveMessenger) with encrypted messages:
//
//  1. the panel offers a lot of kWh with a reserve price to each neighbour
//     ("offer": lot, kWh, reserve, the last block height for bids);
//  2. each neighbour bids from its own messenger account ("bid": amount,
//     and its own account, which may pay instead of the messenger);
//  3. once bids are closed and settled, the panel awards the lot to the
//     highest valid bid ("award", answering the bid);
//  4. the winner pays the panel's messenger account, with a message
//     answering the award; the panel checks payer, amount and award, takes
//     the payment into its talk.Budget, delivers the energy and confirms it
//     ("delivered", answering the payment).
//
// Lot 1 is sold without anyone's approval: the winner pays from its
// messenger within its own budget, and the panel accepts within its own.
// Lot 2's winning bid is over the winner's budget, so the winner proposes
// the payment from its own (multisig) account to its owner, who approves
// it, and the payment arrives from there.
//
// Meanwhile a bid below the reserve is refused, and node 3 lies: it hides
// the heat pump's bid and lists a doctored copy under the same hash (a
// higher amount, the signature unchanged). The panel refuses the copy as
// forged; the real bid still counts, listed by the other nodes. Every
// refusal, the inbox's and the panel's own, is reported with its reason.
//
// Usage:
//
//	go run ./examples/energy
//
// Exit status 0 only if the scenario completed: both lots paid, delivered
// and confirmed, the forged and the low bid refused, and the panel's
// balance on chain what the sales and fees make it. 1 otherwise.
package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nemiot/nemiot/command"
	"github.com/nemiot/nemiot/internal/strictjson"
	"github.com/nemiot/nemiot/nem"
	"github.com/nemiot/nemiot/nem/nis"
	"github.com/nemiot/nemiot/nem/nis/nistest"
	"github.com/nemiot/nemiot/nem/tx"
	"github.com/nemiot/nemiot/talk"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := run(ctx, os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "energy: %v\n", err)
		os.Exit(1)
	}
}

// Errors of the scenario.
var (
	// errStalled reports a step that did not happen within maxBlocks blocks.
	errStalled = errors.New("energy: the scenario stalled")
	// errIncomplete reports a scenario that ran to its end without the
	// outcome it must have.
	errIncomplete = errors.New("energy: the scenario did not complete")
)

// The panel's own reasons for refusing a bid (talk.Reason is open).
const (
	reasonBelowReserve talk.Reason = "below-reserve"
	reasonNotOffered   talk.Reason = "not-offered" // answers no open offer of this panel
	reasonLate         talk.Reason = "late"        // mined after the lot closed
	reasonSecondBid    talk.Reason = "second-bid"  // one bid per bidder and lot
)

const (
	xemUnit    = 1_000_000
	maxBlocks  = 20 // how long a step may wait
	biddingFor = 10 // blocks between the offer and the close of bids
)

// lot is what the panel sells, and how the neighbours bid on it.
type lot struct {
	n       int
	kwh     int
	when    string
	reserve uint64            // µXEM for the whole lot
	bids    map[string]uint64 // bidder → µXEM; absent: no bid
}

var lots = []lot{
	{n: 1, kwh: 5, when: "this afternoon", reserve: 10 * xemUnit,
		bids: map[string]uint64{"EV charger": 14 * xemUnit, "heat pump": 12 * xemUnit, "water heater": 8 * xemUnit}},
	{n: 2, kwh: 20, when: "this evening", reserve: 40 * xemUnit,
		bids: map[string]uint64{"EV charger": 45 * xemUnit, "heat pump": 60 * xemUnit}},
}

// The bidders, with what each may pay without asking its owner.
var bidders = []struct {
	name  string
	limit uint64
}{{"EV charger", 30 * xemUnit}, {"heat pump", 20 * xemUnit}, {"water heater", 20 * xemUnit}}

const (
	panelAcceptLimit = 100 * xemUnit // what the panel sells on its own
	messengerFloat   = 40 * xemUnit  // each messenger's XEM for fees (and, for a bidder, small payments)
	forgedAmount     = 40 * xemUnit  // what the lying node's copy of the heat pump's bid says
)

// Message data (Body.Data) of the energy market.
type offerData struct {
	Lot     int    `json:"lot"`
	KWh     int    `json:"kwh"`
	Reserve uint64 `json:"reserve"` // µXEM for the whole lot
	Closes  int64  `json:"closes"`  // the last block height for bids
}

type bidData struct {
	Amount  uint64 `json:"amount"`  // µXEM for the whole lot
	Account string `json:"account"` // the bidder's own account (hex public key): it may pay instead of the messenger
}

type awardData struct {
	Lot    int    `json:"lot"`
	KWh    int    `json:"kwh"`
	Amount uint64 `json:"amount"`
}

// outcome is what happened, for the test.
type outcome struct {
	sales    []*sale
	refusals []*talk.RefusedError // the panel's, one per reason, hash and node
	accepted uint64               // the panel's budget: payments taken on its own
	balance  uint64               // the panel's messenger on chain at the end
	float    uint64               // … at the start
	fees     uint64               // … paid in fees
	keys     []*nem.PrivateKey    // every secret key: none may be printed
}

// sale is one lot from offer to delivery.
type sale struct {
	lot       int
	bids      map[string]tx.Hash // bidder → its bid message
	valid     []bidRec           // the bids that counted, highest first
	winner    string
	price     uint64
	award     tx.Hash
	approved  bool    // paid from the winner's own account, approved by its owner
	payment   tx.Hash // as the panel saw it
	delivered tx.Hash // the panel's "delivered", as the winner read it
}

type bidRec struct {
	bidder  *device
	amount  uint64
	account nem.PublicKey
	msg     *talk.Message
}

// device is one device of the scenario.
type device struct {
	name   string
	key    *nem.PrivateKey // its own account: a 1-of-1 multisig account of owner
	owner  *nem.PrivateKey
	msgr   *talk.Messenger
	inbox  *talk.Inbox
	budget *talk.Budget
}

// offerRef is what the panel remembers of an offer it sent.
type offerRef struct {
	lot    int
	bidder *device
}

type scene struct {
	ctx     context.Context
	out     io.Writer
	net     *nistest.Network
	nodes   []*nis.Client
	network nem.Network
	panel   *device
	bidders []*device
	offers  map[tx.Hash]offerRef

	mu      sync.Mutex
	refused []*talk.RefusedError // the panel inbox's refusals, not yet told
	told    map[string]bool

	res *outcome
}

func run(ctx context.Context, out io.Writer) (*outcome, error) {
	net, err := nistest.Start(5, nil)
	if err != nil {
		return nil, err
	}
	defer net.Close()
	s := &scene{ctx: ctx, out: out, net: net, network: net.NetworkID(), offers: map[tx.Hash]offerRef{},
		told: map[string]bool{}, res: &outcome{float: messengerFloat}}
	for _, u := range net.URLs() {
		s.nodes = append(s.nodes, nis.NewClient(u, nil))
	}
	if s.panel, err = s.newDevice("solar panel", &talk.Budget{AcceptLimit: panelAcceptLimit}); err != nil {
		return nil, err
	}
	s.panel.inbox.Types = map[string]bool{talk.TypeBid: true, talk.TypeText: true}
	s.panel.inbox.OnRefuse = func(e *talk.RefusedError) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.refused = append(s.refused, e)
	}
	for _, b := range bidders {
		d, err := s.newDevice(b.name, &talk.Budget{PayLimit: b.limit})
		if err != nil {
			return nil, err
		}
		d.inbox.Types = map[string]bool{talk.TypeOffer: true, talk.TypeAward: true, talk.TypeDelivered: true}
		d.inbox.Accept = func(k nem.PublicKey) bool { return k == s.panel.msgr.PublicKey() }
		s.bidders = append(s.bidders, d)
	}
	for _, d := range append([]*device{s.panel}, s.bidders...) {
		d.inbox.Since = net.Height() + 1 // the setup is not news
	}

	s.say("A local NEM network of %d nodes is up.", len(s.nodes))
	s.say("The solar panel's own account %s belongs to its owner (1-of-1 multisig).", s.panel.key.Address(s.network).Pretty())
	s.say("It talks through its messenger account %s", s.panel.msgr.Address().Pretty())
	s.say("(key %v, derived from the device key) and sells up to %s of energy without asking.", s.panel.msgr.Key, xem(panelAcceptLimit))
	s.say("Its neighbours, each with its own account, owner and messenger:")
	for i, d := range s.bidders {
		s.say("  %-12s messenger %s, pays up to %s on its own", d.name, d.msgr.Address().Pretty(), xem(bidders[i].limit))
	}

	for _, l := range lots {
		if err := s.sell(l); err != nil {
			return s.res, err
		}
	}
	return s.res, s.finish()
}

// newDevice makes a device: its account, converted to a 1-of-1 multisig
// account of a new owner, and its messenger account, funded for fees.
func (s *scene) newDevice(name string, budget *talk.Budget) (*device, error) {
	d := &device{name: name, key: s.net.NewAccount(), owner: s.net.NewAccount(), budget: budget}
	if _, err := s.net.ConvertToMultisig(d.key, 1, d.owner.PublicKey()); err != nil {
		return nil, err
	}
	mk, err := talk.DeriveMessenger(d.key)
	if err != nil {
		return nil, err
	}
	if _, err := s.net.Fund(mk.Address(s.network), messengerFloat); err != nil {
		return nil, err
	}
	d.msgr = &talk.Messenger{Key: mk, Network: s.network, Nodes: s.nodes, Clock: s.net.Time}
	d.inbox = &talk.Inbox{Accounts: []*nem.PrivateKey{mk}, Network: s.network, Nodes: s.nodes, Confirmations: 2}
	s.res.keys = append(s.res.keys, d.key, d.owner, mk)
	return d, nil
}

func (s *scene) say(format string, a ...any) { fmt.Fprintf(s.out, format+"\n", a...) }

// block lets a minute pass, in which a block is mined.
func (s *scene) block() { s.net.Advance(1, time.Minute) }

// until calls step, a block apart, until it reports done.
func (s *scene) until(what string, step func() (bool, error)) error {
	for range maxBlocks {
		done, err := step()
		if err != nil || done {
			return err
		}
		s.block()
	}
	return fmt.Errorf("%w: %s", errStalled, what)
}

// transfer sends a message (and amount) from messenger m as m.Send does,
// and returns the signed transaction too.
func (s *scene) transfer(m *talk.Messenger, to nem.PublicKey, amount uint64, b *talk.Body) (*tx.Transaction, tx.Hash, error) {
	t, err := m.Transfer(to, amount, b)
	if err != nil {
		return nil, tx.Hash{}, err
	}
	st, err := t.Signed()
	if err != nil {
		return nil, tx.Hash{}, err
	}
	h, err := talk.Announce(s.ctx, s.nodes, st)
	return t, h, err
}

// send sends a message from the panel's messenger, counting the fee.
func (s *scene) send(to nem.PublicKey, b *talk.Body) (tx.Hash, error) {
	t, h, err := s.transfer(s.panel.msgr, to, 0, b)
	if err == nil {
		s.res.fees += t.Fee
	}
	return h, err
}

// sell runs one lot from offer to confirmed delivery.
func (s *scene) sell(l lot) error {
	sl := &sale{lot: l.n, bids: map[string]tx.Hash{}}
	s.res.sales = append(s.res.sales, sl)
	s.say("")
	s.say("== Lot %d: %d kWh %s, reserve %s", l.n, l.kwh, l.when, xem(l.reserve))

	// 1. Offers.
	closes := s.net.Height() + biddingFor
	data, err := jsonData(offerData{Lot: l.n, KWh: l.kwh, Reserve: l.reserve, Closes: closes})
	if err != nil {
		return err
	}
	var sent []string
	for _, d := range s.bidders {
		h, err := s.send(d.msgr.PublicKey(), &talk.Body{Type: talk.TypeOffer, Text: fmt.Sprintf("%d kWh %s, reserve %s", l.kwh, l.when, xem(l.reserve)), Data: data})
		if err != nil {
			return fmt.Errorf("panel: offering: %w", err)
		}
		s.offers[h] = offerRef{lot: l.n, bidder: d}
		sent = append(sent, short(h))
	}
	s.say("Panel: offers lot %d to its %d neighbours (offer messages %s); bids close at height %d.", l.n, len(s.bidders), strings.Join(sent, ", "), closes)
	s.block()

	// 2. Bids.
	if err := s.bid(l, sl); err != nil {
		return err
	}

	// 3. The panel closes the lot and awards it.
	var valid []bidRec
	seen := map[*device]bool{}
	err = s.until("the bids of lot "+strconv.Itoa(l.n)+" settle", func() (bool, error) {
		msgs, err := s.panel.inbox.Poll(s.ctx)
		if err != nil {
			return false, err
		}
		for _, m := range msgs {
			if m.Body == nil || m.Body.Type != talk.TypeBid {
				continue
			}
			if b, ok := s.checkBid(m, l, closes, seen); ok {
				valid = append(valid, b)
			}
		}
		s.report()
		return s.panel.inbox.Since > closes, nil
	})
	if err != nil {
		return err
	}
	if len(valid) == 0 {
		return fmt.Errorf("%w: no valid bid for lot %d", errIncomplete, l.n)
	}
	// Highest first; on a tie, the earliest (the inbox delivers oldest first).
	slices.SortStableFunc(valid, func(a, b bidRec) int { return cmp.Compare(b.amount, a.amount) })
	sl.valid = valid
	win := valid[0]
	sl.winner, sl.price = win.bidder.name, win.amount
	var counted []string
	for _, b := range valid {
		counted = append(counted, b.bidder.name+" "+xem(b.amount))
	}
	s.say("Panel: bids closed; %d count (%s): lot %d goes to the %s for %s.", len(valid), strings.Join(counted, ", "), l.n, win.bidder.name, xem(win.amount))
	ad, err := jsonData(awardData{Lot: l.n, KWh: l.kwh, Amount: win.amount})
	if err != nil {
		return err
	}
	if sl.award, err = s.send(win.msg.From, &talk.Body{Type: talk.TypeAward, Re: win.msg.Hash, Text: fmt.Sprintf("lot %d is yours: pay %s", l.n, xem(win.amount)), Data: ad}); err != nil {
		return fmt.Errorf("panel: awarding: %w", err)
	}
	s.say("Panel: award sent to the %s (message %s); it waits for %s at its messenger.", win.bidder.name, short(sl.award), xem(win.amount))

	// 4. The winner pays.
	if err := s.pay(win, sl); err != nil {
		return err
	}

	// 5. The panel checks the payment, delivers and confirms.
	var payer string
	err = s.until("the payment for lot "+strconv.Itoa(l.n)+" arrives", func() (bool, error) {
		msgs, err := s.panel.inbox.Poll(s.ctx)
		if err != nil {
			return false, err
		}
		for _, m := range msgs {
			if m.Body == nil || m.Body.Re != sl.award {
				continue
			}
			if err := s.checkPayment(m, win, sl.price); errors.Is(err, talk.ErrRefused) {
				continue // reported
			} else if err != nil {
				return false, err
			}
			sl.payment = m.Hash
			payer = "the " + win.bidder.name + "'s messenger"
			if m.From == win.account {
				payer = "the " + win.bidder.name + "'s own account"
			}
		}
		s.report()
		return !sl.payment.IsZero(), nil
	})
	if err != nil {
		return err
	}
	_, accepted := s.panel.budget.Used()
	s.say("Panel: payment %s of %s from %s for its award: confirmed by a quorum of nodes, verified locally;",
		short(sl.payment), xem(sl.price), payer)
	s.say("       %s of its %s budget used.", xem(accepted), xem(panelAcceptLimit))
	s.say("Panel's meter: %d kWh exported to the %s.", l.kwh, win.bidder.name)
	dh, err := s.send(win.msg.From, &talk.Body{Type: talk.TypeDelivered, Re: sl.payment, Text: fmt.Sprintf("%d kWh delivered (lot %d)", l.kwh, l.n)})
	if err != nil {
		return fmt.Errorf("panel: confirming delivery: %w", err)
	}
	s.say("Panel: delivery confirmed to the %s (message %s).", win.bidder.name, short(dh))
	return s.until("the delivery of lot "+strconv.Itoa(l.n)+" is confirmed", func() (bool, error) {
		msgs, err := win.bidder.inbox.Poll(s.ctx)
		if err != nil {
			return false, err
		}
		for _, m := range msgs {
			if m.Body != nil && m.Body.Type == talk.TypeDelivered && m.Body.Re == sl.payment {
				sl.delivered = m.Hash
				s.say("%s: the panel says %q for its payment %s. Done.", title(win.bidder.name), m.Body.Text, short(sl.payment))
			}
		}
		return !sl.delivered.IsZero(), nil
	})
}

// bid has each neighbour read the offer and bid as the lot's script says.
// On lot 1, node 3 then starts lying about the heat pump's bid.
func (s *scene) bid(l lot, sl *sale) error {
	got := map[*device]*talk.Message{}
	return s.until("the offers of lot "+strconv.Itoa(l.n)+" arrive", func() (bool, error) {
		for _, d := range s.bidders {
			if got[d] != nil {
				continue
			}
			msgs, err := d.inbox.Poll(s.ctx)
			if err != nil {
				return false, err
			}
			for _, m := range msgs {
				if m.Body == nil || m.Body.Type != talk.TypeOffer {
					continue
				}
				var o offerData
				if err := strictjson.Unmarshal(m.Body.Data, &o); err != nil || o.Lot != l.n {
					continue
				}
				got[d] = m
				amount, ok := l.bids[d.name]
				if !ok {
					s.say("%s: reads the offer (%s); it needs nothing %s: no bid.", title(d.name), m.Body.Text, l.when)
					continue
				}
				bd, err := jsonData(bidData{Amount: amount, Account: d.key.PublicKey().String()})
				if err != nil {
					return false, err
				}
				t, h, err := s.transfer(d.msgr, m.From, 0, &talk.Body{Type: talk.TypeBid, Re: m.Hash, Data: bd})
				if err != nil {
					return false, fmt.Errorf("%s: bidding: %w", d.name, err)
				}
				sl.bids[d.name] = h
				s.say("%s: reads the offer (%s) and bids %s (message %s).", title(d.name), m.Body.Text, xem(amount), short(h))
				if l.n == 1 && d.name == "heat pump" {
					if err := s.lie(d, t, h, m.Hash); err != nil {
						return false, err
					}
				}
			}
		}
		return len(got) == len(s.bidders), nil
	})
}

// lie makes node 3 hide the bid t of device d (hash h, answering offer) and
// list a doctored copy under the same hash: the amount raised, the message
// in the clear, the heat pump's signature kept. Any node could do this
// without a key; none can make the copy verify.
func (s *scene) lie(d *device, t *tx.Transaction, h, offer tx.Hash) error {
	data, err := jsonData(bidData{Amount: forgedAmount, Account: d.key.PublicKey().String()})
	if err != nil {
		return err
	}
	fake, err := (&talk.Body{Type: talk.TypeBid, Re: offer, Data: data}).Marshal()
	if err != nil {
		return err
	}
	doctored := *t
	doctored.Message = tx.PlainMessage(fake)
	s.say("Node 3: starts lying: hides the heat pump's bid %s and lists a copy that bids %s, under the same hash.", short(h), xem(forgedAmount))
	return s.net.Node(3).SetBehavior(nistest.Behavior{Tamper: &nistest.Tamper{
		Hide:   []tx.Hash{h},
		Inject: []nistest.Injected{{Account: s.panel.msgr.Address(), Transaction: &doctored, Hash: h}},
	}})
}

// checkBid is the panel's check of a bid (its hash, signature, quorum and
// confirmations are the inbox's): it answers an offer of this lot sent to
// its sender, it was mined by the close, the sender has no valid bid yet,
// its data is well formed, and it is at least the reserve. A failed check
// is refused and reported; the bidder may then bid again.
func (s *scene) checkBid(m *talk.Message, l lot, closes int64, seen map[*device]bool) (bidRec, bool) {
	in := s.panel.inbox
	ref, ok := s.offers[m.Body.Re]
	switch {
	case !ok || ref.lot != l.n:
		in.Refuse(m, reasonNotOffered, fmt.Errorf("it answers %s, no offer of lot %d", short(m.Body.Re), l.n))
		return bidRec{}, false
	case m.From != ref.bidder.msgr.PublicKey():
		in.Refuse(m, talk.ReasonStranger, fmt.Errorf("the offer went to the %s, not to %s", ref.bidder.name, m.From))
		return bidRec{}, false
	case m.Height > closes:
		in.Refuse(m, reasonLate, fmt.Errorf("mined at height %d, bids closed at %d", m.Height, closes))
		return bidRec{}, false
	case seen[ref.bidder]:
		in.Refuse(m, reasonSecondBid, fmt.Errorf("the %s already bid on lot %d", ref.bidder.name, l.n))
		return bidRec{}, false
	}
	var d bidData
	if err := strictjson.Unmarshal(m.Body.Data, &d); err != nil {
		in.Refuse(m, talk.ReasonBody, fmt.Errorf("bid data: %w", err))
		return bidRec{}, false
	}
	acct, err := nem.ParsePublicKey(d.Account)
	if err != nil {
		in.Refuse(m, talk.ReasonBody, fmt.Errorf("bid account: %w", err))
		return bidRec{}, false
	}
	if d.Amount < l.reserve {
		in.Refuse(m, reasonBelowReserve, fmt.Errorf("the %s bids %s, below the reserve of %s", ref.bidder.name, xem(d.Amount), xem(l.reserve)))
		return bidRec{}, false
	}
	seen[ref.bidder] = true
	return bidRec{bidder: ref.bidder, amount: d.Amount, account: acct, msg: m}, true
}

// checkPayment is the panel's check of a payment answering an award: from
// the winning bidder's messenger or the account its bid named, of the price
// exactly, within the panel's budget.
func (s *scene) checkPayment(m *talk.Message, win bidRec, price uint64) error {
	in := s.panel.inbox
	switch {
	case m.From != win.msg.From && m.From != win.account:
		return in.Refuse(m, talk.ReasonWrongPay, fmt.Errorf("paid by %s, not by the %s", m.From, win.bidder.name))
	case m.Amount != price:
		return in.Refuse(m, talk.ReasonWrongPay, fmt.Errorf("%s paid, the award was %s", xem(m.Amount), xem(price)))
	}
	if err := s.panel.budget.Accept(m.Amount); err != nil {
		// Not in this scenario: the panel would keep the energy and ask its owner.
		return fmt.Errorf("panel: %w", err)
	}
	return nil
}

// pay has the winner read its award and pay: from its messenger within its
// budget, or else through a proposal its owner approves.
func (s *scene) pay(win bidRec, sl *sale) error {
	d := win.bidder
	var award *talk.Message
	err := s.until("the "+d.name+" reads its award", func() (bool, error) {
		msgs, err := d.inbox.Poll(s.ctx)
		if err != nil {
			return false, err
		}
		for _, m := range msgs {
			if m.Body != nil && m.Body.Type == talk.TypeAward && m.Hash == sl.award {
				award = m
			}
		}
		return award != nil, nil
	})
	if err != nil {
		return err
	}
	var a awardData
	if err := strictjson.Unmarshal(award.Body.Data, &a); err != nil {
		return fmt.Errorf("%s: the award: %w", d.name, err)
	}
	if a.Amount != win.amount || award.Body.Re != win.msg.Hash {
		return fmt.Errorf("%w: the %s was awarded %s for its bid of %s", errIncomplete, d.name, xem(a.Amount), xem(win.amount))
	}
	body := &talk.Body{Type: talk.TypeText, Re: award.Hash, Text: fmt.Sprintf("payment for lot %d (%d kWh)", a.Lot, a.KWh)}
	h, err := d.budget.Pay(s.ctx, d.msgr, award.From, a.Amount, body)
	if err == nil {
		paid, _ := d.budget.Used()
		s.say("%s: pays %s from its messenger on its own (%s of its %s budget): transfer %s.", title(d.name), xem(a.Amount), xem(paid), xem(d.budget.PayLimit), short(h))
		return nil
	}
	if !errors.Is(err, talk.ErrOverBudget) {
		return fmt.Errorf("%s: paying: %w", d.name, err)
	}
	s.say("%s: %s is over what it may pay on its own (%s): it asks its owner.", title(d.name), xem(a.Amount), xem(d.budget.PayLimit))
	sl.approved = true
	return s.propose(d, award, a, body)
}

// propose has device d ask its owner to pay the award from its own
// account, the owner approve it in the app, and d wait for the payment.
func (s *scene) propose(d *device, award *talk.Message, a awardData, body *talk.Body) error {
	memo, err := body.Marshal() // the payment's plain message, which the panel reads
	if err != nil {
		return err
	}
	start := s.net.Height()
	p, err := talk.NewProposal(d.key, s.network, award.From.Address(s.network), a.Amount, string(memo), s.net.Time(), 6*time.Hour)
	if err != nil {
		return err
	}
	pb, err := p.Body(fmt.Sprintf("The solar panel awarded me lot %d: %d kWh for %s. Pay from my account?", a.Lot, a.KWh, xem(a.Amount)))
	if err != nil {
		return err
	}
	ph, err := d.msgr.Send(s.ctx, d.owner.PublicKey(), 0, pb)
	if err != nil {
		return fmt.Errorf("%s: proposing: %w", d.name, err)
	}
	s.say("%s: proposal %s sent to its owner (expires %s).", title(d.name), short(ph), p.Deadline.Time().Format("15:04 MST"))

	ownerInbox := &talk.Inbox{Accounts: []*nem.PrivateKey{d.owner}, Network: s.network, Nodes: s.nodes,
		Since: start + 1, Types: map[string]bool{talk.TypeProposal: true}}
	var got *talk.Proposal
	err = s.until("the "+d.name+"'s owner reads the proposal", func() (bool, error) {
		msgs, err := ownerInbox.Poll(s.ctx)
		if err != nil {
			return false, err
		}
		for _, m := range msgs {
			if m.Hash != ph {
				continue
			}
			if got, err = talk.ParseProposal(s.network, m.Body); err != nil {
				return false, fmt.Errorf("%s's owner: the proposal does not check out: %w", d.name, err)
			}
			s.say("%s's owner (app): message %s says %q", title(d.name), short(m.Hash), m.Body.Text)
		}
		return got != nil, nil
	})
	if err != nil {
		return err
	}
	if got.Account != d.key.PublicKey() {
		return fmt.Errorf("%w: the proposal is not the %s's", errIncomplete, d.name)
	}
	ah, _, err := talk.Approve(s.ctx, s.nodes, d.owner, got, s.net.Time())
	if err != nil {
		return fmt.Errorf("%s's owner: approving: %w", d.name, err)
	}
	s.say("%s's owner (app): signed by the %s, pays %s to %s: approved (multisig transaction %s).",
		title(d.name), d.name, xem(got.Amount), got.To.Pretty(), short(ah))

	w := &talk.Watcher{Nodes: s.nodes, Confirmations: 2, Since: start, Clock: s.net.Time, Owners: command.StaticOwners(d.owner.PublicKey())}
	return s.until("the "+d.name+"'s payment is confirmed", func() (bool, error) {
		paid, err := w.Confirmed(s.ctx, p)
		if err != nil {
			return false, fmt.Errorf("%s: %w", d.name, err)
		}
		if paid != nil {
			s.say("%s: its owner's payment %s confirmed at height %d, verified locally.", title(d.name), short(paid.Hash), paid.Height)
		}
		return paid != nil, nil
	})
}

// report prints the panel's refusals not yet told, once per reason, hash
// and node (a lying node repeats its forgery on every read).
func (s *scene) report() {
	s.mu.Lock()
	news := s.refused
	s.refused = nil
	s.mu.Unlock()
	for _, r := range news {
		k := fmt.Sprint(r.Reason, r.Hash, r.Node)
		if s.told[k] {
			continue
		}
		s.told[k] = true
		s.res.refusals = append(s.res.refusals, r)
		s.say("Panel: refused %s.", describe(r))
	}
}

// describe says why a transfer was refused, for a person.
func describe(r *talk.RefusedError) string {
	switch r.Reason {
	case talk.ReasonForged:
		return fmt.Sprintf("what node %d lists as %s: forged (its content does not match its hash and signature); the real one counts", r.Node, short(r.Hash))
	case reasonBelowReserve:
		return fmt.Sprintf("bid %s: %v", short(r.Hash), r.Err)
	case talk.ReasonWrongPay:
		return fmt.Sprintf("payment %s: %v", short(r.Hash), r.Err)
	default:
		return fmt.Sprintf("message %s (%s): %v", short(r.Hash), r.Reason, r.Err)
	}
}

// finish checks the whole outcome against the chain.
func (s *scene) finish() error {
	_, s.res.accepted = s.panel.budget.Used()
	acct, err := s.nodes[0].Account(s.ctx, s.panel.msgr.Address())
	if err != nil {
		return err
	}
	s.res.balance = acct.Balance
	var sold uint64
	kwh := 0
	s.say("")
	for i, sl := range s.res.sales {
		how := "paid from its messenger, nobody's approval needed"
		if sl.approved {
			how = "over its budget: paid from its own account, approved by its owner"
		}
		s.say("Lot %d: %d kWh to the %s for %s (%s).", sl.lot, lots[i].kwh, sl.winner, xem(sl.price), how)
		sold += sl.price
		kwh += lots[i].kwh
		if sl.payment.IsZero() || sl.delivered.IsZero() {
			return fmt.Errorf("%w: lot %d not paid and delivered", errIncomplete, sl.lot)
		}
	}
	want := s.res.float + sold - s.res.fees
	s.say("Panel's messenger: %s on chain = %s float + %s of sales − %s of fees.", xem(acct.Balance), xem(s.res.float), xem(sold), xem(s.res.fees))
	if acct.Balance != want || s.res.accepted != sold {
		return fmt.Errorf("%w: the panel holds %s and accepted %s, want %s and %s", errIncomplete, xem(acct.Balance), xem(s.res.accepted), xem(want), xem(sold))
	}
	forged, low := false, false
	for _, r := range s.res.refusals {
		forged = forged || (r.Reason == talk.ReasonForged && r.Node == 3 && r.Hash == s.res.sales[0].bids["heat pump"])
		low = low || (r.Reason == reasonBelowReserve && r.Hash == s.res.sales[0].bids["water heater"])
	}
	if !forged || !low {
		return fmt.Errorf("%w: the forged bid refused: %v, the low bid refused: %v", errIncomplete, forged, low)
	}
	s.say("Refused: node 3's forged bid, the water heater's bid below the reserve.")
	s.say("")
	s.say("Scenario complete: %d kWh sold for %s.", kwh, xem(sold))
	return nil
}

func jsonData(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("energy: %w", err)
	}
	return b, nil
}

func short(h tx.Hash) string { return h.String()[:12] }

// xem writes micro-XEM as XEM.
func xem(micro uint64) string {
	return strconv.FormatFloat(float64(micro)/xemUnit, 'f', -1, 64) + " XEM"
}

func title(s string) string { return strings.ToUpper(s[:1]) + s[1:] }
