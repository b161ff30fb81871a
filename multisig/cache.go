package multisig

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nemiot/nemiot/nem"
)

// OwnerCache answers "is this key an owner of the device?" from memory, for
// the device's command handling. It satisfies command.OwnerSource.
//
// It keeps the last answer a quorum agreed on and:
//
//   - answers from memory while that answer is younger than TTL;
//   - refreshes in the background (see [OwnerCache.Run]) and, when an
//     answer is older than TTL, before answering;
//   - re-asks at once when an unknown key knocks, so a newly added owner is
//     recognized within seconds, but at most once per RecheckEvery so that
//     strangers cannot make it flood the nodes;
//   - when refreshing fails, keeps using the last quorum answer until it is
//     MaxStale old, then refuses (IsOwner returns an error wrapping
//     [ErrStale]): a device cut off from the network for long stops trusting
//     an owner list that may have changed;
//   - never goes back to an answer from an older chain height than the one
//     it holds (rollback protection).
//
// Set the fields before first use; an OwnerCache is safe for concurrent use.
type OwnerCache struct {
	Resolver *Resolver
	Account  nem.Address

	TTL          time.Duration    // how long an answer is used without asking again; 0 means 5 minutes
	MaxStale     time.Duration    // how long the last answer is kept when refreshing fails; 0 means 30 minutes
	RecheckEvery time.Duration    // the least time between refreshes caused by unknown keys; 0 means 5 seconds
	Clock        func() time.Time // nil means time.Now

	mu        sync.Mutex
	owners    *Owners
	fetched   time.Time // when owners was agreed
	lastTry   time.Time // when a refresh was last started
	lastErr   error
	refreshMu sync.Mutex // one refresh at a time
}

func (c *OwnerCache) now() time.Time {
	if c.Clock != nil {
		return c.Clock()
	}
	return time.Now()
}

func (c *OwnerCache) ttl() time.Duration      { return orDefault(c.TTL, 5*time.Minute) }
func (c *OwnerCache) maxStale() time.Duration { return orDefault(c.MaxStale, 30*time.Minute) }
func (c *OwnerCache) recheck() time.Duration  { return orDefault(c.RecheckEvery, 5*time.Second) }

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// Owners returns the device's owners: from memory when the cached answer is
// younger than TTL, otherwise after asking a quorum. If asking fails, the
// cached answer is returned while it is younger than MaxStale.
func (c *OwnerCache) Owners(ctx context.Context) (*Owners, error) {
	c.mu.Lock()
	o, at := c.owners, c.fetched
	c.mu.Unlock()
	if o != nil && c.now().Sub(at) < c.ttl() {
		return o, nil
	}
	return c.refresh(ctx, at)
}

// IsOwner reports whether key is one of the device's owners. An unknown key
// triggers a rate-limited refresh, so that an owner added on chain a moment
// ago is recognized.
func (c *OwnerCache) IsOwner(ctx context.Context, key nem.PublicKey) (bool, error) {
	o, err := c.Owners(ctx)
	if err != nil {
		return false, err
	}
	if o.Has(key) {
		return true, nil
	}
	c.mu.Lock()
	due := c.now().Sub(c.lastTry) >= c.recheck()
	at := c.fetched
	c.mu.Unlock()
	if !due {
		return false, nil
	}
	o, err = c.refresh(ctx, at)
	if err != nil {
		return false, err
	}
	return o.Has(key), nil
}

// MinSignatures returns how many distinct owners must sign a command: the
// multisig account's minCosignatories, where 0 means all of them.
func (c *OwnerCache) MinSignatures(ctx context.Context) (int, error) {
	o, err := c.Owners(ctx)
	if err != nil {
		return 0, err
	}
	return o.Required(), nil
}

// refresh asks a quorum unless another caller refreshed since seenAt.
func (c *OwnerCache) refresh(ctx context.Context, seenAt time.Time) (*Owners, error) {
	if c.Resolver == nil || c.Account.IsZero() {
		return nil, fmt.Errorf("%w: OwnerCache needs a Resolver and an Account", ErrConfig)
	}
	c.refreshMu.Lock()
	defer c.refreshMu.Unlock()
	c.mu.Lock()
	if c.owners != nil && c.fetched.After(seenAt) {
		o := c.owners // someone else refreshed while we waited
		c.mu.Unlock()
		return o, nil
	}
	c.lastTry = c.now()
	c.mu.Unlock()

	o, err := c.Resolver.Owners(ctx, c.Account)
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	switch {
	case err == nil && c.owners != nil && o.Height < c.owners.Height:
		err = fmt.Errorf("%w: quorum answered for height %d, older than the cached %d", ErrBadAnswer, o.Height, c.owners.Height)
	case err == nil:
		c.owners, c.fetched, c.lastErr = o, now, nil
		return o, nil
	case errors.Is(err, ErrNotMultisig):
		// A quorum says the device has no owners (any more): believe it.
		c.owners, c.fetched, c.lastErr = nil, time.Time{}, err
		return nil, err
	}
	c.lastErr = err
	if c.owners != nil && now.Sub(c.fetched) < c.maxStale() {
		return c.owners, nil
	}
	if c.owners != nil {
		return nil, fmt.Errorf("%w (last agreed %s ago): %w", ErrStale, now.Sub(c.fetched).Round(time.Second), err)
	}
	return nil, err
}

// Run refreshes the cache every TTL/2 until ctx ends, so that command
// handling rarely waits for the network. Errors are kept for [OwnerCache.Err]
// and handled by the MaxStale policy.
func (c *OwnerCache) Run(ctx context.Context) {
	t := time.NewTicker(c.ttl() / 2)
	defer t.Stop()
	for {
		c.mu.Lock()
		at := c.fetched
		c.mu.Unlock()
		c.refresh(ctx, at)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Err returns the error of the last refresh, or nil if it succeeded.
func (c *OwnerCache) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lastErr
}
