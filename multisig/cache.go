package multisig

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/nemiot/nemiot/nem"
)

// OwnerCache answers "is this key an owner of the device?" from memory, for
// the device's command handling. It satisfies command.OwnerSource (and
// command.Threshold).
//
// It keeps the last answer a quorum agreed on, and:
//
//   - answers from memory while that answer is younger than TTL;
//   - refreshes in the background while [OwnerCache.Run] runs, every
//     RefreshEvery, so that callers rarely wait; an answer older than TTL is
//     refreshed before it is used again;
//   - re-asks at once when an unknown key knocks, so that a newly added owner
//     is recognized within seconds, but starts at most one refresh per
//     RecheckEvery, so that strangers cannot make it flood the nodes; a
//     failed refresh and a "not multisig" answer are retried no more often
//     either;
//   - when refreshing fails (the stale policy), keeps using the last quorum
//     answer until it is MaxStale old, then refuses: Owners and IsOwner
//     return an error wrapping [ErrStale] until a quorum answers again. A
//     device cut off from the network for long thus stops trusting an owner
//     list that may have changed. With no answer yet, they return the
//     refresh's error;
//   - never replaces its answer by a different one reported at a lower chain
//     height (rollback protection; the refresh fails instead);
//   - forgets its owners when a quorum says the account is not multisig
//     (then every call returns [ErrNotMultisig]).
//
// One refresh runs at a time and all callers share it; a caller whose
// context ends first gets the cached answer if the stale policy allows it,
// or the context's error. Set the fields before first use; an OwnerCache is
// safe for concurrent use. Call [OwnerCache.Close] when done with it.
type OwnerCache struct {
	Resolver *Resolver
	Account  nem.Address

	TTL            time.Duration    // how long an answer is used without asking again; 0 means 5 minutes
	MaxStale       time.Duration    // how long the last answer is used while refreshing fails; 0 means 30 minutes; at least TTL
	RecheckEvery   time.Duration    // the least time between refreshes caused by unknown keys or failures; 0 means 5 seconds
	RefreshEvery   time.Duration    // the period of Run's background refresh; 0 means TTL/2
	RefreshTimeout time.Duration    // the longest one quorum search may take; 0 means 30 seconds
	Clock          func() time.Time // nil means time.Now; used for TTL, MaxStale and RecheckEvery

	mu      sync.Mutex
	owners  *Owners   // the last quorum answer, nil if none or not multisig
	fetched time.Time // when owners was agreed (Clock time)
	lastTry time.Time // when a refresh was last started (Clock time)
	tried   bool      // a refresh was started at least once
	lastErr error     // the last refresh's error, nil after a success
	flight  *flight   // the refresh in progress, if any
	life    context.Context
	stop    context.CancelFunc
	closed  bool
	wg      sync.WaitGroup // refreshes and Run loops
}

// flight is one refresh that callers wait for together.
type flight struct {
	done   chan struct{}
	owners *Owners
	err    error
}

func (c *OwnerCache) now() time.Time {
	if c.Clock != nil {
		return c.Clock()
	}
	return time.Now()
}

func (c *OwnerCache) ttl() time.Duration { return orDefault(c.TTL, 5*time.Minute) }
func (c *OwnerCache) maxStale() time.Duration {
	return max(orDefault(c.MaxStale, 30*time.Minute), c.ttl())
}
func (c *OwnerCache) recheck() time.Duration { return orDefault(c.RecheckEvery, 5*time.Second) }
func (c *OwnerCache) timeout() time.Duration { return orDefault(c.RefreshTimeout, 30*time.Second) }
func (c *OwnerCache) period() time.Duration  { return orDefault(c.RefreshEvery, c.ttl()/2) }

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// Owners returns the device's owners: from memory while the cached answer is
// younger than TTL, otherwise after asking a quorum (within the limits of
// the stale policy described on [OwnerCache]).
func (c *OwnerCache) Owners(ctx context.Context) (*Owners, error) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, ErrClosed
	}
	now := c.now()
	if c.owners != nil && now.Sub(c.fetched) < c.ttl() {
		o := c.owners
		c.mu.Unlock()
		return o, nil
	}
	if c.tried && c.lastErr != nil && now.Sub(c.lastTry) < c.recheck() && c.flight == nil {
		// The last refresh failed a moment ago: do not ask again yet.
		o, err := c.fallbackLocked(now)
		c.mu.Unlock()
		return o, err
	}
	c.mu.Unlock()
	return c.refresh(ctx)
}

// IsOwner reports whether key is one of the device's owners. An unknown key
// triggers a refresh (at most one per RecheckEvery), so that an owner added
// on chain a moment ago is recognized.
func (c *OwnerCache) IsOwner(ctx context.Context, key nem.PublicKey) (bool, error) {
	o, err := c.Owners(ctx)
	if err != nil {
		return false, err
	}
	if o.Has(key) {
		return true, nil
	}
	c.mu.Lock()
	due := c.flight != nil || c.now().Sub(c.lastTry) >= c.recheck()
	c.mu.Unlock()
	if !due {
		return false, nil
	}
	o, err = c.refresh(ctx)
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

// Err returns the error of the last refresh, or nil if it succeeded.
func (c *OwnerCache) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lastErr
}

// Run refreshes the cache at once and then every RefreshEvery, until ctx
// ends or the cache is closed, so that command handling rarely waits for
// the network. Run it in its own goroutine. Failures are kept for
// [OwnerCache.Err] and handled by the stale policy.
func (c *OwnerCache) Run(ctx context.Context) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	life := c.lifeLocked()
	c.wg.Add(1)
	c.mu.Unlock()
	defer c.wg.Done()

	t := time.NewTicker(c.period())
	defer t.Stop()
	for {
		c.refresh(ctx)
		select {
		case <-ctx.Done():
			return
		case <-life.Done():
			return
		case <-t.C:
		}
	}
}

// Close stops [OwnerCache.Run] loops and any refresh in progress, waits for
// them to end, and makes later calls fail with [ErrClosed]. It is safe to
// call more than once.
func (c *OwnerCache) Close() error {
	c.mu.Lock()
	if !c.closed {
		c.closed = true
		c.lifeLocked()
		c.stop()
	}
	c.mu.Unlock()
	c.wg.Wait()
	return nil
}

// lifeLocked returns the context that ends when the cache is closed.
func (c *OwnerCache) lifeLocked() context.Context {
	if c.life == nil {
		c.life, c.stop = context.WithCancel(context.Background())
	}
	return c.life
}

// refresh joins the refresh in progress or starts one, and waits for it or
// for ctx.
func (c *OwnerCache) refresh(ctx context.Context) (*Owners, error) {
	if c.Resolver == nil || c.Account.IsZero() {
		return nil, fmt.Errorf("%w: OwnerCache needs a Resolver and an Account", ErrConfig)
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, ErrClosed
	}
	f := c.flight
	if f == nil {
		f = &flight{done: make(chan struct{})}
		c.flight, c.lastTry, c.tried = f, c.now(), true
		life := c.lifeLocked()
		c.wg.Add(1)
		go c.resolve(life, f)
	}
	c.mu.Unlock()
	select {
	case <-f.done:
		return f.owners, f.err
	case <-ctx.Done():
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.owners != nil && c.now().Sub(c.fetched) < c.maxStale() {
			return c.owners, nil
		}
		return nil, ctx.Err()
	}
}

// resolve runs one quorum search for f, detached from any caller's context
// (callers wait for it with their own), and applies its answer.
func (c *OwnerCache) resolve(life context.Context, f *flight) {
	defer c.wg.Done()
	ctx, cancel := context.WithTimeout(life, c.timeout())
	o, err := c.Resolver.Owners(ctx, c.Account)
	cancel()

	c.mu.Lock()
	f.owners, f.err = c.applyLocked(o, err)
	c.flight = nil
	c.mu.Unlock()
	close(f.done)
}

// applyLocked takes a quorum search's result into the cache and returns what
// callers get: the policy of the OwnerCache doc.
func (c *OwnerCache) applyLocked(o *Owners, err error) (*Owners, error) {
	now := c.now()
	if err == nil && c.owners != nil && o.Height < c.owners.Height {
		if sameOwners(o, c.owners) {
			o.Height = c.owners.Height // an older view of the same answer: keep the newer height
		} else {
			err = fmt.Errorf("%w: a quorum answered %s at height %d, older than the cached answer's %d", ErrBadAnswer, o, o.Height, c.owners.Height)
		}
	}
	switch {
	case err == nil:
		c.owners, c.fetched, c.lastErr = o, now, nil
		return o, nil
	case errors.Is(err, ErrNotMultisig):
		// A quorum says the device has no owners (any more): believe it.
		c.owners, c.fetched, c.lastErr = nil, time.Time{}, err
		return nil, err
	}
	c.lastErr = err
	return c.fallbackLocked(now)
}

// fallbackLocked is the stale policy's answer after a failed refresh.
func (c *OwnerCache) fallbackLocked(now time.Time) (*Owners, error) {
	switch {
	case c.owners != nil && now.Sub(c.fetched) < c.maxStale():
		return c.owners, nil
	case c.owners != nil:
		return nil, fmt.Errorf("%w (last agreed %s ago): %w", ErrStale, now.Sub(c.fetched).Round(time.Second), c.lastErr)
	}
	return nil, c.lastErr
}

func sameOwners(a, b *Owners) bool {
	return a.MinCosignatories == b.MinCosignatories && slices.Equal(a.Cosignatories, b.Cosignatories)
}
