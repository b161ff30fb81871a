package command

import (
	"context"
	"encoding/hex"
	"errors"
	"strings"
	"sync"
	"testing"

	"filippo.io/edwards25519"

	"github.com/nemiot/nemiot/command/internal/format"
	"github.com/nemiot/nemiot/internal/sharedtest"
	"github.com/nemiot/nemiot/nem"
)

// smallOrderKeys are the encodings of points of order dividing 8.
var smallOrderKeys = sharedtest.SmallOrderKeys

func weakKey(t testing.TB, s string) nem.PublicKey {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != nem.PublicKeySize {
		t.Fatalf("bad test key %q", s)
	}
	return nem.PublicKey(b)
}

// forge makes a signature of msg that nem's (NIS) verification accepts
// under the small-order key a, without any private key: with R = s·B and S
// = s, the check S·B − h·A = R holds whenever h·A is the identity, which
// happens for one h in ord(A) ≤ 8, so a few tries of s find one. ok is false
// for keys NIS verification refuses outright (the all-zero key) or that do
// not decode.
func forge(t testing.TB, a nem.PublicKey, msg []byte) (sig nem.Signature, ok bool) {
	t.Helper()
	r := detRand("forge " + a.String())
	for range 256 {
		var wide [64]byte
		r.Read(wide[:])
		s, err := edwards25519.NewScalar().SetUniformBytes(wide[:])
		if err != nil {
			t.Fatal(err)
		}
		copy(sig[:32], new(edwards25519.Point).ScalarBaseMult(s).Bytes())
		copy(sig[32:], s.Bytes())
		if a.Verify(msg, sig) {
			return sig, true
		}
	}
	return sig, false
}

// rawEnvelope writes an envelope of the given kind from sender to
// recipient with a random ciphertext (no key agreement is possible with a
// weak key) and signs it with sign. For KindCosigned it carries the digest
// of body and no cosignature.
func rawEnvelope(t testing.TB, kind byte, sender, recipient nem.PublicKey, body []byte, sign func([]byte) (nem.Signature, bool)) ([]byte, bool) {
	t.Helper()
	r := detRand("raw " + sender.String())
	var nonce [NonceSize]byte
	r.Read(nonce[:])
	ct := make([]byte, format.MinGCM+32)
	r.Read(ct)
	out := format.AppendHeader(nil, kind, SuiteGCM, sender, recipient, uint64(t0.UnixMilli()), &nonce, len(ct))
	out = append(out, ct...)
	if kind == KindCosigned {
		d := format.BodyDigest(body)
		out = append(out, d[:]...)
	}
	sig, ok := sign(format.SignedBytes(out))
	out = append(out, sig[:]...)
	if kind == KindCosigned {
		out = append(out, 0)
	}
	return out, ok
}

// everyoneOwns says yes to every key, and records the keys it was asked
// about.
type everyoneOwns struct {
	mu    sync.Mutex
	asked []nem.PublicKey
}

func (e *everyoneOwns) IsOwner(_ context.Context, k nem.PublicKey) (bool, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.asked = append(e.asked, k)
	return true, nil
}

func (e *everyoneOwns) calls() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.asked)
}

// TestWeakSenderForgery: an envelope "signed" by a small-order key, a
// signature that verifies though nobody holds a private key, is refused as
// ErrWeakKey even by an OwnerSource that lists the key, before the owner
// check and before it takes a replay cache entry (issue 10, item 6).
func TestWeakSenderForgery(t *testing.T) {
	f := newFixture(t)
	forged := 0
	for _, s := range smallOrderKeys {
		a := weakKey(t, s)
		env, ok := rawEnvelope(t, KindCommand, a, f.device.PublicKey(), nil, func(m []byte) (nem.Signature, bool) { return forge(t, a, m) })
		owners := &everyoneOwns{}
		for _, src := range []OwnerSource{owners, StaticOwners(a)} {
			o := &Opener{Device: f.device, Owners: src, Clock: f.clock.Now, NotBefore: f.opener.NotBefore}
			_, err := o.Open(ctx, env)
			if !ok {
				wantRefused(t, err, ErrBadSignature) // not even NIS verifies it
				continue
			}
			wantRefused(t, err, ErrWeakKey)
			if !errors.Is(err, nem.ErrWeakKey) {
				t.Errorf("%s: %v does not wrap nem.ErrWeakKey", s, err)
			}
			if n := o.st.Load().replay.Len(); n != 0 {
				t.Errorf("%s: the forgery took a replay cache entry", s)
			}
		}
		if owners.calls() != 0 {
			t.Errorf("%s: Owners was asked about a weak key", s)
		}
		if ok {
			forged++
		}
	}
	t.Logf("forged signatures under %d of %d small-order keys", forged, len(smallOrderKeys))
	if forged != len(smallOrderKeys)-1 {
		t.Fatalf("forged signatures under %d small-order keys, want all but the all-zero key (which NIS refuses)", forged)
	}
}

// TestWeakCosigner: a cosignature forged under a small-order key is refused.
func TestWeakCosigner(t *testing.T) {
	f := newCosignFixture(t, 2)
	p := f.propose(t, "unlock")
	a := weakKey(t, smallOrderKeys[4])
	e, err := parse(p.Envelope, true)
	if err != nil {
		t.Fatal(err)
	}
	sig, ok := forge(t, a, e.SignedMessage())
	if !ok {
		t.Fatal("no forgery")
	}
	env := append(append(append([]byte(nil), p.Envelope...), a[:]...), sig[:]...)
	env[e.SignedEnd+nem.SignatureSize] = 1
	owners := &everyoneOwns{}
	f.opener.Owners = owners
	_, err = f.opener.Open(ctx, env)
	wantRefused(t, err, ErrWeakKey)
	for _, k := range owners.asked {
		if k == a {
			t.Error("Owners was asked about the weak cosigner")
		}
	}
	// A cosigner inspecting such a proposal is told too.
	_, err = (&Proposal{Envelope: env, Body: p.Body}).Inspect()
	wantRefused(t, err, ErrWeakKey)
}

// TestWeakProposalSender: a cosigner is not fooled by a proposal whose
// sender's signature was forged under a small-order key.
func TestWeakProposalSender(t *testing.T) {
	f := newFixture(t)
	body := []byte(`{"cmd":"unlock","pad":"00"}`)
	a := weakKey(t, smallOrderKeys[0])
	env, ok := rawEnvelope(t, KindCosigned, a, f.device.PublicKey(), body, func(m []byte) (nem.Signature, bool) { return forge(t, a, m) })
	if !ok {
		t.Fatal("no forgery")
	}
	_, err := (&Proposal{Envelope: env, Body: body}).Inspect()
	wantRefused(t, err, ErrWeakKey)
	if !errors.Is(err, nem.ErrWeakKey) {
		t.Errorf("%v does not wrap nem.ErrWeakKey", err)
	}
}

// TestWeakDeviceKey: the app side refuses a small-order device key: no
// command is encrypted to it (anyone could read it) and no reply
// "signed" by it is believed (anyone could forge one).
func TestWeakDeviceKey(t *testing.T) {
	app := testKey(t, "owner")
	for _, s := range smallOrderKeys {
		d := weakKey(t, s)
		var P edwards25519.Point
		_, decodes := P.SetBytes(d[:])
		want := nem.ErrWeakKey
		if decodes != nil {
			want = nem.ErrInvalidKey
		}
		if _, err := Seal(nil, app, d, Command{Name: "x"}, t0); !errors.Is(err, want) {
			t.Errorf("%s: Seal: %v", s, err)
		}
		if _, err := SealCBC(nil, app, d, Command{Name: "x"}, t0); !errors.Is(err, want) {
			t.Errorf("%s: SealCBC: %v", s, err)
		}
		if _, err := Propose(nil, app, d, Command{Name: "x"}, t0); !errors.Is(err, want) {
			t.Errorf("%s: Propose: %v", s, err)
		}
		if _, err := NewSender(app, d); !errors.Is(err, want) {
			t.Errorf("%s: NewSender: %v", s, err)
		}

		// A reply forged under the device key, to a command the app sent.
		sent, _ := rawEnvelope(t, KindCommand, app.PublicKey(), d, nil, func(m []byte) (nem.Signature, bool) { return app.Sign(m), true })
		reply, ok := rawEnvelope(t, KindReply, d, app.PublicKey(), nil, func(m []byte) (nem.Signature, bool) { return forge(t, d, m) })
		_, err := OpenReply(app, d, sent, reply, t0)
		switch {
		case decodes != nil:
			wantRefused(t, err, ErrBadSignature)
		case ok || d.IsZero():
			wantRefused(t, err, ErrWeakKey)
			if !errors.Is(err, nem.ErrWeakKey) {
				t.Errorf("%s: OpenReply: %v does not wrap nem.ErrWeakKey", s, err)
			}
		default:
			t.Errorf("%s: no forgery", s)
		}
	}
}

// TestStaticOwnersRefuseWeakKeys: a small-order key is never an owner of
// StaticOwners, and NewStaticOwners names it.
func TestStaticOwnersRefuseWeakKeys(t *testing.T) {
	good := testKey(t, "owner").PublicKey()
	for _, s := range smallOrderKeys {
		k := weakKey(t, s)
		if ok, err := StaticOwners(good, k).IsOwner(ctx, k); ok || err != nil {
			t.Errorf("%s: StaticOwners says owner %v, %v", s, ok, err)
		}
		_, err := NewStaticOwners(good, k)
		if !errors.Is(err, nem.ErrWeakKey) && !errors.Is(err, nem.ErrInvalidKey) {
			t.Errorf("%s: NewStaticOwners: %v", s, err)
		}
		if err != nil && !strings.Contains(err.Error(), "owner 1") {
			t.Errorf("%s: NewStaticOwners error %q does not name the key's position", s, err)
		}
	}
	o, err := NewStaticOwners(good)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := o.IsOwner(ctx, good); !ok || err != nil {
		t.Errorf("a good key: %v, %v", ok, err)
	}
}
