package talk_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/nemiot/nemiot/nem"
	"github.com/nemiot/nemiot/nem/nis/nistest"
	"github.com/nemiot/nemiot/nem/tx"
	"github.com/nemiot/nemiot/talk"
)

func TestInboxDeliversOnceAndResumes(t *testing.T) {
	w := newWorld(t, 3)
	in := w.inbox()
	h := w.send(w.owner, text("hello, héllo 😀"))
	got := poll(t, in)
	if len(got) != 1 {
		t.Fatalf("got %d messages, want 1", len(got))
	}
	m := got[0]
	if m.Hash != h || m.Key != h || m.From != w.owner.PublicKey() || m.To != w.msgr.Address(w.net.NetworkID()) {
		t.Errorf("message %+v: want hash %s from owner to messenger", m, h)
	}
	if m.Body.Type != talk.TypeText || m.Body.Text != "hello, héllo 😀" {
		t.Errorf("body %+v", m.Body)
	}
	if got := poll(t, in); len(got) != 0 {
		t.Errorf("second poll delivered %d again", len(got))
	}
	if in.Since <= m.Height-1 {
		t.Errorf("Since %d did not move past %d", in.Since, m.Height)
	}
	// A new inbox resuming from Since sees only what came after.
	in2 := w.inbox()
	in2.Since = in.Since
	h2 := w.send(w.owner, text("second"))
	got = poll(t, in2)
	if len(got) != 1 || got[0].Hash != h2 {
		t.Fatalf("resumed inbox got %v, want only %s", hashes(got), h2)
	}
}

func hashes(ms []*talk.Message) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Hash.String()[:8])
	}
	return out
}

func TestInboxWaitsForConfirmations(t *testing.T) {
	w := newWorld(t, 3)
	in := w.inbox()
	in.Confirmations = 3
	h := w.send(w.owner, text("late"))
	if got := poll(t, in); len(got) != 0 {
		t.Fatalf("delivered with 1 confirmation: %v", hashes(got))
	}
	w.net.Advance(1, 0)
	if got := poll(t, in); len(got) != 0 {
		t.Fatalf("delivered with 2 confirmations: %v", hashes(got))
	}
	w.net.Advance(1, 0)
	if got := poll(t, in); len(got) != 1 || got[0].Hash != h {
		t.Fatalf("with 3 confirmations got %v", hashes(got))
	}
}

// Lying nodes: a forged message (content that does not match its hash, a
// signature that does not verify) is refused by every reader; a validly
// signed transaction that was never mined is not delivered while fewer
// than a quorum of nodes list it.
func TestInboxForgedMessages(t *testing.T) {
	w := newWorld(t, 5)
	in := w.inbox()
	start := in.Since
	real := w.send(w.owner, text("real"))
	to := w.msgr.Address(w.net.NetworkID())

	// Never mined, validly signed by the owner (a liar kept it back).
	unmined, err := w.sender(w.owner).Transfer(w.msgr.PublicKey(), 0, text("pay the attacker"))
	if err != nil {
		t.Fatal(err)
	}
	// Content changed after signing: hash and signature no longer match.
	forged, err := w.sender(w.owner).Transfer(w.msgr.PublicKey(), 0, text("ok"))
	if err != nil {
		t.Fatal(err)
	}
	claimed, _ := forged.Hash()
	forged.Amount = 5_000_000
	// Signed by the stranger, claiming the owner as signer.
	impostor, err := w.sender(w.stranger).Transfer(w.msgr.PublicKey(), 0, text("I am your owner"))
	if err != nil {
		t.Fatal(err)
	}
	impostor.Signer = w.owner.PublicKey()

	tamper := &nistest.Tamper{Inject: []nistest.Injected{
		{Account: to, Transaction: unmined},
		{Account: to, Transaction: forged, Hash: claimed},
		{Account: to, Transaction: impostor},
	}}
	for _, i := range []int{1, 3} {
		w.net.Node(i).SetBehavior(nistest.Behavior{Tamper: tamper})
	}
	got := poll(t, in)
	if len(got) != 1 || got[0].Hash != real {
		t.Fatalf("got %v, want only the real message %s", hashes(got), real.String()[:8])
	}
	if n := w.refusals(talk.ReasonForged); n != 4 {
		t.Errorf("%d forged refusals, want 4 (2 forgeries × 2 nodes)", n)
	}
	// With the quorum lowered to what the liars are, the unmined one gets
	// through: the quorum is the trust assumption, and it is the caller's.
	in2 := w.inbox()
	in2.Since, in2.Quorum = start, 2
	got = poll(t, in2)
	if len(got) != 2 {
		t.Errorf("quorum 2 of 2 liars: got %v, want the real and the unmined message", hashes(got))
	}
}

func TestInboxHiddenMessages(t *testing.T) {
	w := newWorld(t, 5)
	in := w.inbox()
	h := w.send(w.owner, text("can you see me"))
	hide := nistest.Behavior{Tamper: &nistest.Tamper{Hide: []tx.Hash{h}}}
	w.net.Node(0).SetBehavior(hide)
	w.net.Node(4).SetBehavior(hide)
	if got := poll(t, in); len(got) != 1 || got[0].Hash != h {
		t.Fatalf("two of five hiding: got %v", hashes(got))
	}
	// Three of five hide a new message: it is not delivered (a majority can
	// hide, never forge), and nothing else breaks.
	w.net.Node(2).SetBehavior(hide)
	h2 := w.send(w.owner, text("hidden by a majority"))
	hide3 := nistest.Behavior{Tamper: &nistest.Tamper{Hide: []tx.Hash{h, h2}}}
	for _, i := range []int{0, 2, 4} {
		w.net.Node(i).SetBehavior(hide3)
	}
	if got := poll(t, in); len(got) != 0 {
		t.Fatalf("a majority hid it, yet got %v", hashes(got))
	}
}

func TestInboxDuplicatedMessages(t *testing.T) {
	w := newWorld(t, 3)
	for i := range w.nodes {
		w.net.Node(i).SetBehavior(nistest.Behavior{Tamper: &nistest.Tamper{Duplicate: true}})
	}
	in := w.inbox()
	start := in.Since
	h := w.send(w.owner, text("once"))
	if got := poll(t, in); len(got) != 1 || got[0].Hash != h {
		t.Fatalf("got %v, want one", hashes(got))
	}
	if n := w.refusals(talk.ReasonDuplicate); n != 3 {
		t.Errorf("%d duplicate refusals, want 3", n)
	}
	// Every node lists it again at a new height (a replay): nothing.
	w.net.Advance(5, 0)
	poll(t, in)
	old, err := w.nodes[0].Transaction(context.Background(), h)
	if err != nil {
		t.Fatal(err)
	}
	replay := &nistest.Tamper{Inject: []nistest.Injected{{Account: w.msgr.Address(w.net.NetworkID()), Transaction: old.Transaction}}}
	for i := range w.nodes {
		w.net.Node(i).SetBehavior(nistest.Behavior{Tamper: replay})
	}
	if got := poll(t, in); len(got) != 0 {
		t.Errorf("replayed at a new height: got %v", hashes(got))
	}
	// Rewinding Since changes nothing either.
	in.Since = start
	if got := poll(t, in); len(got) != 0 {
		t.Errorf("rewound: got %v", hashes(got))
	}
}

func TestInboxLateNodes(t *testing.T) {
	w := newWorld(t, 5)
	in := w.inbox()
	in.Confirmations = 2
	poll(t, in)
	start := in.Since
	for _, i := range []int{0, 1, 2} {
		w.net.Node(i).SetBehavior(nistest.Lagging(20))
	}
	h := w.send(w.owner, text("late nodes"))
	w.net.Advance(3, 0)
	if got := poll(t, in); len(got) != 0 {
		t.Fatalf("only 2 of 5 nodes have it, yet got %v", hashes(got))
	}
	if in.Since > start {
		t.Errorf("Since moved from %d to %d while a majority lags", start, in.Since)
	}
	for _, i := range []int{0, 1, 2} {
		w.net.Node(i).SetBehavior(nistest.Honest())
	}
	if got := poll(t, in); len(got) != 1 || got[0].Hash != h {
		t.Fatalf("caught up: got %v", hashes(got))
	}
}

func TestInboxNoQuorum(t *testing.T) {
	w := newWorld(t, 3)
	w.net.Node(0).SetBehavior(nistest.Down())
	w.net.Node(1).SetBehavior(nistest.Error(503, "NIS_ILLEGAL_STATE_LOADING_CHAIN"))
	in := w.inbox()
	in.Since = 7
	_, err := in.Poll(context.Background())
	if !errors.Is(err, talk.ErrNoQuorum) {
		t.Fatalf("err = %v, want ErrNoQuorum", err)
	}
	if in.Since != 7 {
		t.Errorf("Since moved to %d", in.Since)
	}
}

// Bad input is refused with a reason and changes nothing.
func TestInboxBadInput(t *testing.T) {
	w := newWorld(t, 3)
	in := w.inbox()
	in.Accept = func(k nem.PublicKey) bool { return k == w.owner.PublicKey() }
	ctx := context.Background()
	net := w.net.NetworkID()
	to := w.msgr.Address(net)
	raw := func(from *nem.PrivateKey, plain string) {
		t.Helper()
		msg, err := tx.EncryptMessage(nil, from, w.msgr.PublicKey(), []byte(plain))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.net.AddTransfer(from, to, 0, msg); err != nil {
			t.Fatal(err)
		}
	}
	raw(w.owner, `{"type":"text","text":"a","text":"b"}`) // duplicate name
	raw(w.owner, `{"type":"launch"}`)                     // unknown type
	raw(w.owner, `not json`)
	raw(w.owner, `{"type":"text","re":"xyz"}`)
	raw(w.owner, fmt.Sprintf(`{"type":"text","text":"%0990d"}`, 0)) // over NIS's limit
	// Encrypted to someone else.
	other, _ := tx.EncryptMessage(nil, w.owner, w.stranger.PublicKey(), []byte(`{"type":"text"}`))
	if _, err := w.net.AddTransfer(w.owner, to, 0, other); err != nil {
		t.Fatal(err)
	}
	if _, err := w.sender(w.stranger).Send(ctx, w.msgr.PublicKey(), 0, text("hi, I'm new")); err != nil {
		t.Fatal(err)
	}
	good := w.send(w.owner, text("fine"))
	got := poll(t, in)
	if len(got) != 1 || got[0].Hash != good {
		t.Fatalf("got %v, want only %s", hashes(got), good.String()[:8])
	}
	for r, want := range map[talk.Reason]int{talk.ReasonBody: 5, talk.ReasonUndecrypt: 1, talk.ReasonStranger: 1} {
		if n := w.refusals(r); n != want {
			t.Errorf("%s refusals: %d, want %d", r, n, want)
		}
	}
	if got := poll(t, in); len(got) != 0 {
		t.Errorf("refused ones came back: %v", hashes(got))
	}
}

// A reader's own refusal (a payment of the wrong amount) goes where the
// inbox's refusals go: the log and OnRefuse.
func TestInboxRefuse(t *testing.T) {
	w := newWorld(t, 3)
	in := w.inbox()
	var logged bytes.Buffer
	in.Log = slog.New(slog.NewTextHandler(&logged, nil))
	h, err := w.sender(w.owner).Send(context.Background(), w.msgr.PublicKey(), 3_000_000, text("for 5 kWh"))
	if err != nil {
		t.Fatal(err)
	}
	got := poll(t, in)
	if len(got) != 1 || got[0].Hash != h || got[0].Amount != 3_000_000 {
		t.Fatalf("got %v, want the payment %s", hashes(got), h.String()[:8])
	}
	why := errors.New("paid 3 XEM, the award was 14 XEM")
	e := in.Refuse(got[0], talk.ReasonWrongPay, why)
	if e.Reason != talk.ReasonWrongPay || e.Hash != h || e.Node != -1 || !errors.Is(e, talk.ErrRefused) || !errors.Is(e, why) {
		t.Errorf("Refuse returned %+v", e)
	}
	if w.refusals(talk.ReasonWrongPay) != 1 || len(w.refused) != 1 {
		t.Errorf("OnRefuse saw %v, want the one wrong payment", w.refused)
	}
	for _, want := range []string{"reason=wrong-payment", "hash=" + h.String(), "the award was 14 XEM"} {
		if !strings.Contains(logged.String(), want) {
			t.Errorf("log lacks %q: %s", want, logged.String())
		}
	}
	if got := poll(t, in); len(got) != 0 {
		t.Errorf("the refused payment came back: %v", hashes(got))
	}
	if e := in.Refuse(nil, "late", nil); !e.Hash.IsZero() || e.Error() != "talk: refused (late)" {
		t.Errorf("Refuse(nil) = %v", e)
	}
}

// Paging through a backlog larger than MaxPending per poll, page by page.
func TestInboxPagingBoundedMemory(t *testing.T) {
	w := newWorld(t, 3)
	in := w.inbox()
	want := map[tx.Hash]bool{}
	for i := range 23 {
		want[w.send(w.owner, text(fmt.Sprint("n", i)))] = true
	}
	in.PageSize, in.MaxPending = 5, 7
	for round := 0; len(want) > 0; round++ {
		if round > 10 {
			t.Fatalf("%d messages never delivered", len(want))
		}
		got := poll(t, in)
		t.Logf("round %d: %d delivered, Since %d, height %d", round, len(got), in.Since, w.net.Height())
		if len(got) > 7 {
			t.Fatalf("one poll delivered %d > MaxPending", len(got))
		}
		for _, m := range got {
			if !want[m.Hash] {
				t.Fatalf("unexpected or repeated %s", m.Hash)
			}
			delete(want, m.Hash)
		}
	}
	if got := poll(t, in); len(got) != 0 {
		t.Errorf("after the backlog: %v", hashes(got))
	}
}
