package command

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/nemiot/nemiot/nem"
)

// askLog is an OwnerSource that records the keys it is asked about.
type askLog struct {
	OwnerSource
	mu    sync.Mutex
	asked []nem.PublicKey
}

func (a *askLog) IsOwner(ctx context.Context, k nem.PublicKey) (bool, error) {
	a.mu.Lock()
	a.asked = append(a.asked, k)
	a.mu.Unlock()
	return a.OwnerSource.IsOwner(ctx, k)
}

func (a *askLog) take() []nem.PublicKey {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := a.asked
	a.asked = nil
	return out
}

// TestOwnersAskedAfterSignature: whether an envelope claims an owner or a
// stranger, a signature its claimed signer did not make is refused for the
// same reason, ErrBadSignature, after the same verification, and Owners is
// never asked about the key: the refusal's reason and cost do not tell who
// is an owner (issue 10, item 8).
func TestOwnersAskedAfterSignature(t *testing.T) {
	f := newCosignFixture(t, 0)
	log := &askLog{OwnerSource: f.opener.Owners}
	f.opener.Owners = log
	badSig := func(env []byte) []byte {
		env = append([]byte(nil), env...)
		env[len(env)-1] ^= 1
		return env
	}
	stranger := f.sealAs(t, f.s, t0)
	owner := f.seal(t, Command{Name: "x"}, t0)
	for _, tc := range []struct {
		name string
		env  []byte
	}{
		{"stranger", badSig(stranger)},
		{"owner", badSig(owner)},
		{"owner, not yet cached", badSig(f.sealAs(t, f.c, t0))},
	} {
		_, err := f.opener.Open(ctx, tc.env)
		wantRefused(t, err, ErrBadSignature)
		if asked := log.take(); len(asked) != 0 {
			t.Errorf("%s: Owners asked about %v before the signature verified", tc.name, asked)
		}
		if tc.name == "stranger" {
			// Let the owner's key be cached, as an active owner's is.
			if _, err := f.opener.Open(ctx, f.seal(t, Command{Name: "warm"}, t0)); err != nil {
				t.Fatal(err)
			}
			log.take()
		}
	}

	// Co-signed: a cosignature that does not verify is refused before
	// Owners hears of its key, whether the key is an owner's or not.
	for _, cosigner := range []*nem.PrivateKey{f.b, f.s} {
		p := f.propose(t, "unlock", cosigner)
		_, err := f.opener.Open(ctx, badSig(p.Envelope))
		wantRefused(t, err, ErrBadSignature)
		if asked := log.take(); !slices.Equal(asked, []nem.PublicKey{f.owner.PublicKey()}) {
			t.Errorf("cosigner %s: Owners asked about %v, want only the sender", cosigner.PublicKey(), asked)
		}
	}

	// A stranger's own, valid signature reaches the owner check.
	_, err := f.opener.Open(ctx, stranger)
	wantRefused(t, err, ErrNotOwner)
	if asked := log.take(); !slices.Equal(asked, []nem.PublicKey{f.s.PublicKey()}) {
		t.Errorf("Owners asked about %v, want the stranger", asked)
	}
}
