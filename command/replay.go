package command

import (
	"context"
	"time"

	"github.com/nemiot/nemiot/nem"
)

// DefaultReplayCapacity is the replay cache's capacity when
// [Opener.ReplayCapacity] is zero.
const DefaultReplayCapacity = 100_000

// ReplayEntry is one accepted envelope in the replay cache: its sender and
// nonce, and the instant after which it is stale anyway (its date plus the
// window), when the cache forgets it.
type ReplayEntry struct {
	Sender  nem.PublicKey
	Nonce   [NonceSize]byte
	Expires time.Time
}

// ReplayStore keeps the replay cache across restarts, so that a rebooted
// device still refuses the envelopes it accepted before, while it accepts
// ones it never saw (also those dated before it started). [FileStore] is
// one. Implementations must be safe for concurrent use.
type ReplayStore interface {
	// Load returns the entries saved earlier that have not expired at now.
	// The Opener calls it once, before it opens its first envelope.
	Load(ctx context.Context, now time.Time) ([]ReplayEntry, error)
	// Save records e durably: when it returns nil, e survives a crash.
	// The Opener calls it after an envelope's signatures verified and
	// before it decrypts; an error refuses the envelope. now lets the store
	// drop expired entries.
	Save(ctx context.Context, e ReplayEntry, now time.Time) error
}
