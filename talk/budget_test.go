package talk_test

import (
	"context"
	"errors"
	"testing"

	"github.com/nemiot/nemiot/nem/nis"
	"github.com/nemiot/nemiot/talk"
)

func TestBudget(t *testing.T) {
	w := newWorld(t, 3)
	ctx := context.Background()
	seller := w.net.NewAccount()
	b := &talk.Budget{PayLimit: 60_000_000, AcceptLimit: 10_000_000}
	m := w.sender(w.msgr)
	balance := func() uint64 {
		a, err := w.nodes[0].Account(ctx, seller.Address(w.net.NetworkID()))
		if err != nil {
			t.Fatal(err)
		}
		return a.Balance
	}
	before := balance()
	if _, err := b.Pay(ctx, m, seller.PublicKey(), 40_000_000, &talk.Body{Type: talk.TypeText, Text: "3 kWh"}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Pay(ctx, m, seller.PublicKey(), 30_000_000, nil); !errors.Is(err, talk.ErrOverBudget) {
		t.Errorf("over budget: %v", err)
	}
	if got := balance(); got != before+40_000_000 {
		t.Errorf("seller got %d, want 40 XEM once", got-before)
	}
	// A send NIS refuses (the messenger holds 100 XEM) is not counted.
	b2 := &talk.Budget{PayLimit: 1_000_000_000}
	if _, err := b2.Pay(ctx, m, seller.PublicKey(), 500_000_000, nil); !errors.Is(err, talk.ErrNotAnnounced) {
		t.Fatalf("unfunded: %v", err)
	} else if ae := (*nis.AnnounceError)(nil); !errors.As(err, &ae) || ae.Code != 5 {
		t.Errorf("NIS's validation code is not surfaced: %v", err)
	}
	if paid, _ := b2.Used(); paid != 0 {
		t.Errorf("failed payment counted: %d", paid)
	}
	if err := b.Accept(7_000_000); err != nil {
		t.Fatal(err)
	}
	if err := b.Accept(4_000_000); !errors.Is(err, talk.ErrOverBudget) {
		t.Errorf("accept over budget: %v", err)
	}
	if paid, acc := b.Used(); paid != 40_000_000 || acc != 7_000_000 {
		t.Errorf("Used = %d, %d", paid, acc)
	}
	var zero talk.Budget
	if err := zero.Accept(1); !errors.Is(err, talk.ErrOverBudget) {
		t.Errorf("zero budget accepts: %v", err)
	}
}
