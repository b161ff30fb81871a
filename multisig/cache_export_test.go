package multisig

// Test hooks for the owner cache's background refreshes, for the external
// tests of this package: they wait on channels, not on the wall clock.

// Refreshes returns how many refreshes c has started.
func Refreshes(c *OwnerCache) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.started
}

// Settle waits until the refresh c has in progress, if any, has ended and
// its answer is in the cache.
func Settle(c *OwnerCache) {
	c.mu.Lock()
	f := c.flight
	c.mu.Unlock()
	if f != nil {
		<-f.done
	}
}

// Waiting returns how many callers wait for c's refresh.
func Waiting(c *OwnerCache) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.waiting
}

// OnVote makes every quorum round call f with the node of each answer it
// receives, before it counts it, until restore is called.
func OnVote(f func(node string)) (restore func()) {
	voteHook.Store(&f)
	return func() { voteHook.Store(nil) }
}
