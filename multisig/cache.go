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
//     refreshed before it is used again to accept a key;
//   - never makes a key outside the last known set wait on the network:
//     [OwnerCache.IsOwner] refuses it at once from memory and starts a
//     refresh in the background, so that strangers cannot hold a caller's
//     resources while nodes are slow, and an owner added on chain a moment
//     ago is accepted once that refresh has ended (the owner's first command
//     may be refused; a retry a little later is accepted);
//   - starts at most one such refresh per RecheckEvery, counted from the end
//     of the previous refresh, so that strangers cannot make it flood the
//     nodes; a failed refresh and a "not multisig" answer are retried no
//     more often either;
//   - lets callers wait only where it must — before it has any answer, and
//     for an owner's key once the answer is older than TTL — and at most
//     MaxWaiting of them at once: more get [ErrBusy] at once;
//   - when refreshing fails (the stale policy), keeps using the last quorum
//     answer until it is MaxStale old, then refuses: Owners and IsOwner
//     return an error wrapping [ErrStale] for an owner's key until a quorum
//     answers again. A device cut off from the network for long thus stops
//     trusting an owner list that may have changed. With no answer yet, they
//     return the refresh's error;
//   - keeps the verified history of its last answer ([Owners.Custody]) and
//     refreshes with [Resolver.OwnersSince]: nodes are asked only for what
//     is newer, and a node whose history lacks a modification the cache
//     has verified does not count, so no number of nodes can undo a change
//     the cache has seen;
//   - never replaces its set by a different one backed by a lower or equal
//     chain height ([Owners.Height], the lowest height of the agreeing
//     answers), unless the new set's verified history continues the cached
//     one: such an answer is a rollback, and the refresh fails with
//     [ErrBadAnswer] instead. A set that really changed is reported at a
//     higher height, since the change is in a newer block (a refresh that
//     ran across the change may have dated the old set at the change's
//     height, as a node reports its height and the account in two
//     requests; the new set is then taken from the next block on);
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
	RecheckEvery   time.Duration    // the least time from the end of a refresh to one caused by unknown keys or failures; 0 means 5 seconds
	RefreshEvery   time.Duration    // the period of Run's background refresh; 0 means TTL/2
	RefreshTimeout time.Duration    // the longest one quorum search may take; 0 means 30 seconds
	MaxWaiting     int              // callers that may wait for a refresh at once; 0 means 16
	Clock          func() time.Time // nil means time.Now; used for TTL, MaxStale and RecheckEvery

	// OnRefresh, if set, is called after every refresh with its outcome:
	// nil when a quorum agreed on a set the cache took, an error wrapping
	// [ErrNotMultisig] when a quorum said the account is not multisig, one
	// wrapping [ErrNoQuorum] when no quorum was reached, or another error
	// (such as [ErrBadAnswer] for a rollback). For metrics and logs: it runs
	// on the refresh's goroutine, outside the cache's lock, before the
	// callers waiting for the refresh get its result; it must be fast and
	// safe for concurrent use.
	OnRefresh func(err error)

	mu      sync.Mutex
	owners  *Owners   // the last quorum answer, nil if none or not multisig
	fetched time.Time // when owners was agreed (Clock time)
	lastEnd time.Time // when the last refresh ended (Clock time)
	ended   bool      // a refresh has ended: there is an answer, owners or lastErr
	lastErr error     // the last refresh's error, nil after a success
	flight  *flight   // the refresh in progress, if any
	waiting int       // callers waiting for flight (Run loops not counted)
	started int       // refreshes started, for tests
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
func (c *OwnerCache) maxWaiting() int {
	if c.MaxWaiting <= 0 {
		return 16
	}
	return c.MaxWaiting
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// Owners returns the device's owners: from memory while the cached answer is
// younger than TTL, otherwise after asking a quorum (within the limits of
// the stale policy and of MaxWaiting described on [OwnerCache]).
func (c *OwnerCache) Owners(ctx context.Context) (*Owners, error) {
	if err := c.config(); err != nil {
		return nil, err
	}
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
	if c.ended && c.lastErr != nil && c.flight == nil && now.Sub(c.lastEnd) < c.recheck() {
		// The last refresh failed a moment ago: do not ask again yet.
		o, err := c.fallbackLocked(now)
		c.mu.Unlock()
		return o, err
	}
	if c.waiting >= c.maxWaiting() {
		c.mu.Unlock()
		return nil, fmt.Errorf("%w (%d)", ErrBusy, c.waiting)
	}
	c.waiting++
	f := c.startLocked()
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.waiting--
		c.mu.Unlock()
	}()
	return c.await(ctx, f)
}

// IsOwner reports whether key is one of the device's owners. A key in the
// last known set is accepted from memory while that set is younger than
// TTL, and after a refresh once it is older. A key outside it is refused at
// once, without waiting on the network; it starts a refresh in the
// background (at most one per RecheckEvery after the end of the last), so
// that an owner added on chain a moment ago is recognized soon. Only before
// the cache has any answer does every caller wait for the first one. The
// error, if any, is the stale policy's, [ErrNotMultisig], [ErrBusy] or the
// last refresh's.
func (c *OwnerCache) IsOwner(ctx context.Context, key nem.PublicKey) (bool, error) {
	if err := c.config(); err != nil {
		return false, err
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return false, ErrClosed
	}
	if c.ended && !c.owners.Has(key) {
		now := c.now()
		var err error
		switch {
		case c.owners == nil:
			err = c.lastErr // not multisig, or no set agreed yet
		case now.Sub(c.fetched) >= c.maxStale() && c.lastErr != nil:
			_, err = c.fallbackLocked(now)
		}
		if c.flight == nil && now.Sub(c.lastEnd) >= c.recheck() {
			c.startLocked()
		}
		c.mu.Unlock()
		return false, err
	}
	c.mu.Unlock()
	o, err := c.Owners(ctx)
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

// Run refreshes the cache at once and then every RefreshEvery (jittered by
// up to a fifth either way, so that devices booted together spread their
// questions to the nodes), until ctx ends or the cache is closed, so that
// command handling rarely waits for the network. Run it in its own goroutine. Failures are kept for
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

	for {
		c.mu.Lock()
		f := c.startLocked()
		c.mu.Unlock()
		if f != nil {
			c.await(ctx, f)
		}
		// Jittered, so that a fleet booted together spreads its refreshes.
		t := time.NewTimer(jitter(c.period(), 0.2))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-life.Done():
			t.Stop()
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

// config reports settings the cache cannot work without.
func (c *OwnerCache) config() error {
	if c.Resolver == nil || c.Account.IsZero() {
		return fmt.Errorf("%w: OwnerCache needs a Resolver and an Account", ErrConfig)
	}
	return nil
}

// startLocked returns the refresh in progress, starting one if there is
// none, or nil if the cache is closed.
func (c *OwnerCache) startLocked() *flight {
	if c.closed {
		return nil
	}
	if c.flight == nil {
		c.flight = &flight{done: make(chan struct{})}
		c.started++
		life := c.lifeLocked()
		c.wg.Add(1)
		go c.resolve(life, c.flight)
	}
	return c.flight
}

// await waits for f or for ctx.
func (c *OwnerCache) await(ctx context.Context, f *flight) (*Owners, error) {
	if f == nil {
		return nil, ErrClosed
	}
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
	c.mu.Lock()
	var known *Custody
	if c.owners != nil {
		known = c.owners.Custody
	}
	c.mu.Unlock()
	o, err := c.Resolver.OwnersSince(ctx, c.Account, known)
	cancel()

	c.mu.Lock()
	f.owners, f.err = c.applyLocked(o, err)
	c.flight, c.lastEnd, c.ended = nil, c.now(), true
	outcome := c.lastErr
	c.mu.Unlock()
	if c.OnRefresh != nil {
		c.OnRefresh(outcome)
	}
	close(f.done)
}

// applyLocked takes a quorum search's result into the cache and returns what
// callers get: the policy of the OwnerCache doc.
func (c *OwnerCache) applyLocked(o *Owners, err error) (*Owners, error) {
	now := c.now()
	if err == nil && c.owners != nil && o.Height <= c.owners.Height && !continues(o, c.owners) {
		if sameOwners(o, c.owners) {
			o.Height = c.owners.Height // an older view of the same answer: keep the newer height
		} else {
			// A set that really changed comes in a newer block: a
			// different set at the same or a lower height is an old one.
			err = fmt.Errorf("%w: a quorum answered %s at height %d, not newer than the cached answer's %d", ErrBadAnswer, o, o.Height, c.owners.Height)
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

// continues reports whether o's verified history is old's followed by
// further modifications: a newer set whatever heights the nodes reported.
func continues(o, old *Owners) bool {
	return o.Custody != nil && old.Custody != nil && o.Custody.Len() > old.Custody.Len() && o.Custody.Extends(old.Custody)
}

func sameOwners(a, b *Owners) bool {
	return a.MinCosignatories == b.MinCosignatories && slices.Equal(a.Cosignatories, b.Cosignatories)
}
