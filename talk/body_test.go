package talk_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/nemiot/nemiot/nem"
	"github.com/nemiot/nemiot/nem/tx"
	"github.com/nemiot/nemiot/talk"
)

func TestBodySizeLimit(t *testing.T) {
	key, _ := nem.GeneratePrivateKey(nil)
	peer, _ := nem.GeneratePrivateKey(nil)
	m := &talk.Messenger{Key: key, Network: nem.Testnet}
	overhead := len(`{"type":"text","text":""}`)
	fits := &talk.Body{Type: talk.TypeText, Text: strings.Repeat("a", talk.MaxPlaintext-overhead)}
	t1, err := m.Transfer(peer.PublicKey(), 0, fits)
	if err != nil {
		t.Fatalf("%d bytes: %v", talk.MaxPlaintext, err)
	}
	if n := len(t1.Message.Payload); n != talk.MaxPayload {
		t.Errorf("payload %d bytes, want exactly %d", n, talk.MaxPayload)
	}
	over := &talk.Body{Type: talk.TypeText, Text: fits.Text + "a"}
	_, err = m.Transfer(peer.PublicKey(), 0, over)
	var se *talk.SizeError
	if !errors.Is(err, talk.ErrTooLarge) || !errors.As(err, &se) || se.Size != 1040 || se.Max != talk.MaxPayload {
		t.Errorf("one byte over: %v (%+v)", err, se)
	}
	// An escaped character counts as its escape.
	esc := &talk.Body{Type: talk.TypeText, Text: strings.Repeat("é", 200)}
	if _, err := esc.Marshal(); !errors.Is(err, talk.ErrTooLarge) {
		t.Errorf("200 é (1200 bytes escaped): %v", err)
	}
}

func TestBodyRoundTrip(t *testing.T) {
	re := tx.Hash{1, 2, 3}
	b := &talk.Body{Type: talk.TypeBid, Re: re, Text: "naïve 😀", Data: []byte(`{"kwh":3}`)}
	js, err := b.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf(`{"type":"bid","re":"%s","text":"na\u00efve \ud83d\ude00","data":{"kwh":3}}`, re)
	if string(js) != want {
		t.Errorf("Marshal:\n got %s\nwant %s", js, want)
	}
	got, err := talk.ParseBody(js, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.Type != b.Type || got.Re != re || got.Text != b.Text || !bytes.Equal(got.Data, b.Data) {
		t.Errorf("ParseBody = %+v", got)
	}
}

func TestParseBodyRefuses(t *testing.T) {
	for _, in := range []string{
		``, `null`, `[]`, `{}`, `{"type":""}`, `{"type":"launch"}`, `{"type":"text"} {}`,
		`{"type":"text","type":"bid"}`, `{"type":"text","re":"00"}`, `{"Type":"text"}`,
		`{"type":"text","text":"` + strings.Repeat("x", 1000) + `"}`,
	} {
		if _, err := talk.ParseBody([]byte(in), nil); !errors.Is(err, talk.ErrBadBody) && !errors.Is(err, talk.ErrTooLarge) {
			t.Errorf("ParseBody(%.40q) = %v, want ErrBadBody or ErrTooLarge", in, err)
		}
	}
	if _, err := talk.ParseBody([]byte(`{"type":"launch"}`), map[string]bool{"launch": true}); err != nil {
		t.Errorf("custom type: %v", err)
	}
}

func TestDeriveMessenger(t *testing.T) {
	dev, err := nem.ParsePrivateKey(strings.Repeat("ab", 32))
	if err != nil {
		t.Fatal(err)
	}
	m1, err := talk.DeriveMessenger(dev)
	if err != nil {
		t.Fatal(err)
	}
	m2, _ := talk.DeriveMessenger(dev)
	if !m1.Equal(m2) || m1.Equal(dev) {
		t.Fatal("derivation is not deterministic, or returns the device key")
	}
	// Keccak-256("nemiot/messenger/v1" ‖ key bytes), as documented.
	seed := nem.Keccak256([]byte("nemiot/messenger/v1"), dev.Bytes())
	want, _ := nem.NewPrivateKey(seed[:])
	if !m1.Equal(want) {
		t.Error("derivation differs from its documentation")
	}
	for _, verb := range []string{"%v", "%s", "%+v", "%#v", "%x", "%q"} {
		if s := fmt.Sprintf(verb, m1); strings.Contains(strings.ToLower(s), m1.Hex()[:16]) {
			t.Errorf("%s prints the messenger secret", verb)
		}
	}
}
