package command

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/nemiot/nemiot/command/internal/format"
	"github.com/nemiot/nemiot/nem"
)

// cosignFixture: owners A (sender), B, C; a stranger S.
type cosignFixture struct {
	*fixture
	b, c, s *nem.PrivateKey
}

func newCosignFixture(t *testing.T, min int) *cosignFixture {
	f := &cosignFixture{fixture: newFixture(t), b: testKey(t, "B"), c: testKey(t, "C"), s: testKey(t, "S")}
	f.opener.Owners = StaticOwners(f.owner.PublicKey(), f.b.PublicKey(), f.c.PublicKey())
	f.opener.MinSignatures = min
	return f
}

func (f *cosignFixture) propose(t *testing.T, name string, cosigners ...*nem.PrivateKey) *Proposal {
	t.Helper()
	p, err := Propose(nil, f.owner, f.device.PublicKey(), Command{Name: name, Args: json.RawMessage(`{"door":1}`)}, t0)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range cosigners {
		if err := p.Cosign(k); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

func TestCosigned(t *testing.T) {
	f := newCosignFixture(t, 2)
	_, err := f.opener.Open(ctx, f.seal(t, Command{Name: "unlock"}, t0))
	wantRefused(t, err, ErrTooFewSignatures)

	p := f.propose(t, "unlock")
	info, err := p.Inspect()
	if err != nil {
		t.Fatal(err)
	}
	if info.Command.Name != "unlock" || string(info.Command.Args) != `{"door":1}` || info.Sender != f.owner.PublicKey() ||
		info.Device != f.device.PublicKey() || !info.Time.Equal(t0) || len(info.Cosigners) != 0 {
		t.Fatalf("Inspect = %+v", info)
	}
	_, err = f.opener.Open(ctx, p.Envelope)
	wantRefused(t, err, ErrMalformed) // no cosignature yet

	if err := p.Cosign(f.b); err != nil {
		t.Fatal(err)
	}
	req, err := f.opener.Open(ctx, p.Envelope)
	if err != nil {
		t.Fatal(err)
	}
	if req.Command.Name != "unlock" || len(req.Cosigners) != 1 || req.Cosigners[0] != f.b.PublicKey() || req.Sender != f.owner.PublicKey() {
		t.Fatalf("request %+v", req)
	}
	rep, err := req.Reply(nil, "unlocked", nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := OpenReply(f.owner, f.device.PublicKey(), p.Envelope, rep, t0)
	if err != nil || string(got.Result) != `"unlocked"` {
		t.Fatalf("reply to a co-signed command: %+v %v", got, err)
	}
	_, err = f.opener.Open(ctx, p.Envelope)
	wantRefused(t, err, ErrReplay)
}

func TestCosignedPolicy(t *testing.T) {
	for _, tc := range []struct {
		name      string
		min       int
		threshold int // used when min is 0 (-1: no Threshold; -2: a Threshold answering -1)
		cosigners string
		reason    error
	}{
		{"1 of n accepts co-signed", 1, -1, "B", nil},
		{"default accepts co-signed", 0, -1, "BC", nil},
		{"3 needs two cosigners", 3, -1, "B", ErrTooFewSignatures},
		{"3 with two cosigners", 3, -1, "BC", nil},
		{"threshold 2", 0, 2, "C", nil},
		{"threshold 3", 0, 3, "C", ErrTooFewSignatures},
		{"threshold 1 accepts single", 0, 1, "", nil},
		{"threshold 0 fails closed", 0, 0, "", ErrOwnerLookup},
		{"threshold -1 fails closed", 0, -2, "BC", ErrOwnerLookup},
		{"field wins over threshold", 1, 3, "", nil},
		{"stranger cosigner", 2, -1, "S", ErrNotOwner},
		{"stranger among owners", 2, -1, "BS", ErrNotOwner},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newCosignFixture(t, tc.min)
			switch {
			case tc.threshold >= 0:
				f.opener.Owners = thresholdOwners{OwnerSource: f.opener.Owners, min: tc.threshold}
			case tc.threshold == -2:
				f.opener.Owners = thresholdOwners{OwnerSource: f.opener.Owners, min: -1}
			}
			var env []byte
			if tc.cosigners == "" {
				env = f.seal(t, Command{Name: "x"}, t0)
			} else {
				keys := map[rune]*nem.PrivateKey{'B': f.b, 'C': f.c, 'S': f.s}
				var cs []*nem.PrivateKey
				for _, r := range tc.cosigners {
					cs = append(cs, keys[r])
				}
				env = f.propose(t, "x", cs...).Envelope
			}
			_, err := f.opener.Open(ctx, env)
			if tc.reason == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantRefused(t, err, tc.reason)
		})
	}
}

// TestCosignedLyingSender: a sender shows cosigners one body and encrypts
// another. The cosigners' checks pass (they cannot decrypt), the device
// refuses.
func TestCosignedLyingSender(t *testing.T) {
	f := newCosignFixture(t, 2)
	shown := f.propose(t, "light")
	real := f.propose(t, "unlock")
	e, err := parse(real.Envelope, true)
	if err != nil {
		t.Fatal(err)
	}
	lie := bytes.Clone(real.Envelope)
	d := format.BodyDigest(shown.Body)
	copy(lie[e.SignedEnd-DigestSize:], d[:])
	sig := f.owner.Sign(format.SignedBytes(lie[:e.SignedEnd]))
	copy(lie[e.SignedEnd:], sig[:])
	p := &Proposal{Envelope: lie, Body: shown.Body}
	info, err := p.Inspect()
	if err != nil || info.Command.Name != "light" {
		t.Fatalf("the cosigner's view: %+v %v", info, err)
	}
	if err := p.Cosign(f.b); err != nil {
		t.Fatal(err)
	}
	_, err = f.opener.Open(ctx, p.Envelope)
	wantRefused(t, err, ErrBadSignature)

	// Showing a body that is not the committed one fails at the cosigner.
	q := f.propose(t, "unlock")
	q.Body = shown.Body
	if _, err := q.Inspect(); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("Inspect with another body: %v", err)
	}
	if err := q.Cosign(f.b); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("Cosign with another body: %v", err)
	}
}

func TestCosignedWire(t *testing.T) {
	f := newCosignFixture(t, 2)
	p := f.propose(t, "x", f.b, f.c)
	e, err := parseEnvelope(p.Envelope)
	if err != nil {
		t.Fatal(err)
	}
	// Layout: header | ct | digest | sig | count | (key | sig)*count.
	n := HeaderSize + len(e.Ciphertext)
	if p.Envelope[1] != KindCosigned || p.Envelope[2] != SuiteGCM || len(p.Envelope) != n+32+64+1+2*96 || p.Envelope[n+96] != 2 {
		t.Fatalf("layout: kind %d, %d bytes, count %d", p.Envelope[1], len(p.Envelope), p.Envelope[n+96])
	}
	d := format.BodyDigest(p.Body)
	if !bytes.Equal(p.Envelope[n:n+32], d[:]) {
		t.Fatal("digest is not SHA-256(domain | body)")
	}
	msg := append([]byte("nemiot/envelope/v1"), p.Envelope[:n+32]...)
	for i, k := range []*nem.PrivateKey{f.owner, f.b, f.c} {
		var sig nem.Signature
		if i == 0 {
			copy(sig[:], p.Envelope[n+32:])
		} else {
			off := n + 97 + (i-1)*96
			if !bytes.Equal(p.Envelope[off:off+32], pubBytes(k)) {
				t.Fatalf("cosigner %d key", i)
			}
			copy(sig[:], p.Envelope[off+32:])
		}
		if !k.PublicKey().Verify(msg, sig) {
			t.Fatalf("signature %d is not over domain | header | ct | digest", i)
		}
	}

	count := n + 96
	cases := map[string][]byte{
		// Strip the cosignatures and call it a single-signer envelope.
		"stripped": func() []byte {
			b := bytes.Clone(p.Envelope[:n])
			b[1] = KindCommand
			return append(b, p.Envelope[n+32:n+96]...)
		}(),
		"duplicate cosigner": func() []byte {
			b := bytes.Clone(p.Envelope)
			b[count] = 3
			return append(b, p.Envelope[count+1:count+97]...)
		}(),
		"sender as cosigner": func() []byte {
			b := bytes.Clone(p.Envelope)
			b[count] = 3
			b = append(b, pubBytes(f.owner)...)
			return append(b, p.Envelope[n+32:n+96]...)
		}(),
		"count too high":  withHeader(p.Envelope, count, 3),
		"count too low":   withHeader(p.Envelope, count, 1),
		"count zero":      withHeader(p.Envelope[:count+1], count, 0),
		"count above max": withHeader(p.Envelope, count, MaxCosigners+1),
		"swapped cosig":   swapCosigSigs(p.Envelope, count),
	}
	reasons := map[string]error{"stripped": ErrBadSignature, "swapped cosig": ErrBadSignature}
	lenient := newCosignFixture(t, 1) // so that "stripped" gets past the policy
	for name, env := range cases {
		_, err := lenient.opener.Open(ctx, env)
		want := reasons[name]
		if want == nil {
			want = ErrMalformed
		}
		if !errors.Is(err, want) || !isKnownRefusal(err) {
			t.Errorf("%s: %v, want %v", name, err, want)
		}
	}

	// One command, two sets of cosigners: it runs once.
	q := f.propose(t, "y")
	q2 := &Proposal{Envelope: bytes.Clone(q.Envelope), Body: q.Body}
	if err := q.Cosign(f.b); err != nil {
		t.Fatal(err)
	}
	if err := q2.Cosign(f.c); err != nil {
		t.Fatal(err)
	}
	if _, err := f.opener.Open(ctx, q.Envelope); err != nil {
		t.Fatal(err)
	}
	_, err = f.opener.Open(ctx, q2.Envelope)
	wantRefused(t, err, ErrReplay)
}

func swapCosigSigs(env []byte, count int) []byte {
	b := bytes.Clone(env)
	s1 := count + 1 + 32
	s2 := count + 1 + 96 + 32
	tmp := bytes.Clone(b[s1 : s1+64])
	copy(b[s1:], b[s2:s2+64])
	copy(b[s2:], tmp)
	return b
}

func TestCosignErrors(t *testing.T) {
	f := newCosignFixture(t, 2)
	p := f.propose(t, "x", f.b)
	if err := p.Cosign(f.b); !errors.Is(err, ErrMalformed) {
		t.Errorf("cosigning twice: %v", err)
	}
	if err := p.Cosign(f.owner); !errors.Is(err, ErrMalformed) {
		t.Errorf("the sender cosigning: %v", err)
	}
	if err := p.Cosign(nil); !errors.Is(err, ErrInvalidCommand) {
		t.Errorf("nil key: %v", err)
	}
	single := &Proposal{Envelope: f.seal(t, Command{Name: "x"}, t0)}
	if err := single.Cosign(f.b); !errors.Is(err, ErrUnsupported) {
		t.Errorf("cosigning a single-signer envelope: %v", err)
	}
	full := f.propose(t, "x")
	for i := range MaxCosigners {
		if err := full.Cosign(testKey(t, fmt.Sprint("cosigner ", i))); err != nil {
			t.Fatal(i, err)
		}
	}
	if err := full.Cosign(f.b); !errors.Is(err, ErrMalformed) {
		t.Errorf("cosignature %d: %v", MaxCosigners+1, err)
	}
	if info, err := full.Inspect(); err != nil || len(info.Cosigners) != MaxCosigners {
		t.Errorf("Inspect with %d cosigners: %v", MaxCosigners, err)
	}
}
