package command

import (
	"context"
	"crypto/sha256"
	"errors"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/nemiot/nemiot/nem"
)

// t0 is the fake "now" of most tests.
var t0 = time.Date(2031, 5, 6, 7, 8, 9, 0, time.UTC)

// testKey returns a private key derived from label (test keys only).
func testKey(t testing.TB, label string) *nem.PrivateKey {
	t.Helper()
	d := sha256.Sum256([]byte("nemiot/command/test/" + label))
	k, err := nem.NewPrivateKey(d[:])
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// detRand is a deterministic randomness source for tests.
func detRand(seed string) *rand.ChaCha8 {
	return rand.NewChaCha8(sha256.Sum256([]byte(seed)))
}

// fakeClock is a settable clock, safe for concurrent use.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(t time.Time) *fakeClock { return &fakeClock{t: t} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// fixture is an owner, a device and an opener for it at t0.
type fixture struct {
	owner, device *nem.PrivateKey
	clock         *fakeClock
	opener        *Opener
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	f := &fixture{owner: testKey(t, "owner"), device: testKey(t, "device"), clock: newClock(t0)}
	f.opener = &Opener{
		Device:    f.device,
		Owners:    StaticOwners(f.owner.PublicKey()),
		Clock:     f.clock.Now,
		NotBefore: t0.Add(-time.Hour), // the fake clock is far from the process start
	}
	return f
}

func (f *fixture) seal(t testing.TB, cmd Command, at time.Time) []byte {
	t.Helper()
	env, err := Seal(nil, f.owner, f.device.PublicKey(), cmd, at)
	if err != nil {
		t.Fatal(err)
	}
	return env
}

// wantRefused checks that err is a *RefusedError with the given reason.
func wantRefused(t testing.TB, err, reason error) {
	t.Helper()
	if err == nil {
		t.Fatalf("accepted, want refusal %v", reason)
	}
	var re *RefusedError
	if !errors.As(err, &re) {
		t.Fatalf("error %v (%T) is not a *RefusedError", err, err)
	}
	if !errors.Is(err, ErrRefused) {
		t.Fatalf("errors.Is(%v, ErrRefused) = false", err)
	}
	if !errors.Is(err, reason) {
		t.Fatalf("error %q, want reason %q", err, reason)
	}
	if Opaque(err) != ErrRefused {
		t.Fatalf("Opaque(%v) = %v, want ErrRefused", err, Opaque(err))
	}
}

// knownReasons are the reasons Open and OpenReply may give.
var knownReasons = []error{
	ErrUnsupported, ErrMalformed, ErrWrongRecipient, ErrWrongSender, ErrNotOwner,
	ErrOwnerLookup, ErrTooFewSignatures, ErrStale, ErrFuture, ErrBadSignature,
	ErrReplay, ErrReplayFull, ErrReplayStore, ErrDecrypt, ErrWrongCommand, ErrConfig, ErrWeakKey, ErrClock,
}

func isKnownRefusal(err error) bool {
	var re *RefusedError
	if !errors.As(err, &re) || !errors.Is(err, ErrRefused) {
		return false
	}
	for _, r := range knownReasons {
		if re.Reason == r {
			return true
		}
	}
	return false
}

// errOwners is an OwnerSource that fails.
type errOwners struct{ err error }

func (e errOwners) IsOwner(context.Context, nem.PublicKey) (bool, error) { return false, e.err }

// thresholdOwners is an OwnerSource with a Threshold.
type thresholdOwners struct {
	OwnerSource
	min int
	err error
}

func (t thresholdOwners) MinSignatures(context.Context) (int, error) { return t.min, t.err }

var errCanceled = context.Canceled

func contextWithCancel() (context.Context, context.CancelFunc) {
	return context.WithCancel(context.Background())
}
